"""Pre-processing outputs: pre-fit yields per channel, a −2Δ ln L scan of the POI, a parameter table.

Every figure is written as PNG and SVG plus a small PNG thumbnail, with matplotlib's Agg backend
so no display is ever needed.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import numpy as np

from .context import Context, ModelBuildError

MAX_CHANNEL_PLOTS = 12
SCAN_POINTS = 13
SCAN_TARGET = 9.0
THUMBNAIL_DPI = 40


def generate_plots(context: Context, output_dir: str) -> tuple[list[str], list[str]]:
    """Write the figures and tables; return (written file paths, reasons for anything left out)."""
    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(output_dir, exist_ok=True)
    written: list[str] = []
    skipped: list[str] = []
    try:
        engine = context.engine("pyhf")
    except ModelBuildError as exc:
        return written, [f"plots need a pyhf model: {exc}"]
    written += _parameter_table(engine, output_dir)
    channels = engine.yields_by_channel()
    for index, (channel, yields) in enumerate(channels.items()):
        if index == MAX_CHANNEL_PLOTS:
            skipped.append(f"yields of {len(channels) - MAX_CHANNEL_PLOTS} further channel(s) not drawn")
            break
        context.progress(f"plots: yields of {channel}")
        written += _yields_figure(channel, yields, output_dir)
    if engine.poi is None:
        skipped.append("no parameter of interest: no likelihood scan")
    else:
        context.progress("plots: likelihood scan")
        try:
            written += _scan_figure(engine, output_dir)
        except Exception as exc:
            skipped.append(f"likelihood scan failed: {type(exc).__name__}: {exc}")
    return written, skipped


def safe_name(name: str) -> str:
    """A file-name stem from any text."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]


def save_figure(figure: Any, output_dir: str, stem: str) -> list[str]:
    """PNG, SVG and a small PNG thumbnail of a figure; the figure is closed."""
    import matplotlib.pyplot as plt

    paths = [os.path.join(output_dir, f"{stem}.png"), os.path.join(output_dir, f"{stem}.svg")]
    figure.savefig(paths[0], dpi=100)
    figure.savefig(paths[1])
    thumbnail = os.path.join(output_dir, f"{stem}.thumb.png")
    figure.savefig(thumbnail, dpi=THUMBNAIL_DPI)
    plt.close(figure)
    return [*paths, thumbnail]


def _yields_figure(channel: str, yields: dict[str, Any], output_dir: str) -> list[str]:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    edges = np.arange(len(yields["observed"]) + 1)
    bottom = np.zeros(len(yields["observed"]))
    for sample, values in yields["samples"].items():
        values = np.asarray(values, dtype=float)
        if not np.any(values):
            continue
        axes.bar(edges[:-1], values, width=1.0, bottom=bottom, align="edge", label=sample)
        bottom += values
    observed = np.asarray(yields["observed"], dtype=float)
    axes.errorbar(
        edges[:-1] + 0.5, observed, yerr=np.sqrt(np.clip(observed, 0, None)), fmt="ko", label="observed"
    )
    axes.set_xlabel("bin")
    axes.set_ylabel("events")
    axes.set_title(f"Pre-fit yields: {channel}")
    axes.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    return save_figure(figure, output_dir, f"yields_{safe_name(channel)}")


def _scan_figure(engine: Any, output_dir: str) -> list[str]:
    """Profile scan from the POI's lower bound until −2Δ ln L reaches 9 (3σ) or the upper bound."""
    import matplotlib.pyplot as plt

    poi = next(parameter for parameter in engine.parameters if parameter.poi)
    best_fit, twice_nll_min = engine.fit()
    best = best_fit[poi.name]
    step = max((poi.upper - poi.lower) / 20.0, 1e-3)
    high = best
    while high < poi.upper:
        high = min(poi.upper, high + step)
        if engine.profile_scan(np.array([high]))[0] - twice_nll_min >= SCAN_TARGET:
            break
        step *= 2
    values = np.linspace(poi.lower, high, SCAN_POINTS)
    scan = engine.profile_scan(values) - twice_nll_min
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(values, scan, "o-")
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
    axes.axhline(4.0, color="grey", linestyle=":", linewidth=0.8)
    axes.set_xlabel(poi.name)
    axes.set_ylabel("−2Δ ln L (profiled)")
    axes.set_title(f"Likelihood scan of {poi.name}")
    figure.tight_layout()
    data_path = os.path.join(output_dir, "scan.json")
    with open(data_path, "w") as handle:
        json.dump(
            {"poi": poi.name, "best_fit": best, "values": values.tolist(), "delta_twice_nll": scan.tolist()},
            handle,
        )
    return [*save_figure(figure, output_dir, "scan"), data_path]


def _parameter_table(engine: Any, output_dir: str) -> list[str]:
    rows = [parameter.to_dict() for parameter in engine.parameters]
    json_path = os.path.join(output_dir, "parameters.json")
    with open(json_path, "w") as handle:
        json.dump(rows, handle, indent=1)
    lines = ["| parameter | init | lower | upper | fixed | POI |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {row['name']} | {row['init']:.6g} | {row['lower']:.6g} | {row['upper']:.6g} | "
        f"{'yes' if row['fixed'] else ''} | {'yes' if row['poi'] else ''} |"
        for row in rows
    ]
    markdown_path = os.path.join(output_dir, "parameters.md")
    with open(markdown_path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return [json_path, markdown_path]
