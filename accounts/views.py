"""Account pages: the list of accounts a user may see and the account page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .models import Account


@login_required
def account_list(request):
    accounts = Account.objects.for_user(request.user).select_related("segment", "owner")
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/list.html", {"page": page})


@login_required
def account_detail(request, pk: int):
    account = get_object_or_404(Account.objects.for_user(request.user), pk=pk)
    return render(request, "accounts/detail.html", {"account": account})
