"""Unit tests of the pgoutput parser and stream reassembly on hand-made byte strings.

Run: python3 -m unittest discover -s pgrx-tests/differential -p 'test_*.py'
"""

import struct
import unittest

import pgoutput as P


# -- message builders (the layouts of proto.c, written independently of the parser) ----------

def s(text: str) -> bytes:
    return text.encode() + b"\0"


def tup(*cols) -> bytes:
    out = struct.pack(">h", len(cols))
    for c in cols:
        if c is None:
            out += b"n"
        elif c == "u":
            out += b"u"
        else:
            raw = c.encode() if isinstance(c, str) else c
            out += b"t" + struct.pack(">i", len(raw)) + raw
    return out


def xid_(x):
    return b"" if x is None else struct.pack(">I", x)


def begin(final_lsn, ts, xid):
    return b"B" + struct.pack(">QqI", final_lsn, ts, xid)


def commit(commit_lsn, end_lsn, ts, flags=0):
    return b"C" + struct.pack(">BQQq", flags, commit_lsn, end_lsn, ts)


def relation(relid, schema, name, cols, replident=b"d", xid=None):
    out = b"R" + xid_(xid) + struct.pack(">I", relid) + s(schema) + s(name) + replident + struct.pack(">h", len(cols))
    for flags, cname, oid, typmod in cols:
        out += struct.pack(">B", flags) + s(cname) + struct.pack(">Ii", oid, typmod)
    return out


def insert(relid, *cols, xid=None):
    return b"I" + xid_(xid) + struct.pack(">I", relid) + b"N" + tup(*cols)


def update(relid, new, old=None, kind=b"K", xid=None):
    out = b"U" + xid_(xid) + struct.pack(">I", relid)
    if old is not None:
        out += kind + tup(*old)
    return out + b"N" + tup(*new)


def delete(relid, old, kind=b"K", xid=None):
    return b"D" + xid_(xid) + struct.pack(">I", relid) + kind + tup(*old)


def truncate(relids, options, xid=None):
    return b"T" + xid_(xid) + struct.pack(">iB", len(relids), options) + b"".join(struct.pack(">I", r) for r in relids)


def message(lsn, prefix, content: bytes, transactional=True, xid=None):
    return b"M" + xid_(xid) + struct.pack(">BQ", 1 if transactional else 0, lsn) + s(prefix) + struct.pack(">i", len(content)) + content


def stream_start(xid, first):
    return b"S" + struct.pack(">IB", xid, 1 if first else 0)


def stream_stop():
    return b"E"


def stream_commit(xid, commit_lsn, end_lsn, ts):
    return b"c" + struct.pack(">IBQQq", xid, 0, commit_lsn, end_lsn, ts)


def stream_abort(xid, subxid):
    return b"A" + struct.pack(">II", xid, subxid)


COLS = [(1, "id", 23, -1), (0, "v", 25, -1), (0, "n", 1700, (10 << 16 | 2) + 4)]


