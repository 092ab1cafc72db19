#!/usr/bin/env bash
# The keel command as an operator uses it: users, tokens, verify on an intact and a tampered database,
# backup, and the API over HTTP. Usage: checks.sh KEEL_BINARY [POSTGRES_ADMIN_URL]
set -euo pipefail
keel=$(realpath "${1:-.build/debug/keel}")
pg_admin=${2:-}
work=$(mktemp -d /tmp/keel-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
export KEEL_DATABASE_URL="$work/keel.sqlite" KEEL_BCRYPT_COST=6
cd "$work"  # relative default paths (the PostgreSQL audit head file) land in the scratch folder
failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
expect_exit() { # expect_exit CODE DESCRIPTION -- command...
    local want=$1 what=$2; shift 3
    set +e; "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
    if [ "$got" = "$want" ]; then pass "$what"; else fail "$what (exit $got, wanted $want): $(cat "$work/err")"; fi
}
sql() { python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$work/keel.sqlite" "$1"; }

expect_exit 0 "migrate" -- "$keel" migrate
grep -q '^applied platform\.' "$work/out" && grep -q 'migrations applied; up to date' "$work/out" \
    && pass "migrate names what it applied" || fail "migrate said: $(cat "$work/out")"
expect_exit 0 "migrate again" -- "$keel" migrate
grep -q '^migrations were already up to date' "$work/out" && ! grep -q '^applied' "$work/out" \
    && pass "a second migrate applies nothing" || fail "second migrate said: $(cat "$work/out")"
echo "a long admin password" | expect_exit 0 "user add --password-stdin" -- "$keel" user add --username boss --role admin --password-stdin
expect_exit 0 "user add with a generated password" -- "$keel" user add --username clerk --role accountant --role auditor
grep -q '^password: ' "$work/out" && pass "generated password printed" || fail "no generated password printed"
expect_exit 1 "user add with an unknown role fails" -- "$keel" user add --username xavier --role wizard
grep -q '^user.role.unknown: ' "$work/err" && pass "error printed as code: message" || fail "stderr was: $(cat "$work/err")"
expect_exit 1 "a taken username fails" -- "$keel" user add --username boss --role admin
expect_exit 0 "user list" -- "$keel" user list
grep -q $'^clerk\tactive\taccountant,auditor' "$work/out" && pass "user list shows roles" || fail "user list: $(cat "$work/out")"
expect_exit 0 "token create" -- "$keel" token create --username boss --name ops --scope 'users:*' --expires-in-days 7
token=$(cat "$work/out")
[ "$(wc -l <"$work/out")" = 1 ] && [[ "$token" == keel_* ]] && pass "token printed alone" || fail "token output: $token"
expect_exit 0 "user reset-password" -- "$keel" user reset-password clerk
expect_exit 0 "user disable" -- "$keel" user disable clerk
expect_exit 1 "disabling an unknown user fails" -- "$keel" user disable nobody
expect_exit 0 "verify on an intact database" -- "$keel" verify
grep -q 'audit chain intact' "$work/out" && pass "verify reports the chain" || fail "verify said: $(cat "$work/out")"
grep -qx "database: sqlite://$KEEL_DATABASE_URL" "$work/out" && pass "verify names the database it checked" \
    || fail "verify said: $(cat "$work/out")"
expect_exit 0 "backup" -- "$keel" backup --to "$work/backup.sqlite"
[ -s "$work/backup.sqlite" ] && pass "backup file written" || fail "no backup file"
expect_exit 1 "backup refuses to overwrite" -- "$keel" backup --to "$work/backup.sqlite"
KEEL_DATABASE_URL="$work/backup.sqlite" expect_exit 0 "the backup verifies" -- "$keel" verify

# The books: company, trial balance formats, export.
expect_exit 1 "a report before the company is set up fails" -- "$keel" report trial-balance
grep -q '^ledger.company.missing: ' "$work/err" && pass "missing company named" || fail "stderr: $(cat "$work/err")"
expect_exit 1 "company init refuses an unknown currency" -- "$keel" company init --name "Acme" --currency EURO
expect_exit 0 "company init" -- "$keel" company init --name "Acme GmbH" --currency EUR --fiscal-year-start-month 4 --time-zone Europe/Berlin
expect_exit 1 "company init twice fails" -- "$keel" company init --name "Acme GmbH" --currency EUR
expect_exit 0 "trial balance as CSV" -- "$keel" report trial-balance --as-of 2026-12-31 --format csv
[ "$(head -1 "$work/out")" = "account,currency,balance,functional_balance" ] && pass "CSV header" || fail "CSV: $(cat "$work/out")"
expect_exit 1 "a bad --as-of date is refused" -- "$keel" report trial-balance --as-of 2026-02-30
grep -q '^date.invalid: ' "$work/err" && pass "bad date named" || fail "stderr: $(cat "$work/err")"
printf '2026-05-02 Rent\n    Expenses:Rent   1,200.00 EUR\n    Assets:Current Assets:Bank\n\n2026-05-03 Broken\n    Assets:Current Assets:Bank   5.00 EUR\n    Income:Sales   -4.00 EUR\n' > "$work/bad.ledger"
expect_exit 1 "import refuses a file with an unbalanced entry" -- env KEEL_LOG_LEVEL=info "$keel" import ledger "$work/bad.ledger"
grep -q 'bad.ledger:5:' "$work/err" && pass "import names file:line" || fail "stderr: $(cat "$work/err")"
# An import alone with the file writes through a rollback journal (DECISIONS.md) and leaves the file in WAL mode.
journal_mode() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0])' "$work/keel.sqlite"; }
grep -q 'writes through a rollback journal' "$work/out" "$work/err" && [ "$(journal_mode)" = wal ] && [ ! -e "$work/keel.sqlite-journal" ] \
    && pass "a refused import rolled back its rollback journal and left WAL mode on" || fail "journal: $(journal_mode) $(cat "$work/out" "$work/err")"
