"""The seven intervention rules exist from the start, with sensible default thresholds."""

from django.db import migrations

DEFAULTS = {
    # key: (threshold, priority, due_in_days, cooldown_days)
    "plan_lagging": (10, 2, 7, 14),
    "band_dropped": (0, 2, 5, 14),
    "decay": (40, 2, 7, 30),
    "no_value": (45, 3, 14, 30),
    "renewal_at_risk": (90, 1, 7, 30),
    "bad_fit_onboarding": (0, 3, 14, 90),
    "work_to_keep": (0, 3, 14, 60),
}


def create_rules(apps, schema_editor):
    InterventionRule = apps.get_model("success", "InterventionRule")
    for key, (threshold, priority, due, cooldown) in DEFAULTS.items():
        InterventionRule.objects.get_or_create(
            key=key,
            defaults={
                "threshold": threshold,
                "priority": priority,
                "due_in_days": due,
                "cooldown_days": cooldown,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("success", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
