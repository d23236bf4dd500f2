#!/usr/bin/env python
"""Benchmark: a ~100-page declarations register, exported as a user gets it.

Budget (docs/PERFORMANCE.md, "Reports"): the whole export of the register for an alliance
admin (request, read from the database, layout, join, store) in under 10 s median wall time
and under 400 MB peak memory of the whole process tree (this process plus its child render
processes), on the 2-core development machine.

    .venv/bin/python bench/report_pdf.py            # 1 warm-up run, then 3 timed runs
    .venv/bin/python bench/report_pdf.py --runs 5
    .venv/bin/python bench/report_pdf.py --profile  # where the time goes (cProfile)

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/kiaa_bench; the
database is created and migrated when missing), REPORT_RENDER_PROCESSES (default 2),
DJANGO_ENV (default local, with DEBUG off). The data (one alliance, "bench-register") is
built once with a fixed seed and reused; `--reseed` drops it and builds it again.

Exits 1 when the budget is missed, saying which part of it.

This is bench code, not product code: the bulk of the data is written with bulk_create (the
services would take minutes for hundreds of declarations), but every row is what the services
would have written: alliance_id on every row, statuses, board decisions and votes,
withdrawals and timestamps consistent with each other.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import configure, ensure_database, ensure_migrated, setup_django
from bench.words import AREAS, KINDS, PLACES, SERVICES

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kiaa_bench"
BUDGET_SECONDS = 10.0
BUDGET_MB = 400.0  # MiB of resident memory, summed over the process tree
SAMPLE_EVERY = 0.05  # seconds
KIND = "declarations_register"
SLUG = "bench-register"
SEED = 20260105
TENDERS = 80  # tuned so the admin's register is about 100 A4 pages


# ----------------------------------------------------------------------------- environment


def no_eager_render() -> None:
    """Without a broker, Celery runs tasks eagerly: report_request would draw the export
    inside its own commit. Queue it on the in-memory transport instead, as a real broker
    would hold it for a worker; this script then runs the worker's part, report_render."""
    from kiaa.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"


# ----------------------------------------------------------------------------- the data

COMMISSIONERS = [
    "Kirkvale Borough Council",
    "Moorside Metropolitan Council",
    "Pennine Integrated Care Board",
    "West Riding Combined Authority",
    "Northbridge City Council",
    "Calder Valley NHS Trust",
]
STEP_BACK_REASONS = [
    "The incumbent is doing good work on this contract; we support its bid.",
    "Outside our capacity this year: our caseworkers are committed to the hub contract.",
    "We prefer to support the consortium informally rather than bid.",
    "The contract value does not cover full cost recovery for us.",
    "Our trustees asked us not to expand into this area until our review is done.",
]
WITHDRAW_REASONS = [
    "We could not recruit the caseworkers in time.",
    "The commissioner's pricing would not cover our costs.",
    "Our board asked us to concentrate on our existing contracts.",
]
BASE = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
STATUS_PATTERN = [
    "awarded",
    "open",
    "closed",
    "open",
    "awarded",
    "open",
    "closed",
    "open",
    "awarded",
    "open",
]
AGENCIES = 40
PARTNERSHIPS = 12


@dataclass
class Unit:
    """One bid on a tender: its lead (or sole bidder) and the partners it names."""

    lead: int  # agency index
    partners: list[int] = field(default_factory=list)
    status: str = "declared"


