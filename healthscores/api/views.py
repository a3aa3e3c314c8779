"""Health per account (current with breakdown, history, why-changed), score runs, validation."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import Account
from core.api.base import ApiGenericViewSet
from core.api.permissions import IsAdminRoleOrReadOnly, IsManagerOrAdmin, TokenHasScope
from core.api.scopes import Scope

from .. import selectors
from ..models import RunTrigger, ScoreBacktest, ScoreRun, ScoreValidation
from ..services import score_run_start, score_validation_run
from .filters import PortfolioHealthFilter, ScoreRunFilter, ScoreValidationFilter
from .serializers import (
    HealthHistorySerializer,
    HealthSnapshotSerializer,
    HistoryQuerySerializer,
    PortfolioHealthQuerySerializer,
    PortfolioHealthRowSerializer,
    ScoreBacktestRequestSerializer,
    ScoreBacktestSerializer,
    ScorecardVersionRefSerializer,
    ScoreRunSerializer,
    ScoreRunStartSerializer,
    ScoreValidationRequestSerializer,
    ScoreValidationSerializer,
    WhyChangedSerializer,
)

NOT_SCORED = "This account has no health snapshot yet."


class PortfolioHealthViewSet(ApiGenericViewSet):
    """`/health/?as_of=YYYY-MM-DD`: every visible account's health as it stood on a day."""

    serializer_class = PortfolioHealthRowSerializer
    filterset_class = PortfolioHealthFilter
    ordering_fields = ["id"]
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Account.objects.none()
        query = PortfolioHealthQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        visible = Account.objects.for_user(self.request.user)
        return selectors.portfolio_health_at(visible, query.validated_data["as_of"])

    @extend_schema(
        summary="Every account's score on a past date (one paginated call)",
        description="For each account you may see, the latest snapshot on or before `as_of` "
        "(the row's own `as_of` says which day that was; an account not scored by then is "
        "left out). Filter by `segment`, `owner`, `stage` and by `band` as it stood on "
        "`as_of`; cursor-paginated by account id. Back-dated runs (`POST /score-runs/`) "
        "fill in days that were never scored.",
        parameters=[PortfolioHealthQuerySerializer],
    )
    def list(self, request, *args, **kwargs):
        accounts = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        snapshots = selectors.snapshots_by_id([a.snapshot_id for a in accounts])
        rows = []
        for account in accounts:
            snapshot = snapshots[account.snapshot_id]
            snapshot.account_external_id = account.external_id
            snapshot.account_name = account.name
            rows.append(snapshot)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class AccountHealthViewSet(ApiGenericViewSet):
    """`/accounts/{id}/health/` (or `/accounts/external/{external_id}/health/`): the account's
    latest snapshot, its history and why it changed."""

    serializer_class = HealthSnapshotSerializer
    pagination_class = None
    filter_backends: list = []

    def get_account(self) -> Account:
        visible = Account.objects.for_user(self.request.user).only("pk")
        if "external_id" in self.kwargs:
            external_id = self.kwargs["external_id"]
            if len(external_id) > 100:  # longer than any stored id: nobody's account
                raise NotFound()
            return get_object_or_404(visible, external_id=external_id)
        return get_object_or_404(visible, pk=self.kwargs["account_pk"])

    def _latest(self):
        snapshot = selectors.snapshot_latest(self.get_account().pk)
        if snapshot is None:
            raise NotFound(NOT_SCORED)
        return snapshot

    @extend_schema(summary="The account's current health with the per-measure breakdown")
    def current(self, request, *args, **kwargs):
        return Response(HealthSnapshotSerializer(self._latest()).data)

    @extend_schema(
        summary="Why the account's score changed since the snapshot before",
        responses={200: WhyChangedSerializer},
    )
    def why_changed(self, request, *args, **kwargs):
        return Response(WhyChangedSerializer(self._latest()).data)

    @extend_schema(
        summary="The account's daily score, band and decay over the last `days` days",
        parameters=[HistoryQuerySerializer],
        responses={200: HealthHistorySerializer},
    )
    def history(self, request, *args, **kwargs):
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = query.validated_data["days"]
        until = query.validated_data.get("until") or timezone.localdate()
        account = self.get_account()
        points = selectors.snapshot_history(account.pk, days=days, until=until)
        body = {"account": account.pk, "days": days, "until": until, "points": list(points)}
        return Response(HealthHistorySerializer(body).data)


class StaffReadAdminWrite:
    """Score runs: managers and admins read; only admins (admin scope) start them, since a run
    writes every account's health."""

    permission_classes = [IsAuthenticated, TokenHasScope, IsManagerOrAdmin, IsAdminRoleOrReadOnly]
    write_scope = Scope.ADMIN


class AdminAction(BasePermission):
    """The view's `admin_actions` (applying a suggestion to a scorecard draft) are for admins."""

    message = "Only admins can change a scorecard."

    def has_permission(self, request, view) -> bool:
        return view.action not in view.admin_actions or request.user.is_admin_role


