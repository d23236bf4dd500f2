"""What the layout asks of the disputes app: whether to offer the breach register."""

from django import template

from disputes.permissions import can_view_breaches
from kiaa.permissions import Roles

register = template.Library()


@register.filter
def may_see_breaches(roles: Roles | None) -> bool:
    """The roles are already at hand in the layout, so the link costs no query."""
    return roles is not None and can_view_breaches(roles)
