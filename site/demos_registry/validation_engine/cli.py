"""`demos-validate`: validate model files from the command line or a CI pipeline.

Exit codes: 0 passed (or needs review, unless --strict), 1 failed, 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .api import ValidationOptions, expand_paths, validate
from .limits import MIB, ResourceLimits
from .report import OverallStatus, ValidationReport
from .steps import CHECK_ORDER, STEPS

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_COULD_NOT_RUN = 2


def build_parser() -> argparse.ArgumentParser:
    """The command line, with the default resource limits as option defaults."""
    defaults = ResourceLimits()
    parser = argparse.ArgumentParser(
        prog="demos-validate",
        description="Validate statistical models (pyhf JSON, HS3 JSON, archives of them) for the DEMOS registry.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="model files, archives or directories")
    parser.add_argument(
        "--reference-points",
        "--metadata",
        dest="metadata",
        metavar="FILE",
        help="JSON: a list of reference points, or the DEMOS metadata object (checksums, reference_points, ...)",
    )
    parser.add_argument("--format", choices=["json", "markdown"], default="markdown", help="report on stdout")
    parser.add_argument("--output", metavar="DIR", help="write report.json, report.md and the plots here")
    parser.add_argument(
        "--checks",
        metavar="LIST",
        help=f"comma-separated checks or CI steps (default: all); steps: {', '.join(STEPS)}; "
        f"checks: {', '.join(CHECK_ORDER)}",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when the result needs review")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--timeout", type=float, default=defaults.wall_seconds, help="wall-clock limit in seconds"
    )
    parser.add_argument(
        "--cpu-seconds", type=int, default=defaults.cpu_seconds, help="CPU-time limit of the worker"
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=defaults.memory_bytes // MIB,
        help="address-space limit of the worker in MiB",
    )
    return parser


def exit_code(report: ValidationReport, strict: bool) -> int:
    """What a CI pipeline acts on: needs-review passes unless `strict`."""
    status = report.status
    if status == OverallStatus.ERROR:
        return EXIT_COULD_NOT_RUN
    if status == OverallStatus.FAILED or (strict and status == OverallStatus.NEEDS_REVIEW):
        return EXIT_FAILED
    return EXIT_PASSED


def main(argv: list[str] | None = None) -> int:
    """Validate the given paths, print (and optionally write) the report, return the exit code."""
    arguments = build_parser().parse_args(argv)
    paths = expand_paths(arguments.paths)
    missing = [path for path in paths if not os.path.exists(path)]
    if missing or not paths:
        print(f"demos-validate: no such file: {', '.join(missing) or 'nothing to validate'}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    metadata = None
    if arguments.metadata:
        try:
            with open(arguments.metadata) as handle:
                metadata = json.load(handle)
        except (OSError, ValueError) as exc:
            print(f"demos-validate: cannot read {arguments.metadata}: {exc}", file=sys.stderr)
            return EXIT_COULD_NOT_RUN
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    try:
        options = ValidationOptions(
            limits=ResourceLimits(
                cpu_seconds=arguments.cpu_seconds,
                wall_seconds=arguments.timeout,
                memory_bytes=arguments.memory_mb * MIB,
            ),
            checks=arguments.checks.split(",") if arguments.checks else None,
            output_dir=arguments.output,
            progress=None if arguments.quiet else progress,
        )
        report = validate(paths, metadata, options)
    except ValueError as exc:
        print(f"demos-validate: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if arguments.output:
        os.makedirs(arguments.output, exist_ok=True)
        with open(os.path.join(arguments.output, "report.json"), "w") as handle:
            handle.write(report.to_json())
        with open(os.path.join(arguments.output, "report.md"), "w") as handle:
            handle.write(report.to_markdown())
    print(report.to_json() if arguments.format == "json" else report.to_markdown())
    return exit_code(report, arguments.strict)


if __name__ == "__main__":
    sys.exit(main())
