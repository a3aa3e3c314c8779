from django.contrib import admin

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """The audit trail of erasures and account archiving/deletion: read-only, never deleted."""

    list_display = ("at", "action", "target_type", "target_id", "actor_username", "request_id")
    list_filter = ("action", "target_type", "channel")
    search_fields = ("request_id", "actor_username", "=target_id", "=account_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
