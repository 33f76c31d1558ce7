from __future__ import annotations

from django.apps import AppConfig


class PlaygroundConfig(AppConfig):
    name = "playground"
    verbose_name = "Pattern playground"

    def ready(self) -> None:
        # Signal receivers that tell open run sockets when access may have ended.
        from playground.runs import revocation  # noqa: F401
