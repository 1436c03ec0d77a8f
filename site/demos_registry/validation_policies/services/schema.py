"""What a policy version may say, and the request bodies of the service's writes."""

import math

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ...validation_engine.metadata import MAX_ATOL, MAX_RTOL
from ...validation_engine.steps import CHECK_ORDER


class StrictBoolean(fields.Boolean):
    """true or false only: "yes", 1 or "false" are refused (a policy is not guessed)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean: write true or false.")
        return value


class FiniteFloat(fields.Float):
    """A JSON number that is finite (no NaN, no infinity, no string, no boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Not a valid number.")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValidationError("Must be a finite number.")
        return number


class PolicySettingsSchema(Schema):
    """The settings of one policy version: every field is required, none else is allowed."""

    class Meta:
        """Unknown settings are refused: a misspelt one would silently do nothing."""

        unknown = RAISE

    default_rtol = FiniteFloat(
        required=True,
        validate=validate.Range(
            min=0,
            max=MAX_RTOL,
            min_inclusive=False,
            error=f"Must be greater than 0 and at most {MAX_RTOL}: a looser tolerance would pass a changed model.",
        ),
        metadata={"description": "Relative tolerance of reference points that declare none (0 < x ≤ 0.1)."},
    )
    default_atol = FiniteFloat(
        required=True,
        validate=validate.Range(
            min=0,
            max=MAX_ATOL,
            error=f"Must be at least 0 and at most {MAX_ATOL}: one unit of −2 ln L is a 1σ shift.",
        ),
        metadata={"description": "Absolute tolerance (−2 ln L) of reference points that declare none."},
    )
    required_checks = fields.List(
        fields.String(
            validate=validate.OneOf(
                CHECK_ORDER, error="Unknown check {input!r}; known: " + ", ".join(CHECK_ORDER)
            )
        ),
        required=True,
        metadata={"description": "Checks that must run: skipped or missing fails the model."},
    )
    accept_needs_review = StrictBoolean(
        required=True,
        metadata={"description": "Whether a needs_review model may be accepted without an override."},
    )
    patch_points_must_be_finite = StrictBoolean(
        required=True,
        metadata={"description": "Whether a flagged (non-finite) signal point fails the model."},
    )

    @validates_schema
    def no_repeated_checks(self, data, **kwargs):
        """A check named twice is a typo somewhere."""
        checks = data.get("required_checks") or []
        if len(set(checks)) != len(checks):
            raise ValidationError("A check is named more than once.", "required_checks")


class TrimmedString(fields.String):
    """A string without the spaces around it (a reason of blanks is no reason)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def reason_field(minimum):
    """The written reason of a change: required, at least ``minimum`` characters."""
    return TrimmedString(
        required=True,
        validate=validate.Length(
            min=minimum, max=2000, error=f"Write why (between {minimum} and 2000 characters)."
        ),
    )


def update_schema(minimum_reason):
    """``{"settings": {...}, "reason": "..."}``: settings not given keep their current value."""
    return Schema.from_dict(
        {
            "settings": fields.Dict(required=True),
            "reason": reason_field(minimum_reason),
        },
        name="PolicyUpdateSchema",
    )(unknown=RAISE)


def reason_schema(minimum_reason):
    """``{"reason": "..."}`` of a restore."""
    return Schema.from_dict({"reason": reason_field(minimum_reason)}, name="PolicyReasonSchema")(
        unknown=RAISE
    )
