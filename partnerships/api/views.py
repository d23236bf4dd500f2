"""API views of partnerships, MoUs and withdrawals: reads through selectors, writes through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kiaa.api.base import TenantAPIMixin
from kiaa.models import Agency, Role
from kiaa.tenancy import AGENCY_HEADER
from partnerships import selectors
from partnerships.api import permissions as may
from partnerships.api import serializers as s
from partnerships.api.filters import PartnershipFilter, WithdrawalFilter
from partnerships.models import (
    ConfidentialityAcknowledgement,
    Partnership,
    PartnershipMember,
    Withdrawal,
)
from partnerships.services import mou, partnerships

LEAD_REQUIRED = "Name the lead agency: you act for no agency here."
NAME_THE_BOARD = "You sit on several boards: name the agency you sign for."


def _with_withdrawals(partnerships_: QuerySet[Partnership]) -> QuerySet[Partnership]:
    """The partnerships with their active withdrawals, so members show as "withdrawn" (one query)."""
    active = Withdrawal.objects.active().only("pk", "partnership_id", "agency_id")
    return partnerships_.prefetch_related(
        Prefetch("withdrawals", queryset=active, to_attr="active_withdrawals")
    )


class PartnershipAPIMixin(TenantAPIMixin):
    """Partnerships as the person sees them (the whole alliance: openness, protocol clause 5)."""

    def partnerships_seen(self) -> QuerySet[Partnership]:
        return _with_withdrawals(
            selectors.partnership_list_for(person=self.person, alliance=self.alliance)
        )

    def get_queryset(self) -> QuerySet[Any]:
        return self.partnerships_seen()

    def partnership_body(self, pk: int) -> Any:
        """A partnership re-read after a change, in the shape every partnership response has."""
        return s.PartnershipSerializer(self.partnerships_seen().get(pk=pk)).data

    def member_body(self, member: PartnershipMember) -> Any:
        """A member's place after a change; "withdrawn" while it is in an active withdrawal."""
        partnership = self.partnerships_seen().get(pk=member.partnership_id)
        context = {"withdrawn": s.withdrawn_agencies(partnership)}
        return s.PartnershipMemberSerializer(member, context=context).data

    def input_context(self) -> dict[str, Any]:
        """What input serializers need to look ids up in this alliance only."""
        return {"alliance": self.alliance}


