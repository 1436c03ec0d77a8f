"""Citations of a model say what it is: "[Statistical model]", not "[Dataset]".

The model resource type maps to the CSL type ``dataset`` (CSL has no type for a
statistical model), which APA prints as "[Dataset]". CSL's ``genre`` variable names
the kind of work instead; here it is the title of a model's resource type. The
serializers are InvenioRDM's with this schema: the citation box of the landing page
(``text/x-bibliography``), the CSL JSON of the REST API and the CSL export.
"""

from flask_resources import BaseListSchema, ResponseHandler
from invenio_app_rdm.config import APP_RDM_RECORD_EXPORTERS as RDM_RECORD_EXPORTERS
from invenio_rdm_records.resources.config import record_serializers
from invenio_rdm_records.resources.serializers import CSLJSONSerializer, StringCitationSerializer
from invenio_rdm_records.resources.serializers.csl.schema import CSLJSONSchema
from marshmallow import fields, missing

from ..custom_fields.config import MODEL_RESOURCE_TYPE

CSL_JSON = "application/vnd.citationstyles.csl+json"
BIBLIOGRAPHY = "text/x-bibliography"


class ModelCSLJSONSchema(CSLJSONSchema):
    """InvenioRDM's CSL JSON with the ``genre`` of a model: its resource type's title."""

    genre = fields.Method("get_genre")

    def get_genre(self, obj):
        """The English title of a model's resource type (a citation is written in one language)."""
        resource_type = (obj.get("metadata") or {}).get("resource_type") or {}
        if resource_type.get("id") != MODEL_RESOURCE_TYPE:
            return missing
        return (resource_type.get("title") or {}).get("en") or missing


def _with_model_schema(serializer):
    """The serializer, dumping with ModelCSLJSONSchema (and InvenioRDM's dumpers of the schema)."""
    serializer.object_schema = ModelCSLJSONSchema(dumpers=serializer.object_schema.dumpers)
    serializer.list_schema = BaseListSchema(object_schema_cls=ModelCSLJSONSchema)
    return serializer


class ModelCSLJSONSerializer(CSLJSONSerializer):
    """CSL JSON of a record, a model's with its genre."""

    def __init__(self, **options):
        """InvenioRDM's serializer with the model schema."""
        super().__init__(**options)
        _with_model_schema(self)


class ModelCitationSerializer(StringCitationSerializer):
    """Formatted citation of a record, a model's with its genre."""

    def __init__(self, url_args_retriever, **options):
        """InvenioRDM's serializer with the model schema."""
        super().__init__(url_args_retriever, **options)
        _with_model_schema(self)


MODEL_CITATION_SERIALIZERS = {
    CSL_JSON: ResponseHandler(ModelCSLJSONSerializer(), headers=record_serializers[CSL_JSON].headers),
    BIBLIOGRAPHY: ResponseHandler(
        ModelCitationSerializer(
            url_args_retriever=record_serializers[BIBLIOGRAPHY].serializer.url_args_retriever
        ),
        headers=record_serializers[BIBLIOGRAPHY].headers,
    ),
}
"""InvenioRDM's CSL entries of RDM_RECORDS_SERIALIZERS, model-aware."""
MODEL_CSL_EXPORTER = {
    **RDM_RECORD_EXPORTERS["csl"],
    "serializer": "demos_registry.records_ui.citation:ModelCSLJSONSerializer",
}
"""InvenioRDM's CSL entry of APP_RDM_RECORD_EXPORTERS, model-aware."""
