//! Shared pieces of cedar_cdc's fuzz targets: arbitrary configurations, column types and
//! values shaped like what the plugin hands the core, and the invariants every output must
//! keep (valid JSON that conforms to the column's Connect schema).
//!
//! Values come in two flavours: in the domain PostgreSQL stores (digits below 10000, times
//! within a day, …), where the targets also check exact results, and outside it (arbitrary
//! integers), where only "no panic, valid JSON" is asserted.

use arbitrary::{Result, Unstructured};
use cedar_cdc_core::config::Config;
use cedar_cdc_core::encode::decimal::Numeric;
use cedar_cdc_core::plan::schema::{Schema, Type};
use cedar_cdc_core::plan::types::{oid, ColumnPlan, Elements, Encoding, Extract, PgType, Value};

pub use serde_json::Value as Json;

/// Parses `bytes` as JSON, panicking with the text when it is not valid JSON.
pub fn json(bytes: &[u8]) -> Json {
    match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => panic!(
            "invalid JSON ({e}): {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
        ),
    }
}

/// Parses a JSON string value held in a JSON string (the record format's key and value).
pub fn json_str(v: &Json) -> Json {
    match v {
        Json::String(s) => json(s.as_bytes()),
        Json::Null => Json::Null,
        other => panic!("expected a JSON string or null, got {other}"),
    }
}

/// Decodes standard or URL-safe padded base64; `None` when it is not exactly that.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (i, q) in b.chunks(4).enumerate() {
        let last = i == b.len() / 4 - 1;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut v = 0u32;
        for &c in &q[..4 - pad] {
            v = (v << 6) | val(c)?;
        }
        v <<= 6 * pad as u32;
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Checks that `v` is a value of Connect schema `s` as `JsonConverter` writes it. `strict`
/// (values in PostgreSQL's domain) also checks integer ranges.
pub fn conforms(s: &Schema, v: &Json, strict: bool) -> std::result::Result<(), String> {
    let int = |lo: i64, hi: i64| -> std::result::Result<(), String> {
        match v.as_i64() {
            Some(i) if !strict || (lo..=hi).contains(&i) => Ok(()),
            None if v.is_u64() && !strict => Ok(()),
            _ => Err(format!("{v} is not an integer in {lo}..={hi}")),
        }
    };
    match (&s.ty, v) {
        (_, Json::Null) => Ok(()),
        (Type::Boolean, Json::Bool(_)) => Ok(()),
        (Type::Int8, Json::Number(_)) => int(i8::MIN.into(), i8::MAX.into()),
        (Type::Int16, Json::Number(_)) => int(i16::MIN.into(), i16::MAX.into()),
        (Type::Int32, Json::Number(_)) => int(i32::MIN.into(), i32::MAX.into()),
        (Type::Int64, Json::Number(_)) => int(i64::MIN, i64::MAX),
        (Type::Float | Type::Double, Json::Number(_)) => Ok(()),
        (Type::Float | Type::Double, Json::String(x))
            if matches!(x.as_str(), "NaN" | "Infinity" | "-Infinity") =>
        {
            Ok(())
        }
        (Type::Bytes, Json::String(x)) => base64_decode(x)
            .map(|_| ())
            .ok_or_else(|| format!("{x:?} is not base64")),
        (Type::String, Json::String(_)) => Ok(()),
        (Type::Array(items), Json::Array(a)) => {
            a.iter().try_for_each(|e| conforms(items, e, strict))
        }
        (Type::Map(_, vs), Json::Object(m)) => m.values().try_for_each(|e| conforms(vs, e, strict)),
        (Type::Struct(fields), Json::Object(m)) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            if names != keys {
                return Err(format!("struct fields {keys:?}, schema {names:?}"));
            }
            fields
                .iter()
                .try_for_each(|f| conforms(&f.schema, &m[f.name.as_str()], strict))
        }
        (t, v) => Err(format!("{v} is not a {t:?}")),
    }
}

