"""The base every tenant-scoped API view stands on: the alliance comes from the URL."""

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request

from kiaa import tenancy

UNHELD_AGENCY = "You hold no role in the agency named by X-Agency."


class TenantAPIMixin:
    """Resolves `request.tenant` as part of the permission check, in this order:

    signed in (401) -> a role in the alliance (404, through the same `resolve` as the pages)
    -> the object, if the URL names one (404 whatever the method) -> a method the view serves
    (405) -> the permission classes,
    which may now read `view.tenant` (403). An acting agency the person does not hold is a 403.
    """

    tenant: tenancy.Tenant
    _object: Any = None
    # Whether people whose only roles here are in an expelled agency may call it (the pages'
    # rule: only the disputes about that agency stay open to them).
    open_to_expelled = False

    def check_permissions(self, request: Request) -> None:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        try:
            self.tenant = tenancy.resolve(request, self.kwargs[tenancy.TENANT_KWARG])  # type: ignore[attr-defined, arg-type]
        except tenancy.UnheldAgency:
            raise exceptions.PermissionDenied(UNHELD_AGENCY) from None
        request.tenant = self.tenant  # type: ignore[attr-defined]
        if self.tenant.roles.only_expelled and not self.open_to_expelled:
            raise exceptions.NotFound("No such alliance.")
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        if lookup in self.kwargs:  # type: ignore[attr-defined]
            self._object = super().get_object()  # type: ignore[misc]
        # A method the view has no handler for is a 405 before any rule is asked: the
        # permission classes may assume the object or body their own methods bring.
        if getattr(self, request.method.lower(), None) is None:  # type: ignore[union-attr]
            raise exceptions.MethodNotAllowed(request.method)  # type: ignore[arg-type]
        super().check_permissions(request)  # type: ignore[misc]

    def get_object(self) -> Any:
        return self._object

    @property
    def alliance(self) -> Any:
        return self.tenant.alliance

    @property
    def person(self) -> Any:
        return self.tenant.person
