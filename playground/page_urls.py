"""The pages people use; included at "" by playground.urls."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import path, re_path

from playground import compare_views, sweep_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("topologies/", views.topology_list, name="topology_list"),
    path("topologies/new/", views.editor_new, name="editor_new"),
    path("topologies/<int:pk>/", views.editor_edit, name="editor_edit"),
    path("topologies/<int:pk>/runs/", views.topology_runs, name="topology_runs"),
    path("t/<str:share_key>/", views.shared_topology, name="shared_topology"),
    path("scenarios/<slug:slug>/fork/", views.editor_fork_scenario, name="scenario_fork"),
    path("editor/panel/", views.editor_panel, name="editor_panel"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/sweep/", sweep_views.run_sweep, name="run_sweep"),
    path("compare/", compare_views.compare_runs, name="compare_runs"),
    # daphne serves no static files itself; the app must work from `make run` with no
    # proxy in front, so Django serves them (the script and CSS are a few hundred kB).
    re_path(
        rf"^{settings.STATIC_URL.lstrip('/')}(?P<path>.*)$",
        serve_static,
        {"insecure": True},
    ),
]
