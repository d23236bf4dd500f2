"""Page forms of the alliance core, and the renderer that makes every form accessible."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.renderers import TemplatesSetting

from kiaa.models import Agency, Alliance, BoardVote, ExpulsionBy, Role, ServiceArea
from kiaa.services.protocol import (
    MAX_ALLOCATION_DAYS,
    MAX_GRACE_DAYS,
    MAX_REMINDER_DAYS,
    MAX_SIGNATURE_DAYS,
)


class AccessibleFormRenderer(TemplatesSetting):
    """Every form gets an error summary that links to each field, and labelled fields."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class AgencyForm(forms.Form):
    name = forms.CharField(max_length=200)
    charity_number = forms.CharField(
        max_length=20, required=False, help_text="Registered charity number, if any."
    )
    company_number = forms.CharField(
        max_length=20, required=False, help_text="Companies House number, if any."
    )
    size_band = forms.ChoiceField(choices=Agency.SizeBand.choices, help_text="By annual income.")
    reach = forms.ChoiceField(choices=Agency.Reach.choices)
    service_areas = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    is_arbiter = forms.BooleanField(
        required=False,
        label="This agency is the alliance's arbiter (the CVS)",
        help_text="Only one agency arbitrates; choosing this one moves the role to it.",
    )

    def __init__(self, *args: Any, alliance: Alliance, **kwargs: Any):
        super().__init__(*args, **kwargs)
        areas = ServiceArea.objects.for_alliance(alliance).values_list("slug", "name")
        cast(forms.ChoiceField, self.fields["service_areas"]).choices = list(areas)


class AgencyEditForm(AgencyForm):
    status = forms.ChoiceField(
        choices=[(Agency.Status.ACTIVE, "Active"), (Agency.Status.SUSPENDED, "Suspended")],
        help_text="Expulsion follows a ruling and is not set here.",
    )
    may_arbitrate = forms.BooleanField(
        required=False,
        label="May lend an independent arbiter when the CVS is a party to a dispute",
    )


class ServiceAreaForm(forms.Form):
    name = forms.CharField(max_length=120)


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices)
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        help_text="Leave empty only for an alliance admin who works for no agency.",
    )

    def __init__(self, *args: Any, agencies: Any, roles: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["agency"]).queryset = agencies  # type: ignore[type-arg]
        cast(forms.ChoiceField, self.fields["role"]).choices = roles


class ProtocolVersionForm(forms.Form):
    principles = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}), help_text="One principle per line."
    )
    implemented_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    review_due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class AcceptanceForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Board of")
    accepted_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Date of the board meeting that accepted it",
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["agency"]).queryset = agencies  # type: ignore[type-arg]


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(
        widget=forms.PasswordInput, help_text="At least 8 characters, not a common password."
    )


# Partnership kinds in words: the core knows their values (kiaa.services.protocol), not the app.
PARTNERSHIP_KIND_LABELS = {
    "consortium": "Consortium",
    "prime_sub": "Prime and subcontractors",
    "alliance_contract": "Alliance contract",
    "network": "Network",
}


class ProtocolSettingsForm(forms.Form):
    board_approval_kinds = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(PARTNERSHIP_KIND_LABELS.items()),
        label="Partnerships whose joins and departures need the agency's trustee board",
        help_text="An agency joins or leaves these kinds only once its trustees approve.",
    )
    minimum_quorum = forms.IntegerField(
        min_value=1,
        max_value=99,
        label="Minimum quorum",
        help_text=(
            "The fewest trustee approvals any board decision needs; "
            "a larger board needs a majority of its trustees."
        ),
    )
    chief_officers_may_vote = forms.BooleanField(
        required=False,
        label="Chief officers who are also trustees may vote",
        help_text=(
            "Clause 4 keeps decisions with trustee boards, not chief officers, so by default a "
            "trustee who also runs the agency does not vote on its board's questions. Tick this "
            "to let them vote; an agency's standing orders may still keep them out."
        ),
    )
    withdrawal_grace_days = forms.IntegerField(
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        label="Days withdrawals last after an award",
        help_text=(
            "Bidders stay withdrawn from partnership working for this many days after the "
            f"contract is awarded (0 to {MAX_GRACE_DAYS})."
        ),
    )
    # Not required, as the settings above: a form posted without them leaves them as they are.
    reminder_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_REMINDER_DAYS,
        label="Days before a due date that people are reminded",
        help_text=(
            "Deadlines, review dates, votes awaited and withdrawals ending are reminded this many "
            f"days ahead, and once more if they pass undone (1 to {MAX_REMINDER_DAYS})."
        ),
    )
    allocation_due_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ALLOCATION_DAYS,
        label="Days after an award by which named partners have their allocation",
        help_text=(
            "A partner named in a winning bid and given nothing by then was used as 'bid candy' "
            f"(1 to {MAX_ALLOCATION_DAYS})."
        ),
    )
    mou_signature_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SIGNATURE_DAYS,
        label="Days members have to sign a partnership's MoU",
        help_text=(
            "A member whose trustees have not signed the current MoU by then is flagged as a "
            f"possible breach (1 to {MAX_SIGNATURE_DAYS})."
        ),
    )

    # Not required either: left out, what the alliance chose stays.
    expulsion_by = forms.ChoiceField(
        required=False,
        choices=ExpulsionBy.choices,
        widget=forms.RadioSelect,
        label="What may end an agency's membership",
        help_text=(
            "Clause 6: a member found competing while still working in partnership ceases to be "
            "a member. Never one person's click: either a ruling of the arbiter that orders it, "
            "or a vote of the other member agencies' trustee boards (a majority of them)."
        ),
    )

    def clean_expulsion_by(self) -> str | None:
        return self.cleaned_data.get("expulsion_by") or None


# The largest contract value a form takes, in pounds (well inside the database's range).
MAX_POUNDS = 10**12


class StandingOrdersForm(forms.Form):
    """An agency's own decision rules; the service refuses any that loosen the alliance's."""

    minimum_votes = forms.IntegerField(
        required=False,
        max_value=99,
        label="Fewest approvals any question needs",
        help_text="Leave empty to follow the alliance's rule.",
    )
    full_board_above = forms.IntegerField(
        required=False,
        max_value=MAX_POUNDS,
        label="Every eligible trustee approves bids for contracts worth over (£)",
        help_text="Whole pounds. Leave empty to follow the alliance's majority rule.",
    )
    bar_chief_officers = forms.BooleanField(
        required=False,
        label="Chief officers who are trustees never vote",
        help_text="Keeps them out of the board's votes even where the alliance's protocol lets them in.",
    )

    def __init__(self, *args: Any, minimum_quorum: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["minimum_votes"].help_text = (
            "Leave empty to follow the alliance's rule, which already asks at least "
            f"{minimum_quorum} and a majority of the eligible trustees. Standing orders may "
            "only tighten it."
        )


class VoteForm(forms.Form):
    # Named "decision" as in the API ({"decision": "approve", "note": ...}).
    decision = forms.ChoiceField(
        choices=BoardVote.Choice.choices, widget=forms.RadioSelect, label="Your vote"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Your reasons, for the board's record. Votes cannot be changed once cast.",
    )
