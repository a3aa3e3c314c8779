"""Scorecards and their versions: everyone signed in reads the rules; admins publish drafts."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.base import ApiReadOnlyViewSet
from core.api.permissions import IsAdminRoleOrReadOnly, TokenHasScope
from core.api.scopes import Scope
from scorecards.selectors import scorecard_list, version_queryset
from scorecards.services import scorecard_version_publish

from .filters import ScorecardFilter, ScorecardVersionFilter
from .serializers import ScorecardSerializer, ScorecardVersionSerializer


@extend_schema_view(
    list=extend_schema(summary="List scorecards (the default and one per segment)"),
    retrieve=extend_schema(summary="One scorecard with its versions"),
)
class ScorecardViewSet(ApiReadOnlyViewSet):
    """How health is judged per segment; the rules live in the versions."""

    serializer_class = ScorecardSerializer
    filterset_class = ScorecardFilter
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    def get_queryset(self):
        return scorecard_list()


@extend_schema_view(
    list=extend_schema(summary="List scorecard versions with their measures and bands"),
    retrieve=extend_schema(summary="One scorecard version with its measures and bands"),
    publish=extend_schema(
        summary="Publish a draft (the published version is archived); admins only",
        request=None,
        responses={200: ScorecardVersionSerializer},
    ),
)
class ScorecardVersionViewSet(ApiReadOnlyViewSet):
    """Draft, published and archived rule sets; snapshots name the version that scored them."""

    serializer_class = ScorecardVersionSerializer
    filterset_class = ScorecardVersionFilter
    permission_classes = [IsAuthenticated, TokenHasScope, IsAdminRoleOrReadOnly]
    write_scope = Scope.ADMIN
    ordering_fields = ["id", "number"]
    ordering = ["id"]

    def get_queryset(self):
        return version_queryset()

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        version = scorecard_version_publish(version=self.get_object(), user=request.user)
        return Response(self.get_serializer(version_queryset().get(pk=version.pk)).data)
