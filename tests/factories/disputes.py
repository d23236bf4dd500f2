"""Breaches for the tests of the register's pages and API.

The detectors that write breaches are being built alongside these pages, so this factory is
the one place that writes Breach rows directly; once they land, build through them instead.
A breach takes its alliance from its parent (the agency, tender, partnership or declaration).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from disputes.models import Breach
from kiaa.models import Alliance

PARENTS = ("agency", "tender", "partnership", "declaration")


def _alliance_of(breach: Any) -> Alliance:
    """The parents' one alliance; a breach with none (the alliance's own duty) must name it."""
    alliances = {
        getattr(breach, p).alliance_id: getattr(breach, p).alliance for p in _parents(breach)
    }
    assert len(alliances) == 1, "give a parent (agency, tender...) of one alliance, or the alliance"
    return next(iter(alliances.values()))


def _parents(breach: Any) -> list[str]:
    return [p for p in PARENTS if getattr(breach, p) is not None]


class BreachFactory(factory.Factory):
    class Meta:
        model = Breach

    agency = None
    tender = None
    partnership = None
    declaration = None
    alliance = factory.LazyAttribute(_alliance_of)
    kind = Breach.Kind.MOU_UNSIGNED
    key = factory.Sequence(lambda n: f"test:{n}")
    summary = factory.LazyAttribute(
        lambda b: f"{b.agency.name if b.agency else 'The alliance'} broke the protocol."
    )
    evidence = factory.LazyFunction(lambda: {"details": ["The system saw it happen."]})
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    detected_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Breach:
        # Parents of another alliance would make a breach no selector can place.
        for parent in PARENTS:
            if kwargs.get(parent) is not None:
                assert kwargs[parent].alliance_id == kwargs["alliance"].pk, parent
        return Breach.objects.create(**kwargs)
