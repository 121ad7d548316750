#!/usr/bin/env python3
"""Differential test: the same WAL decoded by pgoutput (protocol 1, and protocol 2 streamed) and by
cedar_cdc must describe the same transactions, changes, columns, values and old rows.

Per seed: a fresh database, a random schema (workload.py), `CREATE PUBLICATION p FOR ALL TABLES`,
three slots created before the workload (pgoutput for proto 1, pgoutput for proto 2 with
streaming, cedar_cdc), a random concurrent workload over several connections, then every slot is
read once and compared (expected_events.py). Differences are printed one per line and fail the run.

Usage:
  differential.py --port PORT [--seeds 1-6] [--jobs 2] [--conns 3] [--steps 300]
                  [--out DIR] [--keep] [--strict] [--require-coverage] [--max-diffs 40]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "lib"))

import cedar  # noqa: E402
import expected_events as C  # noqa: E402
import pgoutput as P  # noqa: E402
import pgtest  # noqa: E402
import schema_oracle as SO  # noqa: E402
from workload import Workload, WorkloadError, run_workload  # noqa: E402

PREFIX = "srv"
# The schema-change oracle's slot (schema_oracle.py).
DDL_OPTIONS = ["include.schema.changes", "true", "schemas.enable", "false", "topic.prefix", PREFIX]
CEDAR_OPTIONS = ["output.format", "record", "schemas.enable", "false", "provide.transaction.metadata", "true",
                 "skipped.operations", "none", "topic.prefix", PREFIX, "publication_names", "p"]
# The decoding session renders pgoutput's text values: fix every setting that changes them.
READ_GUCS = ("-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1 "
             "-c bytea_output=hex -c client_encoding=UTF8")
csv.field_size_limit(sys.maxsize)

# Features the fixed CI seeds must exercise (--require-coverage): counter name -> description.
REQUIRED_COVERAGE = {
    "max_concurrent_txns": "concurrent open transactions (>= 2)",
    "interleaved_txns": "transactions whose changes interleave in the WAL",
    "savepoint": "savepoints",
    "rollback_to_savepoint": "ROLLBACK TO SAVEPOINT",
    "rollback_to_after_error": "a failed statement rolled back to its savepoint",
    "rollback": "aborted transactions",
    "error_abort": "transactions aborted by an error",
    "spilled_txns": "transactions spilled to disk (cedar_cdc slot)",
    "streamed_txns": "transactions streamed in progress (proto 2)",
    "stream_aborts_sub": "Stream Abort of a subtransaction",
    "stream_aborts_top": "Stream Abort of a whole transaction (streamed, or from 18 found aborted before any streaming)",
    "ddl_add_column": "ADD COLUMN",
    "ddl_drop_column": "DROP COLUMN",
    "ddl_retype_column": "ALTER COLUMN TYPE",
    "ddl_rename_table": "RENAME table",
    "schema_change_records": "schema-change records checked against the catalog at commit",
    "relation_changed_inside_txn": "a relation's shape changing inside a decoded transaction",
    "truncate_events": "TRUNCATE",
    "truncate_cascade": "TRUNCATE ... CASCADE",
    "truncate_restart_identity": "TRUNCATE ... RESTART IDENTITY",
    "truncate_partitioned": "TRUNCATE of a partitioned table or partition",
    "partition_changes": "changes to partitions",
    "pk_changes": "primary key changes",
    "toast_unchanged": "unchanged TOASTed values ('u')",
    "toast_unchanged_full": "unchanged TOASTed values with REPLICA IDENTITY FULL",
    "old_full": "old rows 'O' (REPLICA IDENTITY FULL)",
    "old_key": "old keys 'K'",
    "old_key_identity_index": "old keys 'K' of REPLICA IDENTITY USING INDEX (a unique index, no primary key)",
    "message_tx": "transactional messages",
    "message_nontx": "non-transactional messages",
    "nocols_changes": "changes of a table without columns",
    "copy": "COPY FROM (multi-insert WAL records)",
    "upsert": "INSERT ... ON CONFLICT (speculative insertions)",
    "many_subxacts": "more than 64 subtransactions in one transaction (DO block with exception handlers)",
    "commit_prepared": "COMMIT PREPARED (needs max_prepared_transactions > 0)",
    "rollback_prepared": "ROLLBACK PREPARED (needs max_prepared_transactions > 0)",
}


@dataclass
class Cfg:
    host: str
    port: int
    user: str
    conns: int
    steps: int
    out: Path
    keep: bool
    features: C.Features
    cedar_options: list
    prepared: bool = False        # the server allows PREPARE TRANSACTION
    copy_dir: str = ""            # server-side directory for COPY files ("" = no COPY)


@dataclass
class SeedResult:
    seed: int
    diffs: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    coverage: dict = field(default_factory=dict)
    seconds: float = 0.0
    summary: str = ""


# ---------------------------------------------------------------------------------------------
# psql


def psql(cfg: Cfg, db: str, sql: str, *, csv_out: bool = False, gucs: str = "") -> str:
    """Runs sql (on psql's standard input) in db; its output."""
    try:
        return pgtest.psql(cfg.port, "-q", "-t", "--csv" if csv_out else "-A", db=db, host=cfg.host,
                           user=cfg.user, input=sql, env={"PGOPTIONS": gucs or "-c TimeZone=UTC"}).stdout
    except pgtest.PsqlError as e:
        raise RuntimeError(f"psql -d {db} failed: {e.stderr.strip()}\nSQL: {sql[:400]}") from None


def sql_lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def read_slot(cfg: Cfg, db: str, fn: str, slot: str, options: list[str], hex_data: bool) -> list:
    opts = ", ".join(sql_lit(o) for o in options)
    data = "encode(data, 'hex')" if hex_data else "data"
    out = psql(cfg, db, f"SELECT lsn, xid, {data} FROM {fn}({sql_lit(slot)}, NULL, NULL{', ' + opts if opts else ''})",
               csv_out=True, gucs=READ_GUCS)
    rows = []
    for lsn, xid, d in csv.reader(io.StringIO(out)):
        rows.append((P.parse_lsn(lsn), int(xid), bytes.fromhex(d) if hex_data else d))
    return rows


PGO1_OPTIONS = ["proto_version", "1", "publication_names", "p", "messages", "true"]
PGO2_OPTIONS = ["proto_version", "2", "publication_names", "p", "messages", "true", "streaming", "on"]


def publication_sql(cfg: Cfg) -> str:
    """The publication both plugins decode with. From 18 it publishes stored generated columns:
    there an UPDATE or DELETE of a table whose replica identity holds an unpublished generated
    column fails, and the workload's REPLICA IDENTITY FULL tables have one."""
    if int(psql(cfg, "postgres", "SHOW server_version_num").strip()) >= 180000:
        return "CREATE PUBLICATION p FOR ALL TABLES WITH (publish_generated_columns = stored)"
    return "CREATE PUBLICATION p FOR ALL TABLES"


# ---------------------------------------------------------------------------------------------
# Feature probe


def probe(cfg: Cfg) -> tuple[C.Features, list, list[str]]:
    """Which of transaction metadata, TRUNCATE events and messages this cedar_cdc emits."""
    db = "cedar_differential_probe"
    notes = []
    psql(cfg, "postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(cfg, "postgres", f"CREATE DATABASE {db}")
    slot = "cedar_diff_probe"
    try:
        psql(cfg, db, "CREATE TABLE x (id int PRIMARY KEY); CREATE PUBLICATION p FOR ALL TABLES")
        psql(cfg, db, f"SELECT pg_create_logical_replication_slot('{slot}', 'cedar_cdc')")
        psql(cfg, db, "INSERT INTO x VALUES (1); TRUNCATE x; SELECT pg_logical_emit_message(true, 'p', 'tx'); "
                      "SELECT pg_logical_emit_message(false, 'p', 'nontx')")
        options = list(CEDAR_OPTIONS)
        while True:
            try:
                rows = read_slot(cfg, db, "pg_logical_slot_peek_changes", slot, options, False)
                break
            except RuntimeError as e:
                msg = str(e)
                bad = next((options[i] for i in range(0, len(options), 2)
                            if f'option "{options[i]}"' in msg and options[i] not in ("output.format", "topic.prefix")), None)
                if bad is None:
                    raise
                i = options.index(bad)
                del options[i:i + 2]
                notes.append(f"cedar_cdc rejects option {bad!r} ({msg.splitlines()[0].strip()}): not yet supported")
        recs, problems = cedar.parse_rows(rows)
        if problems:
            raise RuntimeError("probe: " + "; ".join(problems))
        f = C.Features(
            metadata=any(r.topic == f"{PREFIX}.transaction" for r in recs),
            truncate=any(isinstance(r.value, dict) and r.value.get("op") == "t" for r in recs),
            messages=any(isinstance(r.value, dict) and r.value.get("op") == "m" for r in recs))
        return f, options, notes
    finally:
        psql(cfg, db, f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{slot}'")
        psql(cfg, "postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


# ---------------------------------------------------------------------------------------------
# One seed


KEY_QUERY = """
-- Debezium's key: the primary key in constraint order, else the first unique index (no
-- expressions, not partial; pgjdbc getIndexInfo order, then by name) with its INCLUDE columns.
SELECT c.oid, coalesce(
    (SELECT json_agg(a.attname ORDER BY k.ord)
       FROM pg_constraint con
       CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
      WHERE con.conrelid = c.oid AND con.contype = 'p'),
    (SELECT json_agg(a.attname ORDER BY k.ord)
       FROM (SELECT i.indkey FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
              ORDER BY i.indisclustered DESC, ic.relname LIMIT 1) ix
      CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),
    '[]')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""


class CedarError(Exception):
    """cedar_cdc raised an ERROR while decoding (a difference: pgoutput decoded the same WAL)."""


def run_seed(seed: int, cfg: Cfg) -> SeedResult:
    res = SeedResult(seed)
    t0 = time.monotonic()
    db = f"cedar_differential_{seed}"
    slots = {n: f"{n}_diff_{seed}" for n in ("pgo1", "pgo2", "cedar", "ddl")}
    seed_dir = cfg.out / f"seed-{seed}"
    seed_dir.mkdir(parents=True, exist_ok=True)
    try:
        psql(cfg, "postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        psql(cfg, "postgres", f"CREATE DATABASE {db}")
        w = Workload(seed, cfg.conns, cfg.steps, prepared=cfg.prepared, copy_dir=cfg.copy_dir or None)
        pub = publication_sql(cfg)
        (seed_dir / "schema.sql").write_text(";\n".join(w.schema_sql) + f";\n{pub};\n")
        psql(cfg, db, ";\n".join(w.schema_sql) + f";\n{pub};")
        for n, plugin in (("pgo1", "pgoutput"), ("pgo2", "pgoutput"), ("cedar", "cedar_cdc"), ("ddl", "cedar_cdc")):
            psql(cfg, db, f"SELECT pg_create_logical_replication_slot('{slots[n]}', '{plugin}')")
        snapshots: list = []
        with open(seed_dir / "workload.sql", "w", encoding="utf-8") as log:
            coverage = run_workload(w, pgtest.psql_argv(cfg.port, db, host=cfg.host, user=cfg.user), log,
                                    snapshots=snapshots, catalog_query=SO.CATALOG_QUERY)
        pk = {int(oid): json.loads(cols) for oid, cols in
              (line.split("|", 1) for line in psql(cfg, db, KEY_QUERY).splitlines() if line.strip())}
        t_read = time.monotonic()
        rows1 = read_slot(cfg, db, "pg_logical_slot_get_binary_changes", slots["pgo1"], PGO1_OPTIONS, True)
        rows2 = read_slot(cfg, db, "pg_logical_slot_get_binary_changes", slots["pgo2"], PGO2_OPTIONS, True)
        try:
            rowsc = read_slot(cfg, db, "pg_logical_slot_get_changes", slots["cedar"], cfg.cedar_options, False)
        except RuntimeError as e:
            raise CedarError(f"cedar_cdc failed to decode the workload: {e}") from None
        coverage["read_seconds_x100"] = int((time.monotonic() - t_read) * 100)
        # The schema-change oracle: a slot of its own, so the records above stay Debezium's.
        try:
            rowsd = read_slot(cfg, db, "pg_logical_slot_get_changes", slots["ddl"], DDL_OPTIONS, False)
        except RuntimeError as e:
            raise CedarError(f"cedar_cdc failed to decode the workload with include.schema.changes: {e}") from None
        schema_records = SO.parse_records(rowsd)
        coverage["schema_change_records"] = len(schema_records)
        coverage["ddl_txns_checked"] = len(snapshots) - 1
        for d in SO.check(db, schema_records, snapshots[0][1], snapshots[1:]):
            res.diffs.append(f"seed {seed}: schema changes: {d}")
        stats = {}
        for line in psql(cfg, db, "SELECT slot_name, spill_txns, stream_txns, total_txns FROM pg_stat_replication_slots").splitlines():
            name, spill, stream, total = line.split("|")
            stats[name] = (int(spill), int(stream), int(total))
        coverage["spilled_txns"] = stats.get(slots["cedar"], (0, 0, 0))[0]
        for name, rows in (("pgo1", rows1), ("pgo2", rows2), ("cedar", rowsc)):
            with open(seed_dir / f"{name}.tsv", "w", encoding="utf-8") as f:
                for lsn, xid, d in rows:
                    f.write(f"{P.fmt_lsn(lsn)}\t{xid}\t{d.hex() if isinstance(d, bytes) else d}\n")
        compare_seed(res, seed, db, pk, rows1, rows2, rowsc, cfg, coverage)
        res.coverage = coverage
    except WorkloadError as e:
        res.diffs.append(f"seed {seed}: workload error (harness): {e}")
    except CedarError as e:
        res.diffs.append(f"seed {seed}: {e}")
    except Exception as e:  # noqa: BLE001 - every failure of a seed is reported, the run continues
        res.diffs.append(f"seed {seed}: harness error: {type(e).__name__}: {e}\n{traceback.format_exc()}")
    finally:
        try:
            for gid in psql(cfg, "postgres", f"SELECT gid FROM pg_prepared_xacts WHERE database = '{db}'").split():
                psql(cfg, db, f"ROLLBACK PREPARED '{gid}'")
            psql(cfg, "postgres", "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                                  f"WHERE slot_name IN ({', '.join(sql_lit(s) for s in slots.values())})")
            if not (cfg.keep or res.diffs):
                psql(cfg, "postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        except Exception as e:  # noqa: BLE001
            res.notes.append(f"seed {seed}: cleanup failed: {e}")
    if cfg.copy_dir:
        for f in Path(cfg.copy_dir).glob(f"cedar_differential_{seed}_*.copy"):
            try:
                f.unlink()
            except OSError:
                pass  # a server on another machine: its files are its own
    res.seconds = time.monotonic() - t0
    if res.diffs or cfg.keep:
        (seed_dir / "report.txt").write_text("\n".join(res.diffs + res.notes) + "\n", encoding="utf-8")
    else:
        for f in seed_dir.iterdir():
            f.unlink()
        seed_dir.rmdir()
    return res


def compare_seed(res: SeedResult, seed: int, db: str, pk: dict, rows1, rows2, rowsc, cfg: Cfg, cov: dict) -> None:
    rep = C.Report(seed)
    units1, st1 = P.decode_stream(rows1, 1)
    units2, st2 = P.decode_stream(rows2, 2)
    for name, st in (("proto 1", st1), ("proto 2", st2)):
        if st.open_streams:
            rep.diff(f"pgoutput {name}", f"streams never committed or aborted: xids {st.open_streams}")
    C.compare_pgoutput(rep, units1, units2)

    records, problems = cedar.parse_rows(rowsc)
    feats = C.Features(**vars(cfg.features))
    # A feature the probe did not see is present as soon as this seed's output has it.
    if any(r.topic == f"{PREFIX}.transaction" for r in records):
        feats.metadata = True
    if any(isinstance(r.value, dict) and r.value.get("op") == "t" for r in records):
        feats.truncate = True
    if any(isinstance(r.value, dict) and r.value.get("op") == "m" for r in records):
        feats.messages = True
    ctx = C.Context(seed=seed, prefix=PREFIX, db=db, pk=pk, features=feats)
    cunits, gproblems = cedar.group(records, PREFIX, feats.metadata)
    for p in problems + gproblems:
        rep.diff("cedar_cdc output structure", p)
    exp = C.expected_units(units1, ctx)
    C.compare_cedar(rep, exp, cunits, ctx)
    for m in feats.missing():
        rep.note(f"not yet emitted by cedar_cdc, not compared: {m}")

    # coverage
    txns = [u for u in units1 if isinstance(u, P.Txn)]
    cov["txns"] = len(txns)
    cov["events"] = sum(len(e.events) for e in exp if isinstance(e, C.ExpTxn))
    cov["streamed_txns"] = st2.streamed_txns
    cov["stream_aborts_sub"] = st2.stream_aborts_sub
    cov["stream_aborts_top"] = st2.stream_aborts_top + st2.stream_aborts_unstreamed
    inter = 0
    for a, b in zip(txns, txns[1:]):
        if b.begin_lsn is not None and b.begin_lsn < a.end_lsn:
            inter += 1
    cov["interleaved_txns"] = inter
    for t in txns:
        shapes: dict = {}
        changed = False
        for ch in t.changes:
            cov["message_tx_decoded"] = cov.get("message_tx_decoded", 0) + (ch.kind == "message")
            if ch.kind == "truncate":
                cov["truncate_events"] = cov.get("truncate_events", 0) + 1
                if ch.truncate_options & P.TRUNCATE_CASCADE:
                    cov["truncate_cascade"] = cov.get("truncate_cascade", 0) + 1
                if ch.truncate_options & P.TRUNCATE_RESTART_IDENTITY:
                    cov["truncate_restart_identity"] = cov.get("truncate_restart_identity", 0) + 1
                if any(r.name.startswith("parted") for r in ch.truncate_relations):
                    cov["truncate_partitioned"] = cov.get("truncate_partitioned", 0) + 1
            if ch.relation is None:
                continue
            rel = ch.relation
            if not rel.columns:
                cov["nocols_changes"] = cov.get("nocols_changes", 0) + 1
            if rel.name.startswith("parted"):
                cov["partition_changes"] = cov.get("partition_changes", 0) + 1
            if rel.relid in shapes and shapes[rel.relid] != rel:
                changed = True
            shapes[rel.relid] = rel
            if ch.old_kind == "O":
                cov["old_full"] = cov.get("old_full", 0) + 1
            if ch.old_kind == "K":
                cov["old_key"] = cov.get("old_key", 0) + 1
                if rel.replident == "i":
                    cov["old_key_identity_index"] = cov.get("old_key_identity_index", 0) + 1
            if ch.new is not None:
                nu = sum(1 for k, _ in ch.new.cols if k == "u")
                cov["toast_unchanged"] = cov.get("toast_unchanged", 0) + nu
                if ch.old_kind == "O":
                    cov["toast_unchanged_full"] = cov.get("toast_unchanged_full", 0) + nu
        cov["relation_changed_inside_txn"] = cov.get("relation_changed_inside_txn", 0) + changed
    cov["pk_changes"] = sum(1 for e in exp if isinstance(e, C.ExpTxn) for x in e.events if x.why == "primary key change") // 2
    res.diffs += rep.diffs
    res.notes += rep.notes
    res.summary = (f"{len(txns)} txns ({st2.streamed_txns} streamed, {cov.get('spilled_txns', 0)} spilled), "
                   f"{cov['events']} events, {len(records)} cedar records")


# ---------------------------------------------------------------------------------------------


def parse_seeds(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out += range(int(a), int(b) + 1)
        elif part:
            out.append(int(part))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default=os.environ.get("PGHOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--seeds", default="1-6", help="e.g. 1-200 or 3,7,9-12 (default 1-6, the CI seeds)")
    ap.add_argument("--jobs", type=int, default=2, help="seeds run in parallel (default 2)")
    ap.add_argument("--conns", type=int, default=3, help="concurrent connections per seed")
    ap.add_argument("--steps", type=int, default=300, help="statements per seed (before open plans finish)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cedar_differential")
    ap.add_argument("--keep", action="store_true", help="keep databases and outputs of passing seeds too")
    ap.add_argument("--strict", action="store_true",
                    help="fail when cedar_cdc does not emit transaction metadata, TRUNCATE or messages yet")
    ap.add_argument("--require-coverage", action="store_true",
                    help="fail unless the seeds together exercise every feature in REQUIRED_COVERAGE")
    ap.add_argument("--max-diffs", type=int, default=40, help="differences printed per seed")
    ap.add_argument("--copy-dir", default="/tmp",
                    help="directory on the server for COPY ... TO/FROM files (superuser); '' disables COPY")
    args = ap.parse_args(argv)

    seeds = parse_seeds(args.seeds)
    cfg = Cfg(args.host, args.port, args.user, args.conns, args.steps, args.out, args.keep, C.Features(), [])
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    feats, options, notes = probe(cfg)
    cfg.features, cfg.cedar_options = feats, options
    cfg.prepared = int(psql(cfg, "postgres", "SHOW max_prepared_transactions").strip()) > 0
    cfg.copy_dir = args.copy_dir
    if not cfg.prepared:
        print("note: max_prepared_transactions = 0, so no prepared transactions in the workload")
    for n in notes:
        print(f"note: {n}")
    missing = feats.missing()
    if missing:
        print("NOTE: not yet emitted by this cedar_cdc, so not compared: " + "; ".join(missing)
              + (" (--strict: this fails the run)" if args.strict else ""))
    print(f"differential: {len(seeds)} seeds, {args.conns} connections, {args.steps} steps, {args.jobs} jobs; "
          f"outputs of failing seeds in {args.out}")
    results: list[SeedResult] = []
    failed = 0
    if args.jobs > 1 and len(seeds) > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as ex:
            it = ex.map(run_seed, seeds, [cfg] * len(seeds))
            for r in it:
                failed += report_seed(r, args.max_diffs)
                results.append(r)
    else:
        for s in seeds:
            r = run_seed(s, cfg)
            failed += report_seed(r, args.max_diffs)
            results.append(r)
    total = {}
    for r in results:
        for k, v in r.coverage.items():
            total[k] = max(total.get(k, 0), v) if k == "max_concurrent_txns" else total.get(k, 0) + v
    print("coverage: " + ", ".join(f"{k}={total.get(k, 0)}" for k in sorted(set(total) | set(REQUIRED_COVERAGE))
                                   if not k.endswith("_x100")))
    uncovered = [f"{k} ({d})" for k, d in REQUIRED_COVERAGE.items()
                 if total.get(k, 0) < (2 if k == "max_concurrent_txns" else 1)
                 and (cfg.prepared or "prepared" not in k) and (cfg.copy_dir or k != "copy")]
    rc = 0
    if uncovered:
        print(("FAIL: " if args.require_coverage else "note: ") + "not exercised by these seeds: " + "; ".join(uncovered))
        rc = 1 if args.require_coverage else 0
    if missing and args.strict:
        print("FAIL (--strict): cedar_cdc does not emit: " + "; ".join(missing))
        rc = 1
    print(f"{len(seeds) - failed} of {len(seeds)} seeds identical; {time.monotonic() - t0:.1f} s")
    return 1 if failed else rc


def report_seed(r: SeedResult, max_diffs: int) -> int:
    status = "ok" if not r.diffs else f"FAILED ({len(r.diffs)} differences)"
    print(f"seed {r.seed:5d} {status:28} {r.seconds:6.1f} s  {r.summary}", flush=True)
    for d in r.diffs[:max_diffs]:
        print("    " + d.replace("\n", "\n    "))
    if len(r.diffs) > max_diffs:
        print(f"    ... {len(r.diffs) - max_diffs} more (all in the seed's report.txt)")
    seen = set()
    for n in r.notes:
        key = n.split(": ", 1)[-1]
        if key not in seen and "not yet emitted" not in n:
            seen.add(key)
            print("    note: " + n)
    sys.stdout.flush()
    return 1 if r.diffs else 0


if __name__ == "__main__":
    sys.exit(main())
