"""Property: whatever was recorded, and whichever single event is tampered with, verify finds it."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiaa import audit
from kiaa.models import AuditEvent
from tests.factories import AllianceFactory

pytestmark = pytest.mark.django_db

# JSON the services may record: user text (never NUL, which forms and serializers refuse), numbers, flags.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_characters="\x00")),
)
payloads = st.dictionaries(
    st.text(min_size=1, max_size=10, alphabet="abcdefgh_"),
    st.one_of(scalars, st.lists(scalars, max_size=3)),
    max_size=4,
)
TAMPERS = ["payload", "verb", "target", "time", "delete", "swap"]


def record_all(items: list[dict]) -> object:
    alliance = AllianceFactory()
    with transaction.atomic():
        for payload in items:
            audit.record(
                alliance=alliance,
                actor=None,
                verb="test.recorded",
                target=alliance,
                payload=payload,
            )
    return alliance


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(payloads, min_size=2, max_size=8), data=st.data())
def test_any_single_tamper_is_found_at_its_event(items, data):
    alliance = record_all(items)
    assert audit.verify(alliance) is None, "an untouched chain must verify, whatever its payloads"
    chain = list(AuditEvent.objects.filter(alliance=alliance).order_by("seq"))
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 2), label="event")
    tamper = data.draw(st.sampled_from(TAMPERS), label="tamper")
    victim = AuditEvent.objects.filter(pk=chain[index].pk)
    if tamper == "payload":
        victim.update(payload={**chain[index].payload, "forged": True})
    elif tamper == "verb":
        victim.update(verb="test.forged")
    elif tamper == "target":
        victim.update(target_id="999999")
    elif tamper == "time":
        victim.update(created_at=chain[index].created_at.replace(year=2001))
    elif tamper == "delete":
        victim.delete()
    else:
        with transaction.atomic():
            AuditEvent.objects.filter(pk=chain[index + 1].pk).update(seq=0)
            victim.update(seq=chain[index + 1].seq)
            AuditEvent.objects.filter(pk=chain[index + 1].pk).update(seq=chain[index].seq)
    link = audit.verify(alliance)
    assert link is not None, f"{tamper} of event #{chain[index].seq} went unnoticed"
    assert link.seq == chain[index].seq
