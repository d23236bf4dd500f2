"""The annual protocol compliance report: a year of the protocol at work, for the annual meeting.

Every figure is read through the selectors the pages use, as the requester (an admin) sees the
alliance, and counted in the database where it can be: the protocol and each member's
acceptance, declarations by status and month, withdrawals and whether they were honoured,
breaches by kind and outcome, disputes and how long each took, with three charts
(kiaa.reports.charts).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from bids import selectors as bids_selectors
from bids.models import Declaration
from disputes import selectors
from disputes.models import Breach, Dispute
from kiaa import selectors as core_selectors
from kiaa.models import Agency, Alliance, ProtocolVersion, User
from kiaa.permissions import Roles
from kiaa.reports import charts, kinds
from kiaa.reports.charts import DARK, HATCHED, LIGHT, OUTLINED, named
from kiaa.reports.content import Report, Section, day
from partnerships import selectors as partnership_selectors
from partnerships.models import Withdrawal

NAME = "annual_compliance"
TITLE = "Annual protocol compliance report"
FIRST_YEAR = 2000
BAD_YEAR = "Choose a year from {first} to {last}."
NO_VERSION = "No version of the protocol has been adopted yet."
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The outcomes of a breach in the order it moves through them, each drawn apart in grey.
OUTCOMES = (
    (Breach.Status.OPEN, OUTLINED),
    (Breach.Status.UNDER_REVIEW, HATCHED),
    (Breach.Status.UPHELD, DARK),
    (Breach.Status.DISMISSED, LIGHT),
)
# Beyond this many disputes in a year the duration chart shows the longest (the table has all).
DURATION_BARS = 20
WITHDRAWAL_KEY = "withdrawal:"  # the worked_during_withdrawal detector's key prefix


class ComplianceParams(kinds.ParamsForm):
    year = forms.IntegerField(label="Year")

    def setup(self) -> None:
        """The current year unless another is chosen; nothing later can be reported."""
        this_year = timezone.localdate().year
        self.fields["year"].initial = this_year
        self.fields["year"].widget.attrs.update({"min": FIRST_YEAR, "max": this_year})

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        this_year = timezone.localdate().year
        if not FIRST_YEAR <= year <= this_year:
            raise forms.ValidationError(BAD_YEAR.format(first=FIRST_YEAR, last=this_year))
        return year

    def describe(self) -> str:
        return str(self.cleaned_data.get("year", ""))


def refuse(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    """Any admin may export any year (offered only to admins)."""
    return None


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 declaration", "3 declarations"."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


# -- 1. The protocol ------------------------------------------------------------------------------


def review_status(due_on: date, today: date) -> str:
    """The review date in words: "due in 40 days", "due today", "overdue since 1 Mar 2026"."""
    days = (due_on - today).days
    if days < 0:
        return f"overdue since {day(due_on)}"
    if days == 0:
        return "due today"
    return "due tomorrow" if days == 1 else f"due in {days} days"


@dataclass(frozen=True)
class Acceptance:
    agency: str
    note: str  # "(suspended)", "(the arbiter)"
    accepted_on: date | None


def acceptances(version: ProtocolVersion | None, agencies: list[Agency]) -> list[Acceptance]:
    """Each member agency with the date its board accepted the current version, if it has."""
    accepted = {a.agency_id: a.accepted_on for a in version.acceptances.all()} if version else {}
    rows = []
    for agency in agencies:
        note = "(the arbiter)" if agency.is_arbiter else ""
        if agency.status == Agency.Status.SUSPENDED:
            note = "(suspended)"
        rows.append(Acceptance(agency.name, note, accepted.get(agency.pk)))
    return rows


def protocol_section(*, person: User, alliance: Alliance, today: date) -> tuple[Section, str]:
    """The protocol in force, its review, and who has accepted it; and the facts' line."""
    protocol = core_selectors.protocol_get_for(alliance=alliance)
    version = core_selectors.protocol_version_current_for(alliance=alliance)
    # Expelled agencies have ceased to be members (clause 6): they accept nothing now.
    agencies = list(
        core_selectors.agency_list_for(person=person, alliance=alliance)
        .prefetch_related(None)
        .exclude(status=Agency.Status.EXPELLED)
        .order_by("name")
    )
    rows = acceptances(version, agencies)
    done = sum(1 for row in rows if row.accepted_on)
    review = review_status(version.review_due_on, today) if version else ""
    context = {
        "protocol": protocol,
        "version": version,
        "review": review,
        "rows": rows,
        "accepted": f"{done} of {plural(len(rows), 'member agency', 'member agencies')}",
        "no_version": NO_VERSION,
    }
    line = f"Version {version.number}, review {review}" if version else NO_VERSION
    section = Section(
        "protocol",
        "The protocol",
        "reports/annual_compliance/protocol.html",
        context,
        6 + len(rows),
    )
    return section, line


