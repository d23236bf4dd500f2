"""Trustee board decisions over the API: the questions before the person's boards, and votes.

Whatever asked the question (a partnership join, a bid declaration) moves on when the vote that
reaches the quorum is cast; votes are never changed (a second vote is a 409). A trustee the
rules exclude (a conflict, or a chief officer where the protocol keeps them out) gets a 403
with the reason.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
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
            "rule",
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


class ExclusionSerializer(serializers.Serializer[Any]):
    trustee = serializers.CharField(source="trustee.username")
    reason = serializers.CharField()


class DecisionDetailSerializer(DecisionSerializer):
    """One question with the board's standing on it (worked out for this one, not for lists):
    who may not vote and why, the quorum and rule as the next vote will apply them, and the
    page of what is being decided. Needs `board` (selectors.decision_board_for) in its context."""

    quorum = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()
    excluded = serializers.SerializerMethodField()
    subject_url = serializers.SerializerMethodField()

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "excluded", "subject_url"]
        read_only_fields = fields

    def _board(self) -> selectors.DecisionBoard:
        return self.context["board"]

    def get_quorum(self, decision: BoardDecision) -> int:
        return self._board().quorum

    def get_rule(self, decision: BoardDecision) -> str:
        return self._board().rule

    @extend_schema_field(ExclusionSerializer(many=True))
    def get_excluded(self, decision: BoardDecision) -> list[dict[str, Any]]:
        """Trustees of the board who may not vote on an open question, each with the reason."""
        return ExclusionSerializer(self._board().excluded, many=True).data  # type: ignore[return-value]

    def get_subject_url(self, decision: BoardDecision) -> str | None:
        """The page of what the board is deciding, where there is one."""
        return self._board().subject_url

    def get_votes_needed(self, decision: BoardDecision) -> int:
        """Approvals still needed, counting only the votes of trustees who may vote."""
        return self._board().still_needed


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

    def with_board(self, decision: BoardDecision) -> dict[str, Any]:
        board = selectors.decision_board_for(person=self.person, decision=decision)
        return DecisionDetailSerializer(decision, context={"board": board}).data

    @extend_schema(responses={200: DecisionDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One question, with who may not vote on it and why, and the page of its subject."""
        return Response(self.with_board(self.get_object()))

    @extend_schema(request=VoteCastSerializer, responses={201: DecisionDetailSerializer})
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
        return Response(self.with_board(decided), status=status.HTTP_201_CREATED)
