//! The mapping from PostgreSQL column types to Debezium's Connect schemas and JSON values.
//!
//! [`plan_column`] decides, once per column, the field schema, how the plugin must extract the
//! value from its Datum ([`Extract`]) and how the value is written ([`Encoding`]). The plugin
//! then hands over each value as a [`Value`] and [`write_value`] writes it.

use crate::base64::{self, Alphabet};
use crate::decimal::{java_bytes_i128, Numeric, NumericKind};
use crate::javafmt;
use crate::json;
use crate::options::{BinaryMode, Config, DecimalMode};
use crate::out::Out;
use crate::schema::{field, Schema, Type};
use crate::temporal;

/// OIDs of the built-in types (stable across PostgreSQL versions: `pg_type.dat`).
pub mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const CHAR: u32 = 18;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const XML: u32 = 142;
    pub const CIDR: u32 = 650;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const MACADDR8: u32 = 774;
    pub const MACADDR: u32 = 829;
    pub const INET: u32 = 869;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const INTERVAL: u32 = 1186;
    pub const TIMETZ: u32 = 1266;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const TSVECTOR: u32 = 3614;
    pub const JSONB: u32 = 3802;
    pub const INT4RANGE: u32 = 3904;
    pub const NUMRANGE: u32 = 3906;
    pub const TSRANGE: u32 = 3908;
    pub const TSTZRANGE: u32 = 3910;
    pub const DATERANGE: u32 = 3912;
    pub const INT8RANGE: u32 = 3926;
}

/// A column as the plugin reads it from the catalog (domains already resolved to their base
/// type, with the domain's typmod when the column has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgColumn {
    /// Attribute index in the tuple descriptor (attnum - 1).
    pub attr: usize,
    pub name: String,
    pub type_oid: u32,
    /// `pg_type.typname` of the (base) type, which identifies extension types.
    pub type_name: String,
    pub typmod: i32,
    pub not_null: bool,
}

/// What the plugin extracts from a column's Datum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extract {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    /// The bytes of the (detoasted) varlena: text-like types stored as UTF-8 text, and bytea.
    Varlena,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    /// The text of the type's output function.
    Text,
    /// Nothing: the value is always written as null.
    Nothing,
}

/// A column value handed over by the plugin.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Null,
    /// An unchanged out-of-line TOAST value that is not in the WAL.
    UnchangedToast,
    Bool(bool),
    Int(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Numeric<'a>),
    /// Text (UTF-8) or binary bytes, depending on the column.
    Bytes(&'a [u8]),
    /// Days since 2000-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since midnight and the zone in seconds west of UTC.
    TimeTz(i64, i32),
    /// Microseconds since 2000-01-01 (local).
    Timestamp(i64),
    /// Microseconds since 2000-01-01 UTC.
    TimestampTz(i64),
    Interval {
        months: i32,
        days: i32,
        micros: i64,
    },
    Uuid([u8; 16]),
}

/// How a value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Boolean,
    Integer,
    Float32,
    Float64,
    /// Connect `Decimal` at a fixed scale (base64 of the unscaled two's complement).
    Decimal {
        scale: i32,
    },
    /// `io.debezium.data.VariableScaleDecimal` `{scale, value}`.
    VariableDecimal,
    /// `decimal.handling.mode=string`.
    DecimalString,
    /// `decimal.handling.mode=double`.
    DecimalDouble,
    /// The bytes as a JSON string.
    String,
    /// Binary data per `binary.handling.mode`.
    Binary(BinaryMode),
    /// Days since 1970-01-01.
    Date,
    /// Milliseconds past midnight.
    TimeMillis,
    /// Microseconds past midnight.
    TimeMicros,
    ZonedTime,
    TimestampMillis,
    TimestampMicros,
    ZonedTimestamp {
        width: i32,
    },
    IntervalMicros,
    Uuid,
    /// Always null (`name` columns stream as null with pgoutput).
    Null,
}

/// Everything needed to write one column, computed once per relation.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnPlan {
    /// Attribute index in the tuple descriptor.
    pub attr: usize,
    pub name: String,
    /// `"name":`, pre-escaped.
    pub key_json: Vec<u8>,
    /// The field schema (without the `field` member).
    pub schema: Schema,
    pub extract: Extract,
    pub encoding: Encoding,
    /// What a SQL NULL writes: the schema default (JsonConverter's `replace.null.with.default`),
    /// the converter's fallback for a NOT NULL column, or `null`.
    pub null_json: Vec<u8>,
    /// What an unchanged TOAST value writes (Debezium's per-type placeholder).
    pub toast_json: Vec<u8>,
}