class PartnershipViewSet(
    PartnershipAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Partnerships of the alliance; a chief officer proposes one that their agency leads."""

    queryset = Partnership.objects.none()
    serializer_class = s.PartnershipSerializer
    permission_classes = [IsAuthenticated, may.ProposesByChiefOfficers]
    filterset_class = PartnershipFilter

    @extend_schema(request=s.PartnershipProposeSerializer, responses={201: s.PartnershipSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.PartnershipProposeSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        # The acting agency leads unless the body names another the person is chief officer of.
        lead = fields.pop("lead_agency", None) or self.tenant.agency
        if lead is None:
            raise ValidationError({"lead_agency": [LEAD_REQUIRED]})
        partnership = partnerships.partnership_propose(
            actor=self.person, alliance=self.alliance, lead_agency=lead, **fields
        )
        return Response(self.partnership_body(partnership.pk), status=status.HTTP_201_CREATED)


class PartnershipActionView(PartnershipAPIMixin, GenericAPIView):  # type: ignore[type-arg]
    """A sub-resource of one partnership (`<pk>` in the URL), resolved before permissions run."""

    queryset = Partnership.objects.none()
    serializer_class = s.PartnershipSerializer


class MemberInviteView(PartnershipActionView):
    permission_classes = [IsAuthenticated, may.ManagedByTheLead]

    @extend_schema(request=s.MemberInviteSerializer, responses={201: s.PartnershipMemberSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The lead invites an agency as partner or subcontractor; its chief officer answers."""
        data = s.MemberInviteSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        member = partnerships.member_invite(
            actor=self.person, partnership=self.get_object(), **data.validated_data
        )
        return Response(self.member_body(member), status=status.HTTP_201_CREATED)


class MemberAnswerView(PartnershipAPIMixin, GenericAPIView):  # type: ignore[type-arg]
    """An agency's answer about its place (`<partnership_id>`, `<agency_id>` in the URL)."""

    queryset = PartnershipMember.objects.none()
    serializer_class = s.PartnershipMemberSerializer
    permission_classes = [IsAuthenticated, may.AnsweredByTheAgency]
    lookup_field = "agency_id"
    answer: ClassVar[Callable[..., PartnershipMember]]

    def get_queryset(self) -> QuerySet[Any]:
        pk = self.kwargs["partnership_id"]
        if not str(pk).isdigit():
            raise Http404("No such partnership.")
        partnership = selectors.partnership_get_for(
            person=self.person, alliance=self.alliance, pk=pk
        )
        return partnership.members.select_related("agency", "partnership")

    @extend_schema(request=None, responses={200: s.PartnershipMemberSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = type(self).answer(actor=self.person, member=self.get_object())
        return Response(self.member_body(member))


class MemberAcceptView(MemberAnswerView):
    """The invited agency's chief officer accepts; its trustees decide where the protocol says."""

    answer = partnerships.member_accept


class MemberDeclineView(MemberAnswerView):
    """The invited agency's chief officer declines (also while its board is deciding)."""

    answer = partnerships.member_decline


class MemberLeaveView(MemberAnswerView):
    """A member agency's chief officer leaves; its trustees decide where the protocol says."""

    answer = partnerships.member_leave


class CheckListView(PartnershipActionView):
    serializer_class = s.CheckSerializer  # type: ignore[assignment]
    permission_classes = [IsAuthenticated, may.ChecksByTheLead]

    @extend_schema(responses={200: s.CheckSerializer(many=True)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The due-diligence checklist as recorded: the latest check of each item per member."""
        checks = selectors.check_list_for(person=self.person, partnership=self.get_object())
        page = self.paginate_queryset(checks)
        return self.get_paginated_response(s.CheckSerializer(page, many=True).data)

    @extend_schema(request=s.CheckRecordSerializer, responses={201: s.CheckSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record (or redo) one check of one member."""
        data = s.CheckRecordSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        check = partnerships.check_record(
            actor=self.person, partnership=self.get_object(), **data.validated_data
        )
        return Response(s.CheckSerializer(check).data, status=status.HTTP_201_CREATED)


class ConfirmView(PartnershipActionView):
    permission_classes = [IsAuthenticated, may.ManagedByTheLead]

    @extend_schema(request=None, responses={200: s.PartnershipSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The lead confirms; 409 naming the checks still missing while any is."""
        partnership = partnerships.partnership_confirm(
            actor=self.person, partnership=self.get_object()
        )
        return Response(self.partnership_body(partnership.pk))


class DissolveView(PartnershipActionView):
    permission_classes = [IsAuthenticated, may.ManagedByTheLead]

    @extend_schema(request=None, responses={200: s.PartnershipSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The lead ends the partnership: every member leaves and its papers close to them."""
        partnership = partnerships.partnership_dissolve(
            actor=self.person, partnership=self.get_object()
        )
        return Response(self.partnership_body(partnership.pk))


class MouAPIMixin(PartnershipAPIMixin):
    def mou_body(self, partnership: Partnership) -> Any:
        """The current MoU with who has yet to sign it; 404 before the lead drafts one."""
        version = selectors.mou_current_for(person=self.person, partnership=partnership)
        if version is None:
            raise Http404(mou.NO_MOU)
        acknowledged = ConfidentialityAcknowledgement.objects.filter(
            partnership=partnership,
            person=self.person,
            undertaking_digest=mou.digest(version.confidentiality),
        ).exists()
        unsigned = [agency.pk for agency in mou.unsigned_members(partnership)]
        context = {"unsigned": unsigned, "acknowledged": acknowledged}
        return s.MouSerializer(version, context=context).data


class MouView(MouAPIMixin, PartnershipActionView):
    serializer_class = s.MouSerializer  # type: ignore[assignment]
    permission_classes = [IsAuthenticated, may.ManagedByTheLead]

    @extend_schema(responses={200: s.MouSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The MoU in force, its signatures and the members yet to sign it."""
        return Response(self.mou_body(self.get_object()))

    @extend_schema(request=s.MouWriteSerializer, responses={200: s.MouSerializer})
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The lead writes the next version; every member's trustees must sign it again."""
        data = s.MouWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        partnership = self.get_object()
        if "review_due_on" not in fields:
            # Clients written before the review date existed keep it as it is.
            current = mou.current_version(partnership)
            fields["review_due_on"] = current.review_due_on if current else None
        mou.mou_save(
            actor=self.person,
            partnership=partnership,
            contribution_pence=fields["contribution_amount"],
            exclusive=fields["exclusive"],
            review_due_on=fields["review_due_on"],
            **fields["sections"],
        )
        return Response(self.mou_body(partnership))


class MouSignView(MouAPIMixin, PartnershipActionView):
    serializer_class = s.MouSerializer  # type: ignore[assignment]
    permission_classes = [IsAuthenticated, may.SignedByTrustees]

    @extend_schema(request=s.MouSignSerializer, responses={201: s.MouSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A trustee signs the current version for their agency (governing-body approval)."""
        data = s.MouSignSerializer(data=request.data, context=self.input_context())
        data.is_valid(raise_exception=True)
        agency = data.validated_data.get("agency") or self._own_board(request)
        partnership = self.get_object()
        mou.mou_sign(actor=self.person, partnership=partnership, agency=agency)
        return Response(self.mou_body(partnership), status=status.HTTP_201_CREATED)

    def _own_board(self, request: Request) -> Agency:
        """The board the trustee signs for when the body names none: their only one, or X-Agency."""
        boards = [a for a in self.tenant.agencies if self.tenant.roles.has(Role.TRUSTEE, a)]
        if len(boards) == 1:
            return boards[0]
        if AGENCY_HEADER in request.META and self.tenant.agency in boards:
            return self.tenant.agency  # type: ignore[return-value]
        raise ValidationError({"agency": [NAME_THE_BOARD]})


class AcknowledgeView(PartnershipActionView):
    serializer_class = s.AcknowledgementSerializer  # type: ignore[assignment]
    permission_classes = [IsAuthenticated, may.GivenByMembersPeople]

    @extend_schema(request=None, responses={201: s.AcknowledgementSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Accept the partnership's confidentiality undertaking (before seeing commercial papers)."""
        acknowledgement = mou.undertaking_acknowledge(
            actor=self.person, partnership=self.get_object()
        )
        return Response(
            s.AcknowledgementSerializer(acknowledgement).data, status=status.HTTP_201_CREATED
        )


class WithdrawalViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Who has stepped back from which partnership while competing; opened by bid declarations."""

    queryset = Withdrawal.objects.none()
    serializer_class = s.WithdrawalSerializer
    filterset_class = WithdrawalFilter

    def get_queryset(self) -> QuerySet[Withdrawal]:
        return selectors.withdrawal_list_for(person=self.person, alliance=self.alliance)
