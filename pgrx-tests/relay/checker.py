"""What reached the broker, against what the plugin emits for the same WAL.

`read_topics` reads every partition of every topic from offset 0 to its last record with
confluent-kafka (never trusting the high watermark: tansu answers ListOffsets LATEST with the
last batch's base offset + 1, so it stops only when it has what it expects and nothing new came
for a while). `check` compares those records with the reference, the plugin's own
`output.format=record` rendering of the same WAL (topic, key and value texts, None for a Kafka
null), and counts:

* lost: reference records that never arrived (must be 0);
* duplicates: arrivals of a record already delivered (at-least-once allows them after the
  slot's confirmed position: `check` reports where each run of duplicates starts);
* misplaced: keyed records not on the partition Java's default partitioner picks
  (murmur2(key) % partitions);
* out of order: on a partition, a new record that arrived before one that precedes it in the
  reference (per-key order is per-partition order, since a key has one partition);
* differing: records whose key or value bytes differ from every reference record (after masking
  what two decodings of the same WAL legitimately differ in, as the conformance suite does).

Runs with the venv's python (.ci/setup: /var/cache/cedar_cdc/venv).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "conformance"))

from kafka_partition import partition_for_key  # noqa: E402
from masked_compare import mask  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Consumed:
    topic: str
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]


def topics(brokers: str, timeout: float = 30.0) -> dict[str, int]:
    """Every topic but Kafka's internal ones, with its partition count."""
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": brokers}).list_topics(timeout=timeout)
    return {name: len(t.partitions) for name, t in md.topics.items() if not name.startswith("__consumer")}


def read_topics(brokers: str, expected: int = 0, idle: float = 3.0,
                timeout: float = 300.0) -> tuple[list[Consumed], dict[str, int]]:
    """Every record of every topic, in offset order per partition, and the partition counts.

    Reads until at least `expected` records arrived and none came for `idle` seconds (or
    `timeout`).
    """
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    parts = topics(brokers)
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "cedar-relay-check",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "enable.partition.eof": False, "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(t, p, 0) for t, n in parts.items() for p in range(n)])
    out: list[Consumed] = []
    start = last = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if now - start > timeout or (len(out) >= expected and now - last > idle):
                break
            for m in consumer.consume(num_messages=5000, timeout=0.2):
                if m.error():
                    if m.error().code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                        continue
                    raise RuntimeError(f"consuming {m.topic()}: {m.error()}")
                out.append(Consumed(m.topic(), m.partition(), m.offset(), m.key(), m.value()))
                last = time.monotonic()
    finally:
        consumer.close()
    out.sort(key=lambda c: (c.topic, c.partition, c.offset))
    return out, parts


def _text(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8")


@dataclasses.dataclass
class Report:
    reference: int = 0
    consumed: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    misplaced: int = 0
    out_of_order: int = 0
    differing: int = 0
    tombstones: int = 0
    absent_optional: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)
    # Each duplicate: topic, partition, its reference record's index in the whole reference, and
    # which run of duplicates (replay) on that partition it belongs to, from 1.
    replays: list[tuple[str, int, int, int]] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.misplaced or self.out_of_order or self.differing)

    def summary(self) -> str:
        return (f"reference {self.reference}, consumed {self.consumed}, delivered {self.delivered}, "
                f"lost {self.lost}, duplicates {self.duplicates}, misplaced {self.misplaced}, "
                f"out of order {self.out_of_order}, differing {self.differing}, tombstones {self.tombstones}")


# The first element of source.sequence is the previous commit's LSN as the decoding session saw
# it: null for the first transaction after a (re)start. A restart mid-stream thus legitimately
# renders the same change with another sequence; kill cycles mask it (restarts=True).
_SEQUENCE_LAST_COMMIT = re.compile(r'("sequence":"\[)(?:null|\\"\d+\\")(,)')


def _ident(topic: str, key: Optional[str], value: Optional[str], restarts: bool = False) -> tuple:
    value = mask(value)
    if restarts and value is not None:
        value = _SEQUENCE_LAST_COMMIT.sub(r"\g<1><masked>\g<2>", value, count=1)
    return (topic, mask(key), value)


_ident_now = _ident


