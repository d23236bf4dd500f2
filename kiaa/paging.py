"""Paginating a long filtered list: find the page's ids first, then read those rows whole."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, overload

from django.db.models import Count, Model, QuerySet, Window

M = TypeVar("M", bound=Model)


class Ids(Protocol):
    """A list's ids in its order, and how many there are."""

    def window(self, start: int, size: int) -> tuple[list[Any], int | None]:
        """The ids from `start` on, at most `size`, with the list's length (None when `start`
        is past the end), in one query."""
        ...

    def count(self) -> int: ...

    def __getitem__(self, index: slice) -> Any:
        """The ids of a slice, as a list or a subquery of them."""
        ...


@dataclass(frozen=True)
class Listed(Generic[M]):
    """A list whose ids, in order, are read from a cheaper source (`ids`) than its rows.

    `rows` says which related rows to read with each and in what order: only the rows of the
    ids `ids` gives are ever read from it, so it need not repeat the filter `ids` applied.
    """

    rows: QuerySet[M]
    ids: Ids

    def select_related(self, *fields: str) -> Listed[M]:
        return Listed(self.rows.select_related(*fields), self.ids)


class _OwnIds:
    """A queryset's own ids, read from the filtered table without the related rows."""

    def __init__(self, queryset: QuerySet[Any]) -> None:
        self.queryset = queryset.select_related(None)

    def window(self, start: int, size: int) -> tuple[list[Any], int | None]:
        rows = list(
            self.queryset.annotate(listed=Window(Count("pk"))).values_list("pk", "listed")[
                start : start + size
            ]
        )
        return [pk for pk, _ in rows], rows[0][1] if rows else None

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index: slice) -> Any:
        return self.queryset.values("pk")[index]


class IdsFirst(Generic[M]):
    """A queryset to hand to a paginator (Django's, or DRF's through `IdsFirstPagination`).

    PostgreSQL joins before it sorts and cuts a page, so a page of a list with its related rows
    (select_related) joins every matching row to keep 25: 3,000 for the papers a person may
    see. Here the page's ids are found first, from the filtered table alone or from the
    `Listed` list's own source of ids, and only those rows are read with their related ones.

    Told which page will be asked for (`per_page`, `page`), it reads that page's ids and the
    list's length in one query (a window count), where the filter would otherwise be worked out
    twice, once to count and once to find the page.
    """

    def __init__(
        self, listed: QuerySet[M] | Listed[M], per_page: int = 0, page: Any = None
    ) -> None:
        if isinstance(listed, Listed):
            self.queryset, self.ids = listed.rows, listed.ids
        else:
            self.queryset, self.ids = listed, _OwnIds(listed)
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
            ids, total = self.ids.window(self.hint, self.per_page)
            if ids:
                self.hinted, self.total = ids, total
        if self.total is None:  # no hint, or the page asked for is past the end
            self.total = self.ids.count()
        return self.total

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
            ids = self.ids[index]
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
