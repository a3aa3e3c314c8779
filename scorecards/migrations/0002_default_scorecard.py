"""Ship the default scorecard (published v1) so a fresh install scores accounts out of the box."""

from django.db import migrations


def create_default(apps, schema_editor):
    from scorecards.defaults import build_default_scorecard

    build_default_scorecard(
        Scorecard=apps.get_model("scorecards", "Scorecard"),
        ScorecardVersion=apps.get_model("scorecards", "ScorecardVersion"),
        Measure=apps.get_model("scorecards", "Measure"),
        Band=apps.get_model("scorecards", "Band"),
    )


class Migration(migrations.Migration):
    dependencies = [("scorecards", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
