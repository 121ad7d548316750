"""Type-aware comparison: PostgreSQL text output (pgoutput) and Debezium JSON values (cedar_cdc)
decoded to one canonical Python value per column type.

`pg_canon(oid, typmod, text)` decodes what pgoutput sent (the type's output function, run in the
decoding session with TimeZone=UTC, DateStyle=ISO, IntervalStyle=postgres, extra_float_digits=1,
bytea_output=hex); `cedar_canon(oid, typmod, json_value)` decodes the value cedar_cdc wrote with
the default handling modes (decimal precise, binary bytes, time.precision adaptive, interval
numeric). Two values are equal when their canonical forms are equal (`==`). A cedar value in the
wrong JSON type or format canonicalises to `Bad(...)`, which equals nothing.

Canonical forms:
  integers        int
  numeric(p,s)    ("dec", unscaled, s): Connect Decimal, unscaled at exactly scale s
  numeric         ("dec", unscaled, scale) after Debezium's VariableScaleDecimal normalisation
                  (stripTrailingZeros, negative scale -> 0)
  float4/float8   the IEEE bits (float4 rounded to binary32), "NaN" for NaN
  bool            bool
  text types      str;  bytea: bytes;  uuid: lower-case str;  json/jsonb/inet: the text
  date            days since 1970-01-01 (proleptic Gregorian, astronomical years)
  time            µs past midnight (Debezium: ms for time(0..3), µs otherwise)
  timestamp       µs since epoch (Debezium: ms for timestamp(0..3), µs otherwise)
  timestamptz     µs since epoch; cedar's string must have exactly p fraction digits (6 if no
                  typmod, none for p=0) and end in Z
  interval        Debezium MicroDuration: (long)(((((y*12+m)*30.4375+d)*24+h)*60+mi)*60+s)*1e6)
                  recomputed from the PostgreSQL text in IEEE double arithmetic, as pgjdbc's
                  PGInterval + Debezium do (exact comparison)
  int4[]/int8[]/text[]  list of the element forms, None for NULL elements
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from dataclasses import dataclass
from decimal import Decimal

BOOL, BYTEA, INT8, INT2, INT4, TEXT, JSON = 16, 17, 20, 21, 23, 25, 114
FLOAT4, FLOAT8, INET, BPCHAR, VARCHAR = 700, 701, 869, 1042, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID, JSONB = 1082, 1083, 1114, 1184, 1186, 1700, 2950, 3802
INT4ARRAY, TEXTARRAY, INT8ARRAY = 1007, 1009, 1016

TYPE_NAMES = {
    BOOL: "boolean", BYTEA: "bytea", INT8: "bigint", INT2: "smallint", INT4: "integer", TEXT: "text",
    JSON: "json", FLOAT4: "real", FLOAT8: "double precision", INET: "inet", BPCHAR: "character",
    VARCHAR: "character varying", DATE: "date", TIME: "time", TIMESTAMP: "timestamp",
    TIMESTAMPTZ: "timestamptz", INTERVAL: "interval", NUMERIC: "numeric", UUID: "uuid", JSONB: "jsonb",
    INT4ARRAY: "integer[]", TEXTARRAY: "text[]", INT8ARRAY: "bigint[]",
}
ARRAY_ELEMENT = {INT4ARRAY: INT4, TEXTARRAY: TEXT, INT8ARRAY: INT8}
SUPPORTED = frozenset(TYPE_NAMES)

PLACEHOLDER = "__debezium_unavailable_value"

# Debezium's constants for infinite dates/timestamps (README type table, streaming path).
DATE_INF, DATE_NINF = -2147472692, -2147472691
TS_US_INF, TS_US_NINF = 9223372036825200000, -9223372036832400000
TS_MS_INF, TS_MS_NINF = 9223372036825200, -9223372036832400


@dataclass(frozen=True)
class Bad:
    """A cedar value that is not even of the right JSON shape/format for its type."""
    why: str
    value: object

    def __eq__(self, other):  # never equal, not even to itself
        return False

    def __hash__(self):
        return id(self)


class Unsupported(Exception):
    pass


def type_name(oid: int, typmod: int) -> str:
    name = TYPE_NAMES.get(oid, f"oid {oid}")
    if oid == NUMERIC and typmod >= 4:
        return f"numeric({(typmod - 4) >> 16},{(typmod - 4) & 0xFFFF})"
    if oid in (VARCHAR, BPCHAR) and typmod >= 4:
        return f"{name}({typmod - 4})"
    if oid in (TIME, TIMESTAMP, TIMESTAMPTZ) and typmod >= 0:
        return f"{name}({typmod})"
    return name


def numeric_typmod(typmod: int):
    """(precision, scale) or None for unconstrained numeric."""
    if typmod < 4:
        return None
    t = typmod - 4
    scale = t & 0x7FF
    if scale & 0x400:  # PostgreSQL 15 allows negative scales (11-bit two's complement)
        scale -= 0x800
    return (t >> 16) & 0xFFFF, scale


# ---------------------------------------------------------------------------------------------
# Calendar helpers (proleptic Gregorian, astronomical year numbering)


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 (Howard Hinnant's algorithm; any year)."""
    y -= m <= 2
    era = y // 400  # floor division (Hinnant's C code truncates, hence its y - 399)
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_PG_DATE = re.compile(r"^(\d{4,})-(\d\d)-(\d\d)( BC)?$")
_PG_TS = re.compile(r"^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-]\d\d(?::?\d\d)?(?::\d\d)?)?( BC)?$")
_PG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$")


