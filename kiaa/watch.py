"""Who wants to know when the facts change: higher apps react without the core importing them.

Every state change writes an audit event in its transaction (and every paper opened writes an
access record); both pass through `changed`, which hands the change to the watchers registered
for its verb. A watcher runs inside the transaction, so what it asks for (an outbox message)
exists only if the change commits. The breach detectors watch this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """One change, as the audit trail or access log recorded it."""

    alliance_id: int
    verb: str
    target_type: str  # app_label.model
    target_id: int
    agency_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


Watcher = Callable[[Change], None]

_watchers: dict[str, list[Watcher]] = {}


def watch(verbs: Iterable[str], watcher: Watcher) -> None:
    """Call `watcher` for each change with one of these verbs (in the changing transaction)."""
    for verb in verbs:
        if watcher not in _watchers.setdefault(verb, []):
            _watchers[verb].append(watcher)


def changed(change: Change) -> None:
    for watcher in _watchers.get(change.verb, ()):
        watcher(change)
