"""What a change touched, as a detection Scope: the objects named by an audit event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bids.models import Declaration, Tender
from disputes.findings import Scope
from partnerships.models import Document, PartnershipMember, Withdrawal


def _declaration(pk: int, payload: dict[str, Any]) -> Scope:
    return Scope(tenders=_ids(Declaration.objects.filter(pk=pk).values_list("tender_id")))


def _tender(pk: int, payload: dict[str, Any]) -> Scope:
    return Scope(tenders=_ids(Tender.objects.filter(pk=pk).values_list("pk")))


def _partnership(pk: int, payload: dict[str, Any]) -> Scope:
    return Scope(partnerships=frozenset({pk}))


def _member(pk: int, payload: dict[str, Any]) -> Scope:
    return Scope(
        partnerships=_ids(PartnershipMember.objects.filter(pk=pk).values_list("partnership_id"))
    )


def _withdrawal(pk: int, payload: dict[str, Any]) -> Scope:
    # A withdrawal opened for a bid also bears on the bid's tender.
    return _agency(pk, {"withdrawals": [pk]})


def _document(pk: int, payload: dict[str, Any]) -> Scope:
    partnership = Document.objects.filter(pk=pk).values_list("partnership_id")
    return Scope(partnerships=_ids(partnership), documents=frozenset({pk}))


def _alliance(pk: int, payload: dict[str, Any]) -> Scope:
    return Scope(alliance=True)


def _agency(pk: int, payload: dict[str, Any]) -> Scope:
    """Withdrawals started or ended together name the agency and list the withdrawals."""
    withdrawals = Withdrawal.objects.filter(pk__in=payload.get("withdrawals", []))
    rows = list(withdrawals.values_list("partnership_id", "bid__tender_id"))
    return Scope(
        tenders=frozenset(t for _, t in rows if t is not None),
        partnerships=frozenset(p for p, _ in rows),
    )


def _ids(rows: object) -> frozenset[int]:
    return frozenset(value for (value,) in rows if value is not None)  # type: ignore[attr-defined]


RESOLVERS: dict[str, Callable[[int, dict[str, Any]], Scope]] = {
    "kiaa.agency": _agency,
    "bids.declaration": _declaration,
    "bids.tender": _tender,
    "partnerships.partnership": _partnership,
    "partnerships.partnershipmember": _member,
    "partnerships.withdrawal": _withdrawal,
    "partnerships.document": _document,
    "kiaa.protocol": _alliance,
    "kiaa.protocolversion": _alliance,
    # Rulings' actions are watched across the alliance (their detector reads them all at once).
    "disputes.ruling": _alliance,
    "disputes.requiredaction": _alliance,
}


def scope_of(target_type: str, target_id: int, payload: dict[str, Any]) -> Scope:
    """The scope one change calls for; an unknown kind of object touches nothing."""
    resolve = RESOLVERS.get(target_type)
    return resolve(target_id, payload) if resolve else Scope()
