"""Factories that build state through the services, so every test row is audited and valid.

A child factory takes the alliance from its parent, so alliances never mix by accident.
"""

from tests.factories.core import (
    AgencyFactory,
    AllianceFactory,
    PersonFactory,
    ServiceAreaFactory,
    grant,
)

__all__ = ["AgencyFactory", "AllianceFactory", "PersonFactory", "ServiceAreaFactory", "grant"]
