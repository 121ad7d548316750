#!/usr/bin/env python3
"""Memory of the decoding process: a huge transaction and a long stream of small ones.

For each plugin (cedar_cdc with its default options, and pgoutput as PostgreSQL's own
baseline) a slot is created before each phase of the workload. The workload writes one transaction of
--rows rows, then --small-txns transactions of 10 rows each. Each slot is then streamed with
pg_recvlogical up to the end of that WAL, and the walsender's private memory (RssAnon in
/proc/<pid>/status, which excludes shared buffers) is sampled every 50 ms. Reported per phase:
the walsender's private memory at the start of streaming, its peak, and the wall time.

PostgreSQL's reorder buffer keeps at most logical_decoding_work_mem of changes in memory and
spills the rest to disk, so a plugin that resets its per-change memory stays bounded by that
plus a constant. With --check the run fails when cedar_cdc's peak exceeds pgoutput's by more
than --margin-mb.

Usage: memory.py --port PORT [--rows 5000000] [--small-txns 500000] [--check] [--margin-mb 32]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
import pgtest  # noqa: E402

PLUGINS = [("cedar_cdc", "mem_cedar", []),
           ("pgoutput", "mem_pgoutput", ["-o", "proto_version=1", "-o", "publication_names=mem_pub"])]


psql = pgtest.query


def rss_anon_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def stream(port: int, slot: str, opts: list[str], start: str, end: str) -> dict:
    """Streams slot from its position to `end`; the walsender's memory while it decodes."""
    app = f"mem_{slot}"
    env = dict(os.environ, PGAPPNAME=app)
    t0 = time.monotonic()
    proc = subprocess.Popen(pgtest.recvlogical_argv(port) + ["-S", slot, "--start", "-I", start, "-E", end,
                                                             "-f", "/dev/null", *opts],
                            env=env, stderr=subprocess.PIPE, text=True)
    pid = None
    while pid is None and proc.poll() is None:
        out = psql(port, f"SELECT pid FROM pg_stat_replication WHERE application_name = '{app}'")
        pid = int(out) if out else None
        if pid is None:
            time.sleep(0.02)
    samples: list[int] = []
    if pid is not None:
        while proc.poll() is None:
            v = rss_anon_kb(pid)
            if v is not None:
                samples.append(v)
            time.sleep(0.05)
    err = proc.stderr.read()
    if proc.wait() != 0:
        sys.exit(f"pg_recvlogical ({slot}) failed: {err}")
    wall = time.monotonic() - t0
    if not samples:
        return {"first": 0, "peak": 0, "wall": wall}
    return {"first": samples[0], "peak": max(samples), "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--small-txns", type=int, default=500_000)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--margin-mb", type=int, default=32)
    a = ap.parse_args()
    port = a.port

    psql(port, """CREATE TABLE IF NOT EXISTS mem_t (id bigint PRIMARY KEY, qty numeric(10,2), price numeric(15,4),
                  ts timestamptz, day date, status varchar(50), note text)""")
    psql(port, "CREATE PUBLICATION mem_pub FOR TABLE mem_t")
    work_mem = psql(port, "SHOW logical_decoding_work_mem")

    results = {}
    phases = [
        (f"one transaction of {a.rows:,} rows",
         f"""INSERT INTO mem_t SELECT g, g % 100, 9.99 + g % 1000, '2024-10-15 09:30:00+00'::timestamptz + g * interval '1 s',
                    '2024-10-15', 'active', 'row ' || g FROM generate_series(1, {a.rows}) g"""),
        (f"{a.small_txns:,} transactions of 10 rows",
         f"""DO $$ BEGIN FOR i IN 0..{a.small_txns - 1} LOOP
                 UPDATE mem_t SET status = 'u' || i WHERE id BETWEEN i % {max(a.rows // 10, 1)} * 10 + 1
                                                          AND i % {max(a.rows // 10, 1)} * 10 + 10;
                 COMMIT; END LOOP; END $$"""),
    ]
    for name, sql in phases:
        # Fresh slots per phase, so that no phase decodes the WAL of an earlier one.
        for plugin, slot, _ in PLUGINS:
            psql(port, f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                       f" WHERE slot_name = '{slot}'")
            psql(port, f"SELECT pg_create_logical_replication_slot('{slot}', '{plugin}')")
        start = psql(port, "SELECT pg_current_wal_lsn()")
        t0 = time.monotonic()
        psql(port, sql)
        gen = time.monotonic() - t0
        end = psql(port, "SELECT pg_current_wal_lsn()")
        wal = int(psql(port, f"SELECT '{end}'::pg_lsn - '{start}'::pg_lsn"))
        print(f"\n{name}: {wal / 2**20:,.0f} MiB of WAL, written in {gen:.1f} s; "
              f"logical_decoding_work_mem = {work_mem}", flush=True)
        print(f"  {'plugin':<12} {'RssAnon at start':>17} {'peak RssAnon':>13} {'growth':>9} {'wall':>8}")
        for plugin, slot, opts in PLUGINS:
            r = stream(port, slot, opts, start, end)
            results[(name, plugin)] = r
            print(f"  {plugin:<12} {r['first'] / 1024:>14.1f} MB {r['peak'] / 1024:>10.1f} MB "
                  f"{(r['peak'] - r['first']) / 1024:>6.1f} MB {r['wall']:>7.1f}s", flush=True)

    if a.check:
        bad = [(n, results[(n, "cedar_cdc")]["peak"], results[(n, "pgoutput")]["peak"])
               for n, _ in phases
               if results[(n, "cedar_cdc")]["peak"] > results[(n, "pgoutput")]["peak"] + a.margin_mb * 1024]
        for n, c, p in bad:
            print(f"FAIL {n}: cedar_cdc peak {c / 1024:.1f} MB > pgoutput peak {p / 1024:.1f} MB "
                  f"+ {a.margin_mb} MB")
        if bad:
            sys.exit(1)
        print(f"\nok: cedar_cdc's walsender stays within {a.margin_mb} MB of pgoutput's in every phase")


if __name__ == "__main__":
    try:
        main()
    except pgtest.PsqlError as e:
        sys.exit(str(e))
