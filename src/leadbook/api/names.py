"""Statuses, sources, lead types, outreach kinds, customer groups and owners are sent by
name, matched without regard to case. An unknown name is a 422 listing the valid ones."""

from collections.abc import Iterable

from django.db.models import Model, QuerySet

from leadbook.accounts.models import User

from .errors import Unprocessable, field_error


class Names:
    """Resolves the names of one request, collecting every unknown one so the client hears
    about all of them at once: `names.one(...)`, `names.many(...)`, then `names.check()`."""

    def __init__(self, location: str = "body") -> None:
        self.location = location
        self.errors: list[dict] = []

    def one(self, queryset: QuerySet, name: str, field: str, noun: str) -> Model | None:
        by_name = {obj.name.lower(): obj for obj in queryset}
        found = by_name.get(" ".join(name.split()).lower())
        if found is None:
            self._unknown(field, noun, [name], [obj.name for obj in by_name.values()])
        return found

    def many(self, queryset: QuerySet, names: Iterable[str], field: str, noun: str) -> list:
        by_name = {obj.name.lower(): obj for obj in queryset}
        found, unknown = [], []
        for name in names:
            obj = by_name.get(" ".join(name.split()).lower())
            if obj is None:
                unknown.append(name)
            elif obj not in found:
                found.append(obj)
        if unknown:
            self._unknown(field, noun, unknown, [obj.name for obj in by_name.values()])
        return found

    def user(self, username: str, field: str = "owner") -> User | None:
        users = {u.username.lower(): u for u in User.objects.filter(is_active=True)}
        found = users.get(username.strip().lower())
        if found is None:
            self._unknown(field, "user", [username], [u.username for u in users.values()])
        return found

    def _unknown(self, field: str, noun: str, names: list[str], valid: list[str]) -> None:
        shown = ", ".join(repr(n) for n in names)
        self.errors.append(field_error(
            field, f"Unknown {noun} {shown}. Valid: {', '.join(valid) or 'none yet'}.",
            location=self.location, valid=valid))

    def check(self) -> None:
        if self.errors:
            raise Unprocessable(self.errors)
