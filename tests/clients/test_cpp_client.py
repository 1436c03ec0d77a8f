"""The C++ client (clients/cpp), built with CMake and driven through its demos-registry program.

What it does is checked against the live registry, with one model it submits itself (a
submission is validated, which takes the most time here). A scripted server, which fails on
cue, times the retries (429 with Retry-After, 503 with back-off) and counts page requests.
"""

import hashlib
import json
import socket
import subprocess
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from invenio_rdm_records.proxies import current_rdm_records_service
from rest_helpers import refresh_records_index

DEMO_MODEL = Path(__file__).resolve().parents[2] / "app_data" / "demo_models" / "astroparticle-gamma-excess"
NAME = "Cpp client gamma-ray excess"


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def demo_submission(folder, **changes):
    """The demo model's registry entry as a new model (written to ``folder``) and its files."""
    entry = json.loads((DEMO_MODEL / "entry.json").read_text())
    for key in ("model_id", "files", "checksum", "file_location"):
        entry.pop(key)
    entry_path = folder / "entry.json"
    entry_path.write_text(json.dumps({**entry, "name": NAME, **changes}))
    return entry_path, sorted(path for path in DEMO_MODEL.iterdir() if path.name != "entry.json")


@pytest.fixture(scope="module")
def submitted(live_api, run_cpp_client, researcher, tmp_path_factory):
    """The model the researcher published with the C++ client, and its files."""
    entry, files = demo_submission(tmp_path_factory.mktemp("cpp-submission"))
    answer = run_cpp_client(live_api, "submit", entry, *files, "--publish", token=researcher.test_token)
    refresh_records_index()
    return answer.json, files