def _year(y: str, bc) -> int:
    return 1 - int(y) if bc else int(y)


def _frac_us(f) -> int:
    return int((f or "").ljust(6, "0")) if f else 0


def pg_date_days(text: str) -> int:
    m = _PG_DATE.match(text)
    if not m:
        raise ValueError(f"unparsable date {text!r}")
    return days_from_civil(_year(m[1], m[4]), int(m[2]), int(m[3]))


def _tz_seconds(tz: str) -> int:
    sign = -1 if tz[0] == "-" else 1
    parts = tz[1:].replace(":", "")
    h, mi, s = int(parts[0:2]), int(parts[2:4] or 0), int(parts[4:6] or 0)
    return sign * (h * 3600 + mi * 60 + s)


def pg_timestamp_us(text: str) -> int:
    m = _PG_TS.match(text)
    if not m:
        raise ValueError(f"unparsable timestamp {text!r}")
    days = days_from_civil(_year(m[1], m[9]), int(m[2]), int(m[3]))
    secs = days * 86400 + int(m[4]) * 3600 + int(m[5]) * 60 + int(m[6])
    if m[8]:
        secs -= _tz_seconds(m[8])
    return secs * 1_000_000 + _frac_us(m[7])


def pg_time_us(text: str) -> int:
    m = _PG_TIME.match(text)
    if not m:
        raise ValueError(f"unparsable time {text!r}")
    return ((int(m[1]) * 60 + int(m[2])) * 60 + int(m[3])) * 1_000_000 + _frac_us(m[4])


_ISO_TSTZ = re.compile(r"^([+-]?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$")


def iso_tstz_us(text: str, precision: int):
    """Debezium ZonedTimestamp text -> µs, checking the fraction width (p digits, none for 0)."""
    m = _ISO_TSTZ.match(text)
    if not m:
        return Bad("not an ISO-8601 UTC timestamp", text)
    frac = m[7] or ""
    if len(frac) != precision:
        return Bad(f"{len(frac)} fraction digits, expected {precision}", text)
    year = m[1]
    if len(year.lstrip("+-")) > 4 and not year.startswith("+"):
        return Bad("year beyond 9999 without '+'", text)
    days = days_from_civil(int(year), int(m[2]), int(m[3]))
    secs = days * 86400 + int(m[4]) * 3600 + int(m[5]) * 60 + int(m[6])
    return secs * 1_000_000 + _frac_us(frac[:6]) if len(frac) <= 6 else Bad("more than 6 fraction digits", text)


# ---------------------------------------------------------------------------------------------
# Interval: pgjdbc PGInterval fields, then Debezium MicroDuration.durationMicros

_IV_UNIT = re.compile(r"([+-]?\d+) (years?|mons?|days?)")
_IV_TIME = re.compile(r"([+-])?(\d+):(\d\d):(\d\d(?:\.\d+)?)")


def pg_interval_micros(text: str) -> int:
    years = months = days = hours = minutes = 0
    seconds = 0.0
    rest = text
    for num, unit in _IV_UNIT.findall(text):
        n = int(num)
        if unit.startswith("year"):
            years = n
        elif unit.startswith("mon"):
            months = n
        else:
            days = n
        rest = rest.replace(f"{num} {unit}", "", 1)
    t = _IV_TIME.search(rest)
    if t:
        sign = -1 if t[1] == "-" else 1
        hours, minutes = sign * int(t[2]), sign * int(t[3])
        whole, _, frac = t[4].partition(".")
        # PGInterval: seconds = whole + micros/1e6 (double), both with the sign of the time part
        micros = int(frac.ljust(6, "0")[:6]) if frac else 0
        seconds = sign * int(whole) + (sign * micros) / 1e6
        rest = rest.replace(t[0], "", 1)
    if rest.strip():
        raise ValueError(f"unparsable interval {text!r}")
    number_of_days = (years * 12 + months) * (365.25 / 12.0) + days
    number_of_seconds = (((number_of_days * 24 + hours) * 60) + minutes) * 60 + seconds
    return _java_long(number_of_seconds * 1e6 + 0)


