from django.contrib import admin

from success.models import (
    Cta,
    CtaStep,
    InterventionRule,
    LessonLearned,
    PlanShare,
    PlanStep,
    PlanTemplate,
    PlanTemplateStep,
    Playbook,
    PlaybookStep,
    SuccessPlan,
)


class PlanTemplateStepInline(admin.TabularInline):
    model = PlanTemplateStep
    extra = 0


@admin.register(PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "is_active"]
    list_filter = ["segment", "is_active"]
    inlines = [PlanTemplateStepInline]


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 0
    raw_id_fields = ["completed_by", "ladder_entry", "chute_entry"]


@admin.register(SuccessPlan)
class SuccessPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "started_on", "status", "objective_met", "scope_delivery"]
    list_filter = ["status", "scope_delivery"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account", "created_by"]
    inlines = [PlanStepInline]


@admin.register(PlanShare)
class PlanShareAdmin(admin.ModelAdmin):
    list_display = ["plan", "created_at", "expires_at", "revoked_at", "view_count"]
    readonly_fields = ["token_digest"]
    raw_id_fields = ["plan", "created_by"]


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 0


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["name"]
    inlines = [PlaybookStepInline]


@admin.register(InterventionRule)
class InterventionRuleAdmin(admin.ModelAdmin):
    list_display = ["key", "is_enabled", "threshold", "priority", "due_in_days", "cooldown_days"]


class CtaStepInline(admin.TabularInline):
    model = CtaStep
    extra = 0
    raw_id_fields = ["done_by"]


@admin.register(Cta)
class CtaAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "owner", "priority", "due_on", "status"]
    list_filter = ["status", "priority", "rule"]
    search_fields = ["title", "account__name"]
    raw_id_fields = ["account", "owner", "closed_by"]
    inlines = [CtaStepInline]


@admin.register(LessonLearned)
class LessonLearnedAdmin(admin.ModelAdmin):
    list_display = ["account", "kind", "reason_code", "recorded_on"]
    list_filter = ["kind", "reason_code"]
    raw_id_fields = ["account", "recorded_by"]