def seed(*, tenders: int = TENDERS) -> None:
    """One alliance with its agencies, people, partnerships, tenders and bids, built once."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from bids import rules
    from bids.models import (
        BidWithdrawal,
        Declaration,
        NamedPartner,
        StepBack,
        Tender,
        TenderServiceArea,
    )
    from bids.services.declarations import _question
    from bids.services.withdrawals import REASON
    from bids.snapshot import snapshots
    from kiaa.models import Agency, BoardDecision, BoardVote, Protocol, Role, User
    from kiaa.services import alliances, members
    from partnerships.models import (
        Partnership,
        PartnershipMember,
        PartnershipServiceArea,
        Withdrawal,
    )

    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        alliance = alliances.alliance_create(name="Bench Register Alliance", slug=SLUG)
        unusable = make_password(None)

        def person(username: str, first: str, last: str) -> User:
            return User(
                username=username,
                email=f"{username}@bench.example.org",
                first_name=first,
                last_name=last,
                password=unusable,
            )

        admin = person("bench.admin", "Alex", "Admin")
        admin.save()
        members.membership_grant(
            actor=None, alliance=alliance, user=admin, role=Role.ALLIANCE_ADMIN, agency=None
        )
        for slug, name in AREAS:
            alliances.service_area_create(actor=admin, alliance=alliance, name=name, slug=slug)

        names = [f"{p} {k}" for p in PLACES for k in KINDS]
        rng.shuffle(names)
        agencies: list[Agency] = []
        for index, name in enumerate(sorted(names[:AGENCIES])):
            areas = rng.sample([slug for slug, _ in AREAS], rng.choice([1, 2, 2, 3]))
            agencies.append(
                alliances.agency_create(
                    actor=None,
                    alliance=alliance,
                    name=name,
                    size_band=rng.choice(list(Agency.SizeBand.values)),
                    reach=rng.choice(list(Agency.Reach.values)),
                    charity_number=f"{1100000 + index * 37}",
                    service_areas=areas,
                )
            )
        # A chief officer and two or three trustees each: who opens and decides the questions.
        chiefs: dict[int, User] = {}
        trustees: dict[int, list[User]] = {}
        people: list[tuple[User, Agency, str]] = []
        for n, agency in enumerate(agencies):
            chief = person(f"bench.a{n:02d}.chief", "Chris", f"Chief{n:02d}")
            board = [
                person(f"bench.a{n:02d}.trustee{t}", "Terry", f"Trustee{n:02d}{t}")
                for t in range(1, rng.choice([3, 3, 4]))
            ]
            chiefs[agency.pk], trustees[agency.pk] = chief, board
            people += [(chief, agency, Role.CHIEF_OFFICER)]
            people += [(t, agency, Role.TRUSTEE) for t in board]
        User.objects.bulk_create([p for p, _, _ in people])
        for user, agency, role in people:
            members.membership_grant(
                actor=None, alliance=alliance, user=user, role=role, agency=agency
            )

        area_ids = dict(alliance_areas(alliance))
        partnerships = _partnerships(rng, alliance, agencies, chiefs, area_ids)
        Partnership.objects.bulk_create([p for p, _, _ in partnerships])
        for partnership, found, _ in partnerships:
            for member in found:
                member.partnership = partnership
        PartnershipMember.objects.bulk_create([m for _, found, _ in partnerships for m in found])
        PartnershipServiceArea.objects.bulk_create(
            [
                PartnershipServiceArea(alliance=alliance, partnership=p, service_area_id=a)
                for p, _, areas in partnerships
                for a in areas
            ]
        )

        # Tenders, each drawn from a generator of its own, so that asking for more tenders
        # adds tenders and leaves the first ones as they were.
        each = [random.Random(SEED * 1000 + i) for i in range(tenders)]
        made: list[Tender] = []
        tender_areas: dict[int, list[int]] = {}
        for i in range(tenders):
            rng = each[i]
            created = BASE + timedelta(days=i * 2, hours=rng.randint(0, 6))
            status = plans_status(i)
            made.append(
                Tender(
                    alliance=alliance,
                    reference=f"BR-{created:%y}-{i + 1:03d}",
                    title=f"{rng.choice(SERVICES)}, lot {rng.randint(1, 4)}",
                    description="Bench tender.",
                    commissioner=rng.choice(COMMISSIONERS),
                    value_pence=rng.randint(20, 900) * 100_000,
                    eoi_deadline=created + timedelta(days=21),
                    submission_deadline=created + timedelta(days=42),
                    award_expected_on=(created + timedelta(days=75)).date(),
                    incumbent_agency=rng.choice(agencies) if rng.random() < 0.3 else None,
                    # Awarded once its winner exists (the constraint asks for one).
                    status="closed" if status == "awarded" else status,
                    created_by=admin,
                    created_at=created,
                    updated_at=created,
                )
            )
            tender_areas[i] = rng.sample(list(area_ids.values()), rng.choice([1, 1, 2]))
        Tender.objects.bulk_create(made)
        TenderServiceArea.objects.bulk_create(
            [
                TenderServiceArea(alliance=alliance, tender=t, service_area_id=a)
                for i, t in enumerate(made)
                for a in tender_areas[i]
            ]
        )

        plans = [_plan(each[i], i) for i in range(tenders)]
        leads: list[Declaration] = []
        lead_units: list[tuple[int, Unit]] = []
        for i, units in enumerate(plans):
            tender = made[i]
            for unit in units:
                leads.append(
                    _declaration(
                        each[i],
                        alliance,
                        tender,
                        agencies[unit.lead],
                        chiefs,
                        unit.status,
                        "lead" if unit.partners else "sole",
                    )
                )
                lead_units.append((i, unit))
        Declaration.objects.bulk_create(leads)

        namings: list[NamedPartner] = []
        partner_bids: list[Declaration] = []
        for lead, (i, unit) in zip(leads, lead_units, strict=True):
            for p in unit.partners:
                agency = agencies[p]
                naming, bid = _partner(each[i], alliance, lead, agency, chiefs)
                namings.append(naming)
                if bid is not None:
                    partner_bids.append(bid)
        Declaration.objects.bulk_create(partner_bids)
        NamedPartner.objects.bulk_create(namings)

        # Who stepped back: agencies with no bid on the tender, before any award.
        step_backs = []
        for i, units in enumerate(plans):
            bidding = {u.lead for u in units} | {p for u in units for p in u.partners}
            others = [n for n in range(len(agencies)) if n not in bidding]
            rng = each[i]
            for n in rng.sample(others, rng.choice([0, 0, 1, 1, 1, 2])):
                tender = made[i]
                step_backs.append(
                    StepBack(
                        alliance=alliance,
                        tender=tender,
                        agency=agencies[n],
                        reason=rng.choice(STEP_BACK_REASONS),
                        recorded_by=chiefs[agencies[n].pk],
                        recorded_at=tender.created_at + timedelta(days=rng.randint(3, 18)),
                    )
                )
        StepBack.objects.bulk_create(step_backs)

        # The trustee boards' questions and votes, as decision_open and decision_vote leave them.
        every = leads + partner_bids
        by_pk = {d.pk: d for d in every}
        decisions: list[BoardDecision] = []
        votes: list[tuple[BoardDecision, list[tuple[User, str, datetime]]]] = []
        votes_rng = random.Random(SEED + 1)
        for d in every:
            asked = _board(votes_rng, alliance, d, chiefs, trustees, by_pk, _question)
            if asked is not None:
                decisions.append(asked[0])
                votes.append(asked)
        BoardDecision.objects.bulk_create(decisions)
        BoardVote.objects.bulk_create(
            [
                BoardVote(
                    alliance=alliance, decision=decision, trustee=t, choice=choice, cast_at=at
                )
                for decision, cast in votes
                for t, choice, at in cast
            ]
        )

        # Awards: the winning bid wins, the other competing bids lose, undecided ones end.
        grace = Protocol.objects.get(alliance=alliance).withdrawal_grace_days
        awarded: dict[int, datetime] = {}
        for i in range(len(plans)):
            tender = made[i]
            if plans_status(i) != "awarded":
                continue
            unit_leads = [d for d in leads if d.tender_id == tender.pk]
            winner = next(d for d in unit_leads if d.status == "won")
            tender.status, tender.winner = "awarded", winner
            awarded_on = (tender.created_at + timedelta(days=42 + 30)).date()  # submissions + 30
            tender.awarded_on, tender.updated_at = awarded_on, _moment(awarded_on)
            awarded[tender.pk] = _moment(awarded_on)
        Tender.objects.bulk_update(made, ["status", "winner", "awarded_on", "updated_at"])
        for d in every:
            if d.tender_id in awarded and d.status in ("won", "lost"):
                d.closed_at = awarded[d.tender_id]
        Declaration.objects.bulk_update(every, ["closed_at"])

        # Withdrawals from partnership working, exactly where the rules ask for them.
        snaps = snapshots(made)
        tenders_by_pk = {t.pk: t for t in made}
        withdrawals: list[tuple[Withdrawal, Declaration, datetime | None]] = []
        for d in every:
            if d.status not in ("declared", "submitted", "won", "lost"):
                continue
            tender = tenders_by_pk[d.tender_id]
            snap = snaps[tender.pk]
            needed = rules.withdrawals_needed(snap, snap.bid(d.pk))
            end: datetime | None = None
            if d.status == "lost":
                end = awarded[tender.pk]
            elif d.status == "won":
                # As tender_award's grace end: midnight after the grace days, local time.
                after = awarded[tender.pk].date() + timedelta(days=grace)
                end = timezone.make_aware(datetime.combine(after, clock.min))
            for partnership_id in needed:
                withdrawals.append(
                    (
                        Withdrawal(
                            alliance=alliance,
                            partnership_id=partnership_id,
                            agency_id=d.agency_id,
                            reason=REASON.format(reference=tender.reference, title=tender.title),
                            starts_at=d.declared_at or d.created_at,
                            ends_at=end,
                            created_by=chiefs[d.agency_id],
                        ),
                        d,
                        end,
                    )
                )
        Withdrawal.objects.bulk_create([w for w, _, _ in withdrawals])
        BidWithdrawal.objects.bulk_create(
            [
                BidWithdrawal(
                    alliance=alliance,
                    withdrawal=w,
                    declaration=d,
                    tender_id=d.tender_id,
                    closed_at=end,
                )
                for w, d, end in withdrawals
            ]
        )
    print(
        f"Seeded {SLUG}: {len(agencies)} agencies, {len(partnerships)} partnerships, "
        f"{len(made)} tenders, {len(every)} declarations ({len(partner_bids)} as partners), "
        f"{len(step_backs)} step-backs, {len(decisions)} board questions, "
        f"{len(withdrawals)} withdrawals in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def alliance_areas(alliance: Any) -> list[tuple[str, int]]:
    from kiaa.models import ServiceArea

    return list(ServiceArea.objects.for_alliance(alliance).values_list("slug", "pk"))


def plans_status(i: int) -> str:
    """Three tenders in ten awarded, two closed for submissions, five still open."""
    return STATUS_PATTERN[i % len(STATUS_PATTERN)]


def _moment(day: date) -> datetime:
    return datetime.combine(day, clock(10, 0), tzinfo=UTC)


def _partnerships(
    rng: random.Random, alliance: Any, agencies: list[Any], chiefs: dict[int, Any], areas: dict
) -> list[tuple[Any, list[Any], list[int]]]:
    from partnerships.models import Partnership, PartnershipMember

    made = []
    for n in range(PARTNERSHIPS):
        chosen = rng.sample(agencies, rng.randint(3, 6))
        lead = chosen[0]
        created = BASE - timedelta(days=400 - n * 20)
        kind = rng.choice(["network", "network", "consortium", "alliance_contract"])
        name = f"{PLACES[n % len(PLACES)]} {['advice network', 'advice consortium', 'partnership'][n % 3]}"
        partnership = Partnership(
            alliance=alliance,
            name=name,
            kind=kind,
            description="Bench partnership.",
            lead_agency=lead,
            status="confirmed",
            created_by=chiefs[lead.pk],
            created_at=created,
            confirmed_at=created + timedelta(days=14),
        )
        found = [
            PartnershipMember(
                alliance=alliance,
                agency=a,
                role="lead" if a is lead else "partner",
                status="active",
                invited_by=chiefs[lead.pk],
                invited_at=created,
                joined_at=created + timedelta(days=7),
            )
            for a in chosen
        ]
        made.append((partnership, found, rng.sample(list(areas.values()), rng.choice([1, 2, 2]))))
    return made


def _plan(rng: random.Random, i: int) -> list[Unit]:
    """The bids on tender i: one to four, alone or as consortia, and how far each got."""
    status = plans_status(i)
    pool = list(range(AGENCIES))
    rng.shuffle(pool)
    units = []
    for _ in range(rng.choices([1, 2, 3, 4], weights=[15, 35, 30, 20])[0]):
        lead = pool.pop()
        partners = [pool.pop() for _ in range(rng.choice([0, 0, 1, 2, 2, 3]))]
        units.append(Unit(lead, partners))
    for unit in units:
        if status == "open":
            unit.status = rng.choices(
                ["declared", "awaiting_board", "draft", "rejected", "withdrawn"],
                weights=[70, 12, 6, 5, 7],
            )[0]
        elif status == "closed":
            unit.status = rng.choices(
                ["submitted", "declared", "withdrawn", "rejected"], weights=[75, 10, 10, 5]
            )[0]
        else:
            unit.status = rng.choices(["lost", "withdrawn"], weights=[85, 15])[0]
    if status == "awarded":
        units[0].status = "won"
    return units


def _declaration(
    rng: random.Random,
    alliance: Any,
    tender: Any,
    agency: Any,
    chiefs: dict,
    status: str,
    capacity: str,
) -> Any:
    from bids.models import Declaration

    created = tender.created_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
    declared = closed = None
    reason = ""
    # About one in six declares after the expression-of-interest deadline (a "late" finding).
    if status in ("declared", "submitted", "won", "lost") or (
        status == "withdrawn" and rng.random() < 0.5
    ):
        declared = created + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 6))
    if status in ("withdrawn", "rejected"):
        closed = (declared or created) + timedelta(days=rng.randint(1, 5))
        reason = rng.choice(WITHDRAW_REASONS) if status == "withdrawn" else ""
    return Declaration(
        alliance=alliance,
        tender=tender,
        agency=agency,
        capacity=capacity,
        summary="Bench declaration.",
        status=status,
        drafted_by=chiefs[agency.pk],
        created_at=created,
        declared_at=declared,
        closed_at=closed,
        closing_reason=reason,
    )


def _partner(
    rng: random.Random, alliance: Any, lead: Any, agency: Any, chiefs: dict
) -> tuple[Any, Any]:
    """The lead names the partner; most confirm (declaring as a partner), some decline or have
    not answered yet."""
    from bids.models import Declaration, NamedPartner

    share = Decimal(rng.choice([10, 15, 20, 25, 30, 40]))
    named_at = lead.created_at
    answer = rng.choices(["confirmed", "named", "declined"], weights=[85, 8, 7])[0]
    if lead.status == "withdrawn":
        answer = "declined" if answer == "confirmed" else answer
    naming = NamedPartner(
        alliance=alliance,
        declaration=lead,
        agency=agency,
        proposed_share_pct=share,
        status=answer,
        named_by=chiefs[lead.agency_id],
        named_at=named_at,
    )
    if answer == "named":
        return naming, None
    answered = named_at + timedelta(days=rng.randint(1, 3))
    naming.answered_by, naming.answered_at = chiefs[agency.pk], answered
    if answer == "declined" and lead.status != "withdrawn":
        return naming, None
    # The partner's own declaration follows its lead's, its board deciding in its own time.
    status, declared, closed, reason = lead.status, None, None, ""
    if lead.status in ("declared", "submitted", "won", "lost"):
        declared = max(lead.declared_at, answered) + timedelta(days=rng.randint(0, 3))
        if lead.status == "declared" and rng.random() < 0.1:
            status, declared = "awaiting_board", None
    elif lead.status == "rejected":
        status, closed = "withdrawn", lead.closed_at
        reason = "The lead's board rejected the bid."
    elif lead.status == "withdrawn":
        status, closed = "withdrawn", lead.closed_at
        reason = f"The lead withdrew: {lead.closing_reason}"
        declared = lead.declared_at and max(lead.declared_at, answered)
    elif lead.status == "draft":
        status = "draft"
    return naming, Declaration(
        alliance=alliance,
        tender=lead.tender,
        agency=agency,
        capacity="partner",
        lead_declaration=lead,
        summary="Bench declaration.",
        status=status,
        drafted_by=chiefs[agency.pk],
        created_at=answered,
        declared_at=declared,
        closed_at=closed,
        closing_reason=reason,
    )


def _board(
    rng: random.Random,
    alliance: Any,
    d: Any,
    chiefs: dict,
    trustees: dict,
    by_pk: dict,
    question: Callable[[Any], str],
) -> tuple[Any, list[tuple[Any, str, datetime]]] | None:
    """The question put to the declaring agency's board and its votes, or None (a draft)."""
    from kiaa.models import BoardDecision

    if d.status == "draft" or (d.status == "withdrawn" and d.declared_at is None):
        return None
    if d.lead_declaration_id:
        d.lead_declaration = by_pk[d.lead_declaration_id]
    board = trustees[d.agency_id]
    if d.declared_at is not None:
        opened = d.declared_at - timedelta(days=2)
        decided, status = d.declared_at, "approved"
        cast = [(board[0], "approve", opened + timedelta(hours=20)), (board[1], "approve", decided)]
    elif d.status == "rejected":
        opened = d.closed_at - timedelta(days=2)
        decided, status = d.closed_at, "rejected"
        cast = [(board[0], "reject", opened + timedelta(hours=20)), (board[1], "reject", decided)]
    else:  # awaiting the board: open, perhaps one approval in
        opened = d.created_at + timedelta(days=1)
        decided, status = None, "open"
        cast = [(board[0], "approve", opened + timedelta(hours=5))] if rng.random() < 0.5 else []
    return (
        BoardDecision(
            alliance=alliance,
            agency_id=d.agency_id,
            subject_type="bids.declaration",
            subject_id=d.pk,
            question=question(d),
            quorum=2,
            rule="The alliance's quorum of 2",
            status=status,
            opened_by=chiefs[d.agency_id],
            opened_at=opened,
            decided_at=decided,
        ),
        cast,
    )


