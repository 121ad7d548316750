"""Seeded random schema and workload, and the driver that runs it over several connections.

Everything is decided by `random.Random(seed)` and the model below, so a seed always produces the
same statements in the same interleaving (values that PostgreSQL computes, such as sequence values,
xids and LSNs, may differ between runs; the comparison never depends on them).

Schema (every seed): plain tables (bigint, integer or composite primary keys, a stored generated
column, REPLICA IDENTITY DEFAULT or FULL, TOAST-able columns, some with STORAGE EXTERNAL), a
keyless table with REPLICA IDENTITY FULL, an FK parent/child pair (ON DELETE CASCADE), a
range-partitioned table with three partitions (one DEFAULT), a table with an identity column, and
a table with quoted odd names in a second schema.

Workload: N connections, each running one transaction plan at a time; a step picks a connection
at random and executes the next statement of its plan, so transactions interleave. Plans: small
transactions, savepoint-heavy ones (nested savepoints, ROLLBACK TO, RELEASE, statements that fail
inside a savepoint after inserting rows), big ones that exceed logical_decoding_work_mem (bulk
inserts of wide and TOASTed rows, savepoints rolled back, some aborted as a whole), DDL inside
transactions (ADD/DROP/RENAME/ALTER TYPE of columns, RENAME of tables, REPLICA IDENTITY), TRUNCATE
(CASCADE, RESTART IDENTITY, partitioned tables, several tables), aborted transactions, errors that
abort a transaction, and autocommit statements: DML, DDL between transactions, TRUNCATE,
transactional and non-transactional logical decoding messages.

Locking model (so that no statement ever waits for another connection): tables are grouped into
families (a table; a partitioned table with its partitions; an FK pair). DML on a family needs no
other connection to hold it exclusively; DDL and TRUNCATE need no other connection to have touched
it in its open transaction. Rows are owned by the connection that inserted them (disjoint id
ranges), so row locks never conflict.
"""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterator, Optional

# ---------------------------------------------------------------------------------------------
# Types


SQL_TYPE = {
    "int2": "smallint", "int4": "integer", "int8": "bigint",
    "num102": "numeric(10,2)", "num206": "numeric(20,6)", "num": "numeric",
    "float4": "real", "float8": "double precision", "bool": "boolean",
    "text": "text", "varchar": "varchar(40)", "char": "char(6)", "bytea": "bytea",
    "date": "date", "time": "time", "time3": "time(3)",
    "ts": "timestamp", "ts3": "timestamp(3)", "ts0": "timestamp(0)",
    "tstz": "timestamptz", "tstz3": "timestamptz(3)", "tstz0": "timestamptz(0)",
    "interval": "interval", "uuid": "uuid", "json": "json", "jsonb": "jsonb", "inet": "inet",
    "int4arr": "integer[]", "int8arr": "bigint[]", "textarr": "text[]",
}
SMALL_KINDS = [k for k in SQL_TYPE if k not in ("text", "bytea", "jsonb", "textarr", "int4arr")]
BIG_KINDS = ["text", "bytea", "jsonb", "textarr", "int4arr"]
# ALTER COLUMN ... TYPE: lossless conversions of every value the generator makes.
RETYPE = {
    "int2": ["int4"], "int4": ["int8", "text"], "int8": ["num"], "num102": ["num206", "num"],
    "num206": ["num"], "float4": ["float8"], "varchar": ["text"], "char": ["varchar"],
    "date": ["ts"], "ts": ["tstz"], "ts3": ["ts"], "ts0": ["ts3"], "time3": ["time"],
    "json": ["jsonb"], "int4arr": ["int8arr"], "tstz0": ["tstz"], "text": ["varchar"],
}
DEFAULTS = {"int4": "7", "int8": "-1", "text": "'dflt'", "bool": "true", "num102": "1.50",
            "date": "'2020-02-29'", "tstz": "now()", "varchar": "''"}


def qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def e_lit(s: str) -> str:
    """An E'...' literal that is pure printable ASCII (psql never sees raw newlines or tabs)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "E'" + "".join(out) + "'"


class Values:
    """SQL expressions for random values of each kind (edge cases included)."""

    WORDS = ["alpha", "beta", "Gamma", "δέλτα", "日本語", "emoji😀", "e\u0301", "שלום", "ß", "",
             " lead", "trail ", "tab\there", "new\nline", "back\\slash", "quote'", 'dq"', "\x01ctl",
             "\x7f", "\u2028sep", "\ufeffbom", "NULL", "null", "{}", "a,b", "{x}", "\\N", "[1]"]

    def __init__(self, rng: random.Random):
        self.r = rng

    def text(self, maxlen: int = 30) -> str:
        r = self.r
        if r.random() < 0.5:
            s = " ".join(r.choice(self.WORDS) for _ in range(r.randint(1, 3)))
        else:
            s = "".join(r.choice(string.ascii_letters + string.digits + " -_.") for _ in range(r.randint(0, maxlen)))
        return s[:maxlen]

    def big_text(self) -> str:
        r = self.r
        if r.random() < 0.25:  # compressible: stays inline (compressed), never 'u'
            return r.choice(["ab", "xyz", "éé", "😀"]) * r.randint(2000, 6000)
        n = r.randint(2500, 9000)
        return "".join(r.choice(string.ascii_letters + string.digits + "éß日😀\n\t\\'\"") for _ in range(n))

    def sql(self, kind: str, big: bool = False) -> str:
        r = self.r
        if kind == "int2":
            return str(r.choice([-32768, 32767, 0, -1, r.randint(-32768, 32767)]))
        if kind == "int4":
            return str(r.choice([-2147483648, 2147483647, 0, r.randint(-2 ** 31, 2 ** 31 - 1), r.randint(-100, 100)]))
        if kind == "int8":
            return str(r.choice([-2 ** 63, 2 ** 63 - 1, 0, r.randint(-2 ** 63, 2 ** 63 - 1), r.randint(-10 ** 6, 10 ** 6)]))
        if kind == "num102":
            v = Decimal(r.randint(-9999999999, 9999999999)).scaleb(-2)
            return f"{r.choice([v, Decimal('0.00'), Decimal('-0.01'), Decimal('99999999.99'), Decimal('0.5')])}"
        if kind == "num206":
            v = Decimal(r.randint(-10 ** 20 + 1, 10 ** 20 - 1)).scaleb(-6)
            return f"{r.choice([v, Decimal('0'), Decimal('-1.000001'), Decimal('127'), Decimal('-128'), Decimal('255')])}"
        if kind == "num":
            return "'" + r.choice([
                "0", "1.10", "2500", "-0.000123", "10.1111", "123456789012345678901234567890.123456789",
                "1e-20", "1e30", "-7", "0.0000", "100.000", str(Decimal(r.randint(-10 ** 12, 10 ** 12)).scaleb(-r.randint(0, 12))),
            ]) + "'::numeric"
        if kind == "float4":
            return "'" + r.choice(["NaN", "Infinity", "-Infinity", "-0", "0", "1e-45", "3.4028235e38", "1.1754944e-38",
                                   "3.3", "0.1", repr(r.uniform(-1e6, 1e6)), f"{r.uniform(-1, 1):.7g}",
                                   f"{r.uniform(1, 9):.6g}e{r.randint(-37, 37)}"]) + "'::real"
        if kind == "float8":
            return "'" + r.choice(["NaN", "Infinity", "-Infinity", "-0", "5e-324", "1.7976931348623157e308", "1e23",
                                   "0.1", "1e-7", "100", "1e7", "123456789.125", repr(r.uniform(-1e9, 1e9)),
                                   repr(r.uniform(-1, 1) * 10.0 ** r.randint(-300, 300))]) + "'::float8"
        if kind == "bool":
            return r.choice(["true", "false"])
        if kind == "text":
            return e_lit(self.big_text() if big else self.text())
        if kind == "varchar":
            return e_lit(self.text(40))
        if kind == "char":
            return e_lit(self.text(6))
        if kind == "bytea":
            if big:
                n = r.randint(2500, 9000)
                if r.random() < 0.25:
                    return f"decode(repeat('ab01', {n // 2}), 'hex')"
                return "'\\x" + r.randbytes(n).hex() + "'::bytea"
            return "'\\x" + r.randbytes(r.randint(0, 24)).hex() + "'::bytea"
        if kind == "date":
            return "'" + r.choice([self._date(), self._date(), "1970-01-01", "2000-02-29", "0001-01-01",
                                   "0044-03-15 BC", "9999-12-31", "infinity", "-infinity"]) + "'::date"
        if kind in ("time", "time3"):
            return "'" + r.choice([self._time(6 if kind == "time" else 3), "00:00:00", "23:59:59.999",
                                   "24:00:00"]) + "'::" + SQL_TYPE[kind]
        if kind in ("ts", "ts3", "ts0"):
            p = {"ts": 6, "ts3": 3, "ts0": 0}[kind]
            return "'" + r.choice([f"{self._date()} {self._time(p)}", f"{self._date()} {self._time(p)}",
                                   "1970-01-01 00:00:00", "0044-03-15 12:00:00 BC", "9999-12-31 23:59:59",
                                   "infinity", "-infinity", "2016-11-04 13:51:30.123456"]) + "'::" + SQL_TYPE[kind]
        if kind in ("tstz", "tstz3", "tstz0"):
            p = {"tstz": 6, "tstz3": 3, "tstz0": 0}[kind]
            off = r.choice(["+00", "+05:30", "-08", "+14", "-03:30", "Z"])
            return "'" + r.choice([f"{self._date(1900, 2100)} {self._time(p)}{off}", f"{self._date()} {self._time(p)}{off}",
                                   "1970-01-01 00:00:00+00", "infinity", "-infinity",
                                   "2016-11-04 13:51:30.5+02"]) + "'::" + SQL_TYPE[kind]
        if kind == "interval":
            return "'" + r.choice([self._interval(), self._interval(), "0", "1 year 2 mons 3 days 04:05:06.78",
                                   "-1 year -2 mons +3 days -04:05:06.789", "100 years 11 mons 30 days 23:59:59.999999",
                                   "-00:00:00.000001", "1000 hours", "6 mons", "45 days -1 second"]) + "'::interval"
        if kind == "uuid":
            u = str(uuid.UUID(int=r.getrandbits(128)))
            return "'" + (u.upper() if r.random() < 0.3 else u) + "'::uuid"
        if kind in ("json", "jsonb"):
            if big:
                return e_lit('{"doc": ' + _json_str(self.big_text()) + ', "n": [1, 2.50, -3e2]}') + "::" + kind
            return e_lit(r.choice([
                '{"a": 1,  "b":[1,2]}', '[]', '{}', '"str"', '12.50', 'null', 'true',
                '{"k": ' + _json_str(self.text()) + ', "z": {"y": [null, false]}}', '{"b": 1, "a": 2, "a": 3}',
                '{"esc": "\\u00e9\\n\\"q\\""}', '[1e5, 1.0, -0]'])) + "::" + kind
        if kind == "inet":
            return "'" + r.choice(["192.168.1.5/24", "10.0.0.1", "::1", "2001:db8::/32", "192.168.100.128/25",
                                   f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)}"]) + "'::inet"
        if kind in ("int4arr", "int8arr"):
            lim = 2 ** 31 if kind == "int4arr" else 2 ** 63
            n = r.randint(1200, 3000) if big else r.randint(0, 6)
            els = [("NULL" if r.random() < 0.1 and not big else str(r.randint(-lim, lim - 1))) for _ in range(n)]
            return "'{" + ",".join(els) + "}'::" + SQL_TYPE[kind]
        if kind == "textarr":
            if big:
                els = [e_lit(self.big_text()[:r.randint(50, 400)]) for _ in range(r.randint(15, 40))]
            else:
                els = [("NULL" if r.random() < 0.15 else e_lit(self.text(12))) for _ in range(r.randint(0, 5))]
            return "ARRAY[" + ",".join(els) + "]::text[]"
        raise ValueError(kind)

    def _date(self, lo: int = 1, hi: int = 9999) -> str:
        r = self.r
        return f"{r.randint(lo, hi):04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"

    def _time(self, p: int) -> str:
        r = self.r
        t = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        if p and r.random() < 0.8:
            t += "." + "".join(r.choice(string.digits) for _ in range(r.randint(1, p)))
        return t

    def _interval(self) -> str:
        r = self.r
        parts = []
        for unit, hi in (("years", 50), ("mons", 30), ("days", 400)):
            if r.random() < 0.5:
                parts.append(f"{r.randint(-hi, hi)} {unit}")
        if r.random() < 0.7:
            sign = r.choice(["", "-"])
            parts.append(f"{sign}{r.randint(0, 200)}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
                         + (f".{r.randint(0, 999999):06d}" if r.random() < 0.6 else ""))
        return " ".join(parts) or "0"


def _json_str(s: str) -> str:
    import json
    return json.dumps(s, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Model


@dataclass
class Col:
    name: str
    kind: str
    nullable: bool = True
    default: Optional[str] = None
    big: bool = False
    generated: Optional[str] = None
    pk: bool = False
    fk: bool = False
    identity: bool = False

    def ddl(self) -> str:
        s = f"{qi(self.name)} {SQL_TYPE[self.kind]}"
        if self.generated:
            return s + f" GENERATED ALWAYS AS ({self.generated}) STORED"
        if self.identity:
            return s + " GENERATED BY DEFAULT AS IDENTITY"
        if self.default is not None:
            s += f" DEFAULT {self.default}"
        if not self.nullable:
            s += " NOT NULL"
        return s


@dataclass
class Table:
    tid: int
    schema: str
    name: str
    kind: str                 # plain, keyless, parent, child, root, part, ident
    cols: list[Col]
    family: int
    full: bool = False
    parent: Optional[int] = None     # child: FK parent tid; part: root tid
    parts: list[int] = field(default_factory=list)
    bounds: tuple = ()               # part: (lo, hi) or None for DEFAULT
    base: str = ""                   # name at creation (renames append to it)
    unique_key: bool = False         # key columns form a UNIQUE index instead of the primary key
    identity_index: bool = False     # REPLICA IDENTITY USING INDEX (that unique index)

    def __post_init__(self):
        self.base = self.base or self.name

    @property
    def q(self) -> str:
        return f"{qi(self.schema)}.{qi(self.name)}"

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)

    def writable(self) -> list[Col]:
        return [c for c in self.cols if not c.generated]

    @property
    def pk(self) -> list[str]:
        return [c.name for c in self.cols if c.pk]


class Model:
    """Tables, rows owned per connection, and an undo log per connection for rollbacks."""

    def __init__(self, rng: random.Random, nconns: int):
        self.r = rng
        self.v = Values(rng)
        self.tables: dict[int, Table] = {}
        self.rows: dict[int, list[dict]] = {}        # tid -> per conn: key -> info
        self.next_id = [(c + 1) * 10_000_000 + 1 for c in range(nconns)]
        self.next_col = 0
        self.next_name = 0
        self.nconns = nconns

    # -- schema --------------------------------------------------------------------------------

    def new_col_name(self) -> str:
        self.next_col += 1
        return self.r.choice([f"c{self.next_col}", f"c{self.next_col}", f"Col {self.next_col}", f"ü{self.next_col}",
                              f'q"{self.next_col}\\'])

    def random_cols(self, n: int, big_ok: bool) -> list[Col]:
        cols = []
        for _ in range(n):
            kind = self.r.choice(SMALL_KINDS)
            c = Col(self.new_col_name(), kind)
            if kind in DEFAULTS and self.r.random() < 0.2:
                c.default, c.nullable = DEFAULTS[kind], False
            elif self.r.random() < 0.1:
                c.nullable = False
            cols.append(c)
        if big_ok:
            for kind in self.r.sample(BIG_KINDS, self.r.randint(1, 3)):
                cols.append(Col(self.new_col_name(), kind, big=True))
        self.r.shuffle(cols)
        return cols

    def add_table(self, schema, name, kind, cols, family=None, **kw) -> Table:
        tid = len(self.tables)
        t = Table(tid, schema, name, kind, cols, family if family is not None else tid, **kw)
        self.tables[tid] = t
        self.rows[tid] = [dict() for _ in range(self.nconns)]
        return t

    def make_schema(self) -> list[str]:
        r = self.r
        ddl = ["CREATE SCHEMA s2", 'CREATE SCHEMA "Sch-ema"']
        for i in range(r.randint(2, 3)):
            idkind = r.choice(["int8", "int4"])
            pkcols = [Col("id", idkind, nullable=False, pk=True)]
            if r.random() < 0.3:
                pkcols.append(Col("k", "text", nullable=False, pk=True))
            cols = pkcols + self.random_cols(r.randint(3, 7), big_ok=True)
            if r.random() < 0.5:
                cols.append(Col("gen", "int8", generated="id * 2"))
            t = self.add_table("public", f"t{i}", "plain", cols, full=r.random() < 0.4)
        kl = self.add_table("public", "keyless", "keyless",
                            [Col("own", "int4", nullable=False), Col("a", "int4", nullable=False)]
                            + self.random_cols(r.randint(2, 5), big_ok=True), full=True)
        par = self.add_table("public", "parent", "parent",
                             [Col("id", "int8", nullable=False, pk=True)] + self.random_cols(r.randint(1, 3), big_ok=False),
                             full=r.random() < 0.3)
        chi = self.add_table("public", "child", "child",
                             [Col("id", "int8", nullable=False, pk=True), Col("par_id", "int8", fk=True)]
                             + self.random_cols(r.randint(1, 3), big_ok=r.random() < 0.5),
                             family=par.family, parent=par.tid, full=r.random() < 0.3)
        root = self.add_table("public", "parted", "root",
                              [Col("id", "int8", nullable=False, pk=True), Col("region", "int4", nullable=False, pk=True)]
                              + self.random_cols(r.randint(2, 4), big_ok=True), full=r.random() < 0.3)
        for j, b in enumerate([(0, 10), (10, 20), None]):
            p = self.add_table("public", f"parted_{'def' if b is None else j}", "part", [], family=root.family,
                               parent=root.tid, bounds=b, full=root.full)
            root.parts.append(p.tid)
        ident = self.add_table("s2", "ident", "ident",
                               [Col("id", "int8", nullable=False, pk=True, identity=True)]
                               + self.random_cols(r.randint(1, 4), big_ok=r.random() < 0.5), full=r.random() < 0.3)
        # no primary key: the key is a unique index (NOT NULL columns), the replica identity that
        # index or FULL
        uq = self.add_table("public", "uniq", "plain",
                            [Col("u1", "int8", nullable=False, pk=True), Col("u2", "text", nullable=False, pk=True)]
                            + self.random_cols(r.randint(1, 4), big_ok=True), unique_key=True)
        uq.identity_index = r.random() < 0.6
        uq.full = not uq.identity_index
        # no columns at all: Debezium skips its changes (skipEmptyMessages), TRUNCATE still counts
        self.add_table("public", "nocols", "nocols", [], full=True)
        odd = self.add_table("Sch-ema", "Tbl ü.x", "plain",
                             [Col("Id", "int8", nullable=False, pk=True)] + self.random_cols(r.randint(2, 4), big_ok=False),
                             full=r.random() < 0.5)

        for t in self.tables.values():
            if t.kind == "part":
                continue
            body = ", ".join(c.ddl() for c in t.cols)
            if t.unique_key:
                ddl.append(f"CREATE TABLE {t.q} ({body})")
                ddl.append(f"CREATE UNIQUE INDEX {qi(t.base + '_key')} ON {t.q} (" + ", ".join(qi(c) for c in t.pk) + ")")
                if t.identity_index:
                    ddl.append(f"ALTER TABLE {t.q} REPLICA IDENTITY USING INDEX {qi(t.base + '_key')}")
                continue
            if t.pk:
                body += ", PRIMARY KEY (" + ", ".join(qi(c) for c in t.pk) + ")"
            if t.kind == "child":
                body += f", FOREIGN KEY (par_id) REFERENCES {self.tables[t.parent].q} (id) ON DELETE CASCADE"
            tail = " PARTITION BY RANGE (region)" if t.kind == "root" else ""
            ddl.append(f"CREATE TABLE {t.q} ({body}){tail}")
            for p in t.parts:
                pt = self.tables[p]
                b = pt.bounds
                spec = "DEFAULT" if b is None else f"FOR VALUES FROM ({b[0]}) TO ({b[1]})"
                ddl.append(f"CREATE TABLE {pt.q} PARTITION OF {t.q} {spec}")
            for c in t.cols:
                if c.big and r.random() < 0.5:
                    ddl.append(f"ALTER TABLE {t.q} ALTER COLUMN {qi(c.name)} SET STORAGE EXTERNAL")
        for t in self.tables.values():
            if t.full and t.kind != "root":
                ddl.append(f"ALTER TABLE {t.q} REPLICA IDENTITY FULL")
        return ddl

    def idcol(self, t: Table) -> str:
        """The key column that holds the owner's id (first key column)."""
        return t.pk[0] if t.pk else "a"

    def new_id(self, conn: int) -> int:
        i = self.next_id[conn]
        self.next_id[conn] += 1
        return i

    def root_of(self, t: Table) -> Table:
        return self.tables[t.parent] if t.kind == "part" else t

    def family_tables(self, fam: int) -> list[Table]:
        return [t for t in self.tables.values() if t.family == fam]


