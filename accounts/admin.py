from django.contrib import admin

from . import models

admin.site.register(models.Segment)
admin.site.register(models.Contact)


@admin.register(models.Account)
class AccountAdmin(admin.ModelAdmin):
    """Accounts; every number the platform derives is shown, never edited here."""

    list_display = ("name", "external_id", "segment", "stage", "owner", "arr", "health_score")
    list_filter = ("stage", "segment")
    search_fields = ("name", "external_id", "domain")
    # The goodwill balance and seq move only through ledger entries (accounts.services.ledger);
    # the rest is written by the ICP and health scoring runs. Edited here they would disagree
    # with their sources until the next run, or for good (the ledger's reconcile).
    readonly_fields = (
        "goodwill_balance",
        "ledger_seq",
        "icp_fit",
        "icp_good_fit",
        "icp_detail",
        "health_score",
        "health_band",
        "health_confidence",
        "health_delta_7",
        "health_delta_30",
        "health_momentum",
        "health_as_of",
        "decay_score",
        "decay_status",
        "quadrant",
        "outcome_class",
        "lifetime_value",
        # Archiving is audited: archive and restore through the app (accounts.services.lifecycle).
        "archived_at",
    )


@admin.register(models.TrustEntry)
class TrustEntryAdmin(admin.ModelAdmin):
    """The goodwill ledger, to look at: entries are appended by the services, never edited."""

    list_display = ("account", "seq", "occurred_at", "points", "kind", "source", "balance_after")
    list_filter = ("source", "kind")
    search_fields = ("account__name", "reason")
    list_select_related = ("account",)
    raw_id_fields = ("account", "interaction", "corrects", "reverses", "author")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
