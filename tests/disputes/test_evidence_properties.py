"""Who reads a dispute's evidence, over random people and submissions.

Hypothesis plans people with random roles in the two parties, an unrelated agency and the
CVS, and submissions from either party or the arbiter with random visibility; the services
build them. Then the dispute page's selector must agree, for every person and submission, with
the rule written out from the issue's words: the arbiter reads everything; a party's chief
officer or trustee reads their own side's, the other side's shared ones and the arbiter's;
nobody else reads any (and a dispute they may not see is a 404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disputes import selectors
from disputes.models import Dispute
from disputes.services import disputes, evidence
from kiaa.models import Role
from tests.bids.barrier_builder import rolled_back
from tests.factories import AgencyFactory, AllianceFactory, PersonFactory, grant

pytestmark = pytest.mark.django_db

# Agencies by index: the complainant, the respondent, an unrelated member, the CVS.
COMPLAINANT, RESPONDENT, OTHER, CVS = range(4)
ROLES = (Role.CHIEF_OFFICER, Role.TRUSTEE, Role.STAFF)
people = st.lists(
    st.frozensets(
        st.tuples(st.sampled_from((COMPLAINANT, RESPONDENT, OTHER)), st.sampled_from(ROLES)),
        max_size=3,
    ),
    min_size=1,
    max_size=4,
)
# (who submits: a party index or "arbiter", visibility)
submissions = st.lists(
    st.tuples(
        st.sampled_from((COMPLAINANT, RESPONDENT, "arbiter")),
        st.sampled_from(("arbiter", "shared")),
    ),
    min_size=1,
    max_size=5,
)


def reads(held: frozenset[tuple[int, str]], who: Any, visibility: str) -> bool:
    """The rule in plain words, for a person who is not the arbiter."""
    sides = {a for a, r in held if a in (COMPLAINANT, RESPONDENT) and r != Role.STAFF}
    if not sides:
        return False
    return who == "arbiter" or who in sides or visibility == "shared"


def build(
    plan_people: list[frozenset[tuple[int, str]]], plan_submissions: list[tuple[Any, str]]
) -> tuple[Dispute, list[Any], Any, list[str]]:
    alliance = AllianceFactory()
    agencies = [AgencyFactory(alliance=alliance) for _ in range(3)]
    agencies.append(AgencyFactory(alliance=alliance, is_arbiter=True))
    chiefs = []
    for agency in agencies[:2]:
        chief = PersonFactory()
        grant(chief, Role.CHIEF_OFFICER, agency)
        chiefs.append(chief)
    arbiter = PersonFactory()
    grant(arbiter, Role.ARBITER, agencies[CVS])
    dispute = disputes.dispute_file(
        actor=chiefs[COMPLAINANT],
        alliance=alliance,
        complainant=agencies[COMPLAINANT],
        respondent=agencies[RESPONDENT],
        subject="general",
        summary="A disagreement.",
    )
    today = timezone.localdate()
    dispute = disputes.dispute_accept(
        actor=arbiter,
        dispute=dispute,
        evidence_due_on=today + timedelta(days=3),
        ruling_due_on=today + timedelta(days=9),
    )
    statements = []
    for n, (who, visibility) in enumerate(plan_submissions):
        actor = arbiter if who == "arbiter" else chiefs[who]
        statement = f"Statement {n}"
        evidence.submission_add(
            actor=actor, dispute=dispute, statement=statement, visibility=visibility
        )
        statements.append(statement)
    persons = []
    for held in plan_people:
        person = PersonFactory()
        for agency, role in sorted(held):
            grant(person, role, agencies[agency])
        if not held:
            grant(person, Role.STAFF, agencies[OTHER])
        persons.append(person)
    return dispute, persons, arbiter, statements


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan_people=people, plan_submissions=submissions)
def test_every_reader_sees_exactly_what_the_rule_allows(
    plan_people: Any, plan_submissions: Any
) -> None:
    with rolled_back():
        dispute, persons, arbiter, statements = build(plan_people, plan_submissions)
        seen_by_arbiter = [
            e.submission.statement
            for e in selectors.submission_list_for(person=arbiter, dispute=dispute)
        ]
        assert seen_by_arbiter == statements
        for held, person in zip(plan_people, persons, strict=True):
            expected = [
                s
                for s, (who, vis) in zip(statements, plan_submissions, strict=True)
                if reads(held, who, vis)
            ]
            try:
                found = selectors.dispute_get_for(
                    person=person, alliance=dispute.alliance, pk=dispute.pk
                )
            except Http404:
                assert expected == [], (held, plan_submissions)
                continue
            got = [
                e.submission.statement
                for e in selectors.submission_list_for(person=person, dispute=found)
            ]
            assert got == expected, (held, plan_submissions)
