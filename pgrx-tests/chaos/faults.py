#!/usr/bin/env python3
"""Faults injected mid-stream, each with nothing lost: after every fault the consumer restarts
from its slot and, after de-duplication, has received exactly what an uninterrupted decoding of
the same WAL yields.

Faults (one per cycle, at a random point of the stream):
  walsender      kill -9 of the walsender (the postmaster then reinitialises: crash recovery)
  recvlogical    kill -9 of pg_recvlogical
  immediate      pg_ctl stop -m immediate, then a start (crash recovery)
  sql-cancel     pg_cancel_backend of a backend inside pg_logical_slot_peek_changes
  sql-terminate  pg_terminate_backend of the same
  disk-full      pg_replslot on an 8 MB tmpfs while a transaction spills (walsender and SQL):
                 a clear ERROR ("No space left on device"), then a resume once it is enlarged
Workloads: big (one N-row transaction, in memory), spill (one transaction decoded with
logical_decoding_work_mem=64kB; its spill files must exist when the fault hits), small (many
one-row transactions committed while the consumer streams). The three process faults run on
each workload; the SQL faults use big (--sql-all-workloads: all three in turn); disk-full
uses spill.

Every cycle creates two slots at the same point: `f`, decoded by the faulted consumer
(pg_recvlogical -F 1 -s 1 --no-loop, or repeated peek_changes calls, each followed by
pg_replication_slot_advance), and `r`,
decoded once at the end without faults. After the fault the consumer is dead; the slot's
confirmed_flush_lsn is read then, the consumer restarts, and a marker transaction is committed.
Checks: the first-seen order of all events received equals r's events (nothing lost, commit
order, identical bytes after masking the envelope's ts_ms/ts_us/ts_ns); every repeated event
belongs to a transaction whose commit ends after the confirmed position; the committed rows
counted in the table equal r's change events. Options: schemas.enable=false,
provide.transaction.metadata=true (BEGIN/END records give each event's commit position).

Figures per fault and workload: cycles, committed changes, lost, duplicates, time to resume
(consumer restart, or the server start for a crash, to the first event not received before).

Usage: faults.py [--port 54351] [--cycles 2] [--long] [--seed N] [--only FAULT[/WORKLOAD],...]
--long: 20 cycles each, a 1,000,000-row big transaction, 200,000 spilled rows, 10,000 small
transactions. Needs root (kill of the server's processes, the tmpfs mount). A throwaway cluster
"faults" is started with lib/cluster.sh ($PGBIN, $CEDAR_RUN) and stopped at the end.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
import pgtest  # noqa: E402

CLUSTER = "faults"
OPTIONS = [("topic.prefix", "chaos"), ("schemas.enable", "false"),
           ("provide.transaction.metadata", "true")]
SPILL_MEM = "64kB"
SMALL_TMPFS = "8m"
LARGE_TMPFS = "4g"
# The envelope's processing timestamps end every record (change events and BEGIN/END records).
ENVELOPE_TS = re.compile(r',"ts_ms":\d+,"ts_us":\d+,"ts_ns":\d+\}$')
TX_RECORD = re.compile(r'^\{"status":"(BEGIN|END)","id":"(\d+):')
TXID = re.compile(r'"txId":(\d+)')

PROCESS_FAULTS = ["walsender", "recvlogical", "immediate"]
SQL_FAULTS = ["sql-cancel", "sql-terminate"]
WORKLOADS = ["big", "spill", "small"]


class Failure(Exception):
    pass


SEQUENCE0 = re.compile(r'"sequence":"\[(null|\\"\d+\\"),')


def masked(line: str) -> str:
    """The event without the envelope's processing timestamps."""
    return ENVELOPE_TS.sub("}", line)


def mask(line: str) -> str:
    """masked() without source.sequence[0] too: the identity of an event. sequence[0] is the
    end of the previous transaction decoded in the same session, null for a session's first
    (README, deliberate differences); full() checks it separately."""
    return SEQUENCE0.sub('"sequence":"[*,', masked(line), count=1)


