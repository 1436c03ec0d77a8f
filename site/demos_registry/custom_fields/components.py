"""Service component keeping the registry's own DEMOS fields in its hands.

- ``demos:checksums`` and ``demos:validation`` are written by the registry (the
  validation tasks); a user's value for them is replaced by the stored one. So is
  ``media_files.enabled``: the media files hold the validation's figures, and a
  deposit form saved with a stale value must not switch them off (or on, empty).
- ``demos:model_id`` identifies a model across its versions: assigned once when
  missing, carried into new versions, and never changed afterwards.
- an invalid DEMOS value refuses the whole save with a 400 naming the field,
  where Invenio would keep the draft and silently drop the value: a model must
  never be published without what its author meant to declare.
- subjects and related identifiers are derived from the DEMOS fields (derived.py).
- a record of resource type ``model`` is published only with domain, engine and
  format (drafts may be saved without them, as Invenio drafts may), and only with a
  verdict that allows it: a ``needs_review`` one only where the validation policy of
  its domain community accepts it (validation_policies/), else after an override.
"""

import hashlib
import uuid
from typing import ClassVar

from invenio_drafts_resources.services.records.components import ServiceComponent
from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_rdm_records.services.components import CustomFieldsComponent
from invenio_records_resources.services.files.components import FileServiceComponent
from invenio_records_resources.services.uow import RecordCommitOp
from invenio_vocabularies.records.api import Vocabulary
from marshmallow import ValidationError

from ..validation_policies.api import needs_review_refusal
from ..validation_runs.api import inputs_changed, lock_fresh, reuse_verdict
from ..validation_runs.state import (
    FINISHED,
    PUBLISHABLE,
    current,
    failed_reasons,
    user_actor,
)
from ..validation_runs.tasks import request_validation
from .config import MODEL_RESOURCE_TYPE, SYSTEM_FIELDS
from .derived import apply_derived_metadata
from .validators import file_name

MODEL_ID = "demos:model_id"
CHUNK_SIZE = 1024 * 1024
DEMOS_ERROR_PREFIX = "custom_fields.demos:"
REQUIRED_FOR_MODELS = ("demos:domain", "demos:engine", "demos:format")
"""What a harvester, a curator and the validation need to know about every model."""


def vocabulary_title(vocabulary, id_):
    """English title of a vocabulary entry, None if it does not exist."""
    try:
        return Vocabulary.pid.with_type_ctx(vocabulary).resolve(id_)["title"].get("en")
    except PIDDoesNotExistError:
        return None


def refuse_invalid_demos_values(errors):
    """Raise the DEMOS field errors of a lenient draft load as a validation error."""
    messages = {}
    for error in errors or []:
        if not error["field"].startswith(DEMOS_ERROR_PREFIX):
            continue
        *parents, leaf = error["field"].split(".")
        node = messages
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = error["messages"]
    if messages:
        raise ValidationError(messages)


def refuse_unvalidated(state):
    """Raise unless the validation verdict allows publication."""
    status = state.get("status")
    if status in PUBLISHABLE:
        return
    if status in FINISHED:
        reasons = failed_reasons(state) or [state.get("history", [{}])[-1].get("reason", "")]
        message = (
            "Validation failed: "
            + "; ".join(reasons)
            + (". Fix the model or its reference points, or ask a curator to override with a reason.")
        )
    else:
        message = "Validation has not finished yet (status: %s); try again in a moment." % (
            status or "not started"
        )
    raise ValidationError({"custom_fields": {"demos:validation": [message]}})


class DemosFieldsComponent(ServiceComponent):
    """Protect system-written fields, keep the model id stable, complete models."""

    def _keep_system_fields(self, data, previous):
        data.pop("media_files", None)
        custom_fields = data.setdefault("custom_fields", {})
        for name in SYSTEM_FIELDS:
            custom_fields.pop(name, None)
            if name in previous:
                custom_fields[name] = previous[name]

    def _keep_model_id(self, data, previous):
        custom_fields = data.setdefault("custom_fields", {})
        if previous.get(MODEL_ID):
            custom_fields[MODEL_ID] = previous[MODEL_ID]
        elif not custom_fields.get(MODEL_ID):
            custom_fields[MODEL_ID] = str(uuid.uuid4())

    def _derive_metadata(self, data, previous):
        if "metadata" in data:
            apply_derived_metadata(
                data["metadata"], previous, data.get("custom_fields", {}), vocabulary_title
            )

    def create(self, identity, data=None, record=None, errors=None, **kwargs):
        """New drafts: valid DEMOS values, no system values, a model id."""
        refuse_invalid_demos_values(errors)
        self._keep_system_fields(data, {})
        self._keep_model_id(data, {})
        self._derive_metadata(data, {})

    def update_draft(self, identity, data=None, record=None, errors=None, **kwargs):
        """Edits: valid DEMOS values; the stored system values and model id stay."""
        refuse_invalid_demos_values(errors)
        lock_fresh(record)
        previous = dict(record.get("custom_fields", {}))
        self._keep_system_fields(data, previous)
        self._keep_model_id(data, previous)
        self._derive_metadata(data, previous)
        if record.files.entries and inputs_changed(previous, data.get("custom_fields", {})):
            data["custom_fields"]["demos:validation"] = self._pending(
                identity, record, "DEMOS metadata changed"
            )

    def _pending(self, identity, record, reason):
        """Queue a validation and return the pending state to store with the data."""
        request_validation(record, user_actor(identity), reason, self.uow)
        return record["custom_fields"]["demos:validation"]

    def publish(self, identity, draft=None, record=None, **kwargs):
        """A model is published complete and with a verdict that allows it."""
        if draft.get("metadata", {}).get("resource_type", {}).get("id") != MODEL_RESOURCE_TYPE:
            return
        # Invenio's CustomFieldsComponent and media files component then copy what is fresh.
        lock_fresh(draft)
        custom_fields = draft.get("custom_fields", {})
        missing = {
            name: ["Missing data for required field."]
            for name in REQUIRED_FOR_MODELS
            if not custom_fields.get(name)
        }
        if missing:
            raise ValidationError({"custom_fields": missing})
        if draft.files.entries:
            refuse_unvalidated(current(draft))
            refusal = needs_review_refusal(draft)
            if refusal:
                raise ValidationError({"custom_fields": {"demos:validation": [refusal]}})


