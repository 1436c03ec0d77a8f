"""Hostile inputs fail a check with a reason, within the time and memory bounds.

None of them takes the caller down.
"""

import gzip
import io
import json
import time
import zipfile

import pytest

from demos_registry.validation_engine import (
    CheckStatus,
    OverallStatus,
    ResourceLimits,
    ValidationOptions,
    validate,
)
from demos_registry.validation_engine.limits import MIB

SLACK_SECONDS = 5.0


def write_huge_workspace(path, bins):
    """A pyhf workspace with one sample of `bins` bins, gzip-compressed (a few hundred kB)."""
    chunk = b"1," * 1_000_000
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(b'{"channels": [{"name": "c", "samples": [{"name": "s", "modifiers": [], "data": [')
        for _ in range(bins // 1_000_000 - 1):
            handle.write(chunk)
        handle.write(b"1," * 999_999 + b'1]}]}], "observations": [], "measurements": [], "version": "1.0.0"}')


def timed_validate(paths, limits):
    started = time.monotonic()
    report = validate([str(path) for path in paths], options=ValidationOptions(limits=limits))
    return report, time.monotonic() - started


def failed_reasons(report):
    return " | ".join(check.reason for check in report.checks if check.status == CheckStatus.FAILED)


def test_deeply_nested_json_is_rejected_before_parsing(tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"channels": ' + b"[" * 500_000 + b"]" * 500_000 + b"}")
    limits = ResourceLimits()
    report, elapsed = timed_validate([path], limits)
    assert report.check("integrity").status == CheckStatus.FAILED
    assert "nesting depth 500001 exceeds the limit of 64" in report.check("integrity").reason
    assert elapsed < 10


def test_hundred_million_bins_are_refused_within_bounds(tmp_path):
    path = tmp_path / "huge.json.gz"
    write_huge_workspace(path, 100_000_000)
    limits = ResourceLimits(max_file_bytes=64 * MIB, memory_bytes=2048 * MIB)
    report, elapsed = timed_validate([path], limits)
    assert report.status == OverallStatus.FAILED
    assert "unpacks to more than the limit" in report.check("integrity").reason
    assert elapsed < 20
    assert report.timings["worker_peak_rss_bytes"] < limits.memory_bytes


def test_ten_million_bins_parse_but_exceed_the_bin_limit(tmp_path):
    path = tmp_path / "big.json.gz"
    write_huge_workspace(path, 10_000_000)
    report, elapsed = timed_validate([path], ResourceLimits())
    assert "declares 10000000 bins, above the limit of 1000000" in report.check("integrity").reason
    assert elapsed < 30


def test_memory_limit_turns_an_allocation_bomb_into_a_failed_check(tmp_path):
    """Failed with the reason, and the sandbox's own peak reported, even from a caller larger than the limit.

    A worker killed at its limit sends no "done"; the kernel's figure for it would include
    the caller's memory at fork time (seen at 830 MB > 768 MiB late in a full test session).
    """
    path = tmp_path / "huge.json.gz"
    write_huge_workspace(path, 100_000_000)
    limits = ResourceLimits(max_file_bytes=400 * MIB, max_unpacked_bytes=400 * MIB, memory_bytes=768 * MIB)
    caller_ballast = bytearray(900 * MIB)
    caller_ballast[::4096] = b"x" * len(caller_ballast[::4096])
    report, elapsed = timed_validate([path], limits)
    del caller_ballast
    assert report.status == OverallStatus.FAILED
    assert report.error is None
    assert "memory" in failed_reasons(report)
    assert elapsed < 60
    assert report.timings["worker_peak_rss_bytes"] < limits.memory_bytes


def test_worker_memory_figure_does_not_count_the_callers_memory(tmp_path, models_dir):
    """A large caller (a long test session, a busy Celery worker) must not inflate the sandbox's figure.

    The kernel's rusage of a forked child keeps the parent's pre-exec memory.
    """
    caller_ballast = bytearray(600 * MIB)
    caller_ballast[::4096] = b"x" * len(caller_ballast[::4096])
    report, _ = timed_validate([models_dir / "pyhf" / "2-bin_1-channel.json"], ResourceLimits())
    assert report.timings["worker_peak_rss_bytes"] < 500 * MIB
    del caller_ballast


def test_nan_everywhere_fails_with_a_reason(tmp_path, models_dir):
    spec = json.loads((models_dir / "pyhf" / "2-bin_1-channel.json").read_text())
    for channel in spec["channels"]:
        for sample in channel["samples"]:
            sample["data"] = [float("nan")] * len(sample["data"])
    spec["observations"][0]["data"] = [float("nan")] * len(spec["observations"][0]["data"])
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(spec))
    report, elapsed = timed_validate([path], ResourceLimits())
    assert report.status == OverallStatus.FAILED
    assert "non-finite numbers (NaN/Infinity)" in report.check("integrity").reason
    assert elapsed < 20


def test_zip_bomb_is_stopped_while_unpacking(tmp_path):
    path = tmp_path / "bomb.zip"
    zeros = bytes(16 * MIB)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("model.json", "w", force_zip64=True) as member,
    ):
        for _ in range(32):
            member.write(zeros)
    assert path.stat().st_size < 2 * MIB
    limits = ResourceLimits(max_file_bytes=100 * MIB, max_unpacked_bytes=100 * MIB)
    report, elapsed = timed_validate([path], limits)
    assert report.status == OverallStatus.FAILED
    assert "archive rejected" in report.check("integrity").reason
    assert elapsed < 20
    assert report.timings["worker_peak_rss_bytes"] < 1024 * MIB


def test_tar_member_declaring_a_huge_size_is_refused_from_its_header(tmp_path):
    import tarfile

    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("model.json")
        info.size = 150 * MIB
        archive.addfile(info, io.BytesIO(bytes(150 * MIB)))
    report, elapsed = timed_validate([path], ResourceLimits(max_file_bytes=100 * MIB))
    assert "would exceed the unpacked size limit" in report.check("integrity").reason
    assert elapsed < 20


def test_wall_clock_limit_kills_the_worker(atlas_archive):
    limits = ResourceLimits(wall_seconds=1.0)
    report, elapsed = timed_validate([atlas_archive], limits)
    assert report.status == OverallStatus.FAILED
    assert "exceeded the wall-clock limit of 1 s" in failed_reasons(report)
    assert elapsed < limits.wall_seconds + SLACK_SECONDS
    assert any(check.status == CheckStatus.SKIPPED and "not run" in check.reason for check in report.checks)


def test_cpu_limit_stops_the_worker(atlas_archive):
    limits = ResourceLimits(cpu_seconds=1, wall_seconds=60)
    report, elapsed = timed_validate([atlas_archive], limits)
    assert report.status == OverallStatus.FAILED
    assert "CPU time limit of 1 s" in failed_reasons(report)
    assert elapsed < 10
    assert report.timings["worker_cpu_seconds"] < 1 + SLACK_SECONDS


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage", b"{not json", b'{"channels": 5}'])
def test_garbage_never_crashes(tmp_path, content):
    path = tmp_path / "garbage.json"
    path.write_bytes(content)
    report = validate([str(path)])
    assert report.error is None
    assert report.status in (OverallStatus.FAILED, OverallStatus.NEEDS_REVIEW)
