"""Root URL configuration: each app owns its own `urls.py`; the API lives under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views

urlpatterns = [
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("readyz/", core_views.readyz, name="readyz"),
    path("", include("dashboards.urls")),
    path("", include("users.urls")),
    path("accounts/", include("accounts.urls")),
    path("scorecards/", include("scorecards.urls")),
    path("health/", include("healthscores.urls")),
    path("success/", include("success.urls")),
    path("integrations/", include("integrations.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("csplatform.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/schema/events/", core_views.event_catalog, name="event-catalog"),
    path("api/schema/events/<str:name>/", core_views.event_schema, name="event-schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
