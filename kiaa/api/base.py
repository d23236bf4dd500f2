"""The base every tenant-scoped API view stands on: the alliance comes from the URL."""

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request

from kiaa import tenancy

UNHELD_AGENCY = "You hold no role in the agency named by X-Agency."


class TenantAPIMixin:
    """Resolves `request.tenant` after authentication, through the same function as the pages.

    Another alliance (or one the person holds no role in) is a 404; an acting agency the
    person does not hold is a 403 (API.md).
    """

    tenant: tenancy.Tenant
    _object: Any = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        try:
            self.tenant = tenancy.resolve(request, kwargs[tenancy.TENANT_KWARG])  # type: ignore[arg-type]
        except tenancy.UnheldAgency:
            raise exceptions.PermissionDenied(UNHELD_AGENCY) from None
        request.tenant = self.tenant  # type: ignore[attr-defined]
        # The object comes first: another alliance's object is a 404 whatever the method.
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        if lookup in kwargs:
            self._object = super().get_object()  # type: ignore[misc]

    def get_object(self) -> Any:
        return self._object

    @property
    def alliance(self) -> Any:
        return self.tenant.alliance

    @property
    def person(self) -> Any:
        return self.tenant.person
