"""``scripts/audit`` against a local stand-in of PyPI's vulnerability feed.

pip-audit asks ``https://pypi.org/pypi/<name>/<version>/json`` about every locked
package (its ``vulnerabilities`` list); the address is not configurable, so the test
reaches the stand-in the way a company network reaches PyPI: through an HTTPS proxy
(``HTTPS_PROXY``) that answers for pypi.org with a certificate of a test CA
(``REQUESTS_CA_BUNDLE``). The stand-in knows one vulnerability of one locked package,
or none. pip-audit itself is installed by the script in ``var/audit/venv`` on its first
run, as on any machine.
"""

import json
import os
import re
import ssl
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
AUDIT = REPO / "scripts" / "audit"
PIP_AUDIT = REPO / "var" / "audit" / "venv" / "bin" / "pip-audit"
LOCKED = json.loads((REPO / "Pipfile.lock").read_text())["default"]
VULNERABLE_PACKAGE = "jinja2"
VULNERABLE_VERSION = LOCKED[VULNERABLE_PACKAGE]["version"].lstrip("=")
VULNERABILITY = {
    "id": "PYSEC-0000-DEMOS1",
    "aliases": ["CVE-0000-00001"],
    "summary": "A vulnerability the test made up.",
    "fixed_in": ["99.0.0"],
    "published": "2026-01-01T00:00:00Z",
    "withdrawn": None,
}
PYPI_JSON = re.compile(r"^/pypi/(?P<name>[^/]+)/(?P<version>[^/]+)/json$")


def certificate(subject, issuer_name, public_key, signing_key, is_ca, names=()):
    """An X.509 certificate valid for a day."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def pem(cert):
    """PEM text of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory):
    """A CA file for REQUESTS_CA_BUNDLE and a TLS context that speaks as pypi.org, signed by it."""
    folder = tmp_path_factory.mktemp("audit-ca")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("DEMOS audit test CA", "DEMOS audit test CA", ca_key.public_key(), ca_key, is_ca=True)
    server = certificate(
        "pypi.org", "DEMOS audit test CA", server_key.public_key(), ca_key, False, ["pypi.org"]
    )
    (folder / "ca.pem").write_bytes(pem(ca))
    (folder / "server.pem").write_bytes(pem(server) + pem(ca))
    (folder / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return folder / "ca.pem", context


class PyPIJsonHandler(BaseHTTPRequestHandler):
    """PyPI's per-release JSON API: info and the release's known vulnerabilities."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        """The release document; 404 for anything else."""
        match = PYPI_JSON.match(self.path)
        if not match:
            self.send_error(404)
            return
        name, version = match["name"], match["version"]
        self.server.asked.add(name)
        document = {
            "info": {"name": name, "version": version},
            "vulnerabilities": self.server.vulnerabilities.get((name, version), []),
        }
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


class ProxyHandler(BaseHTTPRequestHandler):
    """An HTTPS proxy that answers pypi.org's tunnel itself (with the stand-in) and refuses others."""

    protocol_version = "HTTP/1.1"

    def do_CONNECT(self):
        """Open the tunnel, speak TLS as pypi.org, serve the JSON API inside it."""
        if self.path.split(":")[0] != "pypi.org":
            self.send_error(403, "only pypi.org here")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        tunnel = self.server.tls.wrap_socket(self.connection, server_side=True)
        PyPIJsonHandler(tunnel, self.client_address, self.server)
        self.close_connection = True

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture()
def fake_pypi(test_ca):
    """The proxy with the stand-in feed; set .vulnerabilities before running the audit."""
    ca_file, tls = test_ca
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler)
    server.daemon_threads = True
    server.tls, server.ca_file, server.vulnerabilities, server.asked = tls, ca_file, {}, set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def pip_audit_installed():
    """pip-audit in var/audit/venv, installed by the script itself on its first run.

    ``--version`` is passed on to pip-audit, which then prints its version and queries
    nothing (the script calls that "pip-audit failed", exit 2): the install is all we want.
    """
    if not PIP_AUDIT.exists():
        subprocess.run([str(AUDIT), "--version"], capture_output=True, text=True, timeout=600)
    if not PIP_AUDIT.exists():
        pytest.skip(f"scripts/audit could not install pip-audit: see {REPO}/var/log/audit-install.log")


def audit(proxy_port, ca_file, cache):
    """Run scripts/audit through the proxy; (exit code, output)."""
    environment = {
        **{name: value for name, value in os.environ.items() if "proxy" not in name.lower()},
        "HTTPS_PROXY": f"http://127.0.0.1:{proxy_port}",
        "REQUESTS_CA_BUNDLE": str(ca_file),
        "CURL_CA_BUNDLE": str(ca_file),
    }
    result = subprocess.run(
        [str(AUDIT), "--cache-dir", str(cache), "--timeout", "20"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr


def locked_packages(output):
    """How many packages the script read from the lock."""
    return int(re.search(r"(\d+) locked packages", output)[1])


@pytest.mark.usefixtures("pip_audit_installed")
def test_a_known_vulnerability_of_a_locked_package_fails_the_audit(fake_pypi, tmp_path):
    """Exit 1, the package, its locked version, the vulnerability and its fix named."""
    fake_pypi.vulnerabilities = {(VULNERABLE_PACKAGE, VULNERABLE_VERSION): [VULNERABILITY]}
    status, output = audit(fake_pypi.server_port, fake_pypi.ca_file, tmp_path)
    assert status == 1, output
    assert f"{VULNERABLE_PACKAGE} {VULNERABLE_VERSION}: PYSEC-0000-DEMOS1 (fixed in 99.0.0)" in output
    count = locked_packages(output)
    assert f"{count} packages, {count} checked, 0 not checked, 1 with known vulnerabilities" in output
    assert len(fake_pypi.asked) == count  # every locked package was asked about


@pytest.mark.usefixtures("pip_audit_installed")
def test_a_lock_without_known_vulnerabilities_passes(fake_pypi, tmp_path):
    """Exit 0 when the feed knows nothing against any locked package."""
    status, output = audit(fake_pypi.server_port, fake_pypi.ca_file, tmp_path)
    assert status == 0, output
    count = locked_packages(output)
    assert f"{count} packages, {count} checked, 0 not checked, 0 with known vulnerabilities" in output
    assert "no known vulnerabilities" in output


@pytest.mark.usefixtures("pip_audit_installed")
def test_an_unreachable_service_is_not_a_pass(test_ca, tmp_path):
    """Exit 3 when nothing answers: nothing was checked, and the script says so."""
    ca_file, _ = test_ca
    with ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler) as closed:
        port = closed.server_port  # bound, then closed: nothing listens there
    status, output = audit(port, ca_file, tmp_path)
    assert status == 3, output
    assert "NOTHING WAS CHECKED" in output
