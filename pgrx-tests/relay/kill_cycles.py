#!/usr/bin/env python3
"""kill -9 mid-stream, then proof that nothing committed was lost (issue 12, item 2).

Three phases, one per victim: the relay (kill -9), the broker (kill -9) and PostgreSQL
(immediate shutdown: no checkpoint, crash recovery at the restart). Each phase has a fresh
broker, database and pair of slots (relay_chaos for the relay, relay_ref for the reference, both
created before the workload), and runs `--cycles` cycles. A cycle starts a workload in the
background, rotating through a large transaction, a spilled one (logical_decoding_work_mem =
64kB, with subtransactions and wide rows) and many small ones, each with inserts, updates,
primary-key changes and deletes; kills its victim 0.3 to 1.5 s later, mid-stream; restarts it
(and the relay, if it exited); waits for the workload to end and for the relay to catch up. At the end the relay gets
until its slot's confirmed position reaches the end of the WAL, and SIGTERM.

The checker then compares the broker's records with the plugin's own output for the same WAL
(slot relay_ref, read in segments at each kill's confirmed position):

* lost must be 0: every committed change arrived, byte for byte, on its murmur2 partition, in
  per-key order (masking, besides what the conformance suite masks, the first element of
  source.sequence: the previous commit's LSN as the decoding session saw it, null for the first
  transaction after any restart, so a replayed change may carry another one);
* duplicates are counted, and each must lie after the confirmed position of a kill: a record
  replayed on a partition for the j-th time can only come from a restart at or after the j-th
  kill, so it must come after kill j's confirmed position (confirmed positions only grow).

The broker runs tansu's memory engine, which loses everything when it dies: a broker kill
loses records the broker had acknowledged, which no producer can bring back. Those are the
records up to the slot's confirmed position at the kill (read once the relay can no longer
have anything acknowledged), and they are counted as lost-with-the-broker; every record after
that position must be in the restarted broker. The broker phase thus proves the relay's side
(it confirms only what was acknowledged, and resends everything after), not the broker's
durability.

Usage: kill_cycles.py --port PG_PORT --broker-port PORT --relay-bin PATH
       [--cycles 3] [--rows 5000] [--victims relay,broker,postgres] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "lib"))
sys.path.insert(0, str(HERE.parent / "conformance"))

import checker  # noqa: E402
import pgtest  # noqa: E402
import pipeline  # noqa: E402
from run_debezium import cache_dir  # noqa: E402

OPTIONS = ["topic.prefix", "chaos"]
KINDS = ("large", "spilled", "small")

SETUP = """
CREATE TABLE acct (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL, pad text);
CREATE TABLE note (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, acct int, body text);
INSERT INTO acct SELECT g, g % 10, 0, repeat('s', 20) FROM generate_series(1, 1000) g;
"""


def workload(kind: str, base: int, rows: int) -> str:
    """One cycle's SQL: ids base+1 .. base+rows are this cycle's own, so cycles never collide."""
    lo, hi = base + 1, base + rows
    if kind == "large":
        return f"""
