"""Demo data is built in steps: the core's, then one per app, registered in AppConfig.ready.

Each step must be idempotent: `seed_demo` runs them all every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiaa.models import Agency, Alliance, User


@dataclass(frozen=True)
class DemoAlliance:
    alliance: Alliance
    admin: User
    agencies: dict[str, Agency]  # by the demo's short key (cab, law, ...)
    password: str

    def person(self, username: str) -> User:
        return User.objects.get(username=username)


Step = Callable[[DemoAlliance], int]  # returns how many records it created
_steps: list[Step] = []


def register(step: Step) -> None:
    if step not in _steps:
        _steps.append(step)


def steps() -> list[Step]:
    return list(_steps)
