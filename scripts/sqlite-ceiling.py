#!/usr/bin/env python3
"""What SQLite alone costs for Keel's batch posting, without Keel.

Copies a Keel SQLite book, then posts entries into the copy the way the posting engine stores them (entry rows, line
rows, the monthly and daily balance upserts, one transaction of `--batch` entries each, WAL, synchronous=FULL,
foreign keys on, the same 64 MiB page cache), through prepared statements re-bound per row (`executemany`). Prints
the time spent inside SQLite calls and the rate that allows: a ceiling for `keel bench ledger`'s batch posting
with this schema. Python's own per-row binding is counted in it (about 1 s per 100,000 entries on the machines of
BENCHMARKS.md), so SQLite's own ceiling is that much higher.

    keel import ledger company.ledger --currency EUR      # any book with a chart (KEEL_DATABASE_URL=sqlite://...)
    python3 scripts/sqlite-ceiling.py book.sqlite [--entries 100000] [--batch 10000] [--scattered]

Dates run in order through 2027 (a batch is a run of days), or with --scattered fall anywhere in 2027.
"""
import argparse
import datetime
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("book", help="a Keel SQLite database (it is copied, not changed)")
parser.add_argument("--entries", type=int, default=100_000)
parser.add_argument("--batch", type=int, default=10_000)
parser.add_argument("--scattered", action="store_true", help="date entries anywhere in the year")
args = parser.parse_args()

folder = tempfile.mkdtemp(prefix="keel-ceiling-")
path = os.path.join(folder, "book.sqlite")
source = sqlite3.connect(args.book)
copy = sqlite3.connect(path)
source.backup(copy)
source.close()
copy.close()
db = sqlite3.connect(path, isolation_level=None)
for pragma in ["journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "cache_size = -65536",
               "temp_store = MEMORY"]:
    db.execute("PRAGMA " + pragma)
accounts = [row[0] for row in db.execute("SELECT id FROM ledger_accounts WHERE is_header = 0 AND archived = 0")]
if len(accounts) < 3:
    sys.exit("the book has fewer than 3 postable accounts; import a journal into it first")
currency = db.execute("SELECT currency FROM ledger_company").fetchone()[0]
journal = db.execute("SELECT code FROM ledger_journals ORDER BY code").fetchone()[0]

ENTRY = ("INSERT INTO ledger_entries (id, journal, number, date, memo, reversal_of, idempotency_key, content_hash, "
         "created_by, created_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, 'system', '2027-01-01T00:00:00.000Z')")
LINE = ("INSERT INTO ledger_lines (entry_id, line_no, account_id, date, debit, credit, currency, func_debit, "
        "func_credit, rate, memo, partner, due_date, dimensions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '1', NULL, NULL, "
        "NULL, NULL)")
SUMS = ["debit", "credit", "func_debit", "func_credit"]
MONTHLY = ("INSERT INTO ledger_balances (account_id, month, currency, debit, credit, func_debit, func_credit) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, month, currency) DO UPDATE SET "
           + ", ".join(f"{c} = ledger_balances.{c} + excluded.{c}" for c in SUMS))
DAILY = ("INSERT INTO ledger_daily_balances (account_id, date, currency, debit, credit, func_debit, func_credit, "
         "lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, date, currency) DO UPDATE SET "
         + ", ".join(f"{c} = ledger_daily_balances.{c} + excluded.{c}" for c in SUMS + ["lines"]))

random.seed(2027)
inside = 0.0
started = time.time()
for first in range(0, args.entries, args.batch):
    count = min(args.batch, args.entries - first)
    entries, lines, monthly, daily = [], [], {}, {}
    for offset in range(count):
        index = first + offset
        day = random.randrange(365) if args.scattered else index * 365 // args.entries
        date = (datetime.date(2027, 1, 1) + datetime.timedelta(days=day)).isoformat()
        # Time-ordered ids, as UUIDv7 gives: the upper-case text Keel stores.
        entry = "%08X-%04X-7000-8000-%012X" % (0x7FFF0000 + (index >> 16), index & 0xFFFF, index)
        entries.append((entry, journal, f"CEILING-2027-{index + 1:07d}", date, f"Ceiling {index}"))
        amount = random.randrange(100, 2_000_000)
        picked = random.sample(accounts, random.choice([2, 2, 3, 3]))
        split = [amount] if len(picked) == 2 else [amount // 2, amount - amount // 2]
        postings = [(picked[0], amount, 0)] + [(account, 0, part) for account, part in zip(picked[1:], split)]
        for number, (account, debit, credit) in enumerate(postings):
            lines.append((entry, number, account, date, debit, credit, currency, debit, credit))
            for table, period, extra in ((monthly, date[:7], ()), (daily, date, (1,))):
                old = table.get((account, period), (0, 0) + extra)
                table[(account, period)] = (old[0] + debit, old[1] + credit) + tuple(o + 1 for o in old[2:])
    clock = time.time()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(ENTRY, entries)
    db.executemany(LINE, lines)
    db.executemany(MONTHLY, [(a, p, currency, d, c, d, c) for (a, p), (d, c) in sorted(monthly.items())])
    db.executemany(DAILY, [(a, p, currency, d, c, d, c, n) for (a, p), (d, c, n) in sorted(daily.items())])
    db.execute("COMMIT")
    inside += time.time() - clock
total = time.time() - started
db.close()
shutil.rmtree(folder)
print(f"{args.entries} entries in batches of {args.batch}, dates {'scattered' if args.scattered else 'in order'}: "
      f"{inside:.2f} s inside SQLite = {args.entries / inside:,.0f} entries/s ({total:.2f} s with building the rows)")
