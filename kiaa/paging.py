"""Paginating a long filtered list: find the page's ids first, then read those rows whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar, overload

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class IdsFirst(Generic[M]):
    """A queryset to hand to a paginator (Django's, or DRF's through `IdsFirstPagination`).

    PostgreSQL joins before it sorts and cuts a page, so a page of a list with its related rows
    (select_related) joins every matching row to keep 25: 3,000 for the papers a person may
    see. Here the page's ids are found from the filtered table alone, and only those rows are
    read with their related ones: the same page, at the cost of the filter, not of the joins.
    """

    def __init__(self, queryset: QuerySet[M]) -> None:
        self.queryset = queryset

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[M]:
        return iter(self[0 : len(self)])

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> list[M]: ...

    def __getitem__(self, index: int | slice) -> M | list[M]:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        ids = self.queryset.select_related(None).values("pk")[index]
        query = self.queryset.query
        rows = self.queryset.model._default_manager.filter(pk__in=ids)
        if query.select_related is True:
            rows = rows.select_related()
        elif query.select_related:
            rows = rows.select_related(*_paths(query.select_related))
        ordering = list(query.order_by or self.queryset.model._meta.ordering or ())
        lookups: tuple[Any, ...] = self.queryset._prefetch_related_lookups  # type: ignore[attr-defined]
        return list(rows.order_by(*ordering).prefetch_related(*lookups))


def _paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    """select_related's nested dict ({"a": {"b": {}}}) as the paths it was given ("a__b")."""
    paths = []
    for name, below in tree.items():
        path = f"{prefix}{name}"
        paths += _paths(below, f"{path}__") if below else [path]
    return paths
