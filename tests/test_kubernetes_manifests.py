"""The Kubernetes deployment (deploy/kubernetes): rendered, schema-checked and held to its policy.

Every overlay is rendered with `kubectl kustomize` (offline), validated against the
Kubernetes 1.30 schemas that kubernetes-validate ships (no network), and the rendered
objects are checked for what a cluster would only reveal later: limits, probes, non-root,
read-only root filesystems, image tags, Secret/ConfigMap keys, the validation workers'
network boundary, one beat, and the KEDA trigger on the validation queue. What only a
cluster can show (KEDA scaling, NetworkPolicy enforcement by the CNI) is not claimed here.
"""

import inspect
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from test_deployment_config import STRING_SETTINGS, invenio_config_value

from demos_registry.validation_runs.api import save
from demos_registry.validation_runs.queues import DEFAULT_VALIDATION_QUEUE

REPO = Path(__file__).resolve().parent.parent
KUBERNETES = REPO / "deploy" / "kubernetes"
OVERLAYS = ("small", "large")
KUBERNETES_VERSION = "1.30.0"
KEDA_API = "keda.sh/v1alpha1"
WORKLOADS = ("Deployment", "Job")

# Ports the validation workers may open, by service; search only while the verdict is
# indexed in the task (test_search_egress_is_still_needed).
SERVICE_PORTS = {
    "broker": {5671, 5672},
    "database": {5432},
    "redis": {6379},
    "s3": {443, 9000},
    "search": {443, 9200},
}
DNS_PORT = 53
VALIDATION_REPLICAS = {"small": (1, 3), "large": (1, 50)}


# Rendering
# =========
def kustomize(path):
    """The objects `kubectl kustomize PATH` renders."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the manifests cannot be rendered (apt-get install kubectl)")
    result = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request):
    """(name, rendered objects) of each overlay."""
    return request.param, kustomize(KUBERNETES / "overlays" / request.param)


@pytest.fixture(scope="module")
def objects(overlay):
    """The rendered objects of one overlay."""
    return overlay[1]


@pytest.fixture(scope="module")
def example_secret():
    """deploy/kubernetes/secret.example.yaml."""
    return yaml.safe_load((KUBERNETES / "secret.example.yaml").read_text())


def of_kind(objects, kind):
    """{name: object} of one kind."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects):
    """(workload name, pod spec, pod labels) of every Deployment and Job."""
    for o in objects:
        if o["kind"] in WORKLOADS:
            template = o["spec"]["template"]
            yield o["metadata"]["name"], template["spec"], template["metadata"].get("labels", {})


def containers(spec):
    """Init and app containers of a pod spec."""
    return [*spec.get("initContainers", []), *spec["containers"]]


def selects(selector, labels):
    """A label selector (matchLabels/matchExpressions, or a Service's plain map) matches labels."""
    match_labels = selector.get("matchLabels", selector if "matchExpressions" not in selector else {})
    if not all(labels.get(key) == value for key, value in match_labels.items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
    return True


def component(objects, name):
    """The Deployment whose pods carry app.kubernetes.io/component=NAME."""
    [deployment] = [
        d
        for d in of_kind(objects, "Deployment").values()
        if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == name
    ]
    return deployment


def command(deployment):
    """The first container's arguments."""
    return deployment["spec"]["template"]["spec"]["containers"][0]["args"]


def option(arguments, name):
    """The value following NAME in an argument list."""
    return arguments[arguments.index(name) + 1]


# Rendering and schemas
# =====================
def test_every_overlay_renders_the_whole_deployment(objects):
    kinds = {o["kind"] for o in objects}
    assert {
        "ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "Job", "NetworkPolicy", "ScaledObject", "TriggerAuthentication",
    } <= kinds  # fmt: skip
    assert "Secret" not in kinds, "the example secret must never be applied with the overlay"
    assert {o["metadata"]["namespace"] for o in objects} == {"demos"}


@pytest.fixture()
def no_network(monkeypatch):
    """Any connection attempt fails the test: schemas must come from the package."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("kubernetes-validate tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_objects_validate_against_kubernetes_1_30_offline(objects, no_network):
    """Strict: an unknown field is an error. KEDA's CRDs have no schema here; their shape is tested below."""
    unchecked = set()
    for o in objects:
        try:
            assert kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True) == "1.30"
        except kubernetes_validate.SchemaNotFoundError:
            unchecked.add((o["apiVersion"], o["kind"]))
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(step) for step in error.path)
            pytest.fail(f"{o['kind']}/{o['metadata']['name']}: {path}: {error.message}")
    assert unchecked == {(KEDA_API, "ScaledObject"), (KEDA_API, "TriggerAuthentication")}


