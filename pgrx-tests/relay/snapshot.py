#!/usr/bin/env python3
"""The relay's initial snapshot (`--snapshot initial`, `initial_only`) against a real broker.

1. **Consistent with the stream, through a stop and a crash.** Tables `items` (int key) and
   `pairs` (two-column key) get --rows rows; a writer then commits small transactions
   (updates, inserts, deletes, key changes) without pause while the relay takes the snapshot:
   - the first relay is stopped by SIGTERM during the snapshot: it must exit 0 and leave its
     slot where it was created, with the marker slot of an incomplete snapshot;
   - the second is killed (SIGKILL) during its new snapshot: the same;
   - the third takes a whole new snapshot, drops the marker and streams from the slot's first
     position; the writer goes on for a while, stops, and the relay stops once its slot
     confirms the end of the WAL;
   - a fourth start finds the slot and must not snapshot again.
   Replaying every topic in partition order (op r, c, u: the row is `after`; d: gone), as a sink
   would, must give exactly the tables' final rows (no row of an interrupted snapshot left), as the plugin renders them (`snapshot_records` at the end),
   and every keyed record must sit on its murmur2 partition.
2. **initial_only**: the snapshot of a table no one writes, then exit 0, no slot left: exactly
   one `r` record per row, the last one marked `"snapshot":"last"`.

Usage: snapshot.py --port PG_PORT --broker-port PORT --relay-bin PATH [--rows N]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "lib"))

import checker  # noqa: E402
import kafka_partition  # noqa: E402
import pgtest  # noqa: E402
import pipeline  # noqa: E402

DB = "relay_snapshot"
SLOT = "relay_snap"
MARKER = "cedar_pending_relay_snap"
PARTITIONS = 3
UNAVAILABLE = "__debezium_unavailable_value"
OPTIONS = ["topic.prefix", "snap"]
SETUP = """
CREATE EXTENSION cedar_cdc;
CREATE TABLE items (id int PRIMARY KEY, v text, n bigint, big text);
CREATE TABLE pairs (a int, b text, note text, PRIMARY KEY (a, b));
INSERT INTO items SELECT g, md5(g::text), g * 7,
       CASE WHEN g % 500 = 0 THEN repeat(md5(g::text), 400) END FROM generate_series(1, {rows}) g;
INSERT INTO pairs SELECT g % 97, 'b' || g, 'note ' || g FROM generate_series(1, {rows} / 4) g;
"""


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


class Writer(threading.Thread):
    """Small transactions on both tables, one after the other, until stopped."""

    def __init__(self, port: int, rows: int, seed: int):
        super().__init__(daemon=True)
        self.rng = random.Random(seed)
        self.rows = rows
        self.next_id = rows + 1
        self.stopping = threading.Event()
        self.txns = 0
        self.proc = subprocess.Popen(pgtest.psql_argv(port, DB) + ["-q", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)

    def statement(self) -> str:
        r, k = self.rng.random(), self.rng.randint(1, self.next_id)
        if r < 0.45:
            return f"UPDATE items SET v = md5(random()::text), n = n + 1 WHERE id = {k};"
        if r < 0.65:
            self.next_id += 1
            return f"INSERT INTO items VALUES ({self.next_id}, 'new', 0, NULL);"
        if r < 0.80:
            return f"DELETE FROM items WHERE id = {k};"
        if r < 0.88:  # a key change: a delete and a create in Debezium's events
            self.next_id += 1
            return f"UPDATE items SET id = {self.next_id} WHERE id = {k};"
        a = self.rng.randint(0, 96)
        if r < 0.95:
            return f"UPDATE pairs SET note = 'changed {self.txns}' WHERE a = {a};"
        return (f"INSERT INTO pairs VALUES ({a}, 'w{self.txns}', 'written') "
                f"ON CONFLICT (a, b) DO NOTHING;")

    def run(self) -> None:
        while not self.stopping.is_set():
            body = " ".join(self.statement() for _ in range(self.rng.randint(1, 5)))
            self.proc.stdin.write(f"BEGIN; {body} COMMIT;\n")
            self.proc.stdin.flush()
            self.txns += 1
            time.sleep(0.002)

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            fail("the writer's psql failed")


def slots(port: int) -> list[str]:
    """This test's slots (the cluster may hold other suites' slots): the relay's, its marker,
    and the temporary ones of initial_only."""
    return pgtest.query(port, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'relay\\_snap%' "
                              "OR slot_name LIKE 'cedar\\_pending\\_relay\\_snap%' "
                              "OR slot_name LIKE 'cedar\\_cdc\\_snapshot\\_%' ORDER BY 1").split()


def wait_slots(port: int, want: list[str], what: str) -> None:
    """Once the relay's session is gone, exactly `want` slots are left (a temporary slot
    goes with its session)."""
    deadline = time.monotonic() + 30
    while True:
        left = slots(port)
        if left == sorted(want):
            return
        if time.monotonic() > deadline:
            fail(f"{what}: slots {left}, expected {sorted(want)}")
        time.sleep(0.1)


def wait_log(relay: pipeline.Relay, needle: str, since: int = 0, timeout: float = 120) -> int:
    """Waits until the log has `needle` after offset `since`; returns the offset after it."""
    deadline = time.monotonic() + timeout
    while (at := relay.log.read_text(errors="replace").find(needle, since)) < 0:
        if not relay.alive():
            fail(f"the relay exited before logging {needle!r}:\n{relay.tail()}")
        if time.monotonic() > deadline:
            fail(f"the relay did not log {needle!r}:\n{relay.tail()}")
        time.sleep(0.05)
    return at + len(needle)


def replay(consumed: list[checker.Consumed], parts: dict[str, int]) -> tuple[dict, dict, list[str]]:
    """Each topic's rows by key after every record in partition order; counts by op."""
    state: dict[str, dict[bytes, dict]] = {}
    ops: dict[str, int] = {}
    problems = []
    for c in consumed:
        if c.key is not None:
            want = kafka_partition.partition_for_key(c.key, parts[c.topic])
            if want != c.partition:
                problems.append(f"{c.topic}: key {c.key!r} on partition {c.partition}, murmur2 says {want}")
        if c.value is None:
            ops["tombstone"] = ops.get("tombstone", 0) + 1
            continue
        payload = json.loads(c.value)["payload"]
        op = payload["op"]
        ops[op] = ops.get(op, 0) + 1
        rows = state.setdefault(c.topic, {})
        if op == "d":
            rows.pop(c.key, None)
            continue
        # An unchanged TOAST value is Debezium's placeholder: a sink keeps the value it has.
        after, old = dict(payload["after"]), rows.get(c.key, {})
        for col, v in after.items():
            if v == UNAVAILABLE and col in old:
                after[col] = old[col]
        rows[c.key] = after
    return state, ops, problems


