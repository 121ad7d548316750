"""What cedar_cdc must have emitted, derived from pgoutput's view of the same WAL, and the comparison.

`expected_units` turns pgoutput units (protocol 1) into the Debezium events a connector consuming
that pgoutput stream produces (the rules are Debezium 3.6's, see the README of this directory):

  INSERT                     c (after = new row)
  UPDATE, key unchanged      u (before = old row if pgoutput sent one ('K' or 'O'), else null)
  UPDATE, primary key changed  d (before = old row) + tombstone + c (after = new row)
  DELETE                     d (before = old row) + tombstone
  TRUNCATE                   one t per truncated relation, in the order of the TRUNCATE message
  transactional message      m inside the transaction;  non-transactional message: its own unit

Old-row images are compared only on the columns pgoutput sent ('K': the replica identity key
columns; 'O': all); the others are Debezium fallbacks or defaults. An unchanged TOASTed column
('u') must be the old value when an 'O' old row carries it, else the type's placeholder.

`compare_cedar` aligns units (by xid / message LSN) and events (by op, table and LSN) with
difflib, then compares every field; `compare_pgoutput` checks that protocol 2 (streamed and
reassembled) and protocol 1 agree. Every difference is one line naming the seed, the unit, the
event index and the field.
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import json
from dataclasses import dataclass, field
from typing import Optional

import values as V
from cedar import CTxn, Event
from pgoutput import Change, NonTxMessage, Relation, TupleData, Txn, fmt_lsn


@dataclass
class Features:
    """What the cedar_cdc under test emits (probed at start-up, see differential.py)."""
    metadata: bool = True
    truncate: bool = True
    messages: bool = True

    def missing(self) -> list[str]:
        return [n for n, ok in (("transaction metadata (BEGIN/END, transaction blocks)", self.metadata),
                                ("TRUNCATE events", self.truncate), ("logical decoding messages", self.messages))
                if not ok]


@dataclass
class Context:
    seed: int
    prefix: str
    db: str
    pk: dict                  # relid -> Debezium key columns: primary key, else first unique index ([] = none)
    features: Features


# ---------------------------------------------------------------------------------------------
# Expected events


@dataclass
class ColExp:
    name: str
    oid: int
    typmod: int
    kind: str                 # 'v' a value (text None = NULL), 'ph' TOAST placeholder, 'any' not sent
    text: Optional[str] = None


@dataclass
class Exp:
    op: str
    lsn: int
    change_index: int         # index of the pgoutput change it comes from
    relation: Optional[Relation] = None
    key: Optional[list] = None        # [ColExp] of the key, None: null key
    before: Optional[list] = None     # [ColExp] or None (null)
    after: Optional[list] = None
    prefix: str = ""
    content: bytes = b""
    why: str = ""                     # e.g. "primary key change"

    def describe(self) -> str:
        if self.op == "m":
            return f"m prefix {self.prefix!r} lsn {fmt_lsn(self.lsn)}"
        return f"{self.op} {self.relation.qualname} lsn {fmt_lsn(self.lsn)}" + (f" ({self.why})" if self.why else "")


@dataclass
class ExpTxn:
    txn: Txn
    events: list[Exp] = field(default_factory=list)
    seq0: Optional[int] = None        # Debezium's source.sequence[0] for this transaction's events


@dataclass
class ExpMsg:
    msg: NonTxMessage
    seq0: Optional[int] = None
    ts_us: Optional[int] = None       # source.ts_us: the previous transaction's commit time


def _text(kind: str, raw: Optional[bytes]) -> Optional[str]:
    return raw.decode("utf-8") if kind in ("t", "b") else None


def row_exp(rel: Relation, tup: TupleData, sent_only_key: bool, toast_from: Optional[TupleData]) -> list:
    out = []
    for i, col in enumerate(rel.columns):
        kind, raw = tup.cols[i]
        if sent_only_key and not col.key:
            out.append(ColExp(col.name, col.type_oid, col.typmod, "any"))
        elif kind == "u":
            if toast_from is not None and toast_from.cols[i][0] == "t":
                out.append(ColExp(col.name, col.type_oid, col.typmod, "v", _text("t", toast_from.cols[i][1])))
            else:
                out.append(ColExp(col.name, col.type_oid, col.typmod, "ph"))
        else:
            out.append(ColExp(col.name, col.type_oid, col.typmod, "v", _text(kind, raw)))
    return out


def key_exp(rel: Relation, pk: list, row: list) -> Optional[list]:
    if not pk:
        return None
    by_name = {c.name: c for c in row}
    return [by_name[n] if n in by_name else ColExp(n, 0, -1, "missing") for n in pk]


def expected_events(txn: Txn, ctx: Context) -> list[Exp]:
    evs: list[Exp] = []
    for i, ch in enumerate(txn.changes):
        if ch.kind == "message":
            if ctx.features.messages:
                evs.append(Exp("m", ch.lsn, i, prefix=ch.prefix, content=ch.content))
            continue
        if ch.kind == "truncate":
            if ctx.features.truncate:
                for rel in ch.truncate_relations:
                    evs.append(Exp("t", ch.lsn, i, rel, why=_truncate_flags(ch.truncate_options)))
            continue
        rel = ch.relation
        if not rel.columns:
            continue  # Debezium's skipEmptyMessages: no column values, no event (nor tombstone)
        pk = ctx.pk.get(rel.relid, [])
        old = None
        if ch.old is not None:
            old = row_exp(rel, ch.old, ch.old_kind == "K", None)
        toast_from = ch.old if ch.old_kind == "O" else None
        if ch.kind == "insert":
            new = row_exp(rel, ch.new, False, None)
            evs.append(Exp("c", ch.lsn, i, rel, key_exp(rel, pk, new), None, new))
        elif ch.kind == "update":
            new = row_exp(rel, ch.new, False, toast_from)
            if old is not None and pk and _key_changed(pk, old, new):
                evs.append(Exp("d", ch.lsn, i, rel, key_exp(rel, pk, old), old, None, why="primary key change"))
                evs.append(Exp("c", ch.lsn, i, rel, key_exp(rel, pk, new), None, new, why="primary key change"))
            else:
                evs.append(Exp("u", ch.lsn, i, rel, key_exp(rel, pk, new), old, new,
                               why=f"old row {ch.old_kind}" if ch.old_kind else ""))
        else:
            evs.append(Exp("d", ch.lsn, i, rel, key_exp(rel, pk, old), old, None, why=f"old row {ch.old_kind}"))
    return evs


def _truncate_flags(opts: int) -> str:
    f = [n for bit, n in ((1, "CASCADE"), (2, "RESTART IDENTITY")) if opts & bit]
    return "truncate " + " ".join(f) if f else "truncate"


def _key_changed(pk: list, old: list, new: list) -> bool:
    o = {c.name: c for c in old}
    n = {c.name: c for c in new}
    for name in pk:
        a, b = o.get(name), n.get(name)
        if a is None or b is None or a.kind != "v" or b.kind != "v":
            continue
        if a.text is None or b.text is None:
            if a.text != b.text:
                return True
        elif V.pg_canon(a.oid, a.typmod, a.text) != V.pg_canon(b.oid, b.typmod, b.text):
            return True
    return False


def expected_units(units: list, ctx: Context) -> list:
    """pgoutput units -> ExpTxn/ExpMsg, with Debezium's sequence[0] and message timestamps."""
    out = []
    last_commit: Optional[int] = None
    last_ts: Optional[int] = None
    for u in units:
        if isinstance(u, NonTxMessage):
            if not ctx.features.messages:
                continue
            last_commit = u.lsn  # Debezium commits the offset at a non-transactional message
            out.append(ExpMsg(u, seq0=last_commit, ts_us=last_ts))
            continue
        e = ExpTxn(u, expected_events(u, ctx), seq0=last_commit)
        last_commit = u.end_lsn
        last_ts = u.commit_ts_unix_us
        # Debezium writes BEGIN/END for every transaction pgoutput sends, even when none of its
        # changes becomes an event (changes of tables without columns); with a feature not yet
        # emitted, a transaction left without events is not expected at all.
        if e.events or (ctx.features.metadata and not ctx.features.missing()):
            out.append(e)
    return out


