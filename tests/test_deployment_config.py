"""Static checks of the Docker deployment (Dockerfile, docker-compose.yml, docker/).

No Docker engine is needed and no app is created: these tests read the files and
compare them with the code they must agree with (the app's configuration names,
scripts/lib.sh, the repository's files), so a rename on either side fails here
instead of in production.
"""

import ast
import importlib.metadata
import importlib.util
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from demos_registry.validation_runs.queues import DEFAULT_VALIDATION_QUEUE

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"
NGINX = DOCKER / "nginx"

APP_SERVICES = ("setup", "web", "worker", "validation-worker", "beat")
# Not settings of any config module, but read by the code named here.
READ_WITHOUT_DEFAULT = {
    "PROXYFIX_CONFIG": "invenio_base.wsgi",
    "MAIL_SERVER": "flask_mail",
    "MAIL_PORT": "flask_mail",
    "MAIL_USE_TLS": "flask_mail",
    "MAIL_USERNAME": "flask_mail",
    "MAIL_PASSWORD": "flask_mail",
}
# Settings that must reach the app as Python strings whatever the secret looks like.
STRING_SETTINGS = (
    "SECRET_KEY",
    "SECURITY_PASSWORD_SALT",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "DATACITE_USERNAME",
    "DATACITE_PASSWORD",
    "DATACITE_PREFIX",
    "DATACITE_DATACENTER_SYMBOL",
)
# Values a secret could take that are also Python literals.
TRICKY_VALUES = ("10.5281", "123456", "1e10", "True", "None", "0x1f")
REGISTRY_HOSTS = re.compile(
    r"index-url|extra-index|find-links|--registry|https?://[^\s\"']*(simple|registry)", re.I
)
"""What pointing pip or npm at a package registry looks like: index flags or a registry URL."""


# Helpers
# =======
def read(path):
    """Text of a file of the repository."""
    return (REPO / path).read_text()


