"""cedar_cdc's `output.format=record` output, parsed and grouped into units.

Each slot row is `{"topic":T,"key":K,"value":V}` with K and V JSON strings (or null). Records are
grouped into units in output order:

  CTxn      a transaction: optional BEGIN record, its events, optional END record
  CNonTx    a non-transactional logical decoding message (`op:"m"`, `source.txId` null)

With transaction metadata, events must lie between a BEGIN and the matching END. Without it
(cedar_cdc does not emit BEGIN/END yet) consecutive events with the same `source.txId` form one
transaction. A tombstone (value null) is attached to the delete right before it. Anything that
does not fit (a tombstone without a delete, an event outside BEGIN/END, an END without BEGIN, a
duplicate JSON key...) is returned as a structural problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional


class DuplicateKey(ValueError):
    pass


def _pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise DuplicateKey(f"duplicate JSON key {k!r}")
        d[k] = v
    return d


def loads(text: str):
    """json.loads that keeps object key order (dicts do) and rejects duplicate keys."""
    return json.loads(text, object_pairs_hook=_pairs)


@dataclass
class Record:
    index: int                 # position in the slot output
    lsn: int                   # the slot row's lsn column
    xid: int                   # the slot row's xid column
    topic: str
    key_text: Optional[str]
    value_text: Optional[str]
    key: object = None         # parsed key (None for a Kafka null key)
    value: object = None       # parsed value (None for a tombstone)


@dataclass
class Event:
    record: Record
    op: str
    tombstone: Optional[Record] = None

    @property
    def value(self) -> dict:
        return self.record.value

    @property
    def source(self) -> dict:
        return self.record.value.get("source") or {}


@dataclass
class CTxn:
    xid: Optional[int]
    begin: Optional[Record] = None
    end: Optional[Record] = None
    events: list[Event] = field(default_factory=list)


@dataclass
class CNonTx:
    event: Event


def parse_rows(rows) -> tuple[list[Record], list[str]]:
    """rows: iterable of (lsn, xid, data text). Returns (records, problems)."""
    records, problems = [], []
    for i, (lsn, xid, data) in enumerate(rows):
        try:
            outer = loads(data)
            if not isinstance(outer, dict) or list(outer) != ["topic", "key", "value"]:
                raise ValueError(f"expected {{topic,key,value}}, got keys {list(outer) if isinstance(outer, dict) else type(outer).__name__}")
            kt, vt = outer["key"], outer["value"]
            if kt is not None and not isinstance(kt, str) or vt is not None and not isinstance(vt, str):
                raise ValueError("key and value must be JSON strings or null")
            rec = Record(i, lsn, xid, outer["topic"], kt, vt,
                         loads(kt) if kt is not None else None,
                         loads(vt) if vt is not None else None)
        except (ValueError, TypeError) as e:
            problems.append(f"cedar record {i}: unparsable: {e}: {data[:300]}")
            continue
        records.append(rec)
    return records, problems


def group(records: list[Record], prefix: str, metadata: bool) -> tuple[list, list[str]]:
    """Groups records into CTxn/CNonTx units. metadata: BEGIN/END records are expected."""
    units: list = []
    problems: list[str] = []
    tx_topic = f"{prefix}.transaction"
    cur: Optional[CTxn] = None          # open transaction
    last_event: Optional[Event] = None  # for tombstones

    def where(r: Record) -> str:
        return f"cedar record {r.index} (topic {r.topic}, row lsn {r.lsn})"

    for r in records:
        if r.topic == tx_topic:
            last_event = None
            v = r.value if isinstance(r.value, dict) else {}
            status = v.get("status")
            if status == "BEGIN":
                if cur is not None:
                    problems.append(f"{where(r)}: BEGIN while transaction {cur.xid} is open (no END)")
                    units.append(cur)
                xid = _xid_of(v.get("id"))
                cur = CTxn(xid=xid, begin=r)
            elif status == "END":
                xid = _xid_of(v.get("id"))
                if cur is None or cur.begin is None:
                    problems.append(f"{where(r)}: END of {v.get('id')} without BEGIN")
                    if cur is not None:
                        cur.end = r
                        units.append(cur)
                        cur = None
                    continue
                if xid != cur.xid:
                    problems.append(f"{where(r)}: END id {v.get('id')} does not match BEGIN {cur.begin.value.get('id')}")
                cur.end = r
                units.append(cur)
                cur = None
            else:
                problems.append(f"{where(r)}: transaction record with status {status!r}")
            continue
        if r.value is None:
            # Tombstone: belongs to the delete right before it.
            if last_event is None or last_event.op != "d" or last_event.tombstone is not None:
                problems.append(f"{where(r)}: tombstone not directly after a delete")
            else:
                if last_event.record.topic != r.topic or last_event.record.key_text != r.key_text:
                    problems.append(f"{where(r)}: tombstone topic/key {r.topic} {r.key_text} differ from its "
                                    f"delete's {last_event.record.topic} {last_event.record.key_text}")
                last_event.tombstone = r
            continue
        if not isinstance(r.value, dict) or "op" not in r.value:
            problems.append(f"{where(r)}: value without op")
            continue
        ev = Event(r, r.value["op"])
        last_event = ev
        src = ev.source
        txid = src.get("txId")
        if ev.op == "m" and txid is None:
            if cur is not None and metadata:
                problems.append(f"{where(r)}: non-transactional message inside transaction {cur.xid}")
            if cur is not None and not metadata:
                units.append(cur)
                cur = None
            units.append(CNonTx(ev))
            continue
        if metadata:
            if cur is None:
                problems.append(f"{where(r)}: event of txId {txid} outside BEGIN/END")
                cur = CTxn(xid=txid)
            elif txid != cur.xid:
                problems.append(f"{where(r)}: event of txId {txid} inside transaction {cur.xid}")
        else:
            if cur is not None and cur.xid != txid:
                units.append(cur)
                cur = None
            if cur is None:
                cur = CTxn(xid=txid)
        cur.events.append(ev)
    if cur is not None:
        if metadata:
            problems.append(f"transaction {cur.xid}: no END record")
        units.append(cur)
    return units, problems


def _xid_of(txid) -> Optional[int]:
    if not isinstance(txid, str) or ":" not in txid:
        return None
    try:
        return int(txid.split(":", 1)[0])
    except ValueError:
        return None
