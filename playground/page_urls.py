"""The pages people use; included at "" by playground.urls."""

from __future__ import annotations

from django.urls import path

from playground import views

urlpatterns = [
    path("", views.home, name="home"),
    path("topologies/", views.topology_list, name="topology_list"),
    path("topologies/new/", views.editor_new, name="editor_new"),
    path("topologies/<int:pk>/", views.editor_edit, name="editor_edit"),
    path("topologies/<int:pk>/runs/", views.topology_runs, name="topology_runs"),
    path("scenarios/<slug:slug>/fork/", views.editor_fork_scenario, name="scenario_fork"),
    path("editor/panel/", views.editor_panel, name="editor_panel"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
]