def _java_long(x: float) -> int:
    if math.isnan(x):
        return 0
    if x >= 2.0 ** 63:
        return 2 ** 63 - 1
    if x <= -(2.0 ** 63):
        return -(2 ** 63)
    return int(x)


# ---------------------------------------------------------------------------------------------
# Arrays (PostgreSQL text form, one dimension)


def parse_pg_array(text: str) -> list:
    """One-dimensional array literal as array_out writes it -> list of str|None."""
    if text.startswith("["):  # explicit bounds: [0:2]={...}
        text = text[text.index("=") + 1:]
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not an array literal: {text!r}")
    body = text[1:-1]
    out: list = []
    i, n = 0, len(body)
    if n == 0:
        return out
    while True:
        if i < n and body[i] == "{":
            raise ValueError("multi-dimensional arrays are not supported")
        if i < n and body[i] == '"':
            i += 1
            buf = []
            while body[i] != '"':
                if body[i] == "\\":
                    i += 1
                buf.append(body[i])
                i += 1
            i += 1
            out.append("".join(buf))
        else:
            j = i
            while j < n and body[j] != ",":
                j += 1
            tok = body[i:j].strip(" \t\n\r\v\f")  # array_in's whitespace (not Python's)
            out.append(None if tok.upper() == "NULL" else tok)
            i = j
        if i >= n:
            break
        if body[i] != ",":
            raise ValueError(f"bad array literal near {body[i:i + 10]!r}")
        i += 1
    return out


# ---------------------------------------------------------------------------------------------
# Canonicalisation


def _f4_bits(x: float):
    if math.isnan(x):
        return "NaN"
    return struct.pack(">f", x)


def _f8_bits(x: float):
    if math.isnan(x):
        return "NaN"
    return struct.pack(">d", x)


def _pg_float(text: str) -> float:
    return float(text)  # Python reads NaN, Infinity, -Infinity and every float8out/float4out text


def _unscaled(d: Decimal) -> tuple[int, int]:
    """(unscaled, scale) of a Decimal exactly as written (no context rounding)."""
    sign, digits, exp = d.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return unscaled, -exp


def _vsd(d: Decimal):
    """Debezium VariableScaleDecimal: BigDecimal.stripTrailingZeros(), a negative scale -> setScale(0)."""
    unscaled, scale = _unscaled(d)
    if unscaled == 0:
        return ("dec", 0, 0)
    while unscaled % 10 == 0:
        unscaled //= 10
        scale -= 1
    if scale < 0:
        unscaled *= 10 ** (-scale)
        scale = 0
    return ("dec", unscaled, scale)


def _at_scale(d: Decimal, scale: int):
    unscaled, s = _unscaled(d)
    if s <= scale:
        return ("dec", unscaled * 10 ** (scale - s), scale)
    q, r = divmod(unscaled, 10 ** (s - scale))
    if r:
        raise ValueError(f"{d} has more than {scale} fraction digits")
    return ("dec", q, scale)


