"""Unit tests of the comparison: a hand-made pgoutput transaction and the cedar_cdc records a
correct plugin emits for it compare clean, and each single mutation of those records is reported.
"""

import base64
import copy
import json
import unittest

import cedar
import expected_events as C
import pgoutput as P
from test_pgoutput import begin, commit, delete, insert, message, relation, rows, truncate, update

T_PG = 1_000                      # commit time, µs since 2000-01-01
T_US = T_PG + P.PG_EPOCH_US       # ... since 1970
COLS = [(1, "id", 23, -1), (0, "v", 25, -1), (0, "n", 1700, (10 << 16 | 2) + 4), (0, "big", 25, -1)]
PH = "__debezium_unavailable_value"


def pg_rows():
    return rows(
        (0x100, begin(0x500, T_PG, 700)),
        (0x100, relation(7, "public", "t", COLS)),
        (0x100, insert(7, "1", "a", "1.50", "x")),
        (0x180, update(7, ["2", "a", "1.50", "u"], old=["1", None, None, None], kind=b"K")),   # key change
        (0x200, update(7, ["2", "b", "1.50", "u"])),
        (0x280, delete(7, ["2", None, None, None], kind=b"K")),
        (0x300, truncate([7], P.TRUNCATE_CASCADE)),
        (0x380, message(0x380, "p", b"hi")),
        (0x540, commit(0x500, 0x540, T_PG)),
        (0x600, message(0x600, "nt", b"\x00", transactional=False)))


def source(lsn, xid=700, table="t", schema="public", seq0=None, ts=T_US):
    return {"version": "cedar_cdc-0.1.0", "connector": "postgresql", "name": "srv", "ts_ms": ts // 1000,
            "snapshot": "false", "db": "db", "sequence": json.dumps([seq0, str(lsn)], separators=(",", ":")),
            "ts_us": ts, "ts_ns": ts * 1000, "schema": schema, "table": table, "txId": xid, "lsn": lsn,
            "xmin": None, "origin": None, "origin_lsn": None}


# A logical-message data collection (its stand-in hash is the message LSN's low 31 bits).
MSG = C.MESSAGE_COLLECTION


def change(op, lsn, before, after, order, dco):
    return {"before": before, "after": after, "source": source(lsn), "op": op,
            "transaction": {"id": f"700:{lsn}", "total_order": order, "data_collection_order": dco},
            "ts_ms": 1, "ts_us": 1, "ts_ns": 1}


