"""A lead's timeline: outreach, field changes, form submissions, imports, conversions and
merges in one list, newest first. Each part of Leadbook registers what it knows."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadbook.leads.models import Lead


@dataclass(frozen=True)
class Entry:
    when: datetime.datetime
    kind: str  # names the partial that shows it: timeline/_<kind>.html
    who: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"timeline/_{self.kind}.html"


Provider = Callable[[Lead], list[Entry]]
_providers: list[Provider] = []


def provider(func: Provider) -> Provider:
    """Register a function that lists a lead's timeline entries of one kind."""
    _providers.append(func)
    return func


def timeline_for(lead: Lead, limit: int = 200) -> list[Entry]:
    entries = [entry for get in _providers for entry in get(lead)]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
