#!/usr/bin/env python3
"""Snapshot consistency test: a consumer that applies the snapshot's `r` records and then the
stream in order must end with a copy equal to the source, table by table, even though
concurrent writers change the tables while the snapshot is taken and read.

Per seed, in a fresh database:
  1. tables with a plain key, a composite key of quoted names, a TOAST-heavy table with REPLICA
     IDENTITY FULL and a keyless table (REPLICA IDENTITY FULL), and their initial rows;
  2. writer threads (one psql connection each, each owning a part of every table's keys) run
     random transactions: inserts, updates, deletes, primary-key changes, TOAST updates (values
     > 2 kB stored out of line), NULLs, rollbacks; some transactions stay open across a pause;
  3. while they run, the reader (psql over a replication connection) begins a REPEATABLE READ
     transaction, creates the slot with CREATE_REPLICATION_SLOT … (SNAPSHOT 'use') and reads
     `cedar_cdc.snapshot_records` through a cursor, a few rows per FETCH with pauses between;
  4. pg_recvlogical streams the slot from then on, until a sentinel message written after the
     writers stop;
  5. the consumer applies the `r` records then the stream (upsert by key on c/u/r, delete on d
     and on a tombstone; a key change arrives as delete + tombstone + create; an unchanged TOAST
     placeholder keeps the copy's value), and the copy is compared with the source, full rows,
     each value decoded to the same Python value from Debezium's JSON and from `to_jsonb`.

The seed drives the workload (tables' rows, every writer's operations); timing is not
deterministic, so a failure prints its seed and the records of the rows that differ.

Usage: consistency.py --port PORT [--seeds 1-6] [--writers 3] [--txns 60] [--keep]
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
import pgtest  # noqa: E402

PREFIX = "snapt"
OPTIONS = ["output.format=record", "schemas.enable=false", f"topic.prefix={PREFIX}"]
PLACEHOLDER = "__debezium_unavailable_value"
SENTINEL = "snapt_end"


# ---------------------------------------------------------------------------------------------
# Tables: name -> columns (name, type, nullable), key column names (empty: keyless), DDL extra.

class Table:
    def __init__(self, name: str, cols: list[tuple[str, str, bool]], key: list[str], extra: str = ""):
        self.name, self.cols, self.key, self.extra = name, cols, key, extra
        self.types = {c: t for c, t, _ in cols}

    @property
    def sql_name(self) -> str:
        return ident(self.name)

    def ddl(self) -> str:
        cols = ", ".join(f"{ident(c)} {SQL_TYPES[t]}{'' if n else ' NOT NULL'}" for c, t, n in self.cols)
        pk = f", PRIMARY KEY ({', '.join(ident(k) for k in self.key)})" if self.key else ""
        return f"CREATE TABLE {self.sql_name} ({cols}{pk}){self.extra};"


SQL_TYPES = {"int": "integer", "bigint": "bigint", "text": "text", "bytea": "bytea",
             "num": "numeric(12,2)", "bool": "boolean", "tstz": "timestamptz"}

TABLES = [
    Table("accounts", [("id", "int", False), ("name", "text", False), ("balance", "num", False),
                       ("active", "bool", True), ("note", "text", True), ("seen", "tstz", True)], ["id"]),
    Table("Order Lines", [("Order Id", "int", False), ("line#", "int", False), ("qty", "int", False),
                          ("Payload", "bytea", True), ("comment", "text", True)], ["Order Id", "line#"]),
    Table("docs", [("id", "bigint", False), ("title", "text", False), ("body", "text", True),
                   ("blob", "bytea", True), ("ver", "int", False)], ["id"], ""),
    Table("event_log", [("k", "int", False), ("v", "text", True), ("n", "int", True)], []),
]
REPLICA_FULL = {"docs", "event_log"}


def ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def lit(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, bytes):
        return "'\\x" + v.hex() + "'::bytea"
    if isinstance(v, datetime.datetime):
        return "'" + v.isoformat() + "'::timestamptz"
    return "'" + str(v).replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Values: both sides decoded to the same Python values.

def from_debezium(t: str, v):
    """A Debezium JSON value (schemas off, default handling modes) as a Python value."""
    if v is None:
        return None
    if t == "bytea":
        return base64.b64decode(v)
    if t == "num":  # Connect Decimal, scale 2: the unscaled value's two's complement, base64
        return Decimal(int.from_bytes(base64.b64decode(v), "big", signed=True)).scaleb(-2)
    if t == "tstz":
        return datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return v


def from_jsonb(t: str, v):
    """A value of to_jsonb(row) as a Python value."""
    if v is None:
        return None
    if t == "bytea":
        return bytes.fromhex(v[2:])
    if t == "num":
        return Decimal(v)
    if t == "tstz":
        return datetime.datetime.fromisoformat(v)
    return v


def norm(x):
    return x.normalize() if isinstance(x, Decimal) else x


def row_tuple(table: Table, row: dict) -> tuple:
    return tuple(norm(row.get(c)) for c, _, _ in table.cols)


# ---------------------------------------------------------------------------------------------
# psql sessions

class Session:
    """A persistent psql process fed on standard input; run() waits for an \\echo marker."""

    def __init__(self, port: int, conninfo: str):
        argv = pgtest.psql_argv(port, conninfo) + ["-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"]
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, encoding="utf-8", bufsize=1)
        self.n = 0

    def run(self, sql: str) -> list[str]:
        self.n += 1
        mark = f"__snapt_mark_{self.n}__"
        try:
            self.p.stdin.write(sql + f"\n\\echo {mark}\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        out = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError(f"psql exited ({self.p.wait()}): {self.p.stderr.read().strip()}\nSQL: {sql[:300]}")
            line = line.rstrip("\n")
            if line == mark:
                return out
            out.append(line)

    def close(self) -> None:
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        self.p.wait(timeout=30)
        self.p.stdout.close()
        self.p.stderr.close()


# ---------------------------------------------------------------------------------------------
# The workload

class Writer(threading.Thread):
    """One connection; owns the keys k with k % n == i of every table (so writers never wait for
    each other) and knows their rows, to pick existing ones."""

    def __init__(self, port: int, db: str, seed: int, i: int, n: int, txns: int, rows: dict):
        super().__init__(daemon=True)
        self.port, self.db, self.i, self.n, self.txns = port, db, i, n, txns
        self.rng = random.Random(f"{seed}/{i}")
        self.rows = rows  # table name -> {key tuple: row dict} (event_log: list of rows)
        self.done = 0
        self.committed = 0
        self.ops = collections.Counter()
        self.deadlocks = 0
        self.error: Optional[BaseException] = None
        self.pause = threading.Event()
        self.pause.set()

    def own(self, k: int) -> bool:
        return k % self.n == self.i

    def fresh_key(self, used) -> int:
        while True:
            k = self.rng.randrange(1, 100000)
            k -= k % self.n
            k += self.i
            if k > 0 and (k,) not in used and k not in used:
                return k

    def run(self) -> None:
        s = Session(self.port, self.db)
        try:
            for _ in range(self.txns):
                self.pause.wait()
                try:
                    self.transaction(s)
                except RuntimeError as e:
                    # The snapshot on demand locks each chunk's rows FOR SHARE: a writer whose
                    # transaction updates rows of a chunk in another order can deadlock with it,
                    # and PostgreSQL rolls one of them back. The application retries; so do we
                    # (psql stopped at the error: nothing of the transaction committed).
                    if "deadlock detected" not in str(e):
                        raise
                    self.deadlocks += 1
                    s.close()
                    s = Session(self.port, self.db)
                self.done += 1
                time.sleep(self.rng.random() * 0.01)
        except BaseException as e:  # reported by the main thread
            self.error = e
        finally:
            s.close()

    def transaction(self, s: Session) -> None:
        rng = self.rng
        # The transaction works on copies of the model; they replace it only on commit.
        work = {t: (dict(v) if isinstance(v, dict) else list(v)) for t, v in self.rows.items()}
        stmts, ops = [], collections.Counter()
        for _ in range(rng.randint(1, 5)):
            t = rng.choice(TABLES)
            stmt, op = self.operation(t, work[t.name])
            if stmt:
                stmts.append(stmt)
                ops[op] += 1
        rollback = rng.random() < 0.1
        half = rng.randint(0, len(stmts))
        s.run("BEGIN;\n" + "\n".join(stmts[:half]))
        if rng.random() < 0.3:  # stays open across a pause (a slot creation must wait for it)
            time.sleep(rng.random() * 0.05)
        s.run("\n".join(stmts[half:]) + ("\nROLLBACK;" if rollback else "\nCOMMIT;"))
        if not rollback:
            self.rows.update(work)
            self.committed += 1
            self.ops.update(ops)

    def value(self, t: str, nullable: bool, big: bool = False):
        rng = self.rng
        if nullable and rng.random() < 0.15:
            return None
        if t in ("int", "bigint"):
            return rng.randrange(-1000, 100000)
        if t == "num":
            return Decimal(rng.randrange(-10**9, 10**9)).scaleb(-2)
        if t == "bool":
            return rng.random() < 0.5
        if t == "tstz":
            return datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
                microseconds=rng.randrange(0, 10**15))
        if t == "bytea":
            n = rng.randint(2100, 6000) if big else rng.randint(0, 40)
            return rng.randbytes(n)
        if big:  # random hex does not compress: stored out of line
            return rng.randbytes(rng.randint(1100, 4000)).hex()
        return rng.choice(["plain", "O'Brien", "quote \" and \\ backslash", "ünïcödé ☃", "", "tab\there",
                           f"n{rng.randrange(10**6)}"])

    def new_row(self, table: Table, keys: dict) -> dict:
        row = {}
        for c, t, nullable in table.cols:
            big = t in ("bytea", "text") and c not in ("name", "title") and self.rng.random() < 0.4
            row[c] = self.value(t, nullable, big)
        if table.name == "Order Lines":
            row["Order Id"] = self.rng.randrange(1, 400) * self.n + self.i
            row["line#"] = self.rng.randrange(1, 50)
            while (row["Order Id"], row["line#"]) in keys:
                row["line#"] = self.rng.randrange(1, 10**6)
        elif table.key:
            row[table.key[0]] = self.fresh_key(keys)
        else:
            row["k"] = self.rng.randrange(0, 300) * self.n + self.i
        return row

    def where(self, table: Table, row: dict) -> str:
        if table.key:
            return " AND ".join(f"{ident(k)} = {lit(row[k])}" for k in table.key)
        # keyless: one physical row with these values
        conds = " AND ".join(f"{ident(c)} IS NOT DISTINCT FROM {lit(row[c])}" for c, _, _ in table.cols)
        return f"ctid = (SELECT ctid FROM {table.sql_name} WHERE {conds} LIMIT 1)"

    def operation(self, table: Table, rows) -> tuple[str, str]:
        rng = self.rng
        keyed = bool(table.key)
        existing = list(rows.values()) if keyed else rows
        op = rng.choices(["insert", "update", "toast", "delete", "key"], [30, 30, 15, 15, 10])[0]
        if not existing or op == "insert":
            row = self.new_row(table, rows)
            cols = ", ".join(ident(c) for c, _, _ in table.cols)
            vals = ", ".join(lit(row[c]) for c, _, _ in table.cols)
            if keyed:
                rows[tuple(row[k] for k in table.key)] = row
            else:
                rows.append(row)
            return f"INSERT INTO {table.sql_name} ({cols}) VALUES ({vals});", "insert"
        old = rng.choice(existing)
        where = self.where(table, old)
        if op == "delete":
            if keyed:
                del rows[tuple(old[k] for k in table.key)]
            else:
                rows.remove(old)
            return f"DELETE FROM {table.sql_name} WHERE {where};", "delete"
        new = dict(old)
        if op == "key" and keyed:
            fresh = self.new_row(table, rows)
            for k in table.key:
                new[k] = fresh[k]
            del rows[tuple(old[k] for k in table.key)]
            rows[tuple(new[k] for k in table.key)] = new
            sets = ", ".join(f"{ident(k)} = {lit(new[k])}" for k in table.key)
            return f"UPDATE {table.sql_name} SET {sets} WHERE {where};", "key change"
        if op == "toast":
            cols = [c for c, t, _ in table.cols if t in ("bytea", "text") and c not in ("name", "title")]
            c = rng.choice(cols)
            new[c] = self.value(table.types[c], False, True)
            kind = "toast update"
        else:  # a small column; out-of-line values stay unchanged (the stream's placeholder)
            cols = [c for c, t, _ in table.cols if c not in table.key and t not in ("bytea",)
                    and not (t == "text" and c not in ("name", "title", "v"))]
            c = rng.choice(cols)
            nullable = dict((c2, n) for c2, _, n in table.cols)[c]
            new[c] = self.value(table.types[c], nullable)
            kind = "update"
        if keyed:
            rows[tuple(old[k] for k in table.key)] = new
        else:
            rows[rows.index(old)] = new
        return f"UPDATE {table.sql_name} SET {ident(c)} = {lit(new[c])} WHERE {where};", kind


# ---------------------------------------------------------------------------------------------
# The consumer

class Copy:
    """The applied copy: keyed tables by key tuple, keyless ones as a multiset of rows."""

    def __init__(self, lenient: bool = False):
        # An incremental snapshot's copy starts empty: changes to rows whose r event comes
        # later are expected (the final comparison decides).
        self.lenient = lenient
        self.keyed = {t.name: {} for t in TABLES if t.key}
        self.bag = {t.name: collections.Counter() for t in TABLES if not t.key}
        self.by_name = {t.name: t for t in TABLES}
        self.topics: dict[str, str] = {}
        self.errors: list[str] = []
        self.counts = collections.Counter()
        self.deleted = None  # ((table, txId, lsn), row) of the last delete

    def decode(self, table: Table, row: Optional[dict], prev: Optional[dict] = None) -> Optional[dict]:
        if row is None:
            return None
        out = {}
        for c, t, _ in table.cols:
            v = row.get(c)
            if (t == "text" and v == PLACEHOLDER) or (t == "bytea" and v == base64.b64encode(
                    PLACEHOLDER.encode()).decode()):
                if prev is None:
                    if not self.lenient:
                        self.errors.append(f"{table.name}: unchanged TOAST placeholder for a row the copy lacks: {row}")
                    out[c] = None
                else:
                    out[c] = prev[c]
                continue
            out[c] = from_debezium(t, v)
        return out

    def key_of(self, table: Table, key_json: str) -> tuple:
        k = json.loads(key_json)
        return tuple(norm(from_debezium(table.types[c], k[c])) for c in table.key)

    def apply(self, line: str, where: str) -> None:
        rec = json.loads(line)
        topic, value = rec["topic"], rec["value"]
        if value is None:  # tombstone
            self.counts["tombstone"] += 1
            name = self.topics.get(topic)
            if name and self.by_name[name].key and rec["key"] is not None:
                self.keyed[name].pop(self.key_of(self.by_name[name], rec["key"]), None)
            return
        v = json.loads(value)
        if "op" not in v or v.get("op") == "m":
            return
        name = v["source"]["table"]
        table = self.by_name[name]
        self.topics[topic] = name
        op = v["op"]
        self.counts[op] += 1
        if table.key:
            key = self.key_of(table, rec["key"])
            rows = self.keyed[name]
            at = (name, v["source"]["txId"], v["source"]["lsn"])
            if op in ("c", "u", "r"):
                prev = rows.get(key)
                if op == "c" and prev is None and self.deleted and self.deleted[0] == at:
                    # A key change: delete and create of one WAL record. The new row's unchanged
                    # TOAST values are the old key's (Debezium links them by the oldkey header).
                    prev = self.deleted[1]
                rows[key] = self.decode(table, v["after"], prev)
            elif op == "d":
                if key not in rows and not self.lenient:
                    self.errors.append(f"{where}: delete of {name} {key}, not in the copy")
                self.deleted = (at, rows.pop(key, None))
        else:
            bag = self.bag[name]
            if op in ("u", "d"):
                old = row_tuple(table, self.decode(table, v["before"]))
                if bag[old] <= 0 and not self.lenient:
                    self.errors.append(f"{where}: {op} of {name} row {old}, not in the copy")
                bag[old] -= 1
                if bag[old] <= 0:
                    del bag[old]
            if op in ("c", "u", "r"):
                bag[row_tuple(table, self.decode(table, v["after"]))] += 1


# ---------------------------------------------------------------------------------------------
# One seed

def source_rows(port: int, db: str, table: Table) -> list[dict]:
    out = pgtest.query(port, f"SELECT to_jsonb(t) FROM {table.sql_name} t", db=db)
    rows = []
    for line in out.splitlines():
        j = json.loads(line, parse_float=Decimal)
        rows.append({c: from_jsonb(t, j[c]) for c, t, _ in table.cols})
    return rows


def compare(port: int, db: str, copy: Copy, keyed_only: bool = False) -> tuple[int, list[str]]:
    diffs, compared = [], 0
    for table in TABLES:
        if keyed_only and not table.key:
            continue
        src = source_rows(port, db, table)
        compared += len(src)
        if table.key:
            want = {tuple(norm(r[k]) for k in table.key): row_tuple(table, r) for r in src}
            got = {k: row_tuple(table, r) for k, r in copy.keyed[table.name].items()}
            for k in sorted(set(want) | set(got), key=repr):
                if want.get(k) != got.get(k):
                    diffs.append(f"{table.name} key {k}: source {short(want.get(k))}, copy {short(got.get(k))}")
        else:
            want = collections.Counter(row_tuple(table, r) for r in src)
            got = copy.bag[table.name]
            for r in sorted(set(want) | set(got), key=repr):
                if want[r] != got[r]:
                    diffs.append(f"{table.name} row {short(r)}: {want[r]} in the source, {got[r]} in the copy")
    return compared, diffs


def short(x) -> str:
    s = repr(x)
    return s if len(s) < 300 else s[:300] + "…"


def initial_rows(seed: int, writers: int) -> dict:
    """Rows inserted before the test starts, in each writer's key space."""
    rows = [{t.name: ({} if t.key else []) for t in TABLES} for _ in range(writers)]
    for i in range(writers):
        w = Writer(0, "", seed * 1000 + 999, i, writers, 0, rows[i])
        counts = {"accounts": 500, "Order Lines": 60, "docs": 15, "event_log": 40}
        for t in TABLES:
            for _ in range(counts[t.name] // writers * 3 // 2):  # accounts: more than one fetch of 256
                row = w.new_row(t, rows[i][t.name])
                if t.key:
                    rows[i][t.name][tuple(row[k] for k in t.key)] = row
                else:
                    rows[i][t.name].append(row)
    return rows


def run_seed(args, seed: int) -> dict:
    port, db, slot = args.port, f"snapt_{seed}", f"snapt_{seed}"
    old_syntax = int(pgtest.query(port, "SHOW server_version_num")) < 150000

    def slot_option(action: str) -> str:
        """The slot's snapshot option; before 15 it is spelled USE_SNAPSHOT / NOEXPORT_SNAPSHOT."""
        if old_syntax:
            return {"use": "USE_SNAPSHOT", "nothing": "NOEXPORT_SNAPSHOT"}[action]
        return f"(SNAPSHOT '{action}')"

    t0 = time.monotonic()
    pgtest.query(port, f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{slot}'")
    pgtest.query(port, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    pgtest.query(port, f"CREATE DATABASE {db}")
    rows = initial_rows(seed, args.writers)
    ddl = ["CREATE EXTENSION cedar_cdc;"] + [t.ddl() for t in TABLES]
    # The snapshot on demand: every table FULL. Under DEFAULT, a key change's create carries the
    # unchanged TOAST placeholder, and when neither key's row has reached the copy yet (the new
    # key's chunk already read, the old key's not yet) no consumer can know the value; Debezium
    # streams the same placeholder. FULL streams the value itself.
    full = {t.name for t in TABLES} if args.incremental else REPLICA_FULL
    ddl += [f"ALTER TABLE {ident(n)} REPLICA IDENTITY FULL;" for n in sorted(full)]
    # Out-of-line storage without compression, so that "big" values are TOASTed as such.
    ddl += [f"ALTER TABLE {t.sql_name} ALTER COLUMN {ident(c)} SET STORAGE EXTERNAL;"
            for t in TABLES for c, ty, _ in t.cols if ty in ("text", "bytea")]
    for part in rows:
        for t in TABLES:
            vals = part[t.name].values() if t.key else part[t.name]
            for r in vals:
                cols = ", ".join(ident(c) for c, _, _ in t.cols)
                ddl.append(f"INSERT INTO {t.sql_name} ({cols}) VALUES ({', '.join(lit(r[c]) for c, _, _ in t.cols)});")
    pgtest.psql(args.port, "-q", db=db, input="\n".join(ddl))
    writers = [Writer(port, db, seed, i, args.writers, args.txns, rows[i]) for i in range(args.writers)]
    for w in writers:
        w.start()
    rng = random.Random(f"{seed}/reader")
    # The snapshot starts once the writers are under way.
    start_after = rng.randint(1, max(1, args.txns // 4))
    while min(w.done for w in writers) < start_after and all(w.is_alive() for w in writers):
        time.sleep(0.005)
    snap_lines: list[str] = []
    counts_at_snapshot = {}
    stream_file = pgtest.run_dir() / f"snapt_{seed}.stream.jsonl"
    stream_file.unlink(missing_ok=True)  # pg_recvlogical appends

    def start_stream() -> subprocess.Popen:
        return subprocess.Popen(pgtest.recvlogical_argv(port, db) + [
            "-S", slot, "--start", "--no-loop", "-F", "0", "-s", "1", "-f", str(stream_file),
            *[x for o in OPTIONS for x in ("-o", o)]], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if args.incremental:
        created, overlap, fetch, recv = incremental(args, port, db, slot, rng, writers, start_stream)
    else:
        created, overlap, fetch = initial(args, port, db, slot, rng, writers, snap_lines, counts_at_snapshot,
                                          slot_option)
        recv = start_stream()
    for w in writers:
        w.join()
    errors = [f"writer {w.i}: {w.error}" for w in writers if w.error]
    if isinstance(overlap, str):
        errors.append(overlap)
        overlap = 0
    pgtest.query(port, f"SELECT pg_logical_emit_message(true, '{SENTINEL}', 'end')", db=db)
    deadline = time.monotonic() + 60
    stream_lines: list[str] = []
    while time.monotonic() < deadline:
        if stream_file.exists():
            text = stream_file.read_text(encoding="utf-8")
            if SENTINEL in text:
                stream_lines = [ln for ln in text.splitlines() if ln and SENTINEL not in ln]
                break
        if recv.poll() is not None:
            errors.append(f"pg_recvlogical exited {recv.returncode}: {recv.stderr.read().strip()}")
            break
        time.sleep(0.05)
    else:
        errors.append("the stream's sentinel never arrived")
    if recv.poll() is None:
        recv.terminate()
        recv.wait(timeout=30)
    recv.stderr.close()
    copy = Copy(lenient=args.incremental)
    for i, line in enumerate(snap_lines):
        copy.apply(line, f"snapshot record {i + 1}")
    per_table = collections.Counter(json.loads(json.loads(ln)["value"])["source"]["table"] for ln in snap_lines)
    for name, n in counts_at_snapshot.items():
        if per_table[name] != n:
            errors.append(f"{name}: {per_table[name]} snapshot records, {n} rows under the snapshot")
    markers = [json.loads(json.loads(ln)["value"])["source"]["snapshot"] for ln in snap_lines]
    if markers and (markers[0] != "first" or markers[-1] != "last"):
        errors.append(f"snapshot markers: first {markers[0]!r}, last {markers[-1]!r}")
    for i, line in enumerate(stream_lines):
        copy.apply(line, f"stream record {i + 1}")
    compared, diffs = compare(port, db, copy, keyed_only=args.incremental)
    errors += copy.errors + diffs
    ops = collections.Counter()
    for w in writers:
        ops.update(w.ops)
    if not errors and not args.keep:
        pgtest.query(port, f"DROP DATABASE {db} WITH (FORCE)")
        stream_file.unlink(missing_ok=True)
    return {"seed": seed, "errors": errors, "snapshot": len(snap_lines) or copy.counts["r"], "stream": sum(
        copy.counts[o] for o in "cud"), "compared": compared, "ops": ops, "slot": created[0].split("|")[1],
        "fetch": fetch, "overlap": overlap, "deadlocks": sum(w.deadlocks for w in writers),
        "txns": sum(w.committed for w in writers), "seconds": time.monotonic() - t0}


def incremental(args, port, db, slot, rng, writers, start_stream):
    """The snapshot on demand of the keyed tables while the stream runs and the writers write."""
    created = [pgtest.query(port, f"SELECT slot_name || '|' || lsn FROM pg_create_logical_replication_slot("
                                  f"'{slot}', 'cedar_cdc')", db=db)]
    recv = start_stream()
    chunk = rng.choice([7, 64, 1024])
    tables = ", ".join(lit("public." + t.sql_name) for t in TABLES if t.key)
    opts = ", ".join(lit(o) for o in OPTIONS)
    done_at_start = sum(w.done for w in writers)
    pgtest.query(port, f"SELECT cedar_cdc.snapshot({lit(slot)}, ARRAY[{tables}], options => ARRAY[{opts}], "
                       f"chunk_size => {chunk})", db=db)
    deadline = time.monotonic() + 120
    while True:
        states = pgtest.query(port, "SELECT string_agg(DISTINCT state, ',') FROM cedar_cdc.snapshot_progress() "
                                    f"WHERE slot = {lit(slot)}", db=db)
        if states == "done":
            return created, sum(w.done for w in writers) - done_at_start, chunk, recv
        if "failed" in states or "cancelled" in states or time.monotonic() > deadline:
            return created, f"snapshot on demand: states {states}", chunk, recv
        time.sleep(0.05)


def initial(args, port, db, slot, rng, writers, snap_lines, counts_at_snapshot, slot_option):
    """The initial snapshot: slot and records in one REPEATABLE READ transaction."""
    reader = Session(port, f"dbname={db} replication=database")
    try:
        reader.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;")
        if args.mutate:
            # Self-check: a snapshot taken before the slot's consistent point (the slot does not
            # give it) must lose the changes committed in between, and the test must say so.
            reader.run("SELECT 1;")
            time.sleep(0.2)
            created = reader.run(f"CREATE_REPLICATION_SLOT {slot} LOGICAL cedar_cdc {slot_option('nothing')};")
        else:
            created = reader.run(f"CREATE_REPLICATION_SLOT {slot} LOGICAL cedar_cdc {slot_option('use')};")
        done_at_slot = sum(w.done for w in writers)
        opts = ", ".join(lit(o) for o in OPTIONS)
        reader.run(f"DECLARE snap NO SCROLL CURSOR FOR SELECT cedar_cdc.snapshot_records({lit(slot)}, ARRAY[{opts}]);")
        fetch = rng.choice([1, 5, 20, 50])
        while True:
            got = reader.run(f"FETCH {fetch} FROM snap;")
            snap_lines += got
            if len(got) < fetch:
                break
            time.sleep(rng.random() * 0.01)
        reader.run("CLOSE snap;")
        for t in TABLES:  # under the same snapshot: what the r records must hold
            counts_at_snapshot[t.name] = int(reader.run(f"SELECT count(*) FROM {t.sql_name};")[0])
        reader.run("COMMIT;")
        overlap = sum(w.done for w in writers) - done_at_slot
    finally:
        reader.close()
    return created, overlap, fetch


def parse_seeds(s: str) -> list[int]:
    out = []
    for part in s.split(","):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seeds", default="1-6", help="e.g. 1-200 or 3,7,9")
    ap.add_argument("--writers", type=int, default=3)
    ap.add_argument("--txns", type=int, default=60, help="transactions per writer")
    ap.add_argument("--keep", action="store_true", help="keep every seed's database and stream file")
    ap.add_argument("--incremental", action="store_true",
                    help="the snapshot on demand (cedar_cdc.snapshot) of the keyed tables while the stream runs")
    ap.add_argument("--mutate", action="store_true",
                    help="self-check: read under a snapshot older than the slot; every seed must fail")
    args = ap.parse_args()
    total = collections.Counter()
    failed = []
    t0 = time.monotonic()
    for seed in parse_seeds(args.seeds):
        r = run_seed(args, seed)
        ops = ", ".join(f"{n} {o}" for o, n in sorted(r["ops"].items()))
        status = "ok" if not r["errors"] else f"FAILED ({len(r['errors'])} problems)"
        print(f"seed {seed}: {status}: {r['snapshot']} snapshot records (FETCH {r['fetch']}, slot at {r['slot']}, "
              f"{r['overlap']} writer transactions during the read), "
              f"{r['stream']} streamed changes from {r['txns']} committed transactions ({ops}); "
              f"{r['compared']} rows compared; {r['deadlocks']} writer deadlocks; {r['seconds']:.1f} s", flush=True)
        for e in r["errors"][:20]:
            print(f"  seed {seed}: {e}")
        if r["errors"]:
            failed.append(seed)
            print(f"  (database snapt_{seed} and {pgtest.run_dir()}/snapt_{seed}.stream.jsonl kept)")
        total.update({"seeds": 1, "deadlocks": r["deadlocks"], "snapshot": r["snapshot"], "stream": r["stream"], "compared": r["compared"],
                      "txns": r["txns"]})
        total.update(r["ops"])
    print(f"\n{total['seeds']} seeds, {total['txns']} committed writer transactions, {total['snapshot']} snapshot "
          f"records, {total['stream']} streamed changes, {total['compared']} rows compared, "
          f"{total['deadlocks']} writer transactions rolled back by a deadlock, "
          f"{len(failed)} failed{' (seeds ' + ','.join(map(str, failed)) + ')' if failed else ''}; "
          f"{time.monotonic() - t0:.0f} s")
    if args.mutate:
        print("self-check: " + ("every seed failed, as it must" if len(failed) == total["seeds"]
                                else "SOME SEEDS PASSED under a wrong snapshot"))
        return 0 if len(failed) == total["seeds"] else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
