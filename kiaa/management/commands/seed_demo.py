"""`manage.py seed_demo`: a realistic demo alliance to click through; running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from kiaa import demo
from kiaa.models import Agency, Alliance, Membership, ProtocolAcceptance, Role, ServiceArea, User
from kiaa.selectors import protocol_version_current_for
from kiaa.services import alliances, members, protocol

DEMO_PASSWORD = "kiaa-demo-2026"  # noqa: S105  (demo data only; printed for people to sign in)
SLUG = "kirkvale"
DEMO_EMAIL = "django.core.mail.backends.locmem.EmailBackend"

# slug: (name, CPV code prefixes that mark a public notice as this work)
SERVICE_AREAS = {
    "debt-advice": ("Debt advice", ("66171", "8531232")),
    "housing": ("Housing", ("70333",)),
    "immigration": ("Immigration", ("79111",)),
    "disability": ("Disability", ("853121",)),
    "older-people": ("Older people", ("853111",)),
    "welfare-benefits": ("Welfare benefits", ("853124",)),
    "employment": ("Employment", ("79611",)),
}


@dataclass(frozen=True)
class DemoAgency:
    key: str
    name: str
    charity_number: str
    size_band: str
    reach: str
    areas: tuple[str, ...]
    chief: tuple[str, str]
    trustees: tuple[tuple[str, str], tuple[str, str]]
    staff: tuple[str, str]
    is_arbiter: bool = False
    accepted_protocol: bool = True


AGENCIES = [
    DemoAgency(
        "kva",
        "Kirkvale Voluntary Action",
        "1100001",
        "medium",
        "local",
        (),
        ("Grace", "Okafor"),
        (("Martin", "Hale"), ("Priya", "Desai")),
        ("Owen", "Price"),
        is_arbiter=True,
    ),
    DemoAgency(
        "cab",
        "Kirkvale Citizens Advice",
        "1100002",
        "large",
        "local",
        ("debt-advice", "housing", "welfare-benefits", "employment"),
        ("Helen", "Brooks"),
        (("David", "Marsh"), ("Aisha", "Rahman")),
        ("Tom", "Fletcher"),
    ),
    DemoAgency(
        "law",
        "Northbridge Law Centre",
        "1100003",
        "medium",
        "regional",
        ("immigration", "housing", "employment"),
        ("Samuel", "Adeyemi"),
        (("Ruth", "Kerr"), ("Imran", "Shah")),
        ("Lucy", "Ward"),
    ),
    DemoAgency(
        "dis",
        "Kirkvale Disability Rights",
        "1100004",
        "small",
        "local",
        ("disability", "welfare-benefits"),
        ("Claire", "Nolan"),
        (("Peter", "Gough"), ("Fatima", "Begum")),
        ("Jake", "Moss"),
    ),
    DemoAgency(
        "age",
        "Age Well Kirkvale",
        "1100005",
        "medium",
        "local",
        ("older-people", "welfare-benefits"),
        ("Margaret", "Hill"),
        (("Kenneth", "Lowe"), ("Sandra", "Fox")),
        ("Amy", "Clarke"),
    ),
    DemoAgency(
        "mma",
        "Moorside Money Advice",
        "1100006",
        "small",
        "local",
        ("debt-advice",),
        ("Daniel", "Reid"),
        (("Joan", "Platt"), ("Victor", "Mensah")),
        ("Nina", "Cole"),
        accepted_protocol=False,
    ),
    DemoAgency(
        "wel",
        "Welcome Kirkvale",
        "1100007",
        "micro",
        "local",
        ("immigration",),
        ("Yusuf", "Ali"),
        (("Hannah", "Stone"), ("George", "Bell")),
        ("Mina", "Karimi"),
    ),
    DemoAgency(
        "pha",
        "Pennine Housing Aid",
        "1100008",
        "medium",
        "regional",
        ("housing",),
        ("Robert", "Gray"),
        (("Elaine", "Firth"), ("Kwame", "Boateng")),
        ("Zoe", "Hart"),
    ),
    DemoAgency(
        "ndn",
        "National Debtline North",
        "1100009",
        "major",
        "national",
        ("debt-advice",),
        ("Laura", "Stevens"),
        (("Colin", "Webb"), ("Meera", "Patel")),
        ("Sean", "Doyle"),
        accepted_protocol=False,
    ),
]

PRINCIPLES = """Decisions follow the best service provision for local people.
Partnership is the preferred approach.
Members are courteous and respectful; competing is a legitimate business decision.
Decisions are rooted in business need and made by trustee boards, not chief officers.
Members are open about intent to compete and withdraw from partnership working during a bidding process.
A member found competing while still working in partnership ceases to be a member.
Disputes between two members go to the CVS as independent arbiter; its ruling is accepted and implemented by all parties.
This protocol is reviewed by its review date."""


class Command(BaseCommand):
    help = "Create the Kirkvale demo alliance, its agencies, people and protocol (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's people have example.org addresses: their notifications stay in the app.
        with override_settings(EMAIL_BACKEND=DEMO_EMAIL), transaction.atomic():
            self.created = 0
            alliance = self._alliance()
            admin = self._person("alliance.admin", "Alex", "Morgan", is_staff=True)
            self._role(alliance, admin, Role.ALLIANCE_ADMIN, None)
            for slug, (name, cpv_codes) in SERVICE_AREAS.items():
                if not ServiceArea.objects.for_alliance(alliance).filter(slug=slug).exists():
                    alliances.service_area_create(
                        actor=admin, alliance=alliance, name=name, slug=slug, cpv_codes=cpv_codes
                    )
                    self.created += 1
            agencies = {spec.key: self._agency(alliance, admin, spec) for spec in AGENCIES}
            # A trustee on two boards: the conflicts of interest the protocol must catch.
            dual = self._person("dual.trustee", "Jo", "Bennett")
            self._role(alliance, dual, Role.TRUSTEE, agencies["cab"])
            self._role(alliance, dual, Role.TRUSTEE, agencies["mma"])
            self._protocol(alliance, admin, agencies)
            demo_alliance = demo.DemoAlliance(alliance, admin, agencies, DEMO_PASSWORD)
            for step in demo.steps():
                self.created += step(demo_alliance)
        self._print_logins()

    def _alliance(self) -> Alliance:
        alliance = Alliance.objects.filter(slug=SLUG).first()
        if alliance is None:
            self.created += 1
            alliance = alliances.alliance_create(
                name="Kirkvale Information and Advice Alliance", slug=SLUG
            )
        return alliance

    def _person(self, username: str, first: str, last: str, *, is_staff: bool = False) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            self.created += 1
            user = members.person_create(
                username=username,
                email=f"{username}@example.org",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                is_staff=is_staff,
            )
        return user

    def _role(self, alliance: Alliance, user: User, role: str, agency: Agency | None) -> None:
        held = Membership.objects.for_alliance(alliance).filter(user=user, role=role, agency=agency)
        if not held.exists():
            self.created += 1
            members.membership_grant(
                actor=None, alliance=alliance, user=user, role=role, agency=agency
            )

    def _agency(self, alliance: Alliance, admin: User, spec: DemoAgency) -> Agency:
        agency = Agency.objects.for_alliance(alliance).filter(name=spec.name).first()
        if agency is None:
            self.created += 1
            agency = alliances.agency_create(
                actor=admin,
                alliance=alliance,
                name=spec.name,
                charity_number=spec.charity_number,
                size_band=spec.size_band,
                reach=spec.reach,
                service_areas=spec.areas,
                is_arbiter=spec.is_arbiter,
            )
        self._role(
            alliance, self._person(f"{spec.key}.chief", *spec.chief), Role.CHIEF_OFFICER, agency
        )
        for n, names in enumerate(spec.trustees, start=1):
            self._role(
                alliance, self._person(f"{spec.key}.trustee{n}", *names), Role.TRUSTEE, agency
            )
        self._role(alliance, self._person(f"{spec.key}.staff", *spec.staff), Role.STAFF, agency)
        if spec.is_arbiter:
            self._role(
                alliance, self._person(f"{spec.key}.chief", *spec.chief), Role.ARBITER, agency
            )
        return agency

    def _protocol(self, alliance: Alliance, admin: User, agencies: dict[str, Agency]) -> None:
        version = protocol_version_current_for(alliance=alliance)
        if version is None:
            self.created += 1
            version = protocol.protocol_version_publish(
                actor=admin,
                alliance=alliance,
                principles=PRINCIPLES,
                implemented_on=date(2025, 4, 1),
                review_due_on=date(2027, 4, 1),
            )
        for spec in AGENCIES:
            agency = agencies[spec.key]
            done = ProtocolAcceptance.objects.filter(version=version, agency=agency).exists()
            if spec.accepted_protocol and not done:
                self.created += 1
                trustee = User.objects.get(username=f"{spec.key}.trustee1")
                protocol.protocol_accept(
                    actor=trustee, version=version, agency=agency, accepted_on=date(2025, 5, 14)
                )

    def _print_logins(self) -> None:
        out = self.stdout
        verb = (
            f"created {self.created} records"
            if self.created
            else "already present; nothing changed"
        )
        out.write(self.style.SUCCESS(f"Demo alliance '{SLUG}': {verb}."))
        out.write(f"\nSign in at http://127.0.0.1:8000/ with password {DEMO_PASSWORD} as:")
        out.write("  alliance.admin   alliance admin (also Django admin, read-only)")
        out.write(
            "  kva.chief        chief officer and arbiter of Kirkvale Voluntary Action (the CVS)"
        )
        for spec in AGENCIES[1:]:
            out.write(f"  {spec.key}.chief        chief officer of {spec.name}")
        out.write("  <key>.trustee1, <key>.trustee2, <key>.staff   for each agency key above")
        out.write(
            "  dual.trustee     trustee of Kirkvale Citizens Advice and Moorside Money Advice"
        )
