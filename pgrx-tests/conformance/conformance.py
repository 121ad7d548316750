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

Usage: conformance.py --port PORT [CASE_DIR ...]   (default: every directory under cases/)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

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


def run_case(conn: Conn, case_dir: Path, out_dir: Path) -> list[str]:
    options = cedar_options(case_dir)

    def create_slot(case_conn: Conn) -> None:
        # A slot left over by a failed case would be in the way (slot names are cluster-wide).
        case_conn.sql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                      f"WHERE slot_name = '{CEDAR_SLOT}' AND NOT active")
        case_conn.sql(f"SELECT pg_create_logical_replication_slot('{CEDAR_SLOT}', 'cedar_cdc')")

    dbz_path = out_dir / f"{case_dir.name}.debezium.jsonl"
    expected = strip_sentinel(capture_case(conn, case_dir, dbz_path, before_workload=create_slot))
    db = "conf_" + case_dir.name.lower()
    actual = strip_sentinel(cedar_records(conn.with_db(db), options))
    with open(out_dir / f"{case_dir.name}.cedar.jsonl", "w") as f:
        for r in actual:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    if not expected:
        return ["Debezium produced no records: the case tests nothing"]
    return compare(expected, actual)


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
