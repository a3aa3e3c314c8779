from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("reports/", views.reports, name="reports"),
    path("settings/", views.settings_index, name="settings"),
]
