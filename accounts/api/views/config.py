"""Configuration resources: segments and Ideal Customer Profiles (admins change them)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.permissions import IsAuthenticated

from accounts.models import IcpCriterion, IdealCustomerProfile, Segment
from accounts.services.config import icp_profile_delete, icp_profile_save, segment_save
from core.api.base import ApiModelViewSet
from core.api.permissions import IsAdminRoleOrReadOnly, TokenHasScope
from core.api.scopes import Scope

from ..filters import IdealCustomerProfileFilter, SegmentFilter
from ..serializers import IdealCustomerProfileSerializer, SegmentSerializer

DELETED = extend_schema(responses={204: OpenApiResponse(description="Deleted.")})


@extend_schema_view(destroy=DELETED)
class SegmentViewSet(ApiModelViewSet):
    """Segments and their desired outcome. Deleting one that accounts use answers 409."""

    queryset = Segment.objects.all()
    serializer_class = SegmentSerializer
    filterset_class = SegmentFilter
    permission_classes = [IsAuthenticated, TokenHasScope, IsAdminRoleOrReadOnly]
    write_scope = Scope.ADMIN
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    def perform_create(self, serializer):
        serializer.instance = segment_save(segment=Segment(**serializer.validated_data))

    def perform_update(self, serializer):
        for name, value in serializer.validated_data.items():
            setattr(serializer.instance, name, value)
        serializer.instance = segment_save(segment=serializer.instance)

    def perform_destroy(self, instance):
        instance.delete()


@extend_schema_view(destroy=DELETED)
class IdealCustomerProfileViewSet(ApiModelViewSet):
    """ICPs with their weighted criteria; every change rescores all accounts' fit."""

    queryset = IdealCustomerProfile.objects.select_related("segment").prefetch_related("criteria")
    serializer_class = IdealCustomerProfileSerializer
    filterset_class = IdealCustomerProfileFilter
    permission_classes = [IsAuthenticated, TokenHasScope, IsAdminRoleOrReadOnly]
    write_scope = Scope.ADMIN
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    @transaction.atomic
    def _save(self, serializer, icp: IdealCustomerProfile):
        data = dict(serializer.validated_data)
        criteria = data.pop("criteria", None)
        for name, value in data.items():
            setattr(icp, name, value)
        icp = icp_profile_save(icp=icp)
        if criteria is not None:
            # Replace the criteria as one change; icp_profile_save already queued the rescore.
            icp.criteria.all().delete()
            for criterion in criteria:
                row = IcpCriterion(icp=icp, **criterion)
                row.full_clean()
                row.save()
        serializer.instance = IdealCustomerProfile.objects.prefetch_related("criteria").get(
            pk=icp.pk
        )

    def perform_create(self, serializer):
        self._save(serializer, IdealCustomerProfile())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        icp_profile_delete(icp=instance)