# ---------------------------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self, seed: int, limit: int = 200):
        self.seed = seed
        self.diffs: list[str] = []
        self.notes: list[str] = []
        self.limit = limit

    def diff(self, where: str, what: str) -> None:
        self.diffs.append(f"seed {self.seed}: {where}: {what}")

    def note(self, what: str) -> None:
        self.notes.append(f"seed {self.seed}: {what}")


def txn_where(idx: int, t: Txn) -> str:
    return (f"txn #{idx} xid {t.xid} (commit {fmt_lsn(t.commit_lsn)}, end {fmt_lsn(t.end_lsn)}"
            f"{', streamed in proto 2' if t.streamed else ''})")


def _show_text(t: Optional[str]) -> str:
    return "NULL" if t is None else V.show(t)


def _data_collection(rel: Relation) -> str:
    return f"{rel.schema}.{rel.name}"


def sanitize_topic(name: str) -> str:
    out = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch in "._-"):
            out.append(ch)
        else:
            out.append("_" * (2 if ord(ch) > 0xFFFF else 1))  # Java chars are UTF-16 units
    return "".join(out)


def java_string_hash(s: str) -> int:
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h


def java_hashmap_order(keys: list[str], extra_entries: int = 0,
                       hashes: Optional[dict[str, int]] = None) -> list[str]:
    """Iteration order of a java.util.HashMap filled with `keys` (in insertion order) plus
    `extra_entries` other keys (which only influence the table size). `hashes` gives the
    hashCode() of keys that are not strings (Debezium's logical-message ids)."""
    size = len(keys) + extra_entries
    cap = 16
    while size > cap * 3 // 4:
        cap *= 2

    def bucket(k: str) -> int:
        h = (hashes or {}).get(k)
        if h is None:
            h = java_string_hash(k)
        return (h ^ (h >> 16)) & (cap - 1)
    return [k for _, _, k in sorted((bucket(k), i, k) for i, k in enumerate(keys))]


