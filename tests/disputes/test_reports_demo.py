"""Every kind of report renders for the demo alliance, as its admin exports it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from bids.models import Tender
from disputes.models import Dispute
from kiaa.models import Alliance, User
from kiaa.reports import kinds
from partnerships.demo import CONSORTIUM
from partnerships.models import Partnership
from tests.reports import Exported, export

pytestmark = pytest.mark.django_db
SIX = {
    "declarations_register",
    "tender_conflicts",
    "breach_register",
    "dispute_ruling",
    "partnership_mou",
    "annual_compliance",
}


@pytest.fixture
def demo() -> Alliance:
    call_command("seed_demo", stdout=StringIO())
    return Alliance.objects.get(slug="kirkvale")


def exported(demo: Alliance, kind: str, **params: object) -> Exported:
    return export(User.objects.get(username="alliance.admin"), demo, kind, **params)


def test_the_six_kinds_are_registered() -> None:
    assert set(kinds.names()) >= SIX


def test_each_kind_renders_for_the_demo_alliance(demo: Alliance) -> None:
    contested = (
        Tender.objects.for_alliance(demo)
        .annotate(bids=Count("declarations"))
        .order_by("-bids", "pk")
        .first()
    )
    ruled = Dispute.objects.for_alliance(demo).get(status=Dispute.Status.RULED)
    consortium = Partnership.objects.for_alliance(demo).get(name=CONSORTIUM)
    choices: dict[str, dict[str, object]] = {
        "declarations_register": {},
        "tender_conflicts": {"tender": contested.pk},  # type: ignore[union-attr]
        "breach_register": {},
        "dispute_ruling": {"dispute": ruled.pk},
        "partnership_mou": {"partnership": consortium.pk},
        "annual_compliance": {"year": timezone.localdate().year},
    }
    for name, params in choices.items():
        got = exported(demo, name, **params)
        kind = kinds.get(name)
        assert kind is not None
        assert got.pages >= 1, name
        first = got.page_text(1)
        assert kind.title in first and "Kirkvale" in first, name
        assert f"Page 1 of {got.pages}" in first, name
        assert f"Audit trail #{got.export.audit_seq}" in first, name


def test_the_registers_export_as_csv_for_the_demo_alliance(demo: Alliance) -> None:
    for name in ("declarations_register", "breach_register"):
        rows = exported(demo, name, format="csv").rows
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows), name