printf '2026-05-02 Rent\n    Expenses:Rent   1,200.00 EUR\n    Assets:Current Assets:Bank\n' > "$work/good.ledger"
expect_exit 0 "import ledger" -- env KEEL_LOG_LEVEL=info "$keel" import ledger "$work/good.ledger"
grep -q 'writes through a rollback journal' "$work/out" "$work/err" && [ "$(journal_mode)" = wal ] \
    && pass "the import wrote through a rollback journal and left WAL mode on" || fail "journal: $(journal_mode) $(cat "$work/out" "$work/err")"
# With another process holding the file open, the import stays in WAL mode and works as before.
python3 -c 'import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM ledger_entries").fetchone(); open(sys.argv[2], "w").close(); time.sleep(120)' \
    "$work/keel.sqlite" "$work/held" & holder=$!
while [ ! -e "$work/held" ]; do sleep 0.1; done
printf '2026-08-04 Stamps\n    Expenses:Office Supplies   4.00 EUR\n    Assets:Current Assets:Bank\n' > "$work/beside.ledger"
expect_exit 0 "import beside another connection" -- env KEEL_LOG_LEVEL=info "$keel" import ledger "$work/beside.ledger"
grep -q 'stays in WAL mode' "$work/out" "$work/err" && pass "beside another connection the import stayed in WAL mode" \
    || fail "import beside: $(cat "$work/out" "$work/err")"