def drop_seed() -> None:
    """Delete the bench alliance and everything in it (for --reseed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM kiaa_alliance WHERE slug = %s", [SLUG])
        row = cursor.fetchone()
    if row is None:
        return
    # Every tenant table has alliance_id; delete them all, with the constraints deferred.
    from django.apps import apps

    tables = [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if any(f.column == "alliance_id" for f in m._meta.concrete_fields)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK checks while deleting
        for table in tables:
            # Table names from our own models, never from input.
            cursor.execute(f'DELETE FROM "{table}" WHERE alliance_id = %s', [row[0]])  # noqa: S608
        cursor.execute("DELETE FROM kiaa_alliance WHERE id = %s", [row[0]])
        cursor.execute(
            "DELETE FROM kiaa_user_groups WHERE user_id IN "
            "(SELECT id FROM kiaa_user WHERE username LIKE %s)",
            ["bench.%"],
        )
        cursor.execute("DELETE FROM kiaa_user WHERE username LIKE %s", ["bench.%"])
        cursor.execute(
            "DELETE FROM auth_group WHERE name LIKE %s AND id NOT IN "
            "(SELECT group_id FROM kiaa_agency)",
            ["agency-%"],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    print(f"Dropped {SLUG}")


# ----------------------------------------------------------------------------- memory


def _rss_kb(pid: int) -> int:
    """VmRSS of a process in kB (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size in kB: shared pages (libraries, the interpreter) divided among
    the processes mapping them, so a sum over processes does not count them twice."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _is_render_child(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"kiaa.reports.chunk" in handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False


def _descendants(root: int) -> list[int]:
    """Every process below `root` (this kernel has no /proc/<pid>/task/<tid>/children)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        parents[ppid].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Sampler(threading.Thread):
    """Samples the resident memory of this process and its descendants every ~50 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.pid = os.getpid()
        self.stopping = threading.Event()
        self.reset()

    def reset(self) -> None:
        self.peak_total = self.peak_parent = self.peak_child = self.peak_pss = 0
        self.peak_children = 0  # render children alive at once
        self.samples = 0

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_EVERY):
            self.sample()

    def sample(self) -> None:
        below = _descendants(self.pid)
        parent = _rss_kb(self.pid)
        children = [_rss_kb(pid) for pid in below]
        self.peak_total = max(self.peak_total, parent + sum(children))
        self.peak_pss = max(self.peak_pss, _pss_kb(self.pid) + sum(_pss_kb(p) for p in below))
        self.peak_parent = max(self.peak_parent, parent)
        self.peak_child = max([self.peak_child, *children])
        self.peak_children = max(self.peak_children, sum(map(_is_render_child, below)))
        self.samples += 1