class ParseMessageTest(unittest.TestCase):
    def test_begin_commit(self):
        self.assertEqual(P.parse_message(begin(0x1_0000_0010, 123456789, 4000000000)),
                         P.Begin(final_lsn=0x1_0000_0010, commit_ts=123456789, xid=4000000000))
        self.assertEqual(P.parse_message(commit(0x10, 0x40, -5, flags=0)),
                         P.Commit(flags=0, commit_lsn=0x10, end_lsn=0x40, commit_ts=-5))

    def test_relation(self):
        m = P.parse_message(relation(16385, "Sch-ema", "Tbl ü", COLS, b"f"))
        self.assertIsInstance(m, P.RelationMsg)
        self.assertIsNone(m.xid)
        r = m.relation
        self.assertEqual((r.relid, r.schema, r.name, r.replident), (16385, "Sch-ema", "Tbl ü", "f"))
        self.assertEqual(r.columns[0], P.Column("id", 23, -1, True))
        self.assertEqual(r.columns[2], P.Column("n", 1700, 655366, False))
        self.assertEqual(r.qualname, "Sch-ema.Tbl ü")

    def test_relation_in_stream_has_xid(self):
        m = P.parse_message(relation(7, "public", "t", COLS[:1], xid=991), in_stream=True)
        self.assertEqual(m.xid, 991)
        self.assertEqual(m.relation.relid, 7)

    def test_insert_tuple_kinds(self):
        m = P.parse_message(insert(7, "1", None, "u", b"\xe2\x82\xac"))
        self.assertEqual(m, P.Insert(None, 7, P.TupleData((("t", b"1"), ("n", None), ("u", None), ("t", "€".encode())))))

    def test_binary_column_and_empty_text(self):
        raw = b"I" + struct.pack(">I", 7) + b"N" + struct.pack(">h", 2) + b"b" + struct.pack(">i", 2) + b"\x00\x01" + b"t" + struct.pack(">i", 0)
        self.assertEqual(P.parse_message(raw).new.cols, (("b", b"\x00\x01"), ("t", b"")))

    def test_update_variants(self):
        self.assertEqual(P.parse_message(update(7, ["1", "x"])), P.Update(None, 7, None, None, P.TupleData((("t", b"1"), ("t", b"x")))))
        m = P.parse_message(update(7, ["2", "u"], old=["1", None], kind=b"K"))
        self.assertEqual((m.old_kind, m.old.cols, m.new.cols), ("K", (("t", b"1"), ("n", None)), (("t", b"2"), ("u", None))))
        m = P.parse_message(update(7, ["2", "y"], old=["1", "x"], kind=b"O", xid=55), in_stream=True)
        self.assertEqual((m.xid, m.old_kind), (55, "O"))

    def test_delete(self):
        m = P.parse_message(delete(7, ["1", None], kind=b"K"))
        self.assertEqual((m.relid, m.old_kind, m.old.cols), (7, "K", (("t", b"1"), ("n", None))))
        with self.assertRaises(P.ProtocolError):
            P.parse_message(b"D" + struct.pack(">I", 7) + b"N" + tup("1"))

    def test_truncate(self):
        self.assertEqual(P.parse_message(truncate([7, 8, 9], 3)), P.Truncate(None, 3, (7, 8, 9)))
        self.assertEqual(P.parse_message(truncate([7], 0, xid=4), in_stream=True), P.Truncate(4, 0, (7,)))

    def test_message(self):
        m = P.parse_message(message(0xABC, "pré", b"\x00\xff", transactional=False))
        self.assertEqual(m, P.Message(None, False, 0xABC, "pré", b"\x00\xff"))
        m = P.parse_message(message(0xABC, "", b"", xid=9), in_stream=True)
        self.assertEqual((m.xid, m.transactional, m.prefix, m.content), (9, True, "", b""))

    def test_stream_messages(self):
        self.assertEqual(P.parse_message(stream_start(77, True)), P.StreamStart(77, True))
        self.assertEqual(P.parse_message(stream_start(77, False)), P.StreamStart(77, False))
        self.assertEqual(P.parse_message(stream_stop()), P.StreamStop())
        self.assertEqual(P.parse_message(stream_commit(77, 0x100, 0x130, 42)), P.StreamCommit(77, 0, 0x100, 0x130, 42))
        self.assertEqual(P.parse_message(stream_abort(77, 78)), P.StreamAbort(77, 78))

    def test_type_and_origin(self):
        self.assertEqual(P.parse_message(b"Y" + struct.pack(">I", 99) + s("public") + s("mood")), P.TypeMsg(None, 99, "public", "mood"))
        self.assertEqual(P.parse_message(b"O" + struct.pack(">Q", 5) + s("pg_1")), P.Origin(5, "pg_1"))

    def test_malformed(self):
        for bad in (b"", b"Z", begin(1, 2, 3)[:-1], begin(1, 2, 3) + b"\0", insert(7, "1")[:-1],
                    b"R" + struct.pack(">I", 7) + b"public",  # unterminated string
                    b"I" + struct.pack(">I", 7) + b"N" + struct.pack(">h", 1) + b"x"):
            with self.assertRaises(P.ProtocolError, msg=repr(bad)):
                P.parse_message(bad)

    def test_lsn_text(self):
        self.assertEqual(P.parse_lsn("0/194AE18"), 0x194AE18)
        self.assertEqual(P.parse_lsn("1A/0"), 0x1A << 32)
        self.assertEqual(P.fmt_lsn(0x1A_0000_00FF), "1A/FF")