class StaffValidateAdminApply:
    """Validations and back-tests: managers and admins read and start them (write scope; they
    change nothing on accounts or scorecards); applying the suggested weights to a scorecard
    draft is configuration: admins, admin scope."""

    permission_classes = [IsAuthenticated, TokenHasScope, IsManagerOrAdmin, AdminAction]
    action_scopes = {"create": Scope.WRITE, "apply": Scope.ADMIN}
    admin_actions = {"apply"}


@extend_schema_view(
    list=extend_schema(summary="List score runs, newest first (managers and admins)"),
    retrieve=extend_schema(summary="A score run's status, progress and failures"),
    create=extend_schema(
        summary="Start the score run for a date (admins); poll the run for progress",
        description="Scores every account as of `as_of` in chunks on the workers. A run already "
        "under way for the date is returned instead of a second one (also when it finished, "
        "unless `force` is true). Past dates are backfills: they raise no alerts.",
        request=ScoreRunStartSerializer,
        responses={202: ScoreRunSerializer},
    ),
)
class ScoreRunViewSet(
    StaffReadAdminWrite,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ApiGenericViewSet,
):
    serializer_class = ScoreRunSerializer
    filterset_class = ScoreRunFilter
    ordering_fields = ["id", "as_of", "started_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return ScoreRun.objects.select_related("requested_by")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["progress"] = getattr(self, "_progress", {})
        return context

    def _with_progress(self, runs) -> None:
        self._progress = selectors.run_progress_many([run.pk for run in runs])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._with_progress(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        run = self.get_object()
        self._with_progress([run])
        return Response(self.get_serializer(run).data)

    def create(self, request, *args, **kwargs):
        start = ScoreRunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        as_of = start.validated_data["as_of"]
        run = score_run_start(
            as_of=as_of,
            trigger=RunTrigger.MANUAL if as_of == timezone.localdate() else RunTrigger.BACKFILL,
            requested_by=request.user,
            force=start.validated_data["force"],
        )
        self._with_progress([run])
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="List back-tests, newest first (managers and admins)"),
    retrieve=extend_schema(summary="One back-test: AUC, top-decile lift, band churn, weights"),
    create=extend_schema(
        summary="Back-test a scorecard version at a past date (managers and admins)",
        description="Scores the version's accounts as they stood on `as_of` and compares with "
        "who churned in the following `horizon_days`: ROC AUC, top-decile lift, churn rate per "
        "band and weights learned from the outcome. Nothing is stored on the accounts.",
        request=ScoreValidationRequestSerializer,
        responses={201: ScoreValidationSerializer},
    ),
)
class ScoreValidationViewSet(
    StaffValidateAdminApply,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ApiGenericViewSet,
):
    serializer_class = ScoreValidationSerializer
    filterset_class = ScoreValidationFilter
    ordering_fields = ["id", "as_of", "created_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return ScoreValidation.objects.all()

    def create(self, request, *args, **kwargs):
        ask = ScoreValidationRequestSerializer(data=request.data, context={"request": request})
        ask.is_valid(raise_exception=True)
        result = score_validation_run(
            version=ask.validated_data["scorecard_version"],
            as_of=ask.validated_data["as_of"],
            horizon_days=ask.validated_data["horizon_days"],
            user=request.user,
        )
        return Response(self.get_serializer(result).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List back-tests over time, newest first (managers and admins)"),
    retrieve=extend_schema(
        summary="One back-test over time: status, progress, then its report and suggestion"
    ),
    create=extend_schema(
        summary="Back-test a scorecard version over many dates (managers and admins); poll it",
        description="Scores the version's accounts as they stood every `step_days` from `start` "
        "to `end` and compares with who churned within `horizon_days` after each date. Dates "
        "before `split_on` train suggested weights (observations whose horizon reaches past "
        "the split are embargoed); dates on or after it test both the version and the "
        "suggestion. Runs on a worker: the answer is 202 with the queued back-test.",
        request=ScoreBacktestRequestSerializer,
        responses={202: ScoreBacktestSerializer},
    ),
    apply=extend_schema(
        summary="Apply the suggested weights and scoring curves as a new draft (admins)",
        request=None,
        responses={201: ScorecardVersionRefSerializer},
    ),
)
class ScoreBacktestViewSet(
    StaffValidateAdminApply,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ApiGenericViewSet,
):
    serializer_class = ScoreBacktestSerializer
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return ScoreBacktest.objects.all()

    def create(self, request, *args, **kwargs):
        from ..services.backtest import score_backtest_create

        ask = ScoreBacktestRequestSerializer(data=request.data, context={"request": request})
        ask.is_valid(raise_exception=True)
        data = dict(ask.validated_data)
        backtest = score_backtest_create(
            version=data.pop("scorecard_version"), **data, user=request.user
        )
        return Response(self.get_serializer(backtest).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        from ..services.backtest import backtest_suggestion_apply

        draft = backtest_suggestion_apply(backtest=self.get_object(), user=request.user)
        body = {"id": draft.pk, "scorecard": draft.scorecard_id, "number": draft.number}
        return Response(ScorecardVersionRefSerializer(body).data, status=status.HTTP_201_CREATED)