def test_schema_check_catches_a_misspelled_field(objects, no_network):
    """The check above can fail: a typo in a pod spec is refused."""
    deployment = yaml.safe_load(yaml.safe_dump(component(objects, "web")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


# Pods: resources, security, images, probes
# =========================================
def test_every_container_has_requests_and_limits(objects):
    for name, spec, _ in pod_specs(objects):
        for container in containers(spec):
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                assert resource in resources.get("requests", {}), (name, container["name"], resource)
                assert resource in resources.get("limits", {}), (name, container["name"], resource)


def test_pods_run_non_root_read_only_with_runtime_default_seccomp(objects):
    for name, spec, _ in pod_specs(objects):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {volume["name"] for volume in spec.get("volumes", [])}
        for container in containers(spec):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert security["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert security["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: the app writes temporary files"
            assert set(mounts.values()) <= volumes, name
            for volume in spec["volumes"]:
                assert "emptyDir" in volume and volume["emptyDir"].get("sizeLimit"), (name, volume)


def test_images_are_pinned(objects):
    for name, spec, _ in pod_specs(objects):
        for container in containers(spec):
            image = container["image"]
            if "@sha256:" in image:
                continue
            repository, _, tag = image.rpartition(":")
            assert repository and "/" not in tag, f"{name}: {image} has no tag"
            assert tag != "latest", f"{name}: {image}"


def test_web_probes_use_the_fast_ping_view(objects):
    """Readiness and liveness must not depend on the database or search: /ping answers from the process."""
    [container] = component(objects, "web")["spec"]["template"]["spec"]["containers"]
    ports = {port["name"] for port in container["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = container[probe]["httpGet"]
        assert http["path"] == "/ping" and http["port"] in ports, probe


def test_long_running_pods_have_a_liveness_probe(objects):
    for name, deployment in of_kind(objects, "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "livenessProbe" in container, name


# Configuration: the same settings as docker-compose, all keys present
# ===================================================================
def test_every_referenced_secret_and_config_key_exists(objects, example_secret):
    config_maps = {name: set(o["data"]) for name, o in of_kind(objects, "ConfigMap").items()}
    secrets = {example_secret["metadata"]["name"]: set(example_secret["stringData"])}
    for name, spec, _ in pod_specs(objects):
        for container in containers(spec):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, name
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, name
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {})
                if "secretKeyRef" in reference:
                    ref = reference["secretKeyRef"]
                    assert ref["key"] in secrets.get(ref["name"], ()), (name, ref)
                if "configMapKeyRef" in reference:
                    ref = reference["configMapKeyRef"]
                    assert ref["key"] in config_maps.get(ref["name"], ()), (name, ref)
    for authentication in of_kind(objects, "TriggerAuthentication").values():
        for ref in authentication["spec"]["secretTargetRef"]:
            assert ref["key"] in secrets.get(ref["name"], ()), ref


def test_settings_are_those_of_docker_compose(objects, example_secret):
    """ConfigMap + Secret carry the INVENIO_* variables compose's app services get, no other."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    compose_names = set(compose["x-app-environment"])
    [config] = of_kind(objects, "ConfigMap").values()
    names = set(config["data"]) | set(example_secret["stringData"])
    assert not set(config["data"]) & set(example_secret["stringData"])
    invenio = {name for name in names if name.startswith("INVENIO_")}
    assert invenio - compose_names == {"INVENIO_DEMOS_VALIDATION_QUEUE"}
    assert compose_names - names == set()


def test_secrets_stay_strings_and_placeholders_are_refused(objects, example_secret):
    """Quoted as in compose; every credential of the example is a CHANGE_ME the entrypoint refuses."""
    [config] = of_kind(objects, "ConfigMap").values()
    values = {**config["data"], **example_secret["stringData"]}
    for setting in STRING_SETTINGS:
        assert isinstance(invenio_config_value(values[f"INVENIO_{setting}"]), str), setting
    for name in (
        "INVENIO_SECRET_KEY",
        "INVENIO_SECURITY_PASSWORD_SALT",
        "INVENIO_DATABASE_URL",
        "INVENIO_BROKER_URL",
    ):
        assert "CHANGE_ME" in example_secret["stringData"][name], name
    assert not any("CHANGE_ME" in value for value in config["data"].values())


# Workers, queues, beat, autoscaling
# ==================================
def test_validation_workers_consume_the_validation_queue_keda_watches(objects):
    validation = component(objects, "validation-worker")
    arguments = command(validation)
    assert option(arguments, "--queues") == DEFAULT_VALIDATION_QUEUE
    assert option(arguments, "--prefetch-multiplier") == "1"
    [config] = of_kind(objects, "ConfigMap").values()
    assert invenio_config_value(config["data"]["INVENIO_DEMOS_VALIDATION_QUEUE"]) == DEFAULT_VALIDATION_QUEUE

    [scaled] = of_kind(objects, "ScaledObject").values()
    assert scaled["apiVersion"] == KEDA_API
    assert scaled["spec"]["scaleTargetRef"]["name"] == validation["metadata"]["name"]
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == DEFAULT_VALIDATION_QUEUE
    assert trigger["metadata"]["mode"] == "QueueLength" and int(trigger["metadata"]["value"]) >= 1
    assert trigger["authenticationRef"]["name"] in of_kind(objects, "TriggerAuthentication")
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    # Scaling down must let the running task end (time limit 960 s).
    assert validation["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 960


def test_validation_worker_ranges_of_the_overlays(overlay):
    """Small stays small; large takes up to 50 validation pods (docs/deployment.md, sizing)."""
    name, objects = overlay
    [scaled] = of_kind(objects, "ScaledObject").values()
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == VALIDATION_REPLICAS[name]


def test_general_workers_never_take_validations(objects):
    arguments = command(component(objects, "worker"))
    assert option(arguments, "--queues") == "celery,low"


def test_exactly_one_beat(objects):
    beats = [d for d in of_kind(objects, "Deployment").values() if "beat" in command(d)]
    assert len(beats) == 1
    [beat] = beats
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate", "a rolling update runs two beats at once"
    targets = {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind(objects, "HorizontalPodAutoscaler").values()
    }
    targets |= {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(objects, "ScaledObject").values()}
    assert beat["metadata"]["name"] not in targets


def test_autoscaled_deployments_leave_replicas_to_the_autoscaler(objects):
    deployments = of_kind(objects, "Deployment")
    [hpa] = of_kind(objects, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == component(objects, "web")["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    targets = {hpa["spec"]["scaleTargetRef"]["name"]}
    targets |= {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(objects, "ScaledObject").values()}
    for name in targets:
        assert "replicas" not in deployments[name]["spec"], (
            f"{name}: apply would reset the autoscaler's count"
        )


def test_selectors_match_their_pods(objects):
    pods = {name: labels for name, _, labels in pod_specs(objects)}
    for name, deployment in of_kind(objects, "Deployment").items():
        assert selects(deployment["spec"]["selector"], pods[name]), name
    web_labels = pods[component(objects, "web")["metadata"]["name"]]
    [service] = of_kind(objects, "Service").values()
    assert selects(service["spec"]["selector"], web_labels)
    for name, budget in of_kind(objects, "PodDisruptionBudget").items():
        assert any(selects(budget["spec"]["selector"], labels) for labels in pods.values()), name
    [ingress] = of_kind(objects, "Ingress").values()
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]


def test_setup_job_runs_the_setup_entrypoint(objects):
    [job] = of_kind(objects, "Job").values()
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["setup"]  # docker/entrypoint.sh: invenio demos setup + files location
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert "invenio demos setup" in (REPO / "docker" / "setup.sh").read_text()


# Network boundary of the validation workers
# ==========================================
def egress_policies(objects, labels):
    """NetworkPolicies with Egress that select pods with these labels."""
    return [
        p
        for p in of_kind(objects, "NetworkPolicy").values()
        if "Egress" in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], labels)
    ]


def test_validation_workers_reach_only_dns_and_their_services(objects):
    validation = component(objects, "validation-worker")
    labels = validation["spec"]["template"]["metadata"]["labels"]
    [policy] = egress_policies(objects, labels)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"] and policy["spec"]["ingress"] == []
    allowed = set().union(*SERVICE_PORTS.values())
    services_reached = set()
    for rule in policy["spec"]["egress"]:
        assert rule.get("to") and rule.get("ports"), (
            f"a rule without `to` or `ports` opens everything: {rule}"
        )
        ports = {port["port"] for port in rule["ports"]}
        for peer in rule["to"]:
            cidr = peer.get("ipBlock", {}).get("cidr", "")
            assert cidr not in ("0.0.0.0/0", "::/0"), rule
            if "ipBlock" not in peer:
                assert peer.get("podSelector", {}).get("matchLabels"), f"a peer of every pod: {peer}"
                assert "demos-registry" not in peer["podSelector"]["matchLabels"].values(), peer
        if ports == {DNS_PORT}:
            assert rule["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
            continue
        assert ports <= allowed, rule
        services_reached |= {service for service, known in SERVICE_PORTS.items() if ports & known}
    assert services_reached == set(SERVICE_PORTS)


def test_search_egress_is_still_needed():
    """Validation workers may reach search only because the task indexes the verdict itself."""
    source = inspect.getsource(save)
    assert "indexer.index(" in source, (
        "the verdict is no longer indexed in the task: drop the search rule of the validation "
        "workers' NetworkPolicy (base and overlays/large) and SERVICE_PORTS['search']"
    )


def test_only_web_pods_accept_connections(objects):
    policies = of_kind(objects, "NetworkPolicy").values()
    for name, _, labels in pod_specs(objects):
        closed = any(
            selects(p["spec"]["podSelector"], labels)
            and "Ingress" in p["spec"]["policyTypes"]
            and not p["spec"].get("ingress")
            for p in policies
        )
        assert closed == (labels["app.kubernetes.io/component"] != "web"), name


# The probes against the real app
# ===============================
def test_web_probes_answer_fast_on_the_app(client, overlay):
    """Each web probe, as the kubelet sends it (plain HTTP, its headers), gets a 200 within 0.5 s."""
    [container] = component(overlay[1], "web")["spec"]["template"]["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = container[probe]["httpGet"]
        headers = {header["name"]: header["value"] for header in http.get("httpHeaders", [])}
        started = time.perf_counter()
        response = client.get(http["path"], headers=headers, base_url="http://10.1.2.3:5000")
        assert response.status_code == 200, (probe, response.status_code)
        assert time.perf_counter() - started < 0.5, probe


def test_web_runs_the_image_default_command(objects):
    """The web container's args are the Dockerfile's CMD: gunicorn with the image's settings."""
    dockerfile = (REPO / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert command(component(objects, "web")) == json.loads(cmd.removeprefix("CMD "))
