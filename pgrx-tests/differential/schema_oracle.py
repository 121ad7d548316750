"""Oracle for cedar_cdc's schema-change records (include.schema.changes).

The driver takes a catalog snapshot (CATALOG_QUERY) before the workload and after the commit of
every transaction that ran DDL, keyed by that transaction's xid, in commit order. A fourth slot
decodes the workload with include.schema.changes=true; its schema-change records must agree with
the snapshots:

- every record belongs to a transaction that ran DDL and committed, and records come in the
  snapshots' commit order;
- for every such transaction, each table's last record in it describes the table exactly as the
  snapshot after its commit does (name, columns in order with type, nullability, default,
  generated, identity/serial, key columns; DROP when the table is gone);
- a table without a record in it is unchanged from the snapshot before (replica identity and
  partition parent included, which make an ALTER record though its Table schema cannot show them);
- a record for a name no table has at commit is an intermediate state (a row of the table came
  before it was renamed again) and must be followed by another record of the transaction.
"""

from __future__ import annotations

import json

# One JSON object per snapshot: table OID -> shape, for the tables cedar_cdc captures. It takes
# no lock (other connections may hold tables exclusively): defaults are deparsed without their
# relation (pg_get_expr(adbin, 0)), which generated columns' expressions need, so theirs are not
# compared.
CATALOG_QUERY = r"""
SELECT coalesce(json_object_agg(c.oid::text, json_build_object(
  'schema', n.nspname, 'table', c.relname, 'replident', c.relreplident,
  'parent', (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
               JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition),
  'columns', (SELECT coalesce(json_agg(json_build_object(
                 'name', a.attname, 'typeName', t.typname, 'optional', NOT a.attnotnull,
                 'generated', a.attgenerated <> '', 'identity', a.attidentity <> '',
                 'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0) END, 'typmod', a.atttypmod, 'typid', a.atttypid::int)
                 ORDER BY a.attnum), '[]')
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  'pk', (SELECT coalesce(json_agg(a.attname ORDER BY k.ord), '[]')
           FROM (SELECT i.indkey FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                  WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisunique)
                    AND 0 <> ALL (i.indkey::int2[])
                  ORDER BY i.indisprimary DESC, NOT i.indisclustered, ic.relname COLLATE "C" LIMIT 1) x,
                unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)
  )), '{}')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND c.oid >= 16384
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
"""


