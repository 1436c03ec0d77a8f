#!/bin/sh
# The one-shot `setup` service: bring the instance to a usable state before
# web, worker and beat start (they wait for it to complete successfully).
# Idempotent: run on every `docker compose up`, it only adds what is missing.
#
#  1. invenio demos setup: tables, files location, admin role and account,
#     indices (reindexed from PostgreSQL if the search cluster is empty),
#     fixtures on a new database. The admin password goes to the data volume.
#  2. DEMOS_FILES_LOCATION_URI (e.g. s3://demos-files): make it the default
#     files location. `invenio demos setup` creates its default location from
#     the instance's data folder (file://...); `invenio files location create
#     --default` adds the S3 one and unsets that default, once: on later runs the
#     location exists and is left as it is.
#  3. Copy the image's built static files (webpack bundles, images, fonts) into
#     the volume that nginx serves /static from. Bundles have content-hashed
#     names, so the files of the previous release stay valid for open pages.
set -eu

INSTANCE=${INVENIO_INSTANCE_PATH:?}
STATIC_VOLUME=${DEMOS_STATIC_VOLUME:-/opt/invenio/var/static}

echo "==> invenio demos setup"
invenio demos setup \
    --admin-email "${DEMOS_ADMIN_EMAIL:-admin@demos.local}" \
    --password-file "$INSTANCE/data/admin-password"

if [ -n "${DEMOS_FILES_LOCATION_URI:-}" ]; then
    echo "==> default files location $DEMOS_FILES_LOCATION_URI"
    invenio files location create --default \
        "${DEMOS_FILES_LOCATION_NAME:-s3-default}" "$DEMOS_FILES_LOCATION_URI"
    invenio files location list
fi

echo "==> static files -> $STATIC_VOLUME"
cp -RL --preserve=mode,timestamps "$INSTANCE/static/." "$STATIC_VOLUME/"

echo "==> setup complete"