/// Plans a column; `None` when Debezium drops columns of this type.
pub fn plan_column(cfg: &Config, col: &PgColumn) -> Option<ColumnPlan> {
    let opt = !col.not_null;
    let (extract, encoding, schema) = map_type(cfg, col, opt)?;
    let mut plan = ColumnPlan {
        attr: col.attr,
        name: col.name.clone(),
        key_json: json::key(&col.name).into_bytes(),
        schema,
        extract,
        encoding,
        null_json: Vec::new(),
        toast_json: Vec::new(),
    };
    plan.toast_json = toast_placeholder(cfg, &plan);
    plan.refresh_null_json();
    Some(plan)
}

fn map_type(cfg: &Config, col: &PgColumn, opt: bool) -> Option<(Extract, Encoding, Schema)> {
    use Encoding as E;
    use Extract as X;
    let plain = |t: Type| Schema::of(t, opt);
    let named = |t: Type, n: &str| Schema::named(t, opt, n, Some(1));
    let r = match col.type_oid {
        oid::BOOL => (X::Bool, E::Boolean, plain(Type::Boolean)),
        oid::INT2 => (X::Int2, E::Integer, plain(Type::Int16)),
        oid::INT4 => (X::Int4, E::Integer, plain(Type::Int32)),
        oid::INT8 => (X::Int8, E::Integer, plain(Type::Int64)),
        oid::OID => (X::Oid, E::Integer, plain(Type::Int64)),
        oid::FLOAT4 => (X::Float4, E::Float32, plain(Type::Float)),
        oid::FLOAT8 => (X::Float8, E::Float64, plain(Type::Double)),
        oid::NUMERIC => {
            let (e, s) = numeric_schema(cfg, col.typmod, opt);
            (X::Numeric, e, s)
        }
        oid::TEXT | oid::VARCHAR | oid::BPCHAR => (X::Varlena, E::String, plain(Type::String)),
        oid::CHAR => (X::Text, E::String, plain(Type::String)),
        oid::NAME => (X::Nothing, E::Null, plain(Type::String)),
        oid::BYTEA => binary(cfg, opt),
        oid::JSON => (
            X::Varlena,
            E::String,
            named(Type::String, "io.debezium.data.Json"),
        ),
        oid::JSONB => (
            X::Text,
            E::String,
            named(Type::String, "io.debezium.data.Json"),
        ),
        oid::XML => (
            X::Varlena,
            E::String,
            named(Type::String, "io.debezium.data.Xml"),
        ),
        oid::UUID => (
            X::Uuid,
            E::Uuid,
            named(Type::String, "io.debezium.data.Uuid"),
        ),
        oid::DATE => (
            X::Date,
            E::Date,
            named(Type::Int32, "io.debezium.time.Date"),
        ),
        oid::TIME => {
            if (0..=3).contains(&col.typmod) {
                (
                    X::Time,
                    E::TimeMillis,
                    named(Type::Int32, "io.debezium.time.Time"),
                )
            } else {
                (
                    X::Time,
                    E::TimeMicros,
                    named(Type::Int64, "io.debezium.time.MicroTime"),
                )
            }
        }
        oid::TIMETZ => (
            X::TimeTz,
            E::ZonedTime,
            named(Type::String, "io.debezium.time.ZonedTime"),
        ),
        oid::TIMESTAMP => {
            if (0..=3).contains(&col.typmod) {
                (
                    X::Timestamp,
                    E::TimestampMillis,
                    named(Type::Int64, "io.debezium.time.Timestamp"),
                )
            } else {
                (
                    X::Timestamp,
                    E::TimestampMicros,
                    named(Type::Int64, "io.debezium.time.MicroTimestamp"),
                )
            }
        }
        oid::TIMESTAMPTZ => {
            let width = if col.typmod < 0 { 6 } else { col.typmod };
            (
                X::TimestampTz,
                E::ZonedTimestamp { width },
                named(Type::String, "io.debezium.time.ZonedTimestamp"),
            )
        }
        oid::INTERVAL => (
            X::Interval,
            E::IntervalMicros,
            named(Type::Int64, "io.debezium.time.MicroDuration"),
        ),
        oid::INET
        | oid::CIDR
        | oid::MACADDR
        | oid::MACADDR8
        | oid::INT4RANGE
        | oid::INT8RANGE
        | oid::NUMRANGE
        | oid::DATERANGE
        | oid::TSRANGE
        | oid::TSTZRANGE => (X::Text, E::String, plain(Type::String)),
        oid::TSVECTOR => (
            X::Text,
            E::String,
            named(Type::String, "io.debezium.data.Tsvector"),
        ),
        _ => match col.type_name.as_str() {
            "citext" => (X::Varlena, E::String, plain(Type::String)),
            "ltree" => (
                X::Text,
                E::String,
                named(Type::String, "io.debezium.data.Ltree"),
            ),
            _ => return None,
        },
    };
    Some(r)
}

