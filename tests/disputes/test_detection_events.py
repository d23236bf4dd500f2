"""Detection after each change (through the outbox) and on demand (`manage.py run_detectors`).

Celery is eager in tests, so a committed change's detection runs in-process at the commit;
tests/live/ proves the same through a real broker and worker.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from disputes.models import Breach
from kiaa.models import OutboxMessage
from partnerships.services import documents
from tests.factories.bids import declare, make_tender
from tests.factories.partnerships import chief_of, debt_advice_network, upload

pytestmark = pytest.mark.django_db

DETECT = "disputes.tasks.breaches_detect"


def late_tender(world):
    return make_tender(world.alliance, eoi_deadline=timezone.now() - timedelta(days=1))


def test_a_late_declaration_is_found_as_soon_as_it_commits(
    world, django_capture_on_commit_callbacks
):
    tender = late_tender(world)
    with django_capture_on_commit_callbacks(execute=True):
        declare(tender, world.competitor)

    breach = Breach.objects.get()
    assert (breach.kind, breach.agency) == (Breach.Kind.LATE_DECLARATION, world.competitor)
    assert not OutboxMessage.objects.filter(task=DETECT, done_at__isnull=True).exists()


def test_detection_after_an_event_looks_only_at_what_the_event_touched(
    world, django_capture_on_commit_callbacks
):
    quiet = late_tender(world)
    declare(quiet, world.lead)  # committed with no detection run: callbacks not executed
    with django_capture_on_commit_callbacks(execute=True):
        declare(late_tender(world), world.competitor)

    assert list(Breach.objects.values_list("agency", flat=True)) == [world.competitor.pk]


def test_opening_a_partnership_paper_while_withdrawn_asks_for_detection(
    world, django_capture_on_commit_callbacks
):
    network = debt_advice_network(world.lead, world.partner)
    paper = upload(chief_of(world.lead), world.lead, partnership=network, title="Rota")
    declare(make_tender(world.alliance, areas=("debt-advice",)), world.partner)
    OutboxMessage.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        documents.document_access_record(
            person=chief_of(world.partner),
            document=paper,
            action="view",
            channel="page",
            agency=world.partner,
        )

    breach = Breach.objects.get(kind=Breach.Kind.WORKED_DURING_WITHDRAWAL)
    assert breach.agency == world.partner


def test_opening_a_paper_while_not_withdrawn_costs_no_detection(world):
    network = debt_advice_network(world.lead, world.partner)
    paper = upload(chief_of(world.lead), world.lead, partnership=network, title="Rota")
    OutboxMessage.objects.all().delete()

    documents.document_access_record(
        person=chief_of(world.partner),
        document=paper,
        action="view",
        channel="page",
        agency=world.partner,
    )

    assert not OutboxMessage.objects.exists()


def test_run_detectors_finds_what_the_events_missed_and_reports_it(world):
    declare(late_tender(world), world.competitor)  # its detection never ran
    out = StringIO()

    call_command("run_detectors", stdout=out)
    call_command("run_detectors", "--alliance", "home", stdout=out)

    assert Breach.objects.count() == 1
    assert "home: 1 found, 1 new, 0 updated, 0 cleared" in out.getvalue()
    assert "home: 1 found, 0 new, 0 updated, 0 cleared" in out.getvalue()


def test_run_detectors_for_an_unknown_alliance_says_so(world):
    with pytest.raises(CommandError, match="No alliance with the slug 'nowhere'"):
        call_command("run_detectors", "--alliance", "nowhere")


def test_the_periodic_reconcile_runs_every_alliance(world):
    from disputes import tasks

    declare(late_tender(world), world.competitor)
    declare(
        make_tender(world.other_alliance, eoi_deadline=timezone.now() - timedelta(days=1)),
        world.other_agency,
    )

    assert tasks.breaches_reconcile_all(job="reconcile-breaches") == 2
    assert tasks.breaches_reconcile_all(job="reconcile-breaches") is None  # same tick

    assert Breach.objects.count() == 0  # queued in the outbox, to run after the commit
    for message in OutboxMessage.objects.filter(task="disputes.tasks.breaches_reconcile"):
        tasks.breaches_reconcile(**message.kwargs)
    assert set(Breach.objects.values_list("alliance", flat=True)) == {
        world.alliance.pk,
        world.other_alliance.pk,
    }
