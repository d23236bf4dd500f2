"""What the layout asks of the disputes app: whether to offer the breach register and disputes."""

from django import template

from disputes.permissions import can_view_breaches, can_view_disputes
from kiaa.permissions import Roles

register = template.Library()


@register.filter
def may_see_breaches(roles: Roles | None) -> bool:
    """The roles are already at hand in the layout, so the link costs no query."""
    return roles is not None and can_view_breaches(roles)


@register.filter
def may_see_disputes(roles: Roles | None) -> bool:
    """The arbiters, admins and agencies' leaders (an expelled agency's too) have disputes to see."""
    return roles is not None and can_view_disputes(roles)