def final_rows(port: int) -> dict[str, dict[bytes, dict]]:
    """The tables' rows now, rendered by the plugin (`snapshot_records`, record format)."""
    out = pgtest.psql(port, "-At", "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ",
                      "-c", f"SELECT cedar_cdc.snapshot_records('{SLOT}', ARRAY['topic.prefix=snap', "
                            "'output.format=record'])", "-c", "COMMIT", db=DB).stdout
    rows: dict[str, dict[bytes, dict]] = {}
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        rows.setdefault(r["topic"], {})[r["key"].encode()] = json.loads(r["value"])["payload"]["after"]
    return rows


def consistent(args, work: Path) -> None:
    port = args.port
    pgtest.psql(port, "-q", "-c", f"DROP DATABASE IF EXISTS {DB}", "-c", f"CREATE DATABASE {DB}")
    pgtest.psql(port, "-q", "-c", SETUP.format(rows=args.rows), db=DB)
    pipeline.broker_sh("broker_start", args.broker_port)
    brokers = f"127.0.0.1:{args.broker_port}"
    log = work / "relay-snapshot.log"
    log.write_text("")
    # A small in-flight bound keeps the snapshot running long enough to be interrupted.
    extra = ["--snapshot", "initial", "--max-in-flight-bytes", "262144", "--status-interval", "0.2"]

    def relay() -> pipeline.Relay:
        return pipeline.Relay(args.relay_bin, port, DB, SLOT, brokers, OPTIONS, log,
                              partitions=PARTITIONS, extra=extra)

    writer = Writer(port, args.rows, args.seed)
    writer.start()
    t0 = time.monotonic()
    try:
        # 1. SIGTERM during the snapshot.
        size = lambda: len(log.read_text(errors="replace"))  # noqa: E731
        r = relay().start()
        wait_log(r, " records\n", wait_log(r, "snapshot: reading"))
        rc = r.stop()
        if rc != 0:
            fail(f"SIGTERM during the snapshot: exit code {rc}:\n{r.tail()}")
        if "stopped during the snapshot" not in log.read_text():
            fail(f"SIGTERM came after the snapshot; nothing was interrupted:\n{r.tail()}")
        # The slot stays where it was created, and the marker says its snapshot is incomplete.
        wait_slots(port, [SLOT, MARKER], "after SIGTERM during the snapshot")
        created_at = pipeline.confirmed(port, SLOT)
        # 2. SIGKILL during the snapshot.
        since = size()
        r = relay().start()
        wait_log(r, " records\n", wait_log(r, "snapshot: reading", since))
        r.kill()
        if "records acknowledged" in log.read_text()[since:]:
            fail("the snapshot ended before the kill: nothing was interrupted")
        wait_slots(port, [SLOT, MARKER], "after SIGKILL during the snapshot")
        if pipeline.confirmed(port, SLOT) != created_at:
            fail(f"the slot moved from {created_at} to {pipeline.confirmed(port, SLOT)} before its snapshot was complete")
        # 3. The whole snapshot, then the stream while the writer goes on.
        since = size()
        r = relay().start()
        wait_log(r, f'slot "{SLOT}" streams from {created_at}', since, timeout=600)
        if "was interrupted: a new one" not in log.read_text()[since:]:
            fail(f"the third start did not resume the interrupted snapshot:\n{r.tail()}")
        wait_slots(port, [SLOT], "once the snapshot is complete")
        time.sleep(2)
        writer.stop()
        end = pgtest.query(port, "SELECT pg_current_wal_lsn() FROM (SELECT txid_current()) t", db=DB)
        pipeline.wait_confirmed(port, SLOT, end, alive=r.alive, timeout=300)
        rc = r.stop()
        if rc != 0:
            fail(f"the relay exited {rc} on SIGTERM:\n{r.tail()}")
        # 4. The slot exists: streaming only.
        before = log.read_text().count("snapshot: reading")
        since = size()
        r = relay().start()
        wait_log(r, "exists and its snapshot is complete", since)
        r.stop()
        if log.read_text().count("snapshot: reading") != before:
            fail("a relay restarted on an existing slot took the snapshot again")
        elapsed = time.monotonic() - t0
        consumed, parts = checker.read_topics(brokers, idle=2.0, timeout=120)
    finally:
        if writer.is_alive():
            writer.stop()
        pipeline.broker_sh("broker_stop", args.broker_port)
    state, ops, problems = replay(consumed, parts)
    want = final_rows(port)
    for topic in sorted(set(want) | set(state)):
        got, exp = state.get(topic, {}), want.get(topic, {})
        missing = [k for k in exp if k not in got]
        extra_keys = [k for k in got if k not in exp]
        wrong = [k for k in exp if k in got and got[k] != exp[k]]
        for what, keys in (("missing", missing), ("never deleted", extra_keys), ("with other values", wrong)):
            if keys:
                problems.append(f"{topic}: {len(keys)} rows {what}, e.g. {keys[:3]}")
    rows = sum(len(v) for v in want.values())
    print(f"consistent: {args.rows + args.rows // 4:,} rows at the start, {writer.txns:,} writer "
          f"transactions during and after the snapshot (a SIGTERM and a SIGKILL during it), "
          f"{len(consumed):,} records ({', '.join(f'{k} {v:,}' for k, v in sorted(ops.items()))}); "
          f"replayed: {rows:,} rows, as the tables end; {elapsed:.0f} s")
    if problems:
        for p in problems[:20]:
            print("    " + p, file=sys.stderr)
        fail(f"{len(problems)} problems")


