"""The /api/v1/ router: every app contributes its resources from `<app>/api/urls.py`."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("scorecards.api.urls")),
    path("", include("healthscores.api.urls")),
    path("", include("success.api.urls")),
    path("", include("dashboards.api.urls")),
    path("", include("integrations.api.urls")),
]
