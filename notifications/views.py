"""The bell in the header, a person's notifications page and their preferences (htmx)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .forms import NotificationPreferenceForm
from .selectors import inbox, preference_for, unread_count
from .services import (
    notification_mark_read,
    notification_preference_update,
    notifications_mark_all_read,
)

PAGE_SIZE = 30


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _changed(response):
    """Tell the bell to refresh its count (it listens for this event on the body)."""
    response["HX-Trigger"] = "notifications-changed"
    return response


@login_required
@require_GET
def bell(request):
    """The bell's inside: the unread count, polled by htmx."""
    return render(request, "notifications/_bell.html", {"unread": unread_count(request.user)})


@login_required
@require_GET
def notification_list(request):
    show_unread = request.GET.get("show") == "unread"
    notifications = inbox(request.user).select_related("account")
    if show_unread:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "show_unread": show_unread, "unread": unread_count(request.user)},
    )


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = get_object_or_404(inbox(request.user), pk=pk)
    notification = notification_mark_read(
        notification=notification, read=request.POST.get("read", "1") != "0"
    )
    if _is_htmx(request):
        return _changed(render(request, "notifications/_item.html", {"notification": notification}))
    return redirect("notifications:list")


@login_required
@require_GET
def open_notification(request, pk: int):
    """Follow a notification's link, marking it read on the way."""
    notification = get_object_or_404(inbox(request.user), pk=pk)
    notification_mark_read(notification=notification)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request):
    changed = notifications_mark_all_read(user=request.user)
    if _is_htmx(request):
        page = Paginator(inbox(request.user).select_related("account"), PAGE_SIZE).get_page(1)
        return _changed(
            render(
                request,
                "notifications/_list_body.html",
                {"page": page, "show_unread": False, "unread": 0},
            )
        )
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read.")
    return redirect("notifications:list")


@login_required
def preferences(request):
    preference = preference_for(request.user)
    form = NotificationPreferenceForm(
        request.POST or None, instance=preference, site_zone=settings.TIME_ZONE
    )
    if request.method == "POST" and form.is_valid():
        notification_preference_update(
            user=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields}
        )
        messages.success(request, "Notification preferences saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
