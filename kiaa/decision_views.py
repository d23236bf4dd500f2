"""Pages of trustee board decisions (protocol clause 4: boards decide, not chief officers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.vary import vary_on_headers

from kiaa import selectors
from kiaa.errors import Code, DomainError
from kiaa.forms import VoteForm
from kiaa.models import BoardDecision, BoardVote, Role
from kiaa.pages import ServiceFormView, TenantView
from kiaa.services.decisions import (
    EXCLUDED,
    decision_vote,
    decision_vote_check,
)

PER_PAGE = 50
# The second POST's flag: the trustee has seen what they are about to cast, and confirms it.
CONFIRM = "confirm"


@dataclass(frozen=True)
class Tally:
    """Where a decision stands, from its (prefetched) votes, and the person's own vote."""

    decision: BoardDecision
    votes: list[BoardVote]
    approvals: int
    rejections: int
    mine: BoardVote | None

    @property
    def is_open(self) -> bool:
        return self.decision.status == BoardDecision.Status.OPEN

    @property
    def still_needed(self) -> int:
        """Approvals still to come before the quorum is reached (none once it is decided)."""
        return max(self.decision.quorum - self.approvals, 0) if self.is_open else 0

    @property
    def awaits_me(self) -> bool:
        return self.is_open and self.mine is None


def tally(decision: BoardDecision, person_id: int) -> Tally:
    votes = list(decision.votes.all())
    return Tally(
        decision=decision,
        votes=votes,
        approvals=sum(v.choice == BoardVote.Choice.APPROVE for v in votes),
        rejections=sum(v.choice == BoardVote.Choice.REJECT for v in votes),
        mine=next((v for v in votes if v.trustee_id == person_id), None),
    )


class DecisionListView(TenantView):
    """The questions before the person's boards: open ones first, then the decided."""

    def allowed(self) -> bool:
        return self.tenant.roles.has(Role.TRUSTEE)

    def get(self, request: HttpRequest, alliance_slug: str) -> HttpResponse:
        found = selectors.decision_list_for(
            person=self.tenant.person, alliance=self.tenant.alliance
        )
        open_first = Case(
            When(status=BoardDecision.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        ordered = found.order_by(open_first, "-opened_at", "-pk")
        page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
        rows = [tally(d, self.tenant.person.pk) for d in page]
        return self.render(
            "kiaa/decision_list.html",
            {"page": page, "rows": rows, "awaiting": sum(r.awaits_me for r in rows)},
        )


@method_decorator(vary_on_headers("HX-Request"), name="dispatch")
class DecisionDetailView(ServiceFormView):
    """The question and what it is about, the quorum and the rule that set it, who may not vote
    and why, the votes so far with their notes, and the vote form for a trustee yet to vote.

    A vote cannot be changed, so casting one takes two POSTs: the first checks it and asks the
    trustee to confirm, the second (with `confirm`) casts it. htmx requests get the vote section
    alone (the same lookups, the same service), to swap in place; the page works without it.
    """

    model = BoardDecision
    object: BoardDecision
    template = "kiaa/decision_detail.html"
    fragment = "kiaa/decision_vote.html"

    def get_object(self, pk: int) -> BoardDecision:
        return selectors.decision_get_for(
            person=self.tenant.person, alliance=self.tenant.alliance, pk=pk
        )

    def make_form(self, data: Any = None) -> forms.Form:
        return VoteForm(data)

    @property
    def htmx(self) -> bool:
        """Whether htmx asked (django-htmx's middleware sets `request.htmx`)."""
        return bool(self.request.htmx)  # type: ignore[attr-defined]

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        # htmx swaps the vote section: the page's other parts are not sent again.
        return super().render(self.fragment if self.htmx else template, context, status)

    def context(self, form: forms.Form) -> dict[str, Any]:
        person = self.tenant.person
        state = tally(self.object, person.pk)
        board = selectors.decision_board_for(person=person, decision=self.object)
        reason = board.exclusion_of(person) if state.awaits_me else None
        return {
            "decision": self.object,
            "tally": state,
            "board": board,
            # An excluded trustee is told why instead of being offered a form the service refuses.
            "cannot_vote": EXCLUDED.format(reason=reason) if reason else None,
            # A vote with bad input shows its form again, with the reason.
            "form": form if (state.awaits_me and not reason) or form.errors else None,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render(self.template, self.context(form), 400)
        try:
            if request.POST.get(CONFIRM) == "yes":
                return self.perform(form)
            decision_vote_check(actor=self.tenant.person, decision=self.object)
        except DomainError as error:
            return self.refuse(form, error)
        # Nothing is written yet: the trustee sees what they are about to cast, and confirms it.
        choice = BoardVote.Choice(form.cleaned_data["decision"])
        confirming = {"choice": choice.label.lower(), "note": form.cleaned_data["note"].strip()}
        return self.render(self.template, {**self.context(form), "confirming": confirming})

    def refuse(self, form: forms.Form, error: DomainError) -> HttpResponse:
        """The refusal on the vote section; nothing was written. Without htmx a trustee who may
        not vote gets the 403 page with the reason, as from any other form."""
        if error.code == Code.FORBIDDEN and not self.htmx:
            raise PermissionDenied(error.message)
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            refusal = None
        else:
            refusal = error.message
        status = 403 if error.code == Code.FORBIDDEN else 400
        return self.render(self.template, {**self.context(form), "refusal": refusal}, status)

    def perform(self, form: forms.Form) -> HttpResponse:
        vote = decision_vote(
            actor=self.tenant.person,
            decision=self.object,
            choice=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
        )
        outcome = vote.decision.status
        message = "Your vote is recorded."
        if outcome != BoardDecision.Status.OPEN:
            message += f" The board's decision: {BoardDecision.Status(outcome).label.lower()}."
        messages.success(self.request, message)
        if self.htmx:
            # The section as it now stands (the votes, the standing, the message), read afresh.
            self.object = self.get_object(self.object.pk)
            return self.render(self.template, self.context(self.make_form()))
        return redirect(self.url("decision-detail", pk=self.object.pk))
