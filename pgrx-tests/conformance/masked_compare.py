#!/usr/bin/env python3
"""Compare two lists of captured records (see run_debezium.py) byte for byte.

Records are dicts with "topic", "key", "value", "key_noschema", "value_noschema" (JSON text as
produced by Kafka's JsonConverter, or None for a Kafka null). Texts are compared exactly after
masking only what legitimately differs between two consumers of the same WAL:

* the envelope's processing-time fields: the trailing "ts_ms","ts_us","ts_ns" of a change-event
  payload (right after "op"), and the "ts_ms" right after "op":"m" at the start of a
  logical-decoding-message payload;
* the payload's source.version value ("source":{"version":"3.6.3.Final",...);
* in snapshot records (op "r", source.snapshot first/true/.../last) only, the facts of the
  snapshot transaction, which two snapshots cannot share: source.ts_ms/ts_us/ts_ns (its start
  time), source.sequence, source.txId (its xid) and source.lsn (the slot's consistent point).
  conformance.py checks these separately on each side (check_snapshot_sources).

Masking works on the text with patterns anchored on JSON structure (an unescaped quote is always
structural in JSON), so key order, number formatting and escaping are still compared exactly.
The commit-time "ts_ms" of transaction BEGIN/END records and source.ts_* are not masked.

CLI: masked_compare.py EXPECTED.jsonl ACTUAL.jsonl [--max N]
     (exit 1 and print the first N (default 50) differences if they differ)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Iterable, Optional, Sequence

FIELDS = ("topic", "key", "value", "key_noschema", "value_noschema")
SENTINEL_PREFIX = "cedar_cdc_conformance_end"

MASK = "<masked>"
_NUM = r"(?:-?\d+|null)"
# Change event (c/u/d/r/t): payload ends with ..."op":"c","ts_ms":N,"ts_us":N,"ts_ns":N} and, with
# schemas enabled, the envelope's closing brace.
_ENVELOPE_TS = re.compile(
    r'("op":"[a-z]","ts_ms":)' + _NUM + r'(,"ts_us":)' + _NUM + r'(,"ts_ns":)' + _NUM + r'(\}\}?)\Z')
# Logical decoding message: payload starts with {"op":"m","ts_ms":N,
_MESSAGE_TS = re.compile(r'((?:\A|"payload":)\{"op":"m","ts_ms":)' + _NUM + r'(?=,)')
# source.version: only the value in a payload ({"source":{"version":"..." ), never the schema's
# {"type":"string","optional":false,"field":"version"}.
_SOURCE_VERSION = re.compile(r'("source":\{"version":")(?:[^"\\]|\\.)*(")')
_STR = r'"(?:[^"\\]|\\.)*"'
SNAPSHOT_MARKERS = ("first", "first_in_data_collection", "true", "last_in_data_collection", "last")
# The source block of a snapshot record, from its ts_ms to its lsn.
_SNAPSHOT_SOURCE = re.compile(
    r'("source":\{"version":' + _STR + r',"connector":' + _STR + r',"name":' + _STR + r',"ts_ms":)-?\d+'
    r'(,"snapshot":"(?:' + "|".join(SNAPSHOT_MARKERS) + r')","db":' + _STR + r',"sequence":)' + _STR
    + r'(,"ts_us":)-?\d+(,"ts_ns":)-?\d+(,"schema":' + _STR + r',"table":' + _STR + r',"txId":)(?:-?\d+|null)'
    r'(,"lsn":)(?:-?\d+|null)')
_READ_OP = re.compile(r'"op":"r","ts_ms":' + _NUM + r',"ts_us":' + _NUM + r',"ts_ns":' + _NUM + r'\}\}?\Z')


def mask(text: Optional[str]) -> Optional[str]:
    """Mask processing-time fields and source.version in one key/value JSON text (and a
    snapshot record's snapshot-transaction facts)."""
    if text is None:
        return None
    if _READ_OP.search(text):
        text = _SNAPSHOT_SOURCE.sub(
            rf"\g<1>{MASK}\g<2>{MASK}\g<3>{MASK}\g<4>{MASK}\g<5>{MASK}\g<6>{MASK}", text, count=1)
    text = _ENVELOPE_TS.sub(rf"\g<1>{MASK}\g<2>{MASK}\g<3>{MASK}\g<4>", text, count=1)
    text = _MESSAGE_TS.sub(rf"\g<1>{MASK}", text, count=1)
    return _SOURCE_VERSION.sub(rf"\g<1>{MASK}\g<2>", text, count=1)


def is_sentinel(record: dict) -> bool:
    """The end-of-workload logical decoding message emitted by run_debezium.py."""
    key = record.get("key_noschema")
    if key is None and record.get("key"):
        key = json.loads(record["key"]).get("payload")
        key = json.dumps(key, separators=(",", ":")) if key is not None else None
    return (record.get("topic", "").endswith(".message")
            and key == json.dumps({"prefix": SENTINEL_PREFIX}, separators=(",", ":")))


def strip_sentinel(records: Iterable[dict]) -> list[dict]:
    """Drop end-sentinel message records (DebeziumCapture already leaves them out)."""
    return [r for r in records if not is_sentinel(r)]


def _first_difference(a: str, b: str, context: int = 60) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lo = max(0, i - context)
    return (f"first difference at char {i}:\n"
            f"      expected ...{a[lo:i + context]!r}\n"
            f"      actual   ...{b[lo:i + context]!r}")


def compare(expected_records: Sequence[dict], actual_records: Sequence[dict],
            fields: Sequence[str] = FIELDS) -> list[str]:
    """Return human-readable differences (empty list = conformant), comparing in order."""
    diffs = []
    if len(expected_records) != len(actual_records):
        diffs.append(f"record count: expected {len(expected_records)}, actual {len(actual_records)}")
    for i, (exp, act) in enumerate(zip(expected_records, actual_records)):
        where = f"record #{i} (topic {exp.get('topic')})"
        for field in fields:
            if field not in exp:
                diffs.append(f"{where}: expected record has no {field!r}")
                continue
            if field not in act:
                diffs.append(f"{where}: actual record has no {field!r}")
                continue
            e, a = exp[field], act[field]
            if field != "topic":
                e, a = mask(e), mask(a)
            if e == a:
                continue
            if e is None or a is None:
                diffs.append(f"{where}: {field}: expected {e!r}, actual {a!r}")
            else:
                diffs.append(f"{where}: {field}: {_first_difference(e, a)}")
    n = min(len(expected_records), len(actual_records))
    for label, extra in (("missing", expected_records[n:]), ("unexpected", actual_records[n:])):
        for j, rec in enumerate(extra, start=n):
            diffs.append(f"record #{j}: {label} record, topic {rec.get('topic')}, "
                         f"key {rec.get('key_noschema', rec.get('key'))}")
    return diffs


def _load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Compare two record JSONL files after masking.")
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--max", type=int, default=50, help="print at most this many differences")
    args = ap.parse_args(argv)
    diffs = compare(strip_sentinel(_load(args.expected)), strip_sentinel(_load(args.actual)))
    for d in diffs[:args.max]:
        print(d)
    print(f"{len(diffs)} difference(s)" if diffs else "identical (after masking)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