BEGIN;
INSERT INTO acct SELECT g, g % 10, 1, repeat('l', 40) FROM generate_series({lo}, {hi}) g;
UPDATE acct SET v = v + 1 WHERE id BETWEEN {lo} AND {hi};
UPDATE acct SET id = id + 50000000 WHERE id BETWEEN {lo} AND {lo + rows // 10};
DELETE FROM acct WHERE id BETWEEN {hi - rows // 10} AND {hi};
INSERT INTO note (acct, body) SELECT g, 'large' FROM generate_series({lo}, {lo + rows // 10}) g;
COMMIT;
"""
    if kind == "spilled":
        n = max(rows // 5, 10)
        return f"""
BEGIN;
INSERT INTO acct SELECT g, g % 10, 2, repeat(md5(g::text), 12) FROM generate_series({lo}, {lo + n}) g;
SAVEPOINT a;
UPDATE acct SET v = v + 1, pad = repeat(md5((g.g + 1)::text), 12) FROM generate_series({lo}, {lo + n}) g(g) WHERE id = g.g;
RELEASE a;
SAVEPOINT b;
UPDATE acct SET id = id + 50000000 WHERE id BETWEEN {lo} AND {lo + n // 4};
DELETE FROM acct WHERE id BETWEEN {lo + n // 2} AND {lo + n};
ROLLBACK TO b;
DELETE FROM acct WHERE id BETWEEN {lo + n - n // 4} AND {lo + n};
COMMIT;
"""
    n = max(rows // 10, 10)
    return f"""
DO $$
BEGIN
  FOR i IN 0..{n - 1} LOOP
    INSERT INTO acct VALUES ({lo} + i, i % 10, 3, 'small');
    UPDATE acct SET v = v + 1 WHERE id = {lo} + i;
    IF i % 3 = 0 THEN UPDATE acct SET id = id + 50000000 WHERE id = {lo} + i; END IF;
    IF i % 3 = 1 THEN DELETE FROM acct WHERE id = {lo} + i; END IF;
    UPDATE acct SET v = v + 1 WHERE id = 1 + i % 1000;
    COMMIT;
  END LOOP;
END $$;
"""


def run_phase(args, victim: str, rng: random.Random, out: Path) -> dict:
    port, db = args.port, f"chaos_{victim}"
    pgtest.query(port, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                       "WHERE slot_name IN ('relay_chaos', 'relay_ref') AND NOT active")
    pgtest.psql(port, "-q", "-c", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}")
    pgtest.psql(port, "-q", input=SETUP, db=db)
    for slot in ("relay_ref", "relay_chaos"):
        pgtest.query(port, f"SELECT pg_create_logical_replication_slot('{slot}', 'cedar_cdc')", db=db)
    brokers = f"127.0.0.1:{args.broker_port}"
    pipeline.broker_sh("broker_start", args.broker_port)
    log = out / f"kill_{victim}.relay.log"
    log.write_text("")
    # A record the broker never acknowledges fails after 15 s (librdkafka's default is 300 s),
    # so a relay facing a dead broker exits (code 5) instead of waiting minutes.
    relay = pipeline.Relay(args.relay_bin, port, db, "relay_chaos", brokers, OPTIONS, log,
                           extra=["-X", "message.timeout.ms=15000"]).start()
    kills, restarts, stuck, hung, confirmed_at = 0, 0, 0, 0, []
    try:
        for cycle in range(args.cycles):
            kind = KINDS[cycle % len(KINDS)]
            sql = workload(kind, (cycle + 1) * 1_000_000, args.rows)
            work = subprocess.Popen(pgtest.psql_argv(port, db) + ["-q", "-v", "ON_ERROR_STOP=1"],
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, text=True)
            work.stdin.write(sql)
            work.stdin.close()
            if victim == "postgres" and kind != "small":
                # A crash aborts what has not committed: let the transaction commit, then crash
                # the server while the relay still streams it.
                work.wait()
                time.sleep(rng.uniform(0.0, 0.3))
            else:
                time.sleep(rng.uniform(0.3, 1.5))
            if victim == "relay":
                relay.kill()
                confirmed_at.append(pipeline.confirmed(port, "relay_chaos"))
                relay.start(port)
                restarts += 1
            elif victim == "broker":
                pipeline.broker_sh("broker_kill", args.broker_port)
                # The relay reports its position every second: once it has reported all that
                # the dead broker acknowledged, the position stands still.
                time.sleep(2.5)
                confirmed_at.append(pipeline.confirmed(port, "relay_chaos"))
                pipeline.broker_sh("broker_start", args.broker_port)
                # The restarted broker has none of the topics: the relay either exits (its
                # records time out) and is restarted below, or rides through the outage once
                # librdkafka reconnects (counted; the checks below hold either way).
                try:
                    relay.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    stuck += 1
            else:
                pgtest.cluster_sh("cluster_crash", args.cluster)
                subprocess.run(["bash", "-c", 'source "$0" && as_postgres "$PGBIN/pg_ctl" -D "$CEDAR_RUN/$1" '
                                '-l "$CEDAR_RUN/$1/server.log" -w start >/dev/null', str(pgtest.CLUSTER_SH),
                                args.cluster], check=True)
                confirmed_at.append(pipeline.confirmed(port, "relay_chaos"))
                try:
                    relay.proc.wait(timeout=20)  # its stream is gone: it must exit (code 6)
                except subprocess.TimeoutExpired:
                    hung += 1
                    relay.kill()
            kills += 1
            work.wait()
            if not relay.alive():
                relay.start(port)
                restarts += 1
            # Let the relay catch up before the next cycle, so that every kill finds a confirmed
            # position of its own (and a broker kill, acknowledged records to lose).
            caught_up = pgtest.query(port, "SELECT pg_current_wal_lsn() FROM (SELECT txid_current()) t", db=db)
            pipeline.wait_confirmed(port, "relay_chaos", caught_up, timeout=args.timeout, alive=relay.alive)
            print(f"  {victim} cycle {cycle + 1}: {kind} transaction(s), killed, confirmed at "
                  f"{confirmed_at[-1]}", flush=True)
        end = pgtest.query(port, "SELECT pg_current_wal_lsn() FROM (SELECT txid_current()) t", db=db)
        pipeline.wait_confirmed(port, "relay_chaos", end, timeout=args.timeout, alive=relay.alive)
        rc = relay.stop()
        if rc != 0:
            raise RuntimeError(f"the relay exited {rc} on SIGTERM:\n{relay.tail()}")
    except Exception:
        relay.kill()
        print(relay.tail(), file=sys.stderr)
        raise

    # The reference, cut at each kill's confirmed position (they only grow).
    segments, boundaries = [], []
    for c in confirmed_at:
        segments += pipeline.reference(port, db, "relay_ref", OPTIONS, upto=c)
        boundaries.append(len(segments))
    reference = segments + pipeline.reference(port, db, "relay_ref", OPTIONS)
    lost_with_broker = boundaries[-1] if victim == "broker" and boundaries else 0
    consumed, parts = checker.read_topics(brokers, expected=len(reference) - lost_with_broker,
                                          idle=2.0, timeout=args.timeout)
    pipeline.broker_sh("broker_stop", args.broker_port)
    report = checker.check(consumed, parts, reference, allow_duplicates=True, restarts=True,
                           optional=range(lost_with_broker))
    if report.problems:
        # What to look at (only then: the long run's PostgreSQL phase consumes 18 GB).
        with open(out / f"kill_{victim}.reference.jsonl", "w") as f:
            for rec in reference:
                f.write(json.dumps(rec) + "\n")
        with open(out / f"kill_{victim}.consumed.jsonl", "w") as f:
            for c in consumed:
                f.write(json.dumps({"topic": c.topic, "partition": c.partition, "offset": c.offset,
                                    "key": checker._text(c.key), "value": checker._text(c.value)}) + "\n")
    # The j-th replay on a partition follows the j-th kill or a later one (a replay without a
    # kill behind it is wrong too).
    early = sum(1 for (_t, _p, g, j) in report.replays if j > len(boundaries) or g < boundaries[j - 1])
    result = {"victim": victim, "cycles": args.cycles, "kills": kills, "relay_restarts": restarts, "relay_stuck": stuck,
              "relay_hung": hung,
              "changes": len(reference), "lost": report.lost, "lost_with_broker": report.absent_optional,
              "duplicates": report.duplicates, "duplicates_before_confirmed": early,
              "misplaced": report.misplaced, "out_of_order": report.out_of_order,
              "differing": report.differing, "problems": report.problems[:10]}
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cluster", default="relay", help="lib/cluster.sh name of the cluster on --port")
    ap.add_argument("--broker-port", type=int, default=9092)
    ap.add_argument("--relay-bin", required=True)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--rows", type=int, default=5000, help="rows of a cycle's large transaction")
    ap.add_argument("--victims", default="relay,broker,postgres")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    out = cache_dir() / "relay"
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    results, failed = [], False
    for victim in args.victims.split(","):
        t0 = time.monotonic()
        r = run_phase(args, victim, rng, out)
        bad = r["relay_hung"] or r["lost"] or r["duplicates_before_confirmed"] or r["misplaced"] or r["out_of_order"] or r["differing"]
        failed |= bool(bad)
        print(f"kill -9 {victim:8} {'ok' if not bad else 'FAILED':6} {time.monotonic() - t0:5.1f} s  "
              f"cycles {r['cycles']}, changes {r['changes']}, lost {r['lost']}, duplicates {r['duplicates']} "
              f"(before a confirmed position: {r['duplicates_before_confirmed']}), relay restarts {r['relay_restarts']}"
              + (f", relay still running 20 s after the server died: {r['relay_hung']}" if r["relay_hung"] else "")
              + (f", relay rode through {r['relay_stuck']} outage(s)" if r["relay_stuck"] else "")
              + (f", lost with the broker's memory {r['lost_with_broker']}" if victim == "broker" else ""),
              flush=True)
        for p in r["problems"]:
            print("    " + p)
        results.append(r)
    (out / "kill_cycles.json").write_text(json.dumps(results, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
