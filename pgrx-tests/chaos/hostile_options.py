#!/usr/bin/env python3
"""Hostile input at the SQL level: option lists, identifiers and (behind a flag) a row whose
event passes PostgreSQL's 1 GB limit. No input may crash or hang a backend.

Options: a seeded list of option lists (unknown, repeated, empty, huge and unicode names and
values, catastrophic and oversized regular expressions, unknown hash algorithms, bad mapper
names, include/exclude conflicts, and valid lists) goes to pg_logical_slot_peek_changes on a
cedar_cdc slot that has changes to decode, under a statement_timeout. A list with a hostile
element must be an ERROR with a SQLSTATE of the expected class (22023, 42704, 2201B) whose
message quotes the offending option's name; a valid list must decode. Every list runs in one
psql session per batch; a lost connection or "terminated by signal" in the server log is a
crash, a statement timeout or a batch that outlives its budget is a hang.

Identifiers: tables whose schema, table and column names hold quotes, backslashes, control
characters, non-ASCII text and 63-byte names; each of their events, in every output format,
must be JSON whose names round-trip exactly, with the topic sanitized as Debezium does.

--huge-row: one row whose event is larger than 1 GB (a ~600 MB bytea, hex-encoded, with
schemas): the decoding call must fail with an ERROR naming the table and the key, and the
server must stay up. Needs about 6 GB of memory for a minute; not run by default.

Usage: hostile_options.py [--port 54470] [--count 2000] [--seed N] [--no-cluster]
                          [--no-identifiers] [--huge-row]
Without --no-cluster a throwaway cluster "chaos" is started with lib/cluster.sh ($PGBIN,
$CEDAR_RUN) on --port and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
import pgtest  # noqa: E402

SLOT = "chaos"
ALLOWED_STATES = {"22023", "42704", "2201B"}
CLUSTER = "chaos"

# Valid values per option (names whose values are regex lists get patterns).
VALID: dict[str, list[str]] = {
    "topic.prefix": ["dbserver1", "é😀", "a" * 300, "x.y-z_"],
    "schemas.enable": ["true", "false", "TRUE", "False"],
    "decimal.handling.mode": ["precise", "string", "double", "STRING"],
    "binary.handling.mode": ["bytes", "base64", "base64-url-safe", "hex"],
    "time.precision.mode": ["adaptive", "adaptive_time_microseconds", "connect"],
    "interval.handling.mode": ["numeric", "string"],
    "hstore.handling.mode": ["json", "map"],
    "money.fraction.digits": ["0", "2", "18", " 4 "],
    "include.unknown.datatypes": ["true", "false"],
    "unavailable.value.placeholder": ["__x", "hex:00ff", "", "☃"],
    "tombstones.on.delete": ["true", "false"],
    "provide.transaction.metadata": ["true", "false"],
    "include.schema.changes": ["true", "false"],
    "skipped.operations": ["t", "none", "c,u", "d, t", ""],
    "topic.heartbeat.prefix": ["hb", "__debezium-heartbeat"],
    "heartbeat.message.prefix": ["hb", "pfx"],
    "publication.autocreate.mode": ["all_tables", "filtered", "disabled"],
    "origin": ["any", "none", "pg_1, pg_2"],
    "output.format": ["value", "record"],
    "publication_names": ["chaos_pub"],
    "message.key.columns": ["public.chaos_t:id", "public\\.chaos_t:v;x.y:z", ".*:id"],
}
REGEX_OPTIONS = [
    "schema.include.list", "schema.exclude.list", "table.include.list", "table.exclude.list",
    "column.include.list", "column.exclude.list", "message.prefix.include.list",
    "message.prefix.exclude.list", "column.propagate.source.type", "datatype.propagate.source.type",
]
VALID_REGEXES = ["public", "public\\.chaos_t", ".*", "pub.*,other", "(?i)PUBLIC\\..*", "a\\,b",
                 "[a-z]+\\.[a-z_]+"]
HASHES = ["MD5", "SHA-1", "SHA", "SHA-224", "SHA-256", "sha-384", "SHA-512", "SHA-512/224",
          "SHA-512/256", "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512"]

# Patterns that are slow elsewhere (backtracking), too large for the compiler, or not Rust
# regex syntax.
HOSTILE_REGEXES = [
    "(a*)*b", "(a|a)*$", "(a+)+$", "(x+x+)+y", "(.*a){20}", "^(([a-z])+.)+[A-Z]([a-z])+$",
    "\\w{1000}{1000}", "(?:a{1000}){1000}", "[\\p{L}\\p{N}]{50000}", ".{65536}", "x{4294967295}",
    "(" * 300 + "a" + ")" * 300, "(" * 5000, ")", "[", "a{2,1}", "(a)\\1", "(?=a)", "(?<!a)b",
    "(?P<n>a)(?P=n)", "\\p{NoSuchClass}", "\\", "a**", "(?z)", "\\u{110000}", "[z-a]",
    "|".join(f"w{i}" for i in range(20000)), ",".join(["\\w{300}"] * 50),
    "\\w{600}", "(?s).{200}(?s).{200}", "\x01", "é{3}", "😀+",
    # Costly but valid: together past the session's compiled-regex budget.
    ",".join(["\\d{2000}"] * 100), ",".join(["(?s).{5000}"] * 200),
]


def rand_text(r: random.Random, n: int) -> str:
    """Random text: ASCII, control characters, quotes, backslashes and non-ASCII letters."""
    pools = [
        "abcdefghijklmnopqrstuvwxyz.-_",
        "\t\n\r\x01\x1f\x7f \"'\\%$:;,{}[]()*+?|^",
        "éßøЖ漢字😀\u2028\u200d\u202e",
    ]
    return "".join(r.choice(r.choice(pools)) for _ in range(n))


def huge(r: random.Random) -> str:
    return rand_text(r, 20) * (1 << 15)  # ~0.6 to 2 MB


def valid_option(r: random.Random, taken: set[str]) -> tuple[str, str] | None:
    """A valid (name, value) not conflicting with the names already taken."""
    for _ in range(20):
        kind = r.random()
        if kind < 0.6:
            name = r.choice(list(VALID))
            value = r.choice(VALID[name])
        elif kind < 0.8:
            name = r.choice(REGEX_OPTIONS)
            value = r.choice(VALID_REGEXES)
        elif kind < 0.9:
            name = r.choice(["column.truncate.to.%d.chars", "column.mask.with.%d.chars"]) % r.randint(0, 99)
            value = r.choice(VALID_REGEXES)
        else:
            name = f"column.mask.hash.{r.choice(['', 'v2.'])}{r.choice(HASHES)}.with.salt.{rand_text(r, 5)}"
            value = r.choice(VALID_REGEXES)
        # Include and exclude lists of a kind, and the two publication names, exclude each other.
        side = re.sub(r"\.(include|exclude)\.list$", "", name)
        rivals = {f"{side}.include.list", f"{side}.exclude.list"} if side != name else {name}
        if name in ("publication_names", "publication.name"):
            rivals = {"publication_names", "publication.name"}
        if taken & rivals:
            continue
        taken.add(name)
        return name, value
    return None


def hostile_option(r: random.Random, opts: list[tuple[str, str]]) -> tuple[tuple[str, str], set[str], str]:
    """A hostile (name, value), the names an error may quote, and what kind it is."""
    # No "missing value": the SQL functions refuse NULL values (only pg_recvlogical's -o NAME
    # sends an option without one, which the unit tests cover).
    kind = r.choice(["unknown", "unknown", "repeated", "bad value", "bad value", "regex", "regex",
                     "mapper", "hash", "conflict"])
    if kind == "unknown":
        name = r.choice([
            "", " ", "include-xids", "schemas.enabled", "Schemas.Enable", "topic.prefix ",
            "table.include", "column.truncate.to.chars", "column.mask.hash.SHA-256",
            rand_text(r, r.randint(1, 40)), rand_text(r, 2) * 40000,
        ])
        if name in VALID or name in REGEX_OPTIONS:
            name += "?"
        return (name, r.choice(["", "1", rand_text(r, 5)])), {name}, kind
    if kind == "repeated" and opts:
        name, value = r.choice(opts)
        return (name, value), {name}, kind
    if kind in ("bad value", "repeated"):
        name = r.choice([n for n in VALID if n not in ("topic.prefix", "unavailable.value.placeholder",
                                                      "skipped.operations", "publication_names")])
        value = r.choice(["", " ", "yes", "-1", "19", "1e3", "true false", "hex:0", "hex:zz", "c,x",
                          "\x01", "é😀", huge(r), rand_text(r, 30), "none,,", "pg_1,,pg_2",
                          "\"unterminated", "nocolon", "a(:id"])
        if name in ("topic.heartbeat.prefix", "heartbeat.message.prefix"):
            value = ""  # any other text is a valid prefix
        if name == "origin":
            value = r.choice([",,", "", " ", "a,,b", "pg_1, "])
        if name == "message.key.columns" and ((":" in value and "(" not in value) or not value.strip()):
            value = "nocolon"
        return (name, value), {name}, "bad value"
    if kind == "regex":
        name = r.choice(REGEX_OPTIONS + ["message.key.columns", "column.truncate.to.5.chars",
                                         "column.mask.hash.SHA-256.with.salt.s"])
        pat = r.choice(HOSTILE_REGEXES)
        value = f"public.chaos_t:{pat}" if name == "message.key.columns" else pat
        return (name, value), {name}, kind
    if kind == "mapper":
        bad = ["-1", "x", "", "1.5", "99999999999999999999999", "٣", " 3", "0x3", rand_text(r, 4)]
        if r.random() < 0.5:
            # Past PostgreSQL's largest value: a mask that long could never be sent.
            name = "column.mask.with.%s.chars" % r.choice(bad + ["1073741824", "1000000000000000000"])
        else:
            name = "column.truncate.to.%s.chars" % r.choice(bad)
        return (name, ".*"), {name}, kind
    if kind == "hash":
        alg = r.choice(["SHA-999", "sha256", "MD4", "", "SHA3", "WHIRLPOOL", rand_text(r, 6), "SHA-512/384"])
        name = f"column.mask.hash.{r.choice(['', 'v2.'])}{alg}.with.salt.{rand_text(r, 4)}"
        if alg.upper() in HASHES:
            alg, name = "MD4", f"column.mask.hash.MD4.with.salt.x"
        sep = r.choice([".with.salt.", ".with.pepper."])
        if sep != ".with.salt.":
            name = f"column.mask.hash.SHA-256{sep}x"
        return (name, ".*"), {name}, kind
    if kind == "conflict":
        side = r.choice(["schema", "table", "column", "message.prefix", "publication"])
        if side == "publication":
            pair = ("publication_names", "publication.name")
        else:
            pair = (f"{side}.include.list", f"{side}.exclude.list")
        # The first of the pair goes in the list too (see build_case).
        return (pair[1], "chaos_pub" if side == "publication" else "x"), set(pair), kind
    raise AssertionError(kind)


def build_case(r: random.Random) -> dict:
    taken: set[str] = set()
    opts: list[tuple[str, str]] = []
    for _ in range(r.randint(0, 5)):
        o = valid_option(r, taken)
        if o:
            opts.append(o)
    roll = r.random()
    if roll < 0.2:
        return {"opts": opts, "expect": "ok", "names": set(), "kind": "valid"}
    if roll < 0.3:
        # Anything at all: an error, if any, quotes one of the names.
        opts = [(rand_text(r, r.randint(0, 12)), rand_text(r, r.randint(0, 12)))
                for _ in range(r.randint(1, 4))]
        return {"opts": opts, "expect": "either", "names": {n for n, _ in opts}, "kind": "random"}
    (name, value), names, kind = hostile_option(r, opts)
    # A hostile pattern may still be a valid (if costly) one: then the list decodes.
    expect = "either" if kind == "regex" else "error"
    if kind == "conflict":
        first = sorted(names - {name})[0]
        opts = [o for o in opts if o[0] not in names]
        opts.append((first, "chaos_pub" if first == "publication_names" else "y"))
    if kind != "repeated":
        opts = [o for o in opts if o[0] != name]
    opts.insert(r.randint(0, len(opts)), (name, value))
    return {"opts": opts, "expect": expect, "names": names, "kind": kind}


def literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def call_sql(opts: list[tuple[str, str]], slot: str = SLOT) -> str:
    arr = ", ".join(f"{literal(n)}, {literal(v)}" for n, v in opts)
    arg = f", VARIADIC ARRAY[{arr}]::text[]" if opts else ""
    return f"SELECT 'decoded:' || count(*) FROM pg_logical_slot_peek_changes('{slot}', NULL, NULL{arg});"


ERROR_RE = re.compile(r"^(?:psql:[^:\n]*:\d+: )?ERROR:  (?:([0-9A-Z]{5}): )?", re.M)


def error_of(segment: str) -> tuple[str, str] | None:
    """(SQLSTATE, message) of the first ERROR in a psql stderr segment, or None."""
    m = ERROR_RE.search(segment)
    if not m:
        return None
    rest = segment[m.end():]
    end = re.search(r"\n(?:DETAIL|HINT|LOCATION|CONTEXT|STATEMENT):  ", rest)
    return m.group(1), rest[: end.start()] if end else rest


def server_log(port: int) -> Path:
    return pgtest.run_dir() / CLUSTER / "server.log"


def crashes_in_log(port: int, since: int) -> list[str]:
    p = server_log(port)
    if not p.exists():
        return []
    with open(p, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return [l for l in text.splitlines()
            if "terminated by signal" in l or "was terminated" in l or "PANIC" in l or "TRAP:" in l]


def log_size(port: int) -> int:
    p = server_log(port)
    return p.stat().st_size if p.exists() else 0


def wait_up(port: int, seconds: float = 60) -> bool:
    t = time.monotonic() + seconds
    while time.monotonic() < t:
        if pgtest.psql(port, "-Atc", "SELECT 1", check=False).returncode == 0:
            return True
        time.sleep(0.5)
    return False


def run_batch(port: int, cases: list[dict], timeout_ms: int) -> tuple[dict[int, str], bool]:
    """Runs the cases in one psql session; stderr segments per case index, and whether psql
    was cut off (lost connection or out of time) before the end."""
    lines = ["\\set VERBOSITY verbose", f"SET statement_timeout = {timeout_ms};"]
    for c in cases:
        lines.append(f"\\warn @@CASE {c['i']}")
        lines.append(call_sql(c["opts"]))
    lines.append("\\warn @@END")
    script = "\n".join(lines) + "\n"
    budget = len(cases) * timeout_ms / 1000 + 60
    p = subprocess.Popen(pgtest.psql_argv(port) + ["-X", "-q", "-v", "ON_ERROR_STOP=0"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(script.encode(), timeout=budget)
        cut = False
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        cut = True
    text = err.decode("utf-8", "replace")
    segs: dict[int, str] = {}
    for part in re.split(r"^@@", text, flags=re.M)[1:]:
        head, _, body = part.partition("\n")
        if head.startswith("CASE "):
            segs[int(head[5:])] = body
        elif head == "END":
            return segs, cut
    return segs, True


def judge(c: dict, seg: str) -> str:
    """'ok', 'error' (as expected) or a failure description."""
    if seg is None:
        return "no result"
    if "statement timeout" in seg:
        return "hang (statement timeout)"
    if "server closed the connection" in seg or "connection to server was lost" in seg:
        return "crash (connection lost)"
    e = error_of(seg)
    if e is None:
        return "ok" if c["expect"] in ("ok", "either") else "accepted a hostile list"
    state, msg = e
    if c["expect"] == "ok":
        return f"rejected a valid list: {state} {msg[:300]!r}"
    if state is None:
        return f"ERROR without SQLSTATE: {msg[:300]!r}"
    if state not in ALLOWED_STATES:
        return f"unexpected SQLSTATE {state}: {msg[:300]!r}"
    if not any(f'"{n}"' in msg for n in c["names"]):
        return f"message names none of the options: {msg[:300]!r}"
    return "error"


def options_phase(port: int, count: int, seed: int, timeout_ms: int, batch: int) -> bool:
    r = random.Random(seed)
    cases = []
    for i in range(count):
        c = build_case(r)
        c["i"] = i
        cases.append(c)
    # The catastrophic patterns once each in every regex option, whatever the seed.
    for name in REGEX_OPTIONS + ["message.key.columns"]:
        for pat in HOSTILE_REGEXES:
            value = f"public.chaos_t:{pat}" if name == "message.key.columns" else pat
            cases.append({"opts": [(name, value)], "expect": "either", "names": {name},
                          "kind": "regex (fixed)", "i": len(cases)})
    # Many options: a budget shared across options, and no quadratic work in their number.
    many = [(f"column.truncate.to.{k}.chars", f"x{k}") for k in range(20000)]
    cases.append({"opts": many, "expect": "error", "names": {n for n, _ in many},
                  "kind": "20000 options", "i": len(cases)})
    costly = [(f"column.mask.with.{k}.chars", "\\d{300}") for k in range(500)]
    cases.append({"opts": costly, "expect": "error", "names": {n for n, _ in costly},
                  "kind": "500 costly options", "i": len(cases)})
    results: dict[str, int] = {}
    failures: list[tuple[dict, str]] = []
    start_log = log_size(port)
    t0 = time.monotonic()
    pos = 0
    while pos < len(cases):
        chunk = cases[pos:pos + batch]
        segs, cut = run_batch(port, chunk, timeout_ms)
        ran = [c for c in chunk if c["i"] in segs]
        # When psql was cut off, the last case it started is the one that was running.
        finished = ran[:-1] if cut and ran else ran
        for c in finished:
            verdict = judge(c, segs[c["i"]])
            if verdict in ("ok", "error"):
                results[verdict] = results.get(verdict, 0) + 1
            else:
                failures.append((c, verdict))
        if cut:
            c = ran[-1] if ran else chunk[0]
            last = segs.get(c["i"], "")
            lost = "server closed" in last or "connection to server" in last
            failures.append((c, "crash (connection lost)" if lost else "hang (past the batch budget)"))
            if not wait_up(port):
                print("server did not come back", file=sys.stderr)
                break
        pos += max(len(ran), 1)
    log_crashes = crashes_in_log(port, start_log)
    elapsed = time.monotonic() - t0
    kinds: dict[str, int] = {}
    for c in cases:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    print(f"option lists: {len(cases)} tried in {elapsed:.0f} s "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    print(f"  errors as expected: {results.get('error', 0)}, decoded: {results.get('ok', 0)}, "
          f"failures: {len(failures)}, crashes in the server log: {len(log_crashes)}")
    for c, why in failures[:30]:
        shown = [(n[:60], None if v is None else v[:60]) for n, v in c["opts"]]
        print(f"  FAIL case {c['i']} ({c['kind']}): {why}\n    options {shown}")
    for l in log_crashes[:10]:
        print(f"  LOG {l}")
    return not failures and not log_crashes


# Names PostgreSQL allows (at most 63 bytes, no NUL), hostile to JSON and to topic names.
HOSTILE_NAMES = [
    'q"uote', "back\\slash", 'both\\"', "ctl\x01x", "new\nline", "tab\there", "cr\rlf",
    "esc\x1b[31m", "del\x7f", "u2028\u2028", "zwj\u200dx", "rtl\u202eabc", "é😀漢字", "Mixed Case",
    "dot.ted", "%s%n{}", "</script>", "a" * 63, ("é" * 31) + "x", "😀" * 15 + "abc",
    "'single'", "-", "_", "$1", "null", "\\u0000",
]


def sanitize_topic(name: str) -> str:
    """Debezium's topic sanitizing: every UTF-16 unit outside [A-Za-z0-9._-] becomes _."""
    out = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch in "._-"):
            out.append(ch)
        else:
            out.append("_" * (2 if ord(ch) > 0xFFFF else 1))
    return "".join(out)


