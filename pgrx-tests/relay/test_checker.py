"""checker.check on made-up records: every kind of fault is counted (no broker needed)."""

import unittest

from checker import Consumed, check
from kafka_partition import partition_for_key

T = "dbserver1.public.t"
N = 3


def rec(key, value, topic=T):
    return {"topic": topic, "key": key, "value": value}


def arrive(records, partitions=None):
    """The records as a broker holds them: on their murmur2 partition, offsets in order."""
    out, offsets = [], {}
    for i, r in enumerate(records):
        k = None if r["key"] is None else r["key"].encode()
        p = partition_for_key(k, N) if partitions is None else partitions[i]
        off = offsets.get((r["topic"], p), 0)
        offsets[(r["topic"], p)] = off + 1
        out.append(Consumed(r["topic"], p, off, k, None if r["value"] is None else r["value"].encode()))
    return out


REF = [rec(f'{{"id":{i % 4}}}', f'{{"v":{i}}}') for i in range(12)] + [rec('{"id":1}', None)]


class Check(unittest.TestCase):
    def test_identical(self):
        r = check(arrive(REF), {T: N}, REF)
        self.assertTrue(r.ok, r.problems)
        self.assertEqual((r.delivered, r.lost, r.duplicates, r.tombstones), (13, 0, 0, 1))

    def test_lost(self):
        r = check(arrive(REF[:5] + REF[6:]), {T: N}, REF)
        self.assertEqual(r.lost, 1)
        self.assertFalse(r.ok)

    def test_replay_is_duplicates_only(self):
        r = check(arrive(REF[:8] + REF[5:]), {T: N}, REF, allow_duplicates=True)
        self.assertTrue(r.ok, r.problems)
        self.assertEqual((r.lost, r.duplicates), (0, 3))
        self.assertEqual(len(r.problems), 0)
        strict = check(arrive(REF[:8] + REF[5:]), {T: N}, REF)
        self.assertEqual(len(strict.problems), 3)

    def test_replays_numbered_with_reference_index(self):
        r = check(arrive(REF[:8] + REF[5:10] + REF[7:]), {T: N}, REF, allow_duplicates=True)
        self.assertEqual((r.lost, r.duplicates), (0, 6))
        self.assertEqual(sorted(g for _, _, g, _ in r.replays), [5, 6, 7, 7, 8, 9])
        self.assertEqual(max(j for *_, j in r.replays), 2)

    def test_optional_records_may_be_absent(self):
        r = check(arrive(REF[4:]), {T: N}, REF, optional=range(4))
        self.assertTrue(r.ok, r.problems)
        self.assertEqual((r.lost, r.absent_optional), (0, 4))
        self.assertEqual(check(arrive(REF[4:]), {T: N}, REF, optional=range(3)).lost, 1)

    def test_per_key_order(self):
        swapped = REF[:4] + [REF[8], REF[4]] + REF[5:8] + REF[9:]  # key 0: v8 before v4
        r = check(arrive(swapped), {T: N}, REF)
        self.assertGreaterEqual(r.out_of_order, 1)  # v8, and any other key's record it overtook
        self.assertEqual((r.lost, r.duplicates, r.delivered), (0, 0, 13))

    def test_misplaced(self):
        parts = [partition_for_key(x["key"].encode(), N) for x in REF]
        parts[3] = (parts[3] + 1) % N
        r = check(arrive(REF, parts), {T: N}, REF)
        self.assertGreaterEqual(r.misplaced, 1)

    def test_differing_bytes(self):
        bad = REF[:2] + [rec('{"id":2}', '{"v": 2}')] + REF[3:]
        r = check(arrive(bad), {T: N}, REF)
        self.assertEqual((r.differing, r.lost), (1, 1))

    def test_processing_time_masked(self):
        ref = [rec('{"id":1}', '{"op":"c","ts_ms":1,"ts_us":2,"ts_ns":3}')]
        got = [rec('{"id":1}', '{"op":"c","ts_ms":7,"ts_us":8,"ts_ns":9}')]
        self.assertTrue(check(arrive(got), {T: N}, ref).ok)

    def test_restart_renders_last_commit_as_null(self):
        ref = [rec('{"id":1}', '{"source":{"sequence":"[null,\\"9\\"]"}}')]
        got = [rec('{"id":1}', '{"source":{"sequence":"[\\"5\\",\\"9\\"]"}}')]
        self.assertEqual(check(arrive(got), {T: N}, ref).differing, 1)
        self.assertTrue(check(arrive(got), {T: N}, ref, restarts=True).ok)

    def test_keyless_any_partition_order_within(self):
        ref = [rec(None, f'{{"v":{i}}}') for i in range(4)]
        got = arrive([ref[2], ref[0], ref[1], ref[3]], [1, 0, 0, 1])
        r = check(got, {T: N}, ref)
        self.assertTrue(r.ok, r.problems)
        bad = arrive([ref[1], ref[0], ref[2], ref[3]], [0, 0, 1, 1])
        self.assertEqual(check(bad, {T: N}, ref).out_of_order, 1)


if __name__ == "__main__":
    unittest.main()
