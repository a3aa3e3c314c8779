"""What each measure kind takes: the one definition the editor, the API and the services read.

A measure keeps its kind's settings in `Measure.params`. `KIND_PARAMS` says, per kind, which
settings exist, their type, bounds, choices and default, so the browser editor shows only the
fields a kind uses, the API rejects settings that do not fit the kind with a field error, and
the schema documents them. A new kind adds its entry here (a test checks every `MeasureKind`
has one).
"""

from dataclasses import dataclass

from .models import AccountAttribute, MeasureKind, UsageAggregation

SURVEY_CHOICES = (("nps", "NPS"), ("csat", "CSAT"))
LIFECYCLE_DEFAULTS = (90, 365)  # new_days, established_days


@dataclass(frozen=True)
class Param:
    """One setting of a measure kind, stored under `name` in `Measure.params`."""

    name: str
    label: str
    type: type  # int, float, str or bool
    required: bool = False
    default: object = None
    choices: tuple[tuple[str, str], ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    help_text: str = ""

    def clean(self, value) -> tuple[object, str | None]:
        """(the value as stored, None) or (None, an error message)."""
        if self.type is list:
            return _clean_curve(value)
        if self.type is bool:
            return (value, None) if isinstance(value, bool) else (None, "Use true or false.")
        if self.type is str:
            if not isinstance(value, str):
                return None, "Enter text."
            # The length as sent (the schema's maxLength), before surrounding spaces go.
            if self.max_length is not None and len(value) > self.max_length:
                return None, f"Use at most {self.max_length} characters."
            value = value.strip()
            if self.required and not value:
                return None, "This field may not be blank."
            if self.choices and value not in {c for c, _ in self.choices}:
                options = ", ".join(c for c, _ in self.choices)
                return None, f"Choose one of: {options}."
            return value, None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "Enter a number."
        if self.type is int:
            if isinstance(value, float) and not value.is_integer():
                return None, "Enter a whole number."
            value = int(value)
        else:
            value = float(value)
        if self.min_value is not None and value < self.min_value:
            return None, f"Use at least {self.min_value:g}."
        if self.max_value is not None and value > self.max_value:
            return None, f"Use at most {self.max_value:g}."
        return value, None


def _clean_curve(value) -> tuple[list | None, str | None]:
    """A scoring curve: at least two [raw, score] pairs of numbers, sorted by raw value; a
    score outside 0-100 is stored as the nearer end (scoring clamps to 0-100 anyway, and a
    JSON Schema 3.0 array cannot bound its second item alone)."""
    message = "Send at least two [raw value, score 0-100] pairs."
    if not isinstance(value, list) or len(value) < 2:
        return None, message
    points = []
    for point in value:
        if not isinstance(point, list | tuple) or len(point) != 2:
            return None, message
        raw, score = point
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (raw, score)):
            return None, message
        points.append([raw, min(100, max(0, score))])
    return sorted(points), None


UNIT = Param(
    "unit", "Unit", str, max_length=10, help_text="Shown after the raw value, e.g. % or days."
)
CURVE = Param(
    "curve",
    "Scoring curve",
    list,
    help_text="[[raw, score], ...]: a piecewise-linear curve used instead of the straight line "
    "from bad to good (suggested weights write it).",
)
NO_ROWS = Param(
    "no_rows",
    "No usage rows",
    str,
    default="zero",
    choices=(
        ("zero", "No rows in the window = no use (if it has usage history)"),
        ("missing", "No rows in the window = no data (missing policy)"),
    ),
    help_text="What a window without rows means for an account with usage history.",
)


PER_SEAT = Param(
    "per_seat",
    "Per seat",
    bool,
    default=False,
    help_text="Divide by the account's seats (usage: sum and average only; an attribute: e.g. "
    "MRR per seat, the price per seat).",
)


