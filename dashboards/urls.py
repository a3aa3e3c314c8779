from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("reports/", views.reports_index, name="reports"),
    path("reports/top10/", views.top10, name="top10"),
    path("reports/top10.csv", views.top10_csv, name="top10_csv"),
    path("reports/top10.pdf", views.top10_pdf, name="top10_pdf"),
    path("settings/", views.settings_index, name="settings"),
    path("customer-scorecards/<int:pk>/", views.scorecard_preview, name="scorecard_preview"),
    path("customer-scorecards/<int:pk>.pdf", views.scorecard_pdf, name="scorecard_pdf"),
    path("customer-scorecards/<int:pk>/shares/", views.scorecard_shares, name="scorecard_shares"),
    path(
        "customer-scorecards/<int:pk>/shares/<int:share_id>/revoke/",
        views.share_revoke,
        name="share_revoke",
    ),
    path("shared/scorecard/<str:token>/", views.shared_scorecard, name="shared_scorecard"),
    path(
        "shared/scorecard/<str:token>/scorecard.pdf",
        views.shared_scorecard_pdf,
        name="shared_scorecard_pdf",
    ),
]
