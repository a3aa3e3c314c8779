"""Serializers for the reports API: the top-10 report as JSON."""

from rest_framework import serializers

from dashboards.selectors.reports import TOP_BY


class Top10QuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=list(TOP_BY.items()), default="ltv", help_text="Rank by ltv or arr."
    )


class Top10RowSerializer(serializers.Serializer):
    """One of the largest accounts, and whether something is amiss with it."""

    rank = serializers.IntegerField()
    account = serializers.IntegerField(source="account.pk")
    name = serializers.CharField(source="account.name")
    owner = serializers.CharField(source="account.owner.username", default=None, allow_null=True)
    relationship_word = serializers.CharField(source="account.relationship_word")
    short_term = serializers.BooleanField(help_text="The relationship word is a short-term one.")
    last_categories = serializers.ListField(
        child=serializers.CharField(), help_text="Categories of the last three interactions."
    )
    trouble_count = serializers.IntegerField(
        help_text="How many of them were firefighting, escalation or unvalued problems."
    )
    amiss = serializers.BooleanField(
        help_text="A short-term word and at least 2 of the last 3 interactions in trouble."
    )
    lifetime_value = serializers.DecimalField(
        source="account.lifetime_value", max_digits=16, decimal_places=2, allow_null=True
    )
    arr = serializers.DecimalField(source="account.arr", max_digits=14, decimal_places=2)
    currency = serializers.CharField(source="account.currency")
    health_score = serializers.IntegerField(source="account.health_score", allow_null=True)
    health_band = serializers.CharField(source="account.health_band")
    health_delta_30 = serializers.IntegerField(source="account.health_delta_30", allow_null=True)
    decay_status = serializers.CharField(source="account.decay_status")
    decay_score = serializers.IntegerField(source="account.decay_score", allow_null=True)
    quadrant = serializers.CharField(source="account.quadrant")


class Top10ReportSerializer(serializers.Serializer):
    by = serializers.CharField()
    by_label = serializers.CharField()
    today = serializers.DateField()
    amiss_count = serializers.IntegerField()
    total_ltv = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_arr = serializers.DecimalField(max_digits=18, decimal_places=2)
    rows = Top10RowSerializer(many=True)