kill "$holder"; wait "$holder" 2>/dev/null || true
expect_exit 1 "importing the same file again is refused" -- "$keel" import ledger "$work/good.ledger"
grep -q '^import.already_imported: good.ledger has the same content' "$work/err" && pass "repeat import named" || fail "stderr: $(cat "$work/err")"
expect_exit 0 "trial balance after import" -- "$keel" report trial-balance --as-of 2026-12-31 --format csv
grep -q '^Expenses:Rent,EUR,1200.00,1200.00$' "$work/out" && pass "imported rent in the trial balance" || fail "TB: $(cat "$work/out")"
expect_exit 0 "verify with books" -- "$keel" verify
expect_exit 0 "export ledger" -- "$keel" export ledger "$work/books.ledger"
if command -v ledger >/dev/null; then
    expect_exit 0 "ledger-cli reads the export" -- ledger -f "$work/books.ledger" bal
fi
expect_exit 0 "export beancount" -- "$keel" export beancount "$work/books.beancount"
if command -v bean-check >/dev/null; then
    expect_exit 0 "bean-check accepts the export" -- bean-check "$work/books.beancount"
fi
expect_exit 0 "balance sheet" -- "$keel" report balance-sheet --as-of 2026-05-31
grep -q '^Total liabilities and equity' "$work/out" && pass "balance sheet totals" || fail "BS: $(cat "$work/out")"
expect_exit 0 "income statement as CSV with comparison" -- "$keel" report income-statement --from 2026-04-01 --to 2026-05-31 --compare --format csv
grep -q '^total,0,,,Net income,-1200.00,0.00$' "$work/out" && pass "net income in the CSV" || fail "IS: $(cat "$work/out")"
expect_exit 0 "cash flow as JSON" -- "$keel" report cash-flow --from 2026-04-01 --to 2026-05-31 --format json
expect_exit 0 "general ledger" -- "$keel" report general-ledger --account 1010 --from 2026-04-01 --to 2026-05-31 --format csv
grep -q 'Closing balance,,EUR,,,,-1200.00$' "$work/out" && pass "ledger detail closing balance" || fail "GL: $(cat "$work/out")"
expect_exit 1 "general ledger of an unknown account fails" -- "$keel" report general-ledger --account 9999
expect_exit 0 "period close" -- "$keel" period close 2026-05
printf '2026-05-09 Late\n    Expenses:Rent   10.00 EUR\n    Assets:Current Assets:Bank\n' > "$work/late.ledger"
expect_exit 1 "import into a closed period fails" -- "$keel" import ledger "$work/late.ledger"
grep -q 'late.ledger:1: The period of 2026-05-09 is closed' "$work/err" && pass "closed period named" || fail "stderr: $(cat "$work/err")"
expect_exit 1 "year-end close on a day that does not end the year fails" -- "$keel" period close-year --date 2026-12-31
printf 'date,currency,rate\n2026-05-31,USD,0.92\n2026-05-31,XYZ,1\n' > "$work/rates.csv"
expect_exit 1 "a rates file with an unknown currency is refused" -- "$keel" import rates "$work/rates.csv"
grep -q 'rates.csv:3:' "$work/err" && pass "bad rate row named" || fail "stderr: $(cat "$work/err")"
printf 'date,currency,rate\n2026-05-31,USD,0.92\n' > "$work/rates.csv"
expect_exit 0 "import rates" -- "$keel" import rates "$work/rates.csv"
printf 'account,month,amount\n6100,2026-05,1000.00\n' > "$work/budget.csv"
expect_exit 0 "import budget" -- "$keel" import budget "$work/budget.csv"
expect_exit 0 "budget vs actual" -- "$keel" report budget-vs-actual --from 2026-05-01 --to 2026-05-31 --format csv
grep -q '^account,1,6100,Expenses:Rent,Rent,1000.00,1200.00,200.00$' "$work/out" && pass "budget vs actual row" || fail "BvA: $(cat "$work/out")"
expect_exit 0 "period list" -- "$keel" period list
grep -q '^2026-05  closed' "$work/out" && pass "closed month listed" || fail "periods: $(cat "$work/out")"

