"""Whether the navigation offers Reports: to anyone whose roles may export at least one kind."""

from django import template

from kiaa.permissions import Roles
from kiaa.reports import kinds

register = template.Library()


@register.filter
def may_export(roles: Roles) -> bool:
    return bool(kinds.offered_to(roles))
