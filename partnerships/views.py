"""Pages of partnerships, their MoUs and withdrawals. Reads through selectors, writes through services."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kiaa import selectors as core_selectors
from kiaa.models import Agency, BoardDecision
from kiaa.pages import ServiceButtonView, ServiceFormView, TenantView
from partnerships import permissions as can
from partnerships import selectors
from partnerships.forms import (
    CheckForm,
    InviteAgencyForm,
    PartnershipForm,
)
from partnerships.models import (
    DueDiligenceCheck,
    Partnership,
    PartnershipMember,
    Withdrawal,
)
from partnerships.querysets import WithdrawalQuerySet
from partnerships.services import partnerships

PER_PAGE = 50
PENNY = Decimal("0.01")
Status = PartnershipMember.Status
# Places that no longer count: the agency left, or never came in.
GONE = (Status.LEFT, Status.DECLINED)
ITEMS = DueDiligenceCheck.Item.choices


def pounds(pence: int) -> str:
    """£1,234.50 from 123450."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def in_force(withdrawals: Any) -> WithdrawalQuerySet:
    """The withdrawals of a selector's result that are in force now (the queryset's own rule)."""
    return cast(WithdrawalQuerySet, withdrawals).active()


@dataclass
class MemberRow:
    """A member as a page shows it: withdrawn while it competes, and what the person may do."""

    member: PartnershipMember
    withdrawn: bool = False
    may_accept: bool = False
    may_decline: bool = False
    may_leave: bool = False

    @property
    def status_label(self) -> str:
        if self.withdrawn and self.member.status == Status.ACTIVE:
            return "Withdrawn"
        return self.member.get_status_display()

    @property
    def status_class(self) -> str:
        return "withdrawn" if self.status_label == "Withdrawn" else self.member.status


@dataclass
class ChecklistRow:
    """One member's due-diligence checklist: each item with its latest check, or none yet."""

    member: PartnershipMember
    items: list[tuple[str, DueDiligenceCheck | None]] = field(default_factory=list)


class PartnershipPage(TenantView):
    """A page about one partnership of the tenant's alliance, looked up before anything else."""

    model = Partnership
    object: Partnership

    def get_object(self, pk: int) -> Partnership:
        return selectors.partnership_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def detail_url(self) -> str:
        return self.url("partnership-detail", pk=self.object.pk)

    def mou_url(self) -> str:
        return self.url("partnership-mou", pk=self.object.pk)

    def members(self) -> list[PartnershipMember]:
        return list(self.object.members.all())  # prefetched by the selector, with agencies


class PartnershipButtonView(PartnershipPage, ServiceButtonView):
    """A POST button about one partnership; the person comes back to where they pressed it."""

    def back(self) -> str:
        return self.detail_url()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        super().post(request, *args, **kwargs)  # the message is set; only the way back differs
        return redirect(self.back())


class MemberButtonView(PartnershipButtonView):
    """A POST button about one agency's place; an agency that holds none is a 404."""

    member: PartnershipMember

    def get_object(self, pk: int) -> Partnership:
        partnership = super().get_object(pk)
        self.member = selectors.member_get_for(
            person=self.tenant.person, partnership=partnership, agency_id=self.kwargs["agency_id"]
        )
        return partnership


class PartnershipFormView(PartnershipPage, ServiceFormView):
    template = "partnerships/form_page.html"
    submit = "Save"
    intro = ""

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {
            "form": form,
            "title": self.title,
            "partnership": self.object,
            "submit": self.submit,
            "intro": self.intro,
        }


# ----------------------------------------------------------------------------- partnerships


