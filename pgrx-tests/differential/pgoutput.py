"""PostgreSQL's pgoutput logical replication protocol (versions 1 and 2, as on PostgreSQL 15).

`parse_message` turns one message (one row of `pg_logical_slot_get_binary_changes`) into a
dataclass; `decode_stream` turns the whole output of a slot into *units* in output order:
committed transactions (`Txn`, with their changes) and non-transactional logical decoding
messages (`NonTxMessage`). For protocol 2 with `streaming` on, in-progress chunks (Stream
Start/Stop) are reassembled per top-level xid, Stream Abort drops a subtransaction's changes (or
the whole transaction), and Stream Commit closes the transaction.

Message layouts (src/backend/replication/logical/proto.c, PostgreSQL 15); all integers are
big-endian, strings are NUL-terminated, `[xid]` is present only inside a stream (between Stream
Start and Stream Stop):

    B  Begin         final_lsn:i64 commit_ts:i64 xid:i32
    C  Commit        flags:i8 commit_lsn:i64 end_lsn:i64 commit_ts:i64
    O  Origin        origin_lsn:i64 name:str
    R  Relation      [xid] relid:i32 nspname:str relname:str replident:i8 natts:i16
                     natts * (flags:i8 name:str type_oid:i32 typmod:i32)
    Y  Type          [xid] oid:i32 nspname:str typname:str
    I  Insert        [xid] relid:i32 'N' tuple
    U  Update        [xid] relid:i32 ['K' tuple | 'O' tuple] 'N' tuple
    D  Delete        [xid] relid:i32 ('K' | 'O') tuple
    T  Truncate      [xid] nrels:i32 options:i8 nrels * relid:i32      (options: 1 cascade, 2 restart identity)
    M  Message       [xid] flags:i8 lsn:i64 prefix:str length:i32 content   (flags: 1 transactional)
    S  Stream Start  xid:i32 first_segment:i8
    E  Stream Stop
    c  Stream Commit xid:i32 flags:i8 commit_lsn:i64 end_lsn:i64 commit_ts:i64
    A  Stream Abort  xid:i32 subxid:i32
    tuple = natts:i16 natts * ('n' | 'u' | 't' len:i32 bytes | 'b' len:i32 bytes)

Timestamps are microseconds since 2000-01-01 UTC (`PG_EPOCH_US` converts to Unix time).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 - 1970-01-01 in microseconds

TRUNCATE_CASCADE = 1
TRUNCATE_RESTART_IDENTITY = 2


class ProtocolError(Exception):
    """The byte stream does not follow the pgoutput protocol (or its message order)."""


def fmt_lsn(lsn: Optional[int]) -> str:
    return "null" if lsn is None else f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    hi, _, lo = text.partition("/")
    return (int(hi, 16) << 32) | int(lo, 16)


# ---------------------------------------------------------------------------------------------
# Messages


@dataclass(frozen=True)
class Column:
    name: str
    type_oid: int
    typmod: int
    key: bool  # flag 1: part of the replica identity key


@dataclass(frozen=True)
class Relation:
    relid: int
    schema: str
    name: str
    replident: str  # 'd' default, 'f' full, 'i' index, 'n' nothing
    columns: tuple[Column, ...]

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class TupleData:
    """One tuple: per column (kind, raw bytes); kind 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary."""
    cols: tuple[tuple[str, Optional[bytes]], ...]


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    commit_ts: int
    xid: int


@dataclass(frozen=True)
class Commit:
    flags: int
    commit_lsn: int
    end_lsn: int
    commit_ts: int


@dataclass(frozen=True)
class Origin:
    lsn: int
    name: str


@dataclass(frozen=True)
class RelationMsg:
    xid: Optional[int]
    relation: Relation


@dataclass(frozen=True)
class TypeMsg:
    xid: Optional[int]
    oid: int
    schema: str
    name: str


@dataclass(frozen=True)
class Insert:
    xid: Optional[int]
    relid: int
    new: TupleData


@dataclass(frozen=True)
class Update:
    xid: Optional[int]
    relid: int
    old_kind: Optional[str]  # 'K', 'O' or None
    old: Optional[TupleData]
    new: TupleData


@dataclass(frozen=True)
class Delete:
    xid: Optional[int]
    relid: int
    old_kind: str
    old: TupleData


@dataclass(frozen=True)
class Truncate:
    xid: Optional[int]
    options: int
    relids: tuple[int, ...]


@dataclass(frozen=True)
class Message:
    xid: Optional[int]
    transactional: bool
    lsn: int
    prefix: str
    content: bytes


@dataclass(frozen=True)
class StreamStart:
    xid: int
    first_segment: bool


@dataclass(frozen=True)
class StreamStop:
    pass


@dataclass(frozen=True)
class StreamCommit:
    xid: int
    flags: int
    commit_lsn: int
    end_lsn: int
    commit_ts: int


@dataclass(frozen=True)
class StreamAbort:
    xid: int
    subxid: int


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolError(f"message truncated: need {n} bytes at offset {self.pos}, have {len(self.data) - self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self) -> int:
        return self.take(1)[0]

    def i16(self) -> int:
        return struct.unpack(">h", self.take(2))[0]

    def i32(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def i64(self) -> int:
        return struct.unpack(">q", self.take(8))[0]

    def u64(self) -> int:
        return struct.unpack(">Q", self.take(8))[0]

    def string(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise ProtocolError(f"unterminated string at offset {self.pos}")
        s = self.data[self.pos:end].decode("utf-8")
        self.pos = end + 1
        return s

    def tuple(self) -> TupleData:
        n = self.i16()
        cols = []
        for _ in range(n):
            kind = chr(self.i8())
            if kind in ("n", "u"):
                cols.append((kind, None))
            elif kind in ("t", "b"):
                cols.append((kind, self.take(self.i32())))
            else:
                raise ProtocolError(f"unknown tuple column kind {kind!r} at offset {self.pos - 1}")
        return TupleData(tuple(cols))

    def done(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{len(self.data) - self.pos} trailing bytes after message")


def parse_message(data: bytes, in_stream: bool = False):
    """Parses one pgoutput message. `in_stream`: between Stream Start and Stream Stop (proto 2)."""
    if not data:
        raise ProtocolError("empty message")
    r = _Reader(data)
    tag = chr(r.i8())

    def xid():
        return r.u32() if in_stream else None

    if tag == "B":
        msg = Begin(final_lsn=r.u64(), commit_ts=r.i64(), xid=r.u32())
    elif tag == "C":
        msg = Commit(flags=r.i8(), commit_lsn=r.u64(), end_lsn=r.u64(), commit_ts=r.i64())
    elif tag == "O":
        msg = Origin(lsn=r.u64(), name=r.string())
    elif tag == "R":
        x = xid()
        relid, schema, name = r.u32(), r.string(), r.string()
        replident = chr(r.i8())
        cols = []
        for _ in range(r.i16()):
            flags = r.i8()
            cols.append(Column(name=r.string(), type_oid=r.u32(), typmod=r.i32(), key=bool(flags & 1)))
        msg = RelationMsg(x, Relation(relid, schema, name, replident, tuple(cols)))
    elif tag == "Y":
        msg = TypeMsg(xid(), r.u32(), r.string(), r.string())
    elif tag == "I":
        x, relid = xid(), r.u32()
        if chr(r.i8()) != "N":
            raise ProtocolError("INSERT without 'N' tuple")
        msg = Insert(x, relid, r.tuple())
    elif tag == "U":
        x, relid = xid(), r.u32()
        kind = chr(r.i8())
        old_kind, old = None, None
        if kind in ("K", "O"):
            old_kind, old = kind, r.tuple()
            kind = chr(r.i8())
        if kind != "N":
            raise ProtocolError(f"UPDATE: expected 'N', got {kind!r}")
        msg = Update(x, relid, old_kind, old, r.tuple())
    elif tag == "D":
        x, relid = xid(), r.u32()
        kind = chr(r.i8())
        if kind not in ("K", "O"):
            raise ProtocolError(f"DELETE: expected 'K' or 'O', got {kind!r}")
        msg = Delete(x, relid, kind, r.tuple())
    elif tag == "T":
        x = xid()
        n = r.i32()
        options = r.i8()
        msg = Truncate(x, options, tuple(r.u32() for _ in range(n)))
    elif tag == "M":
        x = xid()
        flags = r.i8()
        lsn, prefix = r.u64(), r.string()
        msg = Message(x, bool(flags & 1), lsn, prefix, r.take(r.i32()))
    elif tag == "S":
        msg = StreamStart(xid=r.u32(), first_segment=r.i8() == 1)
    elif tag == "E":
        msg = StreamStop()
    elif tag == "c":
        msg = StreamCommit(xid=r.u32(), flags=r.i8(), commit_lsn=r.u64(), end_lsn=r.u64(), commit_ts=r.i64())
    elif tag == "A":
        msg = StreamAbort(xid=r.u32(), subxid=r.u32())
    else:
        raise ProtocolError(f"unknown message type {tag!r}")
    r.done()
    return msg


# ---------------------------------------------------------------------------------------------
# Units: what a consumer sees after reassembly


@dataclass
class Change:
    """One change of a transaction. kind: insert, update, delete, truncate or message."""
    kind: str
    lsn: int                      # the output row's LSN (= the change's WAL record LSN)
    relation: Optional[Relation] = None
    new: Optional[TupleData] = None
    old_kind: Optional[str] = None
    old: Optional[TupleData] = None
    truncate_options: int = 0
    truncate_relations: tuple[Relation, ...] = ()
    prefix: str = ""
    content: bytes = b""
    subxid: Optional[int] = None  # proto 2 streaming: the (sub)transaction the change belongs to


@dataclass
class Txn:
    xid: int
    commit_lsn: int
    end_lsn: int
    commit_ts: int                # µs since 2000-01-01
    begin_lsn: Optional[int]      # LSN of the BEGIN row (first sent change); None when streamed
    streamed: bool = False
    changes: list[Change] = field(default_factory=list)
    segments: int = 0             # streamed chunks
    aborted_subxacts: int = 0     # Stream Abort messages for subtransactions

    @property
    def commit_ts_unix_us(self) -> int:
        return self.commit_ts + PG_EPOCH_US


@dataclass
class NonTxMessage:
    lsn: int
    prefix: str
    content: bytes


@dataclass
class DecodeStats:
    rows: int = 0
    streamed_txns: int = 0
    stream_segments: int = 0
    stream_aborts_top: int = 0
    stream_aborts_sub: int = 0
    stream_aborts_unstreamed: int = 0
    relation_msgs: int = 0
    empty_streamed_txns: int = 0
    open_streams: list = field(default_factory=list)
    open_empty_streams: list = field(default_factory=list)


def decode_stream(rows, proto: int = 1):
    """rows: iterable of (lsn, xid, data bytes) in output order. Returns (units, stats).

    Raises ProtocolError (with the row index and LSN) on anything a correct pgoutput would not
    send: a change outside a transaction, nested BEGIN, unknown relation, misplaced stream
    messages, Stream Commit of an unknown transaction, and so on.
    """
    units: list = []
    stats = DecodeStats()
    relations: dict[int, Relation] = {}
    cur: Optional[Txn] = None           # open non-streamed transaction
    streams: dict[int, Txn] = {}         # open streamed transactions by top-level xid
    in_stream: Optional[int] = None      # xid of the current stream chunk

    for i, (lsn, row_xid, data) in enumerate(rows):
        stats.rows += 1
        try:
            msg = parse_message(data, in_stream is not None)
        except ProtocolError as e:
            raise ProtocolError(f"row {i} (lsn {fmt_lsn(lsn)}): {e}") from None

        def fail(text: str):
            raise ProtocolError(f"row {i} (lsn {fmt_lsn(lsn)}, {type(msg).__name__}): {text}")

        if isinstance(msg, (StreamStart, StreamStop, StreamCommit, StreamAbort)) and proto < 2:
            fail("streaming message with protocol version 1")
        if isinstance(msg, Begin):
            if cur is not None or in_stream is not None:
                fail("BEGIN inside a transaction or stream")
            cur = Txn(xid=msg.xid, commit_lsn=msg.final_lsn, end_lsn=0, commit_ts=msg.commit_ts, begin_lsn=lsn)
        elif isinstance(msg, Commit):
            if cur is None:
                fail("COMMIT outside a transaction")
            if msg.commit_lsn != cur.commit_lsn:
                fail(f"COMMIT commit_lsn {fmt_lsn(msg.commit_lsn)} != BEGIN final_lsn {fmt_lsn(cur.commit_lsn)}")
            if msg.commit_ts != cur.commit_ts:
                fail("COMMIT timestamp differs from BEGIN's")
            cur.end_lsn = msg.end_lsn
            units.append(cur)
            cur = None
        elif isinstance(msg, StreamStart):
            if cur is not None or in_stream is not None:
                fail("Stream Start inside a transaction or stream")
            if msg.first_segment:
                if msg.xid in streams:
                    fail(f"first segment of xid {msg.xid} twice")
                streams[msg.xid] = Txn(xid=msg.xid, commit_lsn=0, end_lsn=0, commit_ts=0, begin_lsn=None, streamed=True)
            elif msg.xid not in streams:
                fail(f"continuation segment of unknown xid {msg.xid}")
            streams[msg.xid].segments += 1
            stats.stream_segments += 1
            in_stream = msg.xid
        elif isinstance(msg, StreamStop):
            if in_stream is None:
                fail("Stream Stop outside a stream")
            in_stream = None
        elif isinstance(msg, StreamCommit):
            if in_stream is not None or cur is not None:
                fail("Stream Commit inside a stream or transaction")
            t = streams.pop(msg.xid, None)
            if t is None:
                fail(f"Stream Commit of unknown xid {msg.xid}")
            t.commit_lsn, t.end_lsn, t.commit_ts = msg.commit_lsn, msg.end_lsn, msg.commit_ts
            if not t.changes:
                # Nothing of ours: a transaction streamed only for its catalog invalidations (they
                # are decoded for every database), e.g. DDL of another database. Protocol 1 skips
                # empty transactions, so must we.
                stats.empty_streamed_txns += 1
                continue
            stats.streamed_txns += 1
            units.append(t)
        elif isinstance(msg, StreamAbort):
            if in_stream is not None or cur is not None:
                fail("Stream Abort inside a stream or transaction")
            t = streams.get(msg.xid)
            if t is None:
                # PostgreSQL 18 tells the subscriber of an abort even when nothing of the
                # transaction was streamed before (the reorder buffer found it aborted first).
                stats.stream_aborts_unstreamed += 1
                continue
            if msg.subxid == msg.xid:
                del streams[msg.xid]
                stats.stream_aborts_top += 1
            else:
                t.changes = [c for c in t.changes if c.subxid != msg.subxid]
                t.aborted_subxacts += 1
                stats.stream_aborts_sub += 1
        elif isinstance(msg, Origin):
            pass
        elif isinstance(msg, RelationMsg):
            stats.relation_msgs += 1
            if cur is None and in_stream is None:
                fail("RELATION outside a transaction")
            relations[msg.relation.relid] = msg.relation
        elif isinstance(msg, TypeMsg):
            pass
        elif isinstance(msg, Message) and not msg.transactional:
            if in_stream is not None and msg.xid is None:
                fail("message inside a stream without xid")
            units.append(NonTxMessage(lsn=msg.lsn, prefix=msg.prefix, content=msg.content))
        else:
            # A change: Insert, Update, Delete, Truncate or transactional Message.
            if in_stream is not None:
                target, subxid = streams[in_stream], msg.xid
            elif cur is not None:
                target, subxid = cur, None
            else:
                fail("change outside a transaction")
            if isinstance(msg, Message):
                if msg.lsn != lsn:
                    fail(f"message lsn {fmt_lsn(msg.lsn)} != row lsn")
                ch = Change("message", lsn, prefix=msg.prefix, content=msg.content, subxid=subxid)
            elif isinstance(msg, Truncate):
                try:
                    rels = tuple(relations[r] for r in msg.relids)
                except KeyError as e:
                    fail(f"TRUNCATE of relation {e.args[0]} without RELATION message")
                ch = Change("truncate", lsn, truncate_options=msg.options, truncate_relations=rels, subxid=subxid)
            else:
                rel = relations.get(msg.relid)
                if rel is None:
                    fail(f"change of relation {msg.relid} without RELATION message")
                if isinstance(msg, Insert):
                    ch = Change("insert", lsn, rel, new=msg.new, subxid=subxid)
                elif isinstance(msg, Update):
                    ch = Change("update", lsn, rel, new=msg.new, old_kind=msg.old_kind, old=msg.old, subxid=subxid)
                else:
                    ch = Change("delete", lsn, rel, old_kind=msg.old_kind, old=msg.old, subxid=subxid)
                for tup in (ch.new, ch.old):
                    if tup is not None and len(tup.cols) != len(rel.columns):
                        fail(f"tuple has {len(tup.cols)} columns, relation {rel.qualname} has {len(rel.columns)}")
            target.changes.append(ch)
    if cur is not None:
        raise ProtocolError(f"transaction {cur.xid} not committed at end of output")
    if in_stream is not None:
        raise ProtocolError(f"stream of xid {in_stream} not stopped at end of output")
    # Streams still open at the end belong to transactions in progress when the slot was read.
    # The workload has ended by then, so they can only be transactions of other databases (seeds
    # running in parallel), streamed for their catalog invalidations, with no change of ours.
    stats.open_streams = sorted(x for x, t in streams.items() if t.changes)
    stats.open_empty_streams = sorted(x for x, t in streams.items() if not t.changes)
    return units, stats