# -- 2. Declarations ------------------------------------------------------------------------------


def _late() -> Q:
    """Declared after the tender's expression-of-interest deadline (as the rules judge it)."""
    return Q(tender__eoi_deadline__isnull=False, declared_at__gt=F("tender__eoi_deadline"))


def days_late(declaration: Declaration) -> int:
    """Whole days between the tender's deadline and the declaration (0 if either is missing)."""
    deadline, declared = declaration.tender.eoi_deadline, declaration.declared_at
    return (declared - deadline).days if deadline and declared else 0


def declaration_counts(found: QuerySet[Declaration]) -> dict[str, int]:
    """Per month (m1..m12), per status and late, in one query."""
    counts: dict[str, Any] = {
        f"m{m}": Count("pk", filter=Q(declared_at__month=m)) for m in range(1, 13)
    }
    counts |= {f"s_{s}": Count("pk", filter=Q(status=s)) for s in Declaration.Status.values}
    counts["late"] = Count("pk", filter=_late())
    counts["total"] = Count("pk")
    return found.order_by().aggregate(**counts)


def declarations_section(*, person: User, alliance: Alliance, year: int) -> tuple[Section, str]:
    """Declarations made public in the year: by status, the late ones, and per month."""
    # A declaration counts in the year it was declared: the moment it became the alliance's to
    # know (clause 5); drafts have no such moment and stay their agencies' own.
    found = bids_selectors.declaration_list_for(person=person, alliance=alliance).filter(
        declared_at__year=year
    )
    counts = declaration_counts(found)
    per_month = [(MONTHS[m - 1], counts[f"m{m}"]) for m in range(1, 13)]
    statuses = [(label, counts[f"s_{s}"]) for s, label in Declaration.Status.choices]
    statuses = [(label, n) for label, n in statuses if n]
    # The partners a declaration names are not printed here: no need to fetch them.
    late_ones = found.filter(_late()).prefetch_related(None).order_by("declared_at", "pk")
    late = list(late_ones) if counts["late"] else []
    chart = charts.columns(
        per_month,
        id="chart-declarations",
        title=f"Declarations per month, {year}",
        desc=charts.summary(per_month, noun="declarations", among="month"),
        axis="Declarations",
    )
    context = {
        "year": year,
        "total": counts["total"],
        "statuses": statuses,
        "late": [(d, days_late(d)) for d in late],
        "chart": chart,
    }
    line = f"{counts['total']} declared, {counts['late']} late"
    weight = 14 + len(statuses) + len(late)
    return Section(
        "declarations",
        f"Declarations in {year}",
        "reports/annual_compliance/declarations.html",
        context,
        weight,
    ), line


# -- 3. Withdrawals -------------------------------------------------------------------------------


def withdrawal_breaches(*, person: User, alliance: Alliance) -> dict[int, tuple[int, str]]:
    """Withdrawal id -> (breach number, status) of the breach of working during it, if any.

    The detector keys the breach by its withdrawal, and a key is found once (`breach_once`),
    so a withdrawal has at most one, whenever it was detected.
    """
    found = selectors.breach_list_for(person=person, alliance=alliance).filter(
        kind=Breach.Kind.WORKED_DURING_WITHDRAWAL, key__startswith=WITHDRAWAL_KEY
    )
    breaches: dict[int, tuple[int, str]] = {}
    for key, pk, status in found.order_by().values_list("key", "pk", "status"):
        withdrawal = key.removeprefix(WITHDRAWAL_KEY)
        if withdrawal.isdigit():
            breaches[int(withdrawal)] = (pk, status)
    return breaches


