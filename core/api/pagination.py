"""Cursor pagination for every list: stable under inserts and no COUNT(*) on big tables.

A page carries both the `next` link and the bare `next_cursor` the `cursor` parameter takes,
so a generated client can page with the parameter it knows. The schema declares a cursor's
shape (base64 text, `CURSOR_PATTERN`): a value of another shape is malformed input, a 400
naming `cursor`; a well-shaped value the server did not make names no page, a 404 naming
`cursor` (as DRF answers an unknown cursor). Never a 500.
"""

import re
from base64 import b64decode
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

BAD_CURSOR = "This cursor is not valid: pass back a next_cursor or previous_cursor unchanged."
UNKNOWN_CURSOR = "No page has this cursor: pass back a next_cursor or previous_cursor unchanged."
CURSOR_PATTERN = r"^[A-Za-z0-9+/]*={0,2}$"
CURSOR_MAX_LENGTH = 1000
# PostgreSQL's bigint bounds: a position outside them could never match a row.
BIGINT = 2**63


class UnknownCursor(NotFound):
    """A well-formed cursor that names no page: 404, the error under `cursor`."""

    def __init__(self):
        super().__init__(UNKNOWN_CURSOR, code="unknown_cursor")
        self.detail = {"cursor": [self.detail]}


class ApiCursorPagination(CursorPagination):
    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["Enter a whole number."]}) from None
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Use a page size from 1 to {self.max_page_size}."]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None  # none (or an empty one, as for any filter): the first page
        if len(encoded) > CURSOR_MAX_LENGTH or not re.fullmatch(CURSOR_PATTERN, encoded):
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
        try:
            cursor = super().decode_cursor(request)
            _check_tokens(encoded)
        except (NotFound, ValueError):
            raise UnknownCursor() from None
        if cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """The position must be a value of the ordering's first field, storable as such."""
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(name)
        except FieldDoesNotExist:
            return
        try:
            if "\x00" in position:
                raise DjangoValidationError("NUL")
            value = field.to_python(position)
            if isinstance(value, int) and not -BIGINT <= value < BIGINT:
                raise DjangoValidationError("out of range")
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise UnknownCursor() from None

    def get_paginated_response(self, data):
        next_link, previous_link = self.get_next_link(), self.get_previous_link()
        return Response(
            {
                "next": next_link,
                "previous": previous_link,
                "next_cursor": _cursor_of(next_link),
                "previous_cursor": _cursor_of(previous_link),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        cursor = {
            "type": "string",
            "nullable": True,
            "description": "Pass as the `cursor` parameter to fetch that page.",
        }
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "next_cursor", "previous_cursor", "results"],
            "properties": {
                "next": {**link, "description": "The next page's URL (null on the last page)."},
                "previous": {**link, "description": "The previous page's URL (null on the first)."},
                "next_cursor": cursor,
                "previous_cursor": cursor,
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The `next_cursor` or `previous_cursor` of a page (404 if "
                "no page has it).",
                "schema": {
                    "type": "string",
                    "pattern": CURSOR_PATTERN,
                    "maxLength": CURSOR_MAX_LENGTH,
                },
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def _check_tokens(encoded: str) -> None:
    """A cursor we made names at least one of offset, reverse and position, and nothing else."""
    tokens = parse_qs(b64decode(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True)
    if not tokens or not set(tokens) <= {"o", "r", "p"}:
        raise ValueError("not a cursor")


def _cursor_of(link: str | None) -> str | None:
    if link is None:
        return None
    return parse_qs(urlsplit(link).query).get("cursor", [None])[0]