fn binary(cfg: &Config, opt: bool) -> (Extract, Encoding, Schema) {
    let ty = match cfg.binary_mode {
        BinaryMode::Bytes => Type::Bytes,
        _ => Type::String,
    };
    (
        Extract::Varlena,
        Encoding::Binary(cfg.binary_mode),
        Schema::of(ty, opt),
    )
}

/// `numeric(p,s)` → Connect Decimal; unconstrained → VariableScaleDecimal (precise mode).
fn numeric_schema(cfg: &Config, typmod: i32, opt: bool) -> (Encoding, Schema) {
    match cfg.decimal_mode {
        DecimalMode::String => (Encoding::DecimalString, Schema::of(Type::String, opt)),
        DecimalMode::Double => (Encoding::DecimalDouble, Schema::of(Type::Double, opt)),
        DecimalMode::Precise if typmod >= 4 => {
            let t = typmod - 4;
            let precision = (t >> 16) & 0xffff;
            // PostgreSQL 15+ allows negative scales: an 11-bit signed field.
            let scale = ((t & 0x7ff) ^ 1024) - 1024;
            let s = Schema::named(
                Type::Bytes,
                opt,
                "org.apache.kafka.connect.data.Decimal",
                Some(1),
            )
            .with_param("scale", &scale.to_string())
            .with_param("connect.decimal.precision", &precision.to_string());
            (Encoding::Decimal { scale }, s)
        }
        DecimalMode::Precise => (
            Encoding::VariableDecimal,
            Schema::named(
                Type::Struct(vec![
                    field("scale", Schema::of(Type::Int32, false)),
                    field("value", Schema::of(Type::Bytes, false)),
                ]),
                opt,
                "io.debezium.data.VariableScaleDecimal",
                Some(1),
            )
            .with_doc("Variable scaled decimal"),
        ),
    }
}

/// Debezium's placeholder for an unchanged TOAST value of this column's type
/// (`UnchangedToastedPlaceholder`): the placeholder text for string-like types, its bytes for
/// binary ones, and null where the converter cannot use it.
fn toast_placeholder(cfg: &Config, plan: &ColumnPlan) -> Vec<u8> {
    let ph = &cfg.unavailable_value_placeholder;
    let mut o = Vec::new();
    match plan.encoding {
        // Text columns get the placeholder as text (invalid UTF-8 replaced, as Java decodes).
        Encoding::String => json::write_str(&mut o, String::from_utf8_lossy(ph).as_bytes()),
        Encoding::Binary(mode) => write_binary(&mut o, ph, mode),
        _ => o.extend_from_slice(b"null"),
    }
    o
}

impl ColumnPlan {
    /// Sets the schema default (JSON text) and recomputes what a NULL writes.
    pub fn set_default(&mut self, default_json: Option<Vec<u8>>) {
        self.schema.default = default_json.map(|d| String::from_utf8_lossy(&d).into_owned());
        self.refresh_null_json();
    }

    fn refresh_null_json(&mut self) {
        self.null_json = if let Some(d) = &self.schema.default {
            d.as_bytes().to_vec()
        } else if !self.schema.optional && self.encoding != Encoding::Null {
            let mut o = Vec::new();
            write_value(&mut o, self, &self.fallback());
            o
        } else {
            b"null".to_vec()
        };
    }

    /// The value Debezium's converters use for a NULL in a NOT NULL column
    /// (`JdbcValueConverters` fallbacks: zero, empty, false, the epoch).
    pub fn fallback(&self) -> Value<'static> {
        zero_value(self.encoding)
    }

    /// The value Debezium substitutes for a default that is a function call
    /// (`nextval(…)`, `now()`, `CURRENT_TIMESTAMP`): the type's "zero".
    pub fn zero_default(&self) -> Option<Value<'static>> {
        match self.encoding {
            Encoding::Null | Encoding::VariableDecimal => None,
            e => Some(zero_value(e)),
        }
    }
}

