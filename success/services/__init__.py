"""Writes for success plans, interventions (CTAs) and lessons learned."""

from .insights import lesson_learned_record
from .interventions import (
    cta_open,
    cta_status_set,
    cta_step_toggle,
    ctas_open_many,
    intervention_rules_ensure,
    interventions_evaluate,
)
from .plans import (
    plan_create_from_template,
    plan_outcome_record,
    plan_share_create,
    plan_share_resolve,
    plan_share_revoke,
    plan_step_complete,
    plan_step_delete,
    plan_step_save,
    plan_steps_chute_overdue,
    scope_delivery_suggest,
)

__all__ = [
    "cta_open",
    "cta_status_set",
    "cta_step_toggle",
    "ctas_open_many",
    "intervention_rules_ensure",
    "interventions_evaluate",
    "lesson_learned_record",
    "plan_create_from_template",
    "plan_outcome_record",
    "plan_share_create",
    "plan_share_resolve",
    "plan_share_revoke",
    "plan_step_complete",
    "plan_step_delete",
    "plan_step_save",
    "plan_steps_chute_overdue",
    "scope_delivery_suggest",
]
