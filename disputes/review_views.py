"""Pages of breach reviews: the CVS's arbiter or an admin upholds or dismisses a breach and
chooses its sanction (protocol clause 6), after reading in words what each sanction does and
what this alliance's protocol asks before an agency is expelled."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from disputes import permissions as can
from disputes import selectors
from disputes.confirm_views import ConfirmAfterForm
from disputes.dispute_forms import BreachReviewForm
from disputes.models import Breach
from disputes.services import reviews
from disputes.services.disputes import cvs_of
from kiaa import selectors as core_selectors
from kiaa.models import ExpulsionBy
from kiaa.tenancy import Tenant

Sanction = Breach.Sanction

SANCTION_WORDS = {
    Sanction.NONE: "No sanction: the decision and your note are kept on the breach's record.",
    Sanction.WARNING: "A warning: recorded against the agency, which otherwise carries on as "
    "before.",
    Sanction.SUSPENSION: "Suspension, at once: the agency's people can still read, but it cannot "
    "declare bids, join partnerships or file disputes until an admin lifts it.",
}
EXPULSION_WORDS = {
    ExpulsionBy.RULING: "Expulsion: the agency ceases to be a member (clause 6). Its bids and "
    "partnership places end and it loses sight of every paper; its people keep only the disputes "
    "about it. This alliance's protocol expels only on a published ruling that orders it: choose "
    "that ruling below.",
    ExpulsionBy.MEMBERS_VOTE: "Expulsion: the agency ceases to be a member (clause 6), but only "
    "if the other member agencies' trustee boards vote for it. This alliance's protocol puts it "
    "to every other member's board; a majority of the boards carries it. Until then no sanction "
    "applies.",
}


def cvs_id(tenant: Tenant) -> int | None:
    cvs = cvs_of(tenant.alliance)
    return cvs.pk if cvs else None


def breach_review_context(tenant: Tenant, breach: Breach) -> dict[str, Any]:
    """What the breach page shows of its review: the linked ruling, an expulsion vote's
    progress, and whether the viewer may review it."""
    progress = selectors.motion_progress_for(breach=breach)
    may = breach.status not in Breach.DECIDED and can.can_review_this_breach(
        tenant.roles, breach, arbiter_agency_id=cvs_id(tenant)
    )
    return {
        "motion": progress,
        "motion_needed": reviews.needed(progress.motion) if progress else 0,
        "may_review": may,
    }


class BreachReviewView(ConfirmAfterForm):
    """Uphold or dismiss a breach, with a note and a sanction that takes effect at once; the
    decision is read back on a confirmation page first."""

    template = "disputes/breach_review.html"
    title = "Review this breach"
    model = Breach
    object: Breach

    def get_object(self, pk: int) -> Breach:
        return selectors.breach_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def allowed(self) -> bool:
        return can.can_review_this_breach(
            self.tenant.roles, self.object, arbiter_agency_id=cvs_id(self.tenant)
        )

    @cached_property
    def expulsion_by(self) -> str:
        return core_selectors.protocol_get_for(alliance=self.tenant.alliance).expulsion_by

    def make_form(self, data: Any = None) -> forms.Form:
        rulings = None
        if self.expulsion_by == ExpulsionBy.RULING:
            rulings = selectors.breach_ruling_list_for(
                person=self.tenant.person, alliance=self.tenant.alliance, breach=self.object
            )
        return BreachReviewForm(data, rulings=rulings)

    def context(self, form: forms.Form) -> dict[str, Any]:
        breach = self.object
        sanctions = [
            (label, SANCTION_WORDS[Sanction(value)])
            for value, label in Sanction.choices
            if value in SANCTION_WORDS
        ]
        sanctions.append(
            (Sanction.EXPULSION.label, EXPULSION_WORDS[ExpulsionBy(self.expulsion_by)])
        )
        return {
            **super().context(form),
            "breach": breach,
            "decided": breach.status in Breach.DECIDED,
            "sanctions": sanctions,
            "no_agency": breach.agency_id is None,
        }

    def consequences(self, form: forms.Form) -> list[str]:
        breach, data = self.object, form.cleaned_data
        agency = breach.agency.name if breach.agency else "the alliance"
        outcome = "upheld" if data["outcome"] == Breach.Status.UPHELD else "dismissed"
        sanction = Sanction(data["sanction"])
        said = [
            f"Breach #{breach.pk} ({breach.get_kind_display().lower()}, {agency}) is {outcome}, "
            f"with your note: {data['note']}",
        ]
        if sanction == Sanction.EXPULSION and self.expulsion_by == ExpulsionBy.MEMBERS_VOTE:
            said.append(
                f"The expulsion of {agency} is put to the other member agencies' trustee "
                "boards; until a majority of the boards carries it, no sanction applies."
            )
        elif sanction == Sanction.EXPULSION:
            ruling = data.get("ruling")
            authority = f" on the authority of ruling {ruling.number}" if ruling else ""
            said.append(
                f"{agency} is expelled at once{authority}: it ceases to be a member (clause 6), "
                "its bids and partnership places end and it loses sight of every paper; its "
                "people keep only the disputes about it."
            )
        elif sanction != Sanction.NONE:
            said.append(f"{SANCTION_WORDS[sanction]} It applies to {agency}.")
        else:
            said.append("No sanction.")
        said += [
            "The review is decided once: it cannot be undone from this page.",
            f"{agency}'s leaders and the alliance's admins are told of your decision at once."
            if breach.agency
            else "The alliance's admins are told of your decision at once.",
        ]
        return said

    def confirm_context(self, form: forms.Form) -> dict[str, Any]:
        breach = self.object
        return {
            "title": f"Check your review of breach #{breach.pk}",
            "submit": "Record the review",
            "back": (self.url("breach-detail", pk=breach.pk), f"Back to breach #{breach.pk}"),
        }

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        breach = reviews.breach_review(
            actor=self.tenant.person,
            breach=self.object,
            outcome=data["outcome"],
            note=data["note"],
            sanction=data["sanction"],
            ruling=data.get("ruling"),
        )
        messages.success(self.request, self.done_words(breach, data["sanction"]))
        return redirect(self.url("breach-detail", pk=breach.pk))

    def done_words(self, breach: Breach, sanction: str) -> str:
        words = f"The breach is {breach.get_status_display().lower()}"
        if sanction == Sanction.EXPULSION and self.expulsion_by == ExpulsionBy.MEMBERS_VOTE:
            return f"{words}. Its expulsion is put to the other member agencies' boards."
        if sanction != Sanction.NONE:
            return f"{words}, with a sanction: {Sanction(sanction).label.lower()}. It applies now."
        return f"{words}. The agency and the admins have been told."
