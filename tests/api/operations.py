"""API operations the two fuzzers divide between them (plain Python, no Django at import).

`make contract` (.ci/contract.py) fuzzes every other operation against a live server with all
schemathesis checks. These ones tie request fields together in ways OpenAPI 3.0 cannot state,
so a request the schema admits can still be refused with a 400, which contract's positive-data
check would report. tests/api/test_fuzz.py fuzzes them in the suite instead, with every check
but that one. (`POST /subscriptions/`, whose one such rule is that a subscription cannot end
before it starts, stays in make contract with every check but that one: .ci/schemathesis.toml.)
"""

CROSS_FIELD_OPERATIONS = [
    # POST /score-backtests/: a range (start <= split_on <= end, at most 60 dates) whose last
    # horizon ends by today: issue 13's clear 400s.
    "score_backtests_create",
]
