"""What every csplatform API view shares: idempotent POSTs, query checks, scoped querysets.

Built on DRF's own hooks (`initial`, `handle_exception`, `finalize_response`); the body-size
limit and the JSON errors for everything outside a view live in `core.api.middleware`.
"""

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated

from .idempotency import Replay, idempotency_begin, idempotency_finish, wants_idempotency
from .permissions import TokenHasScope
from .throttling import rate_limit_headers


class ApiViewMixin:
    """Rejects repeated query parameters, honours `Idempotency-Key` on POSTs, and reports the
    rate limit in headers."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    _idempotency_record = None
    _throttles = ()

    def dispatch(self, request, *args, **kwargs):
        # A keyed POST runs in one transaction so its idempotency record commits (or rolls
        # back) together with the work it guards.
        if wants_idempotency(request):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        repeated = sorted(
            k for k in request.query_params if len(request.query_params.getlist(k)) > 1
        )
        if repeated:
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        self._idempotency_record = idempotency_begin(request)

    def get_throttles(self):
        self._throttles = super().get_throttles()  # kept for their rate-limit headers
        return self._throttles

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._idempotency_record is not None:
            idempotency_finish(self._idempotency_record, response)
            self._idempotency_record = None
        for name, value in rate_limit_headers(self._throttles).items():
            response[name] = value
        return super().finalize_response(request, response, *args, **kwargs)


class ApiGenericViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A viewset whose queryset is always narrowed to what the caller may see."""


class ApiReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    pass


class ApiModelViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiGenericViewSet,
):
    pass