# ---------------------------------------------------------------------------------------------
# Statements and plans


@dataclass
class Stmt:
    sql: str
    apply: Optional[Callable[[], None]] = None   # model update when it succeeds
    expect_error: bool = False
    tag: str = ""                                # coverage counter name


@dataclass
class ConnState:
    idx: int
    in_txn: bool = False
    plan: Optional[Iterator[Stmt]] = None
    undo: list = field(default_factory=list)
    savepoints: list = field(default_factory=list)   # (name, undo length)
    shared: set = field(default_factory=set)          # families touched in the open transaction
    excl: set = field(default_factory=set)            # families held exclusively
    sp_counter: int = 0


class Workload:
    def __init__(self, seed: int, nconns: int = 3, steps: int = 300, prepared: bool = True,
                 copy_dir: Optional[str] = None):
        self.seed = seed
        self.prepared = prepared      # max_prepared_transactions > 0
        self.copy_dir = copy_dir      # a directory the server can write and read (COPY ... TO/FROM file)
        self.gid = 0
        self.r = random.Random(seed)
        self.m = Model(self.r, nconns)
        self.v = self.m.v
        self.conns = [ConnState(i) for i in range(nconns)]
        self.steps = steps
        self.coverage: dict[str, int] = {}
        self.schema_sql = self.m.make_schema()

    # -- locking --------------------------------------------------------------------------------

    def can_share(self, c: ConnState, fam: int) -> bool:
        return all(o is c or fam not in o.excl for o in self.conns)

    def can_excl(self, c: ConnState, fam: int) -> bool:
        return all(o is c or (fam not in o.excl and fam not in o.shared) for o in self.conns)

    def touch(self, c: ConnState, fam: int, excl: bool = False) -> None:
        if c.in_txn:
            (c.excl if excl else c.shared).add(fam)

    def count(self, tag: str, n: int = 1) -> None:
        self.coverage[tag] = self.coverage.get(tag, 0) + n

    # -- undo log -------------------------------------------------------------------------------

    def do(self, c: ConnState, fn: Callable[[], Callable[[], None]]) -> None:
        """Runs a model change; fn returns its inverse, kept while a transaction is open."""
        inverse = fn()
        if c.in_txn:
            c.undo.append(inverse)

    def rollback_to(self, c: ConnState, n: int) -> None:
        while len(c.undo) > n:
            c.undo.pop()()

    # -- row helpers ----------------------------------------------------------------------------

    def rows(self, t: Table, c: ConnState) -> dict:
        return self.m.rows[self.m.root_of(t).tid][c.idx]

    def set_row(self, c: ConnState, t: Table, key, info) -> None:
        d = self.rows(t, c)

        def fn():
            had, old = key in d, d.get(key)
            d[key] = info

            def inv():
                if had:
                    d[key] = old
                else:
                    d.pop(key, None)
            return inv
        self.do(c, fn)

    def del_row(self, c: ConnState, t: Table, key) -> None:
        d = self.rows(t, c)

        def fn():
            had, old = key in d, d.get(key)
            d.pop(key, None)

            def inv():
                if had:
                    d[key] = old
            return inv
        self.do(c, fn)

    def clear_rows(self, c: ConnState, t: Table, pred=lambda k, v: True) -> None:
        """Removes matching rows of every connection (TRUNCATE)."""
        per = self.m.rows[self.m.root_of(t).tid]

        def fn():
            saved = [dict(d) for d in per]
            for d in per:
                for k in [k for k, v in d.items() if pred(k, v)]:
                    del d[k]

            def inv():
                for d, s in zip(per, saved):
                    d.clear()
                    d.update(s)
            return inv
        self.do(c, fn)

    # -- DML ------------------------------------------------------------------------------------

    def dml_tables(self, c: ConnState) -> list[Table]:
        return [t for t in self.m.tables.values() if t.kind != "part" and self.can_share(c, t.family)]

    def insert_columns(self, t: Table) -> list[Col]:
        """The columns an INSERT names: every writable one, sometimes leaving defaults out."""
        skip_defaults = self.r.random() < 0.3
        return [col for col in t.writable()
                if not (skip_defaults and col.default is not None)]

    def row_values(self, t: Table, c: ConnState, cols: list[Col], key, big_p: float) -> tuple[list[str], object]:
        """SQL values for a new row of t with key `key`; returns (values, model info of the row)."""
        vals = []
        info = None
        for col in cols:
            if col.pk and col.name == t.pk[0]:
                vals.append(str(key))
            elif col.pk and col.kind == "text":
                vals.append(e_lit(f"k{self.r.randint(0, 3)}"))
            elif col.name == "region" and t.kind == "root":
                info = self.r.randint(0, 29)
                vals.append(str(info))
            elif col.name == "par_id" and t.kind == "child":
                parents = sorted(self.m.rows[t.parent][c.idx])
                info = self.r.choice(parents) if parents and self.r.random() < 0.9 else None
                vals.append("NULL" if info is None else str(info))
            elif col.name == "own" and t.kind == "keyless":
                vals.append(str(c.idx))
            elif col.name == "a" and t.kind == "keyless":
                info = self.r.randint(0, 50)
                vals.append(str(info))
            elif col.nullable and self.r.random() < 0.15:
                vals.append("NULL")
            else:
                vals.append(self.v.sql(col.kind, big=col.big and self.r.random() < big_p))
        return vals, info

    def insert(self, c: ConnState, t: Table, nrows: int = 1, big_p: float = 0.3, fail: bool = False) -> Stmt:
        self.touch(c, t.family)
        if t.kind == "nocols":
            # rows without columns; a failing statement divides by zero after inserting n rows
            cond = f" WHERE 1 / ({nrows + 1} - g) > 0" if fail else ""
            return Stmt(f"INSERT INTO {t.q} SELECT FROM generate_series(1, {nrows + fail}) g{cond}",
                        expect_error=fail, tag="insert_fail" if fail else "insert_nocols")
        cols = self.insert_columns(t)
        rows_sql, applied = [], []
        for _ in range(nrows):
            key = None if t.kind == "keyless" else self.m.new_id(c.idx)
            vals, info = self.row_values(t, c, cols, key, big_p)
            rows_sql.append(vals)
            applied.append((key, info))
        if fail:
            # The statement fails after it inserted rows: a duplicate key (tables with a key) or a
            # division by zero in its last row (the keyless table).
            bad = list(rows_sql[0])
            if t.kind == "keyless":
                bad[[col.name for col in cols].index("own")] = f"({c.idx} / 0)"
            rows_sql.append(bad)
        sql = (f"INSERT INTO {t.q} (" + ", ".join(qi(col.name) for col in cols) + ") VALUES "
               + ", ".join("(" + ", ".join(v) + ")" for v in rows_sql))

        def apply():
            for key, info in applied:
                if t.kind == "keyless":
                    self.set_row(c, t, info, self.rows(t, c).get(info, 0) + 1)
                else:
                    self.set_row(c, t, key, info)
        self.touch(c, t.family)
        return Stmt(sql, None if fail else apply, expect_error=fail, tag="insert_fail" if fail else "insert")

    def copy_insert(self, c: ConnState, t: Table, nrows: int, big_p: float = 0.15) -> Stmt:
        """COPY ... FROM a file written by COPY (VALUES ...) TO: heap_multi_insert, decoded from
        XLOG_HEAP2_MULTI_INSERT records (a path of its own in PostgreSQL's decoder)."""
        st = self.insert(c, t, nrows, big_p)
        if t.kind == "nocols" or self.copy_dir is None:
            return st
        cols = st.sql[st.sql.index("(") + 1:st.sql.index(") VALUES ")]
        values = st.sql[st.sql.index(") VALUES ") + len(") VALUES "):]
        path = f"{self.copy_dir}/cedar_differential_{self.seed}_{c.idx}.copy"
        st.sql = (f"COPY (VALUES {values}) TO '{path}';\n"
                  f"COPY {t.q} ({cols}) FROM '{path}'")
        st.tag = "copy"
        return st

    def upsert(self, c: ConnState, t: Table, big_p: float = 0.2) -> Optional[Stmt]:
        """INSERT ... ON CONFLICT DO UPDATE / DO NOTHING over new and existing keys (speculative
        insertions: confirmed ones are inserts, conflicting ones become updates or nothing)."""
        if t.kind not in ("plain", "ident", "child", "parent") or not t.pk or t.unique_key:
            return None
        rows = self.rows(t, c)
        existing = self.r.sample(sorted(rows), min(len(rows), self.r.randint(0, 2)))
        cols = self.insert_columns(t)
        if any(col.pk for col in t.cols if col not in cols) or "k" in t.pk:
            return None  # composite keys: the random k of a new row would rarely conflict
        new = [self.m.new_id(c.idx) for _ in range(self.r.randint(1, 2))]
        tuples, applied = [], []
        for key in existing + new:
            vals, info = self.row_values(t, c, cols, key, big_p)
            if key in rows and t.kind == "child":
                info = rows[key]  # the DO UPDATE below leaves par_id alone
                vals[[col.name for col in cols].index("par_id")] = "NULL" if info is None else str(info)
            tuples.append("(" + ", ".join(vals) + ")")
            applied.append((key, info))
        idc = qi(self.m.idcol(t))
        upd = [col for col in cols if not (col.pk or col.fk)]
        if upd and self.r.random() < 0.7:
            action = "DO UPDATE SET " + ", ".join(f"{qi(col.name)} = EXCLUDED.{qi(col.name)}" for col in upd)
        else:
            action = "DO NOTHING"
        self.touch(c, t.family)

        def apply():
            for key, info in applied:
                if key not in rows:
                    self.set_row(c, t, key, info)
        return Stmt(f"INSERT INTO {t.q} (" + ", ".join(qi(col.name) for col in cols) + ") VALUES " + ", ".join(tuples)
                    + f" ON CONFLICT ({idc}) {action}", apply, tag="upsert")

    def subxact_loop(self, c: ConnState, t: Table) -> Optional[Stmt]:
        """One DO block with 70-100 subtransactions (BEGIN ... EXCEPTION blocks), every third
        rolled back by an exception: more than PGPROC_MAX_CACHED_SUBXIDS (64) subxacts, so
        PostgreSQL logs XLOG_XACT_ASSIGNMENT records."""
        if t.kind in ("nocols", "keyless") or not t.pk:
            return None
        cols = self.insert_columns(t)
        n = self.r.randint(70, 100)
        base = self.m.next_id[c.idx]
        self.m.next_id[c.idx] += n
        vals, info = self.row_values(t, c, cols, 0, 0.0)
        vals[[col.name for col in cols].index(t.pk[0])] = f"{base} + i"
        ins = f"INSERT INTO {t.q} (" + ", ".join(qi(col.name) for col in cols) + ") VALUES (" + ", ".join(vals) + ")"
        body = (f"BEGIN FOR i IN 0..{n - 1} LOOP BEGIN {ins}; IF i % 3 = 2 THEN RAISE EXCEPTION 'x'; END IF; "
                "EXCEPTION WHEN raise_exception THEN NULL; END; END LOOP; END")
        self.touch(c, t.family)

        def apply():
            for i in range(n):
                if i % 3 != 2:
                    self.set_row(c, t, base + i, info)
        return Stmt(f"DO $cedar$ {body} $cedar$", apply, tag="many_subxacts")

    def insert_ident_default(self, c: ConnState, t: Table) -> Stmt:
        """Rows numbered by the identity sequence: nobody owns them (only TRUNCATE removes them)."""
        cols = [col for col in t.writable() if not col.pk]
        vals = [self.v.sql(col.kind) if not col.nullable or self.r.random() < 0.8 else "NULL" for col in cols]
        self.touch(c, t.family)
        if not cols:
            return Stmt(f"INSERT INTO {t.q} DEFAULT VALUES", tag="insert_identity")
        return Stmt(f"INSERT INTO {t.q} (" + ", ".join(qi(col.name) for col in cols) + ") VALUES (" + ", ".join(vals) + ")",
                    tag="insert_identity")

    def set_clause(self, t: Table, n: int, big_p: float, exclude=()) -> Optional[str]:
        cands = [col for col in t.writable() if not (col.pk or col.fk or col.name in exclude)
                 and not (t.kind == "keyless" and col.name in ("own", "a"))]
        if not cands:
            return None
        chosen = self.r.sample(cands, min(n, len(cands)))
        parts = []
        for col in chosen:
            if col.nullable and self.r.random() < 0.1:
                parts.append(f"{qi(col.name)} = NULL")
            else:
                parts.append(f"{qi(col.name)} = {self.v.sql(col.kind, big=col.big and self.r.random() < big_p)}")
        return ", ".join(parts)

    def update(self, c: ConnState, t: Table, big_p: float = 0.2) -> Optional[Stmt]:
        rows = self.rows(t, c)
        if not rows:
            return None
        r = self.r
        idc = qi(self.m.idcol(t))
        self.touch(c, t.family)
        if t.kind == "keyless":
            a = r.choice(list(rows))
            s = self.set_clause(t, r.randint(1, 2), big_p)
            if s is None:
                return None
            return Stmt(f"UPDATE {t.q} SET {s} WHERE own = {c.idx} AND a = {a}", tag="update_keyless")
        key = r.choice(list(rows))
        mode = r.random()
        if mode < 0.15 and t.kind in ("plain", "ident", "root", "child"):
            # primary key change (and for the partitioned table: maybe a move to another partition)
            new = self.m.new_id(c.idx)
            info = rows[key]
            extra = ""
            if t.kind == "root" and r.random() < 0.6:
                info = r.randint(0, 29)
                extra = f", region = {info}"
            s = self.set_clause(t, 1, big_p) if r.random() < 0.5 else None

            def apply():
                self.del_row(c, t, key)
                self.set_row(c, t, new, info)
            return Stmt(f"UPDATE {t.q} SET {idc} = {new}{extra}{', ' + s if s else ''} WHERE {idc} = {key}", apply,
                        tag="update_pk")
        if mode < 0.25 and t.kind == "root":
            info = r.randint(0, 29)

            def apply():
                self.set_row(c, t, key, info)
            s = self.set_clause(t, 1, big_p)
            return Stmt(f"UPDATE {t.q} SET region = {info}{', ' + s if s else ''} WHERE {idc} = {key}", apply,
                        tag="update_partition_move")
        if mode < 0.35:
            lo = (c.idx + 1) * 10_000_000
            s = self.set_clause(t, 1, big_p)
            if s is None:
                return None
            m = r.randint(2, 4)
            return Stmt(f"UPDATE {t.q} SET {s} WHERE {idc} BETWEEN {lo} AND {lo + 10_000_000 - 1} "
                        f"AND {idc} % {m} = {r.randint(0, m - 1)}", tag="update_multi")
        s = self.set_clause(t, r.randint(1, 3), big_p)
        if s is None:
            return None
        return Stmt(f"UPDATE {t.q} SET {s} WHERE {idc} = {key}", tag="update")

    def delete(self, c: ConnState, t: Table) -> Optional[Stmt]:
        rows = self.rows(t, c)
        if not rows:
            return None
        r = self.r
        self.touch(c, t.family)
        if t.kind == "keyless":
            a = r.choice(list(rows))

            def apply():
                self.del_row(c, t, a)
            return Stmt(f"DELETE FROM {t.q} WHERE own = {c.idx} AND a = {a}", apply, tag="delete_keyless")
        idc = qi(self.m.idcol(t))
        if r.random() < 0.2 and len(rows) > 3:
            m = r.randint(2, 5)
            k = r.randint(0, m - 1)
            lo = (c.idx + 1) * 10_000_000
            victims = [x for x in rows if x % m == k]
            sql = f"DELETE FROM {t.q} WHERE {idc} BETWEEN {lo} AND {lo + 10_000_000 - 1} AND {idc} % {m} = {k}"
        else:
            victims = [r.choice(list(rows))]
            sql = f"DELETE FROM {t.q} WHERE {idc} = {victims[0]}"

        def apply():
            for x in victims:
                self.del_row(c, t, x)
            if t.kind == "parent":  # ON DELETE CASCADE
                chi = next(ct for ct in self.m.tables.values() if ct.kind == "child")
                crow = self.rows(chi, c)
                for ck, pv in list(crow.items()):
                    if pv in victims:
                        self.del_row(c, chi, ck)
        return Stmt(sql, apply, tag="delete")

    def random_dml(self, c: ConnState, big_p: float = 0.3) -> Optional[Stmt]:
        tables = self.dml_tables(c)
        if not tables:
            return None
        t = self.r.choice(tables)
        x = self.r.random()
        if t.kind == "nocols" and x < 0.3 and self.can_excl(c, t.family):
            self.touch(c, t.family, excl=True)  # deletes every connection's rows
            return Stmt(f"DELETE FROM {t.q}", tag="delete_nocols")
        if x < 0.45:
            if t.kind == "ident" and self.r.random() < 0.3:
                return self.insert_ident_default(c, t)
            y = self.r.random()
            if y < 0.15:
                return self.upsert(c, t, big_p) or self.insert(c, t, 1, big_p)
            if y < 0.3:
                return self.copy_insert(c, t, self.r.randint(2, 6), big_p)
            return self.insert(c, t, self.r.randint(1, 3), big_p)
        if x < 0.8:
            return self.update(c, t, big_p) or self.insert(c, t, 1, big_p)
        return self.delete(c, t) or self.insert(c, t, 1, big_p)

    def message(self, c: ConnState, transactional: bool) -> Stmt:
        r = self.r
        prefix = r.choice(["p", "cedar.test", "pré fix", "", "x" * 60])
        if r.random() < 0.3:
            content = "'\\x" + r.randbytes(r.randint(0, 40)).hex() + "'::bytea"
        elif r.random() < 0.1:
            content = e_lit(self.v.big_text())
        else:
            content = e_lit(self.v.text())
        return Stmt(f"SELECT pg_logical_emit_message({'true' if transactional else 'false'}, {e_lit(prefix)}, {content})",
                    tag="message_tx" if transactional else "message_nontx")

    # -- DDL ------------------------------------------------------------------------------------

    def ddl(self, c: ConnState) -> Optional[Stmt]:
        r = self.r
        fams = [f for f in {t.family for t in self.m.tables.values() if t.kind != "nocols"} if self.can_excl(c, f)]
        if not fams:
            return None
        fam = r.choice(sorted(fams))
        tabs = [t for t in self.m.family_tables(fam) if t.kind != "part"]
        t = r.choice(tabs)
        self.touch(c, fam, excl=True)
        op = r.choice(["add", "add", "drop", "retype", "retype", "rename_table", "rename_col", "identity"])
        plain_cols = [col for col in t.cols if not (col.pk or col.fk or col.generated or col.identity)
                      and col.name not in ("own", "a", "region", "par_id")]
        if op == "drop" and plain_cols and len(plain_cols) > 1:
            col = r.choice(plain_cols)

            def apply():
                def fn():
                    i = t.cols.index(col)
                    t.cols.remove(col)
                    return lambda: t.cols.insert(i, col)
                self.do(c, fn)
            return Stmt(f"ALTER TABLE {t.q} DROP COLUMN {qi(col.name)}", apply, tag="ddl_drop_column")
        if op == "retype":
            cands = [col for col in plain_cols if col.kind in RETYPE and col.nullable and col.default is None
                     and not col.big]
            if cands:
                col = r.choice(cands)
                new = r.choice(RETYPE[col.kind])

                def apply():
                    def fn():
                        old = col.kind
                        col.kind = new

                        def inv():
                            col.kind = old
                        return inv
                    self.do(c, fn)
                return Stmt(f"ALTER TABLE {t.q} ALTER COLUMN {qi(col.name)} TYPE {SQL_TYPE[new]} USING {qi(col.name)}::{SQL_TYPE[new]}",
                            apply, tag="ddl_retype_column")
        if op == "rename_table":
            cand = [t] + [self.m.tables[p] for p in t.parts]
            tt = r.choice(cand)
            self.m.next_name += 1
            newname = f"{tt.base}{r.choice(['_r', ' R-', 'ö'])}{self.m.next_name}"

            def apply():
                def fn():
                    old = tt.name
                    tt.name = newname

                    def inv():
                        tt.name = old
                    return inv
                self.do(c, fn)
            return Stmt(f"ALTER TABLE {tt.q} RENAME TO {qi(newname)}", apply, tag="ddl_rename_table")
        if op == "rename_col" and plain_cols:
            col = r.choice(plain_cols)
            newname = self.m.new_col_name()

            def apply():
                def fn():
                    old = col.name
                    col.name = newname

                    def inv():
                        col.name = old
                    return inv
                self.do(c, fn)
            return Stmt(f"ALTER TABLE {t.q} RENAME COLUMN {qi(col.name)} TO {qi(newname)}", apply, tag="ddl_rename_column")
        if op == "identity" and t.pk and t.kind != "root":
            full = not t.full

            def apply():
                def fn():
                    t.full = full

                    def inv():
                        t.full = not full
                    return inv
                self.do(c, fn)
            other = f"USING INDEX {qi(t.base + '_key')}" if t.unique_key else "DEFAULT"
            return Stmt(f"ALTER TABLE {t.q} REPLICA IDENTITY {'FULL' if full else other}", apply,
                        tag="ddl_replica_identity")
        # add a column
        big = r.random() < 0.25
        kind = r.choice(BIG_KINDS) if big else r.choice(SMALL_KINDS)
        col = Col(self.m.new_col_name(), kind, big=big)
        if not big and kind in DEFAULTS and r.random() < 0.4 and DEFAULTS[kind] != "now()":
            col.default, col.nullable = DEFAULTS[kind], False

        def apply():
            def fn():
                t.cols.append(col)
                return lambda: t.cols.remove(col)
            self.do(c, fn)
        return Stmt(f"ALTER TABLE {t.q} ADD COLUMN {col.ddl()}", apply, tag="ddl_add_column")

    def truncate(self, c: ConnState) -> Optional[Stmt]:
        r = self.r
        fams = [f for f in {t.family for t in self.m.tables.values()} if self.can_excl(c, f)]
        if not fams:
            return None
        picked = r.sample(sorted(fams), min(len(fams), r.choice([1, 1, 2])))
        targets, opts, clears = [], [], []
        for fam in picked:
            tabs = self.m.family_tables(fam)
            t = r.choice(tabs)
            if any(x.kind == "parent" for x in tabs) and r.random() < 0.6:
                t = next(x for x in tabs if x.kind == "parent")  # TRUNCATE ... CASCADE
            self.touch(c, fam, excl=True)
            if t.kind == "parent":
                opts.append("CASCADE")
                clears += [t, next(ct for ct in tabs if ct.kind == "child")]
            elif t.kind == "part":
                b = t.bounds
                others = [self.m.tables[p].bounds for p in self.m.tables[t.parent].parts if self.m.tables[p].bounds]
                if b is None:
                    pred = lambda k, v, others=others: not any(lo <= v < hi for lo, hi in others)  # noqa: E731
                else:
                    pred = lambda k, v, b=b: b[0] <= v < b[1]  # noqa: E731
                clears.append((t, pred))
            else:
                clears.append(t)
            if t.kind == "ident":
                opts.append("RESTART IDENTITY")
            targets.append(t)
        opt = " ".join(o for o in ("RESTART IDENTITY", "CASCADE") if o in opts)  # the grammar's order
        sql = "TRUNCATE " + ", ".join(t.q for t in targets) + (" " + opt if opt else "")

        def apply():
            for x in clears:
                if isinstance(x, tuple):
                    self.clear_rows(c, x[0], x[1])
                else:
                    self.clear_rows(c, x)
        tag = "truncate" + ("_cascade" if "CASCADE" in opts else "") + ("_restart" if "RESTART IDENTITY" in opts else "")
        if any(t.kind in ("root", "part") for t in targets):
            tag += "_partitioned"
        if len(targets) > 1:
            tag += "_multi"
        return Stmt(sql, apply, tag=tag)

    # -- transactions ---------------------------------------------------------------------------

    def begin(self, c: ConnState) -> Stmt:
        def apply():
            c.in_txn = True
            c.undo, c.savepoints = [], []
        return Stmt("BEGIN", apply)

    def end(self, c: ConnState, commit: bool) -> Stmt:
        def apply():
            if not commit:
                self.rollback_to(c, 0)
            c.in_txn = False
            c.undo, c.savepoints = [], []
            c.shared.clear()
            c.excl.clear()
        return Stmt("COMMIT" if commit else "ROLLBACK", apply, tag="commit" if commit else "rollback")

    def savepoint(self, c: ConnState) -> Stmt:
        c.sp_counter += 1
        name = f"sp{c.sp_counter}"

        def apply():
            c.savepoints.append((name, len(c.undo)))
        return Stmt(f"SAVEPOINT {name}", apply, tag="savepoint")

    def rollback_to_sp(self, c: ConnState) -> Optional[Stmt]:
        if not c.savepoints:
            return None
        i = self.r.randrange(len(c.savepoints))
        name, n = c.savepoints[i]

        def apply():
            self.rollback_to(c, n)
            del c.savepoints[i + 1:]
        return Stmt(f"ROLLBACK TO SAVEPOINT {name}", apply, tag="rollback_to_savepoint")

    def release_sp(self, c: ConnState) -> Optional[Stmt]:
        if not c.savepoints:
            return None
        i = self.r.randrange(len(c.savepoints))
        name, _ = c.savepoints[i]

        def apply():
            del c.savepoints[i:]
        return Stmt(f"RELEASE SAVEPOINT {name}", apply, tag="release_savepoint")

    def plan(self, c: ConnState) -> Iterator[Stmt]:
        r = self.r
        x = r.random()
        if x < 0.18:
            yield from self.plan_autocommit(c)
        elif x < 0.45:
            yield from self.plan_small(c)
        elif x < 0.63:
            yield from self.plan_savepoints(c)
        elif x < 0.74:
            yield from self.plan_big(c)
        elif x < 0.86:
            yield from self.plan_ddl(c)
        elif x < 0.92:
            yield from self.plan_truncate(c)
        elif x < 0.96 and self.prepared:
            yield from self.plan_prepared(c)
        else:
            yield from self.plan_error_abort(c)

    def some(self, st: Optional[Stmt]):
        return [st] if st is not None else []

    def plan_autocommit(self, c):
        r = self.r
        x = r.random()
        if x < 0.45:
            yield from self.some(self.random_dml(c))
        elif x < 0.65:
            yield self.message(c, transactional=False)
        elif x < 0.75:
            yield self.message(c, transactional=True)
        elif x < 0.92:
            yield from self.some(self.ddl(c))
        else:
            yield from self.some(self.truncate(c))

    def plan_small(self, c):
        r = self.r
        yield self.begin(c)
        for _ in range(r.randint(1, 6)):
            y = r.random()
            if y < 0.1:
                yield self.message(c, transactional=True)
            elif y < 0.13:
                yield self.message(c, transactional=False)
            else:
                yield from self.some(self.random_dml(c))
        yield self.end(c, commit=r.random() < 0.88)

    def plan_savepoints(self, c):
        r = self.r
        yield self.begin(c)
        for _ in range(r.randint(3, 12)):
            y = r.random()
            if y < 0.25:
                yield self.savepoint(c)
            elif y < 0.38:
                yield from self.some(self.rollback_to_sp(c))
            elif y < 0.45:
                yield from self.some(self.release_sp(c))
            elif y < 0.55:
                # a statement that fails after inserting rows, then ROLLBACK TO its savepoint
                tabs = self.dml_tables(c)
                if tabs:
                    t = r.choice(tabs)
                    self.touch(c, t.family)  # reserve it: the insert comes after another yield
                    yield self.savepoint(c)
                    yield self.insert(c, t, r.randint(1, 3), fail=True)
                    name, n = c.savepoints[-1]

                    def apply(n=n):
                        self.rollback_to(c, n)
                    yield Stmt(f"ROLLBACK TO SAVEPOINT {name}", apply, tag="rollback_to_after_error")
            elif y < 0.6:
                yield self.message(c, transactional=True)
            elif y < 0.64:
                yield from self.some(self.ddl(c))  # DDL inside a (maybe rolled back) subtransaction
            else:
                yield from self.some(self.random_dml(c))
        yield self.end(c, commit=r.random() < 0.85)

    def plan_big(self, c):
        """More than logical_decoding_work_mem: spilled (cedar_cdc, pgoutput v1) or streamed (v2)."""
        r = self.r
        yield self.begin(c)
        for _ in range(r.randint(2, 5)):
            y = r.random()
            tabs = self.dml_tables(c)
            if not tabs:
                break
            t = r.choice(tabs)
            self.touch(c, t.family)  # reserve it now: statements on t follow other yields
            if y < 0.25:
                # a subtransaction bigger than logical_decoding_work_mem, streamed and then
                # (mostly) rolled back: Stream Abort of a subtransaction
                yield self.savepoint(c)
                yield self.insert(c, t, r.randint(60, 160), big_p=0.15)
                if r.random() < 0.65:
                    name, n = c.savepoints[-1]

                    def apply(n=n):
                        self.rollback_to(c, n)
                        del c.savepoints[-1:]
                    yield Stmt(f"ROLLBACK TO SAVEPOINT {name}", apply, tag="rollback_to_savepoint")
                else:
                    yield from self.some(self.release_sp(c))
            elif y < 0.3:
                yield from self.some(self.rollback_to_sp(c))
            elif y < 0.37:
                yield self.message(c, transactional=True)
            elif y < 0.45:
                yield from self.some(self.ddl(c))
            elif y < 0.6:
                yield from self.some(self.update(c, t, big_p=0.5))
                yield from self.some(self.update(c, t, big_p=0.0))
            elif y < 0.68:
                yield from self.some(self.subxact_loop(c, t))
            elif y < 0.8:
                yield self.copy_insert(c, t, r.randint(40, 160), big_p=0.15)
            else:
                yield self.insert(c, t, r.randint(40, 160), big_p=0.15)
        yield self.end(c, commit=r.random() < 0.8)

    def plan_ddl(self, c):
        r = self.r
        yield self.begin(c)
        for _ in range(r.randint(0, 2)):
            yield from self.some(self.random_dml(c))
        st = self.ddl(c)
        if st is not None:
            yield st
            fam = next(iter(c.excl)) if c.excl else None
            for _ in range(r.randint(1, 4)):
                tabs = [t for t in self.m.tables.values() if t.family == fam and t.kind != "part"]
                if tabs and r.random() < 0.8:
                    t = r.choice(tabs)
                    yield from self.some(r.choice([self.insert(c, t, r.randint(1, 3)), self.update(c, t), self.delete(c, t)])
                                         if self.rows(t, c) else self.insert(c, t, r.randint(1, 3)))
                elif r.random() < 0.5:
                    yield from self.some(self.ddl(c))
                else:
                    yield from self.some(self.random_dml(c))
        yield self.end(c, commit=r.random() < 0.8)

    def plan_truncate(self, c):
        r = self.r
        yield self.begin(c)
        yield from self.some(self.random_dml(c))
        st = self.truncate(c)
        if st is not None:
            yield st
            for _ in range(r.randint(0, 3)):
                yield from self.some(self.random_dml(c))
        yield self.end(c, commit=r.random() < 0.85)

    def plan_prepared(self, c):
        """PREPARE TRANSACTION, then (after other connections' statements) COMMIT or ROLLBACK
        PREPARED: decoded at COMMIT PREPARED (the slots are not two-phase). The connection keeps
        its locks in the model until then, as the prepared transaction does."""
        r = self.r
        yield self.begin(c)
        for _ in range(r.randint(1, 4)):
            y = r.random()
            if y < 0.15:
                yield self.message(c, transactional=True)
            elif y < 0.25:
                yield from self.some(self.ddl(c))
            else:
                yield from self.some(self.random_dml(c))
        self.gid += 1
        gid = f"cedar_diff_{self.seed}_{self.gid}"
        yield Stmt(f"PREPARE TRANSACTION '{gid}'", tag="prepare")
        commit = r.random() < 0.8
        st = self.end(c, commit)
        st.sql = f"{'COMMIT' if commit else 'ROLLBACK'} PREPARED '{gid}'"
        st.tag = "commit_prepared" if commit else "rollback_prepared"
        yield st

    def plan_error_abort(self, c):
        """An error outside any savepoint aborts the transaction; only ROLLBACK is possible."""
        r = self.r
        yield self.begin(c)
        for _ in range(r.randint(1, 3)):
            yield from self.some(self.random_dml(c))
        tabs = self.dml_tables(c)
        if tabs and r.random() < 0.6:
            st = self.insert(c, r.choice(tabs), r.randint(1, 3), fail=True)
            st.tag = "error_abort"
            yield st
        else:
            yield Stmt("SELECT 1/0", expect_error=True, tag="error_abort")
        yield self.end(c, commit=False)

    def statements(self) -> Iterator[tuple[int, Stmt]]:
        """(connection, statement) in execution order; the driver must call Stmt.apply on success."""
        r = self.r
        for _ in range(self.steps):
            c = r.choice(self.conns)
            for attempt in range(2):
                if c.plan is None:
                    c.plan = self.plan(c)
                st = next(c.plan, None)
                if st is None:
                    c.plan = None
                    continue
                yield c.idx, st
                break
        # finish every open plan
        for c in self.conns:
            while c.plan is not None:
                st = next(c.plan, None)
                if st is None:
                    c.plan = None
                else:
                    yield c.idx, st


