#!/usr/bin/env python3
"""Into Kafka, side by side in one run (issue 12, item 8): the lineitem workload's WAL through
cedar-cdc-relay into tansu (its defaults, without compression, and linger/batch size tuned),
through the relay into a null sink, and through Debezium 3.6.3 (embedded engine, pgoutput, with
a kafka-clients producer in its handler: Debezium Server's shape) into the same broker, with
the producer's defaults and with lz4 as the relay has it.

The WAL is written once, after one slot per run was created (pgoutput and a publication for
Debezium, cedar_cdc for the relay), so every run reads the same changes; each run gets a fresh
broker (tansu's memory engine grows and slows with its topics). A run's time goes from the
process start to the last acknowledgement: for the relay, until its slot's confirmed position
(which passes only acknowledged transactions, reported every second) reaches the end of the
workload; for Debezium, until its handler has had every record acknowledged. Reported: change
events per second, the relay's or JVM's CPU seconds and peak RSS, the walsender's CPU and the
broker's CPU.

Usage: relay_bench.py --port PG_PORT --broker-port PORT --relay-bin PATH [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
sys.path.insert(0, str(HERE.parent / "relay"))

import pgtest  # noqa: E402
import pipeline  # noqa: E402
import relay_java  # noqa: E402

DB = "relaybench"
TOPICS = ["dbserver1.public.lineitem", "dbserver1.public.side"]
PARTITIONS = 3


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v) - idle, sum(v)


def busy_since(start: tuple[int, int]) -> float:
    """The share of the machine's CPU time (all cores) that was busy since start."""
    b, t = machine_cpu()
    return (b - start[0]) / max(1, t - start[1])


