"""Lead.owner_name: the owner's username, stored on the lead for the table's owner sort.

Whatever writes a lead's owner writes its name too: the lead services and merges (through
`services._save`, with `owner_name_of`), the importer and the demo seed (from the usernames
they read). What changes a name from the user's side is handled here, for every way a user
is saved or deleted (there is no service that renames or deletes users; Django's auth
commands, a shell or a future admin page may):

  - a renamed user: their leads get the new name, in one UPDATE;
  - a deleted user: their leads lose the name, in the deletion's transaction, as the
    owner's `on_delete=SET_NULL` clears the owner.

Saving a user costs one more small query (the username before) unless `update_fields`
leaves out the username (a sign-in saves only last_login). A queryset `.update()` of
usernames sends no signals and is not followed: rename users one by one.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from leadbook.accounts.models import User

from .models import Lead


def owner_name_of(lead: Lead) -> str | None:
    """The name to store for the lead's owner: the username, None without an owner. Reads
    the owner (one query) only when the lead does not hold it already."""
    owner = lead.owner if lead.owner_id is not None else None
    return owner.username if owner is not None else None


@receiver(pre_save, sender=User, dispatch_uid="leads.owners.username_before")
def _remember_username(sender: type[User], instance: User, raw: bool = False,
                       update_fields: Any = None, **kwargs: Any) -> None:
    instance.__dict__.pop("_username_before", None)
    if raw or instance.pk is None or (
            update_fields is not None and "username" not in update_fields):
        return
    instance.__dict__["_username_before"] = User.objects.filter(pk=instance.pk).values_list(
        "username", flat=True).first()


@receiver(post_save, sender=User, dispatch_uid="leads.owners.rename")
def _rename_owned_leads(sender: type[User], instance: User, created: bool = False,
                        **kwargs: Any) -> None:
    before = instance.__dict__.pop("_username_before", None)
    if created or before is None or before == instance.username:
        return
    Lead.all_objects.filter(owner=instance).update(owner_name=instance.username)


@receiver(pre_delete, sender=User, dispatch_uid="leads.owners.delete")
def _forget_deleted_owner(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Inside the deletion's transaction, just before SET_NULL clears the leads' owner.
    Lead.all_objects.filter(owner=instance).update(owner_name=None)
