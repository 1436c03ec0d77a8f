"""Bounded JSON parsing: size and nesting are checked before `json.loads` sees the text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN_ARRAY, _OPEN_OBJECT, _CLOSE_ARRAY, _CLOSE_OBJECT = b"[{]}"
_DEPTH_CHUNK = 8 * 1024 * 1024


class UnsafeJSONError(ValueError):
    """The text is not JSON we are willing to parse (too big, too deep, not JSON at all)."""


@dataclass
class ParsedJSON:
    document: Any
    non_finite_numbers: int


def nesting_depth(raw: bytes) -> int:
    """Maximum bracket depth outside string literals, without recursion and in bounded memory."""
    structural = _JSON_STRING.sub(b'""', raw)
    depth = deepest = 0
    for start in range(0, len(structural), _DEPTH_CHUNK):
        chunk = np.frombuffer(
            structural, dtype=np.uint8, count=min(_DEPTH_CHUNK, len(structural) - start), offset=start
        )
        steps = (chunk == _OPEN_ARRAY).view(np.int8) + (chunk == _OPEN_OBJECT).view(np.int8)
        steps -= (chunk == _CLOSE_ARRAY).view(np.int8) + (chunk == _CLOSE_OBJECT).view(np.int8)
        running = np.cumsum(steps, dtype=np.int64) + depth
        if running.size:
            deepest = max(deepest, int(running.max()))
            depth = int(running[-1])
    return deepest


def parse_json(raw: bytes, max_bytes: int, max_depth: int) -> ParsedJSON:
    if len(raw) > max_bytes:
        raise UnsafeJSONError(f"{len(raw)} bytes exceeds the limit of {max_bytes} bytes")
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise UnsafeJSONError(f"nesting depth {depth} exceeds the limit of {max_depth}")
    non_finite = 0

    def count_non_finite(literal: str) -> float:
        nonlocal non_finite
        non_finite += 1
        return float(literal.replace("Infinity", "inf"))

    try:
        document = json.loads(raw, parse_constant=count_non_finite)
    except (ValueError, RecursionError) as exc:
        raise UnsafeJSONError(f"not valid JSON: {exc}") from exc
    return ParsedJSON(document=document, non_finite_numbers=non_finite)
