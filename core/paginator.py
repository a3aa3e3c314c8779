"""A page-number paginator whose count stops at a cap, for lists that can hold every account.

Django's Paginator counts the whole result for "Page 3 of 1,660": at 100,000 accounts that
count reads every visible row on each page view, however few rows the page shows. This one
counts at most `cap` rows past the requested page (`SELECT COUNT(*) FROM (… LIMIT n)`), so a
result larger than that reads "10,000+ accounts" and "Page 3 of 200+", while a filtered or
searched result (usually far smaller) keeps its exact figures. Paging further than the cap
raises the cap with the page, so every page stays reachable with Next.
"""

from functools import cached_property

from django.core.paginator import Paginator

from core import formatting

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most `cap` rows beyond the requested page; `capped` says when it stopped."""

    def __init__(self, object_list, per_page, *, number=None, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        try:
            requested = max(int(number), 1)
        except (TypeError, ValueError):
            requested = 1
        # Rows the count may read: the cap, or every row up to the requested page and one more.
        self.cap = max(COUNT_CAP if cap is None else cap, requested * self.per_page)

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.capped = found > self.cap
        return found

    capped = False

    @property
    def count_label(self) -> str:
        """`10,000+` when the count stopped at the cap, else the exact count."""
        if self.count and self.capped:
            return f"{formatting.number(self.cap)}+"
        return formatting.number(self.count)

    @property
    def pages_label(self) -> str:
        """`200+` when the count stopped at the cap (there is at least one page more)."""
        if self.count and self.capped:
            return f"{formatting.number(self.num_pages - 1)}+"
        return formatting.number(self.num_pages)
