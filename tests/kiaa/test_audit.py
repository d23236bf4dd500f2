"""The audit trail: every change is chained, and tampering of any kind is named by verify_audit."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from kiaa import audit
from kiaa.models import AuditEvent, AuditHead
from kiaa.services import alliances
from tests.factories import AgencyFactory, AllianceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chained(world):
    """The home alliance after a few audited changes (agencies admitted, areas added)."""
    for n in range(4):
        AgencyFactory(alliance=world.alliance, name=f"Chained {n}")
    return world.alliance


def events(alliance):
    return list(AuditEvent.objects.filter(alliance=alliance).order_by("seq"))


def test_every_service_write_appends_a_linked_event(chained):
    chain = events(chained)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    assert audit.verify(chained) is None


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(world):
    with pytest.raises(RuntimeError):
        audit.record(alliance=world.alliance, actor=None, verb="x", target=world.lead)


def test_changed_payload_is_caught_at_that_event(chained):
    victim = events(chained)[3]
    AuditEvent.objects.filter(pk=victim.pk).update(payload={**victim.payload, "name": "Forged"})
    link = audit.verify(chained)
    assert link is not None and link.seq == victim.seq
    assert "changed" in link.reason


def test_changed_actor_or_time_is_caught(chained, admin):
    victim = events(chained)[2]
    AuditEvent.objects.filter(pk=victim.pk).update(actor=admin)
    assert audit.verify(chained).seq == victim.seq


def test_rehashed_forgery_breaks_the_next_link(chained):
    victim = events(chained)[2]
    victim.payload = {"forged": True}
    victim.hash = audit.event_hash(victim)
    AuditEvent.objects.filter(pk=victim.pk).update(payload=victim.payload, hash=victim.hash)
    link = audit.verify(chained)
    assert link.seq == victim.seq + 1
    assert "does not link" in link.reason


def test_swapped_order_is_caught(chained):
    first, second = events(chained)[2:4]
    with transaction.atomic():
        AuditEvent.objects.filter(pk=first.pk).update(seq=10_000)
        AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
        AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    link = audit.verify(chained)
    assert link.seq == first.seq


def test_deleted_middle_event_is_caught(chained):
    victim = events(chained)[2]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    link = audit.verify(chained)
    assert link.seq == victim.seq and "missing" in link.reason


def test_deleted_last_event_is_caught_by_the_head(chained):
    last = events(chained)[-1]
    AuditEvent.objects.filter(pk=last.pk).delete()
    link = audit.verify(chained)
    assert link.seq == last.seq and "end of the chain" in link.reason


def test_verify_audit_command_names_the_first_broken_link_and_fails(chained, world):
    victim = events(chained)[1]
    AuditEvent.objects.filter(pk=victim.pk).update(verb="agency.forged")
    with pytest.raises(CommandError, match=rf"home: event #{victim.seq}: contents changed"):
        call_command("verify_audit", "--alliance", "home")
    with pytest.raises(CommandError, match="home: event"):
        call_command("verify_audit")


def test_verify_audit_command_passes_an_intact_chain(chained, capsys):
    call_command("verify_audit", "--alliance", "home")
    assert "intact" in capsys.readouterr().out


def test_verify_audit_refuses_an_unknown_alliance(chained):
    with pytest.raises(CommandError, match="No alliance"):
        call_command("verify_audit", "--alliance", "nowhere")


def test_tampering_in_one_alliance_leaves_the_others_intact(chained, world):
    AgencyFactory(alliance=world.other_alliance, name="Other 2")
    AuditEvent.objects.filter(alliance=chained, seq=2).update(verb="forged")
    assert audit.verify(world.other_alliance) is None
    assert [link.alliance for link in audit.verify_all()] == ["home"]


def test_nightly_task_reports_broken_chains(chained, caplog):
    from kiaa.tasks import audit_verify_all

    assert audit_verify_all() == 0
    AuditEvent.objects.filter(alliance=chained, seq=2).update(verb="forged")
    assert audit_verify_all() == 1
    assert "Audit chain broken: home: event #2" in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_do_not_fork_the_chain():
    """Eight threads admit agencies at once; the head lock keeps one straight chain."""
    alliance = AllianceFactory(slug="busy")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def admit(n: int) -> None:
        try:
            barrier.wait()
            alliances.agency_create(
                actor=None, alliance=alliance, name=f"Busy {n}", size_band="small", reach="local"
            )
        except BaseException as error:  # surfaced below; a thread must not swallow it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=admit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain = events(alliance)
    assert [e.seq for e in chain] == list(range(1, 10))
    assert len({e.prev_hash for e in chain}) == len(chain)
    assert AuditHead.objects.get(alliance=alliance).last_seq == 9
    assert audit.verify(alliance) is None
