"""Reports as JSON: the manager's top-10 accounts with the "something is amiss" flag."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api.base import ApiGenericViewSet

from ..selectors.reports import top10_report
from .serializers import Top10QuerySerializer, Top10ReportSerializer


class Top10ReportViewSet(ApiGenericViewSet):
    """`/reports/top10/`: your (a manager: your teams'; an admin: everyone's) largest accounts."""

    serializer_class = Top10ReportSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="The top-10 report: largest active accounts and whether something is amiss",
        parameters=[
            OpenApiParameter(
                "by", str, enum=["ltv", "arr"], description="Rank by ltv (default) or arr."
            )
        ],
        responses={200: Top10ReportSerializer},
    )
    def report(self, request, *args, **kwargs):
        query = Top10QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = top10_report(
            request.user, by=query.validated_data["by"], today=timezone.localdate()
        )
        return Response(Top10ReportSerializer(report).data)
