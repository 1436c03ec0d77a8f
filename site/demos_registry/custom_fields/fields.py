"""Custom field types of DEMOS metadata that Invenio does not ship.

Each is a ``BaseCF``: a marshmallow field for loading/validation and a search
mapping, following the nested fields of invenio-rdm-records' ``contrib`` package.
"""

from functools import cached_property

from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_records_resources.services.custom_fields import BaseCF
from invenio_vocabularies.services.custom_fields import VocabularyCF
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from marshmallow_utils.fields import SanitizedUnicode

from .validators import (
    IDENTIFIER_CHECKS,
    finite_number,
    identifier_for_scheme,
    non_negative,
)

DOUBLE = {"type": "double"}
KEYWORD = {"type": "keyword"}


class Number(fields.Float):
    """A float that rejects NaN/inf and booleans (``true`` is not a number)."""

    def __init__(self, **kwargs):
        """Add the finiteness check to any given validators."""
        validators = kwargs.pop("validate", None) or [finite_number]
        super().__init__(validate=validators, allow_nan=False, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class ReferencePointSchema(Schema):
    """−2 ln L expected at one parameter point, within atol + rtol·|expected|."""

    label = SanitizedUnicode()
    parameters = fields.Dict(keys=SanitizedUnicode(), values=Number(), required=True)
    expected = Number(required=True)
    rtol = Number(validate=[non_negative])
    atol = Number(validate=[non_negative])


class ExpectedOutputsSchema(Schema):
    """Results of a fit the model must reproduce, when the authors declare them."""

    best_fit = fields.Dict(keys=SanitizedUnicode(), values=Number())
    twice_nll_at_best_fit = Number()
    upper_limit = Number()
    upper_limit_cls = Number(validate=[validate.Range(min=0, max=1, min_inclusive=False)])
    rtol = Number(validate=[non_negative])
    atol = Number(validate=[non_negative])


class ModelSelectionSchema(Schema):
    """Which file (and patch, measurement) the reference points refer to."""

    file = SanitizedUnicode()
    patch = SanitizedUnicode()
    measurement = SanitizedUnicode()


class ExternalReferenceSchema(Schema):
    """A link to where the model comes from or is described."""

    scheme = SanitizedUnicode(required=True, validate=validate.OneOf(sorted(IDENTIFIER_CHECKS)))
    identifier = SanitizedUnicode(required=True, validate=validate.Length(min=1, max=500))
    description = SanitizedUnicode(validate=validate.Length(max=500))

    @validates_schema
    def identifier_fits_scheme(self, data, **kwargs):
        """The identifier must be valid for its scheme."""
        if "scheme" in data and "identifier" in data:
            identifier_for_scheme(data)


class ChecksumSchema(Schema):
    """SHA-256 of one file of the record (written by the registry)."""

    key = SanitizedUnicode(required=True)
    sha256 = SanitizedUnicode(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size = fields.Integer()


class CheckedVocabularyCF(VocabularyCF):
    """A vocabulary field whose unknown ids are field errors, not a bare 400.

    Invenio finds an unknown id only when it resolves the relation on commit and
    then answers "Invalid value x." without saying which field; checking in the
    schema names the field like any other validation error.
    """

    @property
    def field(self):
        """Nested relation schema that checks the id exists in the vocabulary."""
        return fields.Nested(self._existing_entry_schema, many=self.multiple, **self._field_args)

    @cached_property
    def _existing_entry_schema(self):
        """The schema class, made once per field.

        Invenio builds the custom-field schema for every record it serialises, and a new
        class per record made a search page of ten hits ~3 times slower.
        """
        pid_field = self.pid_field
        vocabulary = self.vocabulary_id

        class ExistingEntrySchema(self.schema):
            @validates_schema
            def entry_exists(self, data, **kwargs):
                try:
                    pid_field.resolve(data.get("id"))
                except PIDDoesNotExistError:
                    raise ValidationError(
                        f"Unknown value {data.get('id')!r}: not in the {vocabulary} vocabulary.",
                        field_name="id",
                    ) from None

        return ExistingEntrySchema


class NestedCF(BaseCF):
    """A custom field holding one nested object, or a list of them."""

    def __init__(self, name, schema, properties, multiple=False, **kwargs):
        """Keep the schema, the search properties and the cardinality."""
        super().__init__(name, **kwargs)
        self._schema = schema
        self._properties = properties
        self._multiple = multiple

    @property
    def field(self):
        """Nested marshmallow field."""
        return fields.Nested(self._schema, many=self._multiple, **self._field_args)

    @property
    def mapping(self):
        """Object mapping with the given properties."""
        return {"type": "object", "properties": self._properties}


class SystemCF(BaseCF):
    """A field the registry writes; users' values are ignored (see components)."""

    def __init__(self, name, properties, **kwargs):
        """Keep the search properties of the stored object."""
        super().__init__(name, **kwargs)
        self._properties = properties

    @property
    def field(self):
        """Any JSON object: the registry is its only writer."""
        return fields.Raw()

    @property
    def mapping(self):
        """Object mapping with the given properties; the rest is stored, not indexed."""
        return {"type": "object", "dynamic": False, "properties": self._properties}


REFERENCE_POINT_PROPERTIES = {
    "label": KEYWORD,
    "parameters": {"type": "object", "enabled": False},
    "expected": DOUBLE,
    "rtol": DOUBLE,
    "atol": DOUBLE,
}
EXPECTED_OUTPUTS_PROPERTIES = {
    "best_fit": {"type": "object", "enabled": False},
    "twice_nll_at_best_fit": DOUBLE,
    "upper_limit": DOUBLE,
    "upper_limit_cls": DOUBLE,
    "rtol": DOUBLE,
    "atol": DOUBLE,
}
MODEL_SELECTION_PROPERTIES = {"file": KEYWORD, "patch": KEYWORD, "measurement": KEYWORD}
EXTERNAL_REFERENCE_PROPERTIES = {
    "scheme": KEYWORD,
    "identifier": KEYWORD,
    "description": {"type": "text"},
}
CHECKSUM_PROPERTIES = {"key": KEYWORD, "sha256": KEYWORD, "size": {"type": "long"}}
VALIDATION_PROPERTIES = {
    "status": KEYWORD,
    "updated": {"type": "date"},
    "overridden": {"type": "boolean"},
    "engines": {"type": "object", "dynamic": True},
}
