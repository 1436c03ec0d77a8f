"""Fixtures of the client tests: the C++ client built with CMake, the registry served over HTTP.

The C++ client's Debian build dependencies are installed with apt-get when missing and the
tests run as root (as scripts/test installs chromium); without them the tests are skipped
with the command that installs them. It is built into a temporary folder, never the sources.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CPP_SOURCES = REPO / "clients" / "cpp"
BUILD_PACKAGES = ("cmake", "g++", "libcurl4-openssl-dev", "nlohmann-json3-dev")
APT_LOCK_WAIT = "DPkg::Lock::Timeout=300"
"""Other sessions may be installing packages: wait for dpkg's lock rather than fail."""


def missing_build_packages():
    """The Debian packages of BUILD_PACKAGES that are not installed (none known off Debian: CMake says)."""
    if shutil.which("dpkg-query") is None:
        return []
    return [
        package
        for package in BUILD_PACKAGES
        if subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status}", package], capture_output=True, text=True
        ).stdout
        != "installed"
    ]


@pytest.fixture(scope="session")
def cpp_build_dependencies(tmp_path_factory):
    """CMake, g++, libcurl and nlohmann-json, installed from Debian's packages when missing."""
    missing = missing_build_packages()
    if not missing:
        return
    install = f"apt-get install {' '.join(missing)}"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"the C++ client's build dependencies are missing: run 'sudo {install}'")
    log = tmp_path_factory.mktemp("apt") / "apt.log"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("w") as output:
        for command in (
            ["apt-get", "-o", APT_LOCK_WAIT, "update", "-qq"],
            ["apt-get", "-o", APT_LOCK_WAIT, "install", "-y", "-qq", *missing],
        ):
            if subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=environment).returncode:
                pytest.skip(f"could not '{install}' (see {log})")


@dataclass
class CppBuild:
    """The built C++ client: its CMake build folder and the demos-registry program."""

    folder: Path
    program: Path


@pytest.fixture(scope="session")
def cpp_build(cpp_build_dependencies, tmp_path_factory):
    """clients/cpp configured and built (library, example program, unit tests) in a temporary folder."""
    folder = tmp_path_factory.mktemp("cpp-client-build")
    for command in (
        ["cmake", "-S", str(CPP_SOURCES), "-B", str(folder)],
        ["cmake", "--build", str(folder), "--parallel", "2"],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return CppBuild(folder, folder / "demos-registry")


@dataclass
class CliResult:
    """What one run of the demos-registry program did."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self):
        """The answer printed on stdout."""
        assert self.returncode == 0, f"exit {self.returncode}: {self.stderr}"
        return json.loads(self.stdout)


@pytest.fixture(scope="session")
def run_cpp_client(cpp_build):
    """Runs ``demos-registry [options] COMMAND ...`` against a URL, with an optional token."""

    def run(url, *arguments, token=None, timeout=180):
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("DEMOS_REGISTRY_")
        }
        environment["DEMOS_REGISTRY_URL"] = url
        if token:
            environment["DEMOS_REGISTRY_TOKEN"] = token
        result = subprocess.run(
            [str(cpp_build.program), *map(str, arguments)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
        )
        return CliResult(result.returncode, result.stdout, result.stderr)

    return run


@pytest.fixture(scope="module")
def app_config(app_config):
    """Rate limits on (pytest-invenio turns them off) with generous budgets, as in tests/models_api."""
    app_config.update(
        RATELIMIT_ENABLED=True,
        DEMOS_MODELS_API_RATELIMIT="100000 per hour",
        DEMOS_MODELS_API_RATELIMIT_AUTHENTICATED="100000 per hour",
    )
    return app_config
