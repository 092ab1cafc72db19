#!/usr/bin/env bash
# Single-entry posting over HTTP, measured with wrk: `keel serve --demo` on a scratch database, an API token with
# ledger write scope, and wrk POSTing one balanced entry per request to /api/v1/ledger/entries.
#
#   bash scripts/bench-http.sh [path/to/keel]          (default .build/release/keel)
#   CONNECTIONS=16 DURATION=20s THREADS=1 bash scripts/bench-http.sh
#   KEEL_DATABASE_URL=postgres://... bash scripts/bench-http.sh    (an empty PostgreSQL database)
#   RATE_DAYS=1826 bash scripts/bench-http.sh    (first imports daily rates of 20 currencies for that many days)
#   SETTLE=0 bash scripts/bench-http.sh    (seconds to wait before measuring; default 10, see below)
set -euo pipefail
keel=${1:-.build/release/keel}
connections=${CONNECTIONS:-16}
duration=${DURATION:-20s}
threads=${THREADS:-1}
port=${PORT:-18099}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export KEEL_DATABASE_URL=${KEEL_DATABASE_URL:-sqlite://$work/keel.sqlite}
export KEEL_AUDIT_HEAD_PATH=$work/audit-head
export KEEL_ADMIN_PASSWORD="bench password 1234"
"$keel" serve --demo --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { echo "keel did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
rate_days=${RATE_DAYS:-0}
if [ "$rate_days" -gt 0 ]; then
    python3 - "$rate_days" >"$work/rates.csv" <<'PY'
import datetime, sys
print("date,currency,rate")
for currency in "USD GBP CHF JPY SEK NOK DKK PLN CZK HUF CAD AUD NZD SGD HKD CNY INR BRL MXN ZAR".split():
    for back in range(int(sys.argv[1])):
        print(f"{datetime.date(2026, 11, 20) - datetime.timedelta(days=back)},{currency},1.{back % 9000 + 1000}")
PY
    "$keel" import rates "$work/rates.csv"
fi
token=$("$keel" token create --username admin --name bench --scope 'ledger:*' --expires-in-days 1)
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"journal": "SAL", "date": "2026-11-20", "memo": "Bench sale", "lines": [{"account": "1010", "debit": "119.00", "currency": "EUR"}, {"account": "Income:Sales", "credit": "119.00", "currency": "EUR"}]}'
done = function(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx %d, errors %d\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("posted per second %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
# The demo leaves about 780 events in the outbox, which `keel serve` delivers in its first seconds (100 a second,
# a hundred to a write transaction): measured straight away, the first seconds would share the writer with them.
sleep "${SETTLE:-10}"
echo "database: ${KEEL_DATABASE_URL%%:*}; wrk -t$threads -c$connections -d$duration"
${PERF_PID_FILE:+eval echo $server > $PERF_PID_FILE}
# The server's CPU time per request (user + system, from /proc), beside the rate: what a change saves shows there
# even when the machine's speed from hour to hour hides it in the rate.
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(cpu)
wrk -t"$threads" -c"$connections" -d"$duration" -s "$work/post.lua" "http://127.0.0.1:$port/api/v1/ledger/entries" \
    | grep -E "^(requests|posted|latency p)" | tee "$work/wrk.txt"
after=$(cpu)
requests=$(sed -n 's/^requests \([0-9]*\),.*/\1/p' "$work/wrk.txt")
awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN { if (n > 0) printf "server CPU per request %.0f us\n", ticks / hz * 1e6 / n }'
"$keel" verify | tail -n 2
