"""Small shared pieces of the account services."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError


@dataclass
class BulkResult:
    """What a bulk upsert did: counts, and per-row errors as {"index": i, "errors": {...}}."""

    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]} (non-field errors under "non_field_errors")."""
    if hasattr(exc, "error_dict"):
        return {name: list(ValidationError(errs).messages) for name, errs in exc.error_dict.items()}
    return {"non_field_errors": list(exc.messages)}
