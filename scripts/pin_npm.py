"""Pin npm packages of the generated assets/package.json that the registry cannot resolve.

invenio-assets asks for ``replaywebpage@^2.3.16``; npm then picks a release that
needs a ``warcio`` newer than the npm registry reachable here (and on many mirrors)
serves. 2.4.3 with ``@webrecorder/wabac`` 2.25.5 installs and builds. The pins are
applied to whatever ``invenio webpack create`` generated, so a newer Invenio that
drops or changes the dependency is left alone.

    python scripts/pin_npm.py var/instance/assets/package.json
"""

import json
import sys
from pathlib import Path

DEPENDENCY_PINS = {"replaywebpage": "2.4.3"}
OVERRIDES = {"@webrecorder/wabac": "2.25.5"}


def main():
    """Rewrite package.json in place with the pins."""
    path = Path(sys.argv[1])
    package = json.loads(path.read_text())
    dependencies = package.get("dependencies", {})
    pinned = {name: v for name, v in DEPENDENCY_PINS.items() if name in dependencies}
    if pinned:
        dependencies.update(pinned)
        package.setdefault("overrides", {}).update(OVERRIDES)
    path.write_text(json.dumps(package, indent=2) + "\n")


if __name__ == "__main__":
    main()
