"""The site's URLs: accounts, the JSON API, and the pages (topologies, runs, experiments)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path

from playground import i18n
from playground.accounts import views as accounts
from playground.api import api
from playground.experiments import ab_views, param_sweep_views
from playground.experiments import views as experiments
from playground.runs import views as runs
from playground.topologies import views as topologies

# A page in the site's look; under /api/, the API's error shape (playground/error_pages.py).
handler404 = "playground.error_pages.not_found"
handler500 = "playground.error_pages.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("django.contrib.auth.urls")),  # login/, logout/, password_change/ ...
    path("signup/", accounts.signup, name="signup"),
    # Korean and English (playground/i18n.py): the header's switch, and the strings of static/js.
    path("i18n/setlang/", i18n.set_language, name="set_language"),
    path("i18n/js/", i18n.JavaScriptCatalog.as_view(), name="javascript_catalog"),
    path("account/", accounts.account, name="account"),
    path("account/tokens/", accounts.create_token, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", accounts.revoke_token, name="token_revoke"),
    # The pages people use.
    path("", topologies.home, name="home"),
    path("topologies/", topologies.topology_list, name="topology_list"),
    path("topologies/new/", topologies.editor_new, name="editor_new"),
    path("topologies/<int:pk>/", topologies.editor_edit, name="editor_edit"),
    path("topologies/<int:pk>/runs/", topologies.topology_runs, name="topology_runs"),
    path(
        "topologies/<int:pk>/capacity/",
        experiments.topology_capacity,
        name="topology_capacity",
    ),
    path("topologies/<int:pk>/sweep/", param_sweep_views.topology_sweep, name="topology_sweep"),
    path("sweeps/<int:sweep_id>/", param_sweep_views.sweep_page, name="sweep_page"),
    path("t/<str:share_key>/", topologies.shared_topology, name="shared_topology"),
    path("scenarios/<slug:slug>/fork/", topologies.editor_fork_scenario, name="scenario_fork"),
    path("editor/panel/", topologies.editor_panel, name="editor_panel"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/embed/", runs.run_embed, name="run_embed"),
    path("runs/<int:pk>/sweep/", experiments.run_sweep, name="run_sweep"),
    path("runs/<int:pk>/sweeps/<int:sweep_id>/", experiments.sweep_status, name="sweep_status"),
    path("compare/", experiments.compare_runs, name="compare_runs"),
    path("ab/new/", ab_views.ab_new, name="ab_new"),
    path("ab/<int:pk>/", ab_views.ab_detail, name="ab_detail"),
    # daphne serves no static files itself; the app must work from `make run` with no
    # proxy in front, so Django serves them (the script and CSS are a few hundred kB).
    re_path(
        rf"^{settings.STATIC_URL.lstrip('/')}(?P<path>.*)$",
        serve_static,
        {"insecure": True},
    ),
]