def withdrawals_section(*, person: User, alliance: Alliance, year: int) -> tuple[Section, str]:
    """Withdrawals opened in the year: ended, in force, and honoured or not."""
    breaches = withdrawal_breaches(person=person, alliance=alliance)
    upheld = [w for w, (_, status) in breaches.items() if status == Breach.Status.UPHELD]
    undecided = (Breach.Status.OPEN, Breach.Status.UNDER_REVIEW)
    pending = [w for w, (_, status) in breaches.items() if status in undecided]
    now = timezone.now()
    found = partnership_selectors.withdrawal_list_for(person=person, alliance=alliance).filter(
        starts_at__year=year
    )
    counts = found.order_by().aggregate(
        opened=Count("pk"),
        by_bids=Count("pk", filter=Q(bid__isnull=False)),
        ended=Count("pk", filter=Q(ends_at__lte=now)),
        in_force=Count("pk", filter=Q(pk__in=Withdrawal.objects.active(now).values("pk"))),
        broken=Count("pk", filter=Q(pk__in=upheld)),
        pending=Count("pk", filter=Q(pk__in=pending)),
    )
    counts["honoured"] = counts["opened"] - counts["broken"]
    broken = (
        list(found.filter(pk__in=upheld).order_by("starts_at", "pk")) if counts["broken"] else []
    )
    context = {
        "year": year,
        "counts": counts,
        "broken": [(w, breaches[w.pk][0]) for w in broken],
    }
    line = f"{counts['opened']} opened, {counts['honoured']} honoured"
    return Section(
        "withdrawals",
        f"Withdrawals from partnership working opened in {year}",
        "reports/annual_compliance/withdrawals.html",
        context,
        8 + len(broken),
    ), line


# -- 4. Breaches ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindRow:
    kind: str
    outcomes: list[int]  # in the order of OUTCOMES
    sanctions: str  # "1 warning, 1 expulsion"

    @property
    def total(self) -> int:
        return sum(self.outcomes)


def kind_rows(grouped: list[tuple[str, str, str, int]]) -> list[KindRow]:
    """Every kind of breach, with its count in each outcome and the sanctions imposed."""
    by_kind: dict[str, Counter[str]] = {k: Counter() for k in Breach.Kind.values}
    sanctions: dict[str, Counter[str]] = {k: Counter() for k in Breach.Kind.values}
    for kind, status, sanction, n in grouped:
        by_kind.setdefault(kind, Counter())[status] += n
        if sanction and sanction != Breach.Sanction.NONE:
            sanctions.setdefault(kind, Counter())[sanction] += n
    return [
        KindRow(
            Breach.Kind(kind).label,
            [by_kind[kind][status] for status, _ in OUTCOMES],
            ", ".join(
                f"{n} {Breach.Sanction(s).label.lower()}"
                for s, n in sorted(sanctions[kind].items())
            ),
        )
        for kind in by_kind
    ]


def breaches_section(*, person: User, alliance: Alliance, year: int) -> tuple[Section, str]:
    """Breaches detected in the year by kind and outcome, and the sanctions imposed."""
    found = selectors.breach_list_for(person=person, alliance=alliance).filter(
        detected_at__year=year
    )
    grouped = list(
        found.order_by().values_list("kind", "status", "sanction").annotate(n=Count("pk"))
    )
    rows = kind_rows(grouped)
    sanctioned = list(
        found.exclude(sanction__in=["", Breach.Sanction.NONE])
        .select_related("ruling")
        .order_by("detected_at", "pk")
    )
    totals = [sum(row.outcomes[i] for row in rows) for i in range(len(OUTCOMES))]
    chart = charts.stacked_bars(
        [(row.kind, row.outcomes) for row in rows],
        [named(status.label, style) for status, style in OUTCOMES],
        id="chart-breaches",
        title=f"Breaches detected in {year}, by kind and outcome",
        desc=_breaches_desc(rows, totals),
        axis="Breaches",
    )
    context = {
        "year": year,
        "rows": rows,
        "outcomes": [status.label for status, _ in OUTCOMES],
        "totals": totals,
        "total": sum(totals),
        "sanctioned": sanctioned,
        "chart": chart,
    }
    upheld = totals[[s for s, _ in OUTCOMES].index(Breach.Status.UPHELD)]
    line = f"{sum(totals)} detected, {upheld} upheld"
    return Section(
        "breaches",
        f"Breaches detected in {year}",
        "reports/annual_compliance/breaches.html",
        context,
        14 + len(rows) + len(sanctioned),
    ), line


def _breaches_desc(rows: list[KindRow], totals: list[int]) -> str:
    if not sum(totals):
        return "No breaches were detected in the year."
    outcomes = ", ".join(
        f"{n} {status.label.lower()}" for (status, _), n in zip(OUTCOMES, totals, strict=True)
    )
    most = max(rows, key=lambda row: row.total)
    return (
        f"{plural(sum(totals), 'breach', 'breaches')} detected: {outcomes}. "
        f"The most common kind: {most.kind} ({most.total})."
    )


# -- 5. Disputes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeRow:
    dispute: Dispute
    filed_on: date
    closed_on: date | None
    days: int  # to its closing, or so far

    @property
    def parties(self) -> str:
        return f"{self.dispute.complainant.name} v {self.dispute.respondent.name}"

    @property
    def took(self) -> str:
        words = plural(self.days, "day")
        return words if self.closed_on else f"{words} so far"


