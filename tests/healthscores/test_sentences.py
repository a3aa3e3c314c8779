"""The sentences a CSM reads beside each measure and decay component, written from numbers."""

from datetime import date

import pytest

from healthscores.sentences import decay_sentence, measure_sentence
from scorecards.models import MeasureKind, UsageAggregation

AS_OF = date(2026, 6, 30)


def test_the_sentences_know_every_scorecard_kind_and_usage_aggregation():
    for kind in MeasureKind.values:
        for raw in (None, 50.0):
            assert not measure_sentence(kind, {}, raw, [1, 2, "2026-07-01"], AS_OF).startswith(
                "Unknown measure kind"
            ), kind
    sentences_by_aggregation = {
        measure_sentence("usage", {"metric": "m", "aggregation": aggregation}, 5.0, [4.0, 5.0])
        for aggregation in UsageAggregation.values
    }
    assert len(sentences_by_aggregation) == len(UsageAggregation.values)


@pytest.mark.parametrize(
    ("kind", "params", "raw", "x", "expected"),
    [
        ("icp_fit", {}, 75.0, None, "Fits the ICP at 75%."),
        ("icp_fit", {}, None, None, "No ICP fit computed."),
        ("goodwill_balance", {}, -383.0, None, "Goodwill balance -383 points."),
        ("goodwill_balance", {}, None, None, "No goodwill ledger entries yet."),
        ("decay", {}, 55.0, None, "Decay score 55/100."),
        (
            "interaction_mix",
            {"n": 10},
            30.0,
            [3, 10],
            "3 of the last 10 interactions built the relationship or added value.",
        ),
        ("interaction_mix", {}, None, None, "No interactions logged."),
        (
            "days_since_value",
            {},
            12.0,
            None,
            "Last value-adding interaction 12 days ago (18 Jun 2026).",
        ),
        (
            "usage",
            {"metric": "searches", "window_days": 30, "aggregation": "change"},
            -50.0,
            [80.0, 40.0],
            "searches: 80 \u2192 40 (last 30 days vs the 30 days before).",
        ),
        (
            "usage",
            {"metric": "searches", "window_days": 30, "aggregation": "change"},
            None,
            ["no_previous_window"],
            "No searches data for the 30 days before to compare with.",
        ),
        (
            "usage",
            {"metric": "searches", "window_days": 7},
            None,
            None,
            "No searches data in the last 7 days.",
        ),
        (
            "usage",
            {"metric": "logins", "window_days": 30, "aggregation": "avg", "per_seat": True},
            1.5,
            [20],
            "1.5 logins per day per seat (20 seats) in the last 30 days.",
        ),
        (
            "usage",
            {"metric": "logins", "window_days": 30, "aggregation": "active_days"},
            21.0,
            None,
            "21 days with logins in the last 30 days.",
        ),
        (
            "survey",
            {"survey": "nps", "window_days": 180},
            8.5,
            [2],
            "Average NPS 8.5 from 2 responses in 180 days.",
        ),
        ("survey", {"survey": "csat"}, None, None, "No CSAT response in 180 days."),
        ("success_plan", {}, -20.0, [0.4, 0.6], "40% of steps done, 60% expected by now."),
        ("success_plan", {}, None, None, "No active success plan."),
        (
            "mrr_trend",
            {"window_days": 90},
            25.0,
            [1000.0, 1250.0],
            "MRR 1,000 \u2192 1,250 over 90 days.",
        ),
        ("mrr_trend", {}, None, None, "No subscription revenue on record."),
        (
            "manual",
            {},
            80.0,
            [80, "Great QBR", "2026-07-10"],
            "80: Great QBR (valid until 10 Jul 2026).",
        ),
        (
            "manual",
            {},
            None,
            [80, "Great QBR", "2026-06-20"],
            "Stale since 20 Jun 2026: was 80 (Great QBR).",
        ),
        ("manual", {}, None, None, "No value entered by the CSM."),
    ],
)
def test_every_measure_kind_explains_its_raw_value(kind, params, raw, x, expected):
    assert measure_sentence(kind, params, raw, x, AS_OF) == expected


@pytest.mark.parametrize(
    ("key", "x", "expected"),
    [
        ("burn", [5, 40], "Goodwill held or grew over 90 days (+5 points)."),
        ("burn", [-65, -20], "Lost 65 goodwill points in 90 days with no balance to cushion it."),
        (
            "burn",
            [-12, 30],
            "Lost 12 goodwill points in 90 days against a balance of 30 then (40%).",
        ),
        (
            "negative_share",
            [9, 11],
            "9 of 11 interactions in 90 days were firefighting, escalations or unvalued work.",
        ),
        ("negative_share", [0, 0], "No interactions in 90 days."),
        ("days_since_value", [45], "Value last delivered 45 days ago."),
        ("days_since_value", [], "No value-adding interaction on record."),
        ("slope", [-0.4321], "Health fell 0.43 points a day over 30 days."),
        ("slope", [], "Not enough health history for a trend yet."),
    ],
)
def test_every_decay_component_explains_its_score(key, x, expected):
    assert decay_sentence(key, x) == expected
