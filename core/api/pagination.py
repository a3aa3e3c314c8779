"""Cursor pagination for every list: stable under inserts and no COUNT(*) on big tables."""

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["Enter a whole number."]}) from None
        if size < 1:
            raise ValidationError({"page_size": ["Use a page size of at least 1."]})
        return min(size, self.max_page_size)
