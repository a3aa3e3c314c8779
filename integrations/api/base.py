"""What every csplatform API view shares: idempotent POSTs, body limits, scoped querysets."""

from django.conf import settings
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated

from .exceptions import PayloadTooLarge
from .idempotency import idempotent_call
from .permissions import TokenHasScope


class ApiViewMixin:
    """Adds the body-size limit and `Idempotency-Key` handling around every handler."""

    permission_classes = [IsAuthenticated, TokenHasScope]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        repeated = sorted(
            k for k in request.query_params if len(request.query_params.getlist(k)) > 1
        )
        if repeated:
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        if length > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge(
                f"The request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}."
            )

    def dispatch(self, request, *args, **kwargs):
        # DRF's dispatch, with the handler call wrapped in the idempotency guard (it needs the
        # authenticated user, so it cannot be a plain Django middleware).
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = (
                getattr(self, method, self.http_method_not_allowed)
                if method in self.http_method_names
                else self.http_method_not_allowed
            )
            response = idempotent_call(request, lambda: handler(request, *args, **kwargs))
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response


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
