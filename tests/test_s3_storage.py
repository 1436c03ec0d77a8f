"""Model files in S3 through invenio-s3, against a real S3-protocol server (moto's server mode).

The deployments (docker-compose's MinIO, Kubernetes' managed S3) store every upload this
way; here the REST API stores a model, the registry validates it reading it back from the
bucket, and the download (a redirect to a presigned URL, as in production) is fetched from
the server, whole and by Range, and checked against the registry's SHA-256.
"""

import hashlib
import json
import socket
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from invenio_db import db
from invenio_files_rest.models import Location
from moto.server import ThreadedMotoServer
from rest_helpers import create_draft, model_metadata, publish, upload_file
from test_validation_runs import MODEL_FILE

BUCKET = "demos-test-files"
CREDENTIALS = {"S3_ACCESS_KEY_ID": "demos-test", "S3_SECRET_ACCESS_KEY": "demos-test-secret"}
REGION = "us-east-1"


def free_port():
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """The S3 server of moto on a free local port, with the files bucket; stopped after the module."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def s3_client(endpoint):
    """A plain boto3 client of the server, to look at the bucket behind the registry's back."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["S3_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="module")
def app_config(app_config, s3_endpoint):
    """The test app with invenio-s3 as storage, configured as docker-compose.yml configures it."""
    app_config.update(
        FILES_REST_STORAGE_FACTORY="invenio_s3.s3fs_storage_factory",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION_NAME=REGION,
        **CREDENTIALS,
    )
    return app_config


@pytest.fixture(scope="module")
def s3_location(app, database):
    """s3://BUCKET as the default files location (setup.sh's step); the previous default back after."""
    previous = Location.get_default()
    previous.default = False
    location = Location(name="s3-test", uri=f"s3://{BUCKET}", default=True)
    db.session.add(location)
    db.session.commit()
    yield location
    location.default = False
    previous.default = True
    db.session.commit()


def test_a_model_is_stored_validated_and_downloaded_from_s3(
    s3_location, s3_endpoint, client, api_headers, shared_models
):
    content = (shared_models / "pyhf" / MODEL_FILE).read_bytes()
    draft = create_draft(client, api_headers, model_metadata("Model stored in S3")).json
    upload_file(client, api_headers, draft["id"], MODEL_FILE, content)

    objects = s3_client(s3_endpoint).list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert len(content) in {stored["Size"] for stored in objects}, "the file is not in the bucket"

    # Tasks run eagerly here: the validation read the file back from S3.
    validation = client.get(f"/api/records/{draft['id']}/validation", headers=api_headers).json
    assert validation["status"] == "passed", validation
    response = publish(client, api_headers, draft["id"])
    assert response.status_code == 202, response.json
    record = response.json
    [checksum] = [c for c in record["custom_fields"]["demos:checksums"] if c["key"] == MODEL_FILE]
    assert checksum["sha256"] == hashlib.sha256(content).hexdigest()

    download = client.get(f"/api/records/{record['id']}/files/{MODEL_FILE}/content", headers=api_headers)
    assert download.status_code == 302, "invenio-s3 answers with a redirect to a presigned URL"
    presigned = download.headers["Location"]
    assert (
        presigned.startswith(f"{s3_endpoint}/{BUCKET}/") and "X-Amz-Signature=" in urlsplit(presigned).query
    )

    whole = requests.get(presigned, timeout=10)
    assert whole.status_code == 200
    assert hashlib.sha256(whole.content).hexdigest() == checksum["sha256"]
    assert json.loads(whole.content) == json.loads(content)

    part = requests.get(presigned, headers={"Range": "bytes=10-99"}, timeout=10)
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-99/{len(content)}"
    assert part.content == content[10:100]
