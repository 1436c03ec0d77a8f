#!/bin/sh
# Build the JavaScript/CSS bundles into $INVENIO_INSTANCE_PATH/static/dist.
#
# The same steps, in the same order, as build_assets in scripts/lib.sh (which
# builds them for scripts/run and scripts/test); run by the Dockerfile from the
# root of the source tree, after prepare_instance's links exist.
set -eu
ROOT=${ROOT:-$(pwd)}
INSTANCE=${INVENIO_INSTANCE_PATH:?INVENIO_INSTANCE_PATH must be set}

invenio collect
cp -r "$ROOT/static/." "$INSTANCE/static/"
invenio webpack create
cp -r "$ROOT/assets/." "$INSTANCE/assets/"
python "$ROOT/scripts/pin_npm.py" "$INSTANCE/assets/package.json"
(cd "$INSTANCE/assets" && npm install --no-audit --no-fund --loglevel=error)
invenio webpack build
if ! grep -q '"status": *"done"' "$INSTANCE/static/dist/manifest.json"; then
    echo "webpack finished with errors (see the output above)" >&2
    exit 1
fi
