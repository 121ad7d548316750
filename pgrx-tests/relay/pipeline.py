"""Ways into the broker for the relay suite, and the plugin's reference output.

* `Relay`: cedar-cdc-relay streaming a slot into the broker (what the suite tests);
* `RecvlogicalProducer`: the README's old path, pg_recvlogical's `output.format=record` lines
  produced by confluent-kafka (murmur2_random, acks=all): `--via recvlogical` runs the suites'
  harness without the relay, which proves the harness (broker, consumers, checks), never
  the relay's delivery;
* `reference`: the plugin's own `output.format=record` rendering of a slot, read with
  pg_logical_slot_get_changes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))

import pgtest  # noqa: E402

VENV_PYTHON = os.environ.get("CEDAR_VENV_PYTHON", "/var/cache/cedar_cdc/venv/bin/python")


def conninfo(port: int, db: str) -> str:
    return f"host={pgtest.run_dir()} port={port} user=postgres dbname={db}"


def sql_array(items: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + i.replace("'", "''") + "'" for i in items) + "]::text[]"


def reference(port: int, db: str, slot: str, options: list[str], upto: Optional[str] = None,
              consume: bool = True) -> list[dict]:
    """The slot's records in the plugin's record format (options: name, value, ...)."""
    fn = "pg_logical_slot_get_changes" if consume else "pg_logical_slot_peek_changes"
    opts = options + ["output.format", "record"]
    upto_sql = f"'{upto}'" if upto else "NULL"
    out = pgtest.query(port, f"SELECT data FROM {fn}('{slot}', {upto_sql}, NULL, VARIADIC {sql_array(opts)})",
                       db=db)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def current_lsn(port: int, db: str = "postgres") -> str:
    return pgtest.query(port, "SELECT pg_current_wal_lsn()", db=db)


def confirmed(port: int, slot: str) -> Optional[str]:
    v = pgtest.query(port, f"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '{slot}'")
    return v or None


def lsn_int(lsn: str) -> int:
    hi, lo = lsn.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def wait_confirmed(port: int, slot: str, target: str, timeout: float = 120.0,
                   alive=None) -> None:
    """Waits until the slot's confirmed position reaches target (the relay then has every
    record up to there acknowledged by the broker)."""
    deadline = time.monotonic() + timeout
    while True:
        c = confirmed(port, slot)
        if c and lsn_int(c) >= lsn_int(target):
            return
        if alive is not None and not alive():
            raise RuntimeError(f"the relay exited before slot {slot} reached {target} (at {c})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"slot {slot} at {c} did not reach {target} in {timeout:.0f} s")
        time.sleep(0.2)


class Relay:
    """cedar-cdc-relay on one slot, into the broker; stop() sends SIGTERM (it flushes), kill()
    sends SIGKILL."""

    def __init__(self, binary: str, port: int, db: str, slot: str, brokers: str, options: list[str],
                 log: Path, partitions: int = 3, extra: Optional[list[str]] = None):
        self.argv = [binary, "--connect", conninfo(port, db), "--slot", slot, "--brokers", brokers,
                     "--topic-partitions", str(partitions), "--topic-replication-factor", "1",
                     "--status-interval", "1"]
        for k, v in zip(options[::2], options[1::2]):
            self.argv += ["-o", f"{k}={v}"]
        self.argv += extra or []
        self.log = log
        self.proc: Optional[subprocess.Popen] = None

    def start(self, port: Optional[int] = None) -> "Relay":
        """Starts the relay; with port, first waits until no walsender holds the slot (a
        killed relay's walsender notices only when it next writes)."""
        if port is not None:
            slot = self.argv[self.argv.index("--slot") + 1]
            for _ in range(200):
                if pgtest.query(port, f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'") != "t":
                    break
                time.sleep(0.05)
        with open(self.log, "ab") as f:
            self.proc = subprocess.Popen(self.argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 60.0) -> int:
        if not self.alive():
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        if self.proc:
            self.proc.wait()

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


PRODUCER = r"""
import json, sys
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
brokers, partitions = sys.argv[1], int(sys.argv[2])
admin = AdminClient({"bootstrap.servers": brokers})
known = set(admin.list_topics(timeout=30).topics)
p = Producer({"bootstrap.servers": brokers, "partitioner": "murmur2_random", "acks": "all",
              "enable.idempotence": True, "linger.ms": 5})
for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    if r["topic"] not in known:
        for f in admin.create_topics([NewTopic(r["topic"], partitions, 1)]).values():
            f.result()
        known.add(r["topic"])
    k = None if r["key"] is None else r["key"].encode()
    v = None if r["value"] is None else r["value"].encode()
    while True:
        try:
            p.produce(r["topic"], key=k, value=v)
            break
        except BufferError:
            p.poll(0.1)
    p.poll(0)
left = p.flush(60)
sys.exit(1 if left else 0)
"""


class RecvlogicalProducer:
    """pg_recvlogical -o output.format=record up to endpos, into a confluent-kafka producer."""

    def __init__(self, port: int, db: str, slot: str, brokers: str, options: list[str], log: Path,
                 partitions: int = 3):
        self.port, self.db, self.slot, self.brokers = port, db, slot, brokers
        self.options, self.log, self.partitions = options, log, partitions

    def run_to(self, endpos: str) -> None:
        argv = pgtest.recvlogical_argv(self.port, self.db) + ["-S", self.slot, "--start", "-E", endpos,
                                                              "-o", "output.format=record", "-f", "-"]
        for k, v in zip(self.options[::2], self.options[1::2]):
            argv += ["-o", f"{k}={v}"]
        with open(self.log, "ab") as f:
            recv = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=f)
            prod = subprocess.run([VENV_PYTHON, "-c", PRODUCER, self.brokers, str(self.partitions)],
                                  stdin=recv.stdout, stderr=f)
            recv.stdout.close()
            if recv.wait() != 0 or prod.returncode != 0:
                raise RuntimeError(f"pg_recvlogical | producer failed (see {self.log})")


BROKER_SH = HERE.parent / "lib" / "broker.sh"


def broker_sh(function: str, port: int, storage: str = "memory://tansu/") -> str:
    """Runs one of lib/broker.sh's functions (broker_start, broker_stop, broker_kill, broker_pid)."""
    p = subprocess.run(["bash", "-c", 'source "$0" && "$@"', str(BROKER_SH), function],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=dict(os.environ, CEDAR_RUN=str(pgtest.run_dir()), BROKER_PORT=str(port),
                                BROKER_STORAGE=storage))
    if p.returncode != 0:
        raise RuntimeError(f"lib/broker.sh {function} failed: {p.stderr.strip()}")
    return p.stdout.strip()
