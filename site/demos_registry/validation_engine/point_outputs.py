"""The signal points of a patchset as files: a JSON and a CSV table, and the CLs over the grid.

Written from the rows alone (numbers and names, no model), so the caller that merges the chunks
of a fanned-out evaluation writes them, next to the figures of the run.
"""

from __future__ import annotations

import csv
import json
import os
from typing import Any

from .plots import safe_name, save_figure
from .point_results import BAND

TABLE_STEM = "patch_points"
FIGURE_PREFIX = "patch_points_cls_"
MAX_GRID_FIGURES = 6
EXCLUSION_CLS = 0.05


def write_point_outputs(rows: list[dict[str, Any]], output_dir: str) -> list[str]:
    """Write the tables and one CLs figure per workspace whose points span a 2-D grid."""
    os.makedirs(output_dir, exist_ok=True)
    written = _tables(rows, output_dir)
    by_workspace: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("workspace") is not None and len(row.get("coordinates") or {}) >= 2:
            by_workspace.setdefault(row["workspace"], []).append(row)
    for workspace, group in sorted(by_workspace.items())[:MAX_GRID_FIGURES]:
        written += _grid_figure(workspace, group, output_dir)
    return written


def _tables(rows: list[dict[str, Any]], output_dir: str) -> list[str]:
    json_path = os.path.join(output_dir, f"{TABLE_STEM}.json")
    with open(json_path, "w") as handle:
        json.dump(rows, handle, indent=1, allow_nan=False)
    coordinates = sorted({name for row in rows for name in row.get("coordinates") or {}})
    csv_path = os.path.join(output_dir, f"{TABLE_STEM}.csv")
    with open(csv_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["index", "workspace", "patch", *coordinates, "twice_nll_init", "cls_obs"]
            + [f"cls_exp_{label}" for label in BAND]
            + ["upper_limit", "status", "flags"]
        )
        for row in rows:
            band = row.get("cls_exp") or [None] * len(BAND)
            writer.writerow(
                [row["index"], row.get("workspace"), row.get("name")]
                + [(row.get("coordinates") or {}).get(name) for name in coordinates]
                + [row.get("twice_nll_init"), row.get("cls_obs"), *band, row.get("upper_limit")]
                + [row["status"], "; ".join(row.get("flags") or [])]
            )
    return [json_path, csv_path]


def _grid_figure(workspace: str, rows: list[dict[str, Any]], output_dir: str) -> list[str]:
    """Observed CLs as colours over the first two coordinates, CLs = 0.05 contours, flagged points marked."""
    import matplotlib.pyplot as plt
    import numpy as np

    x_name, y_name = list(rows[0]["coordinates"])[:2]
    numeric = [
        row
        for row in rows
        if isinstance(row["coordinates"].get(x_name), (int, float))
        and isinstance(row["coordinates"].get(y_name), (int, float))
    ]
    if not numeric:
        return []
    finite = [row for row in numeric if row.get("cls_obs") is not None and row.get("cls_exp") is not None]
    flagged = [row for row in numeric if row not in finite]
    figure, axes = plt.subplots(figsize=(6.5, 5))
    if finite:
        x = np.array([row["coordinates"][x_name] for row in finite], dtype=float)
        y = np.array([row["coordinates"][y_name] for row in finite], dtype=float)
        observed = np.array([row["cls_obs"] for row in finite])
        expected = np.array([row["cls_exp"][2] for row in finite])
        scatter = axes.scatter(x, y, c=observed, cmap="viridis", vmin=0, vmax=1, s=25, zorder=3)
        figure.colorbar(scatter, ax=axes, label="observed CLs at μ = 1")
        _exclusion_contour(axes, x, y, observed, "black", "-", "observed CLs = 0.05")
        _exclusion_contour(axes, x, y, expected, "tab:red", "--", "expected CLs = 0.05")
    if flagged:
        axes.scatter(
            [row["coordinates"][x_name] for row in flagged],
            [row["coordinates"][y_name] for row in flagged],
            marker="x",
            color="tab:red",
            s=40,
            zorder=4,
            label=f"flagged ({len(flagged)})",
        )
    axes.set_xlabel(x_name)
    axes.set_ylabel(y_name)
    axes.set_title(f"CLs at μ = 1: {workspace}", fontsize="medium")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small", loc="best")
    figure.tight_layout()
    return save_figure(figure, output_dir, FIGURE_PREFIX + safe_name(workspace))


def _exclusion_contour(axes: Any, x: Any, y: Any, cls: Any, colour: str, style: str, label: str) -> None:
    """The CLs = 0.05 line through the scattered points (needs a triangulation: 3+ points not on a line)."""
    import matplotlib.tri as tri
    import numpy as np

    if len(x) < 3 or not (np.min(cls) < EXCLUSION_CLS < np.max(cls)):
        return
    try:
        triangulation = tri.Triangulation(x, y)
    except (ValueError, RuntimeError):
        return
    contour = axes.tricontour(triangulation, cls, levels=[EXCLUSION_CLS], colors=colour, linestyles=style)
    if contour.allsegs and any(len(segment) for segment in contour.allsegs[0]):
        axes.plot([], [], color=colour, linestyle=style, label=label)