def test_ctest_unit_tests_pass(cpp_build):
    result = subprocess.run(
        ["ctest", "--output-on-failure"], cwd=cpp_build.folder, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "100% tests passed" in result.stdout


def test_submit_with_token_publishes_the_model(submitted, live_api, run_cpp_client):
    model, _ = submitted
    assert model["status"] == "published"
    read = run_cpp_client(live_api, "get", model["id"]).json
    assert read["id"] == model["id"] and read["name"] == NAME


def test_metadata_is_the_registry_entry_with_checksums(submitted, live_api, run_cpp_client):
    model, files = submitted
    entry = run_cpp_client(live_api, "metadata", model["id"]).json
    assert entry["name"] == NAME
    assert entry["files"] == [{"file": path.name, "sha256": sha256_of(path)} for path in files]
    assert entry["checksum"] == f"sha256:{sha256_of(files[0])}"


def test_list_search_and_filter(submitted, app, live_api, run_cpp_client):
    model_id = submitted[0]["id"]
    # Small pages: with the demo models loaded the list spans several (few: the requests of this
    # module share Invenio's application-wide budget of 60 per minute).
    server_list = app.test_client().get("/api/models", query_string={"size": 100}).json
    listed = run_cpp_client(live_api, "list", "--size", 5).json
    assert [model["id"] for model in listed] == [model["id"] for model in server_list["hits"]]
    assert model_id in [model["id"] for model in listed]

    found = run_cpp_client(live_api, "search", f'"{NAME}"').json
    assert [model["id"] for model in found] == [model_id]

    def filtered(*facets):
        return [model["id"] for model in run_cpp_client(live_api, "filter", *facets).json]

    assert model_id in filtered("--domain", "astroparticle", "--tag", "gamma-ray", "--engine", "pyhf")
    assert model_id in filtered("--domain", "neutrino", "--domain", "astroparticle")
    assert model_id not in filtered("--domain", "neutrino")


def test_download_verifies_the_sha256(submitted, live_api, run_cpp_client, tmp_path):
    model, files = submitted
    saved = Path(run_cpp_client(live_api, "download", model["id"], tmp_path).json["path"])
    assert saved == tmp_path / files[0].name
    assert saved.read_bytes() == files[0].read_bytes()
    renamed = tmp_path / "copy.json"
    answer = run_cpp_client(live_api, "download", model["id"], renamed, "--key", files[0].name).json
    assert Path(answer["path"]) == renamed and sha256_of(renamed) == sha256_of(files[0])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([files[0].name, "copy.json"])


def test_download_translated_into_hs3(submitted, live_api, run_cpp_client, tmp_path):
    model, files = submitted
    answer = run_cpp_client(live_api, "download", model["id"], tmp_path, "--format", "hs3").json
    saved = Path(answer["path"])
    assert saved.name == f"{files[0].stem}.hs3.json"
    assert "distributions" in json.loads(saved.read_text())


def test_download_refuses_a_file_whose_digest_differs(submitted, live_api, run_cpp_client, tmp_path):
    model, files = submitted
    record = current_rdm_records_service.record_cls.pid.resolve(model["id"])
    stored = Path(urlparse(record.files[files[0].name].file.file_model.uri).path)
    original = stored.read_bytes()
    stored.write_bytes(original.replace(b"{", b"[", 1))  # altered behind the registry's back
    try:
        refused = run_cpp_client(live_api, "download", model["id"], tmp_path)
    finally:
        stored.write_bytes(original)
    assert refused.returncode == 3
    assert "checksum mismatch" in refused.stderr and sha256_of(files[0]) in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_errors_carry_the_servers_message(app, live_api, run_cpp_client, researcher, tmp_path):
    missing = run_cpp_client(live_api, "get", "no-such-model")
    message = app.test_client().get("/api/models/no-such-model").json["message"]
    assert missing.returncode == 2 and f"error 404: {message}" in missing.stderr

    entry, files = demo_submission(tmp_path)
    anonymous = run_cpp_client(live_api, "submit", entry, *files)
    assert anonymous.returncode == 2 and "error 401: " in anonymous.stderr

    entry, files = demo_submission(tmp_path, domain="chemistry")
    refused = run_cpp_client(live_api, "submit", entry, *files, token=researcher.test_token)
    assert refused.returncode == 2 and "error 400: " in refused.stderr
    assert '"field":"domain"' in refused.stderr and "chemistry" in refused.stderr


def test_registry_throttling_is_retried_after_retry_after(submitted, api_app, live_api, run_cpp_client):
    model_id = submitted[0]["id"]
    # A budget of its own (the limit is part of the bucket's key), so other tests' counts do not matter.
    api_app.config["DEMOS_MODELS_API_RATELIMIT"] = "1 per 2 second"
    try:
        run_cpp_client(live_api, "metadata", model_id)
        throttled = run_cpp_client(live_api, "--max-retries", 0, "metadata", model_id)
        # At most 3 s, whatever Retry-After says; a back-off of 0.01 s would be too early.
        waited = run_cpp_client(
            live_api, "--verbose", "--backoff", 0.01, "--max-backoff", 3, "metadata", model_id
        )
    finally:
        api_app.config["DEMOS_MODELS_API_RATELIMIT"] = "100000 per hour"
    assert throttled.returncode == 2 and "error 429: Rate limit exceeded" in throttled.stderr
    assert waited.json["name"] == NAME
    waits = [float(line.split()[2]) for line in waited.stderr.splitlines()]
    assert waits and all(1 <= wait <= 3 for wait in waits), waited.stderr


class ScriptedRegistry(ThreadingHTTPServer):
    """Answers GETs with a script of (status, headers, JSON body); the last answer repeats."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ScriptedAnswer)
        self.script = []
        self.arrivals = []
        self.paths = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_port}/api"


class ScriptedAnswer(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.arrivals.append(time.monotonic())
        self.server.paths.append(self.path)
        script = self.server.script
        status, headers, body = script.pop(0) if len(script) > 1 else script[0]
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        """Quiet: pytest shows what matters."""


@pytest.fixture()
def scripted_registry():
    server = ScriptedRegistry()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


MODEL = {"id": "abc12-34567", "name": "A model", "status": "published"}
THROTTLED = {"status": 429, "message": "Rate limit exceeded (1 per 1 minute); retry after 1 s."}
UNAVAILABLE = {"status": 503, "message": "The search service is unavailable."}


def gaps(arrivals):
    return [later - earlier for earlier, later in pairwise(arrivals)]


def test_pages_are_followed_until_the_limit(scripted_registry, run_cpp_client):
    def page(number, last=False):
        links = {} if last else {"next": f"{scripted_registry.url}/models?page={number + 1}&size=2"}
        hits = [{**MODEL, "id": f"model-{number}-{index}"} for index in (1, 2)]
        return (200, {}, {"hits": hits, "total": 6, "links": links})

    scripted_registry.script = [page(1), page(2), page(3, last=True)]
    every = run_cpp_client(scripted_registry.url, "list", "--size", 2).json
    assert [model["id"] for model in every] == [f"model-{n}-{i}" for n in (1, 2, 3) for i in (1, 2)]
    assert parse_qs(urlparse(scripted_registry.paths[0]).query) == {"size": ["2"]}

    scripted_registry.script, scripted_registry.paths = [page(1), page(2), page(3, last=True)], []
    limited = run_cpp_client(scripted_registry.url, "list", "--size", 2, "--limit", 3).json
    assert len(limited) == 3 and len(scripted_registry.paths) == 2


@pytest.mark.parametrize("as_http_date", [False, True], ids=["seconds", "http-date"])
def test_429_is_retried_after_retry_after(scripted_registry, run_cpp_client, as_http_date):
    retry_after = formatdate(time.time() + 2, usegmt=True) if as_http_date else "1"
    scripted_registry.script = [(429, {"Retry-After": retry_after}, THROTTLED), (200, {}, MODEL)]
    answer = run_cpp_client(scripted_registry.url, "--backoff", 0.01, "get", MODEL["id"]).json
    assert answer == MODEL
    (gap,) = gaps(scripted_registry.arrivals)
    assert 0.9 <= gap <= 2.5


def test_503_is_retried_with_exponential_backoff(scripted_registry, run_cpp_client):
    scripted_registry.script = [(503, {}, UNAVAILABLE), (503, {}, UNAVAILABLE), (200, {}, MODEL)]
    assert run_cpp_client(scripted_registry.url, "--backoff", 0.2, "get", MODEL["id"]).json == MODEL
    first, second = gaps(scripted_registry.arrivals)
    assert 0.2 <= first < 0.4 <= second < 1.0


def test_retries_end_in_the_servers_error(scripted_registry, run_cpp_client):
    scripted_registry.script = [(503, {}, UNAVAILABLE)]
    failed = run_cpp_client(scripted_registry.url, "--max-retries", 2, "--backoff", 0.01, "get", MODEL["id"])
    assert failed.returncode == 2 and f"error 503: {UNAVAILABLE['message']}" in failed.stderr
    assert len(scripted_registry.arrivals) == 3


def test_no_answer_is_retried_then_reported(run_cpp_client):
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}/api"
        failed = run_cpp_client(url, "--verbose", "--max-retries", 1, "--backoff", 0.01, "get", MODEL["id"])
    assert failed.returncode == 4
    assert failed.stderr.splitlines()[0] == "retrying in 0.01 s" and "no answer: " in failed.stderr
