#!/usr/bin/env python3
"""Conformance suite: the real Debezium 3.6.3 connector and cedar_cdc over the same WAL.

For every case directory (setup.sql, workload.sql, optional debezium.properties) this starts
Debezium (pgoutput, embedded engine), creates a cedar_cdc slot once Debezium streams, runs the
workload, and then reads the cedar_cdc slot in its `record` output format twice (with and
without schemas). Topic, key and value of every record must be identical to Debezium's, except
the processing-time fields and source.version (see masked_compare.py).

The case's debezium.properties are given to both: connector-only properties (connection,
slot, publication, snapshot) go to Debezium alone, every other property is passed to cedar_cdc
under the same name, so a property cedar_cdc does not support fails the case.

A case with snapshot.mode=initial has rows before Debezium starts: Debezium writes its snapshot
records, then streams the workload. The cedar_cdc side takes its snapshot the way the README
says, over a replication connection (BEGIN ISOLATION LEVEL REPEATABLE READ;
CREATE_REPLICATION_SLOT ... (SNAPSHOT 'use'); SELECT cedar_cdc.snapshot_records(...)), then
reads the slot after the workload: snapshot records followed by the stream must equal Debezium's.
The snapshot transaction's own facts (source.ts_*, txId, lsn, sequence) cannot be shared by two
snapshots, so they are masked in the comparison and checked on each side instead.

Usage: conformance.py --port PORT [CASE_DIR ...]   (default: every directory under cases/)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from masked_compare import compare, strip_sentinel  # noqa: E402
from run_debezium import DEFAULT_TOPIC_PREFIX, CaptureError, Conn, capture_case, cache_dir  # noqa: E402

CEDAR_SLOT = "cedar_conformance"
# Properties that configure the Debezium connector's connection and plumbing, not the events.
CONNECTOR_ONLY = ("database.", "slot.", "publication.name", "plugin.name", "snapshot.",
                  "connector.class", "offset.", "name", "poll.interval.ms", "status.update.interval.ms",
                  "heartbeat.interval.ms", "converters", "include.schema.changes")


def unescape_property(s: str) -> str:
    """java.util.Properties escapes: \\t \\n \\r \\f \\uXXXX, and \\x for any other x."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "u" and i + 5 < len(s):
                out.append(chr(int(s[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def read_properties(path: Path) -> dict[str, str]:
    """The case's properties as Java reads them (the same file is given to Debezium)."""
    props: dict[str, str] = {}
    if not path.is_file():
        return props
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        k, _, v = line.partition("=")
        props[unescape_property(k.strip())] = unescape_property(v.strip())
    return props


def cedar_options(case_dir: Path) -> list[str]:
    props = {"topic.prefix": DEFAULT_TOPIC_PREFIX}
    props.update(read_properties(case_dir / "debezium.properties"))
    opts: list[str] = []
    for k, v in props.items():
        if k.startswith(CONNECTOR_ONLY):
            continue
        opts += [k, v]
    return opts


def sql_array(items: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + i.replace("'", "''") + "'" for i in items) + "]::text[]"


def cedar_records(conn: Conn, options: list[str]) -> list[dict]:
    """Both renderings of every record in the cedar_cdc slot (then drops the slot)."""
    def read(fn: str, schemas: str) -> list[dict]:
        opts = options + ["output.format", "record", "schemas.enable", schemas]
        out = conn.sql(f"SELECT data FROM {fn}('{CEDAR_SLOT}', NULL, NULL, VARIADIC {sql_array(opts)})",
                       what=f"read the cedar_cdc slot (schemas.enable={schemas})")
        return [json.loads(line) for line in out.splitlines() if line.strip()]
    with_schema = read("pg_logical_slot_peek_changes", "true")
    without = read("pg_logical_slot_get_changes", "false")
    conn.sql(f"SELECT pg_drop_replication_slot('{CEDAR_SLOT}')")
    if len(with_schema) != len(without):
        raise CaptureError(f"cedar_cdc gave {len(with_schema)} records with schemas, {len(without)} without")
    return [{"topic": a["topic"], "key": a["key"], "value": a["value"],
             "key_noschema": b["key"], "value_noschema": b["value"]}
            for a, b in zip(with_schema, without)]


def initial_snapshot(case_dir: Path) -> bool:
    """The case has Debezium take an initial snapshot (snapshot.mode=initial)."""
    return read_properties(case_dir / "debezium.properties").get("snapshot.mode") == "initial"


SPLIT = "cedar-conformance-split"


def cedar_snapshot(conn: Conn, options: list[str], work: Path) -> tuple[list[dict], dict]:
    """Creates the cedar_cdc slot and takes its snapshot in one replication-connection
    transaction, as the README shows; returns both renderings of every snapshot record and the
    facts the records must carry (the slot's consistent point, the transaction's xid and start)."""
    opts = [f"{k}={v}" for k, v in zip(options[::2], options[1::2])]
    def call(schemas: str) -> str:
        arr = sql_array(opts + ["output.format=record", f"schemas.enable={schemas}"])
        return f"SELECT cedar_cdc.snapshot_records('{CEDAR_SLOT}', {arr});\n"
    script = work / "cedar_snapshot.sql"
    script.write_text(
        # The option list of CREATE_REPLICATION_SLOT arrived in 15; 13 and 14 say USE_SNAPSHOT.
        "SELECT current_setting('server_version_num')::int >= 150000 AS slot_options \\gset\n"
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
        "\\if :slot_options\n"
        f"CREATE_REPLICATION_SLOT {CEDAR_SLOT} LOGICAL cedar_cdc (SNAPSHOT 'use');\n"
        "\\else\n"
        f"CREATE_REPLICATION_SLOT {CEDAR_SLOT} LOGICAL cedar_cdc USE_SNAPSHOT;\n"
        "\\endif\n"
        f"SELECT '{SPLIT}';\n" + call("true") + f"SELECT '{SPLIT}';\n" + call("false")
        + f"SELECT '{SPLIT}', pg_current_xact_id(), "
          "(extract(epoch FROM transaction_timestamp()) * 1000000)::int8;\n"
        "COMMIT;\n")
    out = conn.with_db(f"dbname={conn.dbname} replication=database").psql(
        "-q", "-A", "-t", "-f", str(script), what="the cedar_cdc snapshot (replication connection)")
    parts = out.split(SPLIT)
    if len(parts) != 4:
        raise CaptureError(f"unexpected output of the snapshot script:\n{out[:2000]}")
    slot_row = parts[0].strip().split("|")
    lsn_hi, lsn_lo = slot_row[1].split("/")
    xid, ts_us = parts[3].strip().strip("|").split("|")
    facts = {"lsn": (int(lsn_hi, 16) << 32) | int(lsn_lo, 16), "txId": int(xid), "ts_us": int(ts_us)}
    def records(part: str) -> list[dict]:
        return [json.loads(line) for line in part.splitlines() if line.strip()]
    with_schema, without = records(parts[1]), records(parts[2])
    if len(with_schema) != len(without):
        raise CaptureError(f"cedar_cdc gave {len(with_schema)} snapshot records with schemas, "
                           f"{len(without)} without")
    return [{"topic": a["topic"], "key": a["key"], "value": a["value"],
             "key_noschema": b["key"], "value_noschema": b["value"]}
            for a, b in zip(with_schema, without)], facts


def check_snapshot_sources(side: str, records: list[dict], facts: Optional[dict] = None) -> list[str]:
    """The source facts of one side's snapshot records: every record has the snapshot
    transaction's txId and start time and the consistent point as lsn, with sequence
    [null,"<lsn>"]; for cedar_cdc they must be the known values of its transaction and slot."""
    diffs = []
    sources = [json.loads(r["value_noschema"])["source"] for r in records
               if r["value_noschema"] and json.loads(r["value_noschema"]).get("op") == "r"]
    if not sources:
        return diffs
    first = sources[0]
    want = {"txId": first["txId"], "lsn": first["lsn"], "ts_us": first["ts_us"]}
    if facts:
        want = {"txId": facts["txId"], "lsn": facts["lsn"], "ts_us": facts["ts_us"]}
    for i, src in enumerate(sources):
        got = {"txId": src["txId"], "lsn": src["lsn"], "ts_us": src["ts_us"]}
        if got != want:
            diffs.append(f"{side} snapshot record #{i}: source {got}, expected {want}")
        if src["sequence"] != json.dumps([None, str(src["lsn"])], separators=(",", ":")):
            diffs.append(f"{side} snapshot record #{i}: sequence {src['sequence']}")
        if src["ts_ms"] != src["ts_us"] // 1000 or src["ts_ns"] != src["ts_us"] * 1000:
            diffs.append(f"{side} snapshot record #{i}: ts_ms/ts_us/ts_ns disagree")
    return diffs


def run_case(conn: Conn, case_dir: Path, out_dir: Path) -> list[str]:
    options = cedar_options(case_dir)
    db = "conf_" + case_dir.name.lower()
    snapshot: dict = {}

    def drop_leftover_slot(case_conn: Conn) -> None:
        # A slot left over by a failed case would be in the way (slot names are cluster-wide).
        case_conn.sql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                      f"WHERE slot_name = '{CEDAR_SLOT}' AND NOT active")

    def create_slot(case_conn: Conn) -> None:
        drop_leftover_slot(case_conn)
        if initial_snapshot(case_dir):
            case_conn.sql("CREATE EXTENSION IF NOT EXISTS cedar_cdc")
            snapshot["records"], snapshot["facts"] = cedar_snapshot(case_conn, options, out_dir)
        else:
            case_conn.sql(f"SELECT pg_create_logical_replication_slot('{CEDAR_SLOT}', 'cedar_cdc')")

    dbz_path = out_dir / f"{case_dir.name}.debezium.jsonl"
    expected = strip_sentinel(capture_case(conn, case_dir, dbz_path, before_workload=create_slot))
    actual = snapshot.get("records", []) + strip_sentinel(cedar_records(conn.with_db(db), options))
    with open(out_dir / f"{case_dir.name}.cedar.jsonl", "w") as f:
        for r in actual:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    if not expected:
        return ["Debezium produced no records: the case tests nothing"]
    diffs = compare(expected, actual)
    if initial_snapshot(case_dir):
        diffs += check_snapshot_sources("Debezium", expected)
        diffs += check_snapshot_sources("cedar_cdc", actual, snapshot.get("facts"))
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*", type=Path)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", type=Path, default=cache_dir() / "conformance")
    ap.add_argument("--max", type=int, default=20, help="differences shown per case")
    args = ap.parse_args(argv)
    cases = [c if c.is_dir() else HERE / "cases" / c for c in args.cases] or sorted(
        p for p in (HERE / "cases").iterdir() if (p / "workload.sql").is_file())
    args.out.mkdir(parents=True, exist_ok=True)
    conn = Conn(host=args.host, port=args.port, user="postgres", dbname="postgres")
    failed = 0
    for case in cases:
        t0 = time.monotonic()
        try:
            diffs = run_case(conn, case, args.out)
        except CaptureError as e:
            diffs = [f"error: {e}"]
        status = "ok" if not diffs else "FAILED"
        print(f"{case.name:32} {status:6} {time.monotonic() - t0:5.1f} s")
        for d in diffs[:args.max]:
            print("    " + d.replace("\n", "\n    "))
        if len(diffs) > args.max:
            print(f"    ... {len(diffs) - args.max} more")
        failed += bool(diffs)
    print(f"{len(cases) - failed} of {len(cases)} cases identical to Debezium 3.6.3 "
          f"(outputs in {args.out})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
