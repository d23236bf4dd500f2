from collections.abc import Sequence
from typing import Any, cast

from rest_framework import pagination

from kiaa.paging import IdsFirst


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 200), as API.md fixes."""

    page_size_query_param = "page_size"
    max_page_size = 200


class IdsFirstPagination(PageNumberPagination):
    """Pages read in two steps (kiaa.paging.IdsFirst): for long lists joined to related rows."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        # A queryset or a kiaa.paging.Listed. DRF's pagination needs only count() and slices of
        # what it is given: IdsFirst has both.
        number = request.query_params.get(self.page_query_param, 1)
        listed = IdsFirst(queryset, per_page=self.get_page_size(request) or 0, page=number)
        pages = cast(Sequence[Any], listed)
        return super().paginate_queryset(pages, request, view)
