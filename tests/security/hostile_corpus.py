"""The hostile input corpus: what an attacker or a broken client sends to the registry's API.

Plain data, one ``Case`` per input, so that the tests are parametrized over it and a new
attack is one more line here. ``status`` is the set of acceptable answers (always 4xx for
input that must be refused); ``field`` is a field the error must name (None: no field).
"""

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from rest_helpers import model_metadata, record_metadata

ODD_BUT_HARMLESS = frozenset({200, 400})
"""Odd search text may be answered (as plain text) or refused, but never with a 5xx."""

NESTING = 100_000
"""Depth of the nesting bombs: far beyond any recursion limit."""


@dataclass(frozen=True)
class Case:
    """One hostile input and the answer it must get."""

    id: str
    body: bytes | str | None = None
    content_type: str = "application/json"
    status: frozenset = frozenset({400})
    field: str | None = None
    query: dict = dataclass_field(default_factory=dict)


def _json(payload):
    return json.dumps(payload)


def _model_with(**custom_fields):
    return _json(model_metadata("Hostile model", **custom_fields))


def _titled(title):
    return _json(record_metadata(title))


def _nested(depth, opener="[", closer="]"):
    return opener * depth + closer * depth


DRAFT_BODIES = [
    Case("malformed-json", '{"metadata": {"title": '),
    Case("not-an-object", "[1, 2, 3]"),
    Case("json-null", "null"),
    Case("deep-array-nesting", f'{{"metadata": {{"title": {_nested(NESTING)}}}}}'),
    Case("deep-object-nesting", '{"metadata": ' * NESTING + "1" + "}" * NESTING),
    Case("deep-nesting-in-demos-field", _model_with(**{"demos:reference_points": json.loads(_nested(60))})),
    Case("huge-title", _titled("A" * (3 * 1024 * 1024)), status=frozenset({413})),
    Case(
        "huge-description",
        _json(
            {
                **record_metadata("x"),
                "metadata": {
                    **record_metadata("x")["metadata"],
                    "description": "<p>" + "lorem " * 600_000 + "</p>",
                },
            }
        ),
        status=frozenset({413}),
    ),
    Case(
        "huge-tag-array",
        _model_with(**{"demos:tags": [f"tag-{n}" for n in range(50_000)]}),
        field="custom_fields.demos:tags",
    ),
    Case("huge-tag", _model_with(**{"demos:tags": ["t" * 100_000]}), field="custom_fields.demos:tags"),
    Case(
        "huge-keyword-array",
        _model_with(**{"demos:search_keywords": ["kw"] * 50_000}),
        field="custom_fields.demos:search_keywords",
    ),
    Case("huge-integer", '{"metadata": {"title": ' + "9" * 100_000 + "}}"),
    Case(
        "infinite-number",
        _model_with(
            **{"demos:reference_points": [{"label": "inf", "parameters": {"mu": 1.0}, "expected": 1e999}]}
        ),
        field="custom_fields.demos:reference_points",
    ),
    Case("nul-in-title", _titled("model\u0000name"), field="metadata.title"),
    Case(
        "nul-in-demos-field",
        _model_with(**{"demos:citations": ["Phys. Rev.\u0000D"]}),
        field="custom_fields.demos:citations",
    ),
    Case("lone-surrogate-in-title", '{"metadata": {"title": "\\ud800"}}', field="metadata.title"),
    Case("text-plain", _titled("plain text"), content_type="text/plain", status=frozenset({415})),
    Case("xml", "<record><title>x</title></record>", content_type="application/xml", status=frozenset({415})),
    Case(
        "form-encoded",
        "metadata=x",
        content_type="application/x-www-form-urlencoded",
        status=frozenset({415}),
    ),
    Case("no-content-type-nul-in-title", _titled("no\u0000type"), content_type="", field="metadata.title"),
]
"""Bodies of ``POST /api/records`` (a new draft)."""


