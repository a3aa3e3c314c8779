"""The /api/v1/ router: every app contributes its resources from `<app>/api/urls.py`."""

from django.urls import include, path, re_path

from core.api.exceptions import api_not_found

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("scorecards.api.urls")),
    path("", include("healthscores.api.urls")),
    path("", include("success.api.urls")),
    path("", include("dashboards.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("notifications.api.urls")),
    # Anything else under /api/v1/ is a JSON 404, not the HTML error page.
    re_path(r"^.*$", api_not_found),
]
