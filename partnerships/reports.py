"""Report kinds of this app: a partnership's memorandum of understanding as its members file it.

Read through the same selectors as the MoU page (partnerships.mou_views), so the paper holds
what its requester could read there: the partnership, the MoU in force and who has signed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from kiaa.models import Alliance, Role, User
from kiaa.permissions import Roles
from kiaa.reports import kinds
from kiaa.reports.content import Report, Section
from partnerships import selectors
from partnerships.forms import SECTION_LABELS
from partnerships.models import MouVersion, Partnership, PartnershipMember
from partnerships.services.mou import SECTIONS
from partnerships.views import GONE, in_force, pounds

NAME = "partnership_mou"
TITLE = "Partnership MoU"
NO_MOU = "This partnership has no MoU yet: there is nothing to export until its lead drafts one."
NOT_A_MEMBER = (
    "Only an alliance admin, or the chief officer of one of the partnership's member agencies, "
    "exports its MoU."
)
EXCLUSIVE = "Yes: no member takes part in a rival bid for a contract this partnership bids for"
NOT_EXCLUSIVE = "No: members may take part in rival bids"
NO_REVIEW = "No review date set"
Status = PartnershipMember.Status


class MouParams(kinds.ParamsForm):
    partnership = forms.ModelChoiceField(
        queryset=Partnership.objects.none(), label="Partnership", empty_label=None
    )

    def setup(self) -> None:
        """The partnerships the person sees on the partnerships page."""
        field = self.fields["partnership"]
        field.queryset = selectors.partnership_list_for(  # type: ignore[attr-defined]
            person=self.person, alliance=self.alliance
        ).order_by("name")

    def clean_partnership(self) -> Partnership:
        partnership: Partnership = self.cleaned_data["partnership"]
        if not partnership.mou_versions.exists():
            raise forms.ValidationError(NO_MOU)
        return partnership

    def describe(self) -> str:
        partnership = self.cleaned_data.get("partnership")
        return f"MoU of {partnership.name}" if partnership else ""


def offered(roles: Roles) -> bool:
    """Admins and chief officers could export an MoU (which one is refuse's question)."""
    return roles.is_admin or roles.has(Role.CHIEF_OFFICER)


def refuse(roles: Roles, cleaned: dict[str, Any]) -> str | None:
    """An MoU is its members' paper: the admins', and each member agency's chief officer's."""
    partnership: Partnership | None = cleaned.get("partnership")
    if roles.is_admin or partnership is None:
        return None
    placed = [m.agency_id for m in partnership.members.all() if m.status not in GONE]
    if any(roles.has(Role.CHIEF_OFFICER, agency_id) for agency_id in placed):
        return None
    return NOT_A_MEMBER


@dataclass(frozen=True)
class SignatureRow:
    agency: str
    signed_by: str  # "" when the member has not signed
    signed_at: Any = None


def _members(person: User, alliance: Alliance, partnership: Partnership) -> list[dict[str, Any]]:
    """Each member with its role and status, "Withdrawn" while it competes (as the pages say)."""
    withdrawals = selectors.withdrawal_list_for(person=person, alliance=alliance)
    withdrawn = set(
        in_force(withdrawals.filter(partnership=partnership)).values_list("agency_id", flat=True)
    )
    rows = []
    for member in partnership.members.all():  # prefetched by the selector, with agencies
        status = member.get_status_display()
        if member.status == Status.ACTIVE and member.agency_id in withdrawn:
            status = "Withdrawn (competing for a contract)"
        rows.append({"member": member, "status": status})
    return rows


def _signatures(partnership: Partnership, version: MouVersion) -> list[SignatureRow]:
    """Who signed the version, then every active member that has not, as the MoU page lists them."""
    signatures = list(version.signatures.all())  # prefetched by mou_current_for
    rows = [SignatureRow(s.agency.name, str(s.signed_by), s.signed_at) for s in signatures]
    signed = {s.agency_id for s in signatures}
    for member in partnership.members.all():
        if member.status == Status.ACTIVE and member.agency_id not in signed:
            rows.append(SignatureRow(member.agency.name, ""))
    return rows


def build(*, person: User, alliance: Alliance, roles: Roles, params: dict[str, Any]) -> Report:
    """The partnership, the MoU in force and its signatures, as the MoU page shows them."""
    found: Partnership = params["partnership"]  # from partnership_list_for, members prefetched
    version = selectors.mou_current_for(person=person, partnership=found)
    if version is None:  # the form refused it already; versions are never deleted
        return Report(TITLE, found.name, [], empty=NO_MOU)
    signatures = _signatures(found, version)
    unsigned = sum(1 for s in signatures if not s.signed_by)
    active = sum(1 for m in found.members.all() if m.status == Status.ACTIVE)
    members = _members(person, alliance, found)
    return Report(
        title=TITLE,
        scope=f"{found.name}: version {version.number} of its memorandum of understanding",
        sections=[
            Section(
                "partnership",
                "The partnership",
                "reports/partnership_mou/partnership.html",
                {"partnership": found, "members": members},
                weight=4 + len(members),
            ),
            Section(
                f"mou-{version.number}",
                f"The memorandum, version {version.number}",
                "reports/partnership_mou/memorandum.html",
                _memorandum(version),
                weight=20,
            ),
            Section(
                "signatures",
                f"Signatures of version {version.number}",
                "reports/partnership_mou/signatures.html",
                {"version": version, "rows": signatures, "unsigned": unsigned},
                weight=2 + len(signatures),
            ),
        ],
        facts=[
            ("Partnership", found.name),
            ("Lead agency", found.lead_agency.name),
            ("MoU version", str(version.number)),
            ("Signed for", f"{active - unsigned} of {active} active members"),
        ],
    )


def _memorandum(version: MouVersion) -> dict[str, Any]:
    return {
        "version": version,
        "sections": [(SECTION_LABELS[name], getattr(version, name)) for name in SECTIONS],
        "contribution": pounds(version.contribution_pence),
        "exclusive": EXCLUSIVE if version.exclusive else NOT_EXCLUSIVE,
        "review": version.review_due_on,
        "no_review": NO_REVIEW,
    }


KIND = kinds.Kind(
    name=NAME,
    title=TITLE,
    description=(
        "A partnership's memorandum of understanding in force: its members, every section, the "
        "contribution, exclusivity and review date, and which members' trustees have signed it."
    ),
    form=MouParams,
    build=build,
    offered=offered,
    refuse=refuse,
)


def register() -> None:
    """Register this app's report kinds with kiaa.reports.kinds."""
    kinds.register(KIND)
