#!/usr/bin/env python3
"""Side-by-side decoding benchmark: the same WAL through every output plugin, in one run.

For each workload the WAL is written once (with one slot per plugin created before it), then
the same WAL range is decoded several times through each plugin configuration, through the SQL
interface (`pg_logical_slot_peek_(binary_)changes`, which does not consume) and through the
streaming protocol (`pg_recvlogical --endpos` to /dev/null on a fresh slot copy). The runs are
interleaved (every configuration once, then again), so a noisy neighbour on a shared machine
slows all plugins alike, and the best of the runs is reported: the wall time, changes per
second, output bytes, the decoding process's CPU time and peak memory (VmHWM of a fresh
backend), and each plugin's ratio to cedar_cdc.

Usage: bench.py --port PORT [--workloads lineitem,wide,toast,full] [--runs 5] [--no-streaming]
                [--configs SUBSTRING,...]   (only the configurations whose label contains one;
                                             the reference "cedar_cdc, schemas off" always runs)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
import pgtest  # noqa: E402

# (label, slot, plugin, binary, options); the slot is created once per plugin.
CONFIGS = [
    ("decode floor (pgoutput, empty publication)", "pgo", "pgoutput", True,
     ["proto_version", "1", "publication_names", "pub_none"]),
    ("pgoutput proto 1 (text)", "pgo", "pgoutput", True,
     ["proto_version", "1", "publication_names", "pub_all"]),
    ("pgoutput proto 1 (binary)", "pgo", "pgoutput", True,
     ["proto_version", "1", "publication_names", "pub_all", "binary", "true"]),
    ("test_decoding", "td", "test_decoding", False, []),
    ("wal2json format-version 2", "w2j", "wal2json", False, ["format-version", "2"]),
    ("decoderbufs", "dbufs", "decoderbufs", True, []),
    ("cedar_cdc, schemas off", "cedar", "cedar_cdc", False, ["schemas.enable", "false"]),
    # No DDL in the workloads: what the schema-change check costs when nothing changes.
    ("cedar_cdc, schemas off, include.schema.changes", "cedar", "cedar_cdc", False,
     ["schemas.enable", "false", "include.schema.changes", "true"]),
    ("cedar_cdc, schemas on", "cedar", "cedar_cdc", False, []),
    ("cedar_cdc, record format", "cedar", "cedar_cdc", False, ["output.format", "record"]),
    # What cedar-cdc-relay reads: binary frames of topic, key and value (no second escaping).
    ("cedar_cdc, framed (relay), schemas off", "cedar", "cedar_cdc", True,
     ["output.format", "framed", "schemas.enable", "false"]),
    ("cedar_cdc, framed (relay), schemas on", "cedar", "cedar_cdc", True, ["output.format", "framed"]),
    ("cedar_cdc, filter excluding ~95%", "cedar", "cedar_cdc", False,
     ["schemas.enable", "false", "table.include.list", "public\\.side"]),
]
REFERENCE = "cedar_cdc, schemas off"
SLOTS = {"pgo": "pgoutput", "td": "test_decoding", "w2j": "wal2json", "dbufs": "decoderbufs",
         "cedar": "cedar_cdc"}


psql = pgtest.query


def proc_stats(pid: int) -> tuple[float, int]:
    """CPU seconds (user+system) and peak RSS (kB) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return cpu, hwm


