"""Forms of the dispute and breach-review pages. The services check everything again; these
forms only turn what was typed into the services' arguments, with messages people can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from bids.models import Declaration
from disputes.models import Breach, Dispute, Ruling, Submission
from disputes.services.rulings import ActionSpec
from kiaa.models import Agency, User
from partnerships.models import Partnership

Subject = Dispute.Subject
Sanction = Breach.Sanction
MAX_ACTIONS = 5
# Without a date picker in every browser, the ISO form is what a type=date input sends back.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EVIDENCE_DUE_HELP = "The last day either party may give a statement or evidence."
RULING_DUE_HELP = "The day by which you publish the ruling: on or after the last day for evidence."


def _date(label: str, help_text: str = "", required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, help_text=help_text, required=required, widget=DATE_WIDGET)


class AgencyChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Agencies by name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class DisputeFileForm(forms.Form):
    """File a dispute; without scripts every subject's list shows and only the chosen one counts."""

    complainant = AgencyChoiceField(
        queryset=Agency.objects.none(),
        label="Filed by",
        help_text="The agency you speak for as its chief officer.",
    )
    respondent = AgencyChoiceField(
        queryset=Agency.objects.none(),
        label="Dispute with",
        empty_label="Choose the agency",
        help_text="The other member agency of the alliance.",
    )
    subject = forms.ChoiceField(
        choices=Subject.choices,
        widget=forms.RadioSelect,
        label="What the dispute is about",
        help_text="Then choose the breach, declaration or partnership below; for a general "
        "matter, choose none.",
    )
    breach = forms.ModelChoiceField(
        queryset=Breach.objects.none(),
        required=False,
        label="The breach",
        empty_label="No breach",
        help_text="Breaches that concern your agency: its own, its partnerships' and its tenders'.",
    )
    declaration = forms.ModelChoiceField(
        queryset=Declaration.objects.none(),
        required=False,
        label="The bid declaration",
        empty_label="No declaration",
    )
    partnership = forms.ModelChoiceField(
        queryset=Partnership.objects.none(),
        required=False,
        label="The partnership",
        empty_label="No partnership",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What the dispute is about, in your words",
        help_text="Both the other agency and the arbiter read this.",
    )

    def __init__(
        self,
        *args: Any,
        complainants: QuerySet[Agency],
        respondents: QuerySet[Agency],
        breaches: QuerySet[Breach],
        declarations: QuerySet[Any],
        partnerships: QuerySet[Any],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self._set("complainant", complainants)
        self._set("respondent", respondents)
        self._set("breach", breaches)
        self._set("declaration", declarations)
        self._set("partnership", partnerships)
        if len(complainants) == 1:
            # Nothing to choose: the page says which agency files.
            self.fields["complainant"].widget = forms.HiddenInput()
            self.fields["complainant"].initial = complainants[0].pk

    def _set(self, name: str, queryset: QuerySet[Any]) -> None:
        cast(forms.ModelChoiceField, self.fields[name]).queryset = queryset  # type: ignore[type-arg]

    def subject_arguments(self) -> dict[str, Any]:
        """Only the chosen subject's thing goes to the service: the other lists are ignored."""
        data, subject = self.cleaned_data, self.cleaned_data["subject"]
        chosen = {
            Subject.BREACH: {"breach": data.get("breach")},
            Subject.DECLARATION: {"declaration_id": _pk(data.get("declaration"))},
            Subject.PARTNERSHIP: {"partnership_id": _pk(data.get("partnership"))},
        }
        return chosen.get(subject, {})


def _pk(obj: Any) -> int | None:
    return obj.pk if obj is not None else None


class DeadlinesForm(forms.Form):
    evidence_due_on = _date("Last day for evidence", EVIDENCE_DUE_HELP)
    ruling_due_on = _date("Ruling due by", RULING_DUE_HELP)


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """People by name, with the agencies they could arbitrate for."""

    def __init__(self, *args: Any, agencies_of: dict[int, list[str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.agencies_of = agencies_of

    def label_from_instance(self, obj: Any) -> str:
        names = ", ".join(self.agencies_of.get(obj.pk, []))
        return f"{obj} ({names})" if names else str(obj)


class AppointForm(forms.Form):
    """An admin lends an arbiter from an eligible member agency, when the CVS is a party."""

    agency = AgencyChoiceField(
        queryset=Agency.objects.none(),
        label="Agency lending the arbiter",
        help_text="Active agencies an admin flagged as eligible, neither of them a party.",
    )
    arbiter = PersonChoiceField(
        queryset=User.objects.none(),
        agencies_of={},
        label="Arbiter",
        help_text="A person who holds a role in the agency chosen above.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why this arbiter",
        help_text="Recorded with the appointment; both parties read it.",
    )
    evidence_due_on = _date("Last day for evidence", EVIDENCE_DUE_HELP)
    ruling_due_on = _date("Ruling due by", RULING_DUE_HELP)

    def __init__(
        self,
        *args: Any,
        agencies: QuerySet[Agency],
        people: QuerySet[User],
        agencies_of: dict[int, list[str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(AgencyChoiceField, self.fields["agency"]).queryset = agencies
        field = cast(PersonChoiceField, self.fields["arbiter"])
        field.queryset, field.agencies_of = people, agencies_of


class NoteForm(forms.Form):
    """An optional note with a step (confirming an action is done)."""

    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Note (optional)",
        help_text="What was done, for the arbiter and the other party.",
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=300,
        label="Why you withdraw it (optional)",
        help_text="The other party and the arbiter read this.",
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the Django documentation's pattern)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data]
        return [one(data, initial)] if data else []


class SubmissionForm(forms.Form):
    """A statement with files and papers; the arbiter's are always for both parties."""

    agency = AgencyChoiceField(
        queryset=Agency.objects.none(),
        label="On behalf of",
        help_text="You speak for both parties: say which one this comes from.",
    )
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Statement")
    visibility = forms.ChoiceField(
        choices=Submission.Visibility.choices,
        widget=forms.RadioSelect,
        initial=Submission.Visibility.SHARED,
        label="Who may read it",
        help_text="The arbiter reads everything. Keep commercially sensitive points for the "
        "arbiter only.",
    )
    # Named as the service names its refusals (field "files"); a form keeps its uploads in
    # `self.files` only on instances, so the declared field does not clash at run time.
    files = MultipleFileField(  # type: ignore[assignment]
        required=False,
        label="Files (optional)",
        help_text="Up to 10 files: PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, text "
        "or CSV. Their contents are checked, not just their names.",
    )
    papers = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Papers already shared (optional)",
        help_text="Papers you can open, most recent first. Each reader sees only those the "
        "information barrier lets them open. To choose several, hold Ctrl (Cmd on a Mac).",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(
        self,
        *args: Any,
        papers: Sequence[tuple[int, str]],
        sides: QuerySet[Agency] | None,
        by_arbiter: bool,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["papers"]).choices = list(papers)
        if sides is None:
            del self.fields["agency"]
        else:
            cast(AgencyChoiceField, self.fields["agency"]).queryset = sides
        if by_arbiter:
            del self.fields["visibility"]


class RulingForm(forms.Form):
    """The ruling, its sanction on a breach, and up to five required actions (a formset)."""

    findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Findings",
        help_text="What you found happened, from the evidence.",
    )
    decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Decision",
        help_text="What you decide; every party accepts and implements it (clause 7).",
    )
    sanction = forms.ChoiceField(
        choices=Sanction.choices,
        initial=Sanction.NONE,
        widget=forms.RadioSelect,
        label="Sanction on the agency in breach",
        help_text="Only on the breach this dispute is about. The ruling orders it; it takes "
        "effect when the breach is reviewed on the ruling's authority.",
    )
    sanctioned_agency = AgencyChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label="Agency sanctioned",
        empty_label="No agency",
        help_text="Only the agency in breach can be sanctioned.",
    )

    def __init__(
        self,
        *args: Any,
        parties: Sequence[Agency],
        sanctionable: QuerySet[Agency] | None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if sanctionable is None:
            # Only a ruling on a breach orders a sanction.
            del self.fields["sanction"], self.fields["sanctioned_agency"]
        else:
            cast(AgencyChoiceField, self.fields["sanctioned_agency"]).queryset = sanctionable
        data = args[0] if args else kwargs.get("data")
        self.parties = {a.pk: a for a in parties}
        self.actions = ActionFormSet(data, prefix="actions", form_kwargs={"parties": list(parties)})

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.actions.is_valid() and valid

    def specs(self) -> list[ActionSpec]:
        """The filled rows as the service's actions; blank rows are ignored."""
        return [
            ActionSpec(
                agency=self.parties[int(row["agency"])],
                description=row["description"],
                due_on=row["due_on"],
            )
            for row in (f.cleaned_data for f in self.actions.forms)
            if row and row.get("agency")
        ]


ROW_INCOMPLETE = "Give the {what}, or leave the whole row empty."


class ActionForm(forms.Form):
    """One required action; a row left empty is no action."""

    agency = forms.ChoiceField(required=False, label="Party that must act")
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="What it must do"
    )
    due_on = _date("Due by", required=False)

    def __init__(self, *args: Any, parties: Sequence[Agency], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose the party"), *((str(a.pk), a.name) for a in parties)]
        cast(forms.ChoiceField, self.fields["agency"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get(n) for n in ("agency", "description", "due_on")]
        if any(given) and not all(given):
            words = {"agency": "party", "description": "action", "due_on": "due date"}
            for name, what in words.items():
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, ROW_INCOMPLETE.format(what=what))
        return data


ActionFormSet = forms.formset_factory(
    ActionForm, extra=MAX_ACTIONS, max_num=MAX_ACTIONS, validate_max=True
)


class RulingChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Rulings by number, dispute and the sanction they order."""

    def label_from_instance(self, obj: Any) -> str:
        sanction = Sanction(obj.sanction).label.lower()
        return f"Ruling {obj.number} on dispute #{obj.dispute_id} (sanction: {sanction})"


class BreachReviewForm(forms.Form):
    """Uphold or dismiss a breach, with a note, a sanction and (for an expulsion) its ruling."""

    outcome = forms.ChoiceField(
        choices=[(Breach.Status.UPHELD, "Uphold it"), (Breach.Status.DISMISSED, "Dismiss it")],
        widget=forms.RadioSelect,
        label="Your decision",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Why",
        help_text="Kept with the decision; the agency's leaders and the admins read it.",
    )
    sanction = forms.ChoiceField(
        choices=Sanction.choices,
        initial=Sanction.NONE,
        widget=forms.RadioSelect,
        label="Sanction",
        help_text="A dismissed breach carries none.",
    )
    ruling = RulingChoiceField(
        queryset=Ruling.objects.none(),
        required=False,
        label="The ruling that orders the expulsion",
        empty_label="No ruling",
        help_text="Needed only for an expulsion: a published ruling of a dispute about this "
        "breach that orders it.",
    )

    def __init__(self, *args: Any, rulings: QuerySet[Ruling] | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if rulings is None:
            del self.fields["ruling"]
        else:
            cast(RulingChoiceField, self.fields["ruling"]).queryset = rulings
