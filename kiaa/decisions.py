"""Trustee board decisions: the quorum rule, and what each app does when its question is decided.

An app that needs a board's approval (joining a partnership, declaring a bid) opens a
BoardDecision about one of its objects and registers, once, the handlers the vote calls.
The core never imports the apps; they register with it (DESIGN.md: dependencies point one way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiaa.models import Agency, BoardDecision, Membership, Protocol, Role, User

Handler = Callable[[BoardDecision, User], None]


@dataclass(frozen=True)
class Handlers:
    on_approved: Handler
    on_rejected: Handler


_registry: dict[str, Handlers] = {}


def register(subject_type: str, *, on_approved: Handler, on_rejected: Handler) -> None:
    """Called from an app's AppConfig.ready: what a decision about `subject_type` leads to."""
    _registry[subject_type] = Handlers(on_approved, on_rejected)


def handlers_for(subject_type: str) -> Handlers:
    return _registry[subject_type]


def trustees_of(agency: Agency) -> list[User]:
    """The people who may vote: the agency's trustees."""
    ids = Membership.objects.filter(agency=agency, role=Role.TRUSTEE).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def quorum_for(agency: Agency, trustee_count: int) -> int:
    """A majority of the agency's trustees, and never fewer than the protocol's minimum (default 2)."""
    minimum = Protocol.objects.values_list("minimum_quorum", flat=True).get(
        alliance_id=agency.alliance_id
    )
    return max(minimum, trustee_count // 2 + 1)
