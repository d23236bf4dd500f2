"""The OpenAPI schema's shared parts: the error bodies (API.md's format) and the responses and
the X-Agency header that every operation of a kind can give, added in one place.

Each operation documents the errors it can answer with, so a client (and the schema fuzzer in
.ci/run) can rely on the status codes: an answer the schema does not list is a defect.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from kiaa import tenancy

WRITES = ("POST", "PUT", "PATCH", "DELETE")


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text="What went wrong, fit to show the person.")


# 400 is {"field": ["message"], ...} (nested for nested fields) or {"detail": "message"}.
VALIDATION_ERROR = {
    "type": "object",
    "description": 'Field errors, {"field": ["message"]}, or {"detail": "message"}.',
    "additionalProperties": True,
    "example": {"title": ["This field is required."]},
}

DESCRIPTIONS = {
    400: "Bad input: nothing was changed.",
    401: "Not signed in: no valid session or API token.",
    403: "Signed in, but not allowed to do this (or X-Agency names an agency you hold no role in).",
    404: "No such object, or it is in another alliance or behind the information barrier.",
    409: "The current state forbids this transition.",
    429: "Too many attempts from this address: wait for Retry-After seconds.",
}


class Errors:
    """The error responses by status code, for `extend_schema(responses={...})`."""

    def response(self, code: int) -> OpenApiResponse:
        body = VALIDATION_ERROR if code == 400 else ErrorSerializer
        return OpenApiResponse(response=body, description=DESCRIPTIONS[code])

    def pick(self, *codes: int) -> dict[int, OpenApiResponse]:
        return {code: self.response(code) for code in codes}


ERRORS = Errors()

AGENCY_PARAMETER = OpenApiParameter(
    name="X-Agency",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The agency you act for, when you hold roles in several of the alliance's.",
)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with each operation's possible errors and the X-Agency header."""

    def _is_tenant(self) -> bool:
        return f"{{{tenancy.TENANT_KWARG}}}" in self.path

    def _error_codes(self) -> set[int]:
        codes: set[int] = set()
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes.add(401)
        if self._is_tenant():
            codes |= {403, 404}
        # An object named in the path may be hidden; a list's page may not exist.
        if "{" in self.path or self.method == "GET":
            codes.add(404)
        # Writes validate their body; reads validate their filters and pagination.
        codes.add(400)
        if self._is_tenant() and self.method in WRITES:
            codes.add(409)
        if getattr(self.view, "throttle_classes", None):
            codes.add(429)
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in sorted(self._error_codes()):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    ERRORS.response(code), str(code), direction=direction
                )
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._is_tenant():
            parameters.append(AGENCY_PARAMETER)
        return parameters
