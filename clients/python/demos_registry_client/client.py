"""A small, typed client of the DEMOS Model Registry API, built on requests.

Retries with exponential backoff on 429 and on 5xx answers to idempotent requests,
honouring ``Retry-After``; iterates over paginated lists; verifies the SHA-256 of
every download against the registry's checksum.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests

JSON = dict[str, Any]
PathLike = str | Path
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRIED_SERVER_ERRORS = frozenset({500, 502, 503, 504})
CHUNK_SIZE = 1024 * 1024


class ApiError(Exception):
    """An error answer of the API: HTTP status, message and per-field errors."""

    def __init__(self, status: int, message: str, errors: list[JSON] | None = None, body: Any = None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.errors = errors or []
        self.body = body

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiError:
        """Read the API's JSON error (or whatever a proxy answered)."""
        try:
            body = response.json()
        except ValueError:
            return cls(response.status_code, response.text[:500] or response.reason)
        if not isinstance(body, dict):
            return cls(response.status_code, str(body)[:500], body=body)
        return cls(response.status_code, body.get("message", response.reason), body.get("errors"), body)


class ChecksumMismatch(Exception):
    """A downloaded file whose SHA-256 differs from the registry's."""


class DemosClient:
    """Client of one registry, e.g. ``DemosClient("https://models.example.org/api", token=...)``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        verify: bool | str = True,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        max_backoff: float = 60.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.max_backoff = max_backoff
        self.session = session or requests.Session()
        self.session.verify = verify
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "demos-registry-client/0.1"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._sleep = sleep

    # Transport
    # ---------
    def url(self, path: str) -> str:
        """Absolute URL of an API path (absolute URLs pass through)."""
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        retry: bool = True,
        expected: Iterable[int] = (),
        files: Callable[[ExitStack], Any] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request, retrying throttled and failed ones; raise ApiError for error answers.

        ``files`` builds the multipart files anew for each attempt (streams are consumed).
        """
        attempt = 0
        idempotent = method in IDEMPOTENT or "Idempotency-Key" in (kwargs.get("headers") or {})
        while True:
            try:
                with ExitStack() as stack:
                    if files is not None:
                        kwargs["files"] = files(stack)
                    response = self.session.request(method, self.url(path), timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                if not retry or not idempotent or attempt >= self.max_retries:
                    raise
                self._sleep(self._delay(attempt, None))
                attempt += 1
                continue
            if response.status_code < 400 or response.status_code in expected:
                return response
            if retry and attempt < self.max_retries and self._retryable(idempotent, response):
                self._sleep(self._delay(attempt, response))
                attempt += 1
                continue
            raise ApiError.from_response(response)

    @staticmethod
    def _retryable(idempotent: bool, response: requests.Response) -> bool:
        if response.status_code == 429:
            return True
        return response.status_code in RETRIED_SERVER_ERRORS and idempotent

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        """Retry-After when the server names it, else exponential backoff."""
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff)
            except ValueError:
                try:
                    return min(
                        max(0.0, parsedate_to_datetime(retry_after).timestamp() - time.time()),
                        self.max_backoff,
                    )
                except (TypeError, ValueError):
                    pass
        return min(self.backoff_factor * (2**attempt), self.max_backoff)

    def get_json(self, path: str, **params: Any) -> JSON:
        """GET a JSON document."""
        return self.request("GET", path, params=params or None).json()

    def pages(self, path: str, params: Mapping[str, Any]) -> Iterator[JSON]:
        """Every page of a list, following the ``next`` links."""
        page = self.get_json(path, **params)
        yield page
        while page.get("links", {}).get("next"):
            page = self.request("GET", page["links"]["next"]).json()
            yield page

    def iterate(self, path: str, params: Mapping[str, Any], limit: int | None = None) -> Iterator[JSON]:
        """The models of every page (at most ``limit``)."""
        count = 0
        for page in self.pages(path, params):
            for hit in page["hits"]:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield hit

    # Reading
    # -------
    def list_models(
        self, *, size: int = 50, sort: str | None = None, limit: int | None = None
    ) -> Iterator[JSON]:
        """All published models (newest first unless sorted otherwise)."""
        return self.iterate("/models", _params(size=size, sort=sort), limit)

    def search(
        self, q: str, *, size: int = 50, sort: str | None = None, limit: int | None = None
    ) -> Iterator[JSON]:
        r"""Models matching a query in Invenio's syntax, e.g. ``custom_fields.demos\:domain.id:neutrino``."""
        return self.iterate("/models/search", _params(q=q, size=size, sort=sort), limit)

    def filter(
        self,
        *,
        domain: str | list[str] | None = None,
        tag: str | list[str] | None = None,
        engine: str | list[str] | None = None,
        status: str | list[str] | None = None,
        collaboration: str | list[str] | None = None,
        format: str | list[str] | None = None,
        size: int = 50,
        limit: int | None = None,
    ) -> Iterator[JSON]:
        """Models by facet; several values of one facet are alternatives."""
        params = _params(
            domain=domain,
            tag=tag,
            engine=engine,
            status=status,
            collaboration=collaboration,
            format=format,
            size=size,
        )
        return self.iterate("/models/filter", params, limit)

    def get(self, model_id: str) -> JSON:
        """A model (its registry entry, status and links)."""
        return self.get_json(f"/models/{model_id}")

    def metadata(self, model_id: str) -> JSON:
        """The seed's registry-entry JSON of a model."""
        return self.get_json(f"/models/{model_id}/metadata")

    def validation(self, model_id: str) -> JSON:
        """The stored validation state of a model."""
        return self.get_json(f"/models/{model_id}/validation")

    def visualize(self, model_id: str) -> JSON:
        """Plots and parameters from the last validation."""
        return self.get_json(f"/models/{model_id}/visualize")

    def golden(self) -> JSON:
        """All published models whose validation passed, with checksums."""
        return self.get_json("/models/golden")

    def tags(self, prefix: str = "", size: int = 10) -> list[JSON]:
        """Tag suggestions starting with ``prefix``."""
        return self.get_json("/models/tags", prefix=prefix, size=size)["tags"]

    def health(self) -> JSON:
        """Health of the registry (also when it reports a component down)."""
        return self.request("GET", "/health", retry=False, expected=(503,)).json()

    def info(self) -> JSON:
        """What the registry is and where its APIs are."""
        return self.get_json("/info")

    def version(self) -> JSON:
        """Registry, API and InvenioRDM versions."""
        return self.get_json("/version")

    def download(
        self, model_id: str, destination: PathLike = ".", *, key: str | None = None, verify: bool = True
    ) -> Path:
        """Save a model file into a folder (or to a file path); its SHA-256 is checked against the registry's."""
        params = _params(key=key)
        response = self.request("GET", f"/models/{model_id}/file", params=params or None, stream=True)
        name = _attachment_name(response) or key or "model"
        target = Path(destination)
        target = target / name if target.is_dir() else target
        digest = hashlib.sha256()
        with response, open(target, "wb") as stream:
            for chunk in response.iter_content(CHUNK_SIZE):
                digest.update(chunk)
                stream.write(chunk)
        if verify:
            expected = self._expected_sha256(model_id, name, response)
            if expected is None or digest.hexdigest() != expected:
                target.unlink()
                raise ChecksumMismatch(f"{name}: SHA-256 {digest.hexdigest()} != registry's {expected}")
        return target

    def download_translated(
        self, model_id: str, format: str, destination: PathLike = ".", *, key: str | None = None
    ) -> Path:
        """Save a validated model translated by the registry's engine into ``format`` ("hs3" or "pyhf").

        The file is made on request, so it has no stored checksum; how well the translation
        agrees with the original is ``translation(model_id, format)``. A model that cannot be
        translated raises ApiError (422) with the reason.
        """
        response = self.request(
            "GET", f"/models/{model_id}/file", params=_params(format=format, key=key), stream=True
        )
        target = Path(destination)
        target = (
            target / (_attachment_name(response) or f"model.{format}.json") if target.is_dir() else target
        )
        with response, open(target, "wb") as stream:
            for chunk in response.iter_content(CHUNK_SIZE):
                stream.write(chunk)
        return target

    def translation(self, model_id: str, format: str, *, key: str | None = None) -> JSON:
        """How the translation into ``format`` agrees with the original (points, values, engines)."""
        return self.get_json(f"/models/{model_id}/translation", **_params(format=format, key=key))

    def _expected_sha256(self, model_id: str, name: str, response: requests.Response) -> str | None:
        files = {item["file"]: item.get("sha256") for item in self.metadata(model_id).get("files", [])}
        expected = files.get(name) or response.headers.get("X-Checksum-SHA256")
        return expected.lower() if expected else None

    # Writing
    # -------
    def upload(
        self, metadata: Mapping[str, Any], files: Iterable[PathLike], *, publish: bool = False
    ) -> JSON:
        """Submit a model: its registry entry (or record data) and files.

        By default it goes to its domain community for review; ``publish=True``
        publishes it at once where the token's user may. One ``Idempotency-Key`` is sent
        with every attempt, so a retry after a lost answer (a 503, a dropped connection)
        returns the model the first attempt created instead of making a second one.
        """
        paths = [Path(path) for path in files]

        def multipart(stack: ExitStack) -> list[tuple[str, Any]]:
            return [("file", (path.name, stack.enter_context(open(path, "rb")))) for path in paths]

        response = self.request(
            "POST",
            "/models",
            params={"publish": "true"} if publish else None,
            data={"metadata": json.dumps(dict(metadata))},
            files=multipart,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        return response.json()

    def update(self, model_id: str, changes: Mapping[str, Any]) -> JSON:
        """Change a model's metadata (only the given fields)."""
        return self.request("PUT", f"/models/{model_id}", json=dict(changes)).json()

    def delete(self, model_id: str, *, reason: str | None = None, note: str | None = None) -> None:
        """Remove a model (administrators): it becomes a tombstone, its DOI stays."""
        self.request("DELETE", f"/models/{model_id}", params=_params(reason=reason, note=note) or None)

    def validate(self, model_id: str) -> JSON:
        """Queue a re-validation; the answer links to the validation state."""
        return self.request("POST", f"/models/{model_id}/validate").json()

    def accept_submission(self, request_id: str, comment: str = "Accepted.") -> JSON:
        """Accept a model submitted for review (community curators): it is published."""
        payload = {"payload": {"content": comment, "format": "html"}}
        return self.request("POST", f"/requests/{request_id}/actions/accept", json=payload).json()


def _params(**values: Any) -> JSON:
    """Query parameters without the unset ones."""
    return {name: value for name, value in values.items() if value is not None}


def _attachment_name(response: requests.Response) -> str | None:
    """The file name of a Content-Disposition: attachment header."""
    disposition = response.headers.get("Content-Disposition", "")
    for part in disposition.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "filename":
            return Path(value.strip('"')).name or None
    return None