# The API over HTTP, with and without the token.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$keel" serve --port "$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/me")
[ "$code" = 401 ] && pass "API without a token: 401" || fail "API without a token: $code"
code=$(curl -s -o "$work/me.json" -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me")
[ "$code" = 200 ] && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["user"]["username"] == "boss"' "$work/me.json" && pass "API with the token: 200" || fail "API with token: $code"
expect_exit 0 "token list" -- "$keel" token list --username boss
token_id=$(awk -F'\t' '$3 == "ops" && $2 == "boss" && $4 == "users:*" && $7 == "active" { print $1 }' "$work/out")
[ -n "$token_id" ] && ! grep -q keel_ "$work/out" && pass "token listed, without its secret" || fail "token list: $(cat "$work/out")"
expect_exit 1 "revoking an unknown token fails" -- "$keel" token revoke 00000000-0000-0000-0000-000000000000
grep -q '^token.not_found: ' "$work/err" && pass "unknown token named" || fail "revoke said: $(cat "$work/err")"
expect_exit 0 "token revoke while the server runs" -- "$keel" token revoke "$token_id"
"$keel" token list >"$work/out" 2>"$work/err"
grep -q "^$token_id"$'\t.*\trevoked$' "$work/out" && pass "revoked token listed as revoked" || fail "token list: $(cat "$work/out")"
sleep 1.5  # the server keeps a token's principal for KEEL_TOKEN_CACHE_MS (1 s)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me")
[ "$code" = 401 ] && pass "API with the revoked token: 401" || fail "API with a revoked token: $code"
expect_exit 0 "token create (to expire)" -- "$keel" token create --username boss --name lapsed --expires-in-days 1
lapsed=$(cat "$work/out")
sql "UPDATE api_tokens SET expires_at = 1000000000 WHERE name = 'lapsed'"  # 2001: long past
"$keel" token list --username boss >"$work/out" 2>"$work/err"
awk -F'\t' '$3 == "lapsed" && $7 == "expired"' "$work/out" | grep -q . && pass "expired token listed as expired" \
    || fail "token list: $(cat "$work/out")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $lapsed" "http://127.0.0.1:$port/api/v1/me")
[ "$code" = 401 ] && pass "API with the expired token: 401" || fail "API with an expired token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
[ "$code" = 200 ] && pass "metrics from loopback" || fail "metrics: $code"
kill "$pid"; wait "$pid" 2>/dev/null || true

# Tampering is found and the row named.
sql "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"
expect_exit 1 "verify on a tampered database fails" -- "$keel" verify
grep -q '^audit.chain.broken: row 2' "$work/err" && pass "verify names row 2" || fail "verify said: $(cat "$work/err")"

if [ -n "$pg_admin" ]; then
    db="keel_cli_$$"
    python3 - "$pg_admin" "$db" <<'PY' || true
import subprocess, sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
subprocess.run(["psql", "-h", u.hostname, "-p", str(u.port), "-U", u.username, "-d", u.path.lstrip("/"),
                "-q", "-c", f"CREATE DATABASE {sys.argv[2]}"], check=True)
PY
    pg_url="${pg_admin%/*}/$db"
    KEEL_DATABASE_URL="$pg_url" expect_exit 0 "migrate on PostgreSQL" -- "$keel" migrate
    echo "a long admin password" | KEEL_DATABASE_URL="$pg_url" expect_exit 0 "user add on PostgreSQL" -- \
        "$keel" user add --username boss --role admin --password-stdin
    KEEL_DATABASE_URL="$pg_url" expect_exit 0 "verify on PostgreSQL" -- "$keel" verify
    KEEL_DATABASE_URL="$pg_url" expect_exit 2 "backup on PostgreSQL points at pg_dump" -- "$keel" backup --to "$work/x"
    grep -q 'pg_dump' "$work/err" && pass "pg_dump named" || fail "backup said: $(cat "$work/err")"
fi

echo "CLI checks: $failures failures"
[ "$failures" = 0 ]
