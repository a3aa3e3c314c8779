"""Ship sensible default trust rules and the trust policy row.

Ladders are low (+1..+5): climbing takes many good interactions. Chutes are deep: a critical
escalation (severity 4) costs 40 points, eight excellent value-adding sessions.
"""

from django.db import migrations

# (category, sentiment, severity, points, description); None matches any value.
DEFAULT_RULES = [
    ("relationship_building", None, None, 2, "Relationship building"),
    ("relationship_building", 2, None, 3, "Relationship building, very positive"),
    ("relationship_building", 0, None, 1, "Relationship building, neutral"),
    ("relationship_building", -1, None, -2, "Relationship building that went badly"),
    ("relationship_building", -2, None, -5, "Relationship building that went very badly"),
    ("value_adding", None, None, 4, "Value adding"),
    ("value_adding", 2, None, 5, "Value adding, very positive"),
    ("value_adding", 0, None, 2, "Value adding, neutral"),
    ("value_adding", -1, None, -1, "Value adding the customer did not appreciate"),
    ("value_adding", -2, None, -3, "Value adding that went very badly"),
    ("firefighting", None, None, -8, "Firefighting"),
    ("firefighting", 2, None, -2, "Firefighting, fire put out to applause"),
    ("firefighting", 1, None, -4, "Firefighting, handled well"),
    ("firefighting", -1, None, -12, "Firefighting, customer unhappy"),
    ("firefighting", -2, None, -18, "Firefighting, customer very unhappy"),
    ("escalation", None, None, -18, "Escalation (severity unknown)"),
    ("escalation", None, 1, -10, "Escalation, severity 1 (minor)"),
    ("escalation", None, 2, -18, "Escalation, severity 2"),
    ("escalation", None, 3, -28, "Escalation, severity 3"),
    ("escalation", None, 4, -40, "Escalation, severity 4 (critical)"),
    ("unvalued_problem", None, None, -3, "Solving a problem the customer doesn't value"),
    ("unvalued_problem", 2, None, -1, "Unvalued problem, customer polite about it"),
    ("unvalued_problem", -2, None, -6, "Unvalued problem, customer annoyed"),
]


def forward(apps, schema_editor):
    TrustRule = apps.get_model("accounts", "TrustRule")
    TrustPolicy = apps.get_model("accounts", "TrustPolicy")
    for category, sentiment, severity, points, description in DEFAULT_RULES:
        TrustRule.objects.get_or_create(
            category=category,
            sentiment=sentiment,
            severity=severity,
            defaults={"points": points, "description": description},
        )
    if not TrustPolicy.objects.exists():
        TrustPolicy.objects.create()


def backward(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_trustentry_append_only")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