def clip63(s: str) -> str:
    """A name as PostgreSQL keeps it: at most 63 bytes, cut at a character boundary."""
    while len(s.encode()) > 63:
        s = s[:-1]
    return s


def ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def identifiers_phase(port: int) -> bool:
    q = lambda sql: pgtest.query(port, sql)  # noqa: E731
    r = random.Random(1)
    tables = []
    for i, name in enumerate(HOSTILE_NAMES):
        schema = HOSTILE_NAMES[(i + 7) % len(HOSTILE_NAMES)]
        cols = [name, clip63(HOSTILE_NAMES[(i + 3) % len(HOSTILE_NAMES)] + "2"), "plain"]
        tables.append((clip63(f"s{i}_{schema}"), name, cols))
    setup = ["CREATE TABLE IF NOT EXISTS chaos_t (id int PRIMARY KEY)"]
    for schema, table, cols in tables:
        setup.append(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        setup.append(f"CREATE TABLE {ident(schema)}.{ident(table)} ({ident(cols[0])} int PRIMARY KEY, "
                     f"{ident(cols[1])} text, {ident(cols[2])} text[])")
    pgtest.psql(port, "-q", input=";\n".join(setup) + ";\n")
    # The names as PostgreSQL stored them (a name past 63 bytes would be cut).
    got = q("SELECT count(*) FROM pg_class WHERE relname = ANY (ARRAY["
            + ",".join(literal(t) for _, t, _ in tables) + "])")
    assert int(got) == len(tables), got
    q(f"SELECT pg_create_logical_replication_slot('chaos_ident', 'cedar_cdc')")
    dml = []
    for k, (schema, table, cols) in enumerate(tables):
        t = f"{ident(schema)}.{ident(table)}"
        val = literal(HOSTILE_NAMES[(k + 5) % len(HOSTILE_NAMES)])
        dml.append(f"INSERT INTO {t} VALUES (1, {val}, ARRAY[{val}, NULL])")
        dml.append(f"UPDATE {t} SET {ident(cols[1])} = 'u' WHERE {ident(cols[0])} = 1")
        dml.append(f"DELETE FROM {t}")
        dml.append(f"SELECT pg_logical_emit_message(true, {literal(table)}, {literal(schema)})")
    pgtest.psql(port, "-q", input=";\n".join(dml) + ";\n")
    formats = [[], ["schemas.enable", "false"], ["output.format", "record"],
               ["output.format", "record", "schemas.enable", "false", "provide.transaction.metadata", "true"],
               ["topic.prefix", "pré fix\"😀"]]
    by_name = {(s, t): cols for s, t, cols in tables}
    checked = records = 0
    problems: list[str] = []
    for opts in formats:
        arr = ", ".join(literal(o) for o in opts)
        sql = ("SELECT data FROM pg_logical_slot_peek_changes('chaos_ident', NULL, NULL"
               + (f", VARIADIC ARRAY[{arr}]" if opts else "") + ")")
        raw = subprocess.run(pgtest.psql_argv(port) + ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             capture_output=True, stdin=subprocess.DEVNULL, check=True).stdout
        for line in raw.split(b"\n"):
            if not line:
                continue
            records += 1
            try:
                rec = json.loads(line.decode("utf-8"))  # strict: invalid UTF-8 raises
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                problems.append(f"not JSON ({e}): {line[:200]!r}")
                continue
            record = "output.format" in opts
            prefix = opts[opts.index("topic.prefix") + 1] if "topic.prefix" in opts else "postgres"
            value = rec
            if record:
                topic = rec["topic"]
                if not re.fullmatch(r"[A-Za-z0-9._-]+", topic):
                    problems.append(f"topic not sanitized: {topic!r}")
                value = json.loads(rec["value"]) if rec["value"] is not None else None
                if rec["key"] is not None:
                    json.loads(rec["key"])
            if value is None:
                continue
            payload = value.get("payload", value) if "schema" in value else value
            src = payload.get("source")
            if not src or not src.get("table"):
                continue  # transaction records, messages
            key = (src["schema"], src["table"])
            if key not in by_name:
                problems.append(f"names did not round-trip: {key!r}")
                continue
            row = payload["after"] or payload["before"]
            if list(row) != by_name[key]:
                problems.append(f"columns {list(row)!r} for {key!r}, want {by_name[key]!r}")
            if record:
                want = sanitize_topic(f"{prefix}.{key[0]}.{key[1]}")
                if rec["topic"] != want:
                    problems.append(f"topic {rec['topic']!r}, Debezium's {want!r}")
            if "schema" in value:
                fields = value["schema"]["fields"][1]["fields"]
                if [f["field"] for f in fields] != by_name[key]:
                    problems.append(f"schema fields for {key!r}")
            checked += 1
    q("SELECT pg_drop_replication_slot('chaos_ident')")
    print(f"hostile identifiers: {len(tables)} tables, {records} records in {len(formats)} formats, "
          f"{checked} change events with names checked, {len(problems)} problems")
    for p in problems[:20]:
        print(f"  FAIL {p}")
    return not problems and checked == len(tables) * 3 * len(formats)


def huge_row_phase(port: int) -> bool:
    """A row whose event passes 1 GB: an ERROR naming the table and the key, server up."""
    start_log = log_size(port)
    pgtest.psql(port, "-q", input="""
        CREATE TABLE chaos_big (id int PRIMARY KEY, payload bytea);
        ALTER TABLE chaos_big ALTER payload SET STORAGE EXTERNAL;
        SELECT pg_create_logical_replication_slot('chaos_big', 'cedar_cdc');
        INSERT INTO chaos_big SELECT 42, convert_to(repeat('x', 600 * 1024 * 1024), 'SQL_ASCII');
    """)
    t0 = time.monotonic()
    p = pgtest.psql(port, "-q", "-c", "\\set VERBOSITY verbose", "-c",
                    "SELECT length(data) FROM pg_logical_slot_peek_changes('chaos_big', NULL, NULL, "
                    "'binary.handling.mode', 'hex')", check=False)
    elapsed = time.monotonic() - t0
    err = p.stderr.strip()
    up = wait_up(port, 10)
    crashes = crashes_in_log(port, start_log)
    e = error_of(err)
    print(f"1 GB row: {elapsed:.0f} s, exit {p.returncode}, server up: {up}, crashes: {len(crashes)}")
    print("  " + (err or p.stdout.strip())[:600].replace("\n", "\n  "))
    pgtest.query(port, "SELECT pg_drop_replication_slot('chaos_big')")
    pgtest.query(port, "DROP TABLE chaos_big")
    ok = (e is not None and up and not crashes and "chaos_big" in e[1] and "42" in err)
    if not ok:
        print("  FAIL: expected an ERROR naming table public.chaos_big and key 42")
    return ok


def setup_slot(port: int) -> None:
    pgtest.psql(port, "-q", input=f"""
        CREATE TABLE IF NOT EXISTS chaos_t (id int PRIMARY KEY, v text, n numeric, b bytea);
        DROP PUBLICATION IF EXISTS chaos_pub;
        CREATE PUBLICATION chaos_pub FOR TABLE chaos_t;
        SELECT pg_create_logical_replication_slot('{SLOT}', 'cedar_cdc');
        INSERT INTO chaos_t VALUES (1, 'a', 1.5, '\\x00'), (2, 'é😀', NULL, NULL);
        UPDATE chaos_t SET v = 'c' WHERE id = 1;
        DELETE FROM chaos_t WHERE id = 2;
        SELECT pg_logical_emit_message(true, 'pfx', 'hello');
        SELECT pg_logical_emit_message(false, 'hb', 'beat');
        TRUNCATE chaos_t;
    """)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=54470)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--timeout-ms", type=int, default=10000, help="statement_timeout of each call")
    ap.add_argument("--batch", type=int, default=100, help="option lists per psql session")
    ap.add_argument("--no-cluster", action="store_true", help="use a running cluster on --port")
    ap.add_argument("--no-identifiers", action="store_true")
    ap.add_argument("--no-options", action="store_true")
    ap.add_argument("--huge-row", action="store_true", help="the 1 GB event (about 6 GB of memory)")
    a = ap.parse_args()
    cluster = None
    if not a.no_cluster:
        cluster = pgtest.Cluster(CLUSTER, a.port, "log_min_messages = warning").__enter__()
    try:
        ok = True
        if not a.no_options:
            setup_slot(a.port)
            ok &= options_phase(a.port, a.count, a.seed, a.timeout_ms, a.batch)
            pgtest.query(a.port, f"SELECT pg_drop_replication_slot('{SLOT}')")
        if not a.no_identifiers:
            ok &= identifiers_phase(a.port)
        if a.huge_row:
            ok &= huge_row_phase(a.port)
    finally:
        if cluster:
            cluster.__exit__(None, None, None)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
