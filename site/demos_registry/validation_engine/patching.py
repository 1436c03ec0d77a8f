"""JSON Patch (RFC 6902) applied copy-on-write.

Archives such as the ATLAS likelihoods carry hundreds of patches for a megabyte workspace. The
jsonpatch library deep-copies the document or every inserted value; here only the containers on
a patched path are copied, everything else is shared with the (never modified) original. Shared
objects also let later checks skip the parts of a patched workspace that are still the original.
"""

from __future__ import annotations

import copy
import re
from typing import Any

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


class PatchConflict(ValueError):
    """An operation does not apply to the document (missing target, bad index, failed test)."""


def apply_patch(document: Any, operations: list[Any]) -> Any:
    """Return the patched document; `document` itself is left unchanged."""
    if not isinstance(operations, list):
        raise PatchConflict("a JSON patch is a list of operations")
    patch = _CopyOnWrite(document)
    for number, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise PatchConflict(f"operation {number} is not an object")
        try:
            patch.apply(operation)
        except PatchConflict as exc:
            raise PatchConflict(
                f"operation {number} ({operation.get('op')} {operation.get('path')}): {exc}"
            ) from None
    return patch.root


def _tokens(pointer: Any) -> list[str]:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise PatchConflict(f"{pointer!r} is not a JSON pointer")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def _index(container: list[Any], token: str, for_insert: bool) -> int:
    if for_insert and token == "-":
        return len(container)
    if not _ARRAY_INDEX.fullmatch(token):
        raise PatchConflict(f"{token!r} is not an array index")
    index = int(token)
    if index > len(container) or (index == len(container) and not for_insert):
        raise PatchConflict(f"index {index} is out of range for an array of {len(container)}")
    return index


class _CopyOnWrite:
    def __init__(self, document: Any):
        self.root = copy.copy(document)
        self.fresh = {id(self.root)}

    def apply(self, operation: dict[str, Any]) -> None:
        kind = operation.get("op")
        path = _tokens(operation.get("path"))
        if kind in ("add", "replace", "test") and "value" not in operation:
            raise PatchConflict(f"'{kind}' needs a value")
        if kind == "add":
            self._add(path, operation["value"])
        elif kind == "remove":
            self._remove(path)
        elif kind == "replace":
            if path:
                self._remove(path)
            self._add(path, operation["value"])
        elif kind == "move":
            source = _tokens(operation.get("from"))
            if path[: len(source)] == source and len(path) > len(source):
                raise PatchConflict("cannot move a value into itself")
            self._add(path, self._remove(source))
        elif kind == "copy":
            self._add(path, copy.deepcopy(self._get(_tokens(operation.get("from")))))
        elif kind == "test":
            if self._get(path) != operation["value"]:
                raise PatchConflict("test failed: the value differs")
        else:
            raise PatchConflict(f"unknown operation {kind!r}")

    def _get(self, path: list[str]) -> Any:
        node = self.root
        for token in path:
            node = self._child(node, token)
        return node

    def _child(self, node: Any, token: str) -> Any:
        if isinstance(node, dict):
            if token not in node:
                raise PatchConflict(f"no member {token!r}")
            return node[token]
        if isinstance(node, list):
            return node[_index(node, token, for_insert=False)]
        raise PatchConflict(f"cannot descend into a {type(node).__name__}")

    def _writable_parent(self, path: list[str]) -> Any:
        """The container holding the last token, copied (with its ancestors) if still shared."""
        node = self.root
        for token in path[:-1]:
            child = self._child(node, token)
            if not isinstance(child, (dict, list)):
                raise PatchConflict(f"cannot descend into a {type(child).__name__}")
            if id(child) not in self.fresh:
                child = copy.copy(child)
                self.fresh.add(id(child))
                node[token if isinstance(node, dict) else int(token)] = child
            node = child
        return node

    def _add(self, path: list[str], value: Any) -> None:
        if not path:
            self.root = value
            return
        parent = self._writable_parent(path)
        if isinstance(parent, dict):
            parent[path[-1]] = value
        elif isinstance(parent, list):
            parent.insert(_index(parent, path[-1], for_insert=True), value)
        else:
            raise PatchConflict(f"cannot add to a {type(parent).__name__}")

    def _remove(self, path: list[str]) -> Any:
        if not path:
            raise PatchConflict("cannot remove the whole document")
        parent = self._writable_parent(path)
        if isinstance(parent, dict):
            if path[-1] not in parent:
                raise PatchConflict(f"no member {path[-1]!r}")
            return parent.pop(path[-1])
        if isinstance(parent, list):
            return parent.pop(_index(parent, path[-1], for_insert=False))
        raise PatchConflict(f"cannot remove from a {type(parent).__name__}")
