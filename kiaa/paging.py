"""Paginating a long filtered list: find the page's ids first, then read those rows whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar, overload

from django.db.models import Count, Model, QuerySet, Window

M = TypeVar("M", bound=Model)


class IdsFirst(Generic[M]):
    """A queryset to hand to a paginator (Django's, or DRF's through `IdsFirstPagination`).

    PostgreSQL joins before it sorts and cuts a page, so a page of a list with its related rows
    (select_related) joins every matching row to keep 25: 3,000 for the papers a person may
    see. Here the page's ids are found from the filtered table alone, and only those rows are
    read with their related ones.

    Told which page will be asked for (`per_page`, `page`), it reads that page's ids and the
    list's length in one query (a window count), where the filter would otherwise be worked out
    twice, once to count and once to find the page.
    """

    def __init__(self, queryset: QuerySet[M], per_page: int = 0, page: Any = None) -> None:
        self.queryset = queryset
        number = str(page or 1)
        self.hint = (int(number) - 1) * per_page if per_page and number.isdigit() else None
        self.per_page = per_page
        self.hinted: list[Any] | None = None
        self.total: int | None = None

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        if self.total is None and self.hint is not None and self.hint >= 0:
            self._read_hinted_page(self.hint)
        if self.total is None:  # no hint, or the page asked for is past the end
            self.total = self.queryset.count()
        return self.total

    def _read_hinted_page(self, start: int) -> None:
        rows = list(
            self.queryset.select_related(None)
            .annotate(listed=Window(Count("pk")))
            .values_list("pk", "listed")[start : start + self.per_page]
        )
        if rows:
            self.hinted = [pk for pk, _ in rows]
            self.total = rows[0][1]

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
        hint = self.hint
        if self.hinted is not None and hint is not None and (index.start or 0) == hint:
            stop = index.stop if index.stop is not None else hint + self.per_page
            ids: Any = self.hinted[: stop - hint]
        else:
            ids = self.queryset.select_related(None).values("pk")[index]
        return self._rows(ids)

    def _rows(self, ids: Any) -> list[M]:
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