def length_scale(typid: int, typmod: int):
    """Length and scale where the typmod decides them (varchar, bpchar, numeric); else None."""
    if typid in (1042, 1043):
        return (typmod - 4, 0) if typmod >= 0 else (2147483647, 0)
    if typid == 1700:
        return (((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF) if typmod >= 0 else (0, 0)
    return None


def catalog_table(t: dict) -> dict:
    """A snapshot's table as the comparable part of a record."""
    cols = []
    for i, c in enumerate(t["columns"]):
        default = c["default"]
        cols.append({
            "name": c["name"], "typeName": c["typeName"], "position": i + 1, "optional": c["optional"],
            "generated": c["generated"],
            "autoIncremented": c["identity"] or (default is not None and "nextval(" in default),
            "defaultValueExpression": default, "ls": length_scale(c["typid"], c["typmod"]),
        })
    return {"name": f"{t['schema']}.{t['table']}", "pk": t["pk"], "columns": cols}


def record_table(schema: str, table: str, rec_table: dict) -> dict:
    cols = []
    for c in rec_table["columns"]:
        typid = c["nativeType"]
        cols.append({
            "name": c["name"], "typeName": c["typeName"], "position": c["position"], "optional": c["optional"],
            "generated": c["generated"], "autoIncremented": c["autoIncremented"],
            "defaultValueExpression": None if c["generated"] else c["defaultValueExpression"],
            "ls": (c["length"], c["scale"]) if typid in (1042, 1043, 1700) else None,
        })
    return {"name": f"{schema}.{table}", "pk": rec_table["primaryKeyColumnNames"], "columns": cols}


def hidden(t: dict) -> tuple:
    """What makes a change though a record's Table cannot show it."""
    return (t["replident"], t["parent"])


def parse_records(rows) -> list:
    """(txId, value) of the schema-change records among a slot's rows (value format, no schemas)."""
    out = []
    for _lsn, _xid, data in rows:
        v = json.loads(data)
        if isinstance(v, dict) and "tableChanges" in v:
            out.append(v)
    return out


def check(db: str, records: list, initial: dict, snapshots: list) -> list[str]:
    """Differences between the records and the snapshots ((xid, {oid: table}) in commit order)."""
    diffs = []
    order = {xid: i for i, (xid, _) in enumerate(snapshots)}
    by_txn: dict = {}
    last_index = -1
    for n, r in enumerate(records):
        xid = r["source"]["txId"]
        if xid not in order:
            diffs.append(f"schema-change record {n} (txId {xid}, {r['tableChanges'][0]['id']}): "
                         "its transaction ran no committed DDL")
            continue
        if order[xid] < last_index:
            diffs.append(f"schema-change record {n} (txId {xid}) out of commit order")
        last_index = order[xid]
        if r["databaseName"] != db:
            diffs.append(f"schema-change record {n}: databaseName {r['databaseName']!r}, expected {db!r}")
        ch = r["tableChanges"][0]
        name = f"{r['source']['schema']}.{r['source']['table']}"
        if ch["id"] != f'"{db}"."{r["source"]["schema"]}"."{r["source"]["table"]}"' or r["schemaName"] != r["source"]["schema"]:
            diffs.append(f"schema-change record {n}: id {ch['id']} / schemaName {r['schemaName']} do not name {name}")
        by_txn.setdefault(xid, {})[name] = (n, ch["type"], ch["table"], r["source"]["schema"], r["source"]["table"])
    prev = initial
    for xid, snap in snapshots:
        recs = dict(by_txn.get(xid, {}))
        for oid in sorted(set(prev) | set(snap), key=int):
            before, after = prev.get(oid), snap.get(oid)
            bname = f"{before['schema']}.{before['table']}" if before else None
            aname = f"{after['schema']}.{after['table']}" if after else None
            if after is not None:
                rec = recs.pop(aname, None)
                if rec is None:
                    if before is None:
                        diffs.append(f"txn {xid}: table {aname} created (or newly captured) without a CREATE record")
                    elif catalog_table(before) != catalog_table(after) or hidden(before) != hidden(after):
                        diffs.append(f"txn {xid}: table {aname} changed without a record: "
                                     f"{catalog_table(before)} -> {catalog_table(after)}")
                    continue
                n, kind, table, schema, tname = rec
                want_kind = "CREATE" if before is None else "ALTER"
                if kind != want_kind:
                    diffs.append(f"txn {xid}: record {n} for {aname} is {kind}, expected {want_kind}")
                if table is None:
                    diffs.append(f"txn {xid}: record {n} for {aname} has no table")
                    continue
                got, want = record_table(schema, tname, table), catalog_table(after)
                if got != want:
                    diffs.append(f"txn {xid}: record {n} for {aname} describes {got}, the catalog at commit {want}")
            if before is not None and (after is None or bname != aname):
                rec = recs.get(bname)
                if after is None and rec is None:
                    diffs.append(f"txn {xid}: table {bname} dropped without a DROP record")
                elif after is None and rec[1] != "DROP":
                    diffs.append(f"txn {xid}: record {rec[0]} for dropped {bname} is {rec[1]}")
                if rec is not None and (after is None or rec[1] == "DROP"):
                    recs.pop(bname)
        last = max((r[0] for r in by_txn.get(xid, {}).values()), default=-1)
        for name, rec in recs.items():
            # A name the table had in between (renamed again after a row): a later record of
            # the transaction describes the table as committed.
            if rec[0] < last and name not in {f"{t['schema']}.{t['table']}" for t in snap.values()}:
                continue
            diffs.append(f"txn {xid}: record {rec[0]} ({rec[1]} {name}) for no table the catalog shows changed")
        prev = snap
    return diffs
