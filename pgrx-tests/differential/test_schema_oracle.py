"""Unit tests of the schema-change oracle (no database)."""

import unittest

import schema_oracle as SO


def table(name, cols, pk=(), replident="d"):
    schema, t = name.split(".")
    return {"schema": schema, "table": t, "replident": replident, "parent": None, "pk": list(pk),
            "columns": [{"name": c, "typeName": "int4", "optional": True, "generated": False, "identity": False,
                         "default": None, "typmod": -1, "typid": 23} for c in cols]}


def record(xid, kind, name, cols=None, pk=()):
    schema, t = name.split(".")
    tab = None if cols is None else {
        "primaryKeyColumnNames": list(pk),
        "columns": [{"name": c, "typeName": "int4", "nativeType": 23, "length": 10, "scale": 0, "position": i + 1,
                     "optional": True, "generated": False, "autoIncremented": False,
                     "defaultValueExpression": None} for i, c in enumerate(cols)]}
    return {"source": {"txId": xid, "schema": schema, "table": t}, "databaseName": "db", "schemaName": schema,
            "tableChanges": [{"type": kind, "id": f'"db"."{schema}"."{t}"', "table": tab}]}


class OracleTest(unittest.TestCase):
    def test_agreeing_records_pass(self):
        init = {"1": table("public.a", ["x"])}
        snaps = [(10, {"1": table("public.a", ["x", "y"])}), (11, {"1": table("public.b", ["x", "y"])}),
                 (12, {"1": table("public.b", ["x", "y"], replident="f")}), (13, {})]
        recs = [record(10, "ALTER", "public.a", ["x", "y"]), record(11, "ALTER", "public.b", ["x", "y"]),
                record(12, "ALTER", "public.b", ["x", "y"]), record(13, "DROP", "public.b")]
        self.assertEqual(SO.check("db", recs, init, snaps), [])

    def test_missing_wrong_and_stray_records_fail(self):
        init = {"1": table("public.a", ["x"])}
        snaps = [(10, {"1": table("public.a", ["x", "y"])}), (11, {"1": table("public.a", ["x", "y"]),
                                                                   "2": table("public.c", ["z"])})]
        self.assertEqual(len(SO.check("db", [], init, snaps)), 2)
        d = SO.check("db", [record(10, "ALTER", "public.a", ["x"]), record(11, "CREATE", "public.c", ["z"]),
                            record(99, "ALTER", "public.a", ["x"])], init, snaps)
        self.assertEqual(len(d), 2, d)
        self.assertIn("ran no committed DDL", d[0])
        self.assertIn("the catalog at commit", d[1])

    def test_intermediate_name_needs_a_later_record(self):
        init = {"1": table("public.a", ["x"])}
        snaps = [(10, {"1": table("public.b", ["x", "y"])})]
        ok = [record(10, "ALTER", "public.a", ["x", "y"]), record(10, "ALTER", "public.b", ["x", "y"])]
        self.assertEqual(SO.check("db", ok, init, snaps), [])
        self.assertEqual(len(SO.check("db", ok[::-1], init, snaps)), 1)


if __name__ == "__main__":
    unittest.main()