/// A configuration with arbitrary handling modes (every option value here is valid).
pub fn config(u: &mut Unstructured) -> Result<Config> {
    let mut opts: Vec<(&'static str, String)> = Vec::new();
    let mut pick = |u: &mut Unstructured, name: &'static str, values: &[&str]| -> Result<()> {
        if u.arbitrary()? {
            opts.push((name, u.choose(values)?.to_string()));
        }
        Ok(())
    };
    pick(u, "decimal.handling.mode", &["precise", "string", "double"])?;
    pick(
        u,
        "binary.handling.mode",
        &["bytes", "base64", "base64-url-safe", "hex"],
    )?;
    pick(
        u,
        "time.precision.mode",
        &["adaptive", "adaptive_time_microseconds", "connect"],
    )?;
    pick(u, "interval.handling.mode", &["numeric", "string"])?;
    pick(u, "hstore.handling.mode", &["json", "map"])?;
    pick(u, "include.unknown.datatypes", &["true", "false"])?;
    pick(u, "schemas.enable", &["true", "false"])?;
    pick(u, "output.format", &["value", "record"])?;
    pick(u, "provide.transaction.metadata", &["true", "false"])?;
    pick(u, "tombstones.on.delete", &["true", "false"])?;
    if u.arbitrary()? {
        opts.push((
            "money.fraction.digits",
            u.int_in_range(0..=18u32)?.to_string(),
        ));
    }
    if u.arbitrary()? {
        let p: String = u.arbitrary()?;
        if !p.is_empty() {
            opts.push(("topic.prefix", p));
        }
    }
    if u.arbitrary()? {
        // Bytes that need not be UTF-8: text columns get them lossily.
        let b: Vec<u8> = u.arbitrary()?;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        opts.push(("unavailable.value.placeholder", format!("hex:{hex}")));
    }
    let c = Config::parse("db", opts.iter().map(|(n, v)| (*n, Some(v.as_str()))));
    Ok(c.unwrap_or_else(|e| panic!("valid options {opts:?} rejected: {e}")))
}

/// Every built-in type the core maps (and a few it does not).
pub const SCALAR_OIDS: &[u32] = &[
    oid::BOOL,
    oid::BYTEA,
    oid::CHAR,
    oid::NAME,
    oid::INT8,
    oid::INT2,
    oid::INT4,
    oid::TEXT,
    oid::OID,
    oid::JSON,
    oid::XML,
    oid::POINT,
    oid::CIDR,
    oid::FLOAT4,
    oid::FLOAT8,
    oid::MACADDR8,
    oid::MONEY,
    oid::MACADDR,
    oid::INET,
    oid::BPCHAR,
    oid::VARCHAR,
    oid::DATE,
    oid::TIME,
    oid::TIMESTAMP,
    oid::TIMESTAMPTZ,
    oid::INTERVAL,
    oid::TIMETZ,
    oid::BIT,
    oid::VARBIT,
    oid::NUMERIC,
    oid::UUID,
    oid::TSVECTOR,
    oid::JSONB,
    oid::INT4RANGE,
    oid::NUMRANGE,
    oid::TSRANGE,
    oid::TSTZRANGE,
    oid::DATERANGE,
    oid::INT8RANGE,
];

/// Extension and unknown types, recognised by name.
pub const NAMED_TYPES: &[&str] = &[
    "hstore", "citext", "ltree", "isbn", "ean13", "box", "circle", "line", "lseg", "path",
    "polygon", "geometry", "vector",
];

/// A typmod for `oid`: meaningful ones mostly, any `i32` sometimes.
pub fn typmod(u: &mut Unstructured, oid: u32) -> Result<i32> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    Ok(match oid {
        oid::NUMERIC => {
            if u.ratio(1, 3)? {
                -1
            } else {
                // numeric(p, s) with s in -1000..=1000 (negative scales since PostgreSQL 15).
                let p = u.int_in_range(1..=1000)?;
                let s: i32 = u.int_in_range(-1000..=1000)?;
                ((p << 16) | (s & 0x7ff)) + 4
            }
        }
        oid::TIME | oid::TIMETZ | oid::TIMESTAMP | oid::TIMESTAMPTZ | oid::INTERVAL => {
            u.int_in_range(-1..=6)?
        }
        oid::BIT | oid::VARBIT => u.int_in_range(-1..=200)?,
        oid::BPCHAR | oid::VARCHAR => {
            if u.arbitrary()? {
                -1
            } else {
                u.int_in_range(5..=100)?
            }
        }
        _ => -1,
    })
}