class Poller:
    """One psql session that answers the slot's confirmed position on demand: polling with a
    new psql each time would spend the CPU the runs are measured on."""

    def __init__(self, port: int, slot: str):
        self.slot = slot
        self.proc = subprocess.Popen(pgtest.psql_argv(port, DB) + ["-q", "-A", "-t"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def confirmed(self) -> str:
        self.proc.stdin.write("SELECT coalesce(confirmed_flush_lsn::text, '') FROM pg_replication_slots "
                              f"WHERE slot_name = '{self.slot}';\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def walsender(slot: str) -> int:
    for _ in range(100):
        pid = pgtest.query(ARGS.port, f"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{slot}'")
        if pid:
            return int(pid)
        time.sleep(0.05)
    raise RuntimeError(f"no walsender on slot {slot}")


def relay_run(label: str, slot: str, end: str, changes: int, extra: list[str]) -> dict:
    pipeline.broker_sh("broker_start", ARGS.broker_port)
    broker = int(pipeline.broker_sh("broker_pid", ARGS.broker_port))
    log = Path(tempfile.gettempdir()) / f"relay-bench-{slot}.log"
    log.write_text("")
    t0, m0 = time.monotonic(), machine_cpu()
    # The position is reported every 0.1 s: the run ends within 0.1 s of the last acknowledgement.
    relay = pipeline.Relay(ARGS.relay_bin, ARGS.port, DB, slot, f"127.0.0.1:{ARGS.broker_port}",
                           ["topic.prefix", "dbserver1"], log, partitions=PARTITIONS,
                           extra=["--status-interval", "0.1", *extra]).start()
    poller = Poller(ARGS.port, slot)
    try:
        ws = walsender(slot)
        ws_cpu = 0.0
        deadline = time.monotonic() + ARGS.timeout
        while True:
            ws_cpu = proc_cpu(ws)  # the walsender ends with the relay: read it while it lives
            c = poller.confirmed()
            if c and pipeline.lsn_int(c) >= pipeline.lsn_int(end):
                break
            if not relay.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{label}: the relay stopped or timed out at {c}:\n{relay.tail()}")
            time.sleep(0.05)
        wall, busy = time.monotonic() - t0, busy_since(m0)
        cpu, rss = proc_cpu(relay.proc.pid), proc_hwm_mb(relay.proc.pid)
        broker_cpu = proc_cpu(broker)
    finally:
        poller.close()
        relay.stop()
        pipeline.broker_sh("broker_stop", ARGS.broker_port)
    return {"label": label, "wall": wall, "rate": changes / wall, "cpu": cpu, "rss": rss,
            "walsender": ws_cpu, "broker": broker_cpu, "busy": busy}


def debezium_run(label: str, slot: str, end: str, changes: int, records: int, producer: list[str]) -> dict:
    pipeline.broker_sh("broker_start", ARGS.broker_port)
    broker = int(pipeline.broker_sh("broker_pid", ARGS.broker_port))
    props = Path(tempfile.mkstemp(prefix="dbz-bench-", suffix=".properties")[1])
    offsets = Path(tempfile.mkstemp(prefix="dbz-bench-offsets-")[1])
    props.write_text("\n".join([
        "name=relay-bench", "connector.class=io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname=127.0.0.1", f"database.port={ARGS.port}", "database.user=postgres",
        f"database.dbname={DB}", "topic.prefix=dbserver1", "plugin.name=pgoutput",
        f"slot.name={slot}", "publication.name=dbz_bench", "publication.autocreate.mode=disabled",
        "snapshot.mode=no_data", "offset.storage=org.apache.kafka.connect.storage.FileOffsetBackingStore",
        f"offset.storage.file.filename={offsets}", "offset.flush.interval.ms=1000",
        "max.batch.size=2048", "max.queue.size=8192"]) + "\n")
    t0, m0 = time.monotonic(), machine_cpu()
    java = subprocess.Popen(
        ["java", "-Xmx2g", *[f"-Dproducer.{p}" for p in producer], "-cp", relay_java.classpath(), "DebeziumToKafka", str(props),
         f"127.0.0.1:{ARGS.broker_port}", str(records), str(PARTITIONS), *TOPICS],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ws = walsender(slot)
        ws_cpu = cpu = rss = 0.0
        line = ""
        while java.poll() is None:
            ws_cpu = max(ws_cpu, proc_cpu(ws)) if os.path.exists(f"/proc/{ws}") else ws_cpu
            try:  # an exited (zombie) JVM has no VmHWM: keep the last reading
                cpu, rss = max(cpu, proc_cpu(java.pid)), max(rss, proc_hwm_mb(java.pid))
            except OSError:
                pass
            time.sleep(0.2)
            if time.monotonic() - t0 > ARGS.timeout:
                java.kill()
                raise RuntimeError("Debezium timed out")
        busy = busy_since(m0)
        out = java.stdout.read()
        line = next((x for x in out.splitlines() if x.startswith("records ")), "")
        if java.returncode != 0 or not line:
            raise RuntimeError(f"DebeziumToKafka failed ({java.returncode}): {out[-2000:]}")
        f = line.split()
        wall = int(f[5]) / 1000
        # The engine takes seconds to start (the JVM, the connector, the slot): also the rate
        # from its first record on.
        streaming = (int(f[5]) - int(f[3])) / 1000
        broker_cpu = proc_cpu(broker)
    finally:
        if java.poll() is None:
            java.kill()
        pipeline.broker_sh("broker_stop", ARGS.broker_port)
    return {"label": label, "wall": wall,
            "rate": changes / wall, "rate_streaming": changes / streaming if streaming > 0 else 0.0, "cpu": cpu, "rss": rss, "walsender": ws_cpu, "broker": broker_cpu, "busy": busy}


def main(argv=None) -> int:
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--broker-port", type=int, default=9092)
    ap.add_argument("--relay-bin", required=True)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--also", action="append", default=[], metavar="LABEL=ARGS",
                    help="one more relay run: its label, '=', its extra arguments (space-separated)")
    ap.add_argument("--no-debezium", action="store_true", help="only the relay runs")
    ARGS = ap.parse_args(argv)
    port = ARGS.port
    pgtest.psql(port, "-q", "-c", f"DROP DATABASE IF EXISTS {DB}", "-c", f"CREATE DATABASE {DB}")
    pgtest.psql(port, "-q", "-f", str(HERE / "lineitem_setup.sql"), db=DB)
    pgtest.psql(port, "-q", "-c", "CREATE TABLE side (id int PRIMARY KEY, note text)",
                "-c", "CREATE PUBLICATION dbz_bench FOR ALL TABLES", db=DB)
    help_text = subprocess.run([ARGS.relay_bin, "--help"], capture_output=True, text=True).stdout
    null_flag = "--null-sink" if "--null-sink" in help_text else None
    runs = [("relay into tansu (defaults: lz4, 16 MiB in flight)", "rb_default", []),
            ("relay into tansu, compression.type=none", "rb_none", ["-X", "compression.type=none"]),
            ("relay into tansu, linger.ms=50 batch.size=1048576", "rb_tuned",
             ["-X", "linger.ms=50", "-X", "batch.size=1048576"])]
    if null_flag:
        runs.append(("relay into a null sink", "rb_null", [null_flag]))
    for i, spec in enumerate(ARGS.also):
        label, _, extra = spec.partition("=")
        runs.append((label, f"rb_also{i}", extra.split()))
    for _, slot, _ in runs:
        pgtest.query(port, f"SELECT pg_create_logical_replication_slot('{slot}', 'cedar_cdc')", db=DB)
    # rb_dbz also counts the changes (before any run).
    for slot in ("rb_dbz",) + (() if ARGS.no_debezium else ("rb_dbz_lz4",)):
        pgtest.query(port, f"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')", db=DB)
    t0 = time.monotonic()
    pgtest.psql(port, "-q", "-f", str(HERE / "lineitem_workload.sql"), db=DB)
    end = pgtest.query(port, "SELECT pg_current_wal_lsn() FROM (SELECT txid_current()) t", db=DB)
    changes, deletes = map(int, pgtest.query(
        port, "SELECT count(*), count(*) FILTER (WHERE get_byte(data, 0) = 68) "
              "FROM pg_logical_slot_peek_binary_changes('rb_dbz', NULL, NULL, 'proto_version', '1', "
              "'publication_names', 'dbz_bench') WHERE get_byte(data, 0) IN (73, 85, 68)", db=DB).split("|"))
    print(f"lineitem workload: {changes} changes written in {time.monotonic() - t0:.1f} s")
    results = [relay_run(label, slot, end, changes, extra) for label, slot, extra in runs]
    if not null_flag:
        print("relay into a null sink: not measured (the relay has no null-sink flag)")
    # Debezium follows each delete with a tombstone, as the relay does: records = changes + deletes.
    dbz = None
    if not ARGS.no_debezium:
        dbz = debezium_run("Debezium 3.6.3 (embedded engine + kafka-clients producer)", "rb_dbz", end,
                           changes, changes + deletes, [])
        results.append(dbz)
        results.append(debezium_run("Debezium 3.6.3, producer compression.type=lz4", "rb_dbz_lz4", end,
                                    changes, changes + deletes, ["compression.type=lz4"]))
    dbz = dbz or results[-1]
    print(f"\n| run | events/s | vs Debezium | events/s from the first record | wall s | process CPU s | peak RSS MB | walsender CPU s | broker CPU s | machine busy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        first = f"{r['rate_streaming']:,.0f}" if "rate_streaming" in r else "—"
        print(f"| {r['label']} | {r['rate']:,.0f} | {r['rate'] / dbz['rate']:.1f}x | {first} | {r['wall']:.1f} | "
              f"{r['cpu']:.1f} | {r['rss']:.0f} | {r['walsender']:.1f} | {r['broker']:.1f} | {r['busy']:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