@dataclass
class Sizes:
    big: int
    spill: int
    small: int


@dataclass
class Row:
    fault: str
    workload: str
    cycles: int = 0
    changes: int = 0
    lost: int = 0
    duplicates: int = 0
    resume: list = field(default_factory=list)
    missed: int = 0
    fresh: int = 0


class Server:
    def __init__(self, port: int):
        self.port = port
        self.dir = pgtest.run_dir() / CLUSTER
        # The tmpfs goes where the server sees pg_replslot (inside another major's root).
        self.replslot = pgtest.server_path(self.dir / "pg_replslot")
        self.mounted = False

    def q(self, sql: str, **kw) -> str:
        return pgtest.query(self.port, sql, **kw)

    def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p = subprocess.run(["pg_isready", "-q", "-h", str(pgtest.run_dir()), "-p", str(self.port)])
            if p.returncode == 0:
                try:
                    self.q("SELECT 1")
                    return
                except pgtest.PsqlError:
                    pass
            time.sleep(0.05)
        raise Failure("the server did not come back")

    def mount(self) -> None:
        """pg_replslot on a tmpfs (empty: called before any slot exists), owned by postgres."""
        pgtest.cluster_sh("cluster_stop", CLUSTER)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={LARGE_TMPFS},mode=700", "tmpfs",
                        str(self.replslot)], check=True)
        self.mounted = True
        subprocess.run(["chown", "postgres:postgres", str(self.replslot)], check=True)
        pgtest.cluster_sh("cluster_restart", CLUSTER)

    def tmpfs_size(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.replslot)], check=True)

    def unmount(self) -> None:
        if self.mounted:
            pgtest.cluster_sh("cluster_stop", CLUSTER)
            subprocess.run(["umount", str(self.replslot)], check=False)
            self.mounted = False

    def slot(self, name: str) -> dict:
        row = self.q(f"SELECT coalesce(active_pid, 0), confirmed_flush_lsn FROM pg_replication_slots "
                     f"WHERE slot_name = '{name}'")
        pid, lsn = row.split("|")
        return {"pid": int(pid), "confirmed": lsn}

    def wait_inactive(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.slot(name)["pid"] == 0:
                return
            time.sleep(0.02)
        raise Failure(f"slot {name} stays active")


def lsn_int(lsn: str) -> int:
    hi, lo = lsn.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


class Stream:
    """One run of the consumer on slot f: its received lines, in order."""

    def __init__(self):
        self.lines: list[str] = []
        self.error = ""
        self.torn = 0  # a last message cut short by the kill -9 of pg_recvlogical
        self.done = threading.Event()


class RecvConsumer:
    def __init__(self, srv: Server, path: Path, spill: bool):
        self.srv, self.path = srv, path
        db = f"dbname=postgres options='-c logical_decoding_work_mem={SPILL_MEM}'" if spill else "postgres"
        argv = pgtest.recvlogical_argv(srv.port, db) + ["-S", "f", "--start", "--no-loop", "-F", "1",
                                                         "-s", "1", "-f", str(path)]
        for k, v in OPTIONS:
            argv += ["-o", f"{k}={v}"]
        path.write_bytes(b"")
        self.err_path = path.with_suffix(".err")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.err_path, "w"))
        self.pos = 0
        self.partial = b""
        self.killed = False
        self.stream = Stream()

    def poll(self) -> None:
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        self.pos += len(data)
        data = self.partial + data
        *complete, self.partial = data.split(b"\n")
        self.stream.lines += [c.decode() for c in complete]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """The fault: kill -9 of pg_recvlogical, then what it had written."""
        self.killed = True
        self.proc.kill()
        self.stop()

    def stop(self, sig=signal.SIGINT) -> None:
        if self.alive():
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.poll()
        # pg_recvlogical writes a message and its newline with two writes: a kill between them
        # leaves a complete message without one. A kill -9 can also stop the message's own
        # write() at a page boundary (Linux checks for a fatal signal between pages): that torn
        # message was never received whole, and it is not confirmed, so the slot sends it again.
        if self.partial:
            text = self.partial.decode(errors="replace")
            try:
                json.loads(text)
                self.stream.lines.append(text)
            except ValueError:
                if not self.killed:
                    raise Failure(f"pg_recvlogical, not killed, left a partial message: {text[-200:]}")
                self.stream.torn = 1
            self.partial = b""
        self.stream.error = self.err_path.read_text()


