"""API views of the alliance core: reads through selectors, writes through services."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from kiaa import selectors
from kiaa.api import serializers as s
from kiaa.api.base import TenantAPIMixin
from kiaa.api.filters import MemberFilter
from kiaa.api.permissions import (
    InvitesByAdminsAndChiefOfficers,
    ReadsForMembersWritesForAdmins,
    RemovesRolesTheyCouldGive,
)
from kiaa.models import Agency, Membership, Protocol, ProtocolVersion, ServiceArea
from kiaa.permissions import can_set_standing_orders
from kiaa.services import alliances, members, protocol

NO_PROTOCOL = "This alliance has not adopted a protocol version yet."


class AgencyViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Member agencies; admins admit (POST) and edit (PATCH) them."""

    queryset = Agency.objects.none()
    serializer_class = s.AgencySerializer
    permission_classes = [IsAuthenticated, ReadsForMembersWritesForAdmins]
    filterset_fields = ["status", "reach", "size_band", "is_arbiter"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Agency]:
        return selectors.agency_list_for(person=self.person, alliance=self.alliance)

    @extend_schema(request=s.AgencyCreateSerializer, responses={201: s.AgencySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.AgencyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = alliances.agency_create(
            actor=self.person, alliance=self.alliance, **data.validated_data
        )
        return Response(s.AgencySerializer(agency).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AgencyUpdateSerializer, responses={200: s.AgencySerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        agency = self.get_object()
        data = s.AgencyUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        agency = alliances.agency_update(actor=self.person, agency=agency, **data.validated_data)
        return Response(s.AgencySerializer(self.get_queryset().get(pk=agency.pk)).data)


class ServiceAreaViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The alliance's service areas; admins add them."""

    queryset = ServiceArea.objects.none()
    serializer_class = s.ServiceAreaSerializer
    permission_classes = [IsAuthenticated, ReadsForMembersWritesForAdmins]
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[ServiceArea]:
        return selectors.service_area_list_for(person=self.person, alliance=self.alliance)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = alliances.service_area_create(
            actor=self.person, alliance=self.alliance, **serializer.validated_data
        )


class MemberViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Who holds which role in which agency; POST invites someone to a role, DELETE takes one
    away (`invitations/` lists the invitations not yet answered)."""

    queryset = Membership.objects.none()
    serializer_class = s.MemberSerializer
    permission_classes = [
        IsAuthenticated,
        InvitesByAdminsAndChiefOfficers,
        RemovesRolesTheyCouldGive,
    ]
    filterset_class = MemberFilter
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.member_list_for(person=self.person, alliance=self.alliance)

    @extend_schema(request=s.InviteSerializer, responses={201: s.InvitationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency_id = data.validated_data.get("agency")
        agency = (
            selectors.agency_get_for(person=self.person, alliance=self.alliance, pk=agency_id)
            if agency_id is not None
            else None
        )
        invitation = members.invitation_create(
            actor=self.person,
            alliance=self.alliance,
            email=data.validated_data["email"],
            role=data.validated_data["role"],
            agency=agency,
        )
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Take the role away; the alliance's last admin role stays (409)."""
        members.membership_end(actor=self.person, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProtocolView(TenantAPIMixin, APIView):
    """The protocol version in force, with each agency board's acceptance."""

    queryset = ProtocolVersion.objects.none()

    @extend_schema(responses={200: s.ProtocolSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = selectors.protocol_version_current_for(alliance=self.alliance)
        if version is None:
            raise Http404(NO_PROTOCOL)
        return Response(s.ProtocolSerializer(version).data)


class ProtocolSettingsView(TenantAPIMixin, APIView):
    """The alliance's own rules for applying the protocol; every member reads, an admin PUTs."""

    queryset = Protocol.objects.none()
    permission_classes = [IsAuthenticated, ReadsForMembersWritesForAdmins]

    @extend_schema(responses={200: s.ProtocolSettingsSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        current = selectors.protocol_get_for(alliance=self.alliance)
        return Response(s.ProtocolSettingsSerializer(current).data)

    @extend_schema(
        request=s.ProtocolSettingsSerializer, responses={200: s.ProtocolSettingsSerializer}
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.ProtocolSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = protocol.protocol_settings_update(
            actor=self.person, alliance=self.alliance, **data.validated_data
        )
        return Response(s.ProtocolSettingsSerializer(updated).data)


class SetsStandingOrders(BasePermission):
    """Members read an agency's standing orders; its chief officer, trustees or an admin set them."""

    message = protocol.NOT_THEIR_ORDERS

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_set_standing_orders(view.tenant.roles, agency=view.get_object())


class StandingOrdersView(TenantAPIMixin, GenericAPIView):  # type: ignore[type-arg]
    """`agencies/<id>/standing-orders/`: an agency's own rules, which only tighten the alliance's."""

    queryset = Agency.objects.none()
    serializer_class = s.StandingOrdersSerializer
    permission_classes = [IsAuthenticated, SetsStandingOrders]

    def get_queryset(self) -> QuerySet[Agency]:
        return selectors.agency_list_for(person=self.person, alliance=self.alliance)

    def shown(self, agency: Agency) -> dict[str, Any]:
        found = selectors.standing_orders_for(
            person=self.person, alliance=self.alliance, agency=agency
        )
        orders = found.orders
        return {
            "agency": agency.pk,
            "minimum_votes": orders.minimum_votes if orders else None,
            "full_board_above_pence": orders.full_board_above_pence if orders else None,
            "bar_chief_officers": orders.bar_chief_officers if orders else False,
            "rules": found.adds,
            "updated_by": orders.updated_by.username if orders else None,
            "updated_at": orders.updated_at if orders else None,
        }

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(s.StandingOrdersSerializer(self.shown(self.get_object())).data)

    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        agency = self.get_object()
        data = s.StandingOrdersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        protocol.standing_orders_update(actor=self.person, agency=agency, **data.validated_data)
        return Response(s.StandingOrdersSerializer(self.shown(agency)).data)
