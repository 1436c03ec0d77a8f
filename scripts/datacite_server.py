r"""A local server speaking the DataCite REST API, for development and tests (not shipped in site/).

It implements the part of https://support.datacite.org/reference/dois-2 that a
repository uses: ``POST /dois``, ``PUT/GET/DELETE /dois/<doi>``, ``GET /dois``,
JSON:API documents, HTTP basic auth, the states draft / registered / findable
(events ``register``, ``publish``, ``hide``) and ``422`` with JSON:API errors when
the metadata of a registered or findable DOI fails the DataCite 4.5 schema (e.g. a
longitude beyond ±180; coordinates may be numeric strings, as DataCite accepts them).
The ``datacite`` client package cannot tell it from the real service, so the
registry's product code runs unchanged against it (only ``DATACITE_URL`` differs).

DOIs live in memory, or in a JSON file given with ``--store`` (kept across restarts).

    python scripts/datacite_server.py --port 5500 --prefix 10.80000 \
        --username demos --password demos
"""

import argparse
import base64
import contextlib
import hmac
import json
import secrets
import string
import threading
from datetime import UTC, datetime
from pathlib import Path

from datacite import schema45
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

JSON_API = "application/vnd.api+json"
REST_ONLY_ATTRIBUTES = ("doi", "prefix", "suffix", "event", "url", "state", "created", "updated")
"""Attributes of a DOI document that are not DataCite metadata (not schema-validated)."""

STATE_AFTER_EVENT = {"register": "registered", "publish": "findable", "hide": "registered"}
SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


def now():
    """The current time as DataCite writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def errors_response(status, *errors):
    """A JSON:API error document, as DataCite sends it."""
    body = {"errors": [{"status": str(status), **error} for error in errors]}
    response = jsonify(body)
    response.status_code = status
    response.content_type = JSON_API
    return response


def document_response(doi_record, status=200):
    """The JSON:API document of one DOI."""
    response = jsonify({"data": {"id": doi_record["doi"], "type": "dois", "attributes": doi_record}})
    response.status_code = status
    response.content_type = JSON_API
    return response


COORDINATES = (
    "pointLongitude",
    "pointLatitude",
    "westBoundLongitude",
    "eastBoundLongitude",
    "southBoundLatitude",
    "northBoundLatitude",
)
"""Properties of ``geoLocations`` that DataCite reads as numbers (``xs:float`` in its XML schema)."""


def as_numbers(geo_location):
    """A geoLocation with its coordinates given as numeric strings turned into numbers.

    DataCite stores the JSON it receives as XML, where ``"6.05"`` and ``6.05`` are the
    same coordinate; InvenioRDM sends strings. The JSON schema of the ``datacite``
    package only takes numbers: converting first makes this server refuse what DataCite
    refuses (a coordinate out of range) and accept what it accepts.
    """
    if isinstance(geo_location, list):
        return [as_numbers(item) for item in geo_location]
    if not isinstance(geo_location, dict):
        return geo_location
    converted = {}
    for key, value in geo_location.items():
        if key in COORDINATES and isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a number: left for the schema to report
                value = float(value)
        converted[key] = as_numbers(value)
    return converted


def schema_errors(attributes):
    """DataCite 4.5 schema violations of a DOI's metadata, as JSON:API errors."""
    metadata = {key: value for key, value in attributes.items() if key not in REST_ONLY_ATTRIBUTES}
    if "geoLocations" in metadata:
        metadata["geoLocations"] = as_numbers(metadata["geoLocations"])
    return [
        {"source": "/".join(str(part) for part in error.absolute_path) or "metadata", "title": error.message}
        for error in schema45.validator.iter_errors(metadata)
    ]


class DoiStore:
    """The DOIs of the server: a dict, optionally mirrored to a JSON file."""

    def __init__(self, path=None):
        """Load the file if there is one."""
        self.path = Path(path) if path else None
        self.lock = threading.Lock()
        self.dois = json.loads(self.path.read_text()) if self.path and self.path.exists() else {}

    def get(self, doi):
        """A copy of one DOI's record, or None."""
        with self.lock:
            found = self.dois.get(doi.lower())
            return dict(found) if found else None

    def put(self, doi_record):
        """Store one DOI's record."""
        with self.lock:
            self.dois[doi_record["doi"].lower()] = doi_record
            self._save()

    def delete(self, doi):
        """Forget a DOI."""
        with self.lock:
            self.dois.pop(doi.lower(), None)
            self._save()

    def all(self):
        """Copies of all DOI records."""
        with self.lock:
            return [dict(value) for value in self.dois.values()]

    def _save(self):
        if self.path:
            self.path.write_text(json.dumps(self.dois, indent=1))