def pg_canon(oid: int, typmod: int, text: str):
    if oid in (INT2, INT4, INT8):
        return int(text)
    if oid == NUMERIC:
        if text in ("NaN", "Infinity", "-Infinity"):
            return None  # Debezium precise mode cannot represent them: null
        d = Decimal(text)
        tm = numeric_typmod(typmod)
        if tm is None:
            return _vsd(d)
        return _at_scale(d, tm[1])
    if oid == FLOAT8:
        return _f8_bits(_pg_float(text))
    if oid == FLOAT4:
        return _f4_bits(_pg_float(text))
    if oid == BOOL:
        return {"t": True, "f": False}[text]
    if oid in (TEXT, VARCHAR, BPCHAR, JSON, JSONB, INET):
        return text
    if oid == UUID:
        return text.lower()
    if oid == BYTEA:
        if not text.startswith("\\x"):
            raise ValueError("bytea not in hex format")
        return bytes.fromhex(text[2:])
    if oid == DATE:
        if text == "infinity":
            return DATE_INF
        if text == "-infinity":
            return DATE_NINF
        return pg_date_days(text)
    if oid == TIME:
        return pg_time_us(text)
    if oid == TIMESTAMP:
        if text == "infinity":
            return ("ts-inf", +1)
        if text == "-infinity":
            return ("ts-inf", -1)
        return pg_timestamp_us(text)
    if oid == TIMESTAMPTZ:
        if text in ("infinity", "-infinity"):
            return text
        return pg_timestamp_us(text)
    if oid == INTERVAL:
        return pg_interval_micros(text)
    if oid in ARRAY_ELEMENT:
        el = ARRAY_ELEMENT[oid]
        return [None if e is None else pg_canon(el, -1, e) for e in parse_pg_array(text)]
    raise Unsupported(f"type oid {oid}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _b64(v):
    if not isinstance(v, str):
        return Bad("expected a base64 string", v)
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        return Bad("invalid base64", v)


def cedar_canon(oid: int, typmod: int, v):
    if v is None:
        return None
    if oid in (INT2, INT4, INT8):
        return v if _is_int(v) else Bad("expected an integer", v)
    if oid == NUMERIC:
        tm = numeric_typmod(typmod)
        if tm is None:
            if not (isinstance(v, dict) and list(v) == ["scale", "value"] and _is_int(v["scale"])):
                return Bad('expected {"scale":s,"value":base64}', v)
            b = _b64(v["value"])
            if isinstance(b, Bad):
                return b
            return ("dec", int.from_bytes(b, "big", signed=True), v["scale"])
        b = _b64(v)
        if isinstance(b, Bad):
            return b
        return ("dec", int.from_bytes(b, "big", signed=True), tm[1])
    if oid in (FLOAT8, FLOAT4):
        if isinstance(v, str):
            x = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v)
            if x is None:
                return Bad("expected a number or NaN/Infinity/-Infinity", v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            x = float(v)
        else:
            return Bad("expected a number", v)
        return _f8_bits(x) if oid == FLOAT8 else _f4_bits(x)
    if oid == BOOL:
        return v if isinstance(v, bool) else Bad("expected a boolean", v)
    if oid in (TEXT, VARCHAR, BPCHAR, JSON, JSONB, INET, UUID):
        return v if isinstance(v, str) else Bad("expected a string", v)
    if oid == BYTEA:
        return _b64(v)
    if oid == DATE:
        return v if _is_int(v) else Bad("expected an integer (days)", v)
    if oid == TIME:
        if not _is_int(v):
            return Bad("expected an integer", v)
        return v * 1000 if 0 <= typmod <= 3 else v
    if oid == TIMESTAMP:
        if not _is_int(v):
            return Bad("expected an integer", v)
        if 0 <= typmod <= 3:
            return {TS_MS_INF: ("ts-inf", +1), TS_MS_NINF: ("ts-inf", -1)}.get(v, v * 1000)
        return {TS_US_INF: ("ts-inf", +1), TS_US_NINF: ("ts-inf", -1)}.get(v, v)
    if oid == TIMESTAMPTZ:
        if not isinstance(v, str):
            return Bad("expected a string", v)
        if v in ("infinity", "-infinity"):
            return v
        return iso_tstz_us(v, 6 if typmod < 0 else typmod)
    if oid == INTERVAL:
        return v if _is_int(v) else Bad("expected an integer (µs)", v)
    if oid in ARRAY_ELEMENT:
        if not isinstance(v, list):
            return Bad("expected an array", v)
        el = ARRAY_ELEMENT[oid]
        return [cedar_canon(el, -1, e) for e in v]
    raise Unsupported(f"type oid {oid}")


def toast_placeholder(oid: int):
    """What cedar_cdc (as Debezium) writes for an unchanged TOASTed value without an old value."""
    if oid in (TEXT, VARCHAR, BPCHAR, JSON, JSONB):
        return PLACEHOLDER
    if oid == BYTEA:
        return base64.b64encode(PLACEHOLDER.encode()).decode()
    if oid == TEXTARRAY:
        return [PLACEHOLDER]
    if oid in (INT4ARRAY, INT8ARRAY):
        return list(PLACEHOLDER.encode())
    return None


def show(v) -> str:
    """Short printable form of a raw value (for reports)."""
    if isinstance(v, (bytes, bytearray)):
        s = "0x" + v.hex()
    else:
        s = repr(v)
    return s if len(s) <= 160 else s[:120] + f"...({len(s)} chars)"
