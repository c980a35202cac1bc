"""The statuses, lead types and sources a new workspace starts with."""

from .models import ConversionTarget as T
from .models import LeadType, Source, Stage, Status

STATUSES = [
    ("New", Stage.LEAD), ("Contacted", Stage.LEAD), ("In Progress", Stage.LEAD),
    ("Qualified", Stage.QUALIFIED), ("Proposal Sent", Stage.OPPORTUNITY),
    ("Negotiation", Stage.OPPORTUNITY), ("Won", Stage.WON), ("Lost", Stage.LOST),
]
LEAD_TYPES = [
    ("Consignment", T.RETAILER), ("Wholesale", T.RETAILER), ("Podcast Guest", T.PODCAST),
    ("Podcast Host", T.PODCAST), ("Collab", T.COLLAB),
]
SOURCES = ["Website", "Phone", "Trade show", "Email campaign", "Social media", "Referral",
           "Import", "Other"]


def ensure_defaults() -> None:
    """Fill each list that is empty with its defaults; lists an admin has edited are kept."""
    if not Status.objects.exists():
        Status.objects.bulk_create(
            Status(name=name, stage=stage, position=i) for i, (name, stage) in enumerate(STATUSES)
        )
    if not LeadType.objects.exists():
        LeadType.objects.bulk_create(
            LeadType(name=name, target=target, position=i)
            for i, (name, target) in enumerate(LEAD_TYPES)
        )
    if not Source.objects.exists():
        Source.objects.bulk_create(Source(name=name, position=i) for i, name in enumerate(SOURCES))
