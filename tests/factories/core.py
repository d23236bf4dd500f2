from __future__ import annotations

from typing import Any

import factory

from kiaa.models import Agency, Alliance, Membership, ServiceArea, User
from kiaa.services import alliances, members

PASSWORD = "correct-horse-battery"


class AllianceFactory(factory.Factory):
    class Meta:
        model = Alliance

    name = factory.Sequence(lambda n: f"Alliance {n}")
    slug = factory.Sequence(lambda n: f"alliance-{n}")

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Alliance:
        return alliances.alliance_create(**kwargs)


class ServiceAreaFactory(factory.Factory):
    class Meta:
        model = ServiceArea

    alliance = factory.SubFactory(AllianceFactory)
    name = factory.Sequence(lambda n: f"Service area {n}")

    @classmethod
    def _create(
        cls, model_class: type, *args: Any, alliance: Alliance, **kwargs: Any
    ) -> ServiceArea:
        return alliances.service_area_create(
            actor=_platform_admin(alliance), alliance=alliance, **kwargs
        )


class AgencyFactory(factory.Factory):
    class Meta:
        model = Agency

    alliance = factory.SubFactory(AllianceFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    size_band = Agency.SizeBand.SMALL
    reach = Agency.Reach.LOCAL

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Agency:
        return alliances.agency_create(actor=None, **kwargs)


class PersonFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda p: f"{p.username}@example.org")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> User:
        return members.person_create(**kwargs)


def grant(
    user: User, role: str, agency: Agency | None = None, *, alliance: Alliance | None = None
) -> Membership:
    """Give a role directly (as platform setup would); the alliance comes from the agency."""
    target = agency.alliance if agency is not None else alliance
    assert target is not None, "an agency-less role needs the alliance"
    return members.membership_grant(
        actor=None, alliance=target, user=user, role=role, agency=agency
    )


def _platform_admin(alliance: Alliance) -> User:
    """The alliance's first admin, created on first use, for factories that need an admin actor."""
    admin = (
        Membership.objects.filter(alliance=alliance, role="alliance_admin")
        .select_related("user")
        .first()
    )
    if admin is not None:
        return admin.user
    user = PersonFactory()
    grant(user, "alliance_admin", alliance=alliance)
    return user
