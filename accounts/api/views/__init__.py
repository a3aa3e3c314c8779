"""Views of the accounts API, one module per area."""