/// An arbitrary scalar column type.
pub fn scalar_type(u: &mut Unstructured) -> Result<PgType> {
    let mut t = match u.int_in_range(0..=9)? {
        0 => PgType {
            oid: 16384 + u.int_in_range(0..=1000)?,
            name: u.choose(NAMED_TYPES)?.to_string(),
            ..PgType::default()
        },
        1 => PgType {
            oid: 16384 + u.int_in_range(0..=1000)?,
            name: "mood".into(),
            schema: "public".into(),
            enum_labels: Some(u.arbitrary()?),
            ..PgType::default()
        },
        _ => PgType::builtin(*u.choose(SCALAR_OIDS)?, -1),
    };
    t.typmod = typmod(u, t.oid)?;
    t.declared_name = if t.name.is_empty() {
        format!("t{}", t.oid)
    } else {
        t.name.clone()
    };
    Ok(t)
}

/// An arbitrary column type: a scalar, or (one time in four) an array of one.
pub fn column_type(u: &mut Unstructured) -> Result<PgType> {
    let elem = scalar_type(u)?;
    if u.ratio(1, 4)? {
        let typmod = elem.typmod;
        Ok(PgType {
            oid: 1000 + elem.oid % 1000,
            name: format!("_{}", elem.name),
            declared_name: format!("_{}", elem.declared_name),
            typmod,
            element: Some(Box::new(elem)),
            ..PgType::default()
        })
    } else {
        Ok(elem)
    }
}

/// A column value that owns its bytes; [`OwnedValue::get`] lends it as the core's `Value`.
#[derive(Clone, Debug)]
pub enum OwnedValue {
    Null,
    UnchangedToast,
    Bool(bool),
    Int(i64),
    Float4(f32),
    Float8(f64),
    /// numeric's on-disk bytes (`Numeric::from_disk`; unreadable bytes are a NULL, as the
    /// plugin makes them).
    Numeric(Vec<u8>),
    Bytes(Vec<u8>),
    Date(i32),
    Time(i64),
    TimeTz(i64, i32),
    Timestamp(i64),
    TimestampTz(i64),
    Interval(i32, i32, i64),
    Uuid([u8; 16]),
    Bits(usize, Vec<u8>),
    Point(f64, f64),
    Array(Elems),
}

/// Array elements for the [`Elements`] trait.
#[derive(Clone, Debug, Default)]
pub struct Elems {
    pub items: Vec<OwnedValue>,
    pub nested: bool,
}

impl Elements for Elems {
    fn len(&self) -> usize {
        self.items.len()
    }
    fn nested(&self) -> bool {
        self.nested
    }
    fn get(&self, i: usize) -> Value<'_> {
        self.items[i].get()
    }
}

impl OwnedValue {
    /// The value as the plugin hands it over.
    pub fn get(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::UnchangedToast => Value::UnchangedToast,
            OwnedValue::Bool(b) => Value::Bool(*b),
            OwnedValue::Int(i) => Value::Int(*i),
            OwnedValue::Float4(f) => Value::Float4(*f),
            OwnedValue::Float8(f) => Value::Float8(*f),
            OwnedValue::Numeric(b) => Numeric::from_disk(b).map_or(Value::Null, Value::Numeric),
            OwnedValue::Bytes(b) => Value::Bytes(b),
            OwnedValue::Date(d) => Value::Date(*d),
            OwnedValue::Time(t) => Value::Time(*t),
            OwnedValue::TimeTz(t, z) => Value::TimeTz(*t, *z),
            OwnedValue::Timestamp(t) => Value::Timestamp(*t),
            OwnedValue::TimestampTz(t) => Value::TimestampTz(*t),
            OwnedValue::Interval(m, d, us) => Value::Interval {
                months: *m,
                days: *d,
                micros: *us,
            },
            OwnedValue::Uuid(x) => Value::Uuid(*x),
            OwnedValue::Bits(n, b) => Value::Bits(*n, b),
            OwnedValue::Point(x, y) => Value::Point(*x, *y),
            OwnedValue::Array(e) => Value::Array(e),
        }
    }
}

