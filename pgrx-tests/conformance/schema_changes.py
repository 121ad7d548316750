"""cedar_cdc's schema-change records (include.schema.changes) against the real JsonConverter.

The PostgreSQL connector writes no schema-change records, so there is no Debezium output to
compare with; instead every record of a DDL workload (debezium/SchemaChangeCheck.java) is read by
Kafka Connect's JsonConverter with schemas, must have exactly the key and value schemas Debezium
3.6.3 builds for a schema-change topic, must be written back byte for byte, and its tableChanges
must be what Debezium's ConnectTableChangeSerializer writes for the same table. Every column
type's jdbcType, length and scale must be what pgjdbc's TypeInfo (which Debezium's PostgreSQL
connector reads them from) says for the column's type and typmod. With schemas off, each record must be
the payload of its schemas-on twin.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from run_debezium import HERE, CaptureError, Conn, cache_dir, compile_java

JAVA = HERE / "debezium" / "SchemaChangeCheck.java"
DB = "conf_schema_changes"
TOPIC = "dbserver1"
WORKLOAD = """
CREATE EXTENSION cedar_cdc;
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE t (id int PRIMARY KEY, v varchar(20) DEFAULT 'x', n numeric(10,2) NOT NULL DEFAULT 0);
-- slot
ALTER TABLE t ADD COLUMN m mood, ADD COLUMN s bigserial, ADD COLUMN g int GENERATED ALWAYS AS (id * 2) STORED,
  ADD COLUMN ts timestamptz(3), ADD COLUMN tags text[], ADD COLUMN "Odd ""name"" col" text;
INSERT INTO t (id) VALUES (1);
ALTER TABLE t DROP COLUMN v;
ALTER TABLE t ALTER COLUMN n TYPE numeric(12,4), ALTER COLUMN m SET DEFAULT 'ok';
SELECT cedar_cdc.install_ddl_trigger();
ALTER TABLE t RENAME TO t2;
ALTER TABLE t2 DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (id, n);
CREATE TABLE keyless (a text);
CREATE TABLE parted (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
DROP TABLE keyless;
CREATE DOMAIN short_text AS varchar(7);
CREATE TABLE typed (c_int2 int2, c_int4 int4, c_int8 int8, c_oid oid, c_num numeric(10,2), c_numeric numeric,
  c_float4 float4, c_float8 float8, c_bool bool, c_bit bit(3), c_varbit varbit(5), c_varbit_any varbit, c_char char(4),
  c_varchar varchar(9), c_varchar_any varchar, c_text text, c_name name, c_bytea bytea, c_date date, c_time time,
  c_time3 time(3), c_timetz timetz, c_ts0 timestamp(0), c_ts timestamp, c_tstz3 timestamptz(3), c_tstz timestamptz,
  c_interval interval, c_interval2 interval second(2), c_uuid uuid, c_json json, c_jsonb jsonb, c_xml xml,
  c_inet inet, c_int4arr int4[], c_textarr text[], c_mood mood, c_domain short_text, c_money money, c_point point,
  c_tsvector tsvector, c_int4range int4range);
"""


def build(cache: Path) -> str:
    return compile_java([JAVA], tag="scc-", cache=cache)


def records(db: Conn, schemas: bool) -> list[dict]:
    opts = ["include.schema.changes", "true", "output.format", "record", "topic.prefix", TOPIC,
            "schemas.enable", "true" if schemas else "false"]
    sql = ("SELECT data FROM pg_logical_slot_peek_changes('scc', NULL, NULL, "
           + ", ".join(f"'{o}'" for o in opts) + ")")
    out = [json.loads(line) for line in db.psql("-c", sql, what="read the slot").splitlines() if line.strip()]
    return [r for r in out if r["topic"] == TOPIC]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args(argv)
    try:
        classpath = build(cache_dir())
        conn = Conn(host=args.host, port=args.port)
        conn.psql("-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", what="drop database")
        conn.psql("-c", f"CREATE DATABASE {DB}", what="create database")
        db = conn.with_db(DB)
        setup, workload = WORKLOAD.split("-- slot\n")
        db.psql("-v", "ON_ERROR_STOP=1", "-c", setup, what="setup")
        db.psql("-c", "SELECT pg_create_logical_replication_slot('scc', 'cedar_cdc')", what="create slot")
        for stmt in workload.split(";\n"):
            if stmt.strip():
                db.psql("-v", "ON_ERROR_STOP=1", "-c", stmt, what="workload")
        on, off = records(db, True), records(db, False)
        db.psql("-c", "SELECT pg_drop_replication_slot('scc')", what="drop slot")
    except CaptureError as e:
        print(f"schema-change records: error: {e}")
        return 1
    problems = []
    if len(on) != len(off) or len(on) < 8:
        problems.append(f"{len(on)} records with schemas, {len(off)} without (expected the same, at least 8)")
    for n, (a, b) in enumerate(zip(on, off)):
        for part in ("key", "value"):
            payload = json.loads(a[part])["payload"]
            if json.dumps(payload, separators=(",", ":"), ensure_ascii=False) != b[part]:
                problems.append(f"record {n}: the {part} without schemas is not the payload of the one with schemas")
    if not any(json.loads(r["value"])["payload"]["ddl"] for r in on):
        problems.append("no record carries the DDL trigger's text")
    # jdbcType, length and scale of every column of `typed` against pgjdbc's own TypeInfo.
    catalog = {name: (oid, typmod) for name, oid, typmod in (
        line.split("|") for line in db.psql("-c", "SELECT attname, atttypid, atttypmod FROM pg_attribute "
                                             "WHERE attrelid = 'typed'::regclass AND attnum > 0", what="catalog").splitlines())}
    typed = [json.loads(r["value"])["payload"]["tableChanges"][0] for r in on]
    typed = [c for c in typed if c["id"].endswith('."typed"')]
    if not typed:
        problems.append("no CREATE record for table typed")
    else:
        cols = "".join(f"{c['name']} {catalog[c['name']][0]} {catalog[c['name']][1]} {c['jdbcType']} {c['length']} {c['scale']}\n"
                       for c in typed[-1]["table"]["columns"])
        p = subprocess.run(["java", "-cp", classpath, "SchemaChangeCheck", "--types",
                            f"jdbc:postgresql://{args.host}:{args.port}/{DB}"], input=cols, capture_output=True, text=True)
        print(p.stdout, end="")
        if p.returncode != 0:
            problems.append(f"jdbcType, length or scale differ from pgjdbc's {p.stderr[-2000:]}")
    lines = "".join(f"{r['key']}\t{r['value']}\n" for r in on)
    p = subprocess.run(["java", "-cp", classpath, "SchemaChangeCheck", TOPIC], input=lines,
                       capture_output=True, text=True)
    print(p.stdout, end="")
    if p.returncode != 0:
        problems.append(f"SchemaChangeCheck failed: {p.stderr[-2000:]}")
    for pr in problems:
        print("    " + pr)
    print(f"schema-change records: {'ok' if not problems else 'FAILED'} ({len(on)} records)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
