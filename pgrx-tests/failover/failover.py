#!/usr/bin/env python3
"""A CDC stream that survives a primary failover, through a failover slot (PostgreSQL 17+).

A primary and a physical standby with slot synchronization (sync_replication_slots, a physical
slot of the standby listed in the primary's synchronized_standby_slots). A cedar_cdc slot
created with `cedar_cdc.create_slot(..., failover => true)` is synchronized to the standby.
The test

* checks the helpers: check_prerequisites on both sides, slot_health's failover/synced columns;
* consumes a first part of the workload from the primary;
* writes a second part, crashes the primary (immediate stop) and promotes the standby;
* consumes the rest from the promoted standby's synchronized slot, and checks that every
  committed change arrived, in commit order, none lost and none repeated (the synchronized
  slot is at the position the consumer confirmed on the old primary).

Usage: failover.py --primary-port P --standby-port S
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
import pgtest  # noqa: E402

q = pgtest.query
PART = 200  # transactions in each part of the workload


def wait_for(what: str, cond, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.2)


def ids_of(rows: str) -> list[int]:
    """The ids of the create events among the decoded records, in order."""
    out = []
    for line in rows.splitlines():
        if line.strip():
            ev = json.loads(line)
            if ev.get("op") == "c":
                out.append(ev["after"]["id"])
    return out


def consume(port: int) -> list[int]:
    return ids_of(q(port, "SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL, "
                          "'schemas.enable', 'false')"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--primary-port", type=int, required=True)
    ap.add_argument("--standby-port", type=int, required=True)
    a = ap.parse_args()
    pri, sby = a.primary_port, a.standby_port
    failures: list[str] = []

    def check(cond: bool, msg: str) -> None:
        print(("ok   " if cond else "FAIL ") + msg, flush=True)
        if not cond:
            failures.append(msg)

    # The standby's own checks: every slot-sync setting is in place.
    q(pri, "CREATE EXTENSION cedar_cdc")
    wait_for("the standby to replay the extension",
             lambda: q(sby, "SELECT count(*) FROM pg_extension WHERE extname = 'cedar_cdc'") == "1")
    standby_checks = q(sby, "SELECT string_agg(item || '=' || status, ',' ORDER BY item) "
                            "FROM cedar_cdc.check_prerequisites() "
                            "WHERE item IN ('sync_replication_slots', 'hot_standby_feedback', "
                            "'primary_slot_name', 'primary_conninfo dbname')").split(",")
    check(standby_checks == ["hot_standby_feedback=ok", "primary_conninfo dbname=ok",
                             "primary_slot_name=ok", "sync_replication_slots=ok"],
          f"check_prerequisites on the standby: slot-sync settings ok {standby_checks}")
    pri_check = q(pri, "SELECT status || ': ' || detail FROM cedar_cdc.check_prerequisites(failover => true) "
                       "WHERE item = 'synchronized_standby_slots'")
    check(pri_check.startswith("ok: "), f"check_prerequisites(failover => true) on the primary: {pri_check}")

    q(pri, "CREATE TABLE t (id int PRIMARY KEY, note text)")
    q(pri, "SELECT * FROM cedar_cdc.create_slot('cdc', failover => true)")
    check(q(pri, "SELECT failover FROM cedar_cdc.slot_health('cdc')") == "t",
          "slot_health on the primary: a failover slot")

    # Part one, consumed from the primary.
    for i in range(1, PART + 1):
        q(pri, f"INSERT INTO t VALUES ({i}, 'part one')")
    got = consume(pri)
    check(got == list(range(1, PART + 1)), f"part one from the primary: {len(got)} changes in order")
    confirmed = q(pri, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'cdc'")

    # The standby's copy of the slot catches up with what the consumer confirmed. The slot's
    # catalog xmin and restart position move at the next running-transactions record the
    # consumer decodes; until they pass the standby's own, the sync worker waits ("could lead
    # to data loss"), so the primary logs one and the consumer reads on (finding nothing new).
    def synced() -> bool:
        q(pri, "SELECT pg_log_standby_snapshot()")
        got.extend(consume(pri))
        return q(sby, "SELECT coalesce(bool_and(synced AND confirmed_flush_lsn >= "
                      f"'{confirmed}'::pg_lsn), false) FROM cedar_cdc.slot_health('cdc')") == "t"
    wait_for("the synchronized slot to reach the confirmed position", synced)
    check(got == list(range(1, PART + 1)), "no change decoded twice while the slot synchronizes")
    check(True, "slot_health on the standby: synced, at the consumer's confirmed position")

    # Part two is written but not consumed before the primary dies.
    for i in range(PART + 1, 2 * PART + 1):
        q(pri, f"INSERT INTO t VALUES ({i}, 'part two')")
    end = q(pri, "SELECT pg_current_wal_flush_lsn()")
    wait_for("the standby to replay part two",
             lambda: q(sby, f"SELECT pg_last_wal_replay_lsn() >= '{end}'::pg_lsn") == "t")
    pgtest.cluster_sh("cluster_crash", "primary")
    pgtest.cluster_sh("cluster_promote", "standby")
    wait_for("the promotion", lambda: q(sby, "SELECT pg_is_in_recovery()") == "f")
    promoted = q(sby, "SELECT slot_type || ' failover=' || failover || ' synced=' || synced "
                      "FROM cedar_cdc.slot_health('cdc')")
    check(promoted.startswith("logical failover=t"),
          f"the promoted standby has the failover slot ({promoted})")

    rest = consume(sby)
    check(sorted(set(got + rest)) == list(range(1, 2 * PART + 1)),
          f"nothing lost across the failover: {len(set(got + rest))} of {2 * PART} changes")
    # The synchronized slot was at the consumer's confirmed position, so nothing repeats.
    check(rest == list(range(PART + 1, 2 * PART + 1)),
          f"part two from the promoted standby, in commit order, none repeated ({len(rest)} changes)")
    # The stream goes on from the new primary.
    q(sby, f"INSERT INTO t VALUES ({2 * PART + 1}, 'after')")
    check(consume(sby) == [2 * PART + 1], "streaming continues on the new primary")

    if failures:
        sys.exit(f"failover: {len(failures)} check(s) failed")
    print(f"failover: all checks passed ({2 * PART + 1} changes)")


if __name__ == "__main__":
    main()