def parse_env_file(path):
    """KEY=VALUE lines of a Compose .env file."""
    values = {}
    for line in read(path).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(text, env):
    """Compose's variable interpolation: $$, ${X}, ${X:-d}, ${X-d}, ${X:?e}, ${X?e}."""

    def substitute(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("plain")
        op, arg = match.group("op"), match.group("arg")
        value = env.get(name)
        unset = not value if op and op.startswith(":") else value is None
        if op in (":-", "-") and unset:
            return interpolate(arg, env)
        if op in (":?", "?") and unset:
            raise KeyError(f"{name} is required: {arg}")
        return value or ""

    return _VARIABLE.sub(substitute, text)


def interpolate_all(node, env):
    """interpolate() applied to every string of a parsed YAML document."""
    if isinstance(node, dict):
        return {key: interpolate_all(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_all(value, env) for value in node]
    return interpolate(node, env) if isinstance(node, str) else node


def strings_in(node):
    """Every string value of a parsed YAML document."""
    if isinstance(node, dict):
        for value in node.values():
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)
    elif isinstance(node, str):
        yield node


def variables_in(text):
    """(name, operator) of every ${...}/$NAME reference in text, $$ escapes skipped."""
    return [
        (m.group("braced") or m.group("plain"), m.group("op"))
        for m in _VARIABLE.finditer(text)
        if m.group(0) != "$$"
    ]


def invenio_config_value(raw):
    """What invenio-config makes of an INVENIO_* environment value."""
    try:
        return ast.literal_eval(raw)
    except (SyntaxError, ValueError):
        return raw


def module_settings(path):
    """UPPERCASE names assigned at the top level of a config module (if/try included)."""
    names = set()

    def visit(statements):
        for node in statements:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(ast.parse(Path(path).read_text()).body)
    return names


def package_config(package):
    """Path of PACKAGE/config.py, found without importing anything, or None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "config.py"
    return path if path.exists() else None


def command_text(service):
    """A service's command as one string."""
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


# Fixtures
# ========
@pytest.fixture(scope="module")
def compose():
    """docker-compose.yml, anchors and merge keys resolved."""
    return yaml.safe_load(read("docker-compose.yml"))


@pytest.fixture(scope="module")
def services(compose):
    """The services of docker-compose.yml."""
    return compose["services"]


@pytest.fixture(scope="module")
def env_example():
    """docker/.env.example."""
    return parse_env_file("docker/.env.example")


@pytest.fixture(scope="module")
def lock():
    """Pipfile.lock."""
    return yaml.safe_load(read("Pipfile.lock"))  # JSON is YAML


@pytest.fixture(scope="module")
def known_settings():
    """Every configuration name the app understands from an INVENIO_* variable.

    The settings of the registry's config module and of the config module of
    every Invenio extension the app loads (invenio_base.apps/api_apps and
    invenio_config.module entry points), plus the names config.py derives other
    settings from (its _env("NAME", ...) calls).
    """
    packages = {
        entry_point.value.split(":")[0].split(".")[0]
        for group in ("invenio_base.apps", "invenio_base.api_apps", "invenio_config.module")
        for entry_point in importlib.metadata.entry_points(group=group)
    }
    assert {"invenio_app_rdm", "demos_registry"} <= packages
    names = set()
    for package in packages:
        path = package_config(package)
        if path:
            names |= module_settings(path)
    names |= module_settings(REPO / "site/demos_registry/config.py")
    names |= derived_settings()
    return names


def derived_settings():
    """Names config.py reads with _env(): INVENIO_<NAME> sets what it derives."""
    source = read("site/demos_registry/config.py")
    return set(re.findall(r'_env\(\s*"([A-Z0-9_]+)"', source))


def app_environment(services, name):
    """The environment mapping of an app service."""
    environment = services[name].get("environment", {})
    assert isinstance(environment, dict), f"{name}: use the mapping form of environment"
    return environment


# Compose structure
# =================
def test_compose_has_the_expected_services(services):
    expected = {
        "setup", "web", "worker", "validation-worker", "beat", "frontend",
        "db", "cache", "mq", "search", "s3", "s3-setup",
    }  # fmt: skip
    assert expected <= set(services)


def test_every_depends_on_names_an_existing_service(services):
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        for dependency in depends_on:
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert dependency != name


def test_dependency_conditions_can_be_met(services):
    """service_healthy needs a health check; one-shot jobs must be waited for to completion."""
    one_shots = {name for name, s in services.items() if s.get("restart") == "no"}
    assert one_shots == {"setup", "s3-setup"}
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            condition = spec["condition"]
            if dependency in one_shots:
                assert condition == "service_completed_successfully", (name, dependency)
            else:
                assert condition == "service_healthy", (name, dependency)
                assert "healthcheck" in services[dependency], dependency


def test_web_and_worker_wait_for_setup(services):
    for name in ("web", "worker", "validation-worker", "beat"):
        condition = services[name]["depends_on"]["setup"]["condition"]
        assert condition == "service_completed_successfully", name


def test_every_long_running_service_has_a_health_check(services):
    for name, service in services.items():
        if service.get("restart") == "no":
            continue
        assert service.get("restart") == "unless-stopped", name
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_volumes_are_declared(compose, services):
    declared = set(compose["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"
    assert {"db-data", "search-data", "s3-data", "static"} <= declared


def test_app_services_run_the_same_image(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        assert services[name]["build"]["context"] == "."


def test_app_commands(services):
    web = command_text(services["web"])
    assert web.startswith("gunicorn ") and web.endswith("invenio_app.wsgi:application")
    config = re.search(r"--config (\S+)", web).group(1)
    assert config == "/opt/invenio/src/docker/gunicorn.conf.py"
    assert (DOCKER / "gunicorn.conf.py").exists()

    worker = shlex.split(command_text(services["worker"]))
    assert worker[:4] == ["celery", "--app", "invenio_app.celery", "worker"]
    assert worker[worker.index("--queues") + 1] == "celery,low"  # as scripts/run

    beat = shlex.split(command_text(services["beat"]))
    assert beat[:4] == ["celery", "--app", "invenio_app.celery", "beat"]
    schedule = beat[beat.index("--schedule") + 1]
    assert schedule.startswith("/opt/invenio/var/beat/")  # writable for the app user
    assert "/opt/invenio/var/beat" in read("Dockerfile")

    assert services["setup"]["command"] == ["setup"]  # test_entrypoint_setup_runs_the_setup_job
    assert ("ENTRYPOINT", '["/opt/invenio/src/docker/entrypoint.sh"]') in dockerfile_instructions()
    assert ("COPY", "docker/ docker/") in dockerfile_instructions()


def test_validation_worker_consumes_only_the_validation_queue(rendered):
    """Validations have workers of their own; the general worker never takes one."""
    validation = shlex.split(command_text(rendered["validation-worker"]))
    assert validation[:4] == ["celery", "--app", "invenio_app.celery", "worker"]
    assert validation[validation.index("--queues") + 1] == DEFAULT_VALIDATION_QUEUE
    assert validation[validation.index("--prefetch-multiplier") + 1] == "1"
    worker = shlex.split(command_text(rendered["worker"]))
    assert DEFAULT_VALIDATION_QUEUE not in worker[worker.index("--queues") + 1].split(",")
    assert "INVENIO_DEMOS_VALIDATION_QUEUE" not in rendered["web"]["environment"]


def test_gunicorn_binds_the_port_nginx_proxies_to():
    settings = {}
    exec(compile(read("docker/gunicorn.conf.py"), "gunicorn.conf.py", "exec"), settings)
    assert settings["bind"] == "0.0.0.0:5000"
    assert settings["worker_class"] == "gthread"
    assert "server web:5000;" in read("docker/nginx/default.conf.template")


# Configuration: names and values
# ===============================
def test_every_invenio_variable_is_a_setting_the_app_knows(services, known_settings):
    """A typo (INVENIO_REDIS_URI, INVENIO_SEARCH_HOST) would be silently ignored by the app."""
    unknown = {}
    for name in APP_SERVICES:
        for variable in app_environment(services, name):
            if not variable.startswith("INVENIO_"):
                continue
            setting = variable[len("INVENIO_") :]
            if setting.startswith("S3_"):
                continue  # test_s3_backend_is_installed_and_knows_its_settings
            if setting in known_settings:
                continue
            if setting in READ_WITHOUT_DEFAULT:
                source = importlib.util.find_spec(READ_WITHOUT_DEFAULT[setting]).origin
                if setting in Path(source).read_text():
                    continue
            unknown.setdefault(variable, []).append(name)
    assert not unknown, f"settings unknown to the app: {unknown}"


def test_derived_service_settings_are_set(services):
    """config.py derives the service URLs from these; docker-compose must set each of them."""
    assert {"DATABASE_URL", "REDIS_URL", "BROKER_URL", "SITE_HOSTNAME"} <= derived_settings()
    for name in APP_SERVICES:
        environment = app_environment(services, name)
        for setting in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "SITE_HOSTNAME", "SEARCH_HOSTS"):
            assert f"INVENIO_{setting}" in environment, (name, setting)


S3_LOCKED = "invenio-s3" in yaml.safe_load((REPO / "Pipfile.lock").read_text())["default"]


@pytest.mark.xfail(
    not S3_LOCKED,
    strict=True,
    reason="Pipfile.lock has no invenio-s3 (Pipfile asks for invenio-app-rdm[s3]): "
    "re-lock, or the image cannot store files in MinIO",
)
def test_s3_backend_is_installed_and_knows_its_settings(services, lock):
    environment = app_environment(services, "web")
    factory = environment["INVENIO_FILES_REST_STORAGE_FACTORY"]
    assert factory == "invenio_s3.s3fs_storage_factory"
    assert "invenio-s3" in lock["default"]
    path = package_config("invenio_s3")
    assert path, "invenio_s3 is not installed in this environment"
    known = module_settings(path)
    for variable in environment:
        if variable.startswith("INVENIO_S3_"):
            assert variable[len("INVENIO_") :] in known, variable


def test_required_variables_are_in_env_example(compose, env_example):
    """Every variable docker-compose.yml needs from .env has a line in docker/.env.example."""
    for text in strings_in(compose):
        for name, op in variables_in(text):
            if op in (None, ":?", "?"):
                assert name in env_example, f"{name} has no default and is not in .env.example"


def test_env_example_holds_no_secret(env_example):
    secret = re.compile(r"PASSWORD|SECRET|SALT")
    for name, value in env_example.items():
        if secret.search(name):
            assert value in ("", "CHANGE_ME"), f"{name} must be a CHANGE_ME placeholder"
    assert env_example["SECRET_KEY"] == "CHANGE_ME"


REAL_SECRETS = {"INVENIO_SECRET_KEY": "'x7Fq2-real-secret'", "INVENIO_SECURITY_PASSWORD_SALT": "'s4lt-real'"}


def run_entrypoint(**env):
    """docker/entrypoint.sh with only the given environment (and PATH), running `echo started`."""
    return subprocess.run(
        ["sh", str(REPO / "docker/entrypoint.sh"), "echo", "started"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**REAL_SECRETS, "INVENIO_SECRET_KEY": "'CHANGE_ME'"}, "INVENIO_SECRET_KEY"),
        ({**REAL_SECRETS, "INVENIO_SECURITY_PASSWORD_SALT": "'CHANGE_ME'"}, "INVENIO_SECURITY_PASSWORD_SALT"),
        ({**REAL_SECRETS, "INVENIO_S3_SECRET_ACCESS_KEY": "'CHANGE_ME'"}, "INVENIO_S3_SECRET_ACCESS_KEY"),
        ({"INVENIO_SECURITY_PASSWORD_SALT": "'s4lt-real'"}, "INVENIO_SECRET_KEY(unset)"),
        (
            {"INVENIO_SECRET_KEY": "''", "INVENIO_SECURITY_PASSWORD_SALT": "'s4lt-real'"},
            "INVENIO_SECRET_KEY(unset)",
        ),
    ],
)
def test_entrypoint_refuses_placeholders_and_missing_secrets(env, named):
    """The production entry point stops before running anything, naming the setting."""
    result = run_entrypoint(**env)
    assert result.returncode == 1 and "started" not in result.stdout
    assert named in result.stderr and "refusing to start" in result.stderr


def test_entrypoint_starts_with_real_secrets():
    """The positive control: real values run the command, arguments as given."""
    result = run_entrypoint(**REAL_SECRETS)
    assert result.returncode == 0 and result.stdout.strip() == "started", result.stderr


def stub_command(bin_dir, name, log, exit_code=0):
    """An executable NAME in bin_dir that appends "NAME ARGUMENTS" to log and exits with exit_code."""
    stub = bin_dir / name
    stub.write_text(f"#!/bin/sh\necho \"{name} $*\" >> '{log}'\nexit {exit_code}\n")
    stub.chmod(0o755)


@dataclass
class SetupJob:
    """``entrypoint.sh setup`` (the `setup` service) in a scratch instance, commands stubbed."""

    root: Path

    @property
    def instance(self):
        return self.root / "instance"

    @property
    def volume(self):
        return self.root / "static-volume"

    @property
    def log(self):
        return self.root / "calls.log"

    def run(self, stubs=("invenio",), failing=None, **env):
        """Run the job with PATH's `stubs` replaced by stubs (`failing` exits 3); env None unsets."""
        bin_dir = self.root / "bin"
        bin_dir.mkdir(exist_ok=True)
        for name in stubs:
            stub_command(bin_dir, name, self.log, exit_code=3 if name == failing else 0)
        environment = {
            **REAL_SECRETS,
            "INVENIO_INSTANCE_PATH": str(self.instance),
            "DEMOS_STATIC_VOLUME": str(self.volume),
            **env,
        }
        return subprocess.run(
            ["sh", str(REPO / "docker/entrypoint.sh"), "setup"],
            env={
                "PATH": f"{bin_dir}:{os.environ['PATH']}",
                **{name: value for name, value in environment.items() if value is not None},
            },
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def calls(self):
        """The stubbed commands that ran, in order: "NAME ARGUMENTS" each."""
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture()
def setup_job(tmp_path):
    """A scratch instance whose built static files the job copies into an empty volume."""
    job = SetupJob(tmp_path)
    (job.instance / "static" / "dist").mkdir(parents=True)
    (job.instance / "static" / "dist" / "main.3f2a.js").write_text("bundle")
    job.volume.mkdir()
    return job


def test_entrypoint_setup_runs_the_setup_job(setup_job):
    """`setup` (the setup service's command) initialises the instance and fills the static volume."""
    result = setup_job.run()
    assert result.returncode == 0, result.stderr
    password_file = setup_job.instance / "data" / "admin-password"
    assert setup_job.calls() == [
        f"invenio demos setup --admin-email admin@demos.local --password-file {password_file}"
    ]
    assert (setup_job.volume / "dist" / "main.3f2a.js").read_text() == "bundle"
    assert result.stdout.splitlines()[-1] == "==> setup complete"


def test_entrypoint_setup_makes_s3_the_default_files_location(setup_job):
    result = setup_job.run(DEMOS_FILES_LOCATION_URI="s3://demos-files", DEMOS_ADMIN_EMAIL="ops@example.org")
    assert result.returncode == 0, result.stderr
    calls = setup_job.calls()
    assert calls[0].startswith("invenio demos setup --admin-email ops@example.org ")
    assert calls[1:] == [
        "invenio files location create --default s3-default s3://demos-files",
        "invenio files location list",
    ]


def test_entrypoint_setup_stops_at_the_first_failing_step(setup_job):
    """A failed `invenio demos setup` fails the job (web and worker then never start)."""
    result = setup_job.run(failing="invenio", DEMOS_FILES_LOCATION_URI="s3://demos-files")
    assert result.returncode == 3
    assert len(setup_job.calls()) == 1 and setup_job.calls()[0].startswith("invenio demos setup ")
    assert "setup complete" not in result.stdout
    assert list(setup_job.volume.iterdir()) == []


def test_entrypoint_setup_needs_the_instance_path(setup_job):
    result = setup_job.run(INVENIO_INSTANCE_PATH=None)
    assert result.returncode != 0
    assert "INVENIO_INSTANCE_PATH" in result.stderr
    assert setup_job.calls() == []


def test_entrypoint_setup_refuses_placeholders_before_any_step(setup_job):
    result = setup_job.run(INVENIO_SECRET_KEY="'CHANGE_ME'")
    assert result.returncode == 1 and "refusing to start" in result.stderr
    assert setup_job.calls() == []
    assert list(setup_job.volume.iterdir()) == []


def test_env_example_satisfies_compose(compose, env_example):
    """With .env.example as .env, docker compose interpolates every service; a missing line stops it."""
    assert set(interpolate_all(compose, env_example)["services"]) == set(compose["services"])
    required = {name for text in strings_in(compose) for name, op in variables_in(text) if op == ":?"}
    assert {"SECRET_KEY", "SECURITY_PASSWORD_SALT", "POSTGRES_PASSWORD"} <= required
    for name in required:
        without = {key: value for key, value in env_example.items() if key != name}
        with pytest.raises(KeyError, match=f"{name} is required"):
            interpolate_all(compose, without)


@pytest.fixture(scope="module")
def rendered(compose, env_example):
    """The services as docker compose would run them, .env.example with test secrets as .env."""
    env = dict(env_example)
    for name, value in env.items():
        if value == "CHANGE_ME":
            env[name] = f"test{name.lower()}0123456789"
    return interpolate_all(compose, env)["services"]


def test_service_urls_point_at_compose_services(rendered):
    web = rendered["web"]["environment"]
    database = urlsplit(web["INVENIO_DATABASE_URL"])
    assert database.scheme == "postgresql+psycopg2" and database.hostname == "db"
    db = rendered["db"]["environment"]
    assert (database.username, database.password) == (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"])
    assert database.path == "/" + db["POSTGRES_DB"]

    redis = urlsplit(web["INVENIO_REDIS_URL"])
    assert redis.scheme == "redis" and redis.hostname == "cache"
    assert redis.path in ("", "/"), "no database number: config.py appends /0 ... /6"

    broker = urlsplit(web["INVENIO_BROKER_URL"])
    mq = rendered["mq"]["environment"]
    assert broker.scheme == "amqp" and broker.hostname == "mq"
    assert (broker.username, broker.password) == (
        mq["RABBITMQ_DEFAULT_USER"],
        mq["RABBITMQ_DEFAULT_PASS"],
    )

    hosts = invenio_config_value(web["INVENIO_SEARCH_HOSTS"])
    assert hosts == [{"host": "search", "port": 9200}]

    assert urlsplit(web["INVENIO_S3_ENDPOINT_URL"]).hostname == "s3"
    s3_setup = rendered["s3-setup"]["environment"]
    assert invenio_config_value(web["INVENIO_S3_ACCESS_KEY_ID"]) == s3_setup["S3_ACCESS_KEY"]
    assert invenio_config_value(web["INVENIO_S3_SECRET_ACCESS_KEY"]) == s3_setup["S3_SECRET_KEY"]
    location = urlsplit(web["DEMOS_FILES_LOCATION_URI"])
    assert location.scheme == "s3" and location.netloc == s3_setup["S3_BUCKET"]


def test_app_services_get_the_same_settings(rendered):
    web = rendered["web"]["environment"]
    for name in ("setup", "worker", "validation-worker", "beat"):
        environment = rendered[name]["environment"]
        shared = {k: v for k, v in environment.items() if k.startswith("INVENIO_")}
        assert shared == {k: v for k, v in web.items() if k.startswith("INVENIO_")}, name


@pytest.mark.parametrize("tricky", TRICKY_VALUES)
def test_string_settings_stay_strings(compose, env_example, tricky):
    """invenio-config literal_evals INVENIO_* values: a salt of '123456' must not become an int."""
    env = {name: tricky for name in env_example}
    environment = interpolate_all(compose["services"]["web"]["environment"], env)
    for setting in STRING_SETTINGS:
        value = invenio_config_value(environment[f"INVENIO_{setting}"])
        assert value == tricky, (setting, value)


def test_typed_settings_parse(rendered):
    web = rendered["web"]["environment"]
    assert invenio_config_value(web["INVENIO_DATACITE_ENABLED"]) is False
    assert invenio_config_value(web["INVENIO_DATACITE_TEST_MODE"]) is True
    assert invenio_config_value(web["INVENIO_MAIL_SUPPRESS_SEND"]) is True
    assert isinstance(invenio_config_value(web["INVENIO_MAIL_PORT"]), int)
    assert invenio_config_value(web["INVENIO_PROXYFIX_CONFIG"]) == {"x_for": 1, "x_proto": 1}


# Dockerfile
# ==========
def dockerfile_instructions():
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_base_and_user():
    instructions = dockerfile_instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim-bookworm") in instructions
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert "INVENIO_INSTANCE_PATH=/opt/invenio/var/instance" in read("Dockerfile")


def test_dockerfile_installs_like_lib_sh():
    """ensure_venv's three pip steps, with the same flags."""
    dockerfile = read("Dockerfile")
    lib = read("scripts/lib.sh")
    for flags in ("--no-deps --require-hashes -r", "--no-deps --no-build-isolation -e"):
        assert flags in lib and flags in dockerfile
    assert re.search(r"python scripts/lock2req\.py > \S+", dockerfile)
    assert re.search(r"pip install --no-deps --no-build-isolation -e site\b", dockerfile)
    assert re.search(r"apt-get install [^&]*\bnodejs\b[^&]*\bnpm\b", dockerfile)


def test_dockerfile_prepares_the_instance_like_lib_sh():
    lib_items = re.search(r"for item in ([^;]+); do", read("scripts/lib.sh")).group(1).split()
    docker_items = re.search(r"for item in ([^;]+); do", read("Dockerfile")).group(1).split()
    assert docker_items == lib_items


def test_assets_are_built_like_lib_sh():
    """docker/build-assets.sh runs build_assets' steps in the same order."""
    steps = ["collect", "webpack create", "pin_npm.py", "npm install", "webpack build"]

    def order(text):
        return [text.index(step) for step in steps]

    lib = read("scripts/lib.sh")
    build_assets = lib[lib.index("build_assets()") :]
    script = read("docker/build-assets.sh")
    assert order(build_assets) == sorted(order(build_assets))
    assert order(script) == sorted(order(script))
    assert "sh docker/build-assets.sh" in read("Dockerfile")


def test_files_the_image_needs_exist():
    for path in (
        "scripts/lock2req.py",
        "scripts/pin_npm.py",
        "site/pyproject.toml",
        "Pipfile.lock",
        "docker/entrypoint.sh",
        "docker/setup.sh",
        "docker/healthcheck.py",
        "docker/gunicorn.conf.py",
    ):
        assert (REPO / path).is_file(), path
    for keyword, rest in dockerfile_instructions():
        if keyword == "COPY" and not rest.startswith("--from"):
            *sources, _ = [p for p in rest.split() if not p.startswith("--")]
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                top = source.rstrip("/").split("/")[0]
                assert top not in dockerignore_entries(), f"{source} is excluded by .dockerignore"


def dockerignore_entries():
    """The plain (non-glob) entries of .dockerignore."""
    return {
        line.strip()
        for line in read(".dockerignore").splitlines()
        if line.strip() and not line.startswith("#") and "*" not in line
    }


def test_dockerignore_keeps_secrets_and_local_state_out():
    entries = dockerignore_entries()
    assert {".env", ".git", ".venv", "var"} <= entries
    assert "docker/.env*" in read(".dockerignore")


def test_no_package_registry_in_deployment_files():
    for path in (
        "Dockerfile",
        ".dockerignore",
        "docker-compose.yml",
        "docker/.env.example",
        *[str(p.relative_to(REPO)) for p in DOCKER.rglob("*") if p.is_file()],
    ):
        assert not REGISTRY_HOSTS.search(read(path)), path


# nginx
# =====
def test_nginx_upstreams_are_compose_services(services):
    config = read("docker/nginx/default.conf.template")
    upstreams = re.findall(r"^\s*server\s+([a-z0-9-]+):(\d+)", config, re.M)
    assert ("web", "5000") in upstreams and ("s3", "9000") in upstreams
    for host, _ in upstreams:
        assert host in services
    assert "proxy_pass http://web;" in read("docker/nginx/proxy-to-web.conf")
    assert "web" in services["frontend"]["depends_on"]


def test_nginx_rewrites_s3_redirects_for_the_endpoint_the_app_signs_for(rendered):
    endpoint = rendered["web"]["environment"]["INVENIO_S3_ENDPOINT_URL"].rstrip("/")
    assert f"proxy_redirect {endpoint}/ /s3/;" in read("docker/nginx/proxy-to-web.conf")
    config = read("docker/nginx/default.conf.template")
    assert f"proxy_set_header Host {urlsplit(endpoint).netloc};" in config


def test_nginx_serves_the_static_volume_setup_fills(services, setup_job):
    config = read("docker/nginx/default.conf.template")
    frontend_mounts = dict(v.split(":")[:2] for v in services["frontend"]["volumes"])
    setup_mounts = dict(v.split(":")[:2] for v in services["setup"]["volumes"])
    assert frontend_mounts["static"] == "/srv/static"
    assert "alias /srv/static/;" in config
    assert setup_mounts["static"] == "/opt/invenio/var/static"
    # Without DEMOS_STATIC_VOLUME (as in compose), the job copies into that mount.
    result = setup_job.run(stubs=("invenio", "cp"), DEMOS_STATIC_VOLUME=None)
    assert result.returncode == 0, result.stderr
    assert setup_job.calls()[-1] == (
        f"cp -RL --preserve=mode,timestamps {setup_job.instance}/static/. /opt/invenio/var/static/"
    )


def test_nginx_upload_location(services):
    config = read("docker/nginx/default.conf.template")
    location = re.search(r"location ~ (\S+) \{(.*?)\n    \}", config, re.S)
    pattern, body = location.group(1), location.group(2)
    assert re.search(pattern, "/api/records/abcde-12345/draft/files/model.json/content")
    assert re.search(pattern, "/api/records/abcde-12345/draft/files/model.json/content/3")
    assert not re.search(pattern, "/api/records/abcde-12345/files/model.json/content")
    assert "proxy_request_buffering off;" in body
    assert "client_max_body_size ${DEMOS_MAX_UPLOAD_SIZE};" in body


def test_upload_limit_is_the_same_in_nginx_and_the_app(rendered):
    """Nginx's limit for file contents must not exceed what the app then reads (413 otherwise)."""
    nginx_limit = rendered["frontend"]["environment"]["DEMOS_MAX_UPLOAD_SIZE"]
    app_limit = invenio_config_value(rendered["web"]["environment"]["INVENIO_MAX_CONTENT_LENGTH"])
    assert isinstance(app_limit, int) and app_limit >= 100 * 1024 * 1024
    assert int(nginx_limit) == app_limit


def test_nginx_template_variables_are_set(services):
    config = read("docker/nginx/default.conf.template")
    used = set(re.findall(r"\$\{(DEMOS_[A-Z_]+)\}", config))
    assert used and used <= set(services["frontend"]["environment"])
    assert "NGINX_ENVSUBST_FILTER=^DEMOS_" in read("docker/nginx/Dockerfile")
    assert "return 301 https://${DEMOS_SITE_HOSTNAME}$request_uri;" in config


def test_nginx_health_check_path_exists(services):
    check = " ".join(services["frontend"]["healthcheck"]["test"])
    path = re.search(r"https://localhost(/\S*)", check).group(1)
    assert f"location = {path} {{" in read("docker/nginx/default.conf.template")
