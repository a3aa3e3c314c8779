"""Customer links (shared scorecards and plans): one branded answer when a link no longer works.

A customer who opens an expired, revoked or mistyped link sees our page saying so and what to do,
in every mode (with DEBUG on, Django's own 404 would list the site's URLs to a stranger).
Unknown, expired and revoked tokens get the same answer, so a link says nothing about others.
"""

from functools import wraps

from django.http import Http404
from django.shortcuts import render


class LinkUnavailable(Http404):
    """A customer link that is unknown, has expired or was revoked."""


def link_unavailable_response(request):
    response = render(request, "errors/link_unavailable.html", status=404)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def customer_link(view):
    """Decorate a token view: `LinkUnavailable` becomes the branded "link unavailable" page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except LinkUnavailable:
            return link_unavailable_response(request)

    return wrapper
