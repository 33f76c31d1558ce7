"""WebSocket routes: the live stream of a run, and a classroom following a presenter."""

from __future__ import annotations

from django.urls import path

from playground.runs.classroom import ClassroomConsumer
from playground.runs.consumer import RunConsumer

websocket_urlpatterns = [
    path("ws/runs/<int:run_id>/", RunConsumer.as_asgi()),
    path("ws/classroom/<str:room>/", ClassroomConsumer.as_asgi()),
]
