"""Success plans (list, detail, start from a template, complete steps) and CTAs."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.api.base import ApiReadOnlyViewSet
from success.filters import CtaFilter, SuccessPlanFilter
from success.models import CtaNote, CtaStep, PlanStep
from success.selectors import ctas_for_user, ctas_visible_to, plans_for_user
from success.services import (
    cta_close,
    cta_due_date_set,
    cta_note_add,
    cta_reassign,
    cta_snooze,
    cta_status_set,
    cta_step_set,
    cta_step_toggle,
    ctas_close_many,
    ctas_reassign_many,
    plan_create_from_template,
    plan_step_complete,
)

from .serializers import (
    CtaBulkCloseSerializer,
    CtaBulkReassignSerializer,
    CtaBulkResultSerializer,
    CtaCloseSerializer,
    CtaNoteCreateSerializer,
    CtaNoteSerializer,
    CtaReassignSerializer,
    CtaSerializer,
    CtaSnoozeSerializer,
    CtaStepSerializer,
    CtaStepSetSerializer,
    CtaUpdateSerializer,
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
        "account has at most one active plan: starting another answers 409.",
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


BULK_RESPONSES = {
    200: CtaBulkResultSerializer,
    207: OpenApiResponse(CtaBulkResultSerializer, description="Some CTAs were not changed."),
}


@extend_schema_view(
    list=extend_schema(
        summary="List CTAs you can see (your accounts' and those assigned to you)",
        description="`?status=live&mine=true` lists your open and in-progress CTAs, leaving "
        "out those snoozed past today; `?status=snoozed` lists only those; `?status=overdue` "
        "the live, awake ones past their due date. Other people's CTAs are 404s, not 403s.",
    ),
    retrieve=extend_schema(summary="One CTA with its playbook steps and notes"),
    partial_update=extend_schema(
        summary="Change a CTA's status and/or due date",
        description="Closing by status records the outcome it implies (done: resolved; "
        "dismissed: no_action_needed); POST close/ records any outcome with a note.",
        request=CtaUpdateSerializer,
        responses={200: CtaSerializer},
    ),
    close=extend_schema(
        summary="Close a live CTA with an outcome and a note",
        request=CtaCloseSerializer,
        responses={200: CtaSerializer},
    ),
    reassign=extend_schema(
        summary="Hand a live CTA to another user (publishes cta.assigned)",
        request=CtaReassignSerializer,
        responses={200: CtaSerializer},
    ),
    snooze=extend_schema(
        summary="Snooze a live CTA until a day (null wakes it)",
        description="A snoozed CTA is left out of `?status=live` and the home page until its "
        "day; it comes back by itself, nothing has to run.",
        request=CtaSnoozeSerializer,
        responses={200: CtaSerializer},
    ),
    add_note=extend_schema(
        summary="Add a note; @username mentions a user who may see the CTA",
        description="Mentions are stored on the note and published as cta.mentioned. An "
        "@name that is no active user is a 400; one who cannot see the CTA, a 403.",
        request=CtaNoteCreateSerializer,
        responses={201: CtaNoteSerializer},
    ),
    set_step=extend_schema(
        summary="Tick or untick a playbook step (ticking one of an open CTA starts it)",
        request=CtaStepSetSerializer,
        responses={200: CtaStepSerializer},
    ),
    toggle_step=extend_schema(
        summary="Flip a playbook step (prefer PATCH steps/{step_pk}/ with done)",
        request=None,
        responses={200: CtaStepSerializer},
    ),
    bulk_close=extend_schema(
        summary="Close up to 200 CTAs with one outcome and note",
        description="Each id is tried on its own: 200 when all changed, 207 with the reason "
        "for each one that did not (ids you cannot see read `Not found.`).",
        request=CtaBulkCloseSerializer,
        responses=BULK_RESPONSES,
    ),
    bulk_reassign=extend_schema(
        summary="Hand up to 200 CTAs to one user",
        description="Per-item results as for bulk-close.",
        request=CtaBulkReassignSerializer,
        responses=BULK_RESPONSES,
    ),
)
class CtaViewSet(mixins.UpdateModelMixin, ApiReadOnlyViewSet):
    """Calls-to-action opened by the intervention rules, and the work on them."""

    serializer_class = CtaSerializer
    filterset_class = CtaFilter
    ordering_fields = ["id", "priority", "due_on", "opened_at"]
    ordering = ["priority", "due_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        steps = CtaStep.objects.select_related("done_by").order_by("order", "id")
        notes = CtaNote.objects.select_related("author").prefetch_related("mentions")
        return ctas_for_user(self.request.user).prefetch_related(
            Prefetch("steps", queryset=steps), Prefetch("notes", queryset=notes)
        )

    def _fresh(self, cta) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=cta.pk)).data)

    def _ask(self, serializer_class):
        ask = serializer_class(data=self.request.data, context={"request": self.request})
        ask.is_valid(raise_exception=True)
        return ask.validated_data

    def partial_update(self, request, *args, **kwargs):
        cta = self.get_object()
        data = self._ask(CtaUpdateSerializer)
        with transaction.atomic():
            if "due_on" in data:
                cta_due_date_set(cta=cta, due_on=data["due_on"], user=request.user)
            if "status" in data:
                cta_status_set(cta=cta, status=data["status"], user=request.user)
        return self._fresh(cta)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        cta = self.get_object()
        data = self._ask(CtaCloseSerializer)
        cta_close(cta=cta, outcome=data["outcome"], note=data["note"], user=request.user)
        return self._fresh(cta)

    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        cta = self.get_object()
        cta_reassign(cta=cta, owner=self._ask(CtaReassignSerializer)["owner"], user=request.user)
        return self._fresh(cta)

    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        cta = self.get_object()
        cta_snooze(cta=cta, until=self._ask(CtaSnoozeSerializer)["until"], user=request.user)
        return self._fresh(cta)

    @action(detail=True, methods=["post"], url_path="notes")
    def add_note(self, request, pk=None):
        cta = self.get_object()
        note = cta_note_add(
            cta=cta, author=request.user, body=self._ask(CtaNoteCreateSerializer)["body"]
        )
        note = CtaNote.objects.select_related("author").prefetch_related("mentions").get(pk=note.pk)
        return Response(CtaNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["patch"], url_path=STEP_PATH)
    def set_step(self, request, pk=None, step_pk=None):
        cta = self.get_object()
        step = get_object_or_404(CtaStep.objects.filter(cta=cta).select_related("cta"), pk=step_pk)
        ask = self._ask(CtaStepSetSerializer)
        if "done" in ask:  # an empty PATCH changes nothing, as the schema's optional field says
            step = cta_step_set(step=step, done=ask["done"], user=request.user)
        return Response(CtaStepSerializer(step).data)

    @action(detail=True, methods=["post"], url_path=f"{STEP_PATH}/toggle")
    def toggle_step(self, request, pk=None, step_pk=None):
        cta = self.get_object()
        step = get_object_or_404(CtaStep.objects.filter(cta=cta).select_related("cta"), pk=step_pk)
        step = cta_step_toggle(step=step, user=request.user)
        return Response(CtaStepSerializer(step).data)

    def _bulk(self, results: list[dict]) -> Response:
        changed = sum(1 for item in results if item["ok"])
        code = status.HTTP_200_OK if changed == len(results) else status.HTTP_207_MULTI_STATUS
        return Response({"changed": changed, "results": results}, status=code)

    @action(detail=False, methods=["post"], url_path="bulk-close")
    def bulk_close(self, request):
        data = self._ask(CtaBulkCloseSerializer)
        return self._bulk(
            ctas_close_many(
                visible=ctas_visible_to(request.user),
                ids=data["ids"],
                outcome=data["outcome"],
                note=data["note"],
                user=request.user,
            )
        )

    @action(detail=False, methods=["post"], url_path="bulk-reassign")
    def bulk_reassign(self, request):
        data = self._ask(CtaBulkReassignSerializer)
        return self._bulk(
            ctas_reassign_many(
                visible=ctas_visible_to(request.user),
                ids=data["ids"],
                owner=data["owner"],
                user=request.user,
            )
        )
