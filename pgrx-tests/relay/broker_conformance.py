#!/usr/bin/env python3
"""The conformance workloads through the broker: for every case of ../conformance/cases, the
records consumed from the broker must be the plugin's own `output.format=record` output for the
same WAL, byte for byte (masking only what the conformance suite masks), each keyed record on
its murmur2 partition, none lost, none doubled; and Kafka's Java consumer must decode every
record with JsonConverter.toConnectData, as a Connect sink does.

For each case: database relay_<case>, its setup.sql, two slots created one after the other
(relay_ref for the reference, relay_case for the relay), the workload, then the relay streams
relay_case into a fresh broker until the slot's confirmed position reaches the end of the
workload (the relay confirms only what the broker acknowledged), and stops with SIGTERM.
Cases with snapshot.mode=initial run with the relay's `--snapshot initial`: the relay creates
relay_case with its snapshot; once the snapshot is complete, `snapshot_records` on relay_case
(nothing is written in between) is the reference's snapshot part, relay_ref is created, then
the workload: the snapshot's records and the stream's must match the plugin's, the snapshot
transaction's own facts masked as the conformance suite masks them. With --via recvlogical
they are skipped.

Each case has its own broker, on --broker-port + the case's index (so it needs as many ports as
cases, 40 at most).

Usage: broker_conformance.py --port PG_PORT --broker-port PORT [--via relay|recvlogical]
       [--relay-bin PATH] [CASE ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "conformance"))
sys.path.insert(0, str(HERE.parent / "lib"))

import checker  # noqa: E402
import pgtest  # noqa: E402
import pipeline  # noqa: E402
import relay_java  # noqa: E402
from conformance import cedar_options, initial_snapshot  # noqa: E402
from run_debezium import cache_dir  # noqa: E402

CASES = HERE.parent / "conformance" / "cases"
PARTITIONS = 3


def run_case(args, case: Path, out: Path) -> list[str]:
    db = "relay_" + case.name.lower()
    port = args.port
    pgtest.query(port, f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                       f"WHERE slot_name IN ('relay_ref', 'relay_case', 'cedar_pending_relay_case') AND NOT active")
    pgtest.psql(port, "-q", "-c", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}")
    pgtest.psql(port, "-q", "-f", str(case / "setup.sql"), db=db)
    options = cedar_options(case)
    snapshot = initial_snapshot(case)
    # Each case's broker stays up until the Java consumer has read them all (one JVM).
    broker_port = args.broker_port + len(args.sinks)
    pipeline.broker_sh("broker_start", broker_port)
    brokers = f"127.0.0.1:{broker_port}"
    log = out / f"{case.name}.{args.via}.log"
    log.write_text("")
    snap_ref: list[dict] = []
    relay = None
    if snapshot:
        pgtest.query(port, "CREATE EXTENSION IF NOT EXISTS cedar_cdc", db=db)
        relay = pipeline.Relay(args.relay_bin, port, db, "relay_case", brokers, options, log,
                               partitions=PARTITIONS, extra=["--snapshot", "initial"]).start()
        deadline = time.monotonic() + 60
        while pgtest.query(port, "SELECT count(*) FILTER (WHERE slot_name = 'relay_case') = 1 AND "
                                 "count(*) FILTER (WHERE slot_name = 'cedar_pending_relay_case') = 0 "
                                 "FROM pg_replication_slots") != "t":
            if not relay.alive() or time.monotonic() > deadline:
                relay.kill()
                pipeline.broker_sh("broker_stop", broker_port)
                return [f"the relay's snapshot did not complete:\n{relay.tail()}"]
            time.sleep(0.1)
        opts = [f"{k}={v}" for k, v in zip(options[::2], options[1::2])] + ["output.format=record"]
        lines = pgtest.psql(port, "-q", "-A", "-t", "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ", "-c",
                            f"SELECT cedar_cdc.snapshot_records('relay_case', {pipeline.sql_array(opts)})",
                            "-c", "COMMIT", db=db).stdout.splitlines()
        snap_ref = [json.loads(x) for x in lines if x.startswith("{")]
        pgtest.query(port, "SELECT pg_create_logical_replication_slot('relay_ref', 'cedar_cdc')", db=db)
    else:
        for slot in ("relay_ref", "relay_case"):
            pgtest.query(port, f"SELECT pg_create_logical_replication_slot('{slot}', 'cedar_cdc')", db=db)
    pgtest.psql(port, "-q", "-f", str(case / "workload.sql"), db=db)
    # A WAL record after the workload so that its last (non-transactional) message is decodable.
    end = pgtest.query(port, "SELECT pg_current_wal_lsn() FROM (SELECT txid_current()) t", db=db)
    ref = snap_ref + pipeline.reference(port, db, "relay_ref", options)
    try:
        if args.via == "relay":
            relay = relay or pipeline.Relay(args.relay_bin, port, db, "relay_case", brokers, options, log,
                                            partitions=PARTITIONS).start()
            try:
                pipeline.wait_confirmed(port, "relay_case", end, alive=relay.alive)
            except RuntimeError as e:
                relay.kill()
                return [f"{e}\n{relay.tail()}"]
            rc = relay.stop()
            if rc != 0:
                return [f"the relay exited {rc} on SIGTERM:\n{relay.tail()}"]
        else:
            pipeline.RecvlogicalProducer(port, db, "relay_case", brokers, options, log,
                                         partitions=PARTITIONS).run_to(end)
        consumed, parts = checker.read_topics(brokers, expected=len(ref), idle=1.0, timeout=60)
        report = checker.check(consumed, parts, ref)
        problems = list(report.problems)
        if report.duplicates:
            problems.append(f"{report.duplicates} duplicates in a run without failures")
        args.sinks.append((case.name, brokers, len(consumed)))
        if not ref:
            problems.append("the plugin emitted no records: the case tests nothing")
        args.totals[0] += len(ref)
        args.totals[1] += report.tombstones
        args.totals[2] += len(snap_ref)
        return problems
    finally:
        pgtest.query(port, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                           "WHERE slot_name IN ('relay_ref', 'relay_case', 'cedar_pending_relay_case') AND NOT active")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--broker-port", type=int, default=9092)
    ap.add_argument("--via", choices=("relay", "recvlogical"), default="relay")
    ap.add_argument("--relay-bin", default="cedar-cdc-relay")
    args = ap.parse_args(argv)
    args.totals = [0, 0, 0]
    args.sinks = []
    cases = [CASES / c for c in args.cases] or sorted(p for p in CASES.iterdir() if (p / "workload.sql").is_file())
    out = cache_dir() / "relay"
    out.mkdir(parents=True, exist_ok=True)
    failed = skipped = 0
    for case in cases:
        if initial_snapshot(case) and args.via != "relay":
            skipped += 1
            continue
        t0 = time.monotonic()
        try:
            problems = run_case(args, case, out)
        except (RuntimeError, pgtest.PsqlError) as e:
            problems = [f"error: {e}"]
        print(f"{case.name:32} {'ok' if not problems else 'FAILED':6} {time.monotonic() - t0:5.1f} s", flush=True)
        for p in problems[:20]:
            print("    " + p.replace("\n", "\n    "))
        failed += bool(problems)
    try:
        if args.sinks:
            t0 = time.monotonic()
            sink = relay_java.run("ConnectSinkCheck", "1000", "60000", *(f"{b}={n}" for _, b, n in args.sinks))
            lines = sink.stdout.splitlines()
            bad = [line for line in lines if line.startswith("FAIL")]
            names = {b: c for c, b, _ in args.sinks}
            for line in bad[:30]:
                print("    " + names.get(line.split()[1], "") + ": " + line)
            summary = [line for line in lines if not line.startswith("FAIL")]
            if sink.returncode != 0 or len(summary) != len(args.sinks):
                print(f"Java consumer (JsonConverter.toConnectData) FAILED:\n{sink.stdout[-2000:]}{sink.stderr[-2000:]}")
                failed += 1
            else:
                total = sum(int(line.split()[2]) for line in summary)
                print(f"Java consumer: {total} records of {len(args.sinks)} brokers decoded with "
                      f"JsonConverter.toConnectData ({time.monotonic() - t0:.1f} s)")
    finally:
        for i in range(len(args.sinks) + 1):
            pipeline.broker_sh("broker_stop", args.broker_port + i)
    ran = len(cases) - skipped
    print(f"{ran - failed} of {ran} cases identical through the broker via {args.via} "
          f"({args.totals[0]} records, {args.totals[1]} tombstones, {args.totals[2]} of them snapshot "
          f"records through --snapshot initial; {skipped} snapshot cases skipped)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
