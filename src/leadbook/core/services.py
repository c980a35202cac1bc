"""Changes to the workspace settings and to the editable lists (statuses, types, sources...)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max

from leadbook.audit.services import audit_record

from .models import WorkspaceSettings


def update_workspace_settings(*, actor=None, **values) -> WorkspaceSettings:
    workspace = WorkspaceSettings.load()
    changed = {name: value for name, value in values.items()
               if getattr(workspace, name) != value}
    for name, value in changed.items():
        setattr(workspace, name, value)
    workspace.full_clean()
    workspace.save()
    if changed:
        audit_record(action="settings.changed", actor=actor, target="workspace",
                     **{k: str(v) for k, v in changed.items()})
    return workspace


def _check_name(model: type[models.Model], name: str, exclude_pk: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter a name."})
    clash = model._default_manager.filter(name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"“{name}” already exists."})
    return name


def _audit_list(action: str, obj, actor) -> None:
    audit_record(action=f"settings.{action}", actor=actor,
                 target=f"{obj._meta.verbose_name} “{obj}”")


def choice_create(model: type[models.Model], *, name: str, actor=None, **extra
                  ) -> models.Model:
    """Add an entry at the end of an editable list."""
    with transaction.atomic():
        name = _check_name(model, name)
        last = model._default_manager.aggregate(m=Max("position"))["m"]
        obj = model(name=name, position=0 if last is None else last + 1, **extra)
        obj.full_clean()
        obj.save()
        _audit_list("list_entry_added", obj, actor)
    return obj


def choice_update(obj: models.Model, *, name: str, actor=None, **extra) -> models.Model:
    with transaction.atomic():
        obj.name = _check_name(type(obj), name, exclude_pk=obj.pk)
        for key, value in extra.items():
            setattr(obj, key, value)
        obj.full_clean()
        obj.save()
        _audit_list("list_entry_changed", obj, actor)
    return obj


def choice_move(obj: models.Model, *, step: int) -> None:
    """Move an entry up (step=-1) or down (step=+1) the list."""
    with transaction.atomic():
        items = list(type(obj)._default_manager.order_by("position", "id"))
        index = next(i for i, item in enumerate(items) if item.pk == obj.pk)
        target = index + step
        if 0 <= target < len(items):
            items[index], items[target] = items[target], items[index]
            for position, item in enumerate(items):
                if item.position != position:
                    item.position = position
                    item.save(update_fields=["position"])


def choice_delete(obj, *, actor=None) -> None:
    """Delete an entry that nothing uses; an entry in use stays (rename it instead)."""
    in_use = ValidationError(
        f"“{obj}” is in use, so it stays. Rename it, or move its leads elsewhere first."
    )
    if obj.in_use():
        raise in_use
    try:
        with transaction.atomic():
            _audit_list("list_entry_deleted", obj, actor)
            obj.delete()
    except (models.ProtectedError, IntegrityError):
        raise in_use from None
