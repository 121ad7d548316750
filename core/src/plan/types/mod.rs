//! The mapping from PostgreSQL column types to Debezium's Connect schemas and JSON values.
//!
//! [`plan_column`] decides, once per column, the field schema, how the plugin extracts the
//! value from its Datum ([`Extract`]), how the value is written ([`Encoding`]), and what a
//! NULL, an unchanged TOAST value and the schema default look like. The plugin then hands
//! over each value as a [`Value`] and [`write_value`] writes it.

mod fallback;
pub mod jdbc;
mod map;

use std::fmt;

use crate::config::Config;
use crate::encode::decimal::Numeric;
use crate::encode::json;
use crate::plan::defaults;
use crate::plan::schema::Schema;

mod value;

pub use value::{write_binary, write_value};

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
    pub const POINT: u32 = 600;
    pub const CIDR: u32 = 650;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const MACADDR8: u32 = 774;
    pub const MONEY: u32 = 790;
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
    pub const BIT: u32 = 1560;
    pub const VARBIT: u32 = 1562;
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

/// A type as the plugin reads it from the catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PgType {
    /// OID of the type, or of its base type for a domain.
    pub oid: u32,
    /// `pg_type.typname` (of the base type for a domain), which identifies extension types.
    pub name: String,
    /// `typname` of the declared type (the domain's own name for a domain).
    pub declared_name: String,
    /// Schema of the type (for enum defaults).
    pub schema: String,
    /// The column's typmod, or the domain's.
    pub typmod: i32,
    /// The column's declared type is a domain (Debezium gives domains no default).
    pub is_domain: bool,
    /// A domain declared NOT NULL (pgjdbc reports such columns as not nullable).
    pub domain_not_null: bool,
    /// Labels in `enumsortorder` order, for an enum type.
    pub enum_labels: Option<Vec<String>>,
    /// The element type, for an array type.
    pub element: Option<Box<PgType>>,
}

impl PgType {
    /// A built-in scalar type.
    pub fn builtin(oid: u32, typmod: i32) -> Self {
        PgType {
            oid,
            typmod,
            ..PgType::default()
        }
    }
}

/// A column as the plugin reads it from the catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PgColumn {
    /// Attribute index in the tuple descriptor (attnum - 1).
    pub attr: usize,
    pub name: String,
    pub ty: PgType,
    pub not_null: bool,
    /// `pg_get_expr` text of the default, if any.
    pub default_expr: Option<String>,
}

/// What the plugin extracts from a Datum.
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
    /// `bit`/`varbit` storage.
    Bits,
    Point,
    /// The text of the type's output function.
    Text,
    /// The elements of an array, each extracted as the element plan says.
    Array,
    /// Nothing: the value is always written as null.
    Nothing,
}

/// The elements of an array value, read on demand.
pub trait Elements {
    /// Number of elements (of the first dimension, for a multi-dimensional array).
    fn len(&self) -> usize;
    /// Whether the array has more than one dimension: its elements are then arrays, which
    /// Debezium's element converters turn into nulls.
    fn nested(&self) -> bool {
        false
    }
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Element `i` (`Value::Null` for a NULL element).
    fn get(&self, i: usize) -> Value<'_>;
}

impl fmt::Debug for dyn Elements + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Elements({})", self.len())
    }
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
    /// A bit string: its length in bits and PostgreSQL's packed bytes (first bit = MSB).
    Bits(usize, &'a [u8]),
    Point(f64, f64),
    Array(&'a dyn Elements),
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
    /// `money` text parsed as Debezium's `PostgresMoney`, as a Decimal at
    /// `money.fraction.digits` rounded half up (precise mode)…
    Money {
        scale: u32,
    },
    /// …as its plain text (string mode; the scale is for the fallback)…
    MoneyString {
        scale: u32,
    },
    /// …or as a double.
    MoneyDouble,
    /// The bytes as a JSON string.
    String,
    /// Binary data per `binary.handling.mode`.
    Binary(crate::config::BinaryMode),
    /// `io.debezium.data.Bits`: little-endian bytes, always base64 (the schema is `bytes`).
    Bits,
    /// A geometric type Debezium does not know (`include.unknown.datatypes`): the text as
    /// pgjdbc's `PGbox`/`PGpolygon`/… re-renders it, per `binary.handling.mode`.
    Geometric(crate::config::BinaryMode),
    /// `bit(1)`: a boolean.
    BitBool,
    /// Days since 1970-01-01. `java_sql`: the value goes through `java.sql.Date` (array
    /// elements, and every value a snapshot reads), with its calendar and infinities.
    Date {
        java_sql: bool,
    },
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
    /// `interval.handling.mode=string`: `P…Y…M…DT…H…M…S`.
    IntervalString,
    Uuid,
    /// `io.debezium.data.geometry.Point`.
    Point,
    /// hstore as a JSON string (`hstore.handling.mode=json`).
    HstoreJson,
    /// hstore as a JSON object (`hstore.handling.mode=map`).
    HstoreMap,
    Array,
    /// Always null (`name` columns stream as null with pgoutput; a snapshot reads them).
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
    /// The element plan of an array.
    pub element: Option<Box<ColumnPlan>>,
    /// This plans an array element (Debezium converts those through pgjdbc's `java.sql`
    /// types, with their own rounding and calendar).
    pub in_array: bool,
    /// What a SQL NULL writes: the schema default (JsonConverter's `replace.null.with.default`),
    /// the converter's fallback for a NOT NULL column, or `null`.
    pub null_json: Vec<u8>,
    /// What an unchanged TOAST value writes (Debezium's per-type placeholder).
    pub toast_json: Vec<u8>,
    /// The PostgreSQL type, for column mappers and defaults.
    pub pg_type: PgType,
    /// A column mapper's value transformation (`column.truncate…`, `column.mask…`).
    pub mapping: Option<ValueMapping>,
}

/// How a column mapper changes values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueMapping {
    /// Keep the first N UTF-16 units of strings, or N bytes of binary values.
    Truncate(usize),
    /// Replace strings (and NULLs) with this many `*` (written in pieces, never held whole).
    Mask(usize),
    /// Replace strings with the hex digest, cut to the column length.
    Hash {
        algorithm: crate::config::mappers::HashAlgorithm,
        salt: Vec<u8>,
        v2: bool,
        max_len: Option<usize>,
    },
}