def mb(kb: int | float) -> float:
    return kb / 1024


# ----------------------------------------------------------------------------- timing


class Phases:
    """Wall time of the export's phases, by wrapping the functions that do them.

    The wrappers only read the clock; the export still runs the product code unchanged.
    """

    def __init__(self) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.children: list[float] = []  # wall time of each child render process
        self.parts = 0  # parts laid out in the last export
        self.first_part = ""  # the HTML of its first part, for --profile
        self.stack: list[str] = []

    def clear(self) -> None:
        self.times.clear()
        self.children.clear()

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name, None)
        if original is None:  # renamed in the product code: time the rest
            print(f"(not timed: {module.__name__}.{name} is gone)")
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(label)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.times[label] += time.perf_counter() - start
                self.stack.pop()

        setattr(module, name, timed)

    def install(self) -> None:
        from kiaa.reports import chunk, pdf
        from kiaa.services import reports

        self.wrap(reports, "_start", "start")
        self.wrap(reports, "_read", "read (kind.build)")
        self.wrap(reports, "_finish", "store")
        self.wrap(pdf, "_body_html", "templates (parts' HTML)")
        self.wrap(pdf, "_lay_out_all", "parts (children, in parallel)")
        self.wrap(pdf, "_front", "front (title + contents)")
        self.wrap(pdf, "_join", "join (total)")
        self.wrap(pdf, "_stamp_html", "join: stamp HTML")
        laid_out = pdf._lay_out_all

        def lay_out_all(htmls: list[str], *args: Any, **kwargs: Any) -> Any:
            self.parts, self.first_part = len(htmls), htmls[0] if htmls else ""
            return laid_out(htmls, *args, **kwargs)

        pdf._lay_out_all = lay_out_all
        in_child = pdf._in_child

        def child(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return in_child(*args, **kwargs)
            finally:
                self.children.append(time.perf_counter() - start)

        pdf._in_child = child
        original_lay_out = chunk.lay_out

        def lay_out(html: str) -> Any:
            start = time.perf_counter()
            try:
                return original_lay_out(html)
            finally:
                if self.stack and self.stack[-1] == "join (total)":
                    self.times["join: stamp layout (WeasyPrint, here)"] += (
                        time.perf_counter() - start
                    )

        chunk.lay_out = lay_out

    def report(self) -> dict[str, float]:
        found = dict(self.times)
        if "join (total)" in found:
            found["join: pikepdf (open, overlay, save)"] = (
                found["join (total)"]
                - found.get("join: stamp layout (WeasyPrint, here)", 0)
                - found.get("join: stamp HTML", 0)
            )
        return found


def export_once(admin: Any, alliance: Any) -> tuple[float, Any]:
    """The export as the user gets it: the request, then the worker's render. Wall time."""
    from kiaa.models import ReportExport
    from kiaa.services import reports

    start = time.perf_counter()
    queued = reports.report_request(
        actor=admin, alliance=alliance, kind=KIND, format="pdf", params={}
    )
    done = reports.report_render(export_id=queued.pk)
    elapsed = time.perf_counter() - start
    # None: report_request drew it already (eager Celery), so this would not time the render.
    if done is None or done.status != ReportExport.Status.READY:
        raise SystemExit(f"The export failed: {getattr(done, 'failure', 'not drawn')}")
    return elapsed, done


def forget(export: Any) -> None:
    """Delete the stored file so repeated runs do not fill the disk."""
    if export.file:
        export.file.storage.delete(export.file.name)


def build_report(admin: Any, alliance: Any) -> tuple[Any, Any]:
    """The kind's report for the admin and the Meta a render needs, as the export reads them."""
    from django.utils import timezone

    from kiaa.models import AuditHead
    from kiaa.permissions import roles_of
    from kiaa.reports import kinds, pdf

    kind = kinds.get(KIND)
    if kind is None:
        raise SystemExit(f"The report kind {KIND!r} is not registered.")
    roles = roles_of(admin, alliance)
    form = kind.form({}, person=admin, alliance=alliance, roles=roles)
    if not form.is_valid():
        raise SystemExit(f"The register's form refused no choices: {form.errors}")
    report = kind.build(person=admin, alliance=alliance, roles=roles, params=form.cleaned_data)
    head = AuditHead.objects.get(alliance=alliance)
    meta = pdf.Meta(
        alliance=alliance.name,
        title=report.title,
        scope=report.scope,
        generated_at=timezone.localtime(),
        requested_by=str(admin),
        audit_seq=head.last_seq,
        audit_hash=head.last_hash,
    )
    return report, meta


def direct(admin: Any, alliance: Any) -> dict[str, float]:
    """The kind's build and pdf.render called directly, without the export around them."""
    from kiaa.reports import pdf

    start = time.perf_counter()
    report, meta = build_report(admin, alliance)
    built = time.perf_counter()
    rendered = pdf.render(report, meta)
    laid = time.perf_counter()
    return {
        "build": built - start,
        "render": laid - built,
        "pages": rendered.pages,
        "sections": len(report.sections),
        "weight": report.weight,
    }


def profile(admin: Any, alliance: Any, phases: Phases) -> None:
    """cProfile of this process over one export, and of its first part laid out here."""
    from kiaa.reports import chunk

    print("\n== cProfile of the parent over one export (children not included) ==")
    profiler = cProfile.Profile()
    profiler.enable()
    _, done = export_once(admin, alliance)
    profiler.disable()
    forget(done)
    _print_stats(profiler, 25)

    html = phases.first_part
    print(f"\n== cProfile of part 1 of {phases.parts} laid out here (what a child does) ==")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    part = chunk.lay_out(html)
    profiler.disable()
    print(f"part 1: {part.pages} pages in {time.perf_counter() - start:.2f} s (under cProfile)")
    _print_stats(profiler, 25)


def _print_stats(profiler: cProfile.Profile, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    print(out.getvalue())


@contextlib.contextmanager
def sampling(sampler: Sampler) -> Iterator[Sampler]:
    sampler.reset()
    sampler.sample()
    yield sampler
    sampler.sample()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument("--tenders", type=int, default=TENDERS, help="tenders to seed")
    parser.add_argument("--reseed", action="store_true", help="drop the bench data, seed again")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-direct", action="store_true", help="skip build/render timed alone")
    parser.add_argument("--profile", action="store_true", help="cProfile one export and one part")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    configure(DEFAULT_DATABASE_URL)
    ensure_database()
    setup_django()
    if args.seed_only:
        seed(tenders=args.tenders)
        return 0
    ensure_migrated()
    from django.conf import settings

    from kiaa.models import Alliance, Membership, Role
    from kiaa.reports import kinds

    if kinds.get(KIND) is None:
        print(f"The report kind {KIND!r} is not registered yet (bids/reports.py).")
        return 2
    if args.reseed:
        drop_seed()
    if not Alliance.objects.filter(slug=SLUG).exists():
        # Seeded in a process of its own, so its memory is not counted in this one's peak.
        subprocess.run(  # noqa: S603 - this script, run by this interpreter
            [sys.executable, __file__, "--seed-only", "--tenders", str(args.tenders)], check=True
        )
    alliance = Alliance.objects.get(slug=SLUG)
    admin = Membership.objects.get(alliance=alliance, role=Role.ALLIANCE_ADMIN, agency=None).user
    no_eager_render()

    processes = settings.REPORT_RENDER_PROCESSES
    print(
        f"Declarations register of {alliance.name} for {admin} (admin); "
        f"REPORT_RENDER_PROCESSES={processes}; {os.cpu_count()} CPUs; load {load()}",
        flush=True,
    )
    phases = Phases()
    phases.install()
    sampler = Sampler()
    sampler.start()

    with sampling(sampler):
        warm, done = export_once(admin, alliance)
    forget(done)
    print(
        f"warm-up: {warm:.2f} s, {done.pages} pages, {done.size_bytes / 1e6:.1f} MB file, "
        f"peak {mb(sampler.peak_total):.0f} MB",
        flush=True,
    )

    walls: list[float] = []
    peaks: list[float] = []
    pss: list[float] = []
    loads: list[float] = [os.getloadavg()[0]]
    breakdown: list[dict[str, float]] = []
    pages = done.pages
    for n in range(1, args.runs + 1):
        phases.clear()
        with sampling(sampler):
            wall, done = export_once(admin, alliance)
        forget(done)
        walls.append(wall)
        peaks.append(mb(sampler.peak_total))
        pss.append(mb(sampler.peak_pss))
        loads.append(os.getloadavg()[0])
        breakdown.append(phases.report())
        kids = ", ".join(f"{c:.2f}" for c in phases.children) or "none"
        print(
            f"run {n}: {wall:.2f} s, {done.pages} pages in {phases.parts} parts; peak RSS "
            f"{peaks[-1]:.0f} MB, PSS {pss[-1]:.0f} MB (this process "
            f"{mb(sampler.peak_parent):.0f}, largest child {mb(sampler.peak_child):.0f}, "
            f"{sampler.peak_children} render children at once, {sampler.samples} samples); "
            f"each child {kids} s; load {load()}",
            flush=True,
        )
    median, worst, peak = statistics.median(walls), max(walls), max(peaks)

    middle = breakdown[walls.index(sorted(walls)[(len(walls) - 1) // 2])]
    print("\nphases of the median run (s):")
    top = [
        "start",
        "read (kind.build)",
        "templates (parts' HTML)",
        "parts (children, in parallel)",
        "front (title + contents)",
        "join (total)",
        "store",
    ]
    inner = [
        "join: stamp HTML",
        "join: stamp layout (WeasyPrint, here)",
        "join: pikepdf (open, overlay, save)",
    ]
    for label in top[:6] + inner + top[6:]:
        if label in middle:
            print(f"  {label:42s} {middle[label]:6.2f}")
    rest = sorted(walls)[(len(walls) - 1) // 2] - sum(middle.get(k, 0) for k in top)
    print(f"  {'other (request, progress, audit)':42s} {rest:6.2f}")

    if not args.no_direct:
        with sampling(sampler):
            alone = direct(admin, alliance)
        print(
            f"\ndirect: kind.build {alone['build']:.2f} s + pdf.render {alone['render']:.2f} s "
            f"({alone['pages']} pages, {alone['sections']} sections, weight {alone['weight']}); "
            f"peak RSS {mb(sampler.peak_total):.0f} MB"
        )
    sampler.stopping.set()

    self_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"\nru_maxrss: RUSAGE_SELF {mb(self_max):.0f} MB, RUSAGE_CHILDREN {mb(child_max):.0f} MB "
        "(over the whole run; each is the largest single process, not a sum)"
    )
    print(
        f"\nRESULT {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {pages} pages; "
        f"median {median:.2f} s, max {worst:.2f} s over {len(walls)} runs; "
        f"peak {peak:.0f} MB RSS ({max(pss):.0f} MB PSS) of the process tree; "
        f"{processes} render processes; 1-min load {min(loads):.2f}-{max(loads):.2f}"
    )
    if args.profile:
        profile(admin, alliance, phases)

    missed = []
    if median >= BUDGET_SECONDS:
        missed.append(f"median {median:.2f} s >= {BUDGET_SECONDS:.0f} s")
    if peak >= BUDGET_MB:
        missed.append(f"peak {peak:.0f} MB >= {BUDGET_MB:.0f} MB")
    if missed:
        print("BUDGET MISSED: " + "; ".join(missed))
        return 1
    print(f"Within budget ({BUDGET_SECONDS:.0f} s median, {BUDGET_MB:.0f} MB peak).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