def create_app(prefix, username, password, store_path=None):
    """The DataCite-protocol WSGI application for one repository account."""
    app = Flask(__name__)
    store = DoiStore(store_path)
    app.config["DOI_STORE"] = store

    def authorised():
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            given_user, _, given_password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(given_user, username) and hmac.compare_digest(given_password, password)

    def unauthorised():
        return errors_response(401, {"title": "Bad credentials."})

    def request_attributes():
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return None
        attributes = body["data"].get("attributes") or {}
        return attributes if isinstance(attributes, dict) else None

    def apply_event(doi_record, event):
        """Move the DOI to the state an event asks for, or return an error."""
        state = doi_record["state"]
        if event is None:
            return None
        if event not in STATE_AFTER_EVENT:
            return {"source": "event", "title": f"Event {event!r} is not one of register, publish, hide."}
        if event == "hide" and state != "findable":
            return {"source": "event", "title": "Only findable DOIs can be hidden."}
        if event == "register" and state == "findable":
            return {"source": "event", "title": "A findable DOI cannot go back to registered; hide it."}
        doi_record["state"] = STATE_AFTER_EVENT[event]
        return None

    def validated(doi_record):
        """Schema and URL errors of a DOI leaving the draft state."""
        if doi_record["state"] == "draft":
            return []
        errors = schema_errors(doi_record)
        if not doi_record.get("url"):
            errors.append({"source": "url", "title": "Can't be blank."})
        return errors

    @app.get("/heartbeat")
    def heartbeat():
        return "OK", 200, {"Content-Type": "text/plain"}

    @app.post("/dois")
    def create_doi():
        if not authorised():
            return unauthorised()
        attributes = request_attributes()
        if attributes is None:
            return errors_response(400, {"title": "You need to provide a payload following the JSONAPI spec"})
        doi = (attributes.get("doi") or "").strip()
        if not doi:
            suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(8))
            doi = f"{attributes.get('prefix') or prefix}/{suffix[:4]}-{suffix[4:]}"
        doi_prefix, _, suffix = doi.partition("/")
        if doi_prefix != prefix or not suffix:
            return errors_response(403, {"title": "You are not authorized to access this resource."})
        if store.get(doi):
            return errors_response(422, {"source": "doi", "title": "This DOI has already been taken"})
        stamp = now()
        doi_record = {
            **attributes,
            "doi": doi.lower(),
            "prefix": doi_prefix,
            "suffix": suffix.lower(),
            "state": "draft",
            "created": stamp,
            "updated": stamp,
        }
        doi_record.pop("event", None)
        errors = [error for error in [apply_event(doi_record, attributes.get("event"))] if error]
        errors += validated(doi_record)
        if errors:
            return errors_response(422, *errors)
        store.put(doi_record)
        return document_response(doi_record, status=201)

    @app.put("/dois/<path:doi>")
    def update_doi(doi):
        if not authorised():
            return unauthorised()
        attributes = request_attributes()
        if attributes is None:
            return errors_response(400, {"title": "You need to provide a payload following the JSONAPI spec"})
        existing = store.get(doi)
        if existing is None:
            if doi.partition("/")[0] != prefix:
                return errors_response(404, {"title": "The resource you are looking for doesn't exist."})
            stamp = now()
            existing = {
                "doi": doi.lower(),
                "prefix": prefix,
                "suffix": doi.partition("/")[2].lower(),
                "state": "draft",
                "created": stamp,
            }
        changes = {key: value for key, value in attributes.items() if key not in REST_ONLY_ATTRIBUTES}
        doi_record = {**existing, **changes, "updated": now()}
        if "url" in attributes:
            doi_record["url"] = attributes["url"]
        errors = [error for error in [apply_event(doi_record, attributes.get("event"))] if error]
        errors += validated(doi_record)
        if errors:
            return errors_response(422, *errors)
        store.put(doi_record)
        return document_response(doi_record, status=200 if "updated" in existing else 201)

    @app.get("/dois/<path:doi>")
    def show_doi(doi):
        doi_record = store.get(doi)
        if doi_record is None or (doi_record["state"] != "findable" and not authorised()):
            return errors_response(404, {"title": "The resource you are looking for doesn't exist."})
        return document_response(doi_record)

    @app.delete("/dois/<path:doi>")
    def delete_doi(doi):
        if not authorised():
            return unauthorised()
        doi_record = store.get(doi)
        if doi_record is None:
            return errors_response(404, {"title": "The resource you are looking for doesn't exist."})
        if doi_record["state"] != "draft":
            return errors_response(405, {"title": "Method not allowed"})
        store.delete(doi)
        return "", 204

    @app.get("/dois")
    def list_dois():
        wanted_prefix = request.args.get("prefix")
        visible = [
            doi_record
            for doi_record in store.all()
            if (doi_record["state"] == "findable" or authorised())
            and (not wanted_prefix or doi_record["prefix"] == wanted_prefix)
        ]
        data = [{"id": item["doi"], "type": "dois", "attributes": item} for item in visible]
        response = jsonify({"data": data, "meta": {"total": len(data)}})
        response.content_type = JSON_API
        return response

    return app


class DataCiteServer:
    """The application served on a loopback port by a background thread."""

    def __init__(self, prefix, username, password, host="127.0.0.1", port=0, store_path=None):
        """Bind the port (0: a free one) without serving yet."""
        self.app = create_app(prefix, username, password, store_path)
        self._server = make_server(host, port, self.app, threaded=True)
        self.host, self.port = host, self._server.server_port
        self._thread = None

    @property
    def url(self):
        """The base URL to configure as ``DATACITE_URL``."""
        return f"http://{self.host}:{self.port}/"

    @property
    def store(self):
        """The DOIs the server holds."""
        return self.app.config["DOI_STORE"]

    def start(self):
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def main(argv=None):
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5500)
    parser.add_argument("--prefix", default="10.80000")
    parser.add_argument("--username", default="demos")
    parser.add_argument("--password", default="demos")
    parser.add_argument("--store", help="JSON file keeping the DOIs across restarts")
    args = parser.parse_args(argv)
    server = DataCiteServer(args.prefix, args.username, args.password, args.host, args.port, args.store)
    print(f"DataCite-protocol server for prefix {args.prefix} on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._server.serve_forever()


if __name__ == "__main__":
    main()