# ---------------------------------------------------------------------------------------------
# Driver


class WorkloadError(Exception):
    pass


class Session:
    """One interactive psql process; run() returns the output lines of one statement."""

    MARK = "__cedar_differential_mark__"

    def __init__(self, argv: list[str], env: dict):
        self.p = subprocess.Popen(argv + ["-q", "-A", "-t", "-v", "ON_ERROR_STOP=0"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                  env=env, encoding="utf-8")

    def run(self, sql: str) -> list[str]:
        self.p.stdin.write(sql + ";\n\\echo " + self.MARK + "\n")
        self.p.stdin.flush()
        out = []
        while True:
            line = self.p.stdout.readline()
            if line == "":
                raise WorkloadError("psql exited: " + "".join(out))
            if line.rstrip("\n") == self.MARK:
                return out
            out.append(line)

    def close(self) -> None:
        try:
            self.p.stdin.write("\\q\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        self.p.wait(timeout=30)


LOCK_DIAG = """
SELECT a.pid, a.datname, a.state, left(a.query, 120), l.locktype, l.relation::regclass, l.mode, l.granted,
       pg_blocking_pids(a.pid)
  FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid
 WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
 ORDER BY a.pid"""


def run_workload(w: Workload, psql_argv: list[str], log=None, snapshots: Optional[list] = None,
                 catalog_query: str = "") -> dict:
    """Executes the workload; returns coverage counters. Raises WorkloadError on a surprise.

    With `snapshots` (a list), appends the catalog as `catalog_query` (one JSON line) shows it,
    first before the workload as (None, catalog), then after the commit of every transaction
    that ran DDL as (xid, catalog), in commit order. Autocommit DDL then runs in an explicit
    transaction (the same WAL) so that its xid can be read."""
    env = dict(os.environ)
    env["PGOPTIONS"] = "-c lock_timeout=10s -c statement_timeout=120s -c TimeZone=UTC"
    sessions = [Session(psql_argv, env) for _ in w.conns]
    cat = None
    ddl_in_txn = [False] * len(sessions)
    prepared_xid: dict = {}

    def xid_of(ci: int):
        out = sessions[ci].run("SELECT 'xid=' || (pg_current_xact_id_if_assigned()::text::bigint % 4294967296)")
        for line in out:
            if line.startswith("xid="):
                return int(line.strip()[4:])
        return None  # no xid: nothing was written

    def snapshot(xid):
        out = "".join(cat.run(catalog_query))
        try:
            snapshots.append((xid, json.loads(out)))
        except ValueError:
            raise WorkloadError(f"seed {w.seed}: catalog snapshot failed: {out[:2000]}") from None

    open_txns = 0
    max_open = 0
    t0 = time.monotonic()
    try:
        if snapshots is not None:
            cat = Session(psql_argv, dict(env, PGOPTIONS=env["PGOPTIONS"] + " -c DateStyle=ISO -c IntervalStyle=postgres"))
            snapshot(None)
        for n, (ci, st) in enumerate(w.statements()):
            c = w.conns[ci]
            sql = st.sql
            autocommit_ddl = snapshots is not None and st.tag.startswith("ddl") and not c.in_txn
            xid = None
            if snapshots is not None:
                if st.tag.startswith("ddl") and c.in_txn:
                    ddl_in_txn[ci] = True
                if ddl_in_txn[ci] and (sql == "COMMIT" or sql.startswith("PREPARE TRANSACTION")):
                    xid = xid_of(ci)
                    if sql.startswith("PREPARE TRANSACTION"):
                        prepared_xid[sql.split("'")[1]] = xid
                if autocommit_ddl:
                    sessions[ci].run("BEGIN")
            out = sessions[ci].run(sql)
            if autocommit_ddl:
                xid = xid_of(ci)
                out += sessions[ci].run("COMMIT")
            err = [l for l in out if l.startswith(("ERROR:", "FATAL:", "psql:"))]
            if log is not None:
                log.write(f"-- step {n} conn {ci}{' (expected to fail)' if st.expect_error else ''}\n{st.sql};\n")
            if err and not st.expect_error:
                diag = ""
                if any("lock timeout" in l for l in err):
                    diag = "\nlocks: " + subprocess.run(
                        psql_argv + ["-X", "-At", "-c", LOCK_DIAG], capture_output=True, text=True).stdout
                raise WorkloadError(f"seed {w.seed} step {n} conn {ci}: unexpected error {''.join(out).strip()} "
                                    f"in: {st.sql[:500]}{diag}")
            if st.expect_error and not err:
                raise WorkloadError(f"seed {w.seed} step {n} conn {ci}: expected an error from: {st.sql[:500]}")
            if snapshots is not None:
                if sql.startswith("COMMIT PREPARED"):
                    xid = prepared_xid.pop(sql.split("'")[1], None)
                elif sql.startswith("ROLLBACK PREPARED"):
                    prepared_xid.pop(sql.split("'")[1], None)
                committed = autocommit_ddl or sql == "COMMIT" or sql.startswith("COMMIT PREPARED")
                if committed and xid is not None and not err:
                    snapshot(xid)
                if sql in ("COMMIT", "ROLLBACK") or sql.startswith("PREPARE TRANSACTION"):
                    ddl_in_txn[ci] = False
            if not err and st.apply is not None:
                st.apply()
            if st.tag:
                w.count(st.tag)
            open_now = sum(c.in_txn for c in w.conns)
            max_open = max(max_open, open_now)
    finally:
        for s in sessions:
            s.close()
        if cat is not None:
            cat.close()
    w.coverage["max_concurrent_txns"] = max_open
    w.coverage["workload_seconds_x100"] = int((time.monotonic() - t0) * 100)
    return w.coverage
