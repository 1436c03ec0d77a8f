"""A model's relations as nodes and edges, named with DataCite's relation types.

Edges read ``source <relation> target`` with the ids of Invenio's ``relationtypes``
vocabulary (DataCite's relation types, lower case), the same ids the record's related
identifiers carry into its DataCite metadata: the graph and the DOI metadata say the same.

- versions: every published version of the model (Invenio's parent), in order;
- files: the model's files, ``ispartof`` the version shown;
- signal points: each patch the validation evaluated, ``isderivedfrom`` its workspace file;
- translations: the HS3 / pyhf form of a validated model, ``isvariantformof`` its file;
- related works: publications, HEPData records and other references (related identifiers).
"""

from itertools import pairwise
from urllib.parse import quote

from ..registry_entries.entries import registry_entry
from ..validation_engine.point_results import CHECK_ID as SIGNAL_POINTS_CHECK

VALIDATED = ("passed", "overridden")
TRANSLATIONS = {"pyhf-json": "hs3", "hs3-json": "pyhf"}
"""Model format (demosformats id) → the format its file translates to (conversion/)."""

URL_OF_SCHEME = {"doi": "https://doi.org/{}", "arxiv": "https://arxiv.org/abs/{}"}
PUBLICATION_SCHEMES = ("doi", "arxiv")
PUBLICATION_MARKS = ("inspirehep.net", "arxiv.org", "doi.org")


def _version_node(hit, current_id, links):
    metadata = hit.get("metadata") or {}
    custom_fields = hit.get("custom_fields") or {}
    return {
        "id": f"record:{hit['id']}",
        "kind": "version",
        "label": f"{metadata.get('title')} {custom_fields.get('demos:model_version') or metadata.get('version') or ''}".strip(),
        "version": custom_fields.get("demos:model_version") or metadata.get("version"),
        "record_id": hit["id"],
        "current": hit["id"] == current_id,
        "validation": (custom_fields.get("demos:validation") or {}).get("status"),
        "links": links(hit["id"]),
    }


def related_kind(related):
    """hepdata, publication or reference: what a related identifier points at."""
    identifier = str(related.get("identifier", "")).lower()
    if "hepdata" in identifier:
        return "hepdata"
    if related.get("scheme") in PUBLICATION_SCHEMES or any(mark in identifier for mark in PUBLICATION_MARKS):
        return "publication"
    return "reference"


def _related_node(related):
    scheme, identifier = related.get("scheme"), related.get("identifier")
    url = URL_OF_SCHEME[scheme].format(identifier) if scheme in URL_OF_SCHEME else identifier
    return {
        "id": f"{scheme}:{identifier}",
        "kind": related_kind(related),
        "label": identifier,
        "scheme": scheme,
        "url": url,
    }


def lineage_graph(record, versions, api_url, ui_url, max_points):
    """Nodes and edges of a model (``record``, a dict) and its published ``versions`` (search hits, any order).

    At most ``max_points`` signal points become nodes; ``truncated`` counts those left out.
    """
    current = f"record:{record['id']}"

    def links(record_id):
        return {"self": f"{api_url}/models/{record_id}", "html": f"{ui_url}/records/{record_id}"}

    ordered = sorted(versions, key=lambda hit: (hit.get("versions") or {}).get("index") or 0)
    if not any(hit["id"] == record["id"] for hit in ordered):
        ordered.append(record)
    nodes = [_version_node(hit, record["id"], links) for hit in ordered]
    edges = [
        {"source": f"record:{newer['id']}", "relation": "isnewversionof", "target": f"record:{older['id']}"}
        for older, newer in pairwise(ordered)
    ]
    for key in sorted((record.get("files") or {}).get("entries") or {}):
        nodes.append(
            {
                "id": f"file:{key}",
                "kind": "file",
                "label": key,
                "links": {"self": f"{api_url}/models/{record['id']}/file?key={quote(key)}"},
            }
        )
        edges.append({"source": f"file:{key}", "relation": "ispartof", "target": current})
    custom_fields = record.get("custom_fields") or {}
    validation = custom_fields.get("demos:validation") or {}
    truncated = _signal_points(validation, max_points, nodes, edges)
    _translation(record, custom_fields, validation, api_url, nodes, edges)
    seen = {node["id"] for node in nodes}
    for related in (record.get("metadata") or {}).get("related_identifiers") or []:
        node = _related_node(related)
        if node["id"] not in seen:
            nodes.append(node)
            seen.add(node["id"])
        relation = (related.get("relation_type") or {}).get("id") or "references"
        edges.append({"source": current, "relation": relation, "target": node["id"]})
    return {
        "id": record["id"],
        "model_id": registry_entry(record, ui_url)["model_id"],
        "nodes": nodes,
        "edges": edges,
        "truncated": truncated,
    }


def _signal_points(validation, max_points, nodes, edges):
    """Signal-point nodes from the validation's patch-point check; how many were left out."""
    checks = (validation.get("report") or {}).get("checks") or []
    check = next((c for c in checks if c.get("id") == SIGNAL_POINTS_CHECK), None)
    rows = ((check or {}).get("details") or {}).get("rows") or []
    total = ((check or {}).get("details") or {}).get("points") or len(rows)
    for row in rows[:max_points]:
        node_id = f"point:{row.get('index')}"
        nodes.append(
            {
                "id": node_id,
                "kind": "signal_point",
                "label": row.get("name"),
                "coordinates": row.get("coordinates") or {},
                "status": row.get("status"),
            }
        )
        if row.get("workspace"):
            edges.append(
                {"source": node_id, "relation": "isderivedfrom", "target": f"file:{row['workspace']}"}
            )
    shown = min(len(rows), max_points)
    return {"signal_points": total - shown} if total > shown else {}


def _translation(record, custom_fields, validation, api_url, nodes, edges):
    """The translated form of a validated pyhf or HS3 model (GET .../file?format=)."""
    target = TRANSLATIONS.get((custom_fields.get("demos:format") or {}).get("id"))
    selected = (custom_fields.get("demos:model_selection") or {}).get("file")
    files = sorted((record.get("files") or {}).get("entries") or {})
    source = selected if selected in files else (files[0] if files else None)
    if not target or not source or validation.get("status") not in VALIDATED:
        return
    node_id = f"translation:{target}"
    nodes.append(
        {
            "id": node_id,
            "kind": "translation",
            "label": f"{source} as {target}",
            "format": target,
            "links": {"self": f"{api_url}/models/{record['id']}/file?format={target}"},
        }
    )
    edges.append({"source": node_id, "relation": "isvariantformof", "target": f"file:{source}"})
