"""The CSM's home page: my book, what needs attention today, quick logging."""

from importlib.util import find_spec

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import timezone

from accounts.forms import InteractionForm

from ..forms import BookFilterForm
from ..selectors.book import attention_today, book_headline, book_page

QUICK_LOG_TEMPLATE = "accounts/_interaction_form.html"


def _template_exists(name: str) -> bool:
    try:
        select_template([name])
    except TemplateDoesNotExist:
        return False
    return True


@login_required
def home(request):
    """My book (sortable, paginated), attention today and quick logging; htmx swaps the book."""
    today = timezone.localdate()
    form = BookFilterForm(request.GET or None)
    book_only = request.headers.get("HX-Request") and request.headers.get("HX-Target") == "book"
    # The headline's aggregate also gives the book's size and the attention totals.
    headline = None if book_only else book_headline(request.user, today=today)
    book = book_page(
        request.user,
        today=today,
        sort=request.GET.get("sort"),
        page_number=request.GET.get("page"),
        book_size=headline["accounts"] if headline else None,
        **form.filters(),
    )
    context = {
        "form": form,
        "book": book,
        "today": today,
        "query": _query_without(request, "page", "sort"),
    }
    if book_only:
        return render(request, "dashboards/_book.html", context)
    context.update(
        headline=headline,
        attention=attention_today(request.user, today=today, headline=headline),
        interaction_form=_quick_log_form(request.user),
        quick_log_template=QUICK_LOG_TEMPLATE,
        ctas_available=_ctas_available(),
    )
    return render(request, "dashboards/home.html", context)


def _query_without(request, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _quick_log_form(user):
    """The accounts app's quick "log interaction" form (asks for the account)."""
    if not _template_exists(QUICK_LOG_TEMPLATE):
        return None
    return InteractionForm(user=user)


def _ctas_available() -> bool:
    """The success app's `{% open_ctas_for %}` tag, once it ships."""
    try:
        return find_spec("success.templatetags.success_tags") is not None
    except ModuleNotFoundError:
        return False
