"""The only place that answers "may this person see or do this" for breaches and disputes."""

from __future__ import annotations

from disputes.models import Breach, Dispute, RequiredAction, Submission
from kiaa.models import Role, User
from kiaa.permissions import Roles

# An agency's breach is its leadership's to answer for (clause 4: boards decide), not its staff's.
ANSWERS_FOR_BREACHES = (Role.CHIEF_OFFICER, Role.TRUSTEE)
# The same people read their agency's disputes; its chief officer speaks for it in them.
READS_DISPUTES = ANSWERS_FOR_BREACHES


def sees_every_breach(roles: Roles) -> bool:
    """The arbiter reviews breaches and admins keep the alliance: both see all of them."""
    return roles.is_admin or roles.has(Role.ARBITER)


def breach_agency_ids(roles: Roles) -> list[int]:
    """The agencies whose breaches the person sees as their chief officer or a trustee."""
    return [a for a in roles.agency_ids if any(roles.has(r, a) for r in ANSWERS_FOR_BREACHES)]


def can_view_breaches(roles: Roles) -> bool:
    """Whether the person may see any breach at all (the register's page and its link)."""
    return sees_every_breach(roles) or bool(breach_agency_ids(roles))


def can_view_breach(roles: Roles, breach: Breach) -> bool:
    """Every breach for the arbiter and admins; their own agencies' for chief officers and trustees."""
    return sees_every_breach(roles) or breach.agency_id in breach_agency_ids(roles)


def can_review_breach(roles: Roles, *, arbiter_agency_id: int | None) -> bool:
    """The CVS's arbiter or an alliance admin reviews a breach (the independence of the
    reviewer from the agency in breach is the service's check, with its reason)."""
    is_arbiter = arbiter_agency_id is not None and roles.acts(Role.ARBITER, arbiter_agency_id)
    return roles.is_admin or is_arbiter


def can_review_this_breach(roles: Roles, breach: Breach, *, arbiter_agency_id: int | None) -> bool:
    """As can_review_breach, but never the arbiter for a breach by its own agency (the CVS):
    an admin reviews that one."""
    if roles.is_admin:
        return True
    own = arbiter_agency_id is not None and breach.agency_id == arbiter_agency_id
    return can_review_breach(roles, arbiter_agency_id=arbiter_agency_id) and not own


# -- Disputes -----------------------------------------------------------------------------------


def reading_agency_ids(roles: Roles) -> list[int]:
    """The agencies whose disputes the person reads: as chief officer or trustee, including an
    expelled agency's (it keeps the right to answer disputes about itself)."""
    held = breach_agency_ids(roles)
    gone = [a for a, r in roles.expelled if r in READS_DISPUTES]
    return sorted({*held, *gone})


def speaks_for(roles: Roles, agency_id: int) -> bool:
    """An agency's chief officer speaks for it in a dispute: even suspended or expelled."""
    return roles.has(Role.CHIEF_OFFICER, agency_id) or roles.had(Role.CHIEF_OFFICER, agency_id)


def can_view_disputes(roles: Roles) -> bool:
    """Whether the disputes pages (and their link) are for the person: the arbiters, the admins,
    and the chief officers and trustees of agencies (expelled ones included)."""
    return roles.is_admin or roles.has(Role.ARBITER) or bool(reading_agency_ids(roles))


def can_file_dispute(roles: Roles, *, agency_id: int) -> bool:
    """A chief officer files for their own agency, while it is not suspended."""
    return roles.acts(Role.CHIEF_OFFICER, agency_id)


def is_cvs_arbiter(roles: Roles, *, arbiter_agency_id: int | None) -> bool:
    """Holds the arbiter role in the alliance's arbiter agency (the CVS)."""
    return arbiter_agency_id is not None and roles.acts(Role.ARBITER, arbiter_agency_id)


def party_agency_ids(roles: Roles, dispute: Dispute) -> list[int]:
    """The parties of the dispute the person reads for."""
    mine = set(reading_agency_ids(roles))
    return [a for a in dispute.parties if a in mine]


def can_see_dispute(person: User, roles: Roles, dispute: Dispute, *, cvs_id: int | None) -> bool:
    """Its arbiter, the parties' leaders, the admins; the CVS's arbiters while it waits for one."""
    if dispute.arbiter_id == person.pk or roles.is_admin or party_agency_ids(roles, dispute):
        return True
    waiting = dispute.arbiter_id is None and cvs_id not in dispute.parties
    with_cvs = dispute.arbiter_agency_id is not None and dispute.arbiter_agency_id == cvs_id
    return is_cvs_arbiter(roles, arbiter_agency_id=cvs_id) and (waiting or with_cvs)


def sees_submission(person: User, roles: Roles, submission: Submission, dispute: Dispute) -> bool:
    """The arbiter reads everything; a party its own submissions, the other party's shared ones
    and the arbiter's; nobody else any (admins included: evidence is for the ruling)."""
    if dispute.arbiter_id == person.pk:
        return True
    parties = party_agency_ids(roles, dispute)
    if not parties:
        return False
    if submission.by_arbiter or submission.agency_id in parties:
        return True
    return submission.visibility == Submission.Visibility.SHARED


def can_confirm_action(roles: Roles, action: RequiredAction) -> bool:
    """The chief officer of the party that must act confirms it is done."""
    return speaks_for(roles, action.agency_id)
