"""One error format for the API (API.md): field errors or {"detail"}; never a 500 for bad input."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kiaa.errors import Code, DomainError, FieldErrors

NOT_FOUND = "Not found."

STATUS_OF = {
    Code.INVALID: status.HTTP_400_BAD_REQUEST,
    Code.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    Code.CONFLICT: status.HTTP_409_CONFLICT,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, FieldErrors):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        body: dict[str, Any] = (
            {exc.field: [exc.message]}
            if exc.field and exc.code == Code.INVALID
            else {"detail": exc.message}
        )
        return Response(body, status=STATUS_OF[exc.code])
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return drf_exception_handler(exc, context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404: under /api/ a URL no route matches (a malformed id) is the API's JSON."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
