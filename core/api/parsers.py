"""JSON bodies the database can store: bounded depth, valid Unicode, no NUL, finite numbers."""

import math

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, then a walk that rejects what PostgreSQL or Python would choke on.

    Each rejection is a 400 naming the place in the body (`rows[3].name`), so an integration
    learns which value to fix; nothing reaches a serializer, a service or the database.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        problem = body_problem(data)
        if problem:
            raise ParseError(f"JSON parse error - {problem}.")
        return data


def body_problem(data) -> str | None:
    """What makes a parsed JSON value unstorable, or None (iterative: no recursion limit)."""
    stack = [(data, "body", 1)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{where} is nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            for key, item in value.items():
                problem = _string_problem(key)
                if problem:
                    return f"a key in {where} {problem}"
                stack.append((item, f"{where}.{key}" if where != "body" else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            problem = _string_problem(value)
            if problem:
                return f"{where} {problem}"
        elif isinstance(value, float) and not math.isfinite(value):
            return f"{where} is a number out of range"
    return None


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains an unpaired surrogate (invalid Unicode such as \\ud800)"
    return None