def _metric(label: str = "Metric") -> Param:
    return Param(
        "metric",
        label,
        str,
        required=True,
        max_length=60,
        help_text="The usage metric name as the pipeline sends it.",
    )


def _window(default: int, help_text: str) -> Param:
    return Param(
        "window_days",
        "Window (days)",
        int,
        default=default,
        min_value=1,
        max_value=730,
        help_text=help_text,
    )


KIND_PARAMS: dict[str, tuple[Param, ...]] = {
    MeasureKind.ICP_FIT: (UNIT,),
    MeasureKind.GOODWILL: (UNIT,),
    MeasureKind.DECAY: (UNIT,),
    MeasureKind.INTERACTION_MIX: (
        Param(
            "n",
            "Last N interactions",
            int,
            default=10,
            min_value=1,
            max_value=200,
            help_text="Share of relationship-building and value-adding among the last N.",
        ),
        UNIT,
    ),
    MeasureKind.DAYS_SINCE_VALUE: (UNIT,),
    MeasureKind.USAGE: (
        _metric(),
        Param(
            "aggregation",
            "Aggregation",
            str,
            required=True,
            choices=tuple(UsageAggregation.choices),
            help_text="How the window's daily values become one number.",
        ),
        _window(30, "Days of usage up to the run date."),
        PER_SEAT,
        NO_ROWS,
        UNIT,
    ),
    MeasureKind.SURVEY: (
        Param("survey", "Survey", str, default="nps", choices=SURVEY_CHOICES),
        _window(180, "Answers from this many days up to the run date."),
        UNIT,
    ),
    MeasureKind.SUCCESS_PLAN: (UNIT,),
    MeasureKind.MRR_TREND: (
        _window(90, "MRR now compared with MRR this many days before."),
        UNIT,
    ),
    MeasureKind.MANUAL: (
        Param(
            "valid_days",
            "Valid for (days)",
            int,
            default=30,
            min_value=1,
            max_value=365,
            help_text="A CSM's value goes stale after this many days.",
        ),
        UNIT,
    ),
    MeasureKind.TENURE: (UNIT,),
    MeasureKind.LIFECYCLE: (
        Param(
            "new_days",
            "New for (days)",
            int,
            default=LIFECYCLE_DEFAULTS[0],
            min_value=1,
            max_value=3650,
            help_text="Stage 0 (new) for this many days of tenure.",
        ),
        Param(
            "established_days",
            "Established after (days)",
            int,
            default=LIFECYCLE_DEFAULTS[1],
            min_value=1,
            max_value=3650,
            help_text="Stage 2 (established) from this many days of tenure.",
        ),
        UNIT,
    ),
    MeasureKind.USAGE_TREND: (
        _metric(),
        _window(30, "Each of the two windows compared, in days."),
        NO_ROWS,
        UNIT,
    ),
    MeasureKind.USAGE_RATIO: (
        _metric("Metric (numerator)"),
        Param(
            "denominator",
            "Divided by (metric)",
            str,
            required=True,
            max_length=60,
            help_text="The metric the first one is divided by.",
        ),
        _window(30, "Both metrics summed over this many days."),
        NO_ROWS,
        UNIT,
    ),
    MeasureKind.ACCOUNT_ATTRIBUTE: (
        Param(
            "attribute",
            "Attribute",
            str,
            required=True,
            choices=tuple(AccountAttribute.choices),
            help_text="MRR and ARR as of the run date from the subscriptions (the account's "
            "own figure when it has none); seats, employees and custom attributes have no "
            "history: their current value (docs/ARCHITECTURE.md).",
        ),
        Param(
            "custom_key",
            "Custom attribute key",
            str,
            max_length=60,
            help_text="The key in the account's custom attributes (a number) when the "
            "attribute is custom.",
        ),
        PER_SEAT,
        UNIT,
    ),
}
# Any kind may carry a learned scoring curve.
KIND_PARAMS = {kind: (*params, CURVE) for kind, params in KIND_PARAMS.items()}


