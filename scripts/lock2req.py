"""Write pip's hash-checked requirements from Pipfile.lock.

Pipenv is not needed at install time: this reads the lock directly, so a fresh
machine only needs Python and pip. Usage: python scripts/lock2req.py [--dev] > req.txt
"""

import json
import sys
from pathlib import Path


def requirement_lines(lock, sections):
    """One ``name[extras]==version ; markers --hash=...`` line per locked package."""
    for section in sections:
        for name, entry in sorted(lock[section].items()):
            extras = f"[{','.join(entry['extras'])}]" if entry.get("extras") else ""
            markers = f" ; {entry['markers']}" if entry.get("markers") else ""
            hashes = " ".join(f"--hash={h}" for h in entry["hashes"])
            yield f"{name}{extras}{entry['version']}{markers} {hashes}"


def main():
    """Print the requirements for the default (and, with --dev, develop) packages."""
    lock = json.loads((Path(__file__).parent.parent / "Pipfile.lock").read_text())
    sections = ["default", "develop"] if "--dev" in sys.argv else ["default"]
    print("\n".join(requirement_lines(lock, sections)))


if __name__ == "__main__":
    main()