def initial_only(args, work: Path) -> None:
    port = args.port
    pgtest.query(port, "DELETE FROM pairs WHERE a % 2 = 0", db=DB)
    expected = int(pgtest.query(port, "SELECT count(*) FROM pairs", db=DB))
    pipeline.broker_sh("broker_start", args.broker_port)
    brokers = f"127.0.0.1:{args.broker_port}"
    log = work / "relay-snapshot-only.log"
    log.write_text("")
    try:
        r = pipeline.Relay(args.relay_bin, port, DB, "relay_snap_only", brokers,
                           OPTIONS + ["table.include.list", "public.pairs"], log,
                           partitions=PARTITIONS, extra=["--snapshot", "initial_only"]).start()
        rc = r.proc.wait(120)
        if rc != 0:
            fail(f"initial_only exited {rc}:\n{r.tail()}")
        wait_slots(port, [], "after initial_only")
        consumed, parts = checker.read_topics(brokers, expected=expected, idle=1.0, timeout=60)
    finally:
        pipeline.broker_sh("broker_stop", args.broker_port)
    _, ops, problems = replay(consumed, parts)
    if ops != {"r": expected}:
        problems.append(f"records by op {ops}, expected {{'r': {expected}}}")
    if list(parts) != ["snap.public.pairs"]:
        problems.append(f"topics {list(parts)}, expected only snap.public.pairs")
    markers = [json.loads(c.value)["payload"]["source"]["snapshot"] for c in consumed]
    if markers.count("last") != 1:
        problems.append(f"{markers.count('last')} records marked snapshot=last, expected 1")
    print(f"initial_only: {len(consumed):,} r records of {expected:,} rows, exit 0, no slot left")
    if problems:
        for p in problems[:20]:
            print("    " + p, file=sys.stderr)
        fail(f"{len(problems)} problems")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--broker-port", type=int, default=9092)
    ap.add_argument("--relay-bin", required=True)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    for slot in slots(args.port):  # a failed run's
        pgtest.query(args.port, f"SELECT pg_drop_replication_slot('{slot}')")
    work = pgtest.run_dir() / "relay-snapshot"
    work.mkdir(parents=True, exist_ok=True)
    consistent(args, work)
    pgtest.query(args.port, f"SELECT pg_drop_replication_slot('{SLOT}')")
    initial_only(args, work)
    print("relay snapshot: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
