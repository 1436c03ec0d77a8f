"""A stand-in for hostile model code in the warm sandbox: runs the job's `probe` source as the job.

Started by the zygote exactly as the worker's `serve` is (after the fork, limited and without
network first); reports what it could reach as events.
"""

import json

from demos_registry.validation_engine.worker import apply_resource_limits, isolate_network


def run(job, events):
    """Limit this child as the worker does, then run the probe's code with a `report` function."""
    apply_resource_limits(job["limits"])
    isolate_network()

    def report(name, value):
        events.write(json.dumps({"event": "probe", "name": name, "value": value}) + "\n")
        events.flush()

    exec(job["probe"], {"report": report, "job": job})
    events.write(json.dumps({"event": "done"}) + "\n")
    events.close()
