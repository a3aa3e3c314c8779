from django.urls import path

from .views import ctas, insights, plans, settings

app_name = "success"

urlpatterns = [
    # plans
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/steps/", plans.step_add, name="step_add"),
    path("plans/<int:pk>/outcome/", plans.plan_outcome, name="plan_outcome"),
    path("plans/<int:pk>/share/", plans.share_create, name="share_create"),
    path("plans/<int:pk>/pdf/", plans.plan_pdf, name="plan_pdf"),
    path("steps/<int:pk>/edit/", plans.step_edit, name="step_edit"),
    path("steps/<int:pk>/delete/", plans.step_delete, name="step_delete"),
    path("steps/<int:pk>/complete/", plans.step_complete, name="step_complete"),
    path("shares/<int:pk>/revoke/", plans.share_revoke, name="share_revoke"),
    path("accounts/<int:account_id>/plans/new/", plans.plan_start, name="plan_start"),
    # the customer's read-only view (no login)
    path("shared/<str:token>/", plans.shared_plan, name="shared_plan"),
    path("shared/<str:token>/pdf/", plans.shared_plan_pdf, name="shared_plan_pdf"),
    # CTAs
    path("ctas/", ctas.cta_list, name="cta_list"),
    path("ctas/<int:pk>/", ctas.cta_detail, name="cta_detail"),
    path("ctas/bulk/", ctas.cta_bulk, name="cta_bulk"),
    path("ctas/<int:pk>/status/", ctas.cta_status, name="cta_status"),
    path("ctas/<int:pk>/close/", ctas.cta_close, name="cta_close"),
    path("ctas/<int:pk>/notes/", ctas.cta_note, name="cta_note"),
    path("ctas/<int:pk>/reassign/", ctas.cta_reassign, name="cta_reassign"),
    path("ctas/<int:pk>/snooze/", ctas.cta_snooze, name="cta_snooze"),
    path("ctas/<int:pk>/due/", ctas.cta_due, name="cta_due"),
    path("cta-steps/<int:pk>/", ctas.cta_step_set, name="cta_step_set"),
    # insights and lessons learned
    path("insights/", insights.insights, name="insights"),
    path("accounts/<int:account_id>/lessons/new/", insights.lesson_new, name="lesson_new"),
    # settings (admins)
    path("settings/templates/", settings.template_list, name="template_list"),
    path("settings/templates/new/", settings.template_edit, name="template_new"),
    path("settings/templates/<int:pk>/", settings.template_edit, name="template_edit"),
    path("settings/rules/", settings.rule_settings, name="rule_settings"),
    path("settings/playbooks/", settings.playbook_list, name="playbook_list"),
    path("settings/playbooks/new/", settings.playbook_edit, name="playbook_new"),
    path("settings/playbooks/<int:pk>/", settings.playbook_edit, name="playbook_edit"),
]
