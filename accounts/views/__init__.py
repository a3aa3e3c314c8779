"""Account pages: lists, the account page with its htmx forms, import, admin settings."""
