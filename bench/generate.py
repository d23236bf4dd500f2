#!/usr/bin/env python
"""The scale data set: many alliances on one PostgreSQL database, loaded with COPY.

    .venv/bin/python bench/generate.py                 # the full set into kiaa_scale
    .venv/bin/python bench/generate.py --scale 0.01    # a hundredth (10,000 documents)

At scale 1: 200 alliances, 10,000 agencies, 40,200 people, 20,000 partnerships, 50,000
tenders, about 100,000 declarations and 1,000,000 documents with the barrier's permission
rows. Alliances differ in size (the share of alliance i is proportional to 1/(i+1)^0.6), so
`scale-000` is the largest, with about 5% of everything.

The database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/kiaa_scale) is dropped,
created and migrated, then filled table by table with COPY, with each table's secondary
indexes and constraints dropped during the load and built again after it (then ANALYZE).
The same seed and scale give the same rows.

Every row is one the services could have written, and the rules the product enforces are
computed by the product's own code, not restated here: the withdrawals from partnership work
come from `bids.rules.withdrawals_needed`, and each document's permission rows from
`kiaa.barrier.audience` over the document's facts (the alliance's agencies, the partnership's
active members, those withdrawn while they compete). What is left out: the audit trail of
this history (each alliance's chain starts empty), the barrier's history of grants
(`AudienceChange`) and notifications; the benchmarks read none of them.

The benchmarks (bench/run.py) rely on a few fixed points: in `scale-000`, agency 0 (its chief
officer `s000.a0000.chief`, trustees `s000.a0000.trustee1/2`) is an active member of exactly
20 partnerships, all working in debt advice, and bids on none of the alliance's tenders, so
it is withdrawn from none of them; tender `S000-00001` (debt advice) stays open for it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import SCALE_DATABASE_URL, configure, ensure_database, setup_django
from bench.words import AREAS, KINDS, PLACES, SERVICES

SEED = 20261206
# The generated history ends here; open tenders' deadlines and live withdrawals lie after it.
ANCHOR = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "kiaa-bench-2026"  # noqa: S105 - every generated person's, for signing in by hand

ALLIANCES = 200
AGENCIES = 10_000
PARTNERSHIPS_PER_AGENCY = 2
TENDERS_PER_AGENCY = 5
DOCUMENTS_PER_AGENCY = 100
HUB_PARTNERSHIPS = 20  # the declaring benchmark's agency is in this many partnerships
SIZE_SKEW = 0.6

# What share of papers are alliance-wide, for a partnership, or commercially sensitive.
SENSITIVITY = (("alliance", 5), ("partnership", 60), ("commercial", 35))
PAPER = b"%PDF-1.4\n% KIAA bench paper\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PAPER_NAME = "documents/bench/paper.pdf"

PAPERS = [
    "Minutes of the steering group",
    "Referral pathway",
    "Pricing model",
    "Caseload return",
    "Quality standards",
    "Draft method statement",
    "Budget and staffing plan",
    "Safeguarding policy",
    "Outcomes report",
    "Risk register",
]
COMMISSIONERS = [
    "Kirkvale Borough Council",
    "Moorside Metropolitan Council",
    "Pennine Integrated Care Board",
    "West Riding Combined Authority",
]
STATUS_PATTERN = ["awarded", "open", "closed", "open", "awarded", "open", "awarded", "open"]
CONFIDENTIALITY = (
    "Members of {name} keep each other's commercially sensitive papers confidential and use "
    "them only for the partnership's work."
)


# ----------------------------------------------------------------------------- writing rows

# The columns written to each table, in the order the rows give them.
COLUMNS: dict[str, str] = {
    "kiaa_alliance": "id name slug created_at",
    "kiaa_audithead": "id alliance_id last_seq last_hash",
    "kiaa_protocol": (
        "id alliance_id title board_approval_kinds minimum_quorum chief_officers_may_vote "
        "withdrawal_grace_days allocation_due_days mou_signature_days reminder_days expulsion_by"
    ),
    "kiaa_protocolversion": (
        "id alliance_id protocol_id number principles implemented_on review_due_on created_at "
        "created_by_id"
    ),
    "kiaa_protocolacceptance": (
        "id alliance_id version_id agency_id accepted_on recorded_by_id recorded_at"
    ),
    "kiaa_servicearea": "id alliance_id slug name cpv_codes",
    "auth_group": "id name",
    "kiaa_user": (
        "id password is_superuser username first_name last_name is_staff is_active date_joined "
        "email email_frequency"
    ),
    "kiaa_user_groups": "id user_id group_id",
    "kiaa_agency": (
        "id alliance_id name charity_number company_number size_band reach status is_arbiter "
        "may_arbitrate group_id created_at"
    ),
    "kiaa_agencyservicearea": "id alliance_id agency_id service_area_id",
    "kiaa_membership": "id alliance_id user_id agency_id role created_at",
    "partnerships_partnership": (
        "id alliance_id name kind description lead_agency_id status undertaking_digest "
        "created_by_id created_at confirmed_at"
    ),
    "partnerships_partnershipservicearea": "id alliance_id partnership_id service_area_id",
    "partnerships_partnershipmember": (
        "id alliance_id partnership_id agency_id role status invited_by_id invited_at joined_at "
        "left_at"
    ),
    "partnerships_mouversion": (
        "id alliance_id partnership_id number confidentiality due_diligence transparency costs "
        "governance exclusivity contribution_pence exclusive review_due_on created_by_id "
        "created_at"
    ),
    "partnerships_mousignature": ("id alliance_id version_id agency_id signed_by_id signed_at"),
    "partnerships_confidentialityacknowledgement": (
        "id alliance_id partnership_id person_id undertaking_digest acknowledged_at"
    ),
    "bids_tender": (
        "id alliance_id reference ocid title description commissioner value_pence eoi_deadline "
        "submission_deadline award_expected_on incumbent_agency_id status origin winner_id "
        "awarded_on created_by_id created_at updated_at"
    ),
    "bids_tenderservicearea": "id alliance_id tender_id service_area_id",
    "bids_declaration": (
        "id alliance_id tender_id agency_id capacity lead_declaration_id summary status "
        "drafted_by_id created_at declared_at closed_at closing_reason"
    ),
    "bids_namedpartner": (
        "id alliance_id declaration_id agency_id proposed_share_pct status named_by_id named_at "
        "answered_by_id answered_at"
    ),
    "kiaa_boarddecision": (
        "id alliance_id agency_id subject_type subject_id question quorum rule status "
        "opened_by_id opened_at decided_at"
    ),
    "kiaa_boardvote": "id alliance_id decision_id trustee_id choice note cast_at",
    "partnerships_withdrawal": (
        "id alliance_id partnership_id agency_id reason starts_at ends_at created_by_id"
    ),
    "bids_bidwithdrawal": "id alliance_id withdrawal_id declaration_id tender_id closed_at",
    "partnerships_document": (
        "id alliance_id title sensitivity owner_agency_id partnership_id file original_name "
        "content_type size sha256 uploaded_by_id created_at"
    ),
    "partnerships_documentgroupobjectpermission": (
        "id permission_id group_id alliance_id content_object_id document_created_at "
        "sensitivity partnership_id"
    ),
    "partnerships_documentaccess": (
        "id alliance_id document_id person_id agency_id action channel at"
    ),
}
FLUSH_ROWS = 200_000


def text(value: Any) -> str:
    """One value in COPY's text format (our own strings hold no tab, newline or backslash)."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Loader:
    """Rows per table, buffered and sent with COPY; ids are handed out here, so foreign keys
    are known before anything is written."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.rows: dict[str, list[str]] = defaultdict(list)
        self.next_id: dict[str, int] = defaultdict(lambda: 1)
        self.counts: dict[str, int] = defaultdict(int)

    def reserve(self, table: str) -> int:
        """The id of a row to be written later with `put`."""
        pk = self.next_id[table]
        self.next_id[table] = pk + 1
        return pk

    def add(self, table: str, *values: Any) -> int:
        """Append a row (without its id, which is returned)."""
        pk = self.reserve(table)
        self.put(table, pk, *values)
        return pk

    def put(self, table: str, pk: int, *values: Any) -> None:
        self.rows[table].append("\t".join(map(text, (pk, *values))))
        if len(self.rows[table]) >= FLUSH_ROWS:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.rows):
            rows = self.rows.pop(name, [])
            if not rows:
                continue
            data = io.StringIO("\n".join(rows) + "\n")
            columns = ", ".join(COLUMNS[name].split())
            with self.connection.cursor() as cursor:
                cursor.copy_expert(f"COPY {name} ({columns}) FROM STDIN", data)
            self.counts[name] += len(rows)


# ----------------------------------------------------------------------------- sizes


def shares(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, by largest remainder: the parts add up."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass
class Sizes:
    agencies: int
    partnerships: int
    tenders: int
    documents: int


def plan(scale: float) -> list[Sizes]:
    weights = [1 / (i + 1) ** SIZE_SKEW for i in range(ALLIANCES)]
    # At least a CVS and enough agencies for a partnership, however small the scale.
    agencies = [max(8, n) for n in shares(round(AGENCIES * scale), weights)]
    return [
        Sizes(
            agencies=n,
            partnerships=max(HUB_PARTNERSHIPS, n * PARTNERSHIPS_PER_AGENCY)
            if i == 0
            else n * PARTNERSHIPS_PER_AGENCY,
            tenders=n * TENDERS_PER_AGENCY,
            documents=round(n * DOCUMENTS_PER_AGENCY * (AGENCIES * scale) / sum(agencies)),
        )
        for i, n in enumerate(agencies)
    ]


# ----------------------------------------------------------------------------- one alliance


@dataclass
class Agency:
    pk: int
    name: str
    group: int
    chief: int
    trustees: tuple[int, int]
    staff: int
    areas: frozenset[int]


@dataclass
class Partnership:
    pk: int
    name: str
    members: set[int]  # active members' agency ids
    areas: frozenset[int]
    created_at: datetime


@dataclass
class Context:
    """What every alliance shares: the loader, the password hash, the view permission."""

    loader: Loader
    password: str
    permission: int


@dataclass
class Run:
    """One alliance being generated: what every step of it shares."""

    ctx: Context
    rng: random.Random
    index: int  # the alliance's number, 0 the largest
    alliance: int  # its id


def generate_alliance(ctx: Context, a: int, size: Sizes) -> None:
    rng = random.Random(SEED * 1000 + a)
    add = ctx.loader.add
    created = ANCHOR - timedelta(days=900 - a)
    alliance = add(
        "kiaa_alliance",
        f"{PLACES[a % len(PLACES)]} Advice Alliance {a:03d}",
        f"scale-{a:03d}",
        created,
    )
    add("kiaa_audithead", alliance, 0, "0" * 64)
    protocol = add(
        "kiaa_protocol",
        alliance,
        "Managing internal competition",
        '["consortium"]',
        2,
        False,
        14,
        60,
        30,
        7,
        "ruling",
    )
    admin = person(ctx, f"s{a:03d}.admin", "Alex", f"Admin{a:03d}", created)
    add("kiaa_membership", alliance, admin, None, "alliance_admin", created)
    version = add(
        "kiaa_protocolversion",
        alliance,
        protocol,
        1,
        "Declare intent to bid; let trustee boards decide; withdraw while competing.",
        created.date(),
        (ANCHOR + timedelta(days=200 + a)).date(),
        created,
        admin,
    )
    areas = [add("kiaa_servicearea", alliance, slug, name, "[]") for slug, name in AREAS]
    debt = areas[0]

    run = Run(ctx, rng, a, alliance)
    agencies = _agencies(run, size.agencies, areas, version, admin, created)
    bidders = agencies[
        :-1
    ]  # the last is the CVS, the alliance's arbiter: it neither bids nor joins
    partnerships = _partnerships(run, size.partnerships, bidders, areas, debt)
    away = _tenders(run, size.tenders, bidders, partnerships, areas, admin)
    _documents(run, size.documents, agencies, partnerships, away)


def person(ctx: Context, username: str, first: str, last: str, joined: datetime) -> int:
    return ctx.loader.add(
        "kiaa_user",
        ctx.password,
        False,
        username,
        first,
        last,
        False,
        True,
        joined,
        f"{username}@bench.example.org",
        "daily",
    )


def _agencies(
    run: Run,
    count: int,
    areas: list[int],
    version: int,
    admin: int,
    created: datetime,
) -> list[Agency]:
    ctx, rng, a, alliance = run.ctx, run.rng, run.index, run.alliance
    add = ctx.loader.add
    made = []
    for i in range(count):
        cvs = i == count - 1
        name = (
            f"{PLACES[a % len(PLACES)]} Council for Voluntary Service"
            if cvs
            else f"{PLACES[(a + i) % len(PLACES)]} {KINDS[i % len(KINDS)]} {i:04d}"
        )
        group = add("auth_group", f"agency-s{a:03d}-{i:04d}")
        pk = add(
            "kiaa_agency",
            alliance,
            name,
            f"{1_000_000 + a * 10_000 + i}",
            "",
            rng.choice(["micro", "small", "medium", "large", "major"]),
            rng.choice(["local", "local", "regional", "national"]),
            "active",
            cvs,
            cvs,
            group,
            created,
        )
        own = frozenset(rng.sample(areas, rng.choice([1, 2, 2, 3])))
        for area in sorted(own):
            add("kiaa_agencyservicearea", alliance, pk, area)
        prefix = f"s{a:03d}.a{i:04d}"
        chief = person(ctx, f"{prefix}.chief", "Chris", f"Chief{i:04d}", created)
        trustees = (
            person(ctx, f"{prefix}.trustee1", "Terry", f"Trustee{i:04d}", created),
            person(ctx, f"{prefix}.trustee2", "Toni", f"Trustee{i:04d}", created),
        )
        staff = person(ctx, f"{prefix}.staff", "Sam", f"Staff{i:04d}", created)
        roles = [(chief, "chief_officer"), (trustees[0], "trustee"), (trustees[1], "trustee")]
        roles += [(staff, "staff")] + ([(chief, "arbiter")] if cvs else [])
        for user, role in roles:
            add("kiaa_membership", alliance, user, pk, role, created)
        for user in (chief, *trustees, staff):
            add("kiaa_user_groups", user, group)
        add("kiaa_protocolacceptance", alliance, version, pk, created.date(), admin, created)
        made.append(Agency(pk, name, group, chief, trustees, staff, own))
    return made


def _partnerships(
    run: Run,
    count: int,
    agencies: list[Agency],
    areas: list[int],
    debt: int,
) -> list[Partnership]:
    """Confirmed partnerships of 3-6 agencies with a signed MoU; in the first alliance the hub
    agency is in exactly HUB_PARTNERSHIPS of them, all in debt advice."""
    ctx, rng, a, alliance = run.ctx, run.rng, run.index, run.alliance
    from partnerships.services.mou import digest

    add = ctx.loader.add
    hub = agencies[0] if a == 0 else None
    others = agencies[1:] if hub else agencies
    made = []
    for n in range(count):
        chosen = rng.sample(others, min(len(others), rng.randint(3, 6)))
        own = set(rng.sample(areas, rng.choice([1, 2, 2])))
        if hub and n < HUB_PARTNERSHIPS:
            chosen[n % 2] = hub  # the lead of half of them, a partner in the rest
            own.add(debt)
        name = (
            f"{PLACES[n % len(PLACES)]} {['network', 'consortium', 'partnership'][n % 3]} {n:04d}"
        )
        # Formed, and its MoU signed, before the first tender: no member signs while withdrawn.
        created = ANCHOR - timedelta(days=rng.randint(850, 1000))
        confirmed = created + timedelta(days=14)
        undertaking = CONFIDENTIALITY.format(name=name)
        lead = chosen[0]
        pk = add(
            "partnerships_partnership",
            alliance,
            name,
            rng.choice(["network", "network", "consortium", "alliance_contract"]),
            "A partnership of the scale data set.",
            lead.pk,
            "confirmed",
            digest(undertaking),
            lead.chief,
            created,
            confirmed,
        )
        for area in sorted(own):
            add("partnerships_partnershipservicearea", alliance, pk, area)
        version = add(
            "partnerships_mouversion",
            alliance,
            pk,
            1,
            undertaking,
            "Each member shows its accounts and insurance before joining.",
            "Members tell each other of any bid in the partnership's field.",
            "Each member bears its own costs.",
            "The lead chairs a steering group of all members.",
            "Members do not bid against the partnership while members.",
            rng.randint(0, 50) * 10_000,
            True,
            None,
            lead.chief,
            confirmed,
        )
        active: set[int] = set()
        for position, member in enumerate(chosen):
            # Some members left (never the lead, and never the hub of the first alliance).
            left = position > 0 and member is not hub and rng.random() < 0.05
            joined = created + timedelta(days=7)
            add(
                "partnerships_partnershipmember",
                alliance,
                pk,
                member.pk,
                "lead" if position == 0 else "partner",
                "left" if left else "active",
                lead.chief,
                created,
                joined,
                joined + timedelta(days=rng.randint(60, 180)) if left else None,
            )
            if left:
                continue
            active.add(member.pk)
            # A few members never signed the MoU: the mou_unsigned detector's findings.
            if position == 0 or rng.random() > 0.03:
                signed = confirmed + timedelta(days=rng.randint(0, 20))
                add("partnerships_mousignature", alliance, version, member.pk, member.chief, signed)
            for user in (member.chief, member.staff):
                add(
                    "partnerships_confidentialityacknowledgement",
                    alliance,
                    pk,
                    user,
                    digest(undertaking),
                    confirmed + timedelta(days=1),
                )
        made.append(Partnership(pk, name, active, frozenset(own), created))
    return made


@dataclass
class Away:
    """When agencies were withdrawn from partnerships: (partnership, agency) -> (start, end)."""

    spells: dict[tuple[int, int], list[tuple[datetime, datetime | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def at(self, partnership: int, agency: int, moment: datetime) -> bool:
        return any(
            start <= moment and (end is None or end > moment)
            for start, end in self.spells.get((partnership, agency), ())
        )

    def now(self, partnership: Partnership) -> frozenset[int]:
        """The members withdrawn at ANCHOR: the barrier hides commercial papers from them."""
        return frozenset(a for a in partnership.members if self.at(partnership.pk, a, ANCHOR))


@dataclass
class Bid:
    """One declaration as it is written: its row's values, kept to compute withdrawals."""

    pk: int
    agency: Agency
    status: str
    capacity: str
    lead: int | None
    created_at: datetime
    declared_at: datetime | None
    closed_at: datetime | None
    partners: dict[int, str] = field(default_factory=dict)