class PartnershipListView(TenantView):
    """Who works with whom: open to the whole alliance."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        person, alliance, agency = self.tenant.person, self.tenant.alliance, self.tenant.agency
        found = selectors.partnership_list_for(person=person, alliance=alliance)
        page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
        shown = list(page.object_list)
        withdrawals = selectors.withdrawal_list_for(person=person, alliance=alliance)
        withdrawn = set(
            in_force(withdrawals.filter(partnership__in=shown)).values_list(
                "partnership_id", "agency_id"
            )
        )
        rows = [
            (
                p,
                [MemberRow(m, withdrawn=(p.pk, m.agency_id) in withdrawn) for m in p.members.all()],
            )
            for p in shown
        ]
        may_propose = agency is not None and can.can_propose_partnership(
            self.tenant.roles, lead_agency_id=agency.pk
        )
        return self.render(
            "partnerships/partnership_list.html",
            {"page": page, "rows": rows, "can_propose": may_propose},
        )


class PartnershipProposeView(ServiceFormView):
    """A chief officer proposes a partnership that the agency they act for leads."""

    template = "partnerships/form_page.html"
    title = "Propose a partnership"

    def allowed(self) -> bool:
        agency = self.tenant.agency
        return agency is not None and can.can_propose_partnership(
            self.tenant.roles, lead_agency_id=agency.pk
        )

    def make_form(self, data: Any = None) -> forms.Form:
        areas = core_selectors.service_area_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        return PartnershipForm(data, areas=list(areas.values_list("slug", "name")))

    def context(self, form: forms.Form) -> dict[str, Any]:
        lead = self.tenant.agency.name if self.tenant.agency else ""
        return {
            "form": form,
            "title": self.title,
            "submit": "Propose",
            "intro": f"{lead} will lead it and join as its first member.",
        }

    def perform(self, form: forms.Form) -> HttpResponse:
        partnership = partnerships.partnership_propose(
            actor=self.tenant.person,
            alliance=self.tenant.alliance,
            lead_agency=cast(Agency, self.tenant.agency),  # allowed() requires one
            **form.cleaned_data,
        )
        messages.success(self.request, f"{partnership.name} is proposed.")
        return redirect(self.url("partnership-detail", pk=partnership.pk))


class PartnershipDetailView(PartnershipPage):
    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        partnership, roles = self.object, self.tenant.roles
        members = self.members()
        withdrawals = self._withdrawals()
        withdrawn = {w.agency_id for w in withdrawals if getattr(w, "in_force", False)}
        manages = can.can_manage_partnership(roles, partnership)
        open_ = partnership.status != Partnership.Status.DISSOLVED
        context = {
            "partnership": partnership,
            "members": [self._row(m, withdrawn, open_) for m in members],
            "checklists": self._checklists(members),
            "mou": self._mou_summary(members),
            "pending": self._pending(members),
            "withdrawals": withdrawals,
            "can_invite": manages and open_,
            "can_check": can.can_check(roles, partnership) and open_,
            "can_confirm": manages and partnership.status == Partnership.Status.FORMING,
            "can_dissolve": manages and open_,
            "can_edit_mou": manages,
        }
        if context["can_confirm"]:
            # Why the lead cannot confirm yet, shown before they press the button.
            context["too_few_members"] = sum(m.status == Status.ACTIVE for m in members) < 2
            context["missing_checks"] = partnerships.missing_checks(partnership)
        return self.render("partnerships/partnership_detail.html", context)

    def _row(self, member: PartnershipMember, withdrawn: set[int], open_: bool) -> MemberRow:
        answers = can.can_answer_for(self.tenant.roles, agency_id=member.agency_id) and open_
        return MemberRow(
            member,
            withdrawn=member.agency_id in withdrawn,
            may_accept=answers and member.status == Status.INVITED,
            may_decline=answers and member.status in (Status.INVITED, Status.AWAITING_BOARD),
            may_leave=answers
            and member.status == Status.ACTIVE
            and member.role != PartnershipMember.Role.LEAD,
        )

    def _withdrawals(self) -> list[Withdrawal]:
        found = selectors.withdrawal_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(partnership=self.object)
        active = in_force(found).filter(pk=OuterRef("pk"))
        return list(found.annotate(in_force=Exists(active)).order_by("-in_force", "-starts_at"))

    def _checklists(self, members: list[PartnershipMember]) -> list[ChecklistRow]:
        checks = selectors.check_list_for(person=self.tenant.person, partnership=self.object)
        by_item = {(c.agency_id, c.item): c for c in checks}
        return [
            ChecklistRow(m, [(label, by_item.get((m.agency_id, item))) for item, label in ITEMS])
            for m in members
            if m.status not in GONE
        ]

    def _mou_summary(self, members: list[PartnershipMember]) -> dict[str, Any] | None:
        version = selectors.mou_current_for(person=self.tenant.person, partnership=self.object)
        if version is None:
            return None
        signed = {s.agency_id for s in version.signatures.all()}
        active = [m.agency for m in members if m.status == Status.ACTIVE]
        return {
            "version": version,
            "signed": [a for a in active if a.pk in signed],
            "unsigned": [a for a in active if a.pk not in signed],
        }

    def _pending(self, members: list[PartnershipMember]) -> list[dict[str, Any]]:
        """Members whose board is deciding; a trustee of that board gets the way to vote."""
        waiting = [m for m in members if m.status in (Status.AWAITING_BOARD, Status.LEAVING)]
        if not waiting:
            return []
        mine = core_selectors.decision_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(
            subject_type=partnerships.SUBJECT,
            subject_id__in=[m.pk for m in waiting],
            status=BoardDecision.Status.OPEN,
        )
        decisions = {d.subject_id: d for d in mine}
        return [
            {
                "member": m,
                "about": "joining" if m.status == Status.AWAITING_BOARD else "leaving",
                "decision": decisions.get(m.pk),
            }
            for m in waiting
        ]


class MemberInviteView(PartnershipFormView):
    title = "Invite an agency"
    submit = "Send invitation"

    def allowed(self) -> bool:
        return can.can_manage_partnership(self.tenant.roles, self.object)

    def make_form(self, data: Any = None) -> forms.Form:
        placed = [m.agency_id for m in self.members() if m.status not in GONE]
        agencies = core_selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).exclude(pk__in=placed)
        return InviteAgencyForm(data, agencies=agencies)

    def perform(self, form: forms.Form) -> HttpResponse:
        member = partnerships.member_invite(
            actor=self.tenant.person, partnership=self.object, **form.cleaned_data
        )
        messages.success(
            self.request, f"{member.agency.name} is invited; its chief officer answers."
        )
        return redirect(self.detail_url())


class MemberAcceptView(MemberButtonView):
    def act(self) -> str:
        member = partnerships.member_accept(actor=self.tenant.person, member=self.member)
        if member.status == Status.AWAITING_BOARD:
            return f"Accepted: {member.agency.name}'s trustee board now decides whether it joins."
        return f"{member.agency.name} has joined {self.object.name}."


class MemberDeclineView(MemberButtonView):
    def act(self) -> str:
        partnerships.member_decline(actor=self.tenant.person, member=self.member)
        return f"{self.member.agency.name} has declined to join {self.object.name}."


class MemberLeaveView(MemberButtonView):
    def act(self) -> str:
        member = partnerships.member_leave(actor=self.tenant.person, member=self.member)
        if member.status == Status.LEAVING:
            return f"{member.agency.name}'s trustee board now decides whether it leaves."
        return f"{member.agency.name} has left {self.object.name}."


class CheckRecordView(PartnershipFormView):
    title = "Record a due-diligence check"
    submit = "Record check"
    intro = "Recording an item again replaces the earlier check; the audit trail keeps both."

    def allowed(self) -> bool:
        return can.can_check(self.tenant.roles, self.object)

    def make_form(self, data: Any = None) -> forms.Form:
        placed = [m.agency_id for m in self.members() if m.status not in GONE]
        agencies = core_selectors.agency_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        ).filter(pk__in=placed)
        initial = {"agency": self.request.GET.get("agency"), "item": self.request.GET.get("item")}
        return CheckForm(data, initial=initial, agencies=agencies)

    def perform(self, form: forms.Form) -> HttpResponse:
        check = partnerships.check_record(
            actor=self.tenant.person, partnership=self.object, **form.cleaned_data
        )
        messages.success(
            self.request,
            f"{check.get_item_display()} for {check.agency.name}: {check.get_outcome_display()}.",
        )
        return redirect(self.detail_url())


class PartnershipConfirmView(PartnershipButtonView):
    def act(self) -> str:
        partnerships.partnership_confirm(actor=self.tenant.person, partnership=self.object)
        return f"{self.object.name} is confirmed."


class PartnershipDissolveView(PartnershipButtonView):
    def act(self) -> str:
        partnerships.partnership_dissolve(actor=self.tenant.person, partnership=self.object)
        return f"{self.object.name} is dissolved; its members have left."


# ----------------------------------------------------------------------------- the MoU


class WithdrawalListView(TenantView):
    """Everyone must know who has stepped back from what (protocol clause 5): active first."""

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        found = selectors.withdrawal_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        active = in_force(found).filter(pk=OuterRef("pk"))
        ordered = found.annotate(in_force=Exists(active)).order_by("-in_force", "-starts_at", "-pk")
        page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
        return self.render("partnerships/withdrawal_list.html", {"page": page})
