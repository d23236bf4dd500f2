"""What other apps do when an agency joins a partnership, in the same transaction.

The partnerships app never imports bids (DESIGN.md: dependencies point one way), yet a member
that is bidding must step back at once from a partnership it joins whose work overlaps its
tender (protocol clause 5), before the barrier shows it the partnership's papers. Bids registers
that here from its AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable

from kiaa.models import User
from partnerships.models import PartnershipMember

# (who made the change, the member just made active) -> None
OnJoin = Callable[[User, PartnershipMember], None]

_registry: dict[str, OnJoin] = {}


def register(name: str, hook: OnJoin) -> None:
    """Add (or replace, on a second ready()) an app's hook; called from AppConfig.ready."""
    _registry[name] = hook


def joined(actor: User, member: PartnershipMember) -> None:
    """Every app's hook, for a member that has just become active."""
    for hook in _registry.values():
        hook(actor, member)