def good_records(metadata=True):
    """What a correct cedar_cdc writes for pg_rows(), as (topic, key, value) with parsed key/value."""
    row1 = {"id": 1, "v": "a", "n": "AJY=", "big": "x"}
    recs = [
        ("srv.transaction", {"id": "700:256"}, {"status": "BEGIN", "id": "700:256", "event_count": None,
                                                 "data_collections": None, "ts_ms": T_US // 1000}),
        ("srv.public.t", {"id": 1}, change("c", 0x100, None, row1, 1, 1)),
        ("srv.public.t", {"id": 1}, change("d", 0x180, {"id": 1, "v": "", "n": "AA==", "big": ""}, None, 2, 2)),
        ("srv.public.t", {"id": 1}, None),
        ("srv.public.t", {"id": 2}, change("c", 0x180, None, {"id": 2, "v": "a", "n": "AJY=", "big": PH}, 3, 3)),
        ("srv.public.t", {"id": 2}, change("u", 0x200, None, {"id": 2, "v": "b", "n": "AJY=", "big": PH}, 4, 4)),
        ("srv.public.t", {"id": 2}, change("d", 0x280, {"id": 2, "v": None, "n": None, "big": None}, None, 5, 5)),
        ("srv.public.t", {"id": 2}, None),
        ("srv.public.t", None, change("t", 0x300, None, None, 6, 6)),
        ("srv.message", {"prefix": "p"}, {"op": "m", "ts_ms": 1, "source": source(0x380, table="", schema=""),
                                          "transaction": {"id": "700:896", "total_order": 7, "data_collection_order": 1},
                                          "message": {"prefix": "p", "content": base64.b64encode(b"hi").decode()}}),
        ("srv.transaction", {"id": "700:1344"}, {"status": "END", "id": "700:1344", "event_count": 7,
                                                  "data_collections": [{"data_collection": MSG + "@380", "event_count": 1},
                                                                       {"data_collection": "public.t", "event_count": 6}],
                                                  "ts_ms": T_US // 1000}),
        ("srv.message", {"prefix": "nt"}, {"op": "m", "ts_ms": 1, "source": source(0x600, xid=None, table="", schema="",
                                                                                  seq0=str(0x600)),
                                           "transaction": None, "message": {"prefix": "nt", "content": "AA=="}}),
    ]
    if not metadata:
        recs = [r for r in recs if r[0] != "srv.transaction"]
        for _, _, v in recs:
            if v is not None:
                v["transaction"] = None
    return recs


def encode(recs):
    out = []
    for i, (topic, key, value) in enumerate(recs):
        data = json.dumps({"topic": topic, "key": None if key is None else json.dumps(key),
                           "value": None if value is None else json.dumps(value)})
        out.append((0x100 + i, 700, data))
    return out


def run(recs_or_rows, features=None, encoded=False):
    features = features or C.Features()
    ctx = C.Context(seed=0, prefix="srv", db="db", pk={7: ["id"]}, features=features)
    units, _ = P.decode_stream(pg_rows(), 1)
    rep = C.Report(0)
    records, problems = cedar.parse_rows(recs_or_rows if encoded else encode(recs_or_rows))
    cunits, gproblems = cedar.group(records, "srv", features.metadata)
    for p in problems + gproblems:
        rep.diff("structure", p)
    C.compare_cedar(rep, C.expected_units(units, ctx), cunits, ctx)
    return rep


def value_of(recs, i):
    return recs[i][2]


class CompareTest(unittest.TestCase):
    def test_correct_output_is_clean(self):
        rep = run(good_records())
        self.assertEqual(rep.diffs, [])

    def test_without_transaction_metadata(self):
        rep = run(good_records(metadata=False), C.Features(metadata=False))
        self.assertEqual(rep.diffs, [])

    def test_truncate_and_messages_not_yet_emitted(self):
        recs = [r for r in good_records(metadata=False) if r[0] != "srv.message" and (r[2] or {}).get("op") != "t"]
        rep = run(recs, C.Features(metadata=False, truncate=False, messages=False))
        self.assertEqual(rep.diffs, [])

    MUTATIONS = [
        # (description, mutation, text the report must contain)
        ("value", lambda r: value_of(r, 1)["after"].update(v="b"), "after.v (text): pgoutput 'a'"),
        ("numeric", lambda r: value_of(r, 1)["after"].update(n="AJc="), "after.n (numeric(10,2))"),
        ("key", lambda r: r.__setitem__(1, (r[1][0], {"id": 9}, r[1][2])), "key.id"),
        ("old key image", lambda r: value_of(r, 2)["before"].update(id=5), "before.id (integer)"),
        ("placeholder", lambda r: value_of(r, 4)["after"].update(big="x"), "unchanged TOAST value"),
        ("update before", lambda r: value_of(r, 5).update(before={"id": 2, "v": "a", "n": "AJY=", "big": PH}),
         "before: expected null"),
        ("extra column", lambda r: value_of(r, 1)["after"].update(extra=1), "columns differ"),
        ("column order", lambda r: value_of(r, 1).update(after={"v": "a", "id": 1, "n": "AJY=", "big": "x"}),
         "column order differs"),
        ("op", lambda r: value_of(r, 5).update(op="c"), "op: expected 'u'"),
        ("lsn", lambda r: value_of(r, 1)["source"].update(lsn=1), "source.lsn"),
        ("xid", lambda r: value_of(r, 5)["source"].update(txId=701), "source.txId"),
        ("commit time", lambda r: value_of(r, 5)["source"].update(ts_us=T_US + 1), "source.ts_us"),
        ("sequence", lambda r: value_of(r, 5)["source"].update(sequence='["1","512"]'), "source.sequence"),
        ("database", lambda r: value_of(r, 1)["source"].update(db="x"), "source.db"),
        ("table", lambda r: value_of(r, 8)["source"].update(table="u"), "source.table"),
        ("topic", lambda r: r.__setitem__(1, ("srv.public.u",) + r[1][1:]), "topic"),
        ("no tombstone", lambda r: r.pop(3), "not followed by a tombstone"),
        ("tombstone key", lambda r: r.__setitem__(7, (r[7][0], {"id": 3}, None)), "tombstone topic/key"),
        ("dropped event", lambda r: r.pop(8), "missing from cedar_cdc"),
        ("extra event", lambda r: r.insert(9, copy.deepcopy(r[8])), "unexpected t"),
        ("swapped events", lambda r: r.__setitem__(slice(5, 8), [r[6], r[7], r[5]]), "op: expected"),
        ("truncate key", lambda r: r.__setitem__(8, (r[8][0], {"id": 1}, r[8][2])), "a truncate has a null key"),
        ("message content", lambda r: value_of(r, 9)["message"].update(content="aGo="), "message.content"),
        ("message prefix", lambda r: value_of(r, 9)["message"].update(prefix="q"), "message.prefix"),
        ("non-tx message lsn", lambda r: value_of(r, 11)["source"].update(lsn=5), "missing from cedar_cdc"),
        ("non-tx message time", lambda r: value_of(r, 11)["source"].update(ts_us=5), "source.ts_us"),
        ("unit order", lambda r: r.insert(0, r.pop(11)), "order differs"),
        ("BEGIN id", lambda r: value_of(r, 0).update(id="700:1"), "BEGIN record"),
        ("END count", lambda r: value_of(r, 10).update(event_count=6), "END record"),
        ("END commit LSN", lambda r: value_of(r, 10).update(id="700:1300"), "END record"),
        ("END collections", lambda r: value_of(r, 10).update(data_collections=[]), "END record"),
        ("END ts", lambda r: value_of(r, 10).update(ts_ms=1), "END record"),
        ("no END", lambda r: r.pop(10), "no END"),
        ("block order", lambda r: value_of(r, 5)["transaction"].update(total_order=9), "transaction block"),
        ("block id", lambda r: value_of(r, 5)["transaction"].update(id="700:256"), "transaction block"),
        ("message block", lambda r: value_of(r, 9)["transaction"].update(data_collection_order=2), "transaction block"),
    ]

    def test_every_mutation_is_reported(self):
        for name, mutate, expect in self.MUTATIONS:
            with self.subTest(name):
                recs = copy.deepcopy(good_records())
                mutate(recs)
                rep = run(recs)
                self.assertTrue(rep.diffs, f"{name}: not detected")
                self.assertTrue(any(expect in d for d in rep.diffs), f"{name}: {rep.diffs}")

    def test_report_names_seed_transaction_event_and_values(self):
        recs = copy.deepcopy(good_records())
        value_of(recs, 5)["after"]["v"] = "c"
        (d,) = run(recs).diffs
        self.assertEqual(d, "seed 0: txn #0 xid 700 (commit 0/500, end 0/540): event 3 (u public.t lsn 0/200, "
                            "pgoutput change 2, cedar record 5): after.v (text): pgoutput 'b' (= 'b'), cedar_cdc 'c' (= 'c')")

    def test_unparsable_and_duplicate_keys(self):
        good = encode(good_records())
        bad = list(good)
        bad[1] = (bad[1][0], bad[1][1], bad[1][2].replace('"topic"', '"topic": "x", "topic"', 1))
        self.assertTrue(any("duplicate JSON key" in d for d in run(bad, encoded=True).diffs))
        bad[1] = (bad[1][0], bad[1][1], "{")
        self.assertTrue(any("unparsable" in d for d in run(bad, encoded=True).diffs))


class PgoutputSelfCompareTest(unittest.TestCase):
    def test_identical_and_different(self):
        u1, _ = P.decode_stream(pg_rows(), 1)
        u2, _ = P.decode_stream(pg_rows(), 1)
        rep = C.Report(0)
        C.compare_pgoutput(rep, u1, u2)
        self.assertEqual(rep.diffs, [])
        u2[0].changes.pop(2)
        C.compare_pgoutput(rep, u1, u2)
        self.assertTrue(rep.diffs)


    def test_streamed_message_of_aborted_subtransaction_is_a_note(self):
        from test_pgoutput import stream_abort, stream_commit, stream_start, stream_stop
        cols = COLS
        u1, _ = P.decode_stream(rows(begin(0x500, 1, 727), relation(7, "public", "t", cols),
                                     (0x90, insert(7, "0", "kept", None, None)), commit(0x500, 0x540, 1)), 1)
        u2, _ = P.decode_stream(rows(
            stream_start(727, True), (0x80, message(0x80, "p", b"rolled back", xid=727)), stream_stop(),
            stream_abort(727, 728),
            stream_start(727, False), relation(7, "public", "t", cols, xid=727),
            (0x90, insert(7, "0", "kept", None, None, xid=729)), stream_stop(),
            stream_commit(727, 0x500, 0x540, 1)), 2)
        rep = C.Report(0)
        C.compare_pgoutput(rep, u1, u2)
        self.assertEqual(rep.diffs, [])
        self.assertEqual(len(rep.notes), 1)
        # ... and a transaction left with nothing but such messages exists only in proto 2
        u3, _ = P.decode_stream(rows(
            stream_start(800, True), (0x80, message(0x80, "p", b"x", xid=800)), stream_stop(),
            stream_abort(800, 801), stream_commit(800, 0x600, 0x640, 1)), 2)
        rep = C.Report(0)
        C.compare_pgoutput(rep, u1, u3 + u2)
        self.assertEqual(rep.diffs, [])
        self.assertEqual(len(rep.notes), 2)


    def test_equal_lsn_ties_may_come_in_either_order(self):
        # a transactional message gets the LSN of the end of its record = the next change's LSN
        from test_pgoutput import stream_commit, stream_start, stream_stop
        u1, _ = P.decode_stream(rows(begin(0x500, 1, 900), relation(7, "public", "t", COLS),
                                     (0x80, message(0x80, "p", b"m")), (0x80, delete(7, ["1", None, None, None])),
                                     commit(0x500, 0x540, 1)), 1)
        u2, _ = P.decode_stream(rows(stream_start(900, True), relation(7, "public", "t", COLS, xid=900),
                                     (0x80, delete(7, ["1", None, None, None], xid=901)),
                                     (0x80, message(0x80, "p", b"m", xid=900)), stream_stop(),
                                     stream_commit(900, 0x500, 0x540, 1)), 2)
        rep = C.Report(0)
        C.compare_pgoutput(rep, u1, u2)
        self.assertEqual((rep.diffs, len(rep.notes)), ([], 1))
        # ... but not changes at different LSNs
        u3, _ = P.decode_stream(rows(stream_start(900, True), relation(7, "public", "t", COLS, xid=900),
                                     (0x88, delete(7, ["1", None, None, None], xid=901)),
                                     (0x80, message(0x80, "p", b"m", xid=900)), stream_stop(),
                                     stream_commit(900, 0x500, 0x540, 1)), 2)
        rep = C.Report(0)
        C.compare_pgoutput(rep, u1, u3)
        self.assertTrue(rep.diffs)

    def test_cedar_tie_order(self):
        pg = rows((0x100, begin(0x500, T_PG, 700)), (0x100, relation(7, "public", "t", COLS)),
                  (0x100, message(0x100, "p", b"hi")), (0x100, insert(7, "1", "a", "1.50", "x")),
                  (0x540, commit(0x500, 0x540, T_PG)))
        recs = [
            ("srv.transaction", {"id": "700:256"}, {"status": "BEGIN", "id": "700:256", "event_count": None,
                                                     "data_collections": None, "ts_ms": T_US // 1000}),
            ("srv.public.t", {"id": 1}, change("c", 0x100, None, {"id": 1, "v": "a", "n": "AJY=", "big": "x"}, 1, 1)),
            ("srv.message", {"prefix": "p"}, {"op": "m", "ts_ms": 1, "source": source(0x100, table="", schema=""),
                                              "transaction": {"id": "700:256", "total_order": 2, "data_collection_order": 1},
                                              "message": {"prefix": "p", "content": "aGk="}}),
            ("srv.transaction", {"id": "700:1344"}, {"status": "END", "id": "700:1344", "event_count": 2,
                                                      "data_collections": [{"data_collection": MSG + "@100", "event_count": 1},
                                                                           {"data_collection": "public.t", "event_count": 1}],
                                                      "ts_ms": T_US // 1000})]
        ctx = C.Context(seed=0, prefix="srv", db="db", pk={7: ["id"]}, features=C.Features())
        units, _ = P.decode_stream(pg, 1)
        records, problems = cedar.parse_rows(encode(recs))
        cunits, gproblems = cedar.group(records, "srv", True)
        rep = C.Report(0)
        C.compare_cedar(rep, C.expected_units(units, ctx), cunits, ctx)
        self.assertEqual((problems, gproblems, rep.diffs, len(rep.notes)), ([], [], [], 1))
        value_of(recs, 2)["transaction"]["total_order"] = 1   # the blocks follow cedar_cdc's order
        records, _ = cedar.parse_rows(encode(recs))
        rep = C.Report(0)
        C.compare_cedar(rep, C.expected_units(units, ctx), cedar.group(records, "srv", True)[0], ctx)
        self.assertTrue(any("transaction block" in d for d in rep.diffs))


class HelpersTest(unittest.TestCase):
    def test_java_hash_and_hashmap_order(self):
        # Debezium 3.6.3 listed public.ri_default before public.cpk although cpk came first.
        self.assertEqual(C.java_string_hash("public.ri_default"), 561865950)
        self.assertEqual(C.java_string_hash("public.cpk"), 1903345817)
        self.assertEqual(C.java_hashmap_order(["public.cpk", "public.ri_default"]), ["public.ri_default", "public.cpk"])
        # captured from Debezium 3.6.3: t1..t11, two messages, t12, t13 in one transaction (15 entries)
        self.assertEqual(C.java_hashmap_order([f"public.t{i}" for i in range(1, 14)], 2),
                         ["public.t12", "public.t13", "public.t8", "public.t7", "public.t9", "public.t4", "public.t3",
                          "public.t6", "public.t5", "public.t10", "public.t11", "public.t2", "public.t1"])
        keys = [f"s.t{i}" for i in range(20)]          # 20 entries: table of 32 buckets
        self.assertEqual(sorted(C.java_hashmap_order(keys)), sorted(keys))

    def test_sanitize_topic(self):
        self.assertEqual(C.sanitize_topic("dbserver1.Odd-Schema.Mixed Table"), "dbserver1.Odd-Schema.Mixed_Table")
        self.assertEqual(C.sanitize_topic("srv.Sch-ema.Tbl ü.x"), "srv.Sch-ema.Tbl__.x")
        self.assertEqual(C.sanitize_topic("a😀b"), "a__b")


if __name__ == "__main__":
    unittest.main()