/// PostgreSQL's timestamp range: 4713-11-24 BC to 294276-12-31, in µs since 2000-01-01.
pub const PG_MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
pub const PG_END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;
/// PostgreSQL's date range, in days since 2000-01-01.
pub const PG_MIN_DATE: i32 = -2_451_545;
pub const PG_END_DATE: i32 = 2_145_031_948;

/// An `i64` near an interesting edge, in `lo..=hi`, or anywhere when `wild`.
pub fn edgy_i64(u: &mut Unstructured, lo: i64, hi: i64, wild: bool) -> Result<i64> {
    if wild {
        return Ok(match u.int_in_range(0..=3)? {
            0 => *u.choose(&[i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1, 0, -1])?,
            _ => u.arbitrary()?,
        });
    }
    Ok(match u.int_in_range(0..=5)? {
        0 => *u.choose(&[lo, hi, 0, lo.saturating_add(1), hi.saturating_sub(1)])?,
        1 => lo.saturating_add(u.int_in_range(0..=1_000_000_000)?),
        2 => hi.saturating_sub(u.int_in_range(0..=1_000_000_000)?),
        _ => u.int_in_range(lo..=hi)?,
    })
}

/// numeric's on-disk bytes: a valid short or long form (digits below 10000), a special
/// value, or (when `wild`) any bytes.
pub fn numeric_bytes(u: &mut Unstructured, wild: bool) -> Result<Vec<u8>> {
    if wild {
        return u.arbitrary();
    }
    let ndigits = u.int_in_range(0..=12)?;
    let digits: Vec<u16> = (0..ndigits)
        .map(|_| u.int_in_range(0..=9999u16))
        .collect::<Result<_>>()?;
    let negative: bool = u.arbitrary()?;
    let mut out = Vec::new();
    match u.int_in_range(0..=5)? {
        0 => {
            out.extend_from_slice(&u.choose(&[0xC000u16, 0xD000, 0xF000])?.to_ne_bytes());
            return Ok(out);
        }
        1 | 2 => {
            // Short form: 6-bit dscale, 7-bit signed weight.
            let dscale: u16 = u.int_in_range(0..=63)?;
            let weight: i16 = u.int_in_range(-64..=63)?;
            let h =
                0x8000 | if negative { 0x2000 } else { 0 } | (dscale << 7) | (weight as u16 & 0x7F);
            out.extend_from_slice(&h.to_ne_bytes());
        }
        _ => {
            // Mostly moderate sizes: the longest numerics take 0.1 s each to convert.
            let (dscale, weight): (u16, i16) = if u.ratio(1, 16)? {
                (u.int_in_range(0..=0x3FFF)?, u.arbitrary()?)
            } else {
                (u.int_in_range(0..=400)?, u.int_in_range(-120..=120)?)
            };
            let h = if negative { 0x4000 } else { 0 } | dscale;
            out.extend_from_slice(&h.to_ne_bytes());
            out.extend_from_slice(&weight.to_ne_bytes());
        }
    }
    for d in digits {
        out.extend_from_slice(&d.to_ne_bytes());
    }
    Ok(out)
}

