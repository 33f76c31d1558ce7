"""`{{ run.status|word }}`: a stored code word (a run's status, a topology's visibility) in the
page's language. The code stays in the data and in class names (`status-finished`); only the
text shown is translated. static/js/i18n.js's STATUS does the same for what the scripts update.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

WORDS = {
    # Run and sweep statuses (playground.models.Run.STATUS, Sweep.STATUS).
    "queued": pgettext_lazy("status", "queued"),
    "running": pgettext_lazy("status", "running"),
    "paused": pgettext_lazy("status", "paused"),
    "finished": pgettext_lazy("status", "finished"),
    "failed": pgettext_lazy("status", "failed"),
    "cancelled": pgettext_lazy("status", "cancelled"),
    # Topology visibility (playground.models.Topology.VISIBILITY).
    "private": _("Private"),
    "link": _("Anyone with the link (read-only)"),
    "public": _("Public"),
}


# Balancing algorithms (patterns/schema.py ALGORITHMS) as words wherever they are shown; the
# document keeps the code. static/js/i18n.js's WORDS has the same words for the scripts.
ALGORITHM_WORDS = {
    "round_robin": _("Round robin"),
    "weighted_round_robin": _("Weighted round robin"),
    "least_connections": _("Least connections"),
    "sticky": _("Sticky sessions"),
    "ip_hash": _("IP hash"),
    "consistent_hash": _("Consistent hashing"),
    "random": _("Random"),
    "power_of_two": _("Power of two choices"),
}


@register.filter
def word(code: object) -> object:
    """The translation of a known code word; anything else unchanged."""
    return WORDS.get(code, code) if isinstance(code, str) else code