def _tenders(
    run: Run,
    count: int,
    agencies: list[Agency],
    partnerships: list[Partnership],
    areas: list[int],
    admin: int,
) -> Away:
    """Tenders with their bids, board questions and votes, and the withdrawals the rules call
    for; returns when each agency was withdrawn from each partnership."""
    ctx, rng, a, alliance = run.ctx, run.rng, run.index, run.alliance
    from bids import rules

    add = ctx.loader.add
    away = Away()
    rule_partnerships = tuple(
        rules.Partnership(id=p.pk, name=p.name, members=frozenset(p.members), service_areas=p.areas)
        for p in partnerships
    )
    by_area: dict[int, list[rules.Partnership]] = defaultdict(list)
    for p in rule_partnerships:
        for area in p.service_areas:
            by_area[area].append(p)
    hub = agencies[0] if a == 0 else None
    for i in range(count):
        status = STATUS_PATTERN[i % len(STATUS_PATTERN)]
        probe = a == 0 and i == 0
        if probe:
            status = "open"
        created = {
            # Open tenders close after ANCHOR, so nothing they hold is dated after it.
            "open": ANCHOR - timedelta(days=rng.randint(30, 40)),
            "closed": ANCHOR - timedelta(days=rng.randint(45, 80)),
            "awarded": ANCHOR - timedelta(days=rng.randint(100, 800)),
        }[status]
        own = frozenset([areas[0]] if probe else rng.sample(areas, rng.choice([1, 1, 2])))
        reference = f"S{a:03d}-{i + 1:05d}"
        title = f"{rng.choice(SERVICES)}, lot {rng.randint(1, 4)}"
        eoi = created + timedelta(days=21)
        submission = created + timedelta(days=42)
        if probe:  # the declaring benchmark's tender stays open whenever it runs
            eoi, submission = ANCHOR + timedelta(days=3650), ANCHOR + timedelta(days=3660)
        tender = ctx.loader.reserve("bids_tender")
        # The hub makes no bid: declaring on the probe tender withdraws it from all 20 at once.
        pool = [x for x in agencies if x is not hub]
        bids = _bids(ctx, rng, alliance, status, created, eoi, pool, reference, title)
        winner = next((b.pk for b in bids if b.status == "won"), None)
        awarded = created + timedelta(days=72) if winner else None
        ctx.loader.put(
            "bids_tender",
            tender,
            alliance,
            reference,
            "",
            title,
            "A tender of the scale data set.",
            rng.choice(COMMISSIONERS),
            rng.randint(20, 900) * 100_000,
            eoi,
            submission,
            (submission + timedelta(days=33)).date(),
            rng.choice(agencies).pk if rng.random() < 0.3 else None,
            "awarded" if winner else ("closed" if status == "awarded" else status),
            "registered",
            winner,
            awarded.date() if awarded else None,
            admin,
            created,
            awarded or created,
        )
        for area in sorted(own):
            add("bids_tenderservicearea", alliance, tender, area)
        _write_bids(ctx, alliance, tender, reference, title, bids, awarded)
        snapshot = rules.Snapshot(
            tender_reference=reference,
            service_areas=own,
            eoi_deadline=eoi,
            bids=tuple(
                rules.Bid(
                    id=b.pk,
                    agency=b.agency.pk,
                    status=b.status,
                    capacity=b.capacity,
                    lead=b.lead,
                    declared_at=b.declared_at,
                    partners=b.partners,
                )
                for b in bids
            ),
            partnerships=tuple({p.id: p for area in own for p in by_area[area]}.values()),
        )
        for b in bids:
            if b.status not in ("declared", "submitted", "won", "lost"):
                continue
            end = None
            if b.status == "lost":
                end = awarded
            elif b.status == "won" and awarded:
                end = awarded + timedelta(days=14)
            for partnership in rules.withdrawals_needed(snapshot, snapshot.bid(b.pk)):
                starts = b.declared_at or b.created_at
                w = add(
                    "partnerships_withdrawal",
                    alliance,
                    partnership,
                    b.agency.pk,
                    f"Bidding for {reference} ({title})"[:300],
                    starts,
                    end,
                    b.agency.chief,
                )
                add("bids_bidwithdrawal", alliance, w, b.pk, tender, end)
                away.spells[(partnership, b.agency.pk)].append((starts, end))
    return away


