"""Success plans (list, detail, start from a template, complete steps) and CTAs."""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.api.base import ApiReadOnlyViewSet
from success.filters import CtaFilter, SuccessPlanFilter
from success.models import CtaStep, PlanStep
from success.selectors import ctas_for_user, plans_for_user
from success.services import (
    cta_status_set,
    cta_step_toggle,
    plan_create_from_template,
    plan_step_complete,
)

from .serializers import (
    CtaSerializer,
    CtaStatusSerializer,
    CtaStepSerializer,
    PlanStepSerializer,
    StepCompleteSerializer,
    SuccessPlanCreateSerializer,
    SuccessPlanSerializer,
)

STEP_PATH = r"steps/(?P<step_pk>[0-9]+)"


@extend_schema_view(
    list=extend_schema(summary="List success plans at the accounts you can see"),
    retrieve=extend_schema(summary="One success plan with its steps and progress"),
    create=extend_schema(
        summary="Start an account's plan from a template (or blank)",
        description="Copies the template's steps with dates counted from `started_on`. An "
        "account has at most one active plan: starting another answers 400.",
        request=SuccessPlanCreateSerializer,
        responses={201: SuccessPlanSerializer},
    ),
    complete_step=extend_schema(
        summary="Mark a step done (a milestone appends its goodwill ladder)",
        request=StepCompleteSerializer,
        responses={200: PlanStepSerializer},
    ),
)
class SuccessPlanViewSet(mixins.CreateModelMixin, ApiReadOnlyViewSet):
    serializer_class = SuccessPlanSerializer
    filterset_class = SuccessPlanFilter
    ordering_fields = ["id", "started_on"]
    ordering = ["-id"]

    def get_queryset(self):
        steps = PlanStep.objects.order_by("order", "due_on", "id")
        return plans_for_user(self.request.user, as_of=timezone.localdate()).prefetch_related(
            Prefetch("steps", queryset=steps)
        )

    def create(self, request, *args, **kwargs):
        ask = SuccessPlanCreateSerializer(data=request.data, context={"request": request})
        ask.is_valid(raise_exception=True)
        data = ask.validated_data
        plan = plan_create_from_template(
            account=data["account"],
            template=data.get("template"),
            started_on=data.get("started_on") or timezone.localdate(),
            name=data["name"],
            objective=data["objective"],
            user=request.user,
        )
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(self.get_serializer(plan).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path=f"{STEP_PATH}/complete")
    def complete_step(self, request, pk=None, step_pk=None):
        plan = self.get_object()
        step = get_object_or_404(PlanStep.objects.filter(plan=plan), pk=step_pk)
        ask = StepCompleteSerializer(data=request.data)
        ask.is_valid(raise_exception=True)
        step = plan_step_complete(
            step=step,
            completed_on=ask.validated_data.get("completed_on") or timezone.localdate(),
            note=ask.validated_data["note"],
            user=request.user,
        )
        return Response(PlanStepSerializer(step).data)


@extend_schema_view(
    list=extend_schema(
        summary="List CTAs at the accounts you can see",
        description="`?status=live&mine=true` lists your open and in-progress CTAs.",
    ),
    retrieve=extend_schema(summary="One CTA with its playbook steps"),
    partial_update=extend_schema(
        summary="Change a CTA's status (done or dismissed closes it)",
        request=CtaStatusSerializer,
        responses={200: CtaSerializer},
    ),
    toggle_step=extend_schema(
        summary="Tick or untick a playbook step (ticking the first starts the CTA)",
        request=None,
        responses={200: CtaStepSerializer},
    ),
)
class CtaViewSet(mixins.UpdateModelMixin, ApiReadOnlyViewSet):
    """Calls-to-action opened by the intervention rules; only the status changes."""

    serializer_class = CtaSerializer
    filterset_class = CtaFilter
    ordering_fields = ["id", "priority", "due_on", "opened_at"]
    ordering = ["priority", "due_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        steps = CtaStep.objects.select_related("done_by").order_by("order", "id")
        return ctas_for_user(self.request.user).prefetch_related(Prefetch("steps", queryset=steps))

    def partial_update(self, request, *args, **kwargs):
        cta = self.get_object()
        ask = CtaStatusSerializer(data=request.data)
        ask.is_valid(raise_exception=True)
        cta_status_set(cta=cta, status=ask.validated_data["status"], user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=cta.pk)).data)

    @action(detail=True, methods=["post"], url_path=f"{STEP_PATH}/toggle")
    def toggle_step(self, request, pk=None, step_pk=None):
        cta = self.get_object()
        step = get_object_or_404(CtaStep.objects.filter(cta=cta).select_related("cta"), pk=step_pk)
        step = cta_step_toggle(step=step, user=request.user)
        return Response(CtaStepSerializer(step).data)
