#!/bin/sh
# Entry point of the registry image (Dockerfile ENTRYPOINT).
#
#   setup          the one-shot initialisation of the `setup` service (docker/setup.sh)
#   anything else  executed as given: gunicorn ..., celery ..., invenio ..., bash
#
# Refuses to start while an INVENIO_* setting still holds a CHANGE_ME
# placeholder from docker/.env.example (secret key, salt, passwords), or while
# the secret key or password salt is not set at all (the application's default
# is a known placeholder: anyone could forge sessions and tokens).
set -eu

placeholders=$(env | grep -E '^INVENIO_[A-Za-z0-9_]+=.*CHANGE_ME' | cut -d= -f1 | tr '\n' ' ' || true)
for name in INVENIO_SECRET_KEY INVENIO_SECURITY_PASSWORD_SALT; do
    eval "value=\${$name:-}"
    case "$value" in "" | "''" | '""') placeholders="$placeholders$name(unset) " ;; esac
done
if [ -n "$placeholders" ]; then
    echo "refusing to start: these settings still hold a CHANGE_ME placeholder or are unset: $placeholders" >&2
    echo "set real values in .env (see docs/deployment.md)" >&2
    exit 1
fi

if [ "${1:-}" = setup ]; then
    shift
    exec "$(dirname "$0")/setup.sh" "$@"
fi
exec "$@"
