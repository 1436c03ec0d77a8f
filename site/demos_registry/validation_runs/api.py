"""Run the validation engine on a draft or record and keep its verdict on it.

The heavy work happens in a Celery task (tasks.py) that calls ``run_validation``;
the engine itself evaluates untrusted files in a sandboxed child process with
CPU, memory and wall-clock limits, so a hostile model ends as a failed check.
The figures follow the verdict in a task of their own (figures.py) and become media
files of the draft or record (plots.py).
Each verdict is judged under the validation policy of the model's domain community
(validation_policies/): its default tolerances go to the engine, its required checks
and finiteness rule judge the report, and the verdict names the policy version.
``demos:validation`` is written here directly on the record: it is a system
field that no service call from a user may touch (see custom_fields/components).
"""

import copy
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from celery import current_app as current_celery
from flask import current_app
from invenio_db import db
from invenio_rdm_records.proxies import current_rdm_records_service
from invenio_rdm_records.records.api import RDMDraft, RDMRecord

from ..custom_fields.config import SYSTEM_FIELDS
from ..row_lock import locked_current
from ..validation_engine.api import deferred_patch_points, validate_for_task
from ..validation_policies.api import engine_tolerances, judge, policy_for_record, same_policy
from .content_cache import known_report, remember_report, result_key
from .plots import replace_figures
from .state import (
    FAILED,
    PENDING,
    REPORT_STATUS,
    RUNNING,
    VALIDATION,
    current,
    system_actor,
    transition,
)

ENGINE_FORMAT = {
    "pyhf-json": "pyhf",
    "pyhf-patchset": "pyhf",
    "hs3-json": "hs3",
    "root-workspace": "root",
}
"""Registry format vocabulary id → the engine's format family."""

VALIDATED_FIELDS = (
    "demos:reference_points",
    "demos:expected_outputs",
    "demos:model_selection",
    "demos:engine",
    "demos:format",
)
"""A change to any of these (or to the files) makes the last verdict stale."""


def load(recid, draft):
    """The draft or published record of an id, its row locked until the transaction ends.

    Every write of ``demos:validation`` is a read-modify-write of the whole record
    JSON, done here and in the web process (uploads, edits). The row lock makes them
    take turns instead of failing with a stale version (see ``lock_fresh``).
    """
    if draft:
        return locked_current(RDMDraft.pid.resolve(recid, registered_only=False))
    return locked_current(RDMRecord.pid.resolve(recid))


def lock_fresh(record):
    """Lock a record loaded by a service call and take the newest system fields and media files.

    A validation task may have written the record since the service loaded it;
    committing the loaded copy would fail (stale version) or put an old verdict back.
    The figures of a verdict are media files written by a task of their own (figures.py):
    a loaded copy's ``media_files.enabled`` may say "none" while the bucket has them, and
    Invenio's media component then refuses the save ("delete all files to set the record
    to be metadata-only", shown by the deposit form) or a commit hides the figures.
    The lock also keeps a running task from writing until this transaction ends.
    """
    fresh = locked_current(record)
    custom_fields = record.setdefault("custom_fields", {})
    for name in SYSTEM_FIELDS:
        if name in fresh.get("custom_fields", {}):
            custom_fields[name] = fresh["custom_fields"][name]
        else:
            custom_fields.pop(name, None)
    if "media_files" in fresh:
        record["media_files"] = fresh["media_files"]
    # The files field caches its manager on the record; drop it so the next read loads the
    # committed entries (invenio-records-resources' FilesField offers no public reload).
    type(record).media_files._set_cache(record, None)
    return fresh


def save(record, draft):
    """Commit the record and reindex it so search and facets see the new state.

    What is indexed is read again after the commit: the parent loaded with ``record`` may
    predate another writer's commit (a community inclusion while a figures task ran).
    """
    record.commit()
    db.session.commit()
    indexer = current_rdm_records_service.draft_indexer if draft else current_rdm_records_service.indexer
    indexer.index(type(record).get_record(record.id))


