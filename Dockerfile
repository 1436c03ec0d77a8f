# syntax=docker/dockerfile:1
#
# DEMOS Model Registry: one image for the web app (gunicorn), the Celery worker
# and beat, and the one-shot `setup` job. docker-compose.yml runs it;
# docs/deployment.md explains how.
#
# The Python packages, the instance folder and the web assets are made exactly
# as scripts/lib.sh makes them on a developer machine (ensure_venv,
# prepare_instance, build_assets), so production runs what the tests ran on.
#
#   docker build -t demos-registry .
#
# Two stages: `build` has Node.js/npm and installs and bundles everything;
# the final stage copies the result and runs as the unprivileged user
# `invenio` (uid 1000).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VENV=/opt/invenio/venv \
    INVENIO_INSTANCE_PATH=/opt/invenio/var/instance
ENV PATH=/opt/invenio/venv/bin:$PATH

# Debian's Node.js and npm build the JavaScript/CSS bundles; g++ compiles any
# locked package that has no wheel for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/invenio/src

# ensure_venv (scripts/lib.sh): the hash-checked packages of Pipfile.lock, then
# the site package. Only Pipfile.lock and lock2req.py go into this layer, so
# it is rebuilt only when the lock changes.
COPY Pipfile.lock ./
COPY scripts/lock2req.py scripts/
RUN python -m venv "$VENV" \
 && python scripts/lock2req.py > /tmp/req.txt \
 && python -m pip install --quiet --upgrade pip \
 && python -m pip install --no-deps --require-hashes -r /tmp/req.txt \
 && rm /tmp/req.txt

COPY README.md ./
COPY site/ site/
RUN python -m pip install --no-deps --no-build-isolation -e site

# prepare_instance (scripts/lib.sh): link invenio.cfg, templates and app_data
# into the instance folder.
COPY invenio.cfg ./
COPY templates/ templates/
COPY app_data/ app_data/
RUN mkdir -p "$INVENIO_INSTANCE_PATH/data" \
 && for item in invenio.cfg templates app_data; do \
        ln -sfn "/opt/invenio/src/$item" "$INVENIO_INSTANCE_PATH/$item"; \
    done

# build_assets (scripts/lib.sh): invenio collect, webpack create, the project's
# assets/, scripts/pin_npm.py, npm install, invenio webpack build. The npm
# packages are only needed to bundle: they do not go into the final image.
COPY static/ static/
COPY assets/ assets/
COPY scripts/pin_npm.py scripts/
COPY docker/build-assets.sh docker/
RUN sh docker/build-assets.sh \
 && rm -rf "$INVENIO_INSTANCE_PATH/assets/node_modules" /root/.npm

# The rest of the scripts and the container scripts (entrypoint, setup job,
# gunicorn settings, health checks): after the slow layers, so editing them
# does not rebuild the bundles.
COPY scripts/ scripts/
COPY docker/ docker/

# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INVENIO_INSTANCE_PATH=/opt/invenio/var/instance
ENV PATH=/opt/invenio/venv/bin:$PATH

# The validation engine's ROOT (pip package `root`) needs, at run time, a C++
# compiler and the C/C++ headers (cling asks `c++ -E -v` for its include
# paths) and the X11 client libraries its shared objects link against;
# bubblewrap isolates each validation (no network, only its files; see
# docs/threat-model.md; without it the engine falls back to rlimits alone).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        g++ libexpat1 libice6 libsm6 libx11-6 libxext6 libxrender1 bubblewrap \
 && rm -rf /var/lib/apt/lists/*

# Owned by root, read-only for the app; the app user writes only to the data
# folder (files when stored locally, the admin password), the shared static
# volume (filled by the setup job) and beat's schedule.
COPY --from=build /opt/invenio /opt/invenio
RUN groupadd --gid 1000 invenio \
 && useradd --uid 1000 --gid invenio --home-dir /opt/invenio/home --create-home \
        --shell /usr/sbin/nologin invenio \
 && mkdir -p "$INVENIO_INSTANCE_PATH/data" /opt/invenio/var/static /opt/invenio/var/beat \
 && chown invenio:invenio "$INVENIO_INSTANCE_PATH/data" /opt/invenio/var/static /opt/invenio/var/beat \
 && chmod 0755 /opt/invenio/src/docker/*.sh

USER invenio
WORKDIR /opt/invenio/src
EXPOSE 5000

ENTRYPOINT ["/opt/invenio/src/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "/opt/invenio/src/docker/gunicorn.conf.py", "invenio_app.wsgi:application"]
