"""Declaring costs a fixed number of queries, however many partnerships and papers it touches.

The board's deciding vote declares the bid, reads the conflicts, opens a withdrawal from each
overlapping partnership and reconciles the barrier for all their papers: the same number of
queries for an agency in 2 partnerships with 5 papers each as in 20 with 50 each.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bids.models import Declaration
from bids.services import declarations
from kiaa import barrier
from kiaa.models import BoardDecision
from kiaa.services.alliances import agency_update
from kiaa.services.decisions import decision_vote
from partnerships.models import Document, Withdrawal
from tests.factories import AgencyFactory, AllianceFactory, ServiceAreaFactory
from tests.factories.bids import draft, make_tender
from tests.factories.core import _platform_admin
from tests.factories.partnerships import board_of, chief_of, make_partnership

pytestmark = pytest.mark.django_db

# The ceiling for the whole deciding vote (84 measured: the vote, the board's standing, the
# conflicts, the withdrawals, the barrier, the notifications, each audited).
MAX_QUERIES = 90


def deciding_vote(partnerships: int, papers: int) -> tuple[int, float, Declaration]:
    """An agency in `partnerships` debt-advice partnerships with `papers` commercial papers
    each; returns the queries and seconds the vote that declares its bid takes."""
    alliance = AllianceFactory()
    ServiceAreaFactory(alliance=alliance, name="Debt advice", slug="debt-advice")
    agency = AgencyFactory(alliance=alliance)
    agency_update(actor=_platform_admin(alliance), agency=agency, service_areas=["debt-advice"])
    others = [AgencyFactory(alliance=alliance) for _ in range(3)]
    for n in range(partnerships):
        partnership = make_partnership(
            agency, others[n % 3], name=f"Network {n}", areas=("debt-advice",)
        )
        # Papers in bulk: uploading a thousand files through the service would only slow the
        # set-up; the barrier then grants them as the service would.
        Document.objects.bulk_create(
            Document(
                alliance=alliance,
                title=f"Paper {n}.{i}",
                sensitivity="commercial",
                owner_agency=others[n % 3],
                partnership=partnership,
                file=f"documents/{n}-{i}.pdf",
                original_name=f"{n}-{i}.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                uploaded_by=chief_of(others[n % 3]),
                created_at=timezone.now(),
            )
            for i in range(papers)
        )
    barrier.reconcile_alliance(alliance)
    declaration = draft(make_tender(alliance, areas=("debt-advice",)), agency)
    declarations.declaration_submit_for_approval(actor=chief_of(agency), declaration=declaration)
    decision = BoardDecision.objects.get(subject_type="bids.declaration", subject_id=declaration.pk)
    first, second = board_of(agency)
    decision_vote(actor=first, decision=decision, choice="approve")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        decision_vote(actor=second, decision=decision, choice="approve")
        seconds = time.perf_counter() - started
    declaration.refresh_from_db()
    return len(queries), seconds, declaration


def test_declaring_for_an_agency_in_20_partnerships_with_50_papers_each_is_bounded():
    small, _, _ = deciding_vote(partnerships=2, papers=5)
    large, seconds, declaration = deciding_vote(partnerships=20, papers=50)
    print(f"\ndeciding vote: {small} queries (2 x 5), {large} queries (20 x 50) in {seconds:.3f}s")
    assert declaration.status == Declaration.Status.DECLARED
    assert Withdrawal.objects.filter(agency=declaration.agency).active().count() == 20
    assert large == small
    assert large <= MAX_QUERIES