# Debezium's name of a logical-message data collection without its identity hash; cedar_cdc's
# stand-in hash is the low 31 bits of the message's LSN (README, deliberate differences).
MESSAGE_COLLECTION = "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId"


# ---------------------------------------------------------------------------------------------
# cedar_cdc vs expected


def compare_row(rep: Report, where: str, which: str, exp: Optional[list], got) -> None:
    if exp is None:
        if got is not None:
            rep.diff(where, f"{which}: expected null, cedar_cdc has {V.show(got)}")
        return
    if not isinstance(got, dict):
        rep.diff(where, f"{which}: expected a row, cedar_cdc has {V.show(got)}")
        return
    names = [c.name for c in exp]
    if list(got) != names:
        missing = [n for n in names if n not in got]
        extra = [n for n in got if n not in names]
        if missing or extra:
            rep.diff(where, f"{which}: columns differ: pgoutput {names}, cedar_cdc {list(got)}"
                            f" (missing {missing}, extra {extra})")
        else:
            rep.diff(where, f"{which}: column order differs: pgoutput {names}, cedar_cdc {list(got)}")
    for c in exp:
        if c.name not in got or c.kind == "any":
            continue
        g = got[c.name]
        tn = V.type_name(c.oid, c.typmod)
        if c.kind == "ph":
            want = V.toast_placeholder(c.oid)
            if g != want:
                rep.diff(where, f"{which}.{c.name} ({tn}): unchanged TOAST value ('u'): expected placeholder "
                                f"{V.show(want)}, cedar_cdc {V.show(g)}")
            continue
        if c.oid not in V.SUPPORTED:
            rep.note(f"{where}: {which}.{c.name}: type oid {c.oid} not compared")
            continue
        try:
            want = None if c.text is None else V.pg_canon(c.oid, c.typmod, c.text)
        except (ValueError, KeyError) as e:
            rep.diff(where, f"{which}.{c.name} ({tn}): harness cannot decode pgoutput text {V.show(c.text)}: {e}")
            continue
        have = V.cedar_canon(c.oid, c.typmod, g)
        if not (want == have or (want is None and have is None)):
            rep.diff(where, f"{which}.{c.name} ({tn}): pgoutput {_show_text(c.text)} (= {V.show(want)}), "
                            f"cedar_cdc {V.show(g)} (= {V.show(have)})")


