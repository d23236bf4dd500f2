"""Invitations over the API: the ones still open (the members page's "Open invitations") and
withdrawing one. `POST members/` sends them, in the same shape.

An admin sees every invitation of the alliance, a chief officer their own agencies' (the
selector's rule, the page's too); anyone else's invitation is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa import selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.api.permissions import RevokesInvitationsTheyCouldSend
from kiaa.api.serializers import InvitationSerializer
from kiaa.models import Invitation
from kiaa.services import members


class InvitationViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Invitations the person may manage: the list holds the open ones, newest first; one by
    id is there whatever became of it (its status says)."""

    queryset = Invitation.objects.none()
    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated, RevokesInvitationsTheyCouldSend]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Invitation]:
        found = selectors.invitation_list_for(person=self.person, alliance=self.alliance)
        if self.action == "list":
            # What the members page lists: neither accepted nor withdrawn.
            return found.filter(accepted_at=None, revoked_at=None)
        return found

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Withdraw an invitation nobody has accepted; its link stops working (409 if used)."""
        invitation = self.get_object()
        members.invitation_revoke(actor=self.person, invitation=invitation)
        invitation.refresh_from_db()
        return Response(InvitationSerializer(invitation).data)