class SqlConsumer:
    """Calls pg_logical_slot_peek_changes(f, NULL, 1000, ...) and pg_replication_slot_advance
    in a loop, one psql each: at least once, as a real consumer does it. The rows of a call are
    taken (appended to the stream) before anything is acknowledged, and the acknowledgement is
    the lsn of the last END record, the end of the last transaction received whole: a commit
    that starts before a slot's confirmed position is skipped by the next decoding, so the
    position acknowledged never passes one not yet received. upto_nchanges is checked after a
    WAL record is decoded, and a transaction's events all come from its commit record: a call
    ends with a whole transaction (with transaction metadata, its END record)."""

    APP = "chaos_sql"

    def __init__(self, srv: Server, spill: bool):
        self.srv = srv
        self.stream = Stream()
        self.spill = spill
        self.calls = 0
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        opts = ", ".join(f"'{k}', '{v}'" for k, v in OPTIONS)
        pre = f"SET logical_decoding_work_mem = '{SPILL_MEM}'; " if self.spill else ""
        sql = f"{pre}SELECT lsn, data FROM pg_logical_slot_peek_changes('f', NULL, 1000, {opts})"
        while not self.stopping:
            # Peek, then advance past what arrived: at least once even when the call dies after
            # decoding (get_changes confirms before the client has the rows).
            p = pgtest.psql(self.srv.port, "-q", "-A", "-t", "-F", "\t", "-c", sql, check=False,
                            env={"PGAPPNAME": self.APP})
            if p.returncode != 0:
                self.stream.error = p.stderr
                break
            rows = [r.split("\t", 1) for r in p.stdout.splitlines()]
            self.stream.lines += [d for _, d in rows]
            ends = [lsn for lsn, d in rows if (m := TX_RECORD.match(d)) and m.group(1) == "END"]
            if rows and (not ends or ends[-1] != rows[-1][0]):
                self.stream.error = f"a call ended inside a transaction, at {rows[-1][0]}"
                break
            if ends:
                a = pgtest.psql(self.srv.port, "-q", "-c",
                                f"SELECT pg_replication_slot_advance('f', '{ends[-1]}')", check=False)
                if a.returncode != 0:
                    # Not acknowledged: the next call would repeat these rows in this run.
                    self.stream.error = a.stderr
                    break
            self.calls += 1
            if not rows:
                time.sleep(0.05)
        self.stream.done.set()

    def poll(self) -> None:
        pass

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self, sig=None) -> None:
        self.stopping = True
        self.thread.join(timeout=120)
        if self.thread.is_alive():
            raise Failure("the SQL consumer does not stop")