def compare_key(rep: Report, where: str, exp: Exp, rec_key) -> None:
    if exp.key is None:
        if rec_key is not None:
            rep.diff(where, f"key: table has no primary key, expected a null key, cedar_cdc has {V.show(rec_key)}")
        return
    if not isinstance(rec_key, dict):
        rep.diff(where, f"key: expected {{{', '.join(c.name for c in exp.key)}}}, cedar_cdc has {V.show(rec_key)}")
        return
    if list(rec_key) != [c.name for c in exp.key]:
        rep.diff(where, f"key: fields {list(rec_key)}, expected the primary key {[c.name for c in exp.key]}")
    for c in exp.key:
        if c.kind != "v" or c.name not in rec_key:
            continue
        want = None if c.text is None else V.pg_canon(c.oid, c.typmod, c.text)
        have = V.cedar_canon(c.oid, c.typmod, rec_key[c.name])
        if want != have:
            rep.diff(where, f"key.{c.name}: pgoutput {_show_text(c.text)}, cedar_cdc {V.show(rec_key[c.name])}")


def compare_source(rep: Report, where: str, src: dict, ctx: Context, *, schema: str, table: str,
                   xid: Optional[int], lsn: int, ts_us: Optional[int], seq0: Optional[int]) -> None:
    def chk(name, want):
        if src.get(name, "<absent>") != want:
            rep.diff(where, f"source.{name}: expected {V.show(want)}, cedar_cdc {V.show(src.get(name, '<absent>'))}")
    chk("connector", "postgresql")
    chk("name", ctx.prefix)
    chk("db", ctx.db)
    chk("snapshot", "false")
    chk("schema", schema)
    chk("table", table)
    chk("txId", xid)
    chk("lsn", lsn)
    if ts_us is not None:
        chk("ts_us", ts_us)
        chk("ts_ms", ts_us // 1000)
        chk("ts_ns", ts_us * 1000)
    seq = src.get("sequence")
    want_seq = json.dumps([None if seq0 is None else str(seq0), str(lsn)], separators=(",", ":"))
    if ctx.features.messages and seq != want_seq:
        rep.diff(where, f"source.sequence: expected {want_seq} (Debezium: [last commit LSN it processed, lsn]), "
                        f"cedar_cdc {V.show(seq)}")


def compare_event(rep: Report, where: str, exp: Exp, ev: Event, ctx: Context, txn: Txn, seq0, block) -> None:
    v = ev.value
    rec = ev.record
    if ev.op != exp.op:
        rep.diff(where, f"op: expected {exp.op!r}, cedar_cdc {ev.op!r}")
        return
    if exp.op == "m":
        compare_message(rep, where, ev, ctx, prefix=exp.prefix, content=exp.content, lsn=exp.lsn, xid=txn.xid,
                        ts_us=txn.commit_ts_unix_us, seq0=seq0, block=block)
        return
    rel = exp.relation
    topic = sanitize_topic(f"{ctx.prefix}.{rel.schema}.{rel.name}")
    if rec.topic != topic:
        rep.diff(where, f"topic: expected {topic!r}, cedar_cdc {rec.topic!r}")
    if exp.op == "t":
        if rec.key is not None:
            rep.diff(where, f"key: a truncate has a null key, cedar_cdc {V.show(rec.key)}")
    else:
        compare_key(rep, where, exp, rec.key)
    compare_row(rep, where, "before", exp.before, v.get("before", "<absent>"))
    compare_row(rep, where, "after", exp.after, v.get("after", "<absent>"))
    compare_source(rep, where, v.get("source") or {}, ctx, schema=rel.schema, table=rel.name, xid=txn.xid,
                   lsn=exp.lsn, ts_us=txn.commit_ts_unix_us, seq0=seq0)
    compare_block(rep, where, v, block, ctx)
    if exp.op == "d":
        if ev.tombstone is None:
            rep.diff(where, "delete not followed by a tombstone")
    elif ev.tombstone is not None:
        rep.diff(where, "tombstone after a non-delete")


def compare_block(rep: Report, where: str, v: dict, block: Optional[dict], ctx: Context) -> None:
    if not ctx.features.metadata:
        return
    got = v.get("transaction", "<absent>")
    if got != block:
        rep.diff(where, f"transaction block: expected {json.dumps(block)}, cedar_cdc {json.dumps(got)}")


def compare_message(rep: Report, where: str, ev: Event, ctx: Context, *, prefix: str, content: bytes, lsn: int,
                    xid: Optional[int], ts_us: Optional[int], seq0, block) -> None:
    rec, v = ev.record, ev.value
    if rec.topic != f"{ctx.prefix}.message":
        rep.diff(where, f"topic: expected {ctx.prefix}.message, cedar_cdc {rec.topic!r}")
    if rec.key != {"prefix": prefix}:
        rep.diff(where, f"key: expected {{'prefix': {prefix!r}}}, cedar_cdc {V.show(rec.key)}")
    msg = v.get("message")
    if not isinstance(msg, dict):
        rep.diff(where, f"message: missing, cedar_cdc {V.show(msg)}")
    else:
        if msg.get("prefix") != prefix:
            rep.diff(where, f"message.prefix: pgoutput {prefix!r}, cedar_cdc {V.show(msg.get('prefix'))}")
        got = V.cedar_canon(V.BYTEA, -1, msg.get("content"))
        if got != content:
            rep.diff(where, f"message.content: pgoutput {V.show(content)}, cedar_cdc {V.show(msg.get('content'))}")
    compare_source(rep, where, v.get("source") or {}, ctx, schema="", table="", xid=xid, lsn=lsn, ts_us=ts_us, seq0=seq0)
    compare_block(rep, where, v, block, ctx)
    if ev.tombstone is not None:
        rep.diff(where, "tombstone after a message")


def tie_order(a: list, b: list, lsn_of, key_of) -> Optional[list]:
    """If b is a permutation of a within runs of equal LSN only, the permutation (indexes of a in
    b's order), else None. PostgreSQL gives a transactional logical message the LSN of the *end*
    of its WAL record, which is the LSN of the next record, and ReorderBuffer's merge of a
    transaction's subtransactions by LSN does not order ties: such a message and the next change,
    when it belongs to another subtransaction, come out in either order."""
    if len(a) != len(b) or [lsn_of(x) for x in a] != [lsn_of(y) for y in b]:
        return None
    order, i = [], 0
    while i < len(a):
        j = i
        while j < len(a) and lsn_of(a[j]) == lsn_of(a[i]):
            j += 1
        pool = list(range(i, j))
        for y in b[i:j]:
            k = next((k for k in pool if key_of(a[k]) == key_of(y)), None)
            if k is None:
                return None
            pool.remove(k)
            order.append(k)
        i = j
    return order


def compare_txn(rep: Report, idx: int, e: ExpTxn, ct: CTxn, ctx: Context) -> None:
    t = e.txn
    where = txn_where(idx, t)
    exp, got = e.events, ct.events
    commit_ms = t.commit_ts_unix_us // 1000
    order = tie_order(exp, got, lambda x: x.lsn if isinstance(x, Exp) else x.source.get("lsn"),
                      lambda x: _sig(x))
    if order is not None and order != list(range(len(exp))):
        rep.note(f"{where}: events with equal LSNs (a transactional message and the next change) in another "
                 "order than pgoutput's (PostgreSQL does not order such ties), compared in cedar_cdc's order")
        exp = [exp[k] for k in order]
    # Transaction metadata: BEGIN/END records and the per-event blocks.
    blocks: list = [None] * len(exp)
    if ctx.features.metadata:
        counts: dict[str, int] = {}
        order: list[str] = []
        hashes: dict[str, int] = {}
        for i, x in enumerate(exp):
            if x.op == "m":
                # Debezium: each message is its own data collection, named with its identity hash
                h = x.lsn & 0x7FFFFFFF
                dc = f"{MESSAGE_COLLECTION}@{h:x}"
                if dc not in counts:
                    order.append(dc)
                    hashes[dc] = h
                counts[dc] = counts.get(dc, 0) + 1
                dco = counts[dc]
            else:
                dc = _data_collection(x.relation)
                if dc not in counts:
                    order.append(dc)
                counts[dc] = counts.get(dc, 0) + 1
                dco = counts[dc]
            blocks[i] = {"id": f"{t.xid}:{x.lsn}", "total_order": i + 1, "data_collection_order": dco}
        begin_lsn = t.begin_lsn if not ctx.features.missing() else exp[0].lsn

        want_begin = {"status": "BEGIN", "id": f"{t.xid}:{begin_lsn}", "event_count": None,
                      "data_collections": None, "ts_ms": commit_ms}
        want_end = {"status": "END", "id": f"{t.xid}:{t.end_lsn}", "event_count": len(exp),
                    "data_collections": [{"data_collection": dc, "event_count": counts[dc]}
                                         for dc in java_hashmap_order(order, hashes=hashes)],
                    "ts_ms": commit_ms}
        for name, want, rec in (("BEGIN", want_begin, ct.begin), ("END", want_end, ct.end)):
            if rec is None:
                rep.diff(where, f"no {name} record")
                continue
            if rec.value != want or list(rec.value) != list(want):
                rep.diff(where, f"{name} record: expected {json.dumps(want, ensure_ascii=False)}, "
                                f"cedar_cdc {json.dumps(rec.value, ensure_ascii=False)}")
            if rec.key != {"id": want["id"]}:
                rep.diff(where, f"{name} record key: expected {json.dumps({'id': want['id']})}, cedar_cdc {V.show(rec.key)}")
            if rec.topic != f"{ctx.prefix}.transaction":
                rep.diff(where, f"{name} record topic {rec.topic!r}")
    # Events, aligned on (op, table, lsn).
    sig_got = _sig
    a = [_sig(x) for x in exp]
    b = [_sig(ev) for ev in got]
    if a == b or len(a) == len(b):
        pairs = list(zip(range(len(exp)), range(len(got))))
    else:
        pairs = []
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                pairs += list(zip(range(i1, i2), range(j1, j2)))
                continue
            for i in range(i1, i2):
                rep.diff(f"{where}: event {i}", f"missing from cedar_cdc: {exp[i].describe()} "
                                                f"(pgoutput change {exp[i].change_index})")
            for j in range(j1, j2):
                ev = got[j]
                rep.diff(f"{where}: cedar_cdc event {j}", f"unexpected {ev.op} {sig_got(ev)[2]} lsn "
                                                          f"{fmt_lsn(ev.source.get('lsn'))} (record {ev.record.index})")
        if len(exp) != len(got):
            rep.diff(where, f"pgoutput implies {len(exp)} events, cedar_cdc has {len(got)}"
                            + (" (transaction blocks of the other events not compared)" if ctx.features.metadata else ""))
            blocks = [None] * len(exp)
            ctx = dataclasses.replace(ctx, features=dataclasses.replace(ctx.features, metadata=False))
    for i, j in pairs:
        x = exp[i]
        compare_event(rep, f"{where}: event {i} ({x.describe()}, pgoutput change {x.change_index}, "
                           f"cedar record {got[j].record.index})", x, got[j], ctx, t, e.seq0, blocks[i])


def _sig(x) -> tuple:
    """(op, lsn, schema.table) of an expected event or a cedar_cdc event."""
    if isinstance(x, Exp):
        return (x.op, x.lsn, _data_collection(x.relation) if x.relation else "")
    src = x.source
    return (x.op, src.get("lsn"), f"{src.get('schema')}.{src.get('table')}" if x.op != "m" else "")


def unit_id(u) -> tuple:
    if isinstance(u, ExpTxn):
        return ("txn", u.txn.xid)
    if isinstance(u, ExpMsg):
        return ("msg", u.msg.lsn)
    if isinstance(u, CTxn):
        return ("txn", u.xid)
    return ("msg", u.event.source.get("lsn"))


def describe_unit(u) -> str:
    if isinstance(u, ExpTxn):
        return f"transaction xid {u.txn.xid} (commit {fmt_lsn(u.txn.commit_lsn)}, {len(u.events)} events)"
    if isinstance(u, ExpMsg):
        return f"non-transactional message prefix {u.msg.prefix!r} lsn {fmt_lsn(u.msg.lsn)}"
    if isinstance(u, CTxn):
        first = u.begin.index if u.begin else (u.events[0].record.index if u.events else "?")
        return f"transaction xid {u.xid} ({len(u.events)} events, from record {first})"
    return f"non-transactional message lsn {u.event.source.get('lsn')} (record {u.event.record.index})"


def compare_cedar(rep: Report, exp_units: list, cedar_units: list, ctx: Context) -> None:
    a = [unit_id(u) for u in exp_units]
    b = [unit_id(u) for u in cedar_units]
    pairs = []
    if a == b:
        pairs = list(zip(exp_units, cedar_units))
    else:
        if sorted(map(str, a)) == sorted(map(str, b)):
            k = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
            rep.diff(f"unit #{k}", f"order differs: pgoutput has {describe_unit(exp_units[k])}, "
                                   f"cedar_cdc has {describe_unit(cedar_units[k])}")
            byid = {unit_id(u): u for u in cedar_units}
            pairs = [(u, byid[unit_id(u)]) for u in exp_units]
        else:
            sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
            for tag, i1, i2, j1, j2 in sm.get_opcodes():
                if tag == "equal":
                    pairs += list(zip(exp_units[i1:i2], cedar_units[j1:j2]))
                    continue
                for u in exp_units[i1:i2]:
                    rep.diff(f"unit #{exp_units.index(u)}", f"missing from cedar_cdc: {describe_unit(u)}")
                for u in cedar_units[j1:j2]:
                    rep.diff("cedar_cdc", f"unexpected {describe_unit(u)}")
    for u, cu in pairs:
        idx = exp_units.index(u)
        if isinstance(u, ExpTxn):
            compare_txn(rep, idx, u, cu, ctx)
        else:
            where = f"unit #{idx} non-transactional message lsn {fmt_lsn(u.msg.lsn)} (cedar record {cu.event.record.index})"
            compare_message(rep, where, cu.event, ctx, prefix=u.msg.prefix, content=u.msg.content, lsn=u.msg.lsn,
                            xid=None, ts_us=u.ts_us, seq0=u.seq0, block=None)


# ---------------------------------------------------------------------------------------------
# pgoutput protocol 1 vs protocol 2 (streamed, reassembled)


def _change_key(ch: Change):
    rel = ch.relation
    return (ch.kind, ch.lsn, rel and (rel.relid, rel.schema, rel.name, rel.replident, rel.columns),
            ch.new, ch.old_kind, ch.old, ch.truncate_options,
            tuple((r.relid, r.schema, r.name) for r in ch.truncate_relations), ch.prefix, ch.content)


def _leaked_messages_only(t) -> bool:
    """A streamed transaction whose changes are all transactional messages tagged with the
    top-level xid after a subtransaction was aborted (see the note in compare_pgoutput)."""
    return (isinstance(t, Txn) and t.streamed and t.aborted_subxacts > 0 and bool(t.changes)
            and all(c.kind == "message" and c.subxid == t.xid for c in t.changes))


def compare_pgoutput(rep: Report, u1: list, u2: list) -> None:
    ids1 = {unit_key(u) for u in u1}
    for t in [t for t in u2 if unit_key(t) not in ids1 and _leaked_messages_only(t)]:
        rep.note(f"pgoutput proto 1 vs 2: proto 2 has transaction {t.xid} with only {len(t.changes)} transactional "
                 "message(s) of rolled-back subtransactions, which proto 1 rightly skips as empty (pgoutput streams "
                 "messages with the top-level xid, so Stream Abort cannot remove them)")
        u2 = [u for u in u2 if u is not t]
    ids1 = [unit_key(u) for u in u1]
    ids2 = [unit_key(u) for u in u2]
    if ids1 != ids2:
        sm = difflib.SequenceMatcher(None, ids1, ids2, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag != "equal":
                rep.diff("pgoutput proto 1 vs 2", f"units differ: proto 1 {ids1[i1:i2]}, proto 2 {ids2[j1:j2]}")
        return
    for idx, (a, b) in enumerate(zip(u1, u2)):
        if isinstance(a, NonTxMessage):
            if (a.prefix, a.content) != (b.prefix, b.content):
                rep.diff("pgoutput proto 1 vs 2", f"non-transactional message {fmt_lsn(a.lsn)} differs")
            continue
        where = f"pgoutput proto 1 vs 2: {txn_where(idx, a)}"
        for name in ("commit_lsn", "end_lsn", "commit_ts"):
            if getattr(a, name) != getattr(b, name):
                rep.diff(where, f"{name}: proto 1 {getattr(a, name)}, proto 2 {getattr(b, name)}")
        ka = [_change_key(c) for c in a.changes]
        bch = b.changes
        if b.aborted_subxacts:
            # PostgreSQL 15's pgoutput streams a transactional message with the top-level xid
            # (pgoutput_message: xid = txn->xid), so Stream Abort of the subtransaction that
            # emitted it cannot drop it: a known pgoutput limitation, not ours to fail.
            extra = collections.Counter(_change_key(c) for c in bch) - collections.Counter(ka)
            leaked = [c for c in bch if c.kind == "message" and c.subxid == b.xid and extra[_change_key(c)] > 0]
            if leaked:
                rep.note(f"{where}: proto 2 keeps {len(leaked)} transactional message(s) of a rolled-back "
                         f"subtransaction at {[fmt_lsn(c.lsn) for c in leaked]} (pgoutput streams messages with the "
                         "top-level xid, so Stream Abort cannot remove them)")
                bch = [c for c in bch if not any(c is x for x in leaked)]
        kb = [_change_key(c) for c in bch]
        if ka != kb:
            order = tie_order(ka, kb, lambda k: k[1], lambda k: k)
            if order is not None:
                rep.note(f"{where}: a transactional message and the next change share an LSN and come in another "
                         "order in proto 2 (PostgreSQL does not order such ties)")
                continue
            sm = difflib.SequenceMatcher(None, ka, kb, autojunk=False)
            for tag, i1, i2, j1, j2 in sm.get_opcodes():
                if tag != "equal":
                    rep.diff(where, f"changes {i1}..{i2 - 1} of proto 1 ({[c.kind for c in a.changes[i1:i2]]} at "
                                    f"{[fmt_lsn(c.lsn) for c in a.changes[i1:i2]][:5]}) vs proto 2 changes {j1}..{j2 - 1} "
                                    f"({[c.kind for c in bch[j1:j2]]} at {[fmt_lsn(c.lsn) for c in bch[j1:j2]][:5]})")


def unit_key(u) -> tuple:
    return ("txn", u.xid) if isinstance(u, Txn) else ("msg", u.lsn)
