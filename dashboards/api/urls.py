"""/api/v1/ resources of the dashboards app."""

from django.urls import path

from .views import Top10ReportViewSet

urlpatterns = [
    path("reports/top10/", Top10ReportViewSet.as_view({"get": "report"}), name="report-top10"),
]