static ZERO_NUMERIC: [u8; 0] = [];

fn zero_value(e: Encoding) -> Value<'static> {
    match e {
        Encoding::Boolean => Value::Bool(false),
        Encoding::Integer => Value::Int(0),
        Encoding::Float32 => Value::Float4(0.0),
        Encoding::Float64 => Value::Float8(0.0),
        Encoding::Decimal { .. }
        | Encoding::VariableDecimal
        | Encoding::DecimalString
        | Encoding::DecimalDouble => Value::Numeric(Numeric::finite(false, 0, 0, &ZERO_NUMERIC)),
        Encoding::String | Encoding::Binary(_) => Value::Bytes(b""),
        Encoding::Date => Value::Date(-(temporal::PG_EPOCH_DAYS as i32)),
        Encoding::TimeMillis | Encoding::TimeMicros => Value::Time(0),
        Encoding::ZonedTime => Value::TimeTz(0, 0),
        Encoding::TimestampMillis | Encoding::TimestampMicros => {
            Value::Timestamp(-temporal::PG_EPOCH_USECS)
        }
        Encoding::ZonedTimestamp { .. } => Value::TimestampTz(-temporal::PG_EPOCH_USECS),
        Encoding::IntervalMicros => Value::Interval {
            months: 0,
            days: 0,
            micros: 0,
        },
        Encoding::Uuid => Value::Uuid([0; 16]),
        Encoding::Null => Value::Null,
    }
}

/// Writes binary data per `binary.handling.mode`.
fn write_binary<O: Out + ?Sized>(o: &mut O, data: &[u8], mode: BinaryMode) {
    o.put_u8(b'"');
    match mode {
        BinaryMode::Bytes | BinaryMode::Base64 => base64::write(o, data, Alphabet::Standard),
        BinaryMode::Base64UrlSafe => base64::write(o, data, Alphabet::UrlSafe),
        BinaryMode::Hex => base64::write_hex(o, data),
    }
    o.put_u8(b'"');
}

fn write_special_float<O: Out + ?Sized>(o: &mut O, x: f64) -> bool {
    if x.is_nan() {
        o.put(b"\"NaN\"");
    } else if x == f64::INFINITY {
        o.put(b"\"Infinity\"");
    } else if x == f64::NEG_INFINITY {
        o.put(b"\"-Infinity\"");
    } else {
        return false;
    }
    true
}

fn write_decimal_bytes<O: Out + ?Sized>(o: &mut O, n: &Numeric<'_>, scale: i32) {
    o.put_u8(b'"');
    let mut buf = [0u8; 16];
    match n.unscaled_i128(scale) {
        Some(v) => base64::write(o, java_bytes_i128(v, &mut buf), Alphabet::Standard),
        None => {
            let mut bytes = Vec::new();
            n.unscaled(scale).to_java_bytes(&mut bytes);
            base64::write(o, &bytes, Alphabet::Standard);
        }
    }
    o.put_u8(b'"');
}

/// Writes one column value (a non-null, non-TOAST value; those are handled by the row writer
/// but are accepted here too).
pub fn write_value<O: Out + ?Sized>(o: &mut O, col: &ColumnPlan, v: &Value<'_>) {
    match (*v, col.encoding) {
        (Value::Null, _) | (_, Encoding::Null) => o.put(&col.null_json),
        (Value::UnchangedToast, _) => o.put(&col.toast_json),
        (Value::Bool(b), _) => o.put(if b { b"true" } else { b"false" }),
        (Value::Int(i), _) => o.put_int(i),
        (Value::Float4(f), _) => {
            if !write_special_float(o, f64::from(f)) {
                javafmt::write_f32(o, f);
            }
        }
        (Value::Float8(f), _) => {
            if !write_special_float(o, f) {
                javafmt::write_f64(o, f);
            }
        }
        (Value::Numeric(n), e) => write_numeric(o, col, &n, e),
        (Value::Bytes(b), Encoding::Binary(mode)) => write_binary(o, b, mode),
        (Value::Bytes(b), _) => json::write_str(o, b),
        (Value::Date(d), _) => o.put_int(temporal::epoch_days(d)),
        (Value::Time(us), Encoding::TimeMillis) => o.put_int(us / 1000),
        (Value::Time(us), _) => o.put_int(us),
        (Value::TimeTz(us, zone), _) => {
            o.put_u8(b'"');
            temporal::write_zoned_time(o, us, zone);
            o.put_u8(b'"');
        }
        (Value::Timestamp(us), Encoding::TimestampMillis) => o.put_int(temporal::epoch_millis(us)),
        (Value::Timestamp(us), _) => o.put_int(temporal::epoch_micros(us)),
        (Value::TimestampTz(us), e) => {
            let width = match e {
                Encoding::ZonedTimestamp { width } => width,
                _ => 6,
            };
            o.put_u8(b'"');
            temporal::write_zoned_timestamp(o, us, width);
            o.put_u8(b'"');
        }
        (
            Value::Interval {
                months,
                days,
                micros,
            },
            _,
        ) => o.put_int(temporal::interval_micros(months, days, micros)),
        (Value::Uuid(u), _) => write_uuid(o, &u),
    }
}

