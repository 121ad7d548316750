#!/usr/bin/env python3
"""Subscriber-side deployment, end to end, with two local clusters.

The "source" cluster stands in for Aurora or RDS: it loads only pgoutput and publishes the
lineitem table. The "subscriber" cluster subscribes natively (CREATE SUBSCRIPTION) and runs a
cedar_cdc slot created with the SQL helpers before the subscription, so the rows of the
initial table copy are captured as well as every later change. The test checks that

* the source refuses cedar_cdc as an output plugin (so nothing here relies on it there);
* every initial-copy row and every later source change comes out of the subscriber's slot as
  a Debezium event, in order, with nothing lost or repeated;
* replicated events carry the source's commit time (ts_ms/ts_us), the subscription's origin
  name and the source commit LSN (source.origin, source.origin_lsn), while local changes on
  the subscriber have no origin;
* the `origin` option selects any / none / named origins, as pgoutput's does.

Usage: subscriber.py --source-port P --subscriber-port Q
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
import pgtest  # noqa: E402

SEED_ROWS = 200


q = pgtest.query


def wait_for(what: str, cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-port", type=int, required=True)
    ap.add_argument("--subscriber-port", type=int, required=True)
    ap.add_argument("--schema", required=True, help="lineitem_schema.sql")
    a = ap.parse_args()
    src, sub = a.source_port, a.subscriber_port
    failures: list[str] = []

    def check(cond: bool, msg: str) -> None:
        print(("ok   " if cond else "FAIL ") + msg, flush=True)
        if not cond:
            failures.append(msg)

    schema = open(a.schema).read()

    # The source: pgoutput only, like a managed service.
    if q(src, "SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'") == "1":
        r = pgtest.psql(src, "-c", "SELECT pg_create_logical_replication_slot('probe', 'cedar_cdc')",
                        check=False)
        check(r.returncode != 0 and "may not be used as an output plugin" in r.stderr,
              "the source refuses cedar_cdc as an output plugin (only pgoutput is allowed)")
    else:
        # 13 and the releases before 2026 load any output plugin: nothing to refuse.
        print("skip the source cannot refuse an output plugin (no output_plugin_libraries)")
    q(src, schema)
    q(src, f"""INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price,
                  discount, tax_rate, created_at, transaction_date, status, notes)
                  SELECT g, 1000 + g / 4, 2000 + g % 50, 1 + g % 7, 9.99 + g, g % 3, 8.25,
                         '2024-10-15 09:30:00+00'::timestamptz + g * interval '1 minute',
                         '2024-10-15', 'active', 'seed ' || g
                  FROM generate_series(1, {SEED_ROWS}) g""")
    q(src, "CREATE PUBLICATION src_pub FOR TABLE lineitem")

    # The subscriber: the same table, full before images, the extension and a cedar_cdc slot
    # (created with the helpers) before the subscription, so the initial copy is captured.
    q(sub, schema)
    q(sub, "ALTER TABLE lineitem REPLICA IDENTITY FULL")
    q(sub, "CREATE TABLE local_note (id int PRIMARY KEY, note text)")
    q(sub, "CREATE EXTENSION cedar_cdc")
    bad = [r for r in q(sub, "SELECT item || ': ' || status FROM cedar_cdc.check_prerequisites()")
           .splitlines() if not r.endswith(": ok")]
    check(not bad, f"subscriber prerequisites hold {bad}")
    q(sub, "SELECT slot_name FROM cedar_cdc.create_slot('sub_cdc')")
    q(sub, f"CREATE SUBSCRIPTION sub CONNECTION 'host=127.0.0.1 port={src} dbname=postgres "
              "user=postgres' PUBLICATION src_pub")
    wait_for("the initial copy", lambda: q(
        sub, "SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate <> 'r'") == "t"
        and q(sub, "SELECT count(*) FROM lineitem") == str(SEED_ROWS))
    suboid = q(sub, "SELECT oid FROM pg_subscription WHERE subname = 'sub'")
    relid = q(sub, "SELECT 'lineitem'::regclass::oid")
    apply_origin, copy_origin = f"pg_{suboid}", f"pg_{suboid}_{relid}"

    # Changes on the source, one transaction each; remember each commit's time.
    workload = [
        ("insert", "INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price,"
                   " transaction_date, notes) VALUES (1001, 9, 9, 1, 1.5, '2024-11-01', 'new'),"
                   " (1002, 9, 9, 2, 2.5, '2024-11-01', NULL)"),
        ("update", "UPDATE lineitem SET status = 'shipped', quantity = quantity + 1 WHERE lineitem_id IN (1, 2)"),
        ("delete", "DELETE FROM lineitem WHERE lineitem_id = 3"),
        ("multi", "BEGIN; UPDATE lineitem SET notes = 'edited' WHERE lineitem_id = 1001;"
                  " DELETE FROM lineitem WHERE lineitem_id = 4; COMMIT"),
    ]
    commits = []
    for _, sql in workload:
        q(src, sql)
        commits.append(q(src, "SELECT (extract(epoch FROM (pg_last_committed_xact()).timestamp)"
                              " * 1000000)::bigint"))
    src_lsn = q(src, "SELECT pg_current_wal_lsn()")
    wait_for("the subscriber to apply the source's changes", lambda: q(
        sub, f"SELECT remote_lsn >= '{src_lsn}' FROM pg_replication_origin_status"
             f" WHERE external_id = '{apply_origin}'") == "t")
    same = q(src, "SELECT md5(string_agg(l::text, ',' ORDER BY lineitem_id)) FROM lineitem l") == \
        q(sub, "SELECT md5(string_agg(l::text, ',' ORDER BY lineitem_id)) FROM lineitem l")
    check(same, "the subscriber's lineitem equals the source's")
    remote_lsn = q(sub, "SELECT remote_lsn - '0/0' FROM pg_replication_origin_status"
                        f" WHERE external_id = '{apply_origin}'")
    # A local change on the subscriber.
    q(sub, "INSERT INTO local_note VALUES (1, 'made on the subscriber')")

    def events(*opts: str) -> list[dict]:
        o = ", ".join("'" + x.replace("'", "''") + "'" for x in ("schemas.enable", "false") + opts)
        rows = q(sub, f"SELECT data FROM pg_logical_slot_peek_changes('sub_cdc', NULL, NULL, {o})")
        return [json.loads(r) for r in rows.splitlines() if r]

    ev = events()
    # From 14 the table sync worker copies under its own origin (pg_<sub>_<rel>); 13's copies
    # as a local change with no origin.
    copy_has_origin = int(q(sub, "SHOW server_version_num")) >= 140000
    if not copy_has_origin:
        print(f"note this server's initial copy has no replication origin (not {copy_origin})")
    def is_copy(e: dict) -> bool:
        if copy_has_origin:
            return e["source"]["origin"] == copy_origin
        return e["source"]["origin"] is None and e["source"]["table"] == "lineitem"
    copy = [e for e in ev if is_copy(e)]
    applied = [e for e in ev if e["source"]["origin"] == apply_origin]
    local = [e for e in ev if e["source"]["origin"] is None and not is_copy(e)]
    check(len(copy) + len(applied) + len(local) == len(ev), "every event has a known origin")
    check(len(copy) == SEED_ROWS and all(e["op"] == "c" for e in copy),
          f"the initial copy: {SEED_ROWS} create events from origin "
          f"{copy_origin if copy_has_origin else None} ({len(copy)})")
    check(sorted(e["after"]["lineitem_id"] for e in copy) == list(range(1, SEED_ROWS + 1)),
          "the initial copy: each seeded row exactly once")
    copy_lsn = 0 if copy_has_origin else None
    check(all(e["source"]["origin_lsn"] == copy_lsn for e in copy),
          f"the initial copy: origin_lsn {copy_lsn} (the copy has no source commit)")
    ops = [(e["op"], (e["after"] or e["before"])["lineitem_id"]) for e in applied]
    want = [("c", 1001), ("c", 1002), ("u", 1), ("u", 2), ("d", 3), ("u", 1001), ("d", 4)]
    check(ops == want, f"source changes in order: {ops}")
    upd = applied[2]
    check(upd["before"]["status"] == "active" and upd["after"]["status"] == "shipped"
          and upd["before"]["notes"] == "seed 1",
          "updates carry the full before image (REPLICA IDENTITY FULL on the subscriber)")
    by_tx = [applied[0:2], applied[2:4], applied[4:5], applied[5:7]]
    times_ok = all(e["source"]["ts_us"] == int(commits[i]) and e["source"]["ts_ms"] == int(commits[i]) // 1000
                   for i, grp in enumerate(by_tx) for e in grp)
    check(times_ok, "replicated events carry the source's commit times "
          f"({[g[0]['source']['ts_us'] for g in by_tx]} vs {commits})")
    olsn = [grp[0]["source"]["origin_lsn"] for grp in by_tx]
    check(all(isinstance(x, int) for x in olsn) and olsn == sorted(set(olsn))
          and olsn[-1] == int(remote_lsn) and all(
              e["source"]["origin_lsn"] == grp[0]["source"]["origin_lsn"] for grp in by_tx for e in grp),
          f"origin_lsn is the source commit LSN of each transaction ({olsn}, last applied {remote_lsn})")
    check(len({e["source"]["txId"] for grp in by_tx for e in grp}) == 4,
          "txId is the subscriber's own transaction id, one per replicated transaction")
    check([(e["source"]["table"], e["op"]) for e in local] == [("local_note", "c")]
          and local[0]["source"]["origin_lsn"] is None,
          "a local change has no origin")
    check(list(ev[0]["source"].keys())[-2:] == ["origin", "origin_lsn"],
          "origin and origin_lsn are the last source fields, as in Debezium 3.5+")

    # The origin option.
    def tables_origins(*opts: str) -> list[tuple]:
        return sorted({(e["source"]["table"], e["source"]["origin"]) for e in events(*opts)},
                      key=lambda t: (t[0], t[1] or ""))
    check(tables_origins("origin", "none")
          == ([("local_note", None)] if copy_has_origin else [("lineitem", None), ("local_note", None)]),
          "origin=none: only local changes")
    check(tables_origins("origin", "ANY") == sorted({(e["source"]["table"], e["source"]["origin"]) for e in ev},
                                                    key=lambda t: (t[0], t[1] or "")),
          "origin=any: everything")
    check(len(events("origin", apply_origin)) == len(applied)
          and tables_origins("origin", apply_origin) == [("lineitem", apply_origin)],
          f"origin={apply_origin}: only the subscription's applied changes")
    both = events("origin", f"{apply_origin}, {copy_origin}")
    check(len(both) == len(applied) + (len(copy) if copy_has_origin else 0),
          f"origin=<apply>,<copy>: the subscription's changes and its initial copy ({len(both)})")
    check(events("origin", "pg_no_such_origin") == [], "origin=<unknown name>: nothing")

    # Consume; the slot's health shows it caught up.
    n = q(sub, "SELECT count(*) FROM cedar_cdc.get_changes('sub_cdc')")
    check(int(n) == len(ev), f"get_changes consumes the same {len(ev)} events")
    check(q(sub, "SELECT lag_bytes < 1024 FROM cedar_cdc.slot_health('sub_cdc')") == "t",
          "slot_health: the slot has caught up")

    q(sub, "DROP SUBSCRIPTION sub")
    q(sub, "SELECT cedar_cdc.drop_slot('sub_cdc')")
    if failures:
        sys.exit(f"{len(failures)} subscriber check(s) failed")
    print("subscriber-side deployment: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except pgtest.PsqlError as e:
        sys.exit(str(e))
