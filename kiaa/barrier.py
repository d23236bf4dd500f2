"""THE information barrier: which agencies may see each sensitive document, and every read of one.

The rule (`audience`) is a pure function of a document's facts. `reconcile` brings the
django-guardian object permissions (one group per agency, a direct-FK permission table) to
exactly that audience, adding and removing only the difference and keeping the history; run
twice, the second run changes nothing. Every path that shows a document — pages, API,
downloads, search, reports, admin — reads through `visible_to`, `listing` or `get_for`, which
read those permissions, so there is one answer everywhere.

The documents and their facts live in higher apps (partnerships, later bids), which register a
`Source` here: the core never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404

from kiaa.models import Agency, Alliance, Membership, User

ALLIANCE, PARTNERSHIP, COMMERCIAL = "alliance", "partnership", "commercial"
VIEW_PERMISSION = "view_document"


@dataclass(frozen=True)
class Facts:
    """What the rule needs to know about one document."""

    sensitivity: str
    alliance_agencies: frozenset[int]  # the alliance's agencies that are not expelled
    members: frozenset[int] = frozenset()  # active members of the document's partnership
    withdrawn: frozenset[int] = frozenset()  # members in a withdrawal from that partnership now
    # Agencies that must never see it, members or not: a rival bid's team, for a bid paper.
    excluded: frozenset[int] = frozenset()


def audience(facts: Facts) -> frozenset[int]:
    """The agencies that may see a document (DESIGN.md, rules that never bend).

    alliance: every agency of the alliance; partnership: the partnership's active members (for a
    bid paper, the bid team); commercial: those members, less any in a withdrawal while they
    compete (protocol clause 5). Competitors on a tender never see each other's bid papers, and
    expelled agencies see nothing (clause 6).
    """
    if facts.sensitivity == ALLIANCE:
        return facts.alliance_agencies
    if facts.sensitivity == PARTNERSHIP:
        return (facts.members - facts.excluded) & facts.alliance_agencies
    return (facts.members - facts.withdrawn - facts.excluded) & facts.alliance_agencies


class Source(Protocol):
    """What an app that owns sensitive documents registers with the barrier."""

    # A model class with an `alliance` FK, a `sensitivity` field, and a `created_at` that orders
    # its lists, newest first.
    document_model: Any
    # Its guardian direct-FK GroupObjectPermission model, with an `alliance` FK and copies of
    # the document's `created_at` (as `document_created_at`) and of whatever `unacknowledged`
    # reads, under the same names, so a list is read from the permission rows alone (`listing`).
    permission_model: Any

    def facts(self, documents: list[Any]) -> dict[int, Facts]: ...

    def grant(self, document: Any, group_id: int, permission: Any) -> Any:
        """An unsaved permission row letting the group see the document, with its copies."""
        ...

    def unacknowledged(self, person: User, alliance: Alliance) -> Q:
        """Documents the person may not open yet until they accept an undertaking."""
        ...

    def record_changes(self, changes: list[tuple[Any, int, bool]]) -> None:
        """Keep the history of (document, agency id, granted)."""
        ...

    def record_attempt(
        self, *, person: User, document: Any, action: str, channel: str, agency: Any = None
    ) -> None:
        """Keep an ask across the barrier (`agency`: the one the person acted for, if known)."""
        ...


# A higher app's papers (a bid's, a tender's) get their facts from that app: it refines what
# the source found, for the documents it knows, and leaves the rest as they were.
Refiner = Callable[[list[Any], dict[int, Facts]], dict[int, Facts]]

_source: Source | None = None
_refiners: list[Refiner] = []


def register(source: Source) -> None:
    global _source
    _source = source


def refine_with(refiner: Refiner) -> None:
    """Called from a higher app's AppConfig.ready."""
    if refiner not in _refiners:
        _refiners.append(refiner)


def facts_of(documents: list[Any]) -> dict[int, Facts]:
    """The facts of a batch of documents, from the source and every refiner."""
    facts = source().facts(documents)
    for refiner in _refiners:
        facts = refiner(documents, facts)
    return facts


def source() -> Source:
    if _source is None:
        raise RuntimeError("no document source registered with the barrier")
    return _source


