from django.urls import path

from . import views

app_name = "healthscores"

urlpatterns = [
    path("runs/", views.run_list, name="runs"),
    path("runs/recompute/", views.run_recompute, name="recompute"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("validation/", views.validation_list, name="validation"),
    path("validation/<int:pk>/", views.validation_detail, name="validation_detail"),
    path("validation/<int:pk>/apply/", views.validation_apply, name="validation_apply"),
    path("backtests/", views.backtest_list, name="backtests"),
    path("backtests/<int:pk>/", views.backtest_detail, name="backtest_detail"),
    path("backtests/<int:pk>/apply/", views.backtest_apply, name="backtest_apply"),
    path(
        "scorecards/versions/<int:pk>/preview/", views.scorecard_preview, name="scorecard_preview"
    ),
    path("accounts/<int:pk>/manual/", views.manual_value, name="manual_value"),
    path("accounts/<int:pk>/why/", views.why_changed, name="why_changed"),
]
