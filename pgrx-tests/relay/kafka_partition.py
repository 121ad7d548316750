"""The Java Kafka client's default partition of a keyed record: murmur2 of the key bytes.

org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c), made positive with
`& 0x7fffffff` (Utils.toPositive) and taken modulo the partition count, as
BuiltInPartitioner.partitionForKey does. librdkafka's `murmur2_random` is the same for keyed
records; a keyless record has no fixed partition (sticky), so None.
"""

from __future__ import annotations

from typing import Optional

M = 0x5BD1E995
SEED = 0x9747B28C
MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Utils.murmur2 as a signed 32-bit int, as Java returns it."""
    length = len(data)
    h = (SEED ^ length) & MASK
    nblocks = length // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * M) & MASK
        k ^= k >> 24
        k = (k * M) & MASK
        h = (h * M) & MASK
        h ^= k
    tail = length & ~3
    rem = length % 4
    # Java's switch falls through from 3 to 2 to 1; bytes are sign-extended, then masked.
    if rem == 3:
        h ^= (data[tail + 2] & 0xFF) << 16
    if rem >= 2:
        h ^= (data[tail + 1] & 0xFF) << 8
    if rem >= 1:
        h ^= data[tail] & 0xFF
        h = (h * M) & MASK
    h ^= h >> 13
    h = (h * M) & MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: Optional[bytes], partitions: int) -> Optional[int]:
    """The partition the Java producer picks for this key, or None for a keyless record."""
    if key is None:
        return None
    return (murmur2(key) & 0x7FFFFFFF) % partitions
