"""kafka_partition.murmur2 against kafka-clients' own Utils.murmur2 (run through java)."""

import base64
import os
import random
import unittest

import relay_java
from kafka_partition import murmur2, partition_for_key

# Keys of every tail length, bytes >= 0x80 (Java sign-extends them), and Debezium-style keys.
KEYS = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"\xff", b"\x80\x81", b"\xfe\xfd\xfc",
        b"\xc3\xa9t\xc3\xa9", '{"schema":{"type":"struct"},"payload":{"id":1}}'.encode(),
        b'{"id":42}', bytes(range(256))]


class Murmur2(unittest.TestCase):
    def test_matches_kafka_clients(self):
        rng = random.Random(12)
        keys = KEYS + [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))) for _ in range(200)]
        p = relay_java.run("Murmur2Values", *(base64.b64encode(k).decode() for k in keys))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.split("\n")
        for key, line in zip(keys, lines):
            _, h, p3, p7 = line.split()
            self.assertEqual(murmur2(key), int(h), key)
            self.assertEqual(partition_for_key(key, 3), int(p3), key)
            self.assertEqual(partition_for_key(key, 7), int(p7), key)
        self.assertEqual(len([l for l in lines if l]), len(keys))

    def test_keyless_has_no_partition(self):
        self.assertIsNone(partition_for_key(None, 3))


if __name__ == "__main__":
    unittest.main()