impl ColumnPlan {
    /// Applies a column mapper (`column.*` mapper options) to this value column: schema
    /// parameters and value transformation, as Debezium's `ColumnMapper`s do.
    pub fn apply_mapper(&mut self, m: &crate::config::mappers::Mapping) {
        use crate::config::mappers::Mapping;
        let t = &self.pg_type;
        // pgjdbc reports an array's length and scale from its element type.
        let base = t.element.as_ref().map_or(t.oid, |e| e.oid);
        let length = jdbc::length(base, t.typmod);
        // JDBC character types: text, varchar, bpchar, "char", name.
        let chars = t.element.is_none()
            && matches!(
                t.oid,
                oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::CHAR | oid::NAME
            );
        match m {
            Mapping::Truncate(n) => {
                if length < 0 || length as usize > *n {
                    self.schema
                        .parameters
                        .push(("truncateLength".into(), n.to_string()));
                    if matches!(self.encoding, Encoding::String | Encoding::Binary(_))
                        && t.element.is_none()
                    {
                        self.mapping = Some(ValueMapping::Truncate(*n));
                    }
                }
            }
            Mapping::Mask(n) => {
                self.schema
                    .parameters
                    .push(("masked".into(), "true".into()));
                if chars {
                    self.mapping = Some(ValueMapping::Mask(*n));
                }
            }
            Mapping::Hash {
                algorithm,
                salt,
                v2,
            } => {
                self.schema
                    .parameters
                    .push(("masked".into(), "true".into()));
                if chars {
                    self.mapping = Some(ValueMapping::Hash {
                        algorithm: *algorithm,
                        salt: salt.clone(),
                        v2: *v2,
                        max_len: (length > 0).then_some(length as usize),
                    });
                }
            }
            Mapping::Propagate => {
                let p = &mut self.schema.parameters;
                p.push((
                    "__debezium.source.column.type".into(),
                    t.declared_name.to_ascii_uppercase(),
                ));
                p.push(("__debezium.source.column.length".into(), length.to_string()));
                p.push((
                    "__debezium.source.column.scale".into(),
                    jdbc::scale(base, t.typmod).to_string(),
                ));
                p.push(("__debezium.source.column.name".into(), self.name.clone()));
            }
        }
    }
}

/// Plans a column; `None` when Debezium drops columns of this type.
pub fn plan_column(cfg: &Config, col: &PgColumn) -> Option<ColumnPlan> {
    let mut plan = map::plan(
        cfg,
        &col.ty,
        !(col.not_null || col.ty.domain_not_null),
        false,
    )?;
    plan.attr = col.attr;
    plan.name = col.name.clone();
    plan.key_json = json::key(&col.name).into_bytes();
    plan.toast_json = fallback::toast_placeholder(cfg, &plan);
    let default = col
        .default_expr
        .as_deref()
        .and_then(|e| default_json(cfg, &plan, e));
    plan.set_default(default);
    Some(plan)
}

/// The schema default of a column, as Debezium derives it from the `pg_get_expr` text.
fn default_json(cfg: &Config, plan: &ColumnPlan, expr: &str) -> Option<Vec<u8>> {
    if plan.pg_type.is_domain {
        return None;
    }
    let mapper = map::default_mapper(&plan.pg_type)?;
    let lit = defaults::parse(&mapper, expr)?;
    value::literal_json(cfg, plan, &lit)
}

impl ColumnPlan {
    /// Sets the schema default (JSON text) and recomputes what a NULL writes.
    pub fn set_default(&mut self, default_json: Option<Vec<u8>>) {
        self.schema.default = default_json.map(|d| String::from_utf8_lossy(&d).into_owned());
        self.null_json = if let Some(d) = &self.schema.default {
            d.as_bytes().to_vec()
        } else if !self.schema.optional {
            fallback::fallback_json(self)
        } else {
            b"null".to_vec()
        };
    }
}

#[cfg(test)]
mod tests;
