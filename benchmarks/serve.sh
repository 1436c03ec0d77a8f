#!/usr/bin/env bash
# Serve a separate benchmark instance of the registry the production way, as
# scripts/run does (gunicorn, 2 workers, HTTPS; one Celery worker), on its own
# database (demos_bench), files and logs (var/bench/), until Ctrl-C.
#
# Differences from scripts/run, on purpose:
# - no web assets (the API benchmarks need none; DEMOS_BENCH_ASSETS=1 builds them for
#   benchmarks/search_page.py, as scripts/run does) and no demo models;
# - the rate limits stay enforced (their Redis round trips are part of every
#   request) but with budgets a load test does not exhaust;
# - one Celery worker (DEMOS_BENCH_CONCURRENCY processes, 1 by default: the configuration
#   whose validation throughput benchmarks/ingest.py measures) for every queue.
#
# It writes var/bench/env.sh: `source` it before running bulk_load.py or ingest.py
# so that they reach the same database, search server and DataCite server.
#
# Environment: DEMOS_BENCH_PORT (5100), DEMOS_BENCH_DATABASE (demos_bench),
# DEMOS_WEB_WORKERS (2), DEMOS_BENCH_CONCURRENCY (1), DEMOS_BENCH_ASSETS (0),
# INVENIO_REDIS_URL (localhost:6379, dbs 0-5).
set -euo pipefail
export DEMOS_VAR=${DEMOS_VAR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/var/bench}
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
trap stop_started EXIT
trap 'echo; step "Stopping"; exit 0' INT TERM

HOST=127.0.0.1
PORT=${DEMOS_BENCH_PORT:-5100}
export INVENIO_SITE_HOSTNAME=$HOST:$PORT
export INVENIO_RATELIMIT_GUEST_USER="'1000000 per hour;100000 per minute'"
export INVENIO_RATELIMIT_AUTHENTICATED_USER="'1000000 per hour;100000 per minute'"
export INVENIO_DEMOS_MODELS_API_RATELIMIT="'1000000 per hour;100000 per minute'"
export INVENIO_DEMOS_MODELS_API_RATELIMIT_AUTHENTICATED="'1000000 per hour;100000 per minute'"
export INVENIO_LOGGING_CONSOLE_LEVEL=WARNING
# A broker of its own (Redis db 5), not a RabbitMQ another instance may consume from.
export INVENIO_BROKER_URL=${INVENIO_BROKER_URL:-${INVENIO_REDIS_URL:-redis://localhost:6379}/5}
export PATH="$VENV/bin:$PATH"
prepare_instance

step "Services"
INVENIO_DATABASE_URL=$("$VENV/bin/python" "$ROOT/scripts/ensure_database.py" "${DEMOS_BENCH_DATABASE:-demos_bench}") ||
    die "could not create the benchmark database on localhost:5432"
export INVENIO_DATABASE_URL
ensure_redis
ensure_broker
ensure_search
ensure_datacite
{
    for name in INVENIO_INSTANCE_PATH INVENIO_SITE_HOSTNAME INVENIO_DATABASE_URL INVENIO_SEARCH_HOSTS \
        INVENIO_DEMOS_EMBEDDED_SEARCH INVENIO_DATACITE_ENABLED INVENIO_DATACITE_URL INVENIO_DATACITE_PREFIX \
        INVENIO_DATACITE_USERNAME INVENIO_DATACITE_PASSWORD INVENIO_BROKER_URL INVENIO_REDIS_URL \
        INVENIO_LOGGING_CONSOLE_LEVEL; do
        [ -n "${!name:-}" ] && printf 'export %s=%q\n' "$name" "${!name}"
    done
    printf 'export PATH=%q:"$PATH"\n' "$VENV/bin"
} >"$VAR/env.sh"

if [ "${DEMOS_BENCH_ASSETS:-0}" = 1 ]; then
    step "Web assets (for the search page benchmark)"
    build_assets
fi

step "Instance (no demo models)"
invenio demos setup --no-demo-models || die "setup failed"

step "Celery worker (${DEMOS_BENCH_CONCURRENCY:-1} processes) and gunicorn"
start_bg worker celery --app invenio_app.celery worker --beat --events \
    --queues "celery,low,${INVENIO_DEMOS_VALIDATION_QUEUE:-validation}" --concurrency "${DEMOS_BENCH_CONCURRENCY:-1}" --loglevel INFO \
    --schedule "$VAR/celerybeat-schedule"
start_web "$HOST" "$PORT"
step "Benchmark instance ready: https://$HOST:$PORT (environment in $VAR/env.sh)"
wait -n "${STARTED_PIDS[@]}" || true
die "a process stopped unexpectedly; see the logs in $LOGS"
