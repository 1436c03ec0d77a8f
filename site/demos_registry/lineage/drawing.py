"""The lineage graph laid out for a small SVG on the landing page.

Columns left to right: related works (publications, HEPData records, references), the
model's versions, its files, then what is derived from a file (translations, signal
points). Each column shows at most ``MAX_PER_COLUMN`` nodes and a "+N more" box for the
rest; an edge is a line between two boxes that are drawn. The drawing is a picture (an SVG
``img`` without links inside); the list beside it (records/lineage_list.html) says the same
in words, with the links, for screen readers and keyboards.
"""

COLUMNS = (
    ("publication", "hepdata", "reference"),
    ("version",),
    ("file",),
    ("translation", "signal_point"),
)
MAX_PER_COLUMN = 8
BOX_WIDTH, BOX_HEIGHT = 170, 24
GAP_X, GAP_Y, MARGIN = 40, 8, 4
MAX_LABEL = 24
"""Characters of a label shown in its box (the whole label is the box's tooltip)."""


def _short(label):
    label = str(label or "")
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _column_nodes(nodes, kinds):
    return [node for node in nodes if node.get("kind") in kinds]


def lineage_drawing(graph):
    """Boxes and lines of ``graph`` (nodes + edges): ``{width, height, boxes, lines}``, or None if empty.

    A box: ``{x, y, width, height, kind, label, title, more}``; a line: ``{x1, y1, x2, y2}``.
    """
    columns = [_column_nodes(graph.get("nodes") or [], kinds) for kinds in COLUMNS]
    columns = [column for column in columns if column]
    if not graph.get("edges") or not columns:
        return None
    boxes, centres = [], {}
    for index, column in enumerate(columns):
        x = MARGIN + index * (BOX_WIDTH + GAP_X)
        shown = column[:MAX_PER_COLUMN]
        hidden = len(column) - len(shown)
        for row, node in enumerate(shown):
            y = MARGIN + row * (BOX_HEIGHT + GAP_Y)
            boxes.append(
                {
                    "x": x,
                    "y": y,
                    "width": BOX_WIDTH,
                    "height": BOX_HEIGHT,
                    "kind": node["kind"],
                    "label": _short(node.get("label")),
                    "title": str(node.get("label") or ""),
                    "more": False,
                }
            )
            centres[node["id"]] = (x, y + BOX_HEIGHT / 2)
        if hidden:
            y = MARGIN + len(shown) * (BOX_HEIGHT + GAP_Y)
            boxes.append(
                {
                    "x": x,
                    "y": y,
                    "width": BOX_WIDTH,
                    "height": BOX_HEIGHT,
                    "kind": "more",
                    "label": f"+{hidden} more",
                    "title": f"{hidden} more, listed below",
                    "more": True,
                }
            )
    lines = []
    for edge in graph["edges"]:
        source, target = centres.get(edge["source"]), centres.get(edge["target"])
        if source is None or target is None:
            continue
        left, right = sorted((source, target))
        if left[0] == right[0]:  # one column (versions): along the boxes' left side
            lines.append({"x1": left[0], "y1": left[1], "x2": right[0], "y2": right[1]})
        else:
            lines.append({"x1": left[0] + BOX_WIDTH, "y1": left[1], "x2": right[0], "y2": right[1]})
    rows = max(min(len(column), MAX_PER_COLUMN) + (len(column) > MAX_PER_COLUMN) for column in columns)
    return {
        "width": 2 * MARGIN + len(columns) * BOX_WIDTH + (len(columns) - 1) * GAP_X,
        "height": 2 * MARGIN + rows * BOX_HEIGHT + (rows - 1) * GAP_Y,
        "boxes": boxes,
        "lines": lines,
    }