def engine_metadata(record, policy=None):
    """The DEMOS metadata the engine needs, from the record's custom fields.

    The default tolerances of reference points that declare none come from the
    validation policy the record is judged under (``policy``, else its current one).
    """
    fields = record.get("custom_fields", {})
    policy = policy or policy_for_record(record)
    metadata = {
        "tolerances": engine_tolerances(policy),
        "reference_points": fields.get("demos:reference_points", []),
        "checksums": {c["key"]: c["sha256"] for c in fields.get("demos:checksums", [])},
        "engine": fields.get("demos:engine", {}).get("id"),
        "format": ENGINE_FORMAT.get(fields.get("demos:format", {}).get("id")),
    }
    if fields.get("demos:expected_outputs"):
        metadata["expected_outputs"] = fields["demos:expected_outputs"]
    if fields.get("demos:model_selection"):
        metadata["model"] = fields["demos:model_selection"]
    return metadata


def stage_files(record, folder):
    """Copy the record's files out of storage (local or S3) into folder."""
    paths = []
    Path(folder).mkdir(parents=True, exist_ok=True)
    for key, file_record in sorted(record.files.items()):
        if file_record.file is None:  # initialised, content not uploaded yet
            continue
        target = Path(folder) / Path(key).name
        with file_record.file.storage().open() as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
        paths.append(str(target))
    return paths


MAX_STORED_DETAILS = 16_000
"""Bytes of a check's details kept on the record (an archive's member list can be 250 kB)."""


def compact(report):
    """The report without oversized details: records stay light to index and serve."""
    for check in report.get("checks", []):
        size = len(json.dumps(check.get("details", {})))
        if size > MAX_STORED_DETAILS:
            check["details"] = {"omitted": f"{size} bytes of details; run demos-validate for all of them"}
    return report


def validation_limits():
    """Sandbox limits from config (DEMOS_VALIDATION_LIMITS), engine defaults otherwise."""
    return current_app.config.get("DEMOS_VALIDATION_LIMITS")


def inputs_fingerprint(record):
    """What a verdict was computed from: the files' checksums and the validated fields."""
    fields = record.get("custom_fields", {})
    inputs = {name: fields.get(name) for name in VALIDATED_FIELDS}
    inputs["files"] = sorted((c["key"], c["sha256"]) for c in fields.get("demos:checksums", []))
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def reuse_verdict(draft, previous, reason):
    """Give a new version the verdict of the previous one if its inputs are identical; True if reused.

    Identical means the same files (by SHA-256) and the same validated fields, judged
    under the validation policy version that applies now; only the engine's verdict is
    taken (a curator's override of the previous version is not).
    """
    state = current(previous)
    fingerprint = inputs_fingerprint(draft)
    report = state.get("report")
    if not report or state.get("inputs") != fingerprint or report.get("status") not in REPORT_STATUS:
        return False
    policy = policy_for_record(draft)
    if not same_policy(state, policy):
        return False
    transition(
        draft,
        REPORT_STATUS[report["status"]],
        system_actor(),
        f"{reason}: identical files and options, so the results of its validation were reused "
        f"(judged under {policy.describe()})",
        report=report,
        engines=state.get("engines", {}),
        inputs=fingerprint,
        reused_from=str(previous.pid.pid_value),
        policy=policy.reference,
    )
    return True


