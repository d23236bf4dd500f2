"""THE information barrier: which agencies may see each sensitive document, and every read of one.

The rule (`audience`) is a pure function of a document's facts. `reconcile` brings the
django-guardian object permissions (one group per agency, a direct-FK permission table) to
exactly that audience, adding and removing only the difference and keeping the history; run
twice, the second run changes nothing. Every path that shows a document — pages, API,
downloads, search, reports, admin — reads through `visible_to` / `get_for`, which read those
permissions, so there is one answer everywhere.

The documents and their facts live in higher apps (partnerships, later bids), which register a
`Source` here: the core never imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from kiaa.models import Agency, Alliance, User
from kiaa.permissions import roles_of

ALLIANCE, PARTNERSHIP, COMMERCIAL = "alliance", "partnership", "commercial"
VIEW_PERMISSION = "view_document"


@dataclass(frozen=True)
class Facts:
    """What the rule needs to know about one document."""

    sensitivity: str
    alliance_agencies: frozenset[int]  # the alliance's agencies that are not expelled
    members: frozenset[int] = frozenset()  # active members of the document's partnership
    withdrawn: frozenset[int] = frozenset()  # members in a withdrawal from that partnership now


def audience(facts: Facts) -> frozenset[int]:
    """The agencies that may see a document (DESIGN.md, rules that never bend).

    alliance: every agency of the alliance; partnership: the partnership's active members;
    commercial: those members, less any in a withdrawal while they compete (protocol clause 5).
    Expelled agencies see nothing (clause 6).
    """
    if facts.sensitivity == ALLIANCE:
        return facts.alliance_agencies
    if facts.sensitivity == PARTNERSHIP:
        return facts.members & facts.alliance_agencies
    return (facts.members - facts.withdrawn) & facts.alliance_agencies


class Source(Protocol):
    """What an app that owns sensitive documents registers with the barrier."""

    document_model: Any  # a model class with an `alliance` FK and a `sensitivity` field
    permission_model: Any  # its guardian direct-FK GroupObjectPermission model

    def facts(self, documents: list[Any]) -> dict[int, Facts]: ...

    def unacknowledged(self, person: User, alliance: Alliance) -> Q:
        """Documents the person may not open yet until they accept an undertaking."""
        ...

    def record_changes(self, changes: list[tuple[Any, int, bool]]) -> None:
        """Keep the history of (document, agency id, granted)."""
        ...

    def record_attempt(self, *, person: User, document: Any, action: str, channel: str) -> None: ...


_source: Source | None = None


def register(source: Source) -> None:
    global _source
    _source = source


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
    facts = src.facts(documents)
    groups = dict(Agency.objects.filter(pk__in=_agency_ids(facts)).values_list("pk", "group_id"))
    perms = src.permission_model.objects.filter(  # type: ignore[attr-defined]
        content_object__in=documents, permission__codename=VIEW_PERMISSION
    ).select_for_update()
    have: dict[int, set[int]] = {d.pk: set() for d in documents}
    for row in perms.values("content_object_id", "group__agency"):
        have[row["content_object_id"]].add(row["group__agency"])
    permission = _view_permission(src)
    grant, changes = [], []
    for document in documents:
        want = audience(facts[document.pk])
        for agency_id in want - have[document.pk]:
            grant.append(
                src.permission_model(
                    alliance_id=document.alliance_id,
                    group_id=groups[agency_id],
                    permission=permission,
                    content_object=document,
                )
            )
            changes.append((document, agency_id, True))
        for agency_id in have[document.pk] - want:
            changes.append((document, agency_id, False))
    revoke_q = Q()
    for document, agency_id, granted in changes:
        if not granted:
            revoke_q |= Q(content_object=document, group__agency=agency_id)
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


def reconcile_alliance(alliance: Alliance) -> tuple[int, int]:
    """Every document of the alliance: the periodic catch-up after missed events."""
    model = source().document_model
    return reconcile(model.objects.filter(alliance=alliance))  # type: ignore[attr-defined]


def visible_to(person: User, alliance: Alliance) -> QuerySet[Any]:
    """The documents of this alliance the person may see, as a queryset to filter further."""
    src = source()
    documents = src.document_model.objects.filter(alliance=alliance)  # type: ignore[attr-defined]
    permitted = get_objects_for_user(
        person,
        f"{src.document_model._meta.app_label}.{VIEW_PERMISSION}",
        klass=documents,
        use_groups=True,
        with_superuser=False,
        accept_global_perms=False,
    )
    seen = Q(pk__in=permitted.values("pk"))
    if roles_of(person, alliance).holds_alliance_role:
        # Alliance-wide papers are for every member, including admins who hold no agency.
        seen |= Q(sensitivity=ALLIANCE)
    return documents.filter(seen).exclude(src.unacknowledged(person, alliance))


def get_for(*, person: User, alliance: Alliance, pk: Any, action: str, channel: str) -> Any:
    """One document the person may see; else 404, and an attempt across the barrier is recorded."""
    src = source()
    document = visible_to(person, alliance).filter(pk=pk).first()
    if document is not None:
        return document
    hidden = (
        src.document_model.objects.filter(alliance=alliance, pk=pk).first()
        if str(pk).isdigit()
        else None
    )  # type: ignore[attr-defined]
    if hidden is not None:
        src.record_attempt(person=person, document=hidden, action=action, channel=channel)
    raise Http404("No such document.")
