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

from kiaa import barrier
from kiaa import selectors as core_selectors
from kiaa.models import Agency, BoardDecision
from kiaa.pages import ServiceButtonView, ServiceFormView, TenantView
from kiaa.reports.content import day
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
)
from partnerships.querysets import WithdrawalQuerySet
from partnerships.selectors import Unseen
from partnerships.services import partnerships

PER_PAGE = 50
PENNY = Decimal("0.01")
Status = PartnershipMember.Status
# Places that no longer count: the agency left, or never came in.
GONE = (Status.LEFT, Status.DECLINED)
ITEMS = DueDiligenceCheck.Item.choices
CONFIRMED = "confirmed"  # the field a confirmation page's button sends
NOTHING_HIDDEN = "Nothing in this partnership is hidden from you."


def pounds(pence: int) -> str:
    """£1,234.50 from 123450."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def in_force(withdrawals: Any) -> WithdrawalQuerySet:
    """The withdrawals of a selector's result that are in force now (the queryset's own rule)."""
    return cast(WithdrawalQuerySet, withdrawals).active()


def ordered_withdrawals(found: Any) -> Any:
    """Withdrawals with whether each is in force now, those in force first, newest first."""
    active = in_force(found).filter(pk=OuterRef("pk"))
    return found.annotate(in_force=Exists(active)).order_by("-in_force", "-starts_at", "-pk")


def _because(unseen: Unseen) -> str:
    """Why, for one of the person's agencies, in the words of the barrier's reason."""
    name = unseen.agency.name if unseen.agency is not None else ""
    if unseen.reason == barrier.WITHDRAWN:
        w = unseen.withdrawal
        why = f" ({w.reason})" if w is not None and w.reason else ""
        until = f"until {day(w.ends_at)}" if w is not None and w.ends_at else "until its bid ends"
        return f"{name} is withdrawn from partnership working here while it competes{why}, {until}"
    if unseen.reason == barrier.NOT_MEMBER:
        return f"{name} is not an active member of it"
    if unseen.reason == barrier.EXPELLED:
        return f"{name} is no longer a member of the alliance"
    if unseen.reason == barrier.EXCLUDED:
        return f"{name} is in a rival bid"
    return "you do not act for any of its member agencies"


def unseen_sentences(found: list[Unseen]) -> list[str]:
    """What the barrier keeps from the person in a partnership, a sentence per kind of paper:
    no titles and no count (existence is never revealed), only the kind and the reason."""
    reasons: dict[tuple[str, ...], list[str]] = {}
    for unseen in found:
        reasons.setdefault(unseen.labels, []).append(_because(unseen))
    return [
        f"Any papers marked {' or '.join(f'“{label}”' for label in labels)} in this "
        f"partnership are hidden from you because {' and '.join(why)}."
        for labels, why in reasons.items()
    ]


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


class ConfirmButtonView(PartnershipButtonView):
    """A step that cannot be undone. A GET, or a press of its button without `confirmed`,
    shows what will happen and who will know, with Confirm and Go back; only Confirm on that
    page does it, so nothing is written before the person has read what it does."""

    title = ""
    submit = ""

    def intro(self) -> list[str]:
        """What confirming does and who will know, in sentences."""
        raise NotImplementedError

    def refusal(self) -> str:
        """Why the step would be refused now, said instead of offering it ("" if it would not)."""
        return ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.confirmation()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get(CONFIRMED) != "on":
            return self.confirmation()
        return super().post(request, *args, **kwargs)

    def confirmation(self) -> HttpResponse:
        return self.render(
            "partnerships/confirm.html",
            {
                "title": self.title,
                "intro": self.intro(),
                "submit": self.submit,
                "confirmed": CONFIRMED,
                "refusal": self.refusal(),
                "back": (self.back(), f"Back to {self.object.name}"),
            },
        )


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
    """Members, the MoU and its signatures, the papers the person may see by sensitivity, and
    in plain words what the barrier keeps from them here and why."""

    def get(self, request: HttpRequest, alliance_slug: str, pk: int) -> HttpResponse:
        partnership, roles = self.object, self.tenant.roles
        person, alliance = self.tenant.person, self.tenant.alliance
        members = self.members()
        found = selectors.withdrawal_list_for(person=person, alliance=alliance).filter(
            partnership=partnership
        )
        withdrawn = set(in_force(found).values_list("agency_id", flat=True))
        manages = can.can_manage_partnership(roles, partnership)
        open_ = partnership.status != Partnership.Status.DISSOLVED
        context = {
            "partnership": partnership,
            "members": [self._row(m, withdrawn, open_) for m in members],
            "checklists": self._checklists(members),
            "mou": self._mou_summary(members),
            "pending": self._pending(members),
            "page": Paginator(ordered_withdrawals(found), PER_PAGE).get_page(
                request.GET.get("page")
            ),
            "papers": selectors.partnership_papers_for(
                person=person, alliance=alliance, partnership=partnership
            ),
            **self._unseen(),
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

    def _unseen(self) -> dict[str, Any]:
        """What the barrier keeps from the person here, and why; or that nothing is kept."""
        person, alliance, partnership = self.tenant.person, self.tenant.alliance, self.object
        found = selectors.partnership_unseen_for(
            person=person, alliance=alliance, partnership=partnership
        )
        awaiting = selectors.partnership_awaiting_undertaking_for(
            person=person, alliance=alliance, partnership=partnership
        )
        return {
            "unseen": unseen_sentences(found),
            "withdrawn_here": any(u.reason == barrier.WITHDRAWN for u in found),
            "awaiting_undertaking": awaiting,
            "nothing_hidden": NOTHING_HIDDEN if not found and not awaiting else "",
        }

    def _checklists(self, members: list[PartnershipMember]) -> list[ChecklistRow] | None:
        """Each member's checklist; None when the checks are not the person's to read."""
        person, partnership = self.tenant.person, self.object
        checks = list(selectors.check_list_for(person=person, partnership=partnership))
        # None shown: either none recorded yet, or not the person's to read (asked only then).
        if not checks and not selectors.checks_open_to(person=person, partnership=partnership):
            return None
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
        signatures = list(version.signatures.all())  # prefetched, with agencies and signers
        signed = {s.agency_id for s in signatures}
        active = [m.agency for m in members if m.status == Status.ACTIVE]
        return {
            "version": version,
            "signatures": signatures,
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


class MemberLeaveView(MemberButtonView, ConfirmButtonView):
    submit = "Leave the partnership"

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"{self.member.agency.name} leaves {self.object.name}"

    def allowed(self) -> bool:
        return can.can_answer_for(self.tenant.roles, agency_id=self.member.agency_id)

    def refusal(self) -> str:
        if self.member.role == PartnershipMember.Role.LEAD:
            return partnerships.LEAD_CANNOT_LEAVE
        return ""

    def intro(self) -> list[str]:
        agency, name = self.member.agency.name, self.object.name
        if partnerships.needs_board(self.object):
            said = [
                f"{agency}'s trustee board is asked whether it leaves {name} (protocol "
                "clause 4); its trustees find the question among their decisions. It stays a "
                "member until the board decides.",
                "If the board agrees, it leaves at once.",
            ]
        else:
            said = [f"{agency} leaves {name} now."]
        return [
            *said,
            f"Once it has left, {agency} no longer sees the papers shared only with the "
            "partnership's members or marked commercially sensitive.",
            f"It cannot be undone: to come back, {agency} must be invited again.",
            f"Every member sees on {name}'s page that {agency} has left.",
        ]

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


class PartnershipDissolveView(ConfirmButtonView):
    title = "Dissolve the partnership"
    submit = "Dissolve the partnership"

    def allowed(self) -> bool:
        return can.can_manage_partnership(self.tenant.roles, self.object)

    def refusal(self) -> str:
        if self.object.status == Partnership.Status.DISSOLVED:
            return partnerships.ALREADY_CONFIRMED.format(status="dissolved")
        return ""

    def intro(self) -> list[str]:
        partnership = self.object
        staying = [m.agency.name for m in self.members() if m.status not in GONE]
        return [
            f"{partnership.name} ends for good: it cannot be reopened.",
            f"Every member leaves it now: {', '.join(staying)}."
            if staying
            else "It has no members left.",
            "They no longer see its papers shared only with the partnership's members or "
            "marked commercially sensitive; papers open to the whole alliance stay open.",
            "Any question before a member's trustee board about joining or leaving it is "
            "cancelled.",
            "Every member sees that it is dissolved on its page and in the list of partnerships.",
        ]

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
        page = Paginator(ordered_withdrawals(found), PER_PAGE).get_page(request.GET.get("page"))
        return self.render("partnerships/withdrawal_list.html", {"page": page})
