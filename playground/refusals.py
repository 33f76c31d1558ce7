"""A refusal: the one exception for "this cannot go ahead", and its message in the request's
language (its `path` never changes).

`Refused` carries every problem as the engine's `Problem` (`path`, `message`) and the HTTP
status that says so; the API answers it in its error shape (playground/api/errors.py), the
pages and the WebSocket say the same words.

The engine (`patterns`, no Django) and the API write their messages in English, from a
known set of sentence templates with values in them ("must be an integer (got 2.5)").
Each template below is a gettext message id with the values as named placeholders; a
message that matches one is given back in the active language with the same values.
A message that matches none stays in English, so a new sentence in the engine is never
lost, only untranslated until it is added here (docs/i18n.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as _

from patterns import Problem


class Refused(Exception):
    """A document, a control or a request that cannot go ahead; `problems` lists every reason.

    `status` is what the API answers: 400 for what the caller sent, 429 for "not now".
    """

    def __init__(self, problems: Iterable[Problem], status: int = 400) -> None:
        self.problems = list(problems)
        self.status = status
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, path: str, message: str, status: int = 400) -> Refused:
        return cls([Problem(path, message)], status)

    def errors(self) -> list[dict[str, Any]]:
        """The problems as the API's error shape lists them: `[{"path", "message"}]`."""
        return [error_of(p) for p in self.problems]


def error_of(problem: Problem) -> dict[str, Any]:
    """One problem in the API's error shape: `path` and `message`, and `at` on an item.

    `at` is the parts of the location (`Location.to_dict`: where, index, name, ends,
    field, sub) when the problem is on a node, an edge or a fault of a topology, so a
    client finds it without parsing `path` (docs/api.md#errors); other problems have
    just the two keys they always had.
    """
    error: dict[str, Any] = problem.to_dict()
    if problem.at.where:
        error["at"] = problem.at.to_dict()
    return error


# Most specific first: the first template that matches the whole message wins.
TEMPLATES = (
    # The engine's field checks (patterns/topology.py).
    _("must be an integer %(bounds)s (got %(got)s)"),
    _("must be an integer (got %(got)s)"),
    _("must be a number %(bounds)s (got %(got)s)"),
    _("must be true or false (got %(got)s)"),
    _("must be a string (got %(got)s)"),
    _("must be an object (got %(got)s)"),
    _("must be a list (got %(got)s)"),
    _("must be at most %(limit)s characters (got %(got)s)"),
    _("must be one of %(choices)s (got %(got)s)"),
    _("must be >= 0 and <= %(max)s ms (got %(got)s)"),
    _("kind must be one of %(choices)s (got %(got)s)"),
    _("id must match %(pattern)s (got %(got)s)"),
    _("a topology must be a JSON object (got %(got)s)"),
    _("a node must be an object (got %(got)s)"),
    _("an edge must be an object (got %(got)s)"),
    _("an edge cannot connect a node to itself"),
    _("%(kind)s has no outgoing edge"),
    _("%(kind)s is not supported yet"),
    _("load_balancer has no downstream target"),
    _("dispatcher has no downstream worker"),
    _("aggregator receives no replies (no edge leads to it)"),
    _("synchronous calls form a cycle %(cycle)s, which would deadlock"),
    _("zone %(zone)s is listed twice"),
    # The API's own (playground/api).
    _("this field is required"),
    _("unknown field"),
    _("log in or send 'Authorization: Bearer TOKEN' to do this"),
    _("expected 'Authorization: Bearer TOKEN'"),
    _("unknown or revoked API token"),
    _("only whoever started this run may control it"),
    _("topology %(id)s is read-only to you: fork it to change it"),
    _("no topology %(key)s"),
    _("no run %(key)s"),
    _("no scenario %(key)s"),
    _("not valid JSON: %(reason)s"),
    # The capacity estimate's (patterns/capacity.py, playground/api/capacity.py).
    _("give either a topology id or a document"),
    _('a number of requests per second, or text such as "3e9/day"'),
    _('Value error, a number of requests per second, or text such as "3e9/day"'),
    _('cannot read a load from %(text)s: write e.g. "3e9/day" or "1200/s"'),
    _("unknown time unit %(unit)s: use s, min, hour, day or month"),
    _("the load must be above 0 and at most %(max)s requests/s"),
    _("must be above 0 and at most %(max)s requests/s (got %(got)s)"),
    _("must be from %(low)s to %(high)s (got %(got)s)"),
    _("must be above 0 and below 1 (got %(got)s)"),
    _("must be a number of ms above 0 (got %(got)s)"),
    _('no node "%(id)s"'),
    # A parameter sweep's (playground/experiments/param_sweeps.py); a value's own problem
    # ("FIELD = VALUE: PATH: MESSAGE") is _A_VALUES_PROBLEM below.
    _("give values or a range, not both"),
    _("give values, or start and stop with a step or a count"),
    _("a positive step giving at most %(max)s values"),
    _("give 1 to %(max)s values"),
    _("1 to %(max)s values"),
    _("1 to %(max)s seeds per value"),
    _("%(values)s values × %(seeds)s seeds is %(runs)s runs, over the limit of %(limit)s"),
    _(
        "you have %(limit)s sweeps queued or running, the limit: wait for one to end or"
        " cancel it"
    ),
)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    found = []
    for template in TEMPLATES:
        parts = re.split(r"%\((\w+)\)s", template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        found.append((re.compile(f"^{regex}$", re.S), template))
    return tuple(found)


# A sweep value's problem (patterns/parameter_sweep.py `variant`, and the site's limits in
# playground/experiments/param_sweeps.py): the value and the path as written, the problem's
# own message translated as any other.
_A_VALUES_PROBLEM = re.compile(r"^(?P<head>[\w.]+ = [^:]+: [^:]+: )(?P<message>.+)$", re.S)


def translate(message: str) -> str:
    """The message in the active language, when it is one of TEMPLATES (or a sweep value's
    problem around one); else as it was."""
    if (get_language() or "en").startswith("en"):
        return message
    framed = _A_VALUES_PROBLEM.match(message)
    if framed:
        return framed["head"] + translate(framed["message"])
    for regex, template in _patterns():
        match = regex.match(message)
        if match:
            values = match.groupdict()
            if "bounds" in values:  # ">= 1 and <= 50", written by the engine
                values["bounds"] = values["bounds"].replace(" and ", ", ")
            return gettext(template) % values
    return message


def translated(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`[{"path", "message"}]` with each message translated and every other key as it was."""
    return [{**e, "message": translate(e["message"])} for e in errors]