def dispute_rows(disputes: list[Dispute], today: date) -> list[DisputeRow]:
    """Each dispute with how long it took from filing to closing (or has taken so far)."""
    rows = []
    for dispute in disputes:
        filed_on = timezone.localdate(dispute.filed_at)
        closed_on = timezone.localdate(dispute.closed_at) if dispute.closed_at else None
        rows.append(
            DisputeRow(dispute, filed_on, closed_on, ((closed_on or today) - filed_on).days)
        )
    return rows


def durations_chart(rows: list[DisputeRow], year: int, median: str | None) -> charts.Bars | None:
    """How long each dispute took, the open ones hatched (the longest when there are many)."""
    if not rows:
        return None
    shown = sorted(sorted(rows, key=lambda r: -r.days)[:DURATION_BARS], key=lambda r: r.filed_on)
    still = sum(1 for r in rows if not r.closed_on)
    desc = f"{plural(len(rows), 'dispute')} filed in {year}: {len(rows) - still} closed"
    if median is not None:
        desc += f", taking {median} days at the median"
    desc += f"; {still} still open." if still else "."
    return charts.stacked_bars(
        [
            (f"#{r.dispute.pk} {r.parties}", [r.days, 0] if r.closed_on else [0, r.days])
            for r in shown
        ],
        [named("Closed", DARK), named("Still open", HATCHED)],
        id="chart-disputes",
        title=f"Days from filing to closing, disputes filed in {year}",
        desc=desc,
        axis="Days",
        totals=[r.took for r in shown],
    )


def disputes_section(
    *, person: User, alliance: Alliance, year: int, today: date
) -> tuple[Section, str]:
    """Disputes filed in the year: how long each took, the median and longest, the open ones."""
    found = selectors.dispute_list_for(person=person, alliance=alliance).filter(filed_at__year=year)
    rows = dispute_rows(list(found.order_by("filed_at", "pk")), today)
    closed = [r for r in rows if r.closed_on]
    median = charts.number(statistics.median(r.days for r in closed)) if closed else None
    longest = max(closed, key=lambda r: r.days) if closed else None
    context = {
        "year": year,
        "rows": rows,
        "closed": len(closed),
        "open": len(rows) - len(closed),
        "median": median,
        "longest": longest,
        "chart": durations_chart(rows, year, median),
    }
    line = f"{len(rows)} filed, {len(closed)} closed"
    if median is not None:
        line += f", median {median} days"
    return Section(
        "disputes",
        f"Disputes filed in {year}",
        "reports/annual_compliance/disputes.html",
        context,
        10 + 2 * len(rows),
    ), line


# -- The report -----------------------------------------------------------------------------------


def scope(year: int, today: date) -> str:
    """ "1 January to 31 December 2025", or the year so far."""
    if year == today.year:
        return f"1 January to {today:%-d %B %Y} (the year so far)"
    return f"1 January to 31 December {year}"


def build(*, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]) -> Report:
    """The year's compliance with the protocol, read as the person sees the alliance."""
    year, today = int(params["year"]), timezone.localdate()
    protocol, protocol_line = protocol_section(person=person, alliance=alliance, today=today)
    declarations, declared = declarations_section(person=person, alliance=alliance, year=year)
    withdrawals, withdrawn = withdrawals_section(person=person, alliance=alliance, year=year)
    breaches, breached = breaches_section(person=person, alliance=alliance, year=year)
    disputes, disputed = disputes_section(person=person, alliance=alliance, year=year, today=today)
    return Report(
        title=TITLE,
        scope=scope(year, today),
        sections=[protocol, declarations, withdrawals, breaches, disputes],
        facts=[
            ("Year", str(year)),
            ("Protocol", protocol_line),
            ("Accepted by", protocol.context["accepted"]),
            ("Declarations", declared),
            ("Withdrawals", withdrawn),
            ("Breaches", breached),
            ("Disputes", disputed),
        ],
    )


KIND = kinds.Kind(
    name=NAME,
    title=TITLE,
    description=(
        "A year of the protocol at work, for the annual meeting: the version in force, its "
        "review and each member's acceptance; declarations by month; withdrawals and whether "
        "they were honoured; breaches by kind and outcome with their sanctions; and disputes "
        "with how long each took. With charts."
    ),
    form=ComplianceParams,
    build=build,
    offered=lambda roles: roles.is_admin,
    refuse=refuse,
    tabular=False,
)


def register() -> None:
    """Register this app's report kinds with kiaa.reports.kinds."""
    kinds.register(KIND)