def run_validation(recid, draft=True):
    """Validate a draft (or record) now; returns the new validation state.

    A verdict is stored only if the inputs did not change while the engine ran:
    a newer validation, queued by that change, will give the verdict instead. It is
    judged under the policy that applied when the run started, and names it.
    """
    record = load(recid, draft)
    fingerprint = inputs_fingerprint(record)
    state = current(record)
    if state.get("status") not in (PENDING, RUNNING) and state.get("inputs") == fingerprint:
        # Queued by a change that a run started later has judged already (two uploads in a
        # row queue two runs; the first to start sees both files): nothing new to validate.
        db.session.rollback()
        return state
    policy = policy_for_record(record)
    transition(record, RUNNING, system_actor(), "validation started")
    save(record, draft)

    workdir = Path(tempfile.mkdtemp(prefix="demos-validation-"))
    try:
        report, reused = engine_report(record, fingerprint, policy, workdir)

        record = load(recid, draft)
        if inputs_fingerprint(record) != fingerprint:
            return current(record)
        if report is None:
            state = transition(
                record,
                FAILED,
                system_actor(),
                "the record has no files to validate",
                policy=policy.reference,
            )
        else:
            # The figures of the last verdict go; this verdict's follow (figures.py).
            replace_figures(record, [], current(record).get("report", {}).get("plots", []))
            deferred = deferred_patch_points(report)
            not_fanned_out = deferred and why_points_stay_unevaluated(deferred)
            changed_by_policy = judge(report, policy)
            if deferred and not not_fanned_out:
                # The chord's merge recomputes the status from these checks, so required checks
                # are judged already; the state names the policy of the run in progress.
                record["custom_fields"][VALIDATION] = {**current(record), "policy": policy.reference}
                save(record, draft)
                from .patch_points import fan_out  # the chord's tasks import this module

                fan_out(recid, draft, fingerprint, report, deferred)
                return current(load(recid, draft))
            status = REPORT_STATUS[report["status"]]
            reason = report.get("error") or f"{len(report['checks'])} checks: {report['status']}"
            if reused:
                reason += f" (the engine's results of {reused}: the same files, options and engine)"
            if not_fanned_out:
                reason += f"; {deferred} signal points not evaluated: {not_fanned_out}"
            reason += f" under {policy.describe()}"
            if changed_by_policy:
                reason += f" ({'; '.join(changed_by_policy)})"
            state = transition(
                record,
                status,
                system_actor(),
                reason,
                report=compact(report),
                engines=report.get("engines", {}),
                inputs=fingerprint,
                policy=policy.reference,
            )
        save(record, draft)
        if report is not None:
            from .figures import draw_figures  # the task's module imports this one

            draw_figures.delay(recid, draft, fingerprint)
        return state
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def engine_report(record, fingerprint, policy, workdir):
    """(the engine's report, when it was computed if reused): None for a record without files.

    A report is computed once per content (``content_cache.result_key``); the same files with
    the same fields, options and engine — copies of a model, a re-queued run — reuse it.
    """
    inline_points = current_app.config["DEMOS_VALIDATION_INLINE_PATCH_POINTS"]
    metadata, limits = engine_metadata(record, policy), validation_limits()
    key = result_key(
        fingerprint, {"metadata": metadata, "limits": limits, "inline_patch_points": inline_points}
    )
    known = known_report(key)
    if known is not None:
        report, computed = known
        return copy.deepcopy(report), f"{computed:%Y-%m-%d %H:%M} UTC"
    paths = stage_files(record, workdir / "files")
    if not paths:
        return None, None
    report = validate_for_task(paths, metadata, limits, inline_patch_points=inline_points)
    remember_report(key, report)
    return report, None


def why_points_stay_unevaluated(count):
    """Why the deferred signal points of a run are not sent to the workers (None: they are)."""
    most = current_app.config["DEMOS_VALIDATION_MAX_PATCH_POINTS"]
    if most is not None and count > most:
        return f"more than the {most} this registry evaluates (DEMOS_VALIDATION_MAX_PATCH_POINTS)"
    if current_celery.conf.task_always_eager:
        return (
            "tasks ran in this process, with no worker to share them out "
            "('invenio demos revalidate' queues them for the workers)"
        )
    return None


def fail_validation(recid, draft, reason):
    """End a validation that could not finish as failed, with the reason."""
    record = load(recid, draft)
    if current(record).get("status") in (PENDING, RUNNING):
        transition(record, FAILED, system_actor(), reason)
        save(record, draft)


def wait_for_verdict(recid, timeout, interval=0.5):
    """Wait (bounded) until a draft's validation has finished; returns its status."""
    deadline = time.monotonic() + timeout
    while True:
        status = current(load(recid, True)).get("status")
        # End the read (and its row lock) before waiting: the worker needs the row to give the verdict.
        db.session.rollback()
        if status not in (PENDING, RUNNING) or time.monotonic() >= deadline:
            return status
        time.sleep(interval)


def _canonical(value):
    """A vocabulary entry by its id: a stored record carries its dereferenced title, a form sends the id."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    return value


def inputs_changed(previous_fields, new_fields):
    """True when a field the verdict depends on differs."""
    return any(
        _canonical(previous_fields.get(name)) != _canonical(new_fields.get(name)) for name in VALIDATED_FIELDS
    )