def rows(*msgs, lsn0=0x1000):
    """(lsn, xid, data) rows; an explicit (lsn, data) pair sets the row's lsn."""
    out = []
    lsn = lsn0
    for m in msgs:
        if isinstance(m, tuple):
            lsn, m = m
        out.append((lsn, 0, m))
        lsn += 8
    return out


class DecodeStreamTest(unittest.TestCase):
    def test_proto1_transaction(self):
        units, st = P.decode_stream(rows(
            (0x100, begin(0x500, 1000, 731)),
            (0x100, relation(7, "public", "t", COLS)),
            (0x100, insert(7, "1", "a", "1.50")),
            (0x180, update(7, ["2", "a", "1.50"], old=["1", None, None])),
            (0x200, delete(7, ["2", None, None])),
            (0x280, truncate([7], P.TRUNCATE_CASCADE)),
            (0x300, message(0x300, "p", b"m")),
            (0x580, commit(0x500, 0x580, 1000))), 1)
        self.assertEqual(len(units), 1)
        t = units[0]
        self.assertEqual((t.xid, t.commit_lsn, t.end_lsn, t.commit_ts, t.begin_lsn, t.streamed), (731, 0x500, 0x580, 1000, 0x100, False))
        self.assertEqual([c.kind for c in t.changes], ["insert", "update", "delete", "truncate", "message"])
        self.assertEqual([c.lsn for c in t.changes], [0x100, 0x180, 0x200, 0x280, 0x300])
        self.assertEqual(t.changes[1].old_kind, "K")
        self.assertEqual(t.changes[3].truncate_relations[0].name, "t")
        self.assertEqual(t.commit_ts_unix_us, 1000 + P.PG_EPOCH_US)
        self.assertEqual(st.relation_msgs, 1)

    def test_nontransactional_message_between_transactions(self):
        units, _ = P.decode_stream(rows(
            (0x90, message(0x90, "nt", b"x", transactional=False)),
            begin(0x500, 1, 5), relation(7, "public", "t", COLS), insert(7, "1", "a", None), commit(0x500, 0x540, 1)), 1)
        self.assertIsInstance(units[0], P.NonTxMessage)
        self.assertEqual((units[0].lsn, units[0].prefix, units[0].content), (0x90, "nt", b"x"))
        self.assertIsInstance(units[1], P.Txn)

    def test_relation_update_inside_transaction(self):
        units, _ = P.decode_stream(rows(
            begin(0x500, 1, 5), relation(7, "public", "t", COLS[:2]), insert(7, "1", "a"),
            relation(7, "public", "t2", COLS), insert(7, "2", "b", "3.00"), commit(0x500, 0x540, 1)), 1)
        a, b = units[0].changes
        self.assertEqual((a.relation.name, len(a.relation.columns)), ("t", 2))
        self.assertEqual((b.relation.name, len(b.relation.columns)), ("t2", 3))

    def test_streamed_reassembly_with_subtransaction_abort(self):
        # xid 100 streams in two chunks; subtransaction 101's changes are dropped by Stream Abort,
        # the top-level transaction 200 is aborted as a whole, 100 commits.
        units, st = P.decode_stream(rows(
            stream_start(100, True),
            relation(7, "public", "t", COLS, xid=100),
            (0x10, insert(7, "1", "a", None, xid=100)),
            (0x20, insert(7, "2", "b", None, xid=101)),
            (0x28, message(0x28, "sub", b"", xid=101)),
            stream_stop(),
            stream_start(200, True), insert(7, "9", "z", None, xid=200), stream_stop(),
            stream_start(100, False),
            (0x30, insert(7, "3", "c", None, xid=102)),
            (0x38, insert(7, "4", "d", None, xid=101)),
            stream_stop(),
            stream_abort(100, 101),
            stream_abort(200, 200),
            stream_start(100, False), (0x40, delete(7, ["1", None, None], xid=100)), stream_stop(),
            stream_commit(100, 0x900, 0x940, 77)), 2)
        self.assertEqual(len(units), 1)
        t = units[0]
        self.assertTrue(t.streamed)
        self.assertEqual((t.xid, t.commit_lsn, t.end_lsn, t.commit_ts, t.segments, t.aborted_subxacts), (100, 0x900, 0x940, 77, 3, 1))
        self.assertEqual([(c.kind, c.lsn, c.subxid) for c in t.changes],
                         [("insert", 0x10, 100), ("insert", 0x30, 102), ("delete", 0x40, 100)])
        self.assertEqual((st.streamed_txns, st.stream_segments, st.stream_aborts_sub, st.stream_aborts_top), (1, 4, 1, 1))

    def test_streamed_and_plain_transactions_interleave(self):
        units, _ = P.decode_stream(rows(
            stream_start(100, True), relation(7, "public", "t", COLS, xid=100), insert(7, "1", "a", None, xid=100), stream_stop(),
            begin(0x500, 1, 101), relation(7, "public", "t", COLS), insert(7, "5", "e", None), commit(0x500, 0x540, 1),
            message(0x600, "nt", b"", transactional=False),
            stream_commit(100, 0x700, 0x740, 2)), 2)
        self.assertEqual([type(u).__name__ for u in units], ["Txn", "NonTxMessage", "Txn"])
        self.assertEqual([u.xid for u in units if isinstance(u, P.Txn)], [101, 100])

    def test_empty_and_unfinished_streams(self):
        # Streamed only for catalog invalidations of another database: no change of ours.
        units, st = P.decode_stream(rows(stream_start(300, True), stream_stop(), stream_commit(300, 1, 2, 3),
                                         stream_start(301, True), stream_stop()), 2)
        self.assertEqual(units, [])
        self.assertEqual((st.empty_streamed_txns, st.open_streams, st.open_empty_streams), (1, [], [301]))
        units, st = P.decode_stream(rows(stream_start(302, True), relation(7, "public", "t", COLS, xid=302),
                                         insert(7, "1", "a", None, xid=302), stream_stop()), 2)
        self.assertEqual(st.open_streams, [302])

    def test_abort_of_an_unstreamed_transaction(self):
        # PostgreSQL 18 sends Stream Abort for a transaction it found aborted before streaming it.
        units, st = P.decode_stream(rows(stream_abort(5, 5)), 2)
        self.assertEqual((units, st.stream_aborts_unstreamed, st.stream_aborts_top), ([], 1, 0))

    def test_protocol_violations(self):
        bad_sequences = [
            (rows(insert(7, "1", "a", None)), 1),                                       # change outside a transaction
            (rows(begin(1, 2, 3), insert(7, "1", "a", None), commit(1, 2, 2)), 1),      # unknown relation
            (rows(begin(1, 2, 3), begin(1, 2, 3)), 1),                                  # nested BEGIN
            (rows(commit(1, 2, 3)), 1),                                                 # COMMIT without BEGIN
            (rows(begin(1, 2, 3), commit(9, 10, 2)), 1),                                # COMMIT of another LSN
            (rows(begin(1, 2, 3)), 1),                                                  # never committed
            (rows(stream_start(1, True)), 1),                                           # streaming in proto 1
            (rows(stream_start(1, False), stream_stop()), 2),                           # continuation of unknown xid
            (rows(stream_stop()), 2),
            (rows(stream_commit(5, 1, 2, 3)), 2),
            (rows(begin(1, 2, 3), relation(7, "public", "t", COLS), insert(7, "1", "a"), commit(1, 2, 2)), 1),  # 2 of 3 columns
        ]
        for i, (r, proto) in enumerate(bad_sequences):
            with self.assertRaises(P.ProtocolError, msg=f"sequence {i}"):
                P.decode_stream(r, proto)


if __name__ == "__main__":
    unittest.main()
