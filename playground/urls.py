from __future__ import annotations

import importlib.util

from django.contrib import admin
from django.urls import include, path

from playground import accounts
from playground.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("django.contrib.auth.urls")),  # login/, logout/, password_change/ ...
    path("signup/", accounts.signup, name="signup"),
    path("account/", accounts.account, name="account"),
    path("account/tokens/", accounts.create_token, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", accounts.revoke_token, name="token_revoke"),
]

# The pages belong to the front end (playground/page_urls.py).
if importlib.util.find_spec("playground.page_urls") is not None:
    urlpatterns.append(path("", include("playground.page_urls")))
