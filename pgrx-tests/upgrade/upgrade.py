#!/usr/bin/env python3
"""Upgrade from the released 0.1.0: the schema after ALTER EXTENSION cedar_cdc UPDATE is a fresh
install's, and a slot created under 0.1.0 keeps streaming while the library is replaced.

1. The 0.1.0 shared library and SQL (from `run`, cached per release commit) are installed,
   `CREATE EXTENSION cedar_cdc VERSION '0.1.0'`, a table and a slot made with its helpers, and
   pg_recvlogical streams from it (in its default loop, so it reconnects when cut off).
2. The library is replaced by the current build the way `cargo pgrx install` and install(1)
   do it (a new file renamed over the old: a process that mapped the old one keeps it). The
   walsender that loaded 0.1.0 goes on streaming with it; a new backend runs the 0.1.0 SQL
   functions with the new library; `ALTER EXTENSION cedar_cdc UPDATE` goes to the new version.
3. The walsender is terminated; pg_recvlogical reconnects and the slot goes on with the new
   library: every committed row arrives, in order, rows repeated only after the position the
   client had confirmed, and each event is the expected one (its source.version that of the
   library that decoded it).
4. The extension's objects after the update (pg_describe_object over pg_depend deptype 'e',
   with each function's full definition, ACL and comment) equal those of a fresh install of
   the current version in another database. A merge that adds SQL without extending
   sql/cedar_cdc--0.1.0--<version>.sql fails here.

The installation's library and the 0.1.0 SQL file are restored/removed at the end.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
import pgtest  # noqa: E402

OLD = "0.1.0"
DB = "upgrade"
ROWS_PER_BATCH = 200
TXNS_PER_BATCH = 10

# Every object of the extension, with what defines it: a function's whole definition (its
# body, SET clauses, SECURITY, volatility, the C symbol), its ACL; every object's comment.
OBJECTS_SQL = """
SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
       || coalesce(E'\\n' || CASE WHEN d.classid = 'pg_proc'::regclass
                                  THEN pg_get_functiondef(d.objid) || E'\\nACL ' || coalesce(p.proacl::text, 'default') END, '')
       || coalesce(E'\\nCOMMENT ' || obj_description(d.objid, d.classid::regclass::name), '')