fn write_numeric<O: Out + ?Sized>(o: &mut O, col: &ColumnPlan, n: &Numeric<'_>, e: Encoding) {
    match e {
        Encoding::DecimalDouble => {
            let x = n.to_f64();
            if !write_special_float(o, x) {
                javafmt::write_f64(o, x);
            }
        }
        Encoding::DecimalString => match n.kind {
            NumericKind::NaN => o.put(b"\"NAN\""),
            NumericKind::PosInf => o.put(b"\"POSITIVE_INFINITY\""),
            NumericKind::NegInf => o.put(b"\"NEGATIVE_INFINITY\""),
            NumericKind::Finite => {
                o.put_u8(b'"');
                o.put(n.plain_string().as_bytes());
                o.put_u8(b'"');
            }
        },
        // A special value cannot be a Connect Decimal: Debezium's converter fails and its
        // default failure mode leaves the field null (then JsonConverter applies defaults).
        _ if n.kind != NumericKind::Finite => o.put(&col.null_json),
        Encoding::Decimal { scale } => write_decimal_bytes(o, n, scale),
        Encoding::VariableDecimal => {
            let (v, scale) = n.stripped();
            let mut bytes = Vec::new();
            v.to_java_bytes(&mut bytes);
            o.put(b"{\"scale\":");
            o.put_int(scale);
            o.put(b",\"value\":\"");
            base64::write(o, &bytes, Alphabet::Standard);
            o.put(b"\"}");
        }
        Encoding::Integer => o.put(n.plain_string().as_bytes()),
        _ => o.put(&col.null_json),
    }
}

