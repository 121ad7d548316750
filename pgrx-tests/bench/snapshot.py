#!/usr/bin/env python3
"""Snapshot benchmark, side by side in one run: the initial snapshot of a 1,000,000-row lineitem
table by cedar_cdc (`snapshot_records` over a replication connection, as the README shows it),
by the real Debezium 3.6.3 connector (`snapshot.mode=initial`, JsonConverter with schemas, into
a null sink) and `COPY lineitem TO '/dev/null'` (server side: the physical floor).

Every cedar_cdc configuration and COPY runs --runs times, interleaved, and the best run is
reported; Debezium runs --debezium-runs times (each with its own slot and publication). Columns:
rows per second, the ratio to COPY, output bytes, CPU seconds of the server's processes (every
backend and walsender of the cluster, and exited ones through the postmaster's children times),
CPU seconds of the client (psql or the JVM), rows per CPU second of both (which a busy machine
disturbs less than the wall time), and WAL bytes written during the read.

cedar_cdc's time runs from the statement that reads the records to its end (the slot is made
before, in the same transaction); Debezium's from its first record to its last (its slot,
snapshot transaction and schema reads come before the first record).

Usage: snapshot.py --port PORT --cluster-dir DIR [--rows 1000000] [--runs 3] [--debezium-runs 1]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
sys.path.insert(0, str(HERE.parent / "conformance"))
import pgtest  # noqa: E402
import run_debezium  # noqa: E402

DB = "bench_snapshot"
JAVA_SOURCE = HERE / "debezium" / "DebeziumSnapshotBench.java"
TABLE_OPT = "table.include.list=public\\.lineitem"
# (label, snapshot_records options, where the records go)
CEDAR = [
    ("cedar_cdc, schemas on (Debezium's settings), records counted in the server", [TABLE_OPT], "server"),
    ("cedar_cdc, schemas off, records counted in the server", [TABLE_OPT, "schemas.enable=false"], "server"),
    ("cedar_cdc, record format (topic, key, value), schemas on, counted in the server",
     [TABLE_OPT, "output.format=record"], "server"),
    ("cedar_cdc, schemas on, to psql (FETCH_COUNT 1000, /dev/null)", [TABLE_OPT], "psql"),
    ("cedar_cdc, schemas off, to psql (FETCH_COUNT 1000, /dev/null)", [TABLE_OPT, "schemas.enable=false"], "psql"),
]
COPY = "COPY lineitem TO '/dev/null' (server side)"


def q(port: int, sql: str, db: str = DB) -> str:
    return pgtest.query(port, sql, db=db)


def cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(postmaster: int) -> float:
    """CPU seconds of the postmaster, its live children and the children it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{postmaster}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total = sum(int(x) for x in fields[11:15]) / ticks  # utime stime cutime cstime
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def lsn(port: int) -> int:
    return int(q(port, "SELECT pg_current_wal_lsn() - '0/0'"))