def check(consumed: list[Consumed], partitions: dict[str, int], reference: list[dict],
          allow_duplicates: bool = False, max_problems: int = 50, optional=(),
          restarts: bool = False) -> Report:
    """Compares the consumed records with the reference records (dicts topic/key/value).

    Each reference record belongs to the partition its key hashes to (keyless ones, to whichever
    partition holds them: matched by content across the topic). Without allow_duplicates any
    duplicate is a problem too. Reference records whose index is in `optional` may be absent
    (counted as absent_optional, not lost).
    """
    optional = set(optional)
    global _ident_now
    _ident_now = functools.partial(_ident, restarts=restarts)
    r = Report(reference=len(reference), consumed=len(consumed))

    def problem(msg: str) -> None:
        if len(r.problems) < max_problems:
            r.problems.append(msg)

    # The reference, split by the partition each record must land on.
    expected: dict[tuple[str, Optional[int]], list[tuple]] = defaultdict(list)
    gindex: dict[tuple[str, Optional[int]], list[int]] = defaultdict(list)
    for g, rec in enumerate(reference):
        n = partitions.get(rec["topic"])
        key = rec["key"].encode() if rec["key"] is not None else None
        where = (rec["topic"], None if n is None or key is None else partition_for_key(key, n))
        expected[where].append(_ident_now(rec["topic"], rec["key"], rec["value"]))
        gindex[where].append(g)
    got: dict[tuple[str, Optional[int]], list[Consumed]] = defaultdict(list)
    for c in consumed:
        if c.value is None:
            r.tombstones += 1
        want = partition_for_key(c.key, partitions[c.topic])
        if want is not None and want != c.partition:
            r.misplaced += 1
            problem(f"{c.topic}[{c.partition}]@{c.offset}: key {_text(c.key)[:200]} belongs on partition {want}")
        got[(c.topic, None if c.key is None else c.partition)].append(c)

    for where in sorted(set(expected) | set(got), key=lambda w: (w[0], -1 if w[1] is None else w[1])):
        exp, arrived = expected.get(where, []), got.get(where, [])
        index: dict[tuple, list[int]] = defaultdict(list)
        for i, ident in enumerate(exp):
            index[ident].append(i)
        seen = [False] * len(exp)
        gi = gindex.get(where, [])
        if where[1] is None:
            _check_keyless(r, where, exp, gi, optional, index, seen, arrived, allow_duplicates, problem)
            continue
        runs = 0
        nxt = 0  # the next reference record never delivered before, in order
        replaying = False
        for c in arrived:
            ident = _ident_now(c.topic, _text(c.key), _text(c.value))
            if nxt < len(exp) and exp[nxt] == ident and not seen[nxt]:
                seen[nxt] = True
                while nxt < len(exp) and seen[nxt]:
                    nxt += 1
                r.delivered += 1
                replaying = False
                continue
            positions = index.get(ident)
            if not positions:
                r.differing += 1
                problem(f"{c.topic}[{c.partition}]@{c.offset}: no such record in the reference: "
                        f"key {(_text(c.key) or 'null')[:200]} value {(_text(c.value) or 'null')[:300]}")
                continue
            earlier = [i for i in positions if i < nxt or seen[i]]
            if earlier:
                r.duplicates += 1
                if not replaying:
                    runs += 1
                    replaying = True
                r.replays.append((where[0], where[1], gi[earlier[0]], runs))
                if not allow_duplicates:
                    problem(f"{c.topic}[{c.partition}]@{c.offset}: duplicate of reference record #{earlier[0]}")
                continue
            later = [i for i in positions if not seen[i]]
            if all(seen[i] or gi[i] in optional for i in range(nxt, later[0])):
                # Only records that may be absent lie between: in order.
                seen[later[0]] = True
                nxt = later[0]
                while nxt < len(exp) and seen[nxt]:
                    nxt += 1
                r.delivered += 1
                replaying = False
                continue
            r.out_of_order += 1
            seen[later[0]] = True
            r.delivered += 1
            problem(f"{c.topic}[{c.partition}]@{c.offset}: reference record #{later[0]} arrived before #{nxt}")
        _count_lost(r, where, exp, gi, optional, seen, problem)
    return r


def _count_lost(r: Report, where, exp, gi, optional, seen, problem) -> None:
    missing = [i for i, s in enumerate(seen) if not s and gi[i] not in optional]
    r.absent_optional += sum(1 for i, s in enumerate(seen) if not s and gi[i] in optional)
    r.lost += len(missing)
    if missing:
        problem(f"{where[0]}[{'keyless' if where[1] is None else where[1]}]: {len(missing)} reference "
                f"records never arrived, the first #{missing[0]}: {exp[missing[0]][2]}")


def _check_keyless(r: Report, where, exp, gi, optional, index, seen, arrived, allow_duplicates, problem) -> None:
    """Keyless records of one topic: any partition (the producer's sticky choice), and no order
    across partitions, but within one partition the reference order."""
    last: dict[int, int] = {}
    for c in arrived:
        ident = _ident_now(c.topic, _text(c.key), _text(c.value))
        positions = index.get(ident)
        if not positions:
            r.differing += 1
            problem(f"{c.topic}[{c.partition}]@{c.offset}: no such keyless record in the reference: "
                    f"value {(_text(c.value) or 'null')[:300]}")
            continue
        new = [i for i in positions if not seen[i]]
        if not new:
            r.duplicates += 1
            if not allow_duplicates:
                problem(f"{c.topic}[{c.partition}]@{c.offset}: duplicate of keyless reference record #{positions[0]}")
            continue
        seen[new[0]] = True
        r.delivered += 1
        if new[0] < last.get(c.partition, -1):
            r.out_of_order += 1
            problem(f"{c.topic}[{c.partition}]@{c.offset}: keyless reference record #{new[0]} after #{last[c.partition]}")
        last[c.partition] = new[0]
    _count_lost(r, where, exp, gi, optional, seen, problem)
