"""Pages for the steps of a dispute: the arbiter taking it on (or an admin appointing one), the
deadlines, evidence, the ruling, confirming required actions, and withdrawing. Each calls one
service; a refusal comes back on the form (400), or 403 when the person may not act at all."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from disputes import independence, selectors
from disputes import permissions as can
from disputes.confirm_views import ConfirmAfterForm
from disputes.dispute_forms import (
    AppointForm,
    DeadlinesForm,
    NoteForm,
    RulingForm,
    SubmissionForm,
    WithdrawForm,
)
from disputes.dispute_views import EVIDENCE_STAGE, DisputePage
from disputes.models import Breach, Dispute, RequiredAction, Ruling
from disputes.services import disputes as services
from disputes.services import evidence, rulings
from kiaa import barrier
from kiaa import selectors as core_selectors
from kiaa.models import Agency, User
from kiaa.pages import ServiceFormView

# Enough for any one dispute's papers, few enough for one select a person can scroll.
MAX_PAPERS = 200
# Candidates whose independence the appointment page checks before the admin chooses.
MAX_CANDIDATES = 50


class DisputeFormPage(DisputePage, ServiceFormView):
    """A form about one dispute: what will happen, any problems known before trying, one button."""

    template = "disputes/dispute_form.html"
    submit = "Save"
    multipart = False

    def intro(self) -> list[str]:
        return []

    def problems(self) -> list[str]:
        """What will stop this step, said before the person tries."""
        return []

    def context(self, form: forms.Form) -> dict[str, Any]:
        return {
            **super().context(form),
            "dispute": self.object,
            "intro": self.intro(),
            "problems": self.problems(),
            "submit": self.submit,
            "multipart": self.multipart,
            "back": (self.detail_url(), f"Back to dispute #{self.object.pk}"),
        }

    def done(self, message: str, anchor: str = "") -> HttpResponse:
        messages.success(self.request, message)
        return redirect(self.detail_url() + anchor)


def _default_deadlines() -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "evidence_due_on": today + timedelta(days=14),
        "ruling_due_on": today + timedelta(days=28),
    }


class DisputeAcceptView(DisputeFormPage):
    """A CVS arbiter takes the dispute on, if independent of it, and sets its deadlines."""

    title = "Take on this dispute"
    submit = "Take on the dispute"

    def allowed(self) -> bool:
        return self.is_cvs_arbiter()

    def intro(self) -> list[str]:
        cvs = cast(Agency, self.cvs)  # allowed() needs a CVS
        d = self.object
        return [
            f"You arbitrate dispute #{d.pk} between {d.complainant.name} and {d.respondent.name} "
            f"for {cvs.name}, as the alliance's independent arbiter (protocol clause 7).",
            "Both parties are told, and may give statements and evidence until the last day "
            "for evidence. Your ruling is due by the second date.",
        ]

    def problems(self) -> list[str]:
        cvs = cast(Agency, self.cvs)
        if cvs.pk in self.object.parties:
            return [services.CVS_IS_PARTY]
        return independence.arbiter_conflicts(
            dispute=self.object, person=self.tenant.person, agency=cvs
        )

    def make_form(self, data: Any = None) -> forms.Form:
        return DeadlinesForm(data, initial=_default_deadlines())

    def perform(self, form: forms.Form) -> HttpResponse:
        services.dispute_accept(actor=self.tenant.person, dispute=self.object, **form.cleaned_data)
        return self.done("You have taken on this dispute. Both parties have been told.")


class DisputeAppointView(DisputeFormPage):
    """Where the CVS is a party (or there is none), an admin appoints an independent arbiter."""

    title = "Appoint an independent arbiter"
    submit = "Appoint the arbiter"

    def allowed(self) -> bool:
        return self.tenant.roles.is_admin

    @cached_property
    def eligible(self) -> QuerySet[Agency]:
        return (
            core_selectors.agency_list_for(person=self.tenant.person, alliance=self.tenant.alliance)
            .prefetch_related(None)
            .filter(may_arbitrate=True, status=Agency.Status.ACTIVE)
            .exclude(pk__in=self.object.parties)
            .order_by("name")
        )

    @cached_property
    def candidates(self) -> list[tuple[User, Agency]]:
        """Each person holding a role in an eligible agency, once per agency."""
        found: dict[tuple[int, int], tuple[User, Agency]] = {}
        for m in (
            core_selectors.member_list_for(person=self.tenant.person, alliance=self.tenant.alliance)
            .filter(agency__in=self.eligible, user__is_active=True)
            .order_by("agency__name", "user__last_name", "user__username")
        ):
            agency = cast(Agency, m.agency)  # filtered to eligible agencies: never none
            found.setdefault((agency.pk, m.user_id), (m.user, agency))
        return list(found.values())

    def intro(self) -> list[str]:
        return [
            "The CVS is itself a party to this dispute (or the alliance has none), so it cannot "
            "arbitrate. Choose an independent arbiter from a member agency flagged as eligible, "
            "and record why: both parties read the reason.",
        ]

    def problems(self) -> list[str]:
        if self.cvs is not None and self.cvs.pk not in self.object.parties:
            return [services.APPOINT_ONLY_WHEN_NEEDED]
        if not self.candidates:
            return ["No member agency is flagged as eligible to lend an arbiter: flag one first."]
        notes = []
        for person, agency in self.candidates[:MAX_CANDIDATES]:
            reasons = independence.arbiter_conflicts(
                dispute=self.object, person=person, agency=agency
            )
            if reasons:
                notes.append(f"{person} for {agency.name} may not: " + " ".join(reasons))
        return notes

    def make_form(self, data: Any = None) -> forms.Form:
        agencies_of: dict[int, list[str]] = {}
        for person, agency in self.candidates:
            agencies_of.setdefault(person.pk, []).append(agency.name)
        people = User.objects.filter(pk__in=agencies_of).order_by("last_name", "username")
        return AppointForm(
            data,
            initial=_default_deadlines(),
            agencies=self.eligible,
            people=people,
            agencies_of=agencies_of,
        )

    def perform(self, form: forms.Form) -> HttpResponse:
        services.dispute_appoint(actor=self.tenant.person, dispute=self.object, **form.cleaned_data)
        arbiter = form.cleaned_data["arbiter"]
        return self.done(f"{arbiter} is appointed. They and both parties have been told.")


class DisputeDeadlinesView(DisputeFormPage):
    """The dispute's arbiter moves its deadlines before ruling."""

    title = "Change the deadlines"
    submit = "Save the deadlines"

    def allowed(self) -> bool:
        return self.is_arbiter()

    def intro(self) -> list[str]:
        return ["Both parties are told the new dates."]

    def make_form(self, data: Any = None) -> forms.Form:
        d = self.object
        initial = {"evidence_due_on": d.evidence_due_on, "ruling_due_on": d.ruling_due_on}
        return DeadlinesForm(data, initial=initial)

    def perform(self, form: forms.Form) -> HttpResponse:
        services.dispute_set_deadlines(
            actor=self.tenant.person, dispute=self.object, **form.cleaned_data
        )
        return self.done("The deadlines are changed. Both parties have been told.")