FILE_KEYS = [
    Case("parent-traversal", _json([{"key": "../../etc/passwd"}]), field="key"),
    Case("absolute-path", _json([{"key": "/etc/passwd"}]), field="key"),
    Case("windows-traversal", _json([{"key": "..\\..\\windows\\win.ini"}]), field="key"),
    Case("sub-folder", _json([{"key": "models/../../secret.json"}]), field="key"),
    Case("dot", _json([{"key": "."}]), field="key"),
    Case("dot-dot", _json([{"key": ".."}]), field="key"),
    Case("empty", _json([{"key": ""}]), field="key"),
    Case("nul-byte", _json([{"key": "model.json\u0000.png"}]), field="key"),
    Case("newline", _json([{"key": "model\n.json"}]), field="key"),
    Case("very-long", _json([{"key": "m" * 5000 + ".json"}]), field="key"),
    Case("not-a-list", _json({"key": "model.json"})),
    Case("key-not-a-string", _json([{"key": {"$ne": None}}]), field="0.key"),
    Case("too-many-files", _json([{"key": f"model-{n}.json"} for n in range(5000)])),
    Case("text-plain", _json([{"key": "model.json"}]), content_type="text/plain", status=frozenset({415})),
]
"""Bodies of ``POST /api/records/<id>/draft/files`` (file keys to initialise)."""


MODEL_FILE_NAMES = [
    Case("parent-traversal", query={"filename": "../../etc/passwd"}, field="file"),
    Case("absolute-path", query={"filename": "/etc/passwd"}, field="file"),
    Case("nul-byte", query={"filename": "model.json\x00.exe"}, field="file"),
    Case("very-long", query={"filename": "m" * 5000 + ".json"}, field="file"),
    Case("dot-dot", query={"filename": ".."}, field="file"),
]
"""File names of a ``POST /api/models`` multipart upload."""


MODEL_METADATA_PARTS = [
    Case("malformed-json", '{"name": ', field="metadata"),
    Case("not-an-object", '["a list"]', field="metadata"),
    Case("deep-nesting", _nested(NESTING), field="metadata"),
    Case("huge-integer", "9" * 100_000, field="metadata"),
    Case("nul-in-name", _json({"name": "x\u0000y", "domain": "particle"})),
]
"""``metadata`` parts of a ``POST /api/models`` multipart upload."""


SEARCH_QUERIES = [
    Case("unbalanced-parenthesis", query={"q": "title:((("}, status=ODD_BUT_HARMLESS),
    Case("unbalanced-quote", query={"q": '"unterminated'}, status=ODD_BUT_HARMLESS),
    Case("dangling-operator", query={"q": "neutrino AND"}, status=ODD_BUT_HARMLESS),
    Case(
        "field-injection",
        query={"q": "custom_fields.demos\\:domain.id:neutrino) OR (*:*"},
        status=ODD_BUT_HARMLESS,
    ),
    Case(
        "sql-comment", query={"q": "' OR 1=1; DROP TABLE rdm_records_metadata; --"}, status=ODD_BUT_HARMLESS
    ),
    Case("sql-union", query={"q": "1 UNION SELECT password FROM accounts_user"}, status=ODD_BUT_HARMLESS),
    Case("script-tag", query={"q": "<script>alert(1)</script>"}, status=ODD_BUT_HARMLESS),
    Case("regex-bomb", query={"q": "/(a+)+$/"}, status=ODD_BUT_HARMLESS),
    Case("leading-wildcard", query={"q": "*a*b*c*d*e*"}, status=ODD_BUT_HARMLESS),
    Case("nul-byte", query={"q": "neutrino\x00"}, status=ODD_BUT_HARMLESS),
    Case("huge-query", query={"q": "neutrino " * 5_000}, status=ODD_BUT_HARMLESS),
    Case("unknown-sort", query={"sort": "'; DROP TABLE x"}),
    Case("size-beyond-limit", query={"size": "100000"}, status=frozenset({200, 400})),
    Case("size-negative", query={"size": "-1"}),
    Case("size-not-a-number", query={"size": "ten"}),
    Case("page-beyond-window", query={"page": "1000000", "size": "10"}),
    Case("page-zero", query={"page": "0"}),
    Case("unknown-facet-value", query={"domain": "<script>alert(1)</script>"}, status=ODD_BUT_HARMLESS),
    Case("facet-query-syntax", query={"engine": "pyhf OR *:*"}, status=ODD_BUT_HARMLESS),
]
"""Query strings of the search endpoints; a 200 is fine for those that are just odd text, and for a
page size beyond the limit on /api/records, which Invenio clamps to its 10,000-hit result window
(/api/models refuses sizes above DEMOS_MODELS_API_MAX_PAGE_SIZE), as long as it shows no more
than an anonymous search may (test_hostile_api.assert_no_more_than_anonymous_may_see)."""
