"""Reads for the dashboards: set-based, a fixed number of queries whatever the book's size.

One module per page: `book` (CSM home), `portfolio` (manager), `reports` (top-10),
`charts` (account page charts), `scorecard` (customer-facing scorecard).
"""
