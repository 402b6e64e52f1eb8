# Shared by scripts/start and scripts/test (sourced, not run): set-up steps that are safe
# to repeat, Redis, and stopping what we started.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
STARTED_PIDS=()

log() { printf '\033[1m[mscomm]\033[0m %s\n' "$*" >&2; }

# Create the virtualenv if missing and install a requirements file, skipping the install
# when the file has not changed since the last one; then compile the engine if its
# compiled build is missing or stale.
setup_python() {
    local requirements="$1"
    if [ ! -x "$PY" ]; then
        log "creating $VENV"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    local stamp="$VENV/.mscomm-$(basename "$requirements").sha256"
    local want
    want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        log "installing $requirements"
        "$PY" -m pip install -q --disable-pip-version-check -r "$requirements"
        echo "$want" > "$stamp"
    fi
    # The compiled engine (optional, docs/core-api.md): rebuilt when its sources changed.
    "$PY" -m patterns.native build --if-needed ||
        log "engine: $("$PY" -m patterns.native status)"
}

# Install the browser libraries when the front end declares them.
setup_node() {
    [ -f package.json ] || return 0
    if ! command -v npm >/dev/null; then
        log "npm not found: install Node.js to get the browser libraries"
        return 1
    fi
    local stamp="node_modules/.mscomm.sha256" want
    want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    log "installing npm packages"
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
    echo "$want" > "$stamp"
}

# Start a process in its own process group and remember it, so stop_started ends its tree.
spawn() {
    setsid "$@" &
    STARTED_PIDS+=("$!")
}

# REDIS_URL from the environment, else a private redis-server on a free loopback port.
start_redis() {
    local lines
    lines="$("$PY" -m mscomm.devtools redis-start "$ROOT/var/redis")"
    eval "$lines"
    if [ -n "${MSCOMM_REDIS_PID:-}" ]; then
        STARTED_PIDS+=("$MSCOMM_REDIS_PID")
        log "started Redis at $REDIS_URL"
    else
        log "using Redis at $REDIS_URL"
    fi
    export REDIS_URL
}

stop_started() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        # Each spawned child leads its own group: end the group (its workers too).
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    done
    STARTED_PIDS=()
}
