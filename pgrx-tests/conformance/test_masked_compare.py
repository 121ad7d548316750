"""Unit tests for masked_compare.py (masking and comparison); run: python3 -m unittest (in this directory).

testdata/reference_examples.json holds records captured from Debezium 3.6.3 (copied from
shared/reference/debezium-capture/examples.json).
"""

import json
import unittest
from pathlib import Path

from masked_compare import MASK, compare, mask, strip_sentinel

EX = json.loads((Path(__file__).parent / "testdata" / "reference_examples.json").read_text())
M = MASK


def record(key, value, topic="dbserver1.public.ri_default"):
    def payload(text):
        return None if text is None else json.dumps(json.loads(text)["payload"], separators=(",", ":"),
                                                     ensure_ascii=False)
    schema_form = key is not None and key.startswith('{"schema":')
    return {"topic": topic, "key": key, "value": value,
            "key_noschema": payload(key) if schema_form else key,
            "value_noschema": payload(value) if value is not None and value.startswith('{"schema":') else value}


class MaskTest(unittest.TestCase):
    def test_change_event_payload(self):
        self.assertEqual(
            mask(EX["ri_create_payload"]),
            '{"before":null,"after":{"id":1,"name":"n1","note":"note1","qty":10},"source":{"version":"' + M + '",'
            '"connector":"postgresql","name":"dbserver1","ts_ms":1795420461266,"snapshot":"false","db":"postgres",'
            '"sequence":"[\\"24367032\\",\\"24367032\\"]","ts_us":1795420461266802,"ts_ns":1795420461266802000,'
            '"schema":"public","table":"ri_default","txId":774,"lsn":24367032,"xmin":null,"origin":null,'
            '"origin_lsn":null},"transaction":null,"op":"c","ts_ms":' + M + ',"ts_us":' + M + ',"ts_ns":' + M + '}')

    def test_change_event_with_schema(self):
        text = EX["ri_create_val"]
        masked = mask(text)
        # The schema (which has "field":"version" and "version":1/2) is untouched.
        schema_end = text.index(',"payload":')
        self.assertEqual(masked[:schema_end], text[:schema_end])
        self.assertTrue(masked.endswith('"op":"c","ts_ms":' + M + ',"ts_us":' + M + ',"ts_ns":' + M + '}}'))
        self.assertIn('"payload":{"before":null,', masked)
        self.assertIn('"source":{"version":"' + M + '","connector":"postgresql"', masked)
        self.assertEqual(masked.count(M), 4)
        # The payload of the schema form masks exactly like the payload-only form.
        payload = json.dumps(json.loads(text)["payload"], separators=(",", ":"), ensure_ascii=False)
        self.assertEqual(payload, EX["ri_create_payload"])
        self.assertEqual(masked[len(text[:schema_end]) + len(',"payload":'):-1], mask(payload))

    def test_source_block_timestamps_not_masked(self):
        masked = mask(EX["trunc"])
        self.assertIn('"ts_ms":1795420549087,"snapshot":"false"', masked)
        self.assertIn('"ts_us":1795420549087082,"ts_ns":1795420549087082000,', masked)
        self.assertTrue(masked.endswith('"op":"t","ts_ms":' + M + ',"ts_us":' + M + ',"ts_ns":' + M + '}'))

    def test_message_events(self):
        masked = mask(EX["msg_tx_val"])
        self.assertIn('"payload":{"op":"m","ts_ms":' + M + ',"source":{"version":"' + M + '","connector"', masked)
        self.assertIn('"name":"dbserver1","ts_ms":1795420461281,', masked)
        self.assertEqual(masked.count(M), 2)
        masked = mask(EX["msg_ntx"])
        self.assertTrue(masked.startswith('{"op":"m","ts_ms":' + M + ',"source":{"version":"' + M + '",'))
        self.assertEqual(masked.count(M), 2)
        self.assertEqual(mask(EX["msg_tx_key"]), EX["msg_tx_key"])

    def test_transaction_and_heartbeat_records_untouched(self):
        for name in ("tx_key_schema", "tx_val_schema", "B26", "B5_begin", "hb_val", "ri_create_key"):
            self.assertEqual(mask(EX[name]), EX[name], name)

    def test_lookalike_text_inside_strings_untouched(self):
        # Column values are escaped JSON strings, so structure-anchored patterns cannot match them.
        text = EX["ri_create_payload"].replace(
            '"note":"note1"', '"note":"\\"source\\":{\\"version\\":\\"x\\"} \\"op\\":\\"c\\",\\"ts_ms\\":1"')
        self.assertIn('"note":"\\"source\\":{\\"version\\":\\"x\\"} \\"op\\":\\"c\\",\\"ts_ms\\":1"', mask(text))
        self.assertEqual(mask(text).count(M), 4)

    def test_snapshot_record(self):
        # Captured from Debezium 3.6.3 with snapshot.mode=initial.
        text = ('{"before":null,"after":{"id":1},"source":{"version":"3.6.3.Final","connector":"postgresql",'
                '"name":"dbserver1","ts_ms":1796158887876,"snapshot":"first","db":"conf_gen",'
                '"sequence":"[null,\\"32233568\\"]","ts_us":1796158887876119,"ts_ns":1796158887876119000,'
                '"schema":"public","table":"A","txId":766,"lsn":32233568,"xmin":null,"origin":null,'
                '"origin_lsn":null},"transaction":null,"op":"r","ts_ms":1796158888061,"ts_us":1796158888061659,'
                '"ts_ns":1796158888061659915}')
        self.assertEqual(
            mask(text),
            '{"before":null,"after":{"id":1},"source":{"version":"' + M + '","connector":"postgresql",'
            '"name":"dbserver1","ts_ms":' + M + ',"snapshot":"first","db":"conf_gen","sequence":' + M + ','
            '"ts_us":' + M + ',"ts_ns":' + M + ',"schema":"public","table":"A","txId":' + M + ',"lsn":' + M + ','
            '"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"op":"r","ts_ms":' + M + ','
            '"ts_us":' + M + ',"ts_ns":' + M + '}')
        # The marker, the database, the table and the row are still compared.
        for changed in (text.replace('"first"', '"true"'), text.replace('"A"', '"B"'),
                        text.replace('{"id":1}', '{"id":2}'), text.replace('"conf_gen"', '"x"')):
            self.assertNotEqual(mask(changed), mask(text))
        self.assertEqual(mask(text.replace('"txId":766', '"txId":9').replace('"lsn":32233568', '"lsn":1')),
                         mask(text))

    def test_snapshot_facts_of_streamed_events_compared(self):
        # Not a snapshot record: its commit time, sequence, txId and lsn stay.
        masked = mask(EX["ri_create_payload"])
        self.assertIn('"sequence":"[\\"24367032\\",\\"24367032\\"]"', masked)
        self.assertIn('"txId":774,"lsn":24367032', masked)
        # A streamed event's text cannot become a snapshot record's by its marker alone.
        fake = EX["ri_create_payload"].replace('"snapshot":"false"', '"snapshot":"first"')
        self.assertIn('"txId":774,"lsn":24367032', mask(fake))

    def test_null(self):
        self.assertIsNone(mask(None))


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.expected = [record(EX["ri_create_key"], EX["ri_create_val"]),
                         record(EX["msg_tx_key"], EX["msg_tx_val"], topic="dbserver1.message"),
                         record(EX["tx_key_schema"], EX["tx_val_schema"], topic="dbserver1.transaction"),
                         record('{"id":1}', None)]

    def copy(self):
        return [dict(r) for r in self.expected]

    def test_identical(self):
        self.assertEqual(compare(self.expected, self.copy()), [])

    def test_processing_time_and_version_ignored(self):
        actual = self.copy()
        for r in actual:
            for f in ("value", "value_noschema"):
                if r[f] is not None:
                    r[f] = (r[f].replace('"ts_ms":1795420461525,', '"ts_ms":1,')
                            .replace('"ts_ns":1795420461525665464}', '"ts_ns":7}')
                            .replace('"ts_ms":1795420461699,', '"ts_ms":99,')
                            .replace('"version":"3.6.3.Final"', '"version":"0.1.0"'))
        self.assertNotEqual(actual[0]["value"], self.expected[0]["value"])
        self.assertNotEqual(actual[1]["value_noschema"], self.expected[1]["value_noschema"])
        self.assertEqual(compare(self.expected, actual), [])

    def test_commit_time_compared(self):
        actual = self.copy()
        actual[0]["value"] = actual[0]["value"].replace('"ts_ms":1795420461266,', '"ts_ms":1795420461267,')
        actual[2]["value_noschema"] = actual[2]["value_noschema"].replace('"ts_ms":1795420549076}', '"ts_ms":1}')
        diffs = compare(self.expected, actual)
        self.assertEqual(len(diffs), 2, diffs)
        self.assertIn("record #0", diffs[0])
        self.assertIn("record #2", diffs[1])
        self.assertIn("value_noschema", diffs[1])

    def test_number_formatting_and_key_order_compared(self):
        types = EX["types_payload"]
        self.assertIn('"c_float8_small":1.0E-7,', types)
        exp = [record('{"id":1}', types, topic="dbserver1.public.types_all")]
        act = [dict(exp[0], value=types.replace("1.0E-7", "1e-07"), value_noschema=types.replace("1.0E-7", "1e-07"))]
        diffs = compare(exp, act)
        self.assertEqual(len(diffs), 2, diffs)
        self.assertIn("1e-07", diffs[0])
        act = [dict(exp[0], key_noschema='{"id":1 }')]
        self.assertEqual(len(compare(exp, act)), 1)
        swapped = EX["ri_create_payload"].replace('"name":"n1","note":"note1"', '"note":"note1","name":"n1"')
        exp = [record('{"id":1}', EX["ri_create_payload"])]
        self.assertEqual(len(compare(exp, [dict(exp[0], value=swapped)])), 1)

    def test_kafka_null_is_not_the_text_null(self):
        actual = self.copy()
        actual[3]["value"] = "null"
        diffs = compare(self.expected, actual)
        self.assertEqual(len(diffs), 1)
        self.assertIn("expected None, actual 'null'", diffs[0])

    def test_count_and_topic(self):
        actual = self.copy()[:3]
        diffs = compare(self.expected, actual)
        self.assertIn("record count: expected 4, actual 3", diffs[0])
        self.assertIn("record #3: missing record", diffs[-1])
        actual = self.copy()
        actual[1]["topic"] = "dbserver1.messages"
        self.assertEqual(len(compare(self.expected, actual)), 1)

    def test_strip_sentinel(self):
        sentinel = {"topic": "dbserver1.message", "key": None,
                    "key_noschema": '{"prefix":"cedar_cdc_conformance_end"}', "value": None, "value_noschema": None}
        self.assertEqual(strip_sentinel(self.expected + [sentinel]), self.expected)


if __name__ == "__main__":
    unittest.main()
