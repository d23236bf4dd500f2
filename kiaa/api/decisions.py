"""Trustee board decisions over the API: the questions before the person's boards, and votes.

Whatever asked the question (a partnership join, later a bid declaration) moves on when the
vote that reaches the quorum is cast; votes are never changed (a second vote is a 409).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa import selectors
from kiaa.api.base import TenantAPIMixin
from kiaa.api.filters import DecisionFilter
from kiaa.models import BoardDecision, BoardVote
from kiaa.permissions import can_vote_on
from kiaa.services import decisions


class VoteSerializer(serializers.ModelSerializer[BoardVote]):
    trustee = serializers.CharField(source="trustee.username", read_only=True)

    class Meta:
        model = BoardVote
        fields = ["trustee", "choice", "note", "cast_at"]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer[BoardDecision]):
    votes = VoteSerializer(many=True, read_only=True)
    votes_needed = serializers.SerializerMethodField()

    class Meta:
        model = BoardDecision
        fields = [
            "id",
            "agency",
            "question",
            "subject_type",
            "subject_id",
            "quorum",
            "status",
            "opened_at",
            "decided_at",
            "votes",
            "votes_needed",
        ]
        read_only_fields = fields

    def get_votes_needed(self, decision: BoardDecision) -> int:
        """Approvals still needed to reach the quorum; 0 once the board has decided."""
        if decision.status != BoardDecision.Status.OPEN:
            return 0
        approvals = sum(v.choice == BoardVote.Choice.APPROVE for v in decision.votes.all())
        return max(decision.quorum - approvals, 0)


class VoteCastSerializer(serializers.Serializer[Any]):
    """The same body as a declaration's vote (API.md)."""

    decision = serializers.ChoiceField(choices=BoardVote.Choice.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class VotesByTheBoard(BasePermission):
    """Trustees of the deciding agency vote; chief officers do not (protocol clause 4).

    Today only a board's trustees see its questions at all (decision_list_for), so anyone else
    gets the 404 first; this keeps the 403 ahead of the body's 400 should that ever widen.
    """

    message = decisions.NOT_A_TRUSTEE

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.action != "vote":
            return True
        return can_vote_on(view.tenant.roles, agency_id=view.get_object().agency_id)


class DecisionViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The questions before the boards the person sits on, newest first."""

    queryset = BoardDecision.objects.none()
    serializer_class = DecisionSerializer
    permission_classes = [IsAuthenticated, VotesByTheBoard]
    filterset_class = DecisionFilter

    def get_queryset(self) -> QuerySet[BoardDecision]:
        return selectors.decision_list_for(person=self.person, alliance=self.alliance)

    @extend_schema(request=VoteCastSerializer, responses={201: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A trustee votes once; the vote that reaches the quorum decides the question."""
        data = VoteCastSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = self.get_object()
        decisions.decision_vote(
            actor=self.person,
            decision=decision,
            choice=data.validated_data["decision"],
            note=data.validated_data.get("note", ""),
        )
        decided = self.get_queryset().get(pk=decision.pk)
        return Response(DecisionSerializer(decided).data, status=status.HTTP_201_CREATED)