class DisputeWithdrawView(DisputeFormPage):
    """The complainant's chief officer withdraws the dispute before the ruling."""

    title = "Withdraw this dispute"
    submit = "Withdraw the dispute"

    def allowed(self) -> bool:
        return can.speaks_for(self.tenant.roles, self.object.complainant_id)

    def intro(self) -> list[str]:
        return [
            "The dispute ends and cannot be reopened: to take the matter up again, file a new "
            "dispute. The other agency and the arbiter are told.",
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        return WithdrawForm(data)

    def perform(self, form: forms.Form) -> HttpResponse:
        services.dispute_withdraw(
            actor=self.tenant.person, dispute=self.object, reason=form.cleaned_data["reason"]
        )
        return self.done("The dispute is withdrawn. The other agency has been told.")


class SubmissionAddView(DisputeFormPage):
    """A party's chief officer, or the arbiter, gives a statement with files and papers."""

    title = "Give a statement and evidence"
    submit = "Give the statement"
    multipart = True

    def allowed(self) -> bool:
        return self.is_arbiter() or bool(self.speaks_for())

    def intro(self) -> list[str]:
        d = self.object
        if self.is_arbiter():
            return ["What you give as arbiter, both parties read."]
        due = f" by {d.evidence_due_on:%-d %B %Y}" if d.evidence_due_on else ""
        return [
            f"Give your statement and evidence{due}. The arbiter reads all of it; choose whether "
            "the other party reads it too.",
            "Papers you point to are not copied: each reader sees only the papers the "
            "information barrier lets them open.",
        ]

    def problems(self) -> list[str]:
        d = self.object
        if d.status not in EVIDENCE_STAGE:
            return [evidence.NOT_TAKING_EVIDENCE.format(status=d.get_status_display().lower())]
        return []

    def papers(self) -> list[tuple[int, str]]:
        visible = (
            barrier.visible_to(self.tenant.person, self.tenant.alliance)
            .select_related("owner_agency")
            .order_by("-created_at", "-pk")[:MAX_PAPERS]
        )
        return [
            (p.pk, f"{p.title} ({p.owner_agency.name}, {p.created_at:%-d %b %Y})") for p in visible
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        sides = self.speaks_for()
        both = None
        if not self.is_arbiter() and len(sides) > 1:
            both = Agency.objects.filter(pk__in=[a.pk for a in sides]).order_by("name")
        files = self.request.FILES if data is not None else None
        return SubmissionForm(
            data, files, papers=self.papers(), sides=both, by_arbiter=self.is_arbiter()
        )

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        submission = evidence.submission_add(
            actor=self.tenant.person,
            dispute=self.object,
            statement=data["statement"],
            visibility=data.get("visibility") or "shared",
            files=self.request.FILES.getlist("files"),
            paper_ids=data["papers"],
            agency=data.get("agency"),
        )
        who = "both parties" if submission.by_arbiter else "the arbiter"
        if not submission.by_arbiter and submission.visibility == "shared":
            who = "the arbiter and the other party"
        return self.done(f"Your statement is given: {who} can read it.", "#evidence")


class RulingPublishView(DisputeFormPage, ConfirmAfterForm):
    """The arbiter publishes the ruling, or a correction of the latest one; never an edit.

    The ruling is read back on a confirmation page before it is published.
    """

    template = "disputes/dispute_rule.html"
    submit = "Continue"

    def allowed(self) -> bool:
        return self.is_arbiter()

    @cached_property
    def latest(self) -> Ruling | None:
        found = selectors.ruling_list_for(dispute=self.object)
        return found[0] if found else None

    @property
    def title(self) -> str:  # type: ignore[override]
        return "Publish a correction" if self.latest else "Publish the ruling"

    def intro(self) -> list[str]:
        d = self.object
        lines = [
            f"Both parties and the alliance's admins are told at once, and {d.complainant.name} "
            f"and {d.respondent.name} accept and implement it (protocol clause 7).",
            "Each party confirms each action required of it; the dispute closes when none is "
            "outstanding. With no required actions, it closes on publishing.",
            "You read it back and confirm on the next page before it is published.",
        ]
        if self.latest is not None:
            lines.insert(
                0,
                f"This corrects ruling {self.latest.number}, which stays on record. Its actions "
                "not yet confirmed are replaced by the ones you set here.",
            )
        return lines

    def consequences(self, form: forms.Form) -> list[str]:
        d, data = self.object, form.cleaned_data
        what = (
            f"Your correction of ruling {self.latest.number} is published; ruling "
            f"{self.latest.number} stays on record beside it, and its actions not yet confirmed "
            "are replaced by these."
            if self.latest is not None
            else f"Your ruling on dispute #{d.pk} is published."
        )
        said = [
            f"{what} It cannot be edited: a mistake is put right by publishing a correction.",
            f"Findings: {data['findings']}",
            f"Decision: {data['decision']}",
        ]
        sanction = data.get("sanction") or Breach.Sanction.NONE
        if sanction != Breach.Sanction.NONE:
            agency = data.get("sanctioned_agency")
            said.append(
                f"It orders a sanction on {agency.name if agency else 'no agency'}: "
                f"{Breach.Sanction(sanction).label.lower()}. The sanction takes effect when the "
                "breach is reviewed on this ruling's authority."
            )
        actions = cast(RulingForm, form).specs()
        said += [
            f"{a.agency.name} must: {a.description} (by {a.due_on:%-d %B %Y})." for a in actions
        ]
        if not actions:
            said.append("It requires no action, so the dispute closes as it is published.")
        said.append(
            f"{d.complainant.name}, {d.respondent.name} and the alliance's admins are told at "
            "once; both parties accept and implement it (protocol clause 7)."
        )
        return said

    def confirm_context(self, form: forms.Form) -> dict[str, Any]:
        return {
            "title": f"Check the {'correction' if self.latest else 'ruling'} before publishing",
            "submit": "Publish the correction" if self.latest else "Publish the ruling",
            "dispute": self.object,
            "back": (self.detail_url(), f"Back to dispute #{self.object.pk}"),
        }

    def make_form(self, data: Any = None) -> forms.Form:
        d = self.object
        sanctionable = None
        if d.breach is not None and d.breach.agency_id is not None:
            ids = {d.breach.agency_id, *d.parties}
            sanctionable = Agency.objects.filter(pk__in=ids).order_by("name")
        initial = {"sanctioned_agency": d.breach.agency_id} if d.breach is not None else {}
        return RulingForm(
            data,
            initial=initial,
            parties=[d.complainant, d.respondent],
            sanctionable=sanctionable,
        )

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        ruling = rulings.ruling_publish(
            actor=self.tenant.person,
            dispute=self.object,
            findings=data["findings"],
            decision=data["decision"],
            actions=cast(RulingForm, form).specs(),
            sanction=data.get("sanction") or "none",
            sanctioned_agency=data.get("sanctioned_agency"),
            corrects=self.latest,
        )
        words = "correction" if ruling.corrects_id else "ruling"
        return self.done(
            f"Your {words} is published as ruling {ruling.number}. Both parties have been told.",
            f"#ruling-{ruling.number}",
        )


class ActionConfirmView(DisputeFormPage):
    """The party that must act confirms a required action is done (a GET asks first)."""

    title = "Confirm an action is done"
    submit = "Confirm it is done"

    @cached_property
    def action(self) -> RequiredAction:
        return selectors.action_get_for(
            person=self.tenant.person,
            alliance=self.tenant.alliance,
            dispute_pk=self.object.pk,
            pk=self.kwargs["action_pk"],
        )

    def allowed(self) -> bool:
        return can.can_confirm_action(self.tenant.roles, self.action)

    def intro(self) -> list[str]:
        a = self.action
        return [
            f"{a.agency.name} must: {a.description}",
            f"Due by {a.due_on:%-d %B %Y}. The arbiter and the other party are told you "
            "confirmed it; the dispute closes when no action is outstanding.",
        ]

    def make_form(self, data: Any = None) -> forms.Form:
        return NoteForm(data)

    def perform(self, form: forms.Form) -> HttpResponse:
        rulings.action_confirm(
            actor=self.tenant.person, action=self.action, note=form.cleaned_data["note"]
        )
        self.object.refresh_from_db(fields=["status"])
        closed = (
            " The dispute is now closed." if self.object.status == Dispute.Status.CLOSED else ""
        )
        return self.done(f"The action is confirmed as done.{closed}", f"#action-{self.action.pk}")
