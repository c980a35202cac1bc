from .models import OutreachKind

KINDS = ["Email", "Call", "Text", "DM", "In person", "Other"]


def ensure_defaults() -> None:
    if not OutreachKind.objects.exists():
        OutreachKind.objects.bulk_create(
            OutreachKind(name=name, position=i) for i, name in enumerate(KINDS)
        )