def sql_run(port: int, db: str, slot: str, binary: bool, opts: list[str], upto: str) -> dict:
    """One decode through the SQL interface, in a fresh backend (for a clean VmHWM)."""
    fn = "pg_logical_slot_peek_binary_changes" if binary else "pg_logical_slot_peek_changes"
    arr = ",".join("'" + o.replace("'", "''") + "'" for o in opts)
    variadic = f", VARIADIC ARRAY[{arr}]::text[]" if opts else ""
    script = (
        "SELECT pg_backend_pid();\n"
        "SELECT 1;\n"  # let the harness read the pid before decoding
        # Keep the function's result tuplestore in memory for every plugin alike.
        "SET work_mem = '4GB';\n"
        f"SELECT clock_timestamp();\n"
        f"SELECT count(*), coalesce(sum(octet_length(data)), 0) FROM {fn}('{slot}', '{upto}', NULL{variadic});\n"
        "SELECT clock_timestamp();\n"
    )
    p = subprocess.Popen(pgtest.psql_argv(port, db) + ["-Atq", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write("SELECT pg_backend_pid();\n")
    p.stdin.flush()
    pid = int(p.stdout.readline())
    cpu0, _ = proc_stats(pid)
    t0 = time.monotonic()
    p.stdin.write(script.split("\n", 2)[2] + "SELECT pg_backend_pid();\n")
    p.stdin.flush()
    p.stdout.readline()  # clock before
    rows, nbytes = p.stdout.readline().strip().split("|")
    t1 = time.monotonic()
    p.stdout.readline()  # clock after
    cpu1, hwm = proc_stats(pid)
    p.stdout.readline()
    p.stdin.close()
    if p.wait():
        sys.exit(f"decoding through {slot} failed: {p.stderr.read()}")
    return {"wall": t1 - t0, "rows": int(rows), "bytes": int(nbytes), "cpu": cpu1 - cpu0, "hwm_kb": hwm}


def stream_run(port: int, db: str, slot: str, opts: list[str], upto: str) -> dict:
    """One decode through the streaming protocol: pg_recvlogical on a copy of the slot."""
    copy = f"{slot}_copy"
    psql(port, f"SELECT pg_copy_logical_replication_slot('{slot}', '{copy}', false)", db)
    cmd = pgtest.recvlogical_argv(port, db) + ["-S", copy, "--start", "--endpos", upto, "-f", "/dev/null",
                                               "--no-loop"]
    for i in range(0, len(opts), 2):
        cmd += ["-o", f"{opts[i]}={opts[i + 1]}"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    pid, cpu, hwm = None, 0.0, 0
    while p.poll() is None:
        if pid is None:
            out = psql(port, f"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{copy}'", db)
            pid = int(out) if out else None
        if pid:
            try:
                cpu, hwm = proc_stats(pid)
            except FileNotFoundError:
                pass
        time.sleep(0.02)
    wall = time.monotonic() - t0
    if p.returncode:
        sys.exit(f"pg_recvlogical on {copy} failed: {p.stderr.read()}")
    psql(port, f"SELECT pg_drop_replication_slot('{copy}')", db)
    return {"wall": wall, "rows": None, "bytes": None, "cpu": cpu, "hwm_kb": hwm}


def psql_file(port: int, path: Path, db: str) -> None:
    """Runs a SQL file (which may `\\ir` others, such as the shared lineitem schema)."""
    pgtest.psql(port, "-q", "-c", "SET client_min_messages = warning", "-f", str(path), db=db)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workloads", default="lineitem,wide,toast,full")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-streaming", action="store_true")
    ap.add_argument("--configs", default="")
    args = ap.parse_args()
    if args.configs:
        wanted = args.configs.split(",")
        CONFIGS[:] = [c for c in CONFIGS if c[0] == REFERENCE or any(w in c[0] for w in wanted)]
    for w in args.workloads.split(","):
        db = f"bench_{w}"
        # Slot names are cluster-wide: drop the previous workload's (and this database's) first.
        names = ", ".join(f"'{s}'" for s in SLOTS)
        for s in psql(args.port, "SELECT slot_name FROM pg_replication_slots "
                                 f"WHERE database = '{db}' OR slot_name IN ({names})").split():
            psql(args.port, f"SELECT pg_drop_replication_slot('{s}')")
        psql(args.port, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        psql(args.port, f"CREATE DATABASE {db}")
        # Every workload also writes 5% of its changes to the table `side`, so a filter keeping
        # only `side` excludes ~95% of the changes.
        psql_file(args.port, HERE / f"{w}_setup.sql", db)
        psql(args.port, "CREATE TABLE side (id bigint PRIMARY KEY, v text);"
             "CREATE PUBLICATION pub_none FOR TABLE side WITH (publish = 'truncate');"
             "CREATE PUBLICATION pub_all FOR ALL TABLES;", db)
        for slot, plugin in SLOTS.items():
            psql(args.port, f"SELECT pg_create_logical_replication_slot('{slot}', '{plugin}')", db)
        t0 = time.monotonic()
        psql_file(args.port, HERE / f"{w}_workload.sql", db)
        upto = psql(args.port, "SELECT pg_current_wal_lsn()", db)
        psql(args.port, "CHECKPOINT", db)
        changes = int(psql(args.port, "SELECT count(*) FROM pg_logical_slot_peek_changes('td', "
                                      f"'{upto}', NULL) WHERE data NOT LIKE 'BEGIN%' AND data NOT LIKE 'COMMIT%'", db))
        side = int(psql(args.port, "SELECT count(*) FROM pg_logical_slot_peek_changes('td', "
                                   f"'{upto}', NULL) WHERE data LIKE 'table public.side:%'", db))
        size = psql(args.port, f"SELECT pg_size_pretty('{upto}'::pg_lsn - (SELECT confirmed_flush_lsn FROM "
                               "pg_replication_slots WHERE slot_name = 'td'))", db)
        print(f"\n### workload {w}: {changes:,} row changes ({side / max(changes, 1):.1%} in table side), "
              f"WAL {size}, written in {time.monotonic() - t0:.1f} s; best of {args.runs} interleaved runs\n")
        results = {label: ([], []) for label, *_ in CONFIGS}
        for _ in range(args.runs):
            for label, slot, plugin, binary, opts in CONFIGS:
                results[label][0].append(sql_run(args.port, db, slot, binary, opts, upto))
            if not args.no_streaming:
                for label, slot, plugin, binary, opts in CONFIGS:
                    results[label][1].append(stream_run(args.port, db, slot, opts, upto))
        ref_sql = min(r["wall"] for r in results[REFERENCE][0])
        ref_stream = (min(r["wall"] for r in results[REFERENCE][1])
                      if not args.no_streaming else None)
        print("| plugin | SQL: changes/s | vs cedar_cdc | output bytes | CPU s | peak RSS MB "
              "| streaming: changes/s | vs cedar_cdc | walsender CPU s | peak RSS MB |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, (sr, st) in results.items():
            wall = min(r["wall"] for r in sr)
            cpu = min(r["cpu"] for r in sr)
            hwm = max(r["hwm_kb"] for r in sr) / 1024
            line = (f"| {label} | {changes / wall:,.0f} | {ref_sql / wall:.2f} | {sr[0]['bytes']:,} "
                    f"| {cpu:.2f} | {hwm:.0f} |")
            if st:
                swall = min(r["wall"] for r in st)
                scpu = min(r["cpu"] for r in st)
                shwm = max(r["hwm_kb"] for r in st) / 1024
                line += f" {changes / swall:,.0f} | {ref_stream / swall:.2f} | {scpu:.2f} | {shwm:.0f} |"
            else:
                line += " – | – | – | – |"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except pgtest.PsqlError as e:
        sys.exit(str(e))