@transaction.atomic
def reconcile(documents: Iterable[Any]) -> tuple[int, int]:
    """Bring the permissions of these documents to their audience; returns (granted, revoked)."""
    src = source()
    documents = list(documents)
    if not documents:
        return 0, 0
    # Two reconciles of the same papers (a member leaves while another withdraws) take turns:
    # the second reads the facts and permissions the first committed, so neither grants twice.
    # The papers' rows are the lock, in id order so two batches cannot deadlock; locking the
    # permission rows themselves would not stop two grants of one that does not exist yet.
    model: Any = src.document_model
    locked = model.objects.filter(pk__in=[d.pk for d in documents]).order_by("pk")
    list(locked.select_for_update().values_list("pk", flat=True))
    facts = facts_of(documents)
    groups = dict(Agency.objects.filter(pk__in=_agency_ids(facts)).values_list("pk", "group_id"))
    perms = src.permission_model.objects.filter(  # type: ignore[attr-defined]
        content_object__in=documents, permission__codename=VIEW_PERMISSION
    )
    have: dict[int, set[int]] = {d.pk: set() for d in documents}
    for row in perms.values("content_object_id", "group_id", "group__agency"):
        have[row["content_object_id"]].add(row["group__agency"])
        # An agency losing sight may be in neither list above (expelled, out of the team).
        groups[row["group__agency"]] = row["group_id"]
    permission = _view_permission(src)
    grant, changes = [], []
    for document in documents:
        want = audience(facts[document.pk])
        for agency_id in want - have[document.pk]:
            grant.append(src.grant(document, groups[agency_id], permission))
            changes.append((document, agency_id, True))
        for agency_id in have[document.pk] - want:
            changes.append((document, agency_id, False))
    # One condition per agency losing sight, not per paper: a withdrawal revokes hundreds.
    revoked: dict[int, list[int]] = {}
    for document, agency_id, granted in changes:
        if not granted:
            revoked.setdefault(agency_id, []).append(document.pk)
    revoke_q = Q()
    for agency_id, document_ids in revoked.items():
        revoke_q |= Q(group_id=groups[agency_id], content_object_id__in=document_ids)
    src.permission_model.objects.bulk_create(grant)  # type: ignore[attr-defined]
    if revoke_q:
        perms.filter(revoke_q).delete()
    src.record_changes(changes)
    return len(grant), len(changes) - len(grant)


def _agency_ids(facts: dict[int, Facts]) -> set[int]:
    return set().union(*(f.alliance_agencies | f.members for f in facts.values()))


def _view_permission(src: Source) -> Any:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(src.document_model)
    return Permission.objects.get(content_type=content_type, codename=VIEW_PERMISSION)


def reconcile_agency(agency: Agency) -> tuple[int, int]:
    """Every document the agency may see now: after its standing changed (it was expelled),
    so it loses sight at once rather than at the next periodic reconcile."""
    src = source()
    held = src.permission_model.objects.filter(  # type: ignore[attr-defined]
        group_id=agency.group_id, permission__codename=VIEW_PERMISSION
    )
    return reconcile(_documents(agency.alliance).filter(pk__in=held.values("content_object_id")))


def reconcile_alliance(alliance: Alliance) -> tuple[int, int]:
    """Every document of the alliance: the periodic catch-up after missed events."""
    return reconcile(_documents(alliance))


def _groups(person: User) -> QuerySet[Any]:
    return User.groups.through.objects.filter(user_id=person.pk).values("group_id")


def _grants(person: User, alliance: Alliance) -> QuerySet[Any]:
    """The view permissions held by a group (agency) the person belongs to, in this alliance.

    Read straight from guardian's direct-FK table through its (alliance, group, permission, …)
    index, instead of guardian's generic `get_objects_for_user`, which casts every id of the alliance
    to text to match per-user permissions the barrier never grants. Only agencies' groups hold
    these permissions; reconcile is their only writer.
    """
    return source().permission_model.objects.filter(  # type: ignore[no-any-return]
        alliance=alliance, group_id__in=_groups(person), permission__codename=VIEW_PERMISSION
    )


def _granted_ids(person: User, alliance: Alliance) -> QuerySet[Any]:
    return _grants(person, alliance).values("content_object_id").order_by()


def _seen_ids(person: User, alliance: Alliance) -> QuerySet[Any]:
    """The ids of the documents the person's agencies may see, plus, for a role held in the
    alliance itself (an admin's), the alliance-wide ones: alliance-wide papers are for every
    member, including admins who hold no agency.

    One set that a list joins to, so it reads only what the person may see: its cost follows
    the person's papers, not the alliance's or the server's (an EXISTS per row, OR-ed with the
    admin's case, made PostgreSQL test every paper of the alliance: 0.4 s at 50,000 papers).
    """
    alliance_wide = _alliance_wide(person, alliance).values("pk").order_by()
    return _granted_ids(person, alliance).union(alliance_wide, all=True)


