"""Liveness and readiness probes (load balancers, docker health checks, benchmarks), and the
webhook event catalog served beside the OpenAPI schema, and the site icon at the address browsers
probe (/favicon.ico) for pages that do not name one (the admin, the API's JSON)."""

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from .event_catalog import CATALOG_PATH, WEBHOOK_EVENTS, catalog_index


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """The site icon where browsers look for it by default; pages name the same file."""
    # Not a permanent redirect: the static file's hashed name changes with each build.
    return HttpResponseRedirect(static("img/favicon.svg"))


@never_cache
def healthz(request):
    """Liveness: the process answers; touches no database (also the benchmark's no-DB floor)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: the database and the cache answer; 503 with the failing part otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready", reported, never a 500
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("readyz") == "1" else "error: no round trip"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503
    )


@require_safe
def event_catalog(request):
    """The webhook event catalog: every event with its payload version and schema address."""
    return JsonResponse(
        {
            "description": "Webhook events: each delivery's body is described by its event's "
            "JSON Schema; `version` changes whenever the shape of `data` does.",
            "events": catalog_index(),
        },
        json_dumps_params={"indent": 2},
    )


@require_safe
def event_schema(request, name: str):
    """One webhook event's JSON Schema (draft 2020-12), as receivers validate deliveries."""
    event = WEBHOOK_EVENTS.get(name)
    if event is None:
        return JsonResponse(
            {
                "message": f"No webhook event {name!r}; see {CATALOG_PATH}.",
                "code": "not_found",
                "errors": {},
            },
            status=404,
        )
    response = JsonResponse(event.schema, json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/schema+json"
    return response
