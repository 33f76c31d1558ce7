from __future__ import annotations

websocket_urlpatterns: list = []  # the run consumer is added by the live-pipeline work