def _alliance_wide(person: User, alliance: Alliance) -> QuerySet[Any]:
    """The alliance-wide documents, when the person holds a role in the alliance itself; none
    otherwise (the test is a subquery of the same query)."""
    return (
        _documents(alliance)
        .filter(sensitivity=ALLIANCE)
        .filter(_holds_alliance_role(person, alliance))
    )


def _holds_alliance_role(person: User, alliance: Alliance) -> Exists:
    """A role held in the alliance itself (an admin's), as a subquery: no query of its own."""
    return Exists(
        Membership.objects.filter(alliance=alliance, user_id=person.pk, agency__isnull=True)
    )


def _documents(alliance: Alliance) -> QuerySet[Any]:
    return source().document_model.objects.filter(alliance=alliance)  # type: ignore[no-any-return]


def _visible(person: User, alliance: Alliance) -> Q:
    """The barrier's answer for one person, as a condition for a set of documents."""
    return Q(pk__in=_seen_ids(person, alliance)) & ~source().unacknowledged(person, alliance)


def _visible_row(person: User, alliance: Alliance) -> Q:
    """The same answer as `_visible`, for one document row: an index probe or two, where the
    set would be read whole to answer for one paper."""
    # The paper's created_at too, so the probe seeks straight to the row in the index.
    granted = Exists(
        _grants(person, alliance).filter(
            document_created_at=OuterRef("created_at"), content_object=OuterRef("pk")
        )
    )
    seen = Q(granted) | (Q(sensitivity=ALLIANCE) & Q(_holds_alliance_role(person, alliance)))
    return seen & ~source().unacknowledged(person, alliance)


def _may_see_anything(person: User) -> bool:
    return bool(person.is_authenticated and person.is_active)


def visible_to(person: User, alliance: Alliance) -> QuerySet[Any]:
    """The documents of this alliance the person may see, as a queryset to filter further.

    Lazy and built without a query of its own, so a list page costs the same at any size.
    """
    if not _may_see_anything(person):
        return _documents(alliance).none()
    return _documents(alliance).filter(_visible(person, alliance))


class Listing:
    """The ids of the documents a person may see, newest first, and how many there are: the
    same set as `visible_to`, read for a list page.

    Read from the permission rows alone: they carry their document's created_at and the facts
    `unacknowledged` reads, so PostgreSQL counts the person's papers and finds a page of them in
    their one stretch of the rows' index, where a list of the documents visits every paper the
    person may see (3,600 rows, in 30 ms, for a chief officer of a large alliance).
    """

    def __init__(self, person: User, alliance: Alliance, within: QuerySet[Any] | None) -> None:
        self.rows: QuerySet[Any] | None = None  # None: nobody to show anything to
        if not _may_see_anything(person):
            return
        hidden = source().unacknowledged(person, alliance)
        granted = _grants(person, alliance).exclude(hidden)
        alliance_wide = _alliance_wide(person, alliance).exclude(hidden)
        if within is not None:
            granted = granted.filter(content_object__in=within.values("pk"))
            alliance_wide = alliance_wide.filter(pk__in=within.values("pk"))
        # A paper two of the person's agencies may see has two rows: the union keeps one.
        self.rows = (
            granted.values(paper=F("content_object_id"), at=F("document_created_at"))
            .order_by()
            .union(alliance_wide.values(paper=F("pk"), at=F("created_at")).order_by())
        )

    def window(self, start: int, size: int) -> tuple[list[int], int | None]:
        """The ids from `start` on, at most `size`, and how many there are in all (None when
        `start` is past the end), in one query."""
        if self.rows is None:
            return [], None
        query, params = self.rows.query.sql_with_params()
        # Django cannot count a union in a window: the union, compiled by Django, is wrapped.
        listed = (
            f"SELECT seen.paper, COUNT(*) OVER () FROM ({query}) seen "  # noqa: S608
            "ORDER BY seen.at DESC, seen.paper DESC LIMIT %s OFFSET %s"
        )
        with connections[self.rows.db].cursor() as cursor:
            cursor.execute(listed, [*params, size, start])
            found = cursor.fetchall()
        return [paper for paper, _ in found], found[0][1] if found else None

    def count(self) -> int:
        return 0 if self.rows is None else self.rows.count()

    def __getitem__(self, index: slice) -> list[int]:
        if self.rows is None:
            return []
        return [row["paper"] for row in self.rows.order_by("-at", "-paper")[index]]


def listing(person: User, alliance: Alliance, within: QuerySet[Any] | None = None) -> Listing:
    """What a list page reads to find its papers (`Listing`), lazily: no query until it does.

    `within`: the alliance's documents a filter or search keeps (None for all of them); the
    listing is the ones among them the person may see.
    """
    return Listing(person, alliance, within)