/// hstore output text of `pairs`, as `hstore_out` prints it.
pub fn hstore_text(pairs: &[(String, Option<String>)]) -> String {
    let q = |s: &str| {
        let mut o = String::from("\"");
        for c in s.chars() {
            if c == '"' || c == '\\' {
                o.push('\\');
            }
            o.push(c);
        }
        o.push('"');
        o
    };
    pairs
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{}=>{}", q(k), q(v)),
            None => format!("{}=>NULL", q(k)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value of the kind the plugin extracts for `plan` (sometimes NULL or an unchanged TOAST
/// value). `wild` leaves PostgreSQL's domain.
pub fn value_for(
    u: &mut Unstructured,
    plan: &ColumnPlan,
    wild: bool,
    depth: u32,
) -> Result<OwnedValue> {
    use OwnedValue as V;
    match u.int_in_range(0..=31)? {
        0 => return Ok(V::Null),
        1 => return Ok(V::UnchangedToast),
        _ => {}
    }
    let text = |u: &mut Unstructured| -> Result<Vec<u8>> {
        Ok(match plan.encoding {
            Encoding::HstoreJson | Encoding::HstoreMap if u.ratio(3, 4)? => {
                let pairs: Vec<(String, Option<String>)> = u.arbitrary()?;
                hstore_text(&pairs).into_bytes()
            }
            Encoding::Money { .. } | Encoding::MoneyString { .. } | Encoding::MoneyDouble
                if u.ratio(3, 4)? =>
            {
                let cents: i64 = u.arbitrary()?;
                let neg = if cents < 0 { "-" } else { "" };
                let c = cents.unsigned_abs();
                format!("{neg}${},{:03}.{:02}", c / 100_000, c / 100 % 1000, c % 100).into_bytes()
            }
            _ if !wild => {
                let s: String = u.arbitrary()?;
                s.into_bytes()
            }
            _ => u.arbitrary()?,
        })
    };
    Ok(match plan.extract {
        Extract::Bool => V::Bool(u.arbitrary()?),
        Extract::Int2 => V::Int(if wild {
            u.arbitrary()?
        } else {
            i64::from(u.arbitrary::<i16>()?)
        }),
        Extract::Int4 => V::Int(if wild {
            u.arbitrary()?
        } else {
            i64::from(u.arbitrary::<i32>()?)
        }),
        Extract::Int8 => V::Int(u.arbitrary()?),
        Extract::Oid => V::Int(if wild {
            u.arbitrary()?
        } else {
            i64::from(u.arbitrary::<u32>()?)
        }),
        Extract::Float4 => V::Float4(f32::from_bits(u.arbitrary()?)),
        Extract::Float8 => V::Float8(f64::from_bits(u.arbitrary()?)),
        Extract::Numeric => V::Numeric(numeric_bytes(u, wild)?),
        Extract::Varlena | Extract::Text => V::Bytes(text(u)?),
        Extract::Date => V::Date(if wild {
            u.arbitrary()?
        } else if u.ratio(1, 8)? {
            *u.choose(&[i32::MIN, i32::MAX])?
        } else {
            edgy_i64(u, PG_MIN_DATE.into(), PG_END_DATE.into(), false)? as i32
        }),
        Extract::Time => V::Time(edgy_i64(u, 0, 86_400_000_000, wild)?),
        Extract::TimeTz => V::TimeTz(
            edgy_i64(u, 0, 86_400_000_000, wild)?,
            if wild {
                u.arbitrary()?
            } else {
                u.int_in_range(-57_599..=57_599)?
            },
        ),
        Extract::Timestamp => V::Timestamp(timestamp(u, wild)?),
        Extract::TimestampTz => V::TimestampTz(timestamp(u, wild)?),
        Extract::Interval => V::Interval(
            u.arbitrary()?,
            u.arbitrary()?,
            edgy_i64(u, i64::MIN, i64::MAX, wild)?,
        ),
        Extract::Uuid => V::Uuid(u.arbitrary()?),
        Extract::Bits => {
            let data: Vec<u8> = u.arbitrary()?;
            let max = data.len() * 8;
            let len = if wild {
                u.int_in_range(0..=max + 64)?
            } else {
                u.int_in_range(max.saturating_sub(7)..=max)?
            };
            V::Bits(len, data)
        }
        Extract::Point => V::Point(
            f64::from_bits(u.arbitrary()?),
            f64::from_bits(u.arbitrary()?),
        ),
        Extract::Array => match &plan.element {
            Some(ep) if depth < 2 => {
                let n = u.int_in_range(0..=8)?;
                let items = (0..n)
                    .map(|_| value_for(u, ep, wild, depth + 1))
                    .collect::<Result<_>>()?;
                V::Array(Elems {
                    items,
                    nested: u.ratio(1, 8)?,
                })
            }
            _ => V::Null,
        },
        Extract::Nothing => V::Null,
    })
}

/// A timestamp: infinities, PostgreSQL's range edges, or anything when `wild`.
fn timestamp(u: &mut Unstructured, wild: bool) -> Result<i64> {
    if !wild && u.ratio(1, 8)? {
        return Ok(*u.choose(&[i64::MIN, i64::MAX])?);
    }
    edgy_i64(u, PG_MIN_TIMESTAMP, PG_END_TIMESTAMP - 1, wild)
}

/// Any variant at all: for a column of another kind, a mismatch the plugin never makes, which
/// must still give JSON (see [`write_json`]).
pub fn any_value(u: &mut Unstructured, wild: bool, depth: u32) -> Result<OwnedValue> {
    use OwnedValue as V;
    Ok(match u.int_in_range(0..=16)? {
        0 => V::Bool(u.arbitrary()?),
        1 => V::Int(u.arbitrary()?),
        2 => V::Float4(u.arbitrary()?),
        3 => V::Float8(u.arbitrary()?),
        4 => V::Numeric(numeric_bytes(u, wild)?),
        5 => V::Bytes(u.arbitrary()?),
        6 => V::Date(u.arbitrary()?),
        7 => V::Time(edgy_i64(u, 0, 86_400_000_000, wild)?),
        8 => V::TimeTz(
            edgy_i64(u, 0, 86_400_000_000, wild)?,
            u.int_in_range(-57_599..=57_599)?,
        ),
        9 => V::Timestamp(timestamp(u, wild)?),
        10 => V::TimestampTz(timestamp(u, wild)?),
        11 => V::Interval(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
        12 => V::Uuid(u.arbitrary()?),
        13 => {
            let data: Vec<u8> = u.arbitrary()?;
            V::Bits(data.len() * 8, data)
        }
        14 => V::Point(u.arbitrary()?, u.arbitrary()?),
        15 if depth < 2 => {
            let n = u.int_in_range(0..=4)?;
            let items = (0..n)
                .map(|_| any_value(u, wild, depth + 1))
                .collect::<Result<_>>()?;
            V::Array(Elems {
                items,
                nested: false,
            })
        }
        _ => V::Null,
    })
}

/// Writes `v` through `plan`; the result must be valid JSON.
pub fn write_json(plan: &ColumnPlan, v: &OwnedValue) -> Json {
    let mut o = Vec::new();
    cedar_cdc_core::plan::types::write_value(&mut o, plan, &v.get());
    json(&o)
}

/// Writes `v` through `plan` and checks the result: valid JSON conforming to the column's
/// schema (integer ranges too for values in PostgreSQL's domain).
pub fn write_checked(plan: &ColumnPlan, v: &OwnedValue, strict: bool) -> Json {
    let mut o = Vec::new();
    cedar_cdc_core::plan::types::write_value(&mut o, plan, &v.get());
    let j = json(&o);
    if let Err(e) = conforms(&plan.schema, &j, strict) {
        panic!(
            "{} does not conform to {} ({e}); value {v:?}, encoding {:?}",
            String::from_utf8_lossy(&o),
            plan.schema.to_json(None),
            plan.encoding
        );
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decoder() {
        assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
        assert_eq!(base64_decode("AQL/").unwrap(), [1, 2, 255]);
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("Zm9").is_none());
        assert!(base64_decode("Zg==Zg==").is_none());
    }

    #[test]
    fn hstore_text_like_hstore_out() {
        let p = vec![
            ("a\"b".to_string(), Some("c\\d".to_string())),
            ("e".into(), None),
        ];
        assert_eq!(hstore_text(&p), r#""a\"b"=>"c\\d", "e"=>NULL"#);
    }
}
