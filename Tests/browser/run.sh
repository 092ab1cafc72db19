#!/usr/bin/env bash
# Starts `keel serve --demo` on a fresh SQLite database and runs the browser smoke test against it.
set -euo pipefail
keel=${1:-.build/debug/keel}
work=$(mktemp -d /tmp/keel-browser.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export KEEL_DATABASE_URL="$work/keel.sqlite" KEEL_ADMIN_PASSWORD="browser-smoke-pw" KEEL_BCRYPT_COST=8
"$keel" serve --demo --port "$port" > "$work/serve.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
python3 "$(dirname "$0")/smoke.py" "http://127.0.0.1:$port" admin "$KEEL_ADMIN_PASSWORD" ${KEEL_SCREENSHOTS:-}
