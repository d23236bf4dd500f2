"""People's roles: inviting someone to a role, accepting by link, granting and ending roles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kiaa import audit, outbox
from kiaa.errors import Code, DomainError
from kiaa.models import Agency, Alliance, Invitation, Membership, Role, User
from kiaa.permissions import can_invite, roles_of

INVITE_NOT_ALLOWED = "You cannot invite people to that role in that agency."
AGENCY_OF_OTHER_ALLIANCE = "That agency is not in this alliance."
ARBITER_OUTSIDE_CVS = "The arbiter role is held only in the alliance's arbiter agency (the CVS)."
AGENCY_NOT_ACTIVE = "Roles can be given only in an active agency."
ROLE_NEEDS_AGENCY = "Choose the agency this role is held in."
ALREADY_HELD = "This person already holds that role."
ALREADY_INVITED = "This email address already has an open invitation to that role."
INVITATION_INVALID = "This invitation link is not valid. Ask for a new invitation."
INVITATION_USED = "This invitation has already been used or withdrawn."
INVITATION_EXPIRED = "This invitation has expired. Ask for a new invitation."
INVITATION_OTHER_EMAIL = "This invitation was sent to another email address."
USERNAME_TAKEN = "That username is taken."
EMAIL_HAS_ACCOUNT = "An account with this email already exists: sign in to accept the invitation."
LAST_ADMIN = "The alliance must keep at least one admin."
NOT_ALLOWED = "You cannot change this person's roles."

_INVITATION_SALT = "kiaa.invitation"


def _check_role_target(alliance: Alliance, agency: Agency | None, role: str) -> None:
    if role not in Role.values:
        raise DomainError(f"Unknown role: {role}.", field="role")
    if agency is None and role != Role.ALLIANCE_ADMIN:
        raise DomainError(ROLE_NEEDS_AGENCY, field="agency")
    if agency is not None and agency.alliance_id != alliance.pk:
        raise DomainError(AGENCY_OF_OTHER_ALLIANCE, field="agency")
    if agency is not None and agency.status != Agency.Status.ACTIVE:
        raise DomainError(AGENCY_NOT_ACTIVE, Code.CONFLICT, field="agency")
    if role == Role.ARBITER and not (agency and agency.is_arbiter):
        raise DomainError(ARBITER_OUTSIDE_CVS, field="role")


@transaction.atomic
def membership_grant(
    *, actor: User | None, alliance: Alliance, user: User, role: str, agency: Agency | None
) -> Membership:
    """Give a person a role (actor None only for platform setup and accepted invitations)."""
    if actor is not None and not can_invite(roles_of(actor, alliance), agency=agency, role=role):
        raise DomainError(INVITE_NOT_ALLOWED, Code.FORBIDDEN)
    _check_role_target(alliance, agency, role)
    held = Membership.objects.for_alliance(alliance).filter(user=user, agency=agency, role=role)
    if held.exists():
        raise DomainError(ALREADY_HELD, Code.CONFLICT)
    membership = Membership.objects.create(alliance=alliance, user=user, agency=agency, role=role)
    if agency is not None:
        user.groups.add(agency.group_id)
    audit.record(
        alliance=alliance,
        actor=actor or user,
        verb="membership.granted",
        target=membership,
        agency=agency,
        payload={"user": user.username, "role": role},
    )
    return membership


@transaction.atomic
def membership_end(*, actor: User, membership: Membership) -> None:
    """Take a role away (an admin, or the chief officer for roles they could have given)."""
    alliance = membership.alliance
    roles = roles_of(actor, alliance)
    if not can_invite(roles, agency=membership.agency, role=membership.role):
        raise DomainError(NOT_ALLOWED, Code.FORBIDDEN)
    if membership.role == Role.ALLIANCE_ADMIN:
        # Lock every admin role so two admins cannot remove each other at once.
        admins = (
            Membership.objects.for_alliance(alliance)
            .filter(role=Role.ALLIANCE_ADMIN)
            .order_by("pk")
            .select_for_update()
        )
        if len(admins) <= 1:
            raise DomainError(LAST_ADMIN, Code.CONFLICT)
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="membership.ended",
        target=membership,
        agency=membership.agency,
        payload={"user": membership.user.username, "role": membership.role},
    )
    membership.delete()
    agency_id = membership.agency_id
    if (
        agency_id
        and not Membership.objects.filter(user=membership.user, agency_id=agency_id).exists()
    ):
        membership.user.groups.remove(membership.agency.group_id)  # type: ignore[union-attr]


@transaction.atomic
def invitation_create(
    *, actor: User, alliance: Alliance, email: str, role: str, agency: Agency | None
) -> Invitation:
    """Invite an email address to a role; the email with the link is sent after commit."""
    if not can_invite(roles_of(actor, alliance), agency=agency, role=role):
        raise DomainError(INVITE_NOT_ALLOWED, Code.FORBIDDEN)
    _check_role_target(alliance, agency, role)
    email = email.strip().lower()
    if (
        Membership.objects.for_alliance(alliance)
        .filter(user__email__iexact=email, agency=agency, role=role)
        .exists()
    ):
        raise DomainError(ALREADY_HELD, Code.CONFLICT, field="email")
    now = timezone.now()
    open_ones = Invitation.objects.for_alliance(alliance).filter(
        email=email, agency=agency, role=role, accepted_at=None, revoked_at=None, expires_at__gt=now
    )
    if open_ones.exists():
        raise DomainError(ALREADY_INVITED, Code.CONFLICT, field="email")
    invitation = Invitation.objects.create(
        alliance=alliance,
        email=email,
        agency=agency,
        role=role,
        invited_by=actor,
        created_at=now,
        expires_at=now + settings.INVITATION_MAX_AGE,
    )
    audit.record(
        alliance=alliance,
        actor=actor,
        verb="invitation.created",
        target=invitation,
        agency=agency,
        payload={"email": email, "role": role},
    )
    outbox.enqueue("kiaa.tasks.invitation_send", invitation_id=invitation.pk)
    return invitation


def invitation_token(invitation: Invitation) -> str:
    """A signed link token: nothing secret is stored, and a worker can rebuild it from the id."""
    return signing.dumps(invitation.pk, salt=_INVITATION_SALT, compress=True)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("invitation-accept", kwargs={"token": invitation_token(invitation)})
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def invitation_send(*, invitation_id: int) -> None:
    """Email the invitation link once; a repeated task finds it sent and does nothing."""
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or invitation.sent_at or invitation.accepted_at or invitation.revoked_at:
        return
    context = {"invitation": invitation, "url": invitation_url(invitation)}
    send_mail(
        subject=f"You are invited to {invitation.alliance.name}",
        message=render_to_string("emails/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])
    audit.record(
        alliance=invitation.alliance,
        actor=None,
        verb="invitation.sent",
        target=invitation,
        agency=invitation.agency,
        payload={"email": invitation.email},
    )


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link names, or a DomainError saying why the link cannot be used."""
    try:
        pk = signing.loads(token, salt=_INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError(INVITATION_EXPIRED, Code.CONFLICT) from None
    except signing.BadSignature:
        raise DomainError(INVITATION_INVALID) from None
    invitation = Invitation.objects.select_related("alliance", "agency").filter(pk=pk).first()
    if invitation is None:
        raise DomainError(INVITATION_INVALID)
    if invitation.accepted_at or invitation.revoked_at:
        raise DomainError(INVITATION_USED, Code.CONFLICT)
    if invitation.expires_at <= timezone.now():
        raise DomainError(INVITATION_EXPIRED, Code.CONFLICT)
    return invitation


def _accept(invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise DomainError(INVITATION_USED, Code.CONFLICT)
    membership = membership_grant(
        actor=None,
        alliance=invitation.alliance,
        user=user,
        role=invitation.role,
        agency=invitation.agency,
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        alliance=invitation.alliance,
        actor=user,
        verb="invitation.accepted",
        target=invitation,
        agency=invitation.agency,
        payload={"user": user.username},
    )
    return membership


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """A signed-in person takes up the role offered to their email address."""
    invitation = invitation_from_token(token)
    if user.email.lower() != invitation.email:
        raise DomainError(INVITATION_OTHER_EMAIL, Code.FORBIDDEN)
    return _accept(invitation, user)


@transaction.atomic
def invitation_accept_new_account(
    *, token: str, username: str, password: str, first_name: str = "", last_name: str = ""
) -> Membership:
    """Someone new sets a username and password; the account and role are created together."""
    invitation = invitation_from_token(token)
    candidate = User(
        username=username, email=invitation.email, first_name=first_name, last_name=last_name
    )
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from None
    user = person_create(
        username=username,
        email=invitation.email,
        password=password,
        first_name=first_name,
        last_name=last_name,
    )
    return _accept(invitation, user)


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    """Withdraw an invitation that has not been accepted."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    roles = roles_of(actor, invitation.alliance)
    if not can_invite(roles, agency=invitation.agency, role=invitation.role):
        raise DomainError(NOT_ALLOWED, Code.FORBIDDEN)
    if invitation.accepted_at or invitation.revoked_at:
        raise DomainError(INVITATION_USED, Code.CONFLICT)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        alliance=invitation.alliance,
        actor=actor,
        verb="invitation.revoked",
        target=invitation,
        agency=invitation.agency,
        payload={"email": invitation.email},
    )


@transaction.atomic
def person_create(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
) -> User:
    """An account for a person; roles come separately, through membership_grant."""
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(USERNAME_TAKEN, Code.CONFLICT, field="username")
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(EMAIL_HAS_ACCOUNT, Code.CONFLICT, field="email")
    return User.objects.create_user(
        username=username,
        email=email.lower(),
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
    )
