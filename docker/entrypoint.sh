#!/bin/sh
# Entry point of the registry image (Dockerfile ENTRYPOINT).
#
#   setup          the one-shot initialisation of the `setup` service (docker/setup.sh)
#   anything else  executed as given: gunicorn ..., celery ..., invenio ..., bash
#
# Refuses to start while an INVENIO_* setting still holds a CHANGE_ME
# placeholder from docker/.env.example (secret key, salt, passwords).
set -eu

placeholders=$(env | grep -E '^INVENIO_[A-Za-z0-9_]+=.*CHANGE_ME' | cut -d= -f1 | tr '\n' ' ' || true)
if [ -n "$placeholders" ]; then
    echo "refusing to start: these settings still hold a CHANGE_ME placeholder: $placeholders" >&2
    echo "set real values in .env (see docs/deployment.md)" >&2
    exit 1
fi

if [ "${1:-}" = setup ]; then
    shift
    exec "$(dirname "$0")/setup.sh" "$@"
fi
exec "$@"
