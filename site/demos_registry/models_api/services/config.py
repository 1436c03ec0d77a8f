"""Configuration of the models service: its permission policy, result classes and link templates."""

from typing import ClassVar

from invenio_records_resources.services.base.config import ConfiguratorMixin, FromConfig, ServiceConfig

from .permissions import ModelsPermissionPolicy
from .results import ModelItem, ModelLink, ModelList


class ModelsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """The models service over InvenioRDM's records service."""

    service_id = "demos-models"
    permission_policy_cls = ModelsPermissionPolicy
    result_item_cls = ModelItem
    result_list_cls = ModelList

    removal_reason = FromConfig("DEMOS_MODELS_API_REMOVAL_REASON", default="retracted")
    """Removal reason (``removalreasons`` vocabulary) of a deletion that names none."""

    conversion_max_bytes = FromConfig("DEMOS_MODELS_API_CONVERSION_MAX_BYTES", default=50 * 1024 * 1024)
    """Largest model file ``/file?format=`` translates (it is parsed in the web process)."""

    lineage_max_points = FromConfig("DEMOS_MODELS_API_LINEAGE_MAX_POINTS", default=500)
    """Most signal points a lineage graph shows as nodes (the rest are counted in ``truncated``)."""

    lineage_max_versions = FromConfig("DEMOS_MODELS_API_LINEAGE_MAX_VERSIONS", default=100)
    """Most versions a lineage graph shows (the newest)."""

    links_item: ClassVar[dict] = {
        "self": ModelLink("{+api}/models/{id}"),
        "html": ModelLink("{+ui}/records/{id}"),
        "record": ModelLink("{+api}/records/{id}"),
        "file": ModelLink("{+api}/models/{id}/file"),
        "metadata": ModelLink("{+api}/models/{id}/metadata"),
        "validate": ModelLink("{+api}/models/{id}/validate"),
        "validation": ModelLink("{+api}/models/{id}/validation"),
        "visualize": ModelLink("{+api}/models/{id}/visualize"),
        "lineage": ModelLink("{+api}/models/{id}/lineage"),
    }
    links_validation: ClassVar[dict] = {
        "model": ModelLink("{+api}/models/{id}"),
        "validation": ModelLink("{+api}/models/{id}/validation"),
    }
    links_translation: ClassVar[dict] = {
        "model": ModelLink("{+api}/models/{id}"),
        "translation": ModelLink("{+api}/models/{id}/translation"),
        "hs3": ModelLink("{+api}/models/{id}/file?format=hs3"),
        "pyhf": ModelLink("{+api}/models/{id}/file?format=pyhf"),
    }
    links_status_record: ClassVar[dict] = {
        "self": ModelLink("{+api}/models/{id}"),
        "html": ModelLink("{+ui}/records/{id}"),
        "validation": ModelLink("{+api}/models/{id}/validation"),
    }
    links_validation_queued: ClassVar[dict] = {"validation": ModelLink("{+api}/models/{id}/validation")}