def kind_params(kind: str) -> tuple[Param, ...]:
    """The settings a kind takes (the unit and curve for a kind nobody described yet)."""
    return KIND_PARAMS.get(kind, (UNIT, CURVE))


def all_params() -> dict[str, Param]:
    """Every setting any kind takes, by name (the first definition of a shared name wins)."""
    found: dict[str, Param] = {}
    for params in KIND_PARAMS.values():
        for param in params:
            found.setdefault(param.name, param)
    # Settings every kind shares (unit, curve) come after the kind's own.
    shared = {name for name in found if len(kinds_using(name)) == len(KIND_PARAMS)}
    return {n: p for n, p in found.items() if n not in shared} | {
        n: p for n, p in found.items() if n in shared
    }


def params_display(kind: str, params: dict) -> list[tuple[str, str]]:
    """A measure's settings as people read them: each setting's label and its value in words
    (a choice by its label: "Average", "NPS"; numbers grouped; yes/no)."""
    from core.formatting import label, param_value

    known = {param.name: param for param in kind_params(kind)}
    shown = []
    for name, value in (params or {}).items():
        param = known.get(name)
        choices = dict(param.choices) if param else {}
        text = choices.get(value) if isinstance(value, str) and value in choices else None
        shown.append((param.label if param else label(name), text or param_value(value)))
    return shown


def kinds_using(name: str) -> list[str]:
    """The kinds that take the setting `name`."""
    return [kind for kind, params in KIND_PARAMS.items() if any(p.name == name for p in params)]


def measure_params_clean(kind: str, params) -> tuple[dict, dict[str, list[str]]]:
    """(cleaned params, errors by setting name) for a measure of `kind`.

    Settings the kind does not take are errors, not silently dropped; required settings must
    be present; a setting left out, or "" for an optional free-text one, takes the kind's
    default; null is not a value (leave the setting out). A lifecycle's `established_days` at
    or below its `new_days` means no growing stage: an account goes from new (0) straight to
    established (2).
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return {}, {"non_field_errors": ["Send the settings as a JSON object."]}
    allowed = {p.name: p for p in kind_params(kind)}
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for name in params:
        if name not in allowed:
            label = MeasureKind(kind).label if kind in MeasureKind.values else kind
            users = kinds_using(name)
            hint = f" It belongs to: {', '.join(users)}." if users else ""
            errors[str(name)] = [f"A {label} measure does not take this setting.{hint}"]
    for name, param in allowed.items():
        value = params.get(name)
        if value is None and name in params:
            errors[name] = ["Leave the setting out for the kind's default; null is not a value."]
            continue
        free_text = param.type is str and not param.choices
        if value is None or (value == "" and free_text and not param.required):
            if param.required:
                errors[name] = ["This setting is required for this kind."]
            continue
        value, error = param.clean(value)
        if error:
            errors[name] = [error]
        elif value != "":
            cleaned[name] = value
    if kind == MeasureKind.ACCOUNT_ATTRIBUTE and not errors:
        errors = _attribute_errors(cleaned, params)
    return cleaned, errors


def _attribute_errors(cleaned: dict, sent: dict) -> dict[str, list[str]]:
    """An account attribute names its custom key exactly when it is custom (a key sent for
    another attribute, even blank, is an error: the schema's shapes say so), and is divided by
    the seats only when it is not the seats."""
    attribute = cleaned.get("attribute")
    if attribute == AccountAttribute.CUSTOM and not cleaned.get("custom_key"):
        return {"custom_key": ["Name the custom attribute's key."]}
    if attribute != AccountAttribute.CUSTOM and "custom_key" in sent:
        return {"custom_key": ["Only a custom attribute takes a key."]}
    if attribute == AccountAttribute.SEATS and cleaned.get("per_seat"):
        return {"per_seat": ["Seats per seat is always 1: choose another attribute."]}
    return {}