def awaiting_undertaking(person: User, alliance: Alliance) -> QuerySet[Any]:
    """Documents the person's agencies may see that wait on an undertaking the person has yet
    to accept (commercial papers); for telling them so, never for showing the papers."""
    if not _may_see_anything(person):
        return _documents(alliance).none()
    return (
        _documents(alliance)
        .filter(pk__in=_granted_ids(person, alliance))
        .filter(source().unacknowledged(person, alliance))
    )


def get_for(
    *,
    person: User,
    alliance: Alliance,
    pk: Any,
    action: str,
    channel: str,
    related: Iterable[str] = (),
    agency: Any = None,
) -> Any:
    """One document the person may see; else 404, and an attempt across the barrier is recorded.

    One query answers both "does it exist here" and "may this person see it" (the same
    condition `visible_to` filters on); `related` names foreign keys to fetch with it, and
    `agency` is the one the person acts for, kept with an attempt.
    """
    if not str(pk).isdigit():
        # Not an id at all: nothing to look up, nothing that could be hidden.
        raise Http404("No such document.")
    visible = _visible_row(person, alliance) if _may_see_anything(person) else Value(False)
    found = _documents(alliance).filter(pk=pk)
    if related:  # with no names, select_related would join every foreign key, recursively
        found = found.select_related(*related)
    # One row by id: no order to plan (first() would sort by the papers' ordering).
    rows = found.annotate(
        barrier_visible=ExpressionWrapper(visible, output_field=BooleanField())
    ).order_by()
    document = next(iter(rows[:1]), None)
    if document is None:
        raise Http404("No such document.")
    if not document.barrier_visible:
        document.alliance = alliance  # the same row: the record needs no query to find it
        source().record_attempt(
            person=person, document=document, action=action, channel=channel, agency=agency
        )
        raise Http404("No such document.")
    return document


# ----------------------------------------------------------------------------- saying why

# Why an agency is outside a paper's audience: the branches of `audience`, in its order.
EXPELLED, NOT_MEMBER, EXCLUDED, WITHDRAWN = "expelled", "not_member", "excluded", "withdrawn"
NO_AGENCY = "no_agency"  # the person acts for no agency of the alliance (an admin, say)


def why_not(facts: Facts, agency_id: int) -> str | None:
    """Why the agency is not in the audience of a paper with these facts; None when it is.

    Read off `audience` itself, so what a page says can never differ from what the rule does.
    """
    if agency_id in audience(facts):
        return None
    if agency_id not in facts.alliance_agencies:
        return EXPELLED
    if agency_id not in facts.members:
        return NOT_MEMBER
    if agency_id in facts.excluded:
        return EXCLUDED
    return WITHDRAWN


def hidden_from(
    person: User, alliance: Alliance, papers: list[Any]
) -> dict[int, dict[int | None, str]]:
    """For papers as they would be (unsaved, each with a key of the caller's as its pk), why the
    rule keeps each from the person: {key: {agency id: reason}} for every agency the person
    belongs to ({None: NO_AGENCY} when they belong to none); a paper that one of their agencies,
    or their alliance role, may see is left out.

    For telling people what they cannot see, and why, without naming or counting a real paper
    (existence is never revealed): the caller describes a kind of paper, never a row. Whether
    the person has yet to accept an undertaking is `awaiting_undertaking`'s to say.
    """
    if not _may_see_anything(person):
        return {p.pk: {None: NO_AGENCY} for p in papers}
    mine = list(
        Agency.objects.filter(alliance=alliance, group_id__in=_groups(person)).values_list(
            "pk", flat=True
        )
    )
    facts = facts_of(papers)
    hidden: dict[int, dict[int | None, str]] = {}
    for paper in papers:
        reasons: dict[int | None, str] = {}
        for agency_id in mine:
            reason = why_not(facts[paper.pk], agency_id)
            if reason is None:
                break
            reasons[agency_id] = reason
        else:
            hidden[paper.pk] = reasons or {None: NO_AGENCY}
    alliance_wide = [p.pk for p in papers if p.pk in hidden and p.sensitivity == ALLIANCE]
    # Alliance-wide papers are open to a role in the alliance itself too (as in `_visible`).
    if (
        alliance_wide
        and Membership.objects.filter(
            alliance=alliance, user_id=person.pk, agency__isnull=True
        ).exists()
    ):
        for pk in alliance_wide:
            del hidden[pk]
    return hidden
