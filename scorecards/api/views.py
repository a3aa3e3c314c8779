"""Scorecards, versions and measures: everyone signed in reads the rules; admins change drafts.

Published and archived versions are immutable: any change to them answers 409 Conflict.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.base import ApiGenericViewSet, ApiModelViewSet, ApiReadOnlyViewSet
from core.api.exceptions import Conflict
from core.api.permissions import IsAdminRole, IsAdminRoleOrReadOnly, TokenHasScope
from core.api.scopes import Scope
from scorecards.hooks import scorecard_impact_preview
from scorecards.kinds import kind_params
from scorecards.models import Measure, MeasureKind, VersionStatus
from scorecards.selectors import scorecard_list, version_queryset
from scorecards.services import (
    VersionLocked,
    bands_replace,
    measure_delete,
    measure_save,
    scorecard_create,
    scorecard_version_draft_create,
    scorecard_version_publish,
    scorecard_version_settings_set,
)

from .filters import MeasureFilter, ScorecardFilter, ScorecardVersionFilter
from .serializers import (
    BandSetSerializer,
    MeasureKindSerializer,
    MeasureSerializer,
    PreviewQuerySerializer,
    ScorecardPreviewSerializer,
    ScorecardSerializer,
    ScorecardVersionSerializer,
)


class _ConfigViewMixin:
    """Admin-only writes with the `admin` token scope; a locked version is a 409."""

    permission_classes = [IsAuthenticated, TokenHasScope, IsAdminRoleOrReadOnly]
    write_scope = Scope.ADMIN

    def handle_exception(self, exc):
        if isinstance(exc, VersionLocked):
            exc = Conflict(exc.messages[0], code="version_not_draft")
        return super().handle_exception(exc)


def _version_body(version_id: int, code=status.HTTP_200_OK) -> Response:
    return Response(
        ScorecardVersionSerializer(version_queryset().get(pk=version_id)).data, status=code
    )


@extend_schema_view(
    list=extend_schema(summary="List scorecards (the default and one per segment)"),
    retrieve=extend_schema(summary="One scorecard with its versions"),
    create=extend_schema(
        summary="Create a segment's scorecard (admins)",
        description="The new scorecard gets draft version 1, a copy of the default scorecard's "
        "published measures and bands; edit the draft, preview it, then publish it.",
    ),
    draft=extend_schema(
        summary="The scorecard's draft: the existing one, or a new copy of the published rules",
        request=None,
        responses={200: ScorecardVersionSerializer, 201: ScorecardVersionSerializer},
    ),
)
class ScorecardViewSet(_ConfigViewMixin, mixins.CreateModelMixin, ApiReadOnlyViewSet):
    """How health is judged per segment; the rules live in the versions."""

    serializer_class = ScorecardSerializer
    filterset_class = ScorecardFilter
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    def get_queryset(self):
        return scorecard_list()

    def perform_create(self, serializer):
        data = serializer.validated_data
        scorecard = scorecard_create(
            name=data["name"],
            segment=data["segment"],
            description=data.get("description", ""),
            user=self.request.user,
        )
        serializer.instance = self.get_queryset().get(pk=scorecard.pk)

    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None):
        scorecard = self.get_object()
        existed = scorecard.versions.filter(status=VersionStatus.DRAFT).exists()
        draft = scorecard_version_draft_create(scorecard=scorecard, user=request.user)
        return _version_body(draft.pk, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List scorecard versions with their measures and bands"),
    retrieve=extend_schema(summary="One scorecard version with its measures and bands"),
    partial_update=extend_schema(
        summary="Change a draft's notes or lifecycle split (409 for a published version)",
        description="`new_days`: accounts younger than this are scored with the measures for "
        "new accounts, the rest with those for established ones (null: one set for all; a 409 "
        "while the draft has measures for one part only).",
    ),
    publish=extend_schema(
        summary="Publish a draft (the published version is archived); admins only",
        description="409 when the version is not a draft, or when its rules as they stand are "
        "incomplete (no measure, no band at 0, no measure for one part of a lifecycle split), "
        "the reasons under `errors.non_field_errors`.",
        request=None,
        responses={200: ScorecardVersionSerializer},
    ),
    bands=extend_schema(
        summary="Replace a draft's grading bands",
        description="The whole set at once: the lowest band covers from 0 (its `min_score` is "
        "stored as 0), min scores and keys "
        "are unique. 409 when the version is not a draft.",
        request=BandSetSerializer,
        responses={200: ScorecardVersionSerializer},
    ),
    preview=extend_schema(
        summary="A draft's impact on the portfolio if it were published (admins)",
        description="Scores every account the scorecard applies to with this version and with "
        "the published one on `as_of` (default today), without storing anything: band moves, "
        "the biggest score changes, and per measure the share of accounts with data.",
        parameters=[PreviewQuerySerializer],
        responses={200: ScorecardPreviewSerializer},
    ),
)
class ScorecardVersionViewSet(_ConfigViewMixin, ApiReadOnlyViewSet):
    """Draft, published and archived rule sets; snapshots name the version that scored them."""

    serializer_class = ScorecardVersionSerializer
    filterset_class = ScorecardVersionFilter
    ordering_fields = ["id", "number"]
    ordering = ["id"]

    def get_queryset(self):
        return version_queryset()

    def get_permissions(self):
        if self.action == "preview":
            return [IsAuthenticated(), TokenHasScope(), IsAdminRole()]
        return super().get_permissions()

    def partial_update(self, request, pk=None):
        version = self.get_object()
        serializer = self.get_serializer(version, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        scorecard_version_settings_set(version=version, **serializer.validated_data)
        return _version_body(version.pk)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        version = scorecard_version_publish(version=self.get_object(), user=request.user)
        return _version_body(version.pk)

    @action(detail=True, methods=["put"])
    def bands(self, request, pk=None):
        version = self.get_object()
        serializer = BandSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bands_replace(version=version, bands=serializer.validated_data["bands"])
        return _version_body(version.pk)

    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        query = PreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        preview = scorecard_impact_preview(version=self.get_object(), as_of=as_of)
        return Response(ScorecardPreviewSerializer(preview).data)


@extend_schema_view(
    list=extend_schema(summary="List scorecard measures (filter by version, kind)"),
    retrieve=extend_schema(summary="One scorecard measure"),
    create=extend_schema(
        summary="Add a measure to a draft (admins)",
        description="The body has one shape per `kind`, each with the settings (`params`) that "
        "kind takes (also GET /api/v1/scorecard-measure-kinds/): a setting another kind takes, "
        "a missing required one or a value out of range is a 400 with the error under "
        "`params.<setting>`. 409 when the version is not a draft, the key is taken in it, or "
        "`stage` is not `all` on a version without a lifecycle split (`new_days`); 404 when "
        "the version does not exist.",
    ),
    update=extend_schema(
        summary="Replace a draft's measure (409 for a published version)",
        description="A full replacement: `params` omitted means the kind's defaults.",
    ),
    partial_update=extend_schema(
        summary="Change a draft's measure (409 for a published version)",
        description="`kind` and `params` travel together (a kind's settings are checked "
        "against it): send both, to change the kind or its settings, or neither.",
    ),
    destroy=extend_schema(summary="Remove a measure from a draft (409 for a published version)"),
)
class MeasureViewSet(_ConfigViewMixin, ApiModelViewSet):
    """The weighted signals of every version; only a draft's measures change."""

    serializer_class = MeasureSerializer
    filterset_class = MeasureFilter
    ordering_fields = ["id", "position"]
    ordering = ["id"]

    def get_queryset(self):
        return Measure.objects.all()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = measure_save(version=data.pop("version"), **data)

    def perform_update(self, serializer):
        serializer.instance = measure_save(measure=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        measure_delete(measure=instance)


class MeasureKindListView(_ConfigViewMixin, ApiGenericViewSet):
    """What the editor and integrations may put in a measure's `params`, per kind."""

    pagination_class = None
    filter_backends = []
    serializer_class = MeasureKindSerializer

    @extend_schema(
        summary="The measure kinds and the settings (`params`) each takes",
        responses={200: MeasureKindSerializer(many=True)},
    )
    def list(self, request):
        kinds = [
            {
                "kind": kind,
                "label": label,
                "params": [
                    {
                        "name": p.name,
                        "label": p.label,
                        "type": {int: "integer", float: "number", bool: "boolean"}.get(
                            p.type, "string"
                        ),
                        "required": p.required,
                        "default": p.default,
                        "choices": [c for c, _ in p.choices],
                        "min_value": p.min_value,
                        "max_value": p.max_value,
                        "help_text": p.help_text,
                    }
                    for p in kind_params(kind)
                ],
            }
            for kind, label in MeasureKind.choices
        ]
        return Response(MeasureKindSerializer(kinds, many=True).data)