def _bids(
    ctx: Context,
    rng: random.Random,
    alliance: int,
    status: str,
    created: datetime,
    eoi: datetime,
    pool: list[Agency],
    reference: str,
    title: str,
) -> list[Bid]:
    """The declarations on one tender: sole bids and consortia, and how far each got."""
    bids: list[Bid] = []
    units = min(rng.choices([0, 1, 2, 3], weights=[10, 35, 35, 20])[0], len(pool) // 3)
    chosen = rng.sample(pool, units * 3)
    for u in range(units):
        lead = chosen[u * 3]
        partners = chosen[u * 3 + 1 : u * 3 + 1 + rng.choice([0, 0, 0, 1, 2])]
        state = _unit_status(rng, status, first=u == 0)
        made = created + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
        declared = closed = None
        if state in ("declared", "submitted", "won", "lost"):
            # About one in six declares after the expression-of-interest deadline.
            late = rng.random() < 0.15
            declared = eoi + timedelta(days=rng.randint(1, 5)) if late else made + timedelta(days=3)
        if state in ("rejected", "withdrawn"):
            closed = made + timedelta(days=rng.randint(2, 6))
        capacity = "lead" if partners else "sole"
        pk = ctx.loader.reserve("bids_declaration")
        bid = Bid(pk, lead, state, capacity, None, made, declared, closed)
        bids.append(bid)
        for partner in partners:
            answer = "confirmed" if state != "draft" and rng.random() < 0.9 else "named"
            bid.partners[partner.pk] = answer
            if answer != "confirmed":
                continue
            p_state = {"rejected": "withdrawn"}.get(state, state)
            p_declared = declared + timedelta(days=1) if declared else None
            p = Bid(
                ctx.loader.reserve("bids_declaration"),
                partner,
                p_state,
                "partner",
                bid.pk,
                made + timedelta(days=1),
                p_declared,
                closed,
            )
            bids.append(p)
    return bids


def _unit_status(rng: random.Random, status: str, *, first: bool) -> str:
    if status == "open":
        return rng.choices(
            ["declared", "awaiting_board", "draft", "rejected", "withdrawn"],
            weights=[70, 12, 6, 5, 7],
        )[0]
    if status == "closed":
        return rng.choices(["submitted", "declared", "withdrawn"], weights=[80, 10, 10])[0]
    if first:
        return "won"
    return rng.choices(["lost", "withdrawn"], weights=[85, 15])[0]


def _write_bids(
    ctx: Context,
    alliance: int,
    tender: int,
    reference: str,
    title: str,
    bids: list[Bid],
    awarded: datetime | None,
) -> None:
    """The declarations (ids were handed out in `_bids`), namings, board questions and votes."""
    add = ctx.loader.add
    by_pk = {b.pk: b for b in bids}
    for b in bids:
        closed = b.closed_at or (awarded if b.status in ("won", "lost") else None)
        withdrew = b.status == "withdrawn"
        ctx.loader.put(
            "bids_declaration",
            b.pk,
            alliance,
            tender,
            b.agency.pk,
            b.capacity,
            b.lead,
            "A declaration of the scale data set.",
            b.status,
            b.agency.chief,
            b.created_at,
            b.declared_at,
            closed,
            "Our board asked us to concentrate on existing contracts." if withdrew else "",
        )
        for partner, answer in b.partners.items():
            answered = answer == "confirmed"
            add(
                "bids_namedpartner",
                alliance,
                b.pk,
                partner,
                "20.00",
                answer,
                b.agency.chief,
                b.created_at,
                _chief_of(bids, partner) if answered else None,
                b.created_at + timedelta(days=1) if answered else None,
            )
        _board(ctx, alliance, b, reference, title, by_pk)


def _chief_of(bids: list[Bid], agency: int) -> int:
    return next(b.agency.chief for b in bids if b.agency.pk == agency)


def _board(
    ctx: Context, alliance: int, b: Bid, reference: str, title: str, by_pk: dict[int, Bid]
) -> None:
    """The question put to the declaring agency's board, as decision_open and decision_vote
    leave it."""
    if b.status == "draft" or (b.status == "withdrawn" and b.declared_at is None):
        return
    add = ctx.loader.add
    how = {"sole": "alone", "lead": "as the lead of a consortium"}.get(b.capacity)
    if how is None:
        lead = by_pk[b.lead] if b.lead else None
        how = f"as a partner in {lead.agency.name if lead else ''}'s bid"
    question = f"Declare intent to bid for {reference} ({title}) {how}?"[:300]
    first, second = b.agency.trustees
    if b.declared_at is not None:
        decided, state, choice = b.declared_at, "approved", "approve"
    elif b.status == "rejected" and b.closed_at:
        decided, state, choice = b.closed_at, "rejected", "reject"
    else:  # still before the board, one trustee in
        decided, state, choice = None, "open", "approve"
    if decided is not None:
        opened = decided - timedelta(days=2)
        cast = [(first, opened + timedelta(hours=20)), (second, decided)]
    else:
        opened = b.created_at + timedelta(days=1)
        cast = [(first, opened + timedelta(hours=5))]
    decision = add(
        "kiaa_boarddecision",
        alliance,
        b.agency.pk,
        "bids.declaration",
        b.pk,
        question,
        2,
        "The alliance's quorum of 2",
        state,
        b.agency.chief,
        opened,
        decided,
    )
    for trustee, at in cast:
        add("kiaa_boardvote", alliance, decision, trustee, choice, "", at)


def _documents(
    run: Run,
    count: int,
    agencies: list[Agency],
    partnerships: list[Partnership],
    away: Away,
) -> None:
    """Papers with the permission rows the barrier's rule gives them, and some reads of them.

    Members share and read a partnership's papers while they are not withdrawn from it; one read
    in a hundred breaks that rule, for the worked_during_withdrawal detector to find.
    """
    ctx, rng, alliance = run.ctx, run.rng, run.alliance
    from kiaa.barrier import Facts, audience

    add = ctx.loader.add
    everyone = frozenset(x.pk for x in agencies)
    groups = {x.pk: x.group for x in agencies}
    by_pk = {x.pk: x for x in agencies}
    sha = hashlib.sha256(PAPER).hexdigest()
    kinds = [k for k, _ in SENSITIVITY]
    weights = [w for _, w in SENSITIVITY]
    for n in range(count):
        sensitivity = rng.choices(kinds, weights)[0]
        partnership = None if sensitivity == "alliance" else rng.choice(partnerships)
        if partnership is None:
            owner = rng.choice(agencies)
            facts = Facts(sensitivity=sensitivity, alliance_agencies=everyone)
            since = ANCHOR - timedelta(days=800)
        else:
            facts = Facts(
                sensitivity=sensitivity,
                alliance_agencies=everyone,
                members=frozenset(partnership.members),
                withdrawn=away.now(partnership),
            )
            since = partnership.created_at
        at = since + (ANCHOR - since) * rng.random()
        if partnership is not None:
            members = sorted(partnership.members)
            present = [m for m in members if not away.at(partnership.pk, m, at)]
            if not present:  # every member is bidding then: the paper is from before
                at = since + (at - since) * rng.random() / 4
                present = [m for m in members if not away.at(partnership.pk, m, at)] or members
            owner = by_pk[rng.choice(present)]
        title = f"{rng.choice(PAPERS)} {n:06d}"
        document = add(
            "partnerships_document",
            alliance,
            title,
            sensitivity,
            owner.pk,
            partnership.pk if partnership else None,
            PAPER_NAME,
            f"{title}.pdf",
            "application/pdf",
            len(PAPER),
            sha,
            rng.choice([owner.chief, owner.staff]),
            at,
        )
        # One paper in five has been opened, by someone of an agency that may see it.
        readers = sorted(audience(facts))
        for agency in readers:
            add(
                "partnerships_documentgroupobjectpermission",
                ctx.permission,
                groups[agency],
                alliance,
                document,
                at,
                sensitivity,
                partnership.pk if partnership else None,
            )
        read = at + (ANCHOR - at) * rng.random()
        if partnership is not None and rng.random() < 0.2:
            present = [r for r in readers if not away.at(partnership.pk, r, read)]
            if rng.random() < 0.01:
                present = readers
            if not present:
                continue
            reader = rng.choice(present)
            add(
                "partnerships_documentaccess",
                alliance,
                document,
                by_pk[reader].chief,
                reader,
                rng.choice(["view", "download"]),
                rng.choice(["page", "api"]),
                read,
            )


# ----------------------------------------------------------------------------- the load


def secondary(cursor: Any, table: str) -> tuple[list[str], list[str]]:
    """(constraints, indexes) of a table other than its primary key, as SQL that makes them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype <> 'p' ORDER BY contype DESC, conname",
        [table],
    )
    constraints = [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in cursor.fetchall()
    ]
    cursor.execute(
        "SELECT indexdef FROM pg_indexes i WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    return constraints, [row[0] for row in cursor.fetchall()]


def drop_secondary(cursor: Any, table: str) -> None:
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype <> 'p' "
        "ORDER BY contype",  # foreign keys (f) before the unique (u) indexes they may lean on
        [table],
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{name}"')


def generate(scale: float) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission
    from django.db import connection

    permission = Permission.objects.get(
        content_type__app_label="partnerships", codename="view_document"
    ).pk
    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = False
    with raw.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        saved = {table: secondary(cursor, table) for table in COLUMNS}
        for table in COLUMNS:
            drop_secondary(cursor, table)
    raw.commit()

    loader = Loader(raw)
    ctx = Context(loader, make_password(PASSWORD), permission)
    started = time.perf_counter()
    for a, size in enumerate(plan(scale)):
        generate_alliance(ctx, a, size)
        if a % 20 == 19:
            print(f"  {a + 1} alliances in {time.perf_counter() - started:.0f} s", flush=True)
    loader.flush()
    raw.commit()
    print(f"Rows written in {time.perf_counter() - started:.0f} s", flush=True)

    with raw.cursor() as cursor:
        rebuilt = time.perf_counter()
        for table in COLUMNS:
            constraints, indexes = saved[table]
            for sql in indexes + constraints[::-1]:
                cursor.execute(sql)
            last = f"SELECT COALESCE(MAX(id), 1) FROM {table}"  # noqa: S608 - our own table names
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({last}))")
        raw.commit()
        print(f"Indexes and constraints built in {time.perf_counter() - rebuilt:.0f} s", flush=True)
        raw.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    return dict(loader.counts)


def write_paper() -> None:
    """The one file every generated document points at, where the storage looks for it."""
    from django.core.files.storage import default_storage

    if not default_storage.exists(PAPER_NAME):
        from django.core.files.base import ContentFile

        default_storage.save(PAPER_NAME, ContentFile(PAPER))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is a million documents")
    args = parser.parse_args()
    if not 0 < args.scale <= 4:
        parser.error("--scale must be more than 0 and at most 4")
    configure(SCALE_DATABASE_URL)
    started = time.perf_counter()
    ensure_database(fresh=True)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    print(f"Migrated in {time.perf_counter() - started:.0f} s", flush=True)
    counts = generate(args.scale)
    write_paper()
    for table, rows in sorted(counts.items()):
        print(f"  {table:46} {rows:>10,}")
    print(f"Generated scale {args.scale} in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
