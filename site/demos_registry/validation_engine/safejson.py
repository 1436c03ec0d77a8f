"""Bounded, strict JSON parsing.

Size and nesting are checked before `json.loads` sees the text; what `json.loads` accepts but a
model must not contain (NaN, Infinity, numbers that overflow to infinity such as `1e400`, keys
repeated in one object, of which the last would silently win) is reported with its JSON path.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN_ARRAY, _OPEN_OBJECT, _CLOSE_ARRAY, _CLOSE_OBJECT = b"[{]}"
_DEPTH_CHUNK = 8 * 1024 * 1024
_FLOAT_DIGITS = 308
"""An integer literal of more digits does not fit a float: engines would see infinity."""
MAX_REPORTED_PATHS = 5


class UnsafeJSONError(ValueError):
    """The text is not JSON we are willing to parse (too big, too deep, not JSON at all)."""


@dataclass
class ParsedJSON:
    """A parsed document and what in it JSON parsers accept but a model must not contain.

    `non_finite_paths` and `duplicate_keys` hold the JSON paths of the first few occurrences.
    """

    document: Any
    non_finite_numbers: int = 0
    non_finite_paths: list[str] = field(default_factory=list)
    duplicate_keys: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """One sentence per kind of problem, naming where it is."""
        problems = []
        if self.non_finite_numbers:
            problems.append(
                f"{self.non_finite_numbers} non-finite numbers (NaN/Infinity) or numbers beyond the float "
                f"range (such as 1e400), which a model must not hold: at {', '.join(self.non_finite_paths)}"
            )
        if self.duplicate_keys:
            problems.append(
                f"keys repeated within one object (only the last would count): {', '.join(self.duplicate_keys)}"
            )
        return problems


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
    """Parse untrusted bytes only once their size and nesting are known to be within the limits."""
    if len(raw) > max_bytes:
        raise UnsafeJSONError(f"{len(raw)} bytes exceeds the limit of {max_bytes} bytes")
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise UnsafeJSONError(f"nesting depth {depth} exceeds the limit of {max_depth}")
    non_finite = 0
    repeated: dict[int, list[str]] = {}

    def constant(literal: str) -> float:
        nonlocal non_finite
        non_finite += 1
        return float(literal.replace("Infinity", "inf"))

    def real(literal: str) -> float:
        nonlocal non_finite
        value = float(literal)
        if math.isinf(value):
            non_finite += 1
        return value

    def integer(literal: str) -> int:
        nonlocal non_finite
        if len(literal.lstrip("-")) > _FLOAT_DIGITS:
            non_finite += 1
        return int(literal)

    def json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        document = dict(pairs)
        if len(document) != len(pairs):
            repeated[id(document)] = [
                key for key, count in Counter(key for key, _ in pairs).items() if count > 1
            ]
        return document

    try:
        document = json.loads(
            raw, parse_constant=constant, parse_float=real, parse_int=integer, object_pairs_hook=json_object
        )
    except (ValueError, RecursionError) as exc:
        raise UnsafeJSONError(f"not valid JSON: {exc}") from exc
    parsed = ParsedJSON(document=document, non_finite_numbers=non_finite)
    if non_finite or repeated:
        parsed.non_finite_paths, parsed.duplicate_keys = _locate(document, repeated, bool(non_finite))
    return parsed


def _locate(document: Any, repeated: dict[int, list[str]], non_finite: bool) -> tuple[list[str], list[str]]:
    """JSON paths of the first non-finite numbers and repeated keys, found without recursion."""
    numbers: list[str] = []
    keys: list[str] = []
    stack = [(document, "$")]
    while stack and (len(numbers) < MAX_REPORTED_PATHS or len(keys) < MAX_REPORTED_PATHS):
        node, path = stack.pop()
        if isinstance(node, dict):
            keys += [f"{path}.{key}" for key in repeated.get(id(node), [])][: MAX_REPORTED_PATHS - len(keys)]
            stack += [(value, f"{path}.{key}") for key, value in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(value, f"{path}[{index}]") for index, value in reversed(list(enumerate(node)))]
        elif non_finite and len(numbers) < MAX_REPORTED_PATHS and is_non_finite_number(node):
            numbers.append(path)
    return numbers, keys


def is_non_finite_number(value: Any) -> bool:
    """True for a number that is NaN, infinite or too large for a float; False for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) > sys.float_info.max
    return not math.isfinite(value)
