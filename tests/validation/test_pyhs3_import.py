"""pyhs3 configures logging when imported; the registry imports it without losing its own logging.

Each case runs in a fresh interpreter: pyhs3 configures logging on its first import only.
"""

import subprocess
import sys

LOGGING_BEFORE_THE_IMPORT = """
import logging, sys
root = logging.getLogger()
root.handlers[:] = [logging.StreamHandler(sys.stdout)]
root.setLevel(logging.INFO)
app_logger = logging.getLogger("invenio")
"""
REPORT = """
app_logger.warning("app warning after the import")
print("disabled:", app_logger.disabled, "root level:", logging.getLevelName(root.level),
      "root handlers:", len(root.handlers))
"""


def run(import_line):
    """Output of a fresh interpreter that sets up logging, imports pyhs3 one way and logs."""
    code = LOGGING_BEFORE_THE_IMPORT + import_line + REPORT
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_registry_s_import_keeps_the_application_s_logging():
    output = run("from demos_registry.validation_engine.pyhs3_import import import_pyhs3; import_pyhs3()\n")
    assert "app warning after the import" in output
    assert "disabled: False root level: INFO root handlers: 1" in output


def test_a_plain_import_silences_the_application():
    """The positive control: what ``import pyhs3`` does to a process's logging (pyhs3 0.4.2)."""
    output = run("import pyhs3\n")
    assert "app warning after the import" not in output
    assert "disabled: True root level: WARNING" in output