FROM pg_depend d
LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cedar_cdc')
UNION ALL
SELECT 'schema comment ' || coalesce(obj_description('cedar_cdc'::regnamespace, 'pg_namespace'), 'none')
ORDER BY 1
"""


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def pg_config(path: str, flag: str) -> Path:
    return Path(subprocess.run([path, flag], capture_output=True, text=True, check=True).stdout.strip())


def replace_library(src: Path, dest: Path) -> None:
    """Puts src at dest as install(1) does: a new file renamed over the old one."""
    tmp = dest.with_name(dest.name + ".upgrade-tmp")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o755)
    os.replace(tmp, dest)


class Test:
    def __init__(self, port: int):
        self.port = port
        self.out = pgtest.run_dir() / "upgrade-work" / "stream.jsonl"

    def q(self, sql: str, db: str = DB) -> str:
        return pgtest.query(self.port, sql, db=db)

    def events(self) -> list[dict]:
        if not self.out.exists():
            return []
        lines = self.out.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for_id(self, last_id: int, what: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(e["after"]["id"] == last_id for e in self.events() if e.get("after")):
                return
            time.sleep(0.2)
        fail(f"{what}: row {last_id} did not arrive within {timeout:.0f} s")

    def walsender_pid(self, other_than: int | None = None, timeout: float = 30) -> int:
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = self.q("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'up'")
            if pid and int(pid) != other_than:
                return int(pid)
            time.sleep(0.2)
        fail("no walsender streams slot up")
        return 0

    def batch(self, first: int) -> int:
        """ROWS_PER_BATCH rows from id `first`, in TXNS_PER_BATCH transactions; the last id."""
        per = ROWS_PER_BATCH // TXNS_PER_BATCH
        for t in range(TXNS_PER_BATCH):
            lo = first + t * per
            self.q(f"INSERT INTO t SELECT g, 'v' || g FROM generate_series({lo}, {lo + per - 1}) g")
        return first + ROWS_PER_BATCH - 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=54341)
    ap.add_argument("--pg-config", required=True)
    ap.add_argument("--release", type=Path, required=True, help="directory with the 0.1.0 .so and SQL")
    args = ap.parse_args()

    pkglibdir = pg_config(args.pg_config, "--pkglibdir")
    extdir = pg_config(args.pg_config, "--sharedir") / "extension"
    lib = pkglibdir / "cedar_cdc.so"
    old_sql = extdir / f"cedar_cdc--{OLD}.sql"
    work = pgtest.run_dir() / "upgrade-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.chmod(work, 0o777)
    new_lib = work / "cedar_cdc-new.so"
    shutil.copyfile(lib, new_lib)
    new_version = None
    recv = None
    try:
        # 0.1.0, as a user who installed the release has it.
        replace_library(args.release / "cedar_cdc.so", lib)
        shutil.copyfile(args.release / f"cedar_cdc--{OLD}.sql", old_sql)
        with pgtest.Cluster("upgrade", args.port, "wal_sender_timeout = 60s"):
            t = Test(args.port)
            pgtest.query(args.port, f"CREATE DATABASE {DB}")
            t.q(f"CREATE EXTENSION cedar_cdc VERSION '{OLD}'")
            got = t.q("SELECT extversion || ' ' || cedar_cdc.version() FROM pg_extension WHERE extname = 'cedar_cdc'")
            if got != f"{OLD} {OLD}":
                fail(f"0.1.0 install: extversion and version() are {got!r}")
            t.q("CREATE TABLE t (id int PRIMARY KEY, v text)")
            t.q("SELECT * FROM cedar_cdc.create_slot('up')")
            recv = subprocess.Popen(
                pgtest.recvlogical_argv(args.port, DB) + [
                    "-S", "up", "--start", "-F", "1", "-s", "1", "-f", str(t.out),
                    "-o", "schemas.enable=false", "-o", r"table.include.list=public\.t"],
                stdin=subprocess.DEVNULL, stderr=open(work / "recvlogical.log", "w"))
            last_a = t.batch(1)
            t.wait_for_id(last_a, "0.1.0 streaming")
            pid_old = t.walsender_pid()

            # The library is replaced under the running walsender.
            replace_library(new_lib, lib)
            last_b = t.batch(last_a + 1)
            t.wait_for_id(last_b, "after the library was replaced")
            if t.walsender_pid() != pid_old:
                fail("the walsender changed when the library was replaced")
            # A new backend loads the new library; the 0.1.0 SQL functions work with it.
            new_version = t.q("SELECT cedar_cdc.version()")
            if new_version == OLD:
                fail("a new backend still runs 0.1.0: the library was not replaced")
            health = t.q("SELECT slot_name || ' ' || plugin || ' ' || active FROM cedar_cdc.slot_health('up')")
            if health != "up cedar_cdc true":
                fail(f"0.1.0 slot_health with the new library: {health!r}")
            t.q("ALTER EXTENSION cedar_cdc UPDATE")
            got = t.q("SELECT extversion FROM pg_extension WHERE extname = 'cedar_cdc'")
            if got != new_version:
                fail(f"ALTER EXTENSION cedar_cdc UPDATE went to {got}, not {new_version}")
            before_c = int(t.q("SELECT pg_current_wal_lsn() - '0/0'"))
            last_c = t.batch(last_b + 1)
            t.wait_for_id(last_c, "after ALTER EXTENSION UPDATE")

            # The walsender is cut off; pg_recvlogical reconnects (after 5 s) to a new one.
            # Everything before batch C is confirmed (feedback comes every second), so only
            # rows of batch C may come again.
            deadline = time.time() + 30
            while int(t.q("SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots "
                          "WHERE slot_name = 'up'")) < before_c:
                if time.time() > deadline:
                    fail("the client never confirmed the rows before batch C")
                time.sleep(0.2)
            t.q(f"SELECT pg_terminate_backend({pid_old})")
            pid_new = t.walsender_pid(other_than=pid_old)
            last_d = t.batch(last_c + 1)
            t.wait_for_id(last_d, "after pg_recvlogical reconnected")
            recv.send_signal(signal.SIGINT)
            recv.wait(timeout=30)
            recv = None

            check_stream(t.events(), before_c, last_c, last_d, new_version)
            upgraded = t.q(OBJECTS_SQL)
            pgtest.query(args.port, "CREATE DATABASE fresh")
            t.q("CREATE EXTENSION cedar_cdc", db="fresh")
            fresh = t.q(OBJECTS_SQL, db="fresh")
            n_objects = t.q("SELECT count(*) FROM pg_depend WHERE deptype = 'e' AND refobjid = "
                            "(SELECT oid FROM pg_extension WHERE extname = 'cedar_cdc')", db="fresh")
            if upgraded != fresh:
                diff = difflib.unified_diff(fresh.splitlines(), upgraded.splitlines(),
                                            f"fresh {new_version}", f"{OLD} updated", lineterm="")
                print("\n".join(list(diff)[:300]), file=sys.stderr)
                fail(f"the schema after ALTER EXTENSION cedar_cdc UPDATE is not a fresh {new_version} install's: "
                     f"extend sql/cedar_cdc--{OLD}--{new_version}.sql")
            print(f"walsender {pid_old} streamed with 0.1.0 through the library replacement and the update; "
                  f"walsender {pid_new} after the reconnect with {new_version}")
            print(f"schema after ALTER EXTENSION UPDATE {OLD} -> {new_version} equals a fresh install "
                  f"({n_objects} objects)")
    finally:
        if recv is not None:
            recv.kill()
            recv.wait()
        replace_library(new_lib, lib)
        old_sql.unlink(missing_ok=True)
    print("upgrade test passed")


def check_stream(events: list[dict], confirmed_floor: int, last_c: int, last_d: int, new_version: str) -> None:
    """Every row once at least, in order; repeats only of rows after the position the client
    had confirmed when it was cut off; each event as expected, decoded by the right library."""
    seen: set[int] = set()
    prev = 0
    repeats = 0
    repeated: list[int] = []
    for e in events:
        a = e.get("after") or {}
        i = a.get("id")
        expected_version = f"cedar_cdc-{OLD}" if i is not None and i <= last_c and i not in seen else None
        if (e.get("op") != "c" or a != {"id": i, "v": f"v{i}"} or e.get("before") is not None
                or e["source"]["table"] != "t" or e["source"]["db"] != DB):
            fail(f"unexpected event {json.dumps(e)[:300]}")
        version = e["source"]["version"]
        if i in seen:
            repeats += 1
            # Resent from the slot's confirmed position: the repeats are the rows that came
            # last before the reconnect, in order (checked against the position below).
            if i != (repeated[-1] + 1 if repeated else i) or (repeated and i > prev):
                fail(f"repeated row {i} out of order after the reconnect")
            repeated.append(i)
            if version != f"cedar_cdc-{new_version}":
                fail(f"repeated row {i} decoded by {version} after the reconnect")
        elif i != prev + 1:
            fail(f"row {prev + 1} missing or out of order (got {i})")
        else:
            prev = i
            seen.add(i)
            want = expected_version if i <= last_c else f"cedar_cdc-{new_version}"
            if version != want:
                fail(f"row {i} decoded by {version}, expected {want}")
    if repeated and repeated[-1] != last_c:
        fail(f"the repeated rows {repeated[0]}..{repeated[-1]} are not the last ones before the reconnect")
    # Transactions that committed before the confirmed position are never resent.
    if repeated and any(e["source"]["lsn"] < confirmed_floor for e in events if e["after"]["id"] in repeated):
        fail(f"rows {repeated[0]}..{repeated[-1]} repeated although confirmed before the reconnect")
    if prev != last_d:
        fail(f"rows arrived up to {prev}, expected {last_d}")
    print(f"stream: {last_d} rows, all in order, {repeats} repeated after the reconnect; "
          f"rows 1..{last_c} decoded by cedar_cdc-{OLD}, {last_c + 1}..{last_d} by cedar_cdc-{new_version}")


if __name__ == "__main__":
    main()
