#!/usr/bin/env python3
"""The relay's own smoke test (the broker suite is `run` beside it):

1. framing: `output.format=framed` carries, frame for frame, the topics, keys and values of
   `output.format=record` (keys, tombstones, keyless tables, key changes, transaction
   metadata, messages), unescaped, and a commit frame closes each transaction and each
   non-transactional message with its position;
2. exit codes: a usage error (1), a missing slot (3), a rejected plugin option (3), an
   unreachable broker (4), a failed SASL authentication (4), a role PostgreSQL refuses (2),
   a snapshot.mode the relay cannot run (1), a slot in use (3);
3. end to end through the broker: every record the plugin emits for a workload with deletes
   arrives with its exact key and value bytes, in per-key order, the slot's confirmed position
   reaches the end of the WAL, SIGTERM exits 0 having confirmed it;
4. `--debezium-config`: a Kafka Connect JSON configuration gives the connection, slot,
   options, snapshot.mode=initial and the topics' partitions; a misspelt property is logged;
5. heartbeats: with every change filtered out, heartbeat.interval.ms writes heartbeat records
   to `__debezium-heartbeat.<prefix>` and the slot still advances.

Usage: smoke.py --port PG_PORT --broker-port PORT --relay PATH --tansu PATH
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
import pgtest  # noqa: E402

TS = re.compile(rb'"ts_(ms|us|ns)":-?\d+')


def fail(msg: str) -> None:
    sys.exit(f"FAIL: {msg}")


def mask(b: bytes | None) -> bytes | None:
    """Processing times differ between two decodes of the same WAL."""
    return None if b is None else TS.sub(rb'"ts_\1":0', b)


def decode_frame(b: bytes):
    if b[:1] == b"R":
        tl = int.from_bytes(b[1:3], "big")
        topic, i = b[3:3 + tl], 3 + tl
        kl = int.from_bytes(b[i:i + 4], "big")
        i += 4
        key = None
        if kl != 0xFFFFFFFF:
            key, i = b[i:i + kl], i + kl
        flag, rest = b[i], b[i + 1:]
        if flag not in (0, 1) or (flag == 0 and rest):
            fail(f"bad value flag in {b[:80]!r}")
        return ("R", topic.decode(), key, rest if flag else None)
    if b[:1] == b"C" and len(b) == 9:
        return ("C", int.from_bytes(b[1:], "big"))
    fail(f"not a frame: {b[:80]!r}")


def lsn_int(s: str) -> int:
    hi, lo = s.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


class Env:
    def __init__(self, a):
        self.a = a
        self.port = a.port
        self.conninfo = f"host={pgtest.run_dir()} port={a.port} user=postgres dbname=postgres"
        self.brokers = f"127.0.0.1:{a.broker_port}"
        self.log_dir = pgtest.run_dir() / "relay-smoke"
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def q(self, sql: str) -> str:
        return pgtest.query(self.port, sql)

    def relay(self, slot: str, *extra: str, brokers: str | None = None, log: str = "relay.log"):
        argv = [self.a.relay, "--connect", self.conninfo, "--slot", slot, "--brokers",
                brokers or self.brokers, "--status-interval", "0.2", *extra]
        f = open(self.log_dir / log, "ab")
        return subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_confirmed(self, slot: str, target: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.q(f"SELECT confirmed_flush_lsn >= '{target}' FROM pg_replication_slots "
                      f"WHERE slot_name = '{slot}'") == "t":
                return
            time.sleep(0.1)
        fail(f"slot {slot} did not confirm {target}: "
             + self.q(f"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '{slot}'"))


WORKLOAD = """
BEGIN;
INSERT INTO k VALUES (1, 'a'), (2, 'b "quoted" \\ back'), (3, E'line\\nbreak');
INSERT INTO nokey VALUES ('x'), ('y');
COMMIT;
UPDATE k SET v = 'c' WHERE id = 1;
UPDATE k SET id = 10 WHERE id = 2;
DELETE FROM k WHERE id = 3;
DELETE FROM nokey WHERE v = 'x';
SELECT pg_logical_emit_message(false, 'ntx', 'hello');
BEGIN; SELECT pg_logical_emit_message(true, 'tx', 'inside'); INSERT INTO k VALUES (4, 'd'); COMMIT;
"""


def test_framing(e: Env) -> None:
    e.q("CREATE TABLE k (id int PRIMARY KEY, v text); CREATE TABLE nokey (v text);"
        "ALTER TABLE nokey REPLICA IDENTITY FULL")
    e.q("SELECT pg_create_logical_replication_slot('frames', 'cedar_cdc')")
    pgtest.psql(e.port, "-q", input=WORKLOAD)  # one statement at a time
    for opts in ["'provide.transaction.metadata', 'true'", "'schemas.enable', 'false'"]:
        rec = json.loads(e.q("SELECT coalesce(json_agg(data), '[]') FROM pg_logical_slot_peek_changes("
                             f"'frames', NULL, NULL, 'output.format', 'record', {opts})"))
        fr = json.loads(e.q("SELECT coalesce(json_agg(encode(data, 'hex')), '[]') FROM "
                            "pg_logical_slot_peek_binary_changes('frames', NULL, NULL, "
                            f"'output.format', 'framed', {opts})"))
        frames = [decode_frame(bytes.fromhex(h)) for h in fr]
        records = [f for f in frames if f[0] == "R"]
        commits = [f[1] for f in frames if f[0] == "C"]
        want = [("R", r["topic"], None if r["key"] is None else r["key"].encode(),
                 None if r["value"] is None else r["value"].encode()) for r in map(json.loads, rec)]
        got = [(t, top, mask(k), mask(v)) for t, top, k, v in records]
        want = [(t, top, mask(k), mask(v)) for t, top, k, v in want]
        if got != want:
            for g, w in zip(got, want):
                if g != w:
                    fail(f"framed record differs from the record format ({opts}):\n  {g}\n  {w}")
            fail(f"{len(got)} framed records, {len(want)} in the record format ({opts})")
        # 6 transactions and one non-transactional message, in stream order.
        if len(commits) != 7 or commits != sorted(commits):
            fail(f"commit frames {commits}")
        if not any(v is None for *_, v in records):
            fail("no tombstone among the frames")
        # Each commit frame follows the last record of its unit: the last one is the end of the
        # last transaction, at or below the WAL end.
        if commits[-1] > lsn_int(e.q("SELECT pg_current_wal_lsn()")):
            fail("commit frame past the WAL end")
        print(f"framing ({opts}): {len(records)} records and {len(commits)} commit frames "
              "identical to the record format")
    e.q("SELECT pg_drop_replication_slot('frames')")


def expect_exit(proc, code: int, what: str, timeout: float = 30) -> None:
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail(f"{what}: still running after {timeout}s")
    if rc != code:
        fail(f"{what}: exit code {rc}, expected {code}")
    print(f"exit code {code}: {what}")


def test_exit_codes(e: Env) -> None:
    expect_exit(subprocess.Popen([e.a.relay, "--slot", "x"], stderr=subprocess.DEVNULL), 1, "usage error")
    expect_exit(e.relay("missing"), 3, "missing slot")
    e.q("SELECT pg_create_logical_replication_slot('codes', 'cedar_cdc')")
    expect_exit(e.relay("codes", "-o", "no.such.option=1"), 3, "option the plugin rejects")
    # Nothing listens on port 1: the metadata request fails within the 10 s bound.
    expect_exit(e.relay("codes", brokers="127.0.0.1:1"), 4, "unreachable broker", timeout=40)
    # The broker speaks no SASL: the authentication fails, and the relay says so, no retry loop.
    expect_exit(e.relay("codes", "-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanism=PLAIN",
                        "-X", "sasl.username=cdc", "-X", "sasl.password=wrong", log="sasl.log"),
                4, "failed Kafka authentication", timeout=40)
    if "error: kafka authentication failed" not in (e.log_dir / "sasl.log").read_text():
        fail("the Kafka authentication failure does not say so")
    # PostgreSQL refuses the role: exit 2, with the server's message.
    argv = [e.a.relay, "--connect", e.conninfo + " user=no_such_role", "--slot", "codes", "--brokers", e.brokers]
    with open(e.log_dir / "auth.log", "wb") as f:
        expect_exit(subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT), 2, "failed PostgreSQL authentication")
    if 'role "no_such_role" does not exist' not in (e.log_dir / "auth.log").read_text():
        fail("the PostgreSQL authentication failure does not say why")
    # A Debezium snapshot.mode the relay cannot run is a usage error naming it.
    expect_exit(e.relay("codes", "--snapshot", "always", log="mode.log"), 1, "snapshot.mode=always")


def consume(brokers: str, topics: list[str], expect: int, timeout: float = 60):
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"smoke-{time.time()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe(topics)
    out = []
    end = time.monotonic() + timeout
    while len(out) < expect and time.monotonic() < end:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        out.append((m.topic(), m.partition(), m.key(), m.value()))
    # Read a little longer: more than expected would be a duplicate without a restart.
    end = time.monotonic() + 2
    while time.monotonic() < end:
        m = c.poll(0.2)
        if m is not None and not m.error():
            out.append((m.topic(), m.partition(), m.key(), m.value()))
    c.close()
    return out


def test_end_to_end(e: Env) -> None:
    e.q("CREATE TABLE big (id int PRIMARY KEY, v text)")
    e.q("SELECT pg_create_logical_replication_slot('expect', 'cedar_cdc')")
    relay = e.relay("e2e", "--create-slot", "--topic-partitions", "3", "-o", "topic.prefix=smoke",
                    "-o", "table.include.list=public\\.big", "--max-in-flight-bytes", "200000",
                    log="e2e.log")
    time.sleep(2)
    if relay.poll() is not None:
        fail(f"relay exited with {relay.returncode}: {(e.log_dir / 'e2e.log').read_text()[-2000:]}")
    # A second relay on the same slot: in use.
    expect_exit(e.relay("e2e", log="inuse.log"), 3, "slot in use")
    e.q("SELECT pg_create_logical_replication_slot('expect2', 'cedar_cdc')")
    for i in range(20):
        e.q(f"INSERT INTO big SELECT g, repeat('x', g % 50) FROM generate_series({i * 500 + 1}, {i * 500 + 500}) g")
    e.q("UPDATE big SET v = 'updated' WHERE id % 7 = 0; DELETE FROM big WHERE id % 11 = 0")
    end = e.q("SELECT pg_current_wal_lsn()")
    fr = json.loads(e.q("SELECT coalesce(json_agg(encode(data, 'hex')), '[]') FROM "
                        "pg_logical_slot_peek_binary_changes('expect2', NULL, NULL, 'output.format', 'framed', "
                        "'topic.prefix', 'smoke', 'table.include.list', 'public\\.big')"))
    want = [f for f in map(lambda h: decode_frame(bytes.fromhex(h)), fr) if f[0] == "R"]
    e.wait_confirmed("e2e", end)
    got = consume(e.brokers, ["smoke.public.big"], len(want))
    if len(got) != len(want):
        fail(f"{len(got)} records consumed, {len(want)} emitted")
    by_key_w, by_key_g = defaultdict(list), defaultdict(list)
    for _, _, k, v in want:
        by_key_w[k].append(mask(v))
    parts = defaultdict(set)
    for _, p, k, v in got:
        by_key_g[k].append(mask(v))
        parts[k].add(p)
    if by_key_g != by_key_w:
        fail("consumed records differ from the plugin's (content or per-key order)")
    if any(len(s) != 1 for s in parts.values()):
        fail("a key's records are on more than one partition")
    tombstones = sum(1 for *_, v in got if v is None)
    relay.send_signal(signal.SIGTERM)
    expect_exit(relay, 0, "SIGTERM after flushing")
    log = (e.log_dir / "e2e.log").read_text()
    if "stopped; flushed position" not in log:
        fail("no final position in the log")
    print(f"end to end: {len(got)} records ({tombstones} tombstones) identical to the plugin's, "
          f"on {len({p for s in parts.values() for p in s})} partitions; slot confirmed {end}")
    e.q("SELECT pg_drop_replication_slot('expect'); SELECT pg_drop_replication_slot('expect2')")


def test_debezium_config(e: Env) -> None:
    """A Kafka Connect configuration as the relay's settings: connection, slot, options,
    snapshot.mode=initial and topic creation."""
    e.q("CREATE EXTENSION IF NOT EXISTS cedar_cdc")
    rows = int(e.q("SELECT count(*) FROM k"))
    cfg = {"name": "inventory", "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": str(pgtest.run_dir()), "database.port": str(e.port),
        "database.user": "postgres", "database.dbname": "postgres", "slot.name": "dbzcfg",
        "plugin.name": "pgoutput", "topic.prefix": "cfg", "table.include.list": "public.k",
        "snapshot.mode": "initial", "topic.creation.default.partitions": "2",
        "topic.creation.default.replication.factor": "-1", "heartbeat.inverval.ms": "10"}}
    path = e.log_dir / "connector.json"
    path.write_text(json.dumps(cfg))
    argv = [e.a.relay, "--debezium-config", str(path), "--brokers", e.brokers, "--status-interval", "0.2"]
    log = e.log_dir / "dbzcfg.log"
    with open(log, "wb") as f:
        relay = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while "streams from" not in log.read_text():
        if relay.poll() is not None or time.monotonic() > deadline:
            relay.kill()
            fail(f"--debezium-config: no snapshot: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    e.q("INSERT INTO k VALUES (5000, 'after the snapshot')")
    e.wait_confirmed("dbzcfg", e.q("SELECT pg_current_wal_lsn()"))
    got = consume(e.brokers, ["cfg.public.k"], rows + 1)
    ops = [json.loads(v)["payload"]["op"] for *_, v in got if v is not None]
    if ops != ["r"] * rows + ["c"] and sorted(ops) != sorted(["r"] * rows + ["c"]):
        fail(f"--debezium-config: ops {ops}, expected {rows} r and one c")
    if {p for _, p, _, _ in got} - {0, 1}:
        fail("--debezium-config: topic.creation.default.partitions=2 not applied")
    text = log.read_text()
    if 'did you mean "heartbeat.interval.ms"' not in text:
        fail(f"--debezium-config: the misspelt property was not reported: {text[-2000:]}")
    relay.send_signal(signal.SIGTERM)
    expect_exit(relay, 0, "SIGTERM (--debezium-config relay)")
    e.q("SELECT pg_drop_replication_slot('dbzcfg')")
    print(f"--debezium-config: Kafka Connect JSON → slot dbzcfg, {rows} r records then the stream, "
          "2 partitions, the misspelt heartbeat property reported")


def test_heartbeat(e: Env) -> None:
    e.q("SELECT pg_create_logical_replication_slot('hb', 'cedar_cdc')")
    relay = e.relay("hb", "-o", "topic.prefix=hbtest", "-o", "table.include.list=public\\.nothing",
                    "-o", "heartbeat.interval.ms=300",
                    "-o", "heartbeat.action.query=INSERT INTO k VALUES (100 + (random() * 1e6)::int, 'hb')",
                    log="hb.log")
    time.sleep(1)
    end = e.q("SELECT pg_current_wal_lsn()")
    e.wait_confirmed("hb", end)
    got = consume(e.brokers, ["__debezium-heartbeat.hbtest"], 2, timeout=30)
    if len(got) < 2 or not all(g[2] == b'{"schema":{"type":"struct","fields":[{"type":"string","optional":false,'
                                       b'"field":"serverName"}],"optional":false,"name":'
                                       b'"io.debezium.connector.common.ServerNameKey","version":1},'
                                       b'"payload":{"serverName":"hbtest"}}' for g in got):
        fail(f"heartbeat records: {got[:2]}")
    relay.send_signal(signal.SIGTERM)
    expect_exit(relay, 0, "SIGTERM (heartbeat relay)")
    print(f"heartbeats: {len(got)} records, filtered slot confirmed {end}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--broker-port", type=int, required=True)
    ap.add_argument("--relay", required=True)
    ap.add_argument("--tansu", required=True)
    a = ap.parse_args()
    e = Env(a)
    t0 = time.monotonic()
    broker_log = open(e.log_dir / "tansu.log", "ab")
    broker = subprocess.Popen([a.tansu, "broker", "--listener-url", f"tcp://127.0.0.1:{a.broker_port}",
                               "--advertised-listener-url", f"tcp://127.0.0.1:{a.broker_port}",
                               "--storage-engine", "memory://tansu/"],
                              stdout=broker_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1)
        test_framing(e)
        test_exit_codes(e)
        test_end_to_end(e)
        test_debezium_config(e)
        test_heartbeat(e)
    finally:
        broker.terminate()
        broker.wait(10)
    print(f"relay smoke test passed in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