fn write_uuid<O: Out + ?Sized>(o: &mut O, u: &[u8; 16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = [0u8; 38];
    s[0] = b'"';
    let mut j = 1;
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s[j] = b'-';
            j += 1;
        }
        s[j] = HEX[(b >> 4) as usize];
        s[j + 1] = HEX[(b & 15) as usize];
        j += 2;
    }
    s[37] = b'"';
    o.put(&s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::tests::num;

    fn col(name: &str, type_oid: u32, typmod: i32, not_null: bool) -> PgColumn {
        PgColumn {
            attr: 0,
            name: name.into(),
            type_oid,
            type_name: String::new(),
            typmod,
            not_null,
        }
    }

    fn cfg() -> Config {
        Config::defaults("db")
    }

    fn plan(oid: u32, typmod: i32) -> ColumnPlan {
        plan_column(&cfg(), &col("c", oid, typmod, false)).unwrap()
    }

    fn schema(oid: u32, typmod: i32) -> String {
        plan(oid, typmod).schema.to_json(Some("c"))
    }

    fn enc(p: &ColumnPlan, v: Value<'_>) -> String {
        let mut o = Vec::new();
        write_value(&mut o, p, &v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn schemas_match_the_reference_table() {
        assert_eq!(
            schema(oid::BOOL, -1),
            r#"{"type":"boolean","optional":true,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::INT2, -1),
            r#"{"type":"int16","optional":true,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::OID, -1),
            r#"{"type":"int64","optional":true,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::FLOAT4, -1),
            r#"{"type":"float","optional":true,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::NUMERIC, ((10 << 16) | 3) + 4),
            r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3","connect.decimal.precision":"10"},"field":"c"}"#
        );
        assert_eq!(
            schema(oid::NUMERIC, -1),
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"c"}"#
        );
        assert_eq!(
            schema(oid::DATE, -1),
            r#"{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::TIME, 3),
            r#"{"type":"int32","optional":true,"name":"io.debezium.time.Time","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::TIME, -1),
            r#"{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::TIMESTAMP, 0),
            r#"{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::TIMESTAMPTZ, -1),
            r#"{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::UUID, -1),
            r#"{"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::JSONB, -1),
            r#"{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c"}"#
        );
        assert_eq!(
            schema(oid::BYTEA, -1),
            r#"{"type":"bytes","optional":true,"field":"c"}"#
        );
        let nn = plan_column(&cfg(), &col("id", oid::INT4, -1, true)).unwrap();
        assert_eq!(
            nn.schema.to_json(Some("id")),
            r#"{"type":"int32","optional":false,"field":"id"}"#
        );
        assert!(
            plan_column(&cfg(), &col("c", 603, -1, false)).is_none(),
            "box is dropped"
        );
    }

    #[test]
    fn values_match_captured_debezium() {
        assert_eq!(enc(&plan(oid::FLOAT4, -1), Value::Float4(3.3)), "3.3");
        assert_eq!(
            enc(&plan(oid::FLOAT4, -1), Value::Float4(f32::NAN)),
            "\"NaN\""
        );
        assert_eq!(
            enc(&plan(oid::FLOAT8, -1), Value::Float8(f64::INFINITY)),
            "\"Infinity\""
        );
        assert_eq!(enc(&plan(oid::FLOAT8, -1), Value::Float8(1e-7)), "1.0E-7");
        let (b, neg, w, d) = num("1234567.891");
        let n = Value::Numeric(Numeric::finite(neg, w, d, &b));
        assert_eq!(
            enc(&plan(oid::NUMERIC, ((10 << 16) | 3) + 4), n),
            "\"SZYC0w==\""
        );
        let (b, neg, w, d) = num("10.1111");
        let n = Value::Numeric(Numeric::finite(neg, w, d, &b));
        assert_eq!(
            enc(&plan(oid::NUMERIC, -1), n),
            r#"{"scale":4,"value":"AYr3"}"#
        );
        assert_eq!(
            enc(
                &plan(oid::NUMERIC, ((10 << 16) | 3) + 4),
                Value::Numeric(Numeric::special(NumericKind::NaN))
            ),
            "null"
        );
        assert_eq!(
            enc(&plan(oid::BYTEA, -1), Value::Bytes(&[1, 2, 0xff])),
            "\"AQL/\""
        );
        assert_eq!(enc(&plan(oid::DATE, -1), Value::Date(6152)), "17109");
        let t = ((13 * 60 + 51) * 60 + 30) * 1_000_000 + 123_456;
        assert_eq!(enc(&plan(oid::TIME, -1), Value::Time(t)), "49890123456");
        assert_eq!(enc(&plan(oid::TIME, 3), Value::Time(t - 456)), "49890123");
        let u = [
            0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
            0x0a, 0x11,
        ];
        assert_eq!(
            enc(&plan(oid::UUID, -1), Value::Uuid(u)),
            "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\""
        );
    }

    #[test]
    fn null_handling() {
        let c = cfg();
        let p = plan_column(&c, &col("q", oid::INT4, -1, true)).unwrap();
        assert_eq!(p.null_json, b"0");
        let p = plan_column(&c, &col("n", oid::TEXT, -1, true)).unwrap();
        assert_eq!(p.null_json, b"\"\"");
        let mut p = plan_column(&c, &col("n", oid::TEXT, -1, false)).unwrap();
        assert_eq!(p.null_json, b"null");
        p.set_default(Some(b"\"dflt\"".to_vec()));
        assert_eq!(p.null_json, b"\"dflt\"");
        assert_eq!(
            p.schema.to_json(Some("n")),
            r#"{"type":"string","optional":true,"default":"dflt","field":"n"}"#
        );
        let p = plan_column(&c, &col("t", oid::TIMESTAMPTZ, -1, false)).unwrap();
        assert_eq!(
            enc(&p, p.zero_default().unwrap()),
            "\"1970-01-01T00:00:00.000000Z\""
        );
        assert_eq!(p.toast_json, b"null");
        let p = plan_column(&c, &col("t", oid::TEXT, -1, false)).unwrap();
        assert_eq!(p.toast_json, b"\"__debezium_unavailable_value\"");
        let p = plan_column(&c, &col("t", oid::BYTEA, -1, false)).unwrap();
        assert_eq!(
            p.toast_json,
            b"\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\""
        );
    }
}
