"""Cross-app pages: the CSM's home, the manager's portfolio, reports and settings."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Account


@login_required
def home(request):
    """The CSM's day: their book of accounts, worst health first."""
    book = (
        Account.objects.for_user(request.user)
        .active()
        .select_related("segment")
        .order_by("health_score", "name")[:50]
    )
    return render(request, "dashboards/home.html", {"book": book})


@login_required
def portfolio(request):
    return render(request, "dashboards/portfolio.html", {})


@login_required
def reports(request):
    return render(request, "dashboards/reports.html", {})


@login_required
def settings_index(request):
    return render(request, "dashboards/settings.html", {})