class Driver:
    def __init__(self, srv: Server, sizes: Sizes, rng: random.Random, log: Path):
        self.srv, self.sizes, self.rng, self.log = srv, sizes, rng, log
        self.cycle = 0
        self.sql_all = False

    def rows(self, workload: str, fault: str) -> int:
        n = getattr(self.sizes, workload)
        # The disk-full transaction must spill well past the small tmpfs.
        return max(n, 60_000) if fault == "disk-full" else n

    def writer(self, workload: str, n: int) -> subprocess.Popen:
        k = self.cycle
        if workload == "big":
            sql = f"INSERT INTO t (cycle, v) SELECT {k}, 'big ' || g FROM generate_series(1, {n}) g"
        elif workload == "spill":
            sql = (f"INSERT INTO t (cycle, v) SELECT {k}, repeat(md5(g::text), 10) "
                   f"FROM generate_series(1, {n}) g")
        else:
            sql = (f"DO $$ BEGIN FOR i IN 1..{n} LOOP "
                   f"INSERT INTO t (cycle, v) VALUES ({k}, 'small ' || i); COMMIT; END LOOP; END $$")
        argv = pgtest.psql_argv(self.srv.port) + ["-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)

    @staticmethod
    def expected_events(workload: str, n: int) -> int:
        return n + 2 if workload != "small" else 3 * n

    def consumer(self, kind: str, workload: str, run: int):
        spill = workload == "spill"
        if kind == "sql":
            return SqlConsumer(self.srv, spill)
        return RecvConsumer(self.srv, self.log / f"c{self.cycle}_{run}.jsonl", spill)

    def spill_files(self) -> int:
        return len(glob.glob(str(self.srv.replslot / "f" / "*.spill")))

    def run_cycle(self, fault: str, workload: str, row: Row) -> None:
        self.cycle += 1
        srv = self.srv
        kind = "sql" if fault.startswith("sql") or (fault == "disk-full" and self.sql_all and self.cycle % 2 == 0) else "recv"
        srv.q("SELECT pg_create_logical_replication_slot('f', 'cedar_cdc'), "
              "pg_create_logical_replication_slot('r', 'cedar_cdc')")
        if fault == "disk-full":
            srv.tmpfs_size(SMALL_TMPFS)
        n = self.rows(workload, fault)
        total = self.expected_events(workload, n)
        trigger = int(total * self.rng.uniform(0.1, 0.7))
        c1 = self.consumer(kind, workload, 1)
        w = self.writer(workload, n)
        spilled = 0
        missed = False
        wpid = 0
        deadline = time.monotonic() + 600
        # Wait for the point of the fault.
        while True:
            if time.monotonic() > deadline:
                raise Failure(f"cycle {self.cycle}: the fault point was never reached")
            c1.poll()
            if fault == "disk-full":
                if not c1.alive():
                    break
                if len(c1.stream.lines) >= total:
                    raise Failure(f"cycle {self.cycle}: the spilled transaction fit in {SMALL_TMPFS}")
            elif kind == "sql":
                # Big and spill: inside the call that decodes the committed transaction; small:
                # while the transactions are still being committed.
                ready = (w.poll() is not None) if workload != "small" else len(c1.stream.lines) >= trigger // 2
                if ready:
                    spilled = max(spilled, self.spill_files())
                    fn = "pg_cancel_backend" if fault == "sql-cancel" else "pg_terminate_backend"
                    calls = c1.calls
                    delay = self.rng.randint(0, 40) if workload != "small" else 0
                    hit = srv.q(f"SELECT count({fn}(pid)) FROM pg_stat_activity WHERE application_name = "
                                f"'{SqlConsumer.APP}' AND state = 'active' AND query LIKE '%peek_changes%' "
                                f"AND clock_timestamp() - query_start > interval '{delay} ms'")
                    if int(hit):
                        t = time.monotonic()
                        while c1.calls == calls and not c1.stream.done.is_set() and time.monotonic() - t < 60:
                            time.sleep(0.005)
                if c1.stream.done.is_set():
                    break
                if not c1.alive():
                    raise Failure(f"cycle {self.cycle}: SQL consumer ended: {c1.stream.error}")
                if len(c1.stream.lines) >= total and w.poll() is not None:
                    # The call ended before the signal: the next cycle tries again.
                    missed = True
                    break
            elif fault == "walsender" and not wpid:
                wpid = srv.slot("f")["pid"]
                continue
            elif len(c1.stream.lines) >= trigger:
                spilled = self.spill_files()
                break
            elif not c1.alive():
                raise Failure(f"cycle {self.cycle}: pg_recvlogical ended before the fault: "
                              f"{c1.err_path.read_text()}")
            time.sleep(0.005)
        if missed:
            c1.stop()
            w.communicate()
            srv.q(f"DELETE FROM t WHERE cycle = {self.cycle}")
            srv.wait_inactive("f")
            srv.q("SELECT pg_drop_replication_slot('f'), pg_drop_replication_slot('r')")
            row.missed += 1
            print(f"  cycle {self.cycle} {fault}/{workload}: the call ended before the signal; again", flush=True)
            if row.missed > 20:
                raise Failure(f"{fault}/{workload}: the signal never reached a decoding call")
            return False
        # The fault.
        t_restart = None
        if fault == "walsender":
            os.kill(wpid, signal.SIGKILL)
            c1.stop()
            srv.ready()
        elif fault == "recvlogical":
            c1.kill()
        elif fault == "immediate":
            pgtest.cluster_sh("cluster_crash", CLUSTER)
            c1.stop()
        elif fault == "disk-full":
            c1.stop()
            if "No space left on device" not in c1.stream.error:
                raise Failure(f"cycle {self.cycle}: expected an ERROR for the full disk, got: "
                              f"{c1.stream.error.strip()[:500]}")
            srv.tmpfs_size(LARGE_TMPFS)
        else:
            c1.stop()
            expect = (["canceling statement due to user request"] if fault == "sql-cancel"
                      # A backend terminated while blocked sending its rows exits without the
                      # FATAL (it could block again): the client sees the connection close.
                      else ["terminating connection due to administrator command",
                            "server closed the connection unexpectedly"])
            if not any(e in c1.stream.error for e in expect):
                raise Failure(f"cycle {self.cycle}: expected '{expect[0]}', got: {c1.stream.error.strip()[:300]}")
        w_err = w.communicate()[1]
        if w.returncode != 0 and fault not in ("walsender", "immediate"):
            raise Failure(f"cycle {self.cycle}: the workload failed: {w_err}")
        if fault == "immediate":
            t_restart = time.monotonic()
            pgtest.cluster_sh("cluster_restart", CLUSTER)
            srv.ready()
        srv.wait_inactive("f")
        confirmed = lsn_int(srv.slot("f")["confirmed"])
        if t_restart is None:
            t_restart = time.monotonic()
        c2 = self.consumer(kind, workload, 2)
        srv.q(f"INSERT INTO t (cycle, v) VALUES ({self.cycle}, 'marker')")
        # The reference: the same WAL from slot r, without faults.
        ref = []  # (event identity, commit end LSN)
        ref_full = {}  # identity -> masked event
        out = pgtest.psql(srv.port, "-q", "-A", "-t", "-F", "\t", "-c",
                          "SELECT lsn, data FROM pg_logical_slot_get_changes('r', NULL, NULL, "
                          + ", ".join(f"'{k}', '{v}'" for k, v in OPTIONS) + ")").stdout
        pending = []
        for line in out.splitlines():
            lsn, data = line.split("\t", 1)
            pending.append(mask(data))
            ref_full[pending[-1]] = masked(data)
            m = TX_RECORD.match(data)
            if m and m.group(1) == "END":
                end = lsn_int(lsn)
                ref += [(x, end) for x in pending]
                pending = []
        if pending:
            raise Failure(f"cycle {self.cycle}: reference decoding ends inside a transaction")
        committed = int(srv.q(f"SELECT count(*) FROM t WHERE cycle = {self.cycle}"))
        changes = sum(1 for x, _ in ref if not TX_RECORD.match(x))
        if changes != committed:
            raise Failure(f"cycle {self.cycle}: the table holds {committed} committed rows, "
                          f"the reference slot decodes {changes} changes")
        # Wait until the restarted consumer has everything.
        seen1 = set(map(mask, c1.stream.lines))
        if len(seen1) != len(c1.stream.lines):
            raise Failure(f"cycle {self.cycle}: the first run repeats events")
        want = {x for x, _ in ref}
        missing = want - seen1
        first_new = None
        deadline = time.monotonic() + 180
        checked = 0
        while missing:
            c2.poll()
            lines = c2.stream.lines
            # The SQL consumer's thread appends to lines meanwhile: scan up to a length read
            # once, or the lines appended during the scan would be counted without being read.
            n = len(lines)
            for x in lines[checked:n]:
                mx = mask(x)
                if first_new is None and mx not in seen1:
                    first_new = time.monotonic()
                missing.discard(mx)
            checked = n
            if not missing or not c2.alive() or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        c2.stop()
        if workload == "spill" and spilled == 0:
            # A SQL call may be signalled before it spills: the slot's statistics then show
            # that the second call did (a walsender's spill files are seen at the fault).
            t = time.monotonic()
            while int(srv.q("SELECT coalesce(sum(spill_txns), 0) FROM pg_stat_replication_slots "
                            "WHERE slot_name = 'f'")) == 0:
                if time.monotonic() - t > 5:
                    raise Failure(f"cycle {self.cycle}: the spill workload did not spill")
                time.sleep(0.1)
        all_lines = [mask(x) for x in c1.stream.lines + c2.stream.lines]
        firsts, seen = [], set()
        dups = []
        for x in all_lines:
            if x in seen:
                dups.append(x)
            else:
                seen.add(x)
                firsts.append(x)
        ref_lines = [x for x, _ in ref]
        lost = len(want - seen)
        commit_of = dict(ref)
        early = [x for x in dups if commit_of.get(x, 0) <= confirmed]
        # Against the reference, an event may differ only in a null sequence[0] (the first
        # transaction of a new session).
        fresh = 0
        for x in c1.stream.lines + c2.stream.lines:
            full = masked(x)
            want_full = ref_full.get(mask(x))
            if full != want_full:
                if want_full is not None and SEQUENCE0.sub('"sequence":"[null,', want_full, count=1) == full:
                    fresh += 1
                else:
                    raise Failure(f"cycle {self.cycle}: event differs from the reference:\n  got  {full[:400]}\n"
                                  f"  want {str(want_full)[:400]}")
        row.fresh += fresh
        row.cycles += 1
        row.changes += changes
        row.lost += lost
        row.duplicates += len(dups)
        if first_new is not None:
            row.resume.append(first_new - t_restart)
        print(f"  cycle {self.cycle} {fault}/{workload} ({kind}): {len(c1.stream.lines)} events before the "
              f"fault, confirmed {confirmed >> 32:X}/{confirmed & 0xFFFFFFFF:X}, {len(c2.stream.lines)} after, "
              f"{changes} changes, {lost} lost, {len(dups)} repeated, {fresh} with a fresh session's null sequence[0]"
              + (f", {c1.stream.torn} torn by the kill" if c1.stream.torn else "")
              + (f", resumed in {first_new - t_restart:.2f} s" if first_new else ""), flush=True)
        if lost:
            sample = next(iter(want - seen))
            raise Failure(f"cycle {self.cycle}: {lost} events lost (first runs {len(c1.stream.lines)}, "
                          f"second {len(c2.stream.lines)} events), e.g. {sample[:300]}; consumer error: "
                          f"{c2.stream.error[:300]}")
        if firsts != ref_lines:
            i = next((i for i, (a, b) in enumerate(zip(firsts, ref_lines)) if a != b),
                     min(len(firsts), len(ref_lines)))
            raise Failure(f"cycle {self.cycle}: the de-duplicated stream differs from the reference at "
                          f"event {i}:\n  got  {firsts[i][:300] if i < len(firsts) else '(end)'}\n"
                          f"  want {ref_lines[i][:300] if i < len(ref_lines) else '(end)'}")
        if early:
            raise Failure(f"cycle {self.cycle}: {len(early)} repeated events were committed at or before "
                          f"the confirmed position: {early[0][:300]}")
        srv.wait_inactive("f")
        srv.q("SELECT pg_drop_replication_slot('f'), pg_drop_replication_slot('r')")
        return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=int(os.environ.get("FAULTS_PORT", 54351)))
    ap.add_argument("--cycles", type=int)
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--only", default="", help="comma-separated FAULT or FAULT/WORKLOAD")
    ap.add_argument("--sql-all-workloads", dest="sql_all", action="store_true",
                    help="SQL faults rotate through big, spill and small (default: big); disk-full "
                         "alternates the walsender and SQL (default: the walsender)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("faults.py needs root (it kills server processes and mounts a tmpfs)", file=sys.stderr)
        return 2
    sizes = Sizes(1_000_000, 200_000, 10_000) if a.long else Sizes(50_000, 20_000, 2_000)
    cycles = a.cycles or (20 if a.long else 2)
    plan = [(f, wl) for f in PROCESS_FAULTS for wl in WORKLOADS]
    plan += [(f, "rotate") for f in SQL_FAULTS] + [("disk-full", "spill")]
    if a.only:
        only = a.only.split(",")
        plan = [(f, wl) for f, wl in plan if f in only or f"{f}/{wl}" in only]
    rng = random.Random(a.seed)
    srv = Server(a.port)
    # A timeout's SIGTERM still unmounts the tmpfs and stops the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # A tmpfs left behind by a killed run.
    if subprocess.run(["mountpoint", "-q", str(srv.replslot)]).returncode == 0:
        pgtest.cluster_sh("cluster_stop", CLUSTER)
        subprocess.run(["umount", str(srv.replslot)], check=True)
    log = pgtest.run_dir() / f"{CLUSTER}-log"
    log.mkdir(parents=True, exist_ok=True)
    os.chmod(log, 0o777)
    rows = []
    started = time.monotonic()
    pgtest.cluster_sh("cluster_start", CLUSTER, str(a.port), "wal_sender_timeout = 60s",
                      "restart_after_crash = on", "log_min_messages = log")
    try:
        srv.mount()
        srv.q("CREATE TABLE t (id bigserial PRIMARY KEY, cycle int NOT NULL, v text NOT NULL)")
        d = Driver(srv, sizes, rng, log)
        d.sql_all = a.sql_all
        for fault, wl in plan:
            t0 = time.monotonic()
            row = Row(fault, wl)
            while row.cycles < cycles:
                workload = (WORKLOADS[row.cycles % 3] if a.sql_all else "big") if wl == "rotate" else wl
                d.run_cycle(fault, workload, row)
            rows.append(row)
            print(f"{fault}/{wl}: {row.cycles} cycles in {time.monotonic() - t0:.0f} s", flush=True)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        srv.unmount()
        pgtest.cluster_sh("cluster_stop", CLUSTER)
    # No backend died but the walsenders this script killed.
    log_text = (srv.dir / "server.log").read_text(errors="replace")
    signalled = re.findall(r"terminated by signal (\d+)", log_text)
    killed = sum(r.cycles for r in rows if r.fault == "walsender")
    if len(signalled) != killed or set(signalled) - {"9"} or "PANIC" in log_text:
        print(f"FAIL: the server log shows {len(signalled)} processes terminated by a signal "
              f"({sorted(set(signalled))}) for {killed} killed walsenders, or a PANIC", file=sys.stderr)
        return 1
    print(f"\nfaults: {sum(r.cycles for r in rows)} cycles in {time.monotonic() - started:.0f} s "
          f"(sizes: big {sizes.big:,} rows, spill {sizes.spill:,} rows, small {sizes.small:,} transactions)")
    print("| fault | workload | cycles | committed changes | lost | duplicates | time to resume (median / max) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        res = (f"{statistics.median(r.resume):.2f} s / {max(r.resume):.2f} s" if r.resume else "—")
        print(f"| {r.fault} | {r.workload} | {r.cycles} | {r.changes:,} | {r.lost} | {r.duplicates:,} | {res} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
