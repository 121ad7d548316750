"""Unit tests of the type-aware value comparison (values.py).

The Debezium side of most cases is a value the real Debezium 3.6.3 connector produced
(../conformance/testdata/reference_examples.json, README's type table).
"""

import datetime
import math
import unittest

import values as V


def same(oid, typmod, pg_text, cedar_json):
    return V.pg_canon(oid, typmod, pg_text) == V.cedar_canon(oid, typmod, cedar_json)


def num_typmod(p, s):
    return ((p << 16) | (s & 0x7FF)) + 4


class CanonTest(unittest.TestCase):
    def test_integers(self):
        self.assertTrue(same(V.INT8, -1, "-9223372036854775808", -9223372036854775808))
        self.assertTrue(same(V.INT2, -1, "-32768", -32768))
        self.assertFalse(same(V.INT4, -1, "1", True))      # a boolean is not an integer
        self.assertFalse(same(V.INT4, -1, "1", "1"))
        self.assertFalse(same(V.INT4, -1, "1", 1.0))

    def test_numeric_with_typmod(self):
        self.assertTrue(same(V.NUMERIC, num_typmod(10, 3), "1234567.891", "SZYC0w=="))
        self.assertTrue(same(V.NUMERIC, num_typmod(5, 0), "12345", "MDk="))
        self.assertTrue(same(V.NUMERIC, num_typmod(8, 2), "12.50", "BOI="))
        self.assertTrue(same(V.NUMERIC, num_typmod(5, 2), "2.22", "AN4="))
        self.assertTrue(same(V.NUMERIC, num_typmod(10, 2), "-0.01", "/w=="))
        self.assertTrue(same(V.NUMERIC, num_typmod(10, 2), "0.00", "AA=="))
        self.assertFalse(same(V.NUMERIC, num_typmod(10, 2), "1.00", "AQ=="))  # unscaled 1 = 0.01
        self.assertEqual(V.numeric_typmod(num_typmod(5, -2)), (5, -2))
        self.assertIsNone(V.pg_canon(V.NUMERIC, num_typmod(10, 2), "NaN"))

    def test_numeric_variable_scale(self):
        self.assertTrue(same(V.NUMERIC, -1, "10.1111", {"scale": 4, "value": "AYr3"}))
        self.assertTrue(same(V.NUMERIC, -1, "-0.000123", {"scale": 6, "value": "hQ=="}))
        self.assertTrue(same(V.NUMERIC, -1, "1.10", {"scale": 1, "value": "Cw=="}))      # trailing zeros stripped
        self.assertTrue(same(V.NUMERIC, -1, "2500", {"scale": 0, "value": "CcQ="}))      # no negative scale
        self.assertTrue(same(V.NUMERIC, -1, "0.0000", {"scale": 0, "value": "AA=="}))
        big = "123456789012345678901234567890.123456789"   # beyond Python's default 28 digits
        self.assertEqual(V.pg_canon(V.NUMERIC, -1, big), ("dec", 123456789012345678901234567890123456789, 9))
        self.assertFalse(same(V.NUMERIC, -1, "1.10", {"scale": 2, "value": "bg=="}))     # 110e-2: not stripped
        self.assertIsInstance(V.cedar_canon(V.NUMERIC, -1, {"value": "AA==", "scale": 0}), V.Bad)  # field order

    def test_floats(self):
        self.assertTrue(same(V.FLOAT8, -1, "1e-07", 1.0e-7))
        self.assertTrue(same(V.FLOAT8, -1, "1.5e+300", 1.5e300))
        self.assertTrue(same(V.FLOAT8, -1, "NaN", "NaN"))
        self.assertTrue(same(V.FLOAT8, -1, "-Infinity", "-Infinity"))
        self.assertTrue(same(V.FLOAT8, -1, "-0", -0.0))
        self.assertFalse(same(V.FLOAT8, -1, "-0", 0.0))
        self.assertFalse(same(V.FLOAT8, -1, "0.1", 0.1000000000000001))
        self.assertTrue(same(V.FLOAT4, -1, "3.3", 3.3))
        self.assertTrue(same(V.FLOAT4, -1, "1.1754944e-38", 1.1754944e-38))
        self.assertTrue(same(V.FLOAT4, -1, "1.1754944e-38", 1.17549435e-38))   # JDK 17 digits, same float
        self.assertFalse(same(V.FLOAT4, -1, "3.3", 3.31))
        self.assertFalse(same(V.FLOAT8, -1, "Infinity", "inf"))

    def test_text_bytea_uuid_json(self):
        self.assertTrue(same(V.TEXT, -1, "line1\nline2\ttab\\back\x01ctl", "line1\nline2\ttab\\back\x01ctl"))
        self.assertTrue(same(V.BPCHAR, 10, "ab   ", "ab   "))
        self.assertFalse(same(V.BPCHAR, 10, "ab   ", "ab"))
        self.assertTrue(same(V.BYTEA, -1, "\\x0102ff", "AQL/"))
        self.assertTrue(same(V.BYTEA, -1, "\\x", ""))
        self.assertIsInstance(V.cedar_canon(V.BYTEA, -1, "AQL"), V.Bad)
        self.assertTrue(same(V.UUID, -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        self.assertTrue(same(V.JSONB, -1, '{"a": 1, "b": [1, 2]}', '{"a": 1, "b": [1, 2]}'))
        self.assertFalse(same(V.JSON, -1, '{"a": 1,  "b":[1,2]}', '{"a": 1, "b": [1, 2]}'))  # json is verbatim

    def test_dates(self):
        self.assertTrue(same(V.DATE, -1, "2016-11-04", 17109))
        self.assertTrue(same(V.DATE, -1, "infinity", -2147472692))
        self.assertTrue(same(V.DATE, -1, "-infinity", -2147472691))
        self.assertEqual(V.pg_canon(V.DATE, -1, "0044-03-15 BC"), -735160)       # PostgreSQL: date - '1970-01-01'
        self.assertEqual(V.pg_canon(V.DATE, -1, "0001-01-01 BC"), -719528)   # idem
        epoch = datetime.date(1970, 1, 1)
        for d in (datetime.date(1, 1, 1), datetime.date(1582, 10, 15), datetime.date(1900, 3, 1),
                  datetime.date(2000, 2, 29), datetime.date(9999, 12, 31)):
            self.assertEqual(V.days_from_civil(d.year, d.month, d.day), (d - epoch).days, d)

    def test_times(self):
        self.assertTrue(same(V.TIME, -1, "13:51:30.123456", 49890123456))
        self.assertTrue(same(V.TIME, 3, "13:51:30.123", 49890123))
        self.assertTrue(same(V.TIME, 0, "13:51:30", 49890000))
        self.assertTrue(same(V.TIME, -1, "24:00:00", 86400000000))
        self.assertFalse(same(V.TIME, 3, "13:51:30.123", 49890123000))

    def test_timestamps(self):
        self.assertTrue(same(V.TIMESTAMP, -1, "2016-11-04 13:51:30.123456", 1478267490123456))
        self.assertTrue(same(V.TIMESTAMP, 0, "2016-11-04 13:51:30", 1478267490000))
        self.assertTrue(same(V.TIMESTAMP, 3, "2016-11-04 13:51:30.5", 1478267490500))
        self.assertTrue(same(V.TIMESTAMP, -1, "infinity", 9223372036825200000))
        self.assertTrue(same(V.TIMESTAMP, -1, "-infinity", -9223372036832400000))
        self.assertTrue(same(V.TIMESTAMP, 3, "infinity", 9223372036825200))
        self.assertEqual(V.pg_canon(V.TIMESTAMP, -1, "0044-03-15 12:00:00 BC"), -63517780800 * 10 ** 6)  # PostgreSQL's epoch

    def test_timestamptz(self):
        self.assertTrue(same(V.TIMESTAMPTZ, -1, "2016-11-04 11:51:30.123456+00", "2016-11-04T11:51:30.123456Z"))
        self.assertTrue(same(V.TIMESTAMPTZ, -1, "2016-11-04 13:51:30+00", "2016-11-04T13:51:30.000000Z"))
        self.assertTrue(same(V.TIMESTAMPTZ, 0, "2016-11-04 11:51:30+00", "2016-11-04T11:51:30Z"))
        self.assertTrue(same(V.TIMESTAMPTZ, 3, "2016-11-04 11:51:30.1+00", "2016-11-04T11:51:30.100Z"))
        self.assertTrue(same(V.TIMESTAMPTZ, -1, "2016-11-04 13:51:30.5+02", "2016-11-04T11:51:30.500000Z"))
        self.assertTrue(same(V.TIMESTAMPTZ, -1, "0044-03-15 12:00:00+00 BC", "-0043-03-15T12:00:00.000000Z"))
        self.assertTrue(same(V.TIMESTAMPTZ, -1, "infinity", "infinity"))
        self.assertFalse(same(V.TIMESTAMPTZ, -1, "2016-11-04 11:51:30.1+00", "2016-11-04T11:51:30.1Z"))  # width
        self.assertFalse(same(V.TIMESTAMPTZ, 0, "2016-11-04 11:51:30+00", "2016-11-04T11:51:30.000Z"))
        self.assertIsInstance(V.cedar_canon(V.TIMESTAMPTZ, -1, "2016-11-04 11:51:30.100000+00"), V.Bad)

    def test_interval(self):
        # values captured from Debezium 3.6.3
        self.assertEqual(V.pg_interval_micros("1 year 2 mons 3 days 04:05:06.78"), 37091106780000)
        self.assertEqual(V.pg_interval_micros("-1 years -2 mons +3 days -04:05:06.789"), -36572706789000)
        self.assertEqual(V.pg_interval_micros("100 years 11 mons 30 days 23:59:59.999999"), 3187366199999999)
        self.assertEqual(V.pg_interval_micros("00:00:00"), 0)
        self.assertEqual(V.pg_interval_micros("-00:00:00.000001"), -1)
        self.assertEqual(V.pg_interval_micros("1000:00:00"), 3_600_000_000_000)
        self.assertEqual(V.pg_interval_micros("6 mons"), int(6 * 30.4375 * 86400) * 10 ** 6)
        with self.assertRaises(ValueError):
            V.pg_interval_micros("P1Y2M")

    def test_arrays(self):
        self.assertEqual(V.parse_pg_array("{}"), [])
        self.assertEqual(V.parse_pg_array('{one,"two,x",NULL,"NULL","",\u2028x,"a\\"b","c\\\\d"," sp "}'),
                         ["one", "two,x", None, "NULL", "", "\u2028x", 'a"b', "c\\d", " sp "])
        self.assertEqual(V.parse_pg_array("[0:1]={1,2}"), ["1", "2"])
        self.assertTrue(same(V.INT4ARRAY, -1, "{1,2,NULL}", [1, 2, None]))
        self.assertTrue(same(V.TEXTARRAY, -1, '{one,"two,x",NULL}', ["one", "two,x", None]))
        self.assertFalse(same(V.TEXTARRAY, -1, "{NULL}", ["NULL"]))
        self.assertFalse(same(V.INT8ARRAY, -1, "{1,2}", [2, 1]))
        with self.assertRaises(ValueError):
            V.parse_pg_array("{{1,2},{3,4}}")

    def test_placeholders(self):
        self.assertEqual(V.toast_placeholder(V.TEXT), "__debezium_unavailable_value")
        self.assertEqual(V.toast_placeholder(V.JSONB), "__debezium_unavailable_value")
        self.assertEqual(V.toast_placeholder(V.BYTEA), "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==")
        self.assertEqual(V.toast_placeholder(V.TEXTARRAY), ["__debezium_unavailable_value"])
        self.assertEqual(V.toast_placeholder(V.INT4ARRAY), [95, 95, 100, 101, 98, 101, 122, 105, 117, 109, 95, 117, 110,
                                                            97, 118, 97, 105, 108, 97, 98, 108, 101, 95, 118, 97, 108, 117, 101])

    def test_bad_never_equal(self):
        b = V.cedar_canon(V.INT4, -1, "x")
        self.assertIsInstance(b, V.Bad)
        self.assertNotEqual(b, b)
        self.assertFalse(math.isnan(0.0) and b == b)

    def test_type_names(self):
        self.assertEqual(V.type_name(V.NUMERIC, num_typmod(10, 2)), "numeric(10,2)")
        self.assertEqual(V.type_name(V.VARCHAR, 44), "character varying(40)")
        self.assertEqual(V.type_name(V.TIMESTAMPTZ, 3), "timestamptz(3)")
        self.assertEqual(V.type_name(V.INTERVAL, -1), "interval")


if __name__ == "__main__":
    unittest.main()
