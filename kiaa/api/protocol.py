"""The protocol's versions and boards' acceptances over the API: what the protocol page shows
and does besides the version in force (`protocol/`).

`protocol/versions/`: every adopted version, newest first; an admin POSTs a new one.
`protocol/acceptances/`: a trustee records their board's acceptance of the version in force
(protocol clause 4: boards decide), an admin any board's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa import selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.api.permissions import ReadsForMembersWritesForAdmins, RecordsTheirBoardsAcceptance
from kiaa.api.serializers import ProtocolSerializer
from kiaa.api.views import NO_PROTOCOL
from kiaa.models import ProtocolAcceptance, ProtocolVersion
from kiaa.services import protocol


class ProtocolVersionCreateSerializer(serializers.Serializer[Any]):
    """A new version: its principles (one a line), when it takes effect and when it is reviewed."""

    # Blank is the service's to refuse, in the words the page uses.
    principles = serializers.CharField(allow_blank=True)
    implemented_on = serializers.DateField()
    review_due_on = serializers.DateField()


class AcceptanceCreateSerializer(serializers.Serializer[Any]):
    """The board (agency) that accepted the version in force, and the date of its meeting."""

    agency = serializers.IntegerField(min_value=1)
    accepted_on = serializers.DateField()


def versions_for(view: TenantAPIMixin) -> QuerySet[ProtocolVersion]:
    """The alliance's versions as the serializer reads them: acceptances with each."""
    found = selectors.protocol_version_list_for(person=view.person, alliance=view.alliance)
    return found.prefetch_related("acceptances")


class ProtocolVersionListView(TenantAPIMixin, mixins.ListModelMixin, GenericAPIView):  # type: ignore[type-arg]
    """Every adopted version of the protocol, newest first; an admin adopts a new one."""

    queryset = ProtocolVersion.objects.none()
    serializer_class = ProtocolSerializer
    permission_classes = [IsAuthenticated, ReadsForMembersWritesForAdmins]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ProtocolVersion]:
        return versions_for(self)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(request=ProtocolVersionCreateSerializer, responses={201: ProtocolSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Adopt a new version; it is in force at once and every board is asked to accept it."""
        data = ProtocolVersionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = protocol.protocol_version_publish(
            actor=self.person, alliance=self.alliance, **data.validated_data
        )
        return Response(ProtocolSerializer(version).data, status=status.HTTP_201_CREATED)


class ProtocolAcceptanceView(TenantAPIMixin, GenericAPIView):  # type: ignore[type-arg]
    """POST: a board's acceptance of the version in force; answers with that version."""

    queryset = ProtocolAcceptance.objects.none()
    serializer_class = AcceptanceCreateSerializer
    permission_classes = [IsAuthenticated, RecordsTheirBoardsAcceptance]

    @extend_schema(request=AcceptanceCreateSerializer, responses={201: ProtocolSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = AcceptanceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = selectors.protocol_version_current_for(alliance=self.alliance)
        if version is None:
            raise Http404(NO_PROTOCOL)
        agency = selectors.agency_get_for(
            person=self.person, alliance=self.alliance, pk=data.validated_data["agency"]
        )
        protocol.protocol_accept(
            actor=self.person,
            version=version,
            agency=agency,
            accepted_on=data.validated_data["accepted_on"],
        )
        accepted = versions_for(self).get(pk=version.pk)
        return Response(ProtocolSerializer(accepted).data, status=status.HTTP_201_CREATED)
