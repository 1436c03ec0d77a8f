"""The figures of a validation, kept as media files of the draft or record they describe.

The engine draws every figure as PNG, SVG and a small PNG thumbnail into a work folder.
They are stored as InvenioRDM *media files* (a bucket apart from the model files, which
users cannot change on a published record), so that RDM carries them along like any
media file: the draft's media bucket becomes the record's on publish, an edit copies
them into the draft and syncs them back. A new verdict replaces the figures of the last
one, so the figures always belong to the report stored beside them; earlier verdicts
stay in the decision trail.
"""

import json
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from invenio_files_rest.models import ObjectVersion

from ..validation_engine.point_results import CHECK_ID as POINT_CHECK_ID

THUMBNAIL_SUFFIX = ".thumb.png"
YIELDS_PREFIX = "yields_"
SCAN_STEM = "scan"


def describe(stem, folder):
    """(kind, caption) of a figure from the name the engine gave it."""
    if stem == SCAN_STEM:
        scan_data = folder / f"{SCAN_STEM}.json"
        if scan_data.is_file():
            scan = json.loads(scan_data.read_text())
            return (
                "likelihood_scan",
                f"Profile likelihood scan of {scan['poi']} (best fit {scan['best_fit']:.4g})",
            )
        return "likelihood_scan", "Profile likelihood scan of the parameter of interest"
    if stem.startswith(YIELDS_PREFIX):
        return "prefit_yields", f"Pre-fit yields of channel {stem[len(YIELDS_PREFIX) :]}"
    return "figure", stem


def figures_of(paths):
    """One entry per figure drawn: media-file keys of its PNG, SVG and thumbnail, kind and caption."""
    files = {Path(path).name: Path(path) for path in paths}
    figures = []
    for name, path in sorted(files.items()):
        if not name.endswith(".png") or name.endswith(THUMBNAIL_SUFFIX):
            continue
        stem = name.removesuffix(".png")
        kind, caption = describe(stem, path.parent)
        figure = {"key": name, "kind": kind, "caption": caption}
        for variant, file_name in (("svg", f"{stem}.svg"), ("thumbnail", f"{stem}{THUMBNAIL_SUFFIX}")):
            if file_name in files:
                figure[variant] = file_name
        figures.append(figure)
    return figures


def figure_keys(figures):
    """The media-file keys of figures (entries of an older report that are not figures are left out)."""
    return {
        figure[variant]
        for figure in figures
        if isinstance(figure, dict)
        for variant in ("key", "svg", "thumbnail")
        if figure.get(variant)
    }


def replace_figures(record, paths, previous_figures):
    """Store the figures drawn in paths as media files of record, dropping the previous ones.

    Returns the figure entries for the report.
    """
    figures = figures_of(paths)
    new_keys = figure_keys(figures)
    old_keys = figure_keys(previous_figures)
    if not (new_keys or old_keys):
        return figures
    files = {Path(path).name: path for path in paths}
    write_media_files(record, {key: files[key] for key in new_keys}, old_keys - new_keys)
    return figures


def add_media_files(record, paths):
    """Store files the validation wrote besides its figures (e.g. tables) as media files."""
    write_media_files(record, {Path(path).name: path for path in paths}, set())


def write_media_files(record, sources_by_key, removed_keys):
    """Write and remove media files of a record as the system.

    ``sources_by_key`` maps each key to a file to store, or to the id of a stored file to share.

    A published record's media bucket is locked (its media-file service refuses every
    write), so it is unlocked for the change and locked again.
    """
    if not (sources_by_key or removed_keys):
        return
    media = record.media_files
    if media.bucket is None:  # records made before media files existed, as RDM itself allows
        media.create_bucket()
    was_locked = media.bucket.locked
    media.unlock()
    media.enabled = True
    for key in sorted(sources_by_key):
        source = sources_by_key[key]
        if isinstance(source, (str, Path)):
            with open(source, "rb") as stream:
                media[key] = stream
        else:  # the id of a stored file drawn for identical content: shared, as RDM shares files between versions
            media[key] = ObjectVersion.create(media.bucket, key, _file_id=source)
    for key in sorted(removed_keys):
        if key in media:
            media.delete(key, remove_rf=True)
    media.enabled = len(media) > 0
    if was_locked:
        media.lock()


def media_files_url(record_id, published):
    """The media-files API of a record (or of its draft), as RDM's own links spell it."""
    draft = "" if published else "/draft"
    return f"{current_app.config['SITE_API_URL']}/records/{record_id}{draft}/media-files"


def with_content_urls(figures, base_url):
    """The figures of a report with the content URLs of their media files."""
    linked = []
    for figure in figures:
        if isinstance(figure, dict):
            figure = dict(figure)
            for variant in ("key", "svg", "thumbnail"):
                if figure.get(variant):
                    url_name = "url" if variant == "key" else f"{variant}_url"
                    figure[url_name] = f"{base_url}/{quote(figure[variant])}/content"
        linked.append(figure)
    return linked


def signal_points_view(report, base_url):
    """The signal-point check of a report: counts, test, rows kept on the record, table files.

    None when the report evaluated no signal points. A patchset too large to keep its rows on
    the record has them in the stored tables (``patch_points.json`` / ``.csv`` media files).
    """
    check = next((c for c in report.get("checks", []) if c.get("id") == POINT_CHECK_ID), None)
    if check is None or check.get("status") == "skipped":
        return None
    details = check.get("details") or {}
    return {
        "status": check.get("status"),
        "reason": check.get("reason"),
        **{name: details.get(name) for name in ("points", "flagged", "mismatched", "compared", "test")},
        "rows": details.get("rows"),
        "tables": {
            Path(key).suffix.lstrip("."): f"{base_url}/{quote(key)}/content"
            for key in details.get("tables", [])
        },
    }