class Session:
    """psql on standard input; run() returns the output up to an \\echo marker."""

    def __init__(self, port: int, conninfo: str):
        self.p = subprocess.Popen(pgtest.psql_argv(port, conninfo) + ["-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.n = 0

    def run(self, sql: str) -> list[str]:
        self.n += 1
        mark = f"__bench_{self.n}__"
        self.p.stdin.write(f"{sql}\n\\echo {mark}\n")
        self.p.stdin.flush()
        out = []
        while (line := self.p.stdout.readline()) != f"{mark}\n":
            if not line:
                raise RuntimeError(f"psql failed: {self.p.stderr.read()}\nSQL: {sql[:200]}")
            out.append(line.rstrip("\n"))
        return out

    def close(self) -> None:
        self.p.stdin.close()
        self.p.wait()


def cedar_run(port: int, postmaster: int, opts: list[str], sink: str) -> dict:
    slot = "bench_snapshot"
    s = Session(port, f"dbname={DB} replication=database")
    try:
        s.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;")
        s.run(f"CREATE_REPLICATION_SLOT {slot} LOGICAL cedar_cdc (SNAPSHOT 'use');")
        pid = int(s.run("SELECT pg_backend_pid();")[0])
        arr = ", ".join("'" + o.replace("'", "''") + "'" for o in opts)
        call = f"cedar_cdc.snapshot_records('{slot}', ARRAY[{arr}])"
        w0, c0, b0, k0 = lsn(port), server_cpu(postmaster), cpu_of(pid), cpu_of(s.p.pid)
        t0 = time.monotonic()
        if sink == "psql":  # as the README's snapshot runs it (COPY's text format would escape \\)
            s.run(f"\\set FETCH_COUNT 1000\n\\o /dev/null\nSELECT {call};\n\\o\n\\unset FETCH_COUNT")
            rows = nbytes = None
        else:
            # In the target list (ProjectSet), as psql's SELECT runs it: in FROM, a function scan
            # would first store every record in a tuplestore.
            rows, nbytes = s.run(f"SELECT count(*), sum(octet_length(r)) FROM (SELECT {call} AS r) s;")[0].split("|")
        wall = time.monotonic() - t0
        b1, c1, k1 = cpu_of(pid), server_cpu(postmaster), cpu_of(s.p.pid)
        s.run("COMMIT;")
        w1 = lsn(port)
        s.run(f"DROP_REPLICATION_SLOT {slot};")
    finally:
        s.close()
    return {"wall": wall, "rows": rows and int(rows), "bytes": nbytes and int(nbytes), "backend": b1 - b0,
            "server": c1 - c0, "client": k1 - k0, "wal": w1 - w0}


def copy_run(port: int, postmaster: int) -> dict:
    s = Session(port, DB)
    try:
        pid = int(s.run("SELECT pg_backend_pid();")[0])
        w0, c0, b0, k0 = lsn(port), server_cpu(postmaster), cpu_of(pid), cpu_of(s.p.pid)
        t0 = time.monotonic()
        s.run("COPY lineitem TO '/dev/null';")
        wall = time.monotonic() - t0
        b1, c1, k1 = cpu_of(pid), server_cpu(postmaster), cpu_of(s.p.pid)
        w1 = lsn(port)
    finally:
        s.close()
    return {"wall": wall, "rows": None, "bytes": None, "backend": b1 - b0, "server": c1 - c0,
            "client": k1 - k0, "wal": w1 - w0}


def build_bench() -> str:
    """Compiles DebeziumSnapshotBench.java against the conformance harness's jars (once)."""
    libs = run_debezium.ensure_debezium()
    jars = [str(libs / j) for j in run_debezium.JARS]
    classes = run_debezium.cache_dir() / "build" / ("bench-" + hashlib.sha256(JAVA_SOURCE.read_bytes()).hexdigest()[:16])
    if not (classes / "DebeziumSnapshotBench.class").is_file():
        tmp = Path(tempfile.mkdtemp(prefix="build.", dir=run_debezium.cache_dir()))
        try:
            subprocess.run(["javac", "-d", str(tmp), "-cp", os.pathsep.join(jars), str(JAVA_SOURCE)], check=True)
            if not classes.exists():
                tmp.rename(classes)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return os.pathsep.join([str(classes)] + jars)


def debezium_run(port: int, postmaster: int, classpath: str, i: int) -> dict:
    props = {
        "name": "cedar-snapshot-bench", "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1", "database.port": str(port), "database.user": pgtest.USER,
        "database.dbname": DB, "topic.prefix": "dbserver1", "plugin.name": "pgoutput",
        "slot.name": f"dbz_bench_{i}", "publication.name": f"dbz_bench_{i}", "slot.drop.on.stop": "true",
        "publication.autocreate.mode": "filtered", "table.include.list": "public.lineitem",
        "snapshot.mode": "initial", "offset.flush.interval.ms": "60000", "errors.max.retries": "0",
    }
    logs = run_debezium.cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pfile = logs / "bench_snapshot.properties"
    pfile.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    w0, c0 = lsn(port), server_cpu(postmaster)
    with open(logs / "bench_snapshot.log", "w") as log:
        p = subprocess.Popen(["java", "-XX:+UseParallelGC", f"-Dlog4j2.configurationFile={run_debezium.LOG4J_CONFIG}",
                              "-Dcedar.log.level=WARN", "-cp", classpath, "DebeziumSnapshotBench", str(pfile)],
                             stdout=subprocess.PIPE, stderr=log, text=True)
        jcpu = 0.0
        while p.poll() is None:
            try:
                jcpu = cpu_of(p.pid)
            except OSError:
                pass
            time.sleep(0.05)
    c1, w1 = server_cpu(postmaster), lsn(port)
    out = p.stdout.read()
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if p.returncode or not line:
        sys.exit(f"Debezium failed (exit {p.returncode}); see {logs / 'bench_snapshot.log'}")
    _, rows, nbytes, first_last, _start_last = line.split()
    q(port, f"DROP PUBLICATION IF EXISTS dbz_bench_{i}")
    return {"wall": float(first_last), "rows": int(rows), "bytes": int(nbytes), "backend": None,
            "server": c1 - c0, "client": jcpu, "wal": w1 - w0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cluster-dir", type=Path, required=True, help="the cluster's data directory")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--debezium-runs", type=int, default=1)
    args = ap.parse_args()
    port = args.port
    postmaster = int((args.cluster_dir / "postmaster.pid").read_text().split()[0])
    q(port, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")
    q(port, f"CREATE DATABASE {DB}", "postgres")
    t0 = time.monotonic()
    pgtest.psql(port, "-q", "-c", "SET client_min_messages = warning", "-f",
                str(HERE.parent / "demo" / "lineitem_schema.sql"), db=DB)
    q(port, "CREATE EXTENSION cedar_cdc")
    q(port, f"""INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, discount, tax_rate,
                                      transaction_date, status, notes)
                SELECT g, 1000 + g % 100, 2000 + g % 101, (g % 20) + 0.25, 10 + (g % 190) + 0.1234, (g % 10) + 0.5,
                       5 + (g % 10) + 0.25, DATE '2024-10-15' + (g % 30), (ARRAY['active','pending','void'])[1 + g % 3],
                       'Random note ' || (g % 100)
                FROM generate_series(1, {args.rows}) g""")
    # Hint bits set and the visibility map full, so no reader writes or checks them.
    q(port, "VACUUM (FREEZE, ANALYZE) lineitem")
    q(port, "CHECKPOINT")
    size = q(port, "SELECT pg_size_pretty(pg_table_size('lineitem'))")
    print(f"lineitem: {args.rows:,} rows, {size}, loaded in {time.monotonic() - t0:.1f} s; "
          f"best of {args.runs} interleaved runs (Debezium: {args.debezium_runs})\n", flush=True)
    results: dict[str, list[dict]] = {label: [] for label, _, _ in CEDAR}
    results[COPY] = []
    classpath = build_bench() if args.debezium_runs else None
    dbz = f"Debezium 3.6.3, snapshot.mode=initial, JsonConverter schemas on (key and value)"
    results[dbz] = []
    for i in range(max(args.runs, args.debezium_runs)):
        if i < args.runs:
            results[COPY].append(copy_run(port, postmaster))
            for label, opts, sink in CEDAR:
                results[label].append(cedar_run(port, postmaster, opts, sink))
        if i < args.debezium_runs:
            results[dbz].append(debezium_run(port, postmaster, classpath, i))
    counted = {tuple(opts): r for label, opts, sink in CEDAR if sink == "server" for r in results[label][:1]}
    copy_wall = min(r["wall"] for r in results[COPY])
    print("| reader | seconds | rows/s | vs COPY | output bytes | backend CPU s | server CPU s | client CPU s "
          "| rows per CPU s | WAL bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in results.items():
        if not runs:
            continue
        best = min(runs, key=lambda r: r["wall"])
        opts = next((tuple(o) for lab, o, _ in CEDAR if lab == label), None)
        nbytes = best["bytes"] if best["bytes"] is not None else (counted.get(opts) or {}).get("bytes")
        rows = best["rows"] or args.rows
        if rows != args.rows:
            sys.exit(f"{label}: {rows} records, expected {args.rows}")
        fmt = lambda x: "–" if x is None else f"{x:.2f}"  # noqa: E731
        print(f"| {label} | {best['wall']:.2f} | {args.rows / best['wall']:,.0f} | {copy_wall / best['wall']:.2f} "
              f"| {'–' if nbytes is None else f'{nbytes:,}'} | {fmt(best['backend'])} | {fmt(best['server'])} "
              f"| {fmt(best['client'])} | {args.rows / (best['server'] + best['client']):,.0f} "
              f"| {best['wal']:,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
