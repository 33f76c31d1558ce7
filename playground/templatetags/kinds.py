"""`{% node_kinds %}`: the engine's node kinds as the browser draws them, in a JSON script element.

Every page has it (templates/base.html), so static/js/layout.js reads the kinds from the
engine's registry (patterns/nodes/: each kind's module declares its drawing and roles)
instead of its own lists: `<script type="application/json" id="node-kinds">`, data, not
code, which the strict CSP allows (docs/front-end-security.md). docs/run-view.md, "Node
kinds", describes the object.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from patterns.nodes import listed

register = template.Library()


def kinds_for_browser() -> dict[str, dict[str, Any]]:
    """Each registered kind, in palette order: its glyph, colours and translated name, and
    the roles the run view draws by (a pool of instances, resizable by hand, a broker, a
    pipeline stage, a pipe's end, an emitter)."""
    return {
        cls.kind: {
            **cls.drawing.as_dict(),
            "label": gettext(cls.drawing.label),
            "pool": cls.pooled,
            "scalable": cls.scalable,
            "broker": cls.broker,
            "stage": cls.stage,
            "pipe": cls.pipe,
            "emitter": cls.emitter,
        }
        for cls in listed()
    }


@register.simple_tag
def node_kinds() -> SafeString:
    return json_script(kinds_for_browser(), "node-kinds")