class DemosCustomFieldsComponent(CustomFieldsComponent):
    """Invenio's custom fields copy, minus what belongs to the files of one version.

    A new version starts without files (until they are imported or uploaded), so
    without their checksums and without the previous version's verdict; it keeps
    the model id, which names the model across its versions.
    """

    new_version_skip_fields: ClassVar[list] = list(SYSTEM_FIELDS)
    new_version_generated_fields: ClassVar[dict] = {
        MODEL_ID: lambda draft, record: record.get("custom_fields", {}).get(MODEL_ID) or str(uuid.uuid4()),
    }


class ImportedFilesValidationComponent(ServiceComponent):
    """A new version's files imported from the previous version are validated like an upload.

    Runs after Invenio's files component has imported them. The previous verdict is
    reused only when files and validated fields are identical, and the trail says so.
    """

    def import_files(self, identity, draft=None, record=None, **kwargs):
        """Take the imported files' checksums, then reuse the verdict or queue a validation."""
        imported = set(draft.files.entries)
        checksums = record.get("custom_fields", {}).get("demos:checksums", [])
        draft.setdefault("custom_fields", {})["demos:checksums"] = [
            c for c in checksums if c["key"] in imported
        ]
        if not imported:
            return
        source = record.pid.pid_value
        if not reuse_verdict(draft, record, f"files imported from version {source}"):
            request_validation(draft, user_actor(identity), f"files imported from version {source}", self.uow)


class FileNameComponent(FileServiceComponent):
    """File keys are plain file names: a key is a name on every download and in every export.

    Invenio accepts any string (``../../etc/passwd``, NUL characters that PostgreSQL then
    refuses with a 500, names no file system can hold); this refuses them with a 400.
    """

    def init_files(self, identity, id_, record, data):
        """Check every key before any file entry is created."""
        for entry in data:
            try:
                file_name(entry.get("key"))
            except ValidationError as error:
                raise ValidationError({"key": error.messages}) from error


class DraftRowLockComponent(FileServiceComponent):
    """A file commit locks the draft row before it writes the file's row.

    Writing a file row also locks the draft row it refers to (key share, through the
    foreign key); FileChecksumComponent then locks that row for update. Two files committed
    at once (the deposit form uploads in parallel) each held the first lock and waited for
    the other's: PostgreSQL aborted one ("deadlock detected") and the form showed a failed
    upload. Taking the update lock first makes concurrent commits of one draft take turns.
    Listed before Invenio's file components (``RDM_DRAFT_FILES_SERVICE_COMPONENTS``).
    """

    def commit_file(self, identity, id_, file_key, record):
        """Lock the draft row (and take the newest validation fields) before the commit writes."""
        lock_fresh(record)


class FileChecksumComponent(FileServiceComponent):
    """SHA-256 of every committed draft file, kept in ``demos:checksums``.

    Invenio records MD5 only; DEMOS promises SHA-256 (seed: "Checksum-Verifizierung
    (SHA-256)"), shown to uploader, curator and harvester and verified by validation.
    """

    def commit_file(self, identity, id_, file_key, record):
        """Hash the stored content of the file just committed, then validate again."""
        lock_fresh(record)
        digest = hashlib.sha256()
        file_instance = record.files[file_key].file
        with file_instance.storage().open() as stream:
            for chunk in iter(lambda: stream.read(CHUNK_SIZE), b""):
                digest.update(chunk)
        self._set(
            record, file_key, {"key": file_key, "sha256": digest.hexdigest(), "size": file_instance.size}
        )
        request_validation(record, user_actor(identity), f"file {file_key} uploaded", self.uow)
        self.uow.register(RecordCommitOp(record))

    def delete_file(self, identity, id_, file_key, record, deleted_file):
        """Forget the checksum of a deleted file; what remains is validated again."""
        lock_fresh(record)
        self._set(record, file_key, None)
        if record.files.entries:
            request_validation(record, user_actor(identity), f"file {file_key} deleted", self.uow)
        self.uow.register(RecordCommitOp(record))

    def _set(self, record, file_key, checksum):
        custom_fields = record.setdefault("custom_fields", {})
        checksums = [c for c in custom_fields.get("demos:checksums", []) if c["key"] != file_key]
        if checksum:
            checksums.append(checksum)
        custom_fields["demos:checksums"] = sorted(checksums, key=lambda c: c["key"])
