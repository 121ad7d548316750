//! PostgreSQL type → Connect schema, extraction and encoding (Debezium's
//! `PostgresValueConverter.schemaBuilder` with the connector's handling modes).

use super::{oid, ColumnPlan, Encoding, Extract, PgType};
use crate::config::{
    BinaryMode, Config, DecimalMode, HstoreMode, IntervalMode, ReadPath, TimePrecisionMode,
};
use crate::plan::defaults::Mapper;
use crate::plan::schema::{field, Schema, Type};

/// Plans a value of type `ty`; `in_array` plans an array element.
pub(super) fn plan(cfg: &Config, ty: &PgType, opt: bool, in_array: bool) -> Option<ColumnPlan> {
    let (extract, encoding, schema, element) = if let Some(elem) = &ty.element {
        let e = array_element(cfg, elem, ty.typmod)?;
        let schema = Schema::of(Type::Array(Box::new(e.schema.clone())), opt);
        (Extract::Array, Encoding::Array, schema, Some(Box::new(e)))
    } else {
        let (x, e, s) = scalar(cfg, ty, opt, in_array)?;
        (x, e, s, None)
    };
    Some(ColumnPlan {
        attr: 0,
        name: String::new(),
        key_json: Vec::new(),
        schema,
        extract,
        encoding,
        element,
        in_array,
        null_json: b"null".to_vec(),
        toast_json: b"null".to_vec(),
        pg_type: ty.clone(),
        mapping: None,
    })
}

/// Element plan of an array column: the element types Debezium handles, optional elements
/// (enum elements are not optional), with the column's typmod.
fn array_element(cfg: &Config, elem: &PgType, typmod: i32) -> Option<ColumnPlan> {
    let mut ty = elem.clone();
    ty.typmod = typmod;
    let supported = matches!(
        ty.oid,
        oid::INT2
            | oid::INT4
            | oid::INT8
            | oid::OID
            | oid::CHAR
            | oid::VARCHAR
            | oid::TEXT
            | oid::BPCHAR
            | oid::INET
            | oid::CIDR
            | oid::MACADDR
            | oid::MACADDR8
            | oid::TSRANGE
            | oid::TSTZRANGE
            | oid::DATERANGE
            | oid::INT4RANGE
            | oid::NUMRANGE
            | oid::INT8RANGE
            | oid::NUMERIC
            | oid::FLOAT4
            | oid::FLOAT8
            | oid::BOOL
            | oid::DATE
            | oid::UUID
            | oid::JSONB
            | oid::JSON
            | oid::TIME
            | oid::TIMETZ
            | oid::TIMESTAMP
            | oid::TIMESTAMPTZ
            | oid::BYTEA
    ) || matches!(ty.name.as_str(), "citext" | "ltree" | "hstore")
        || ty.enum_labels.is_some();
    if !supported || ty.is_domain {
        return None;
    }
    let opt = ty.enum_labels.is_none();
    let mut p = plan(cfg, &ty, opt, true)?;
    // Array elements of timestamptz keep the column's precision, of "char" are strings.
    if ty.oid == oid::CHAR {
        p.extract = Extract::Text;
    }
    Some(p)
}

fn scalar(
    cfg: &Config,
    ty: &PgType,
    opt: bool,
    in_array: bool,
) -> Option<(Extract, Encoding, Schema)> {
    use Encoding as E;
    use Extract as X;
    let plain = |t: Type| Schema::of(t, opt);
    let named = |t: Type, n: &str| Schema::named(t, opt, n, Some(1));
    if let Some(labels) = &ty.enum_labels {
        let s =
            named(Type::String, "io.debezium.data.Enum").with_param("allowed", &labels.join(","));
        return Some((X::Text, E::String, s));
    }
    let typmod = ty.typmod;
    let snapshot = cfg.read_path == ReadPath::Snapshot;
    let r = match ty.oid {
        oid::BOOL => (X::Bool, E::Boolean, plain(Type::Boolean)),
        oid::INT2 => (X::Int2, E::Integer, plain(Type::Int16)),
        oid::INT4 => (X::Int4, E::Integer, plain(Type::Int32)),
        oid::INT8 => (X::Int8, E::Integer, plain(Type::Int64)),
        oid::OID => (X::Oid, E::Integer, plain(Type::Int64)),
        oid::FLOAT4 => (X::Float4, E::Float32, plain(Type::Float)),
        oid::FLOAT8 => (X::Float8, E::Float64, plain(Type::Double)),
        oid::NUMERIC => {
            let (e, s) = numeric(cfg, typmod, opt);
            (X::Numeric, e, s)
        }
        oid::MONEY => {
            let d = cfg.money_fraction_digits;
            match cfg.decimal_mode {
                DecimalMode::Precise => (
                    X::Text,
                    E::Money { scale: d },
                    named(Type::Bytes, "org.apache.kafka.connect.data.Decimal")
                        .with_param("scale", &d.to_string()),
                ),
                DecimalMode::String => (X::Text, E::MoneyString { scale: d }, plain(Type::String)),
                DecimalMode::Double => (X::Text, E::MoneyDouble, plain(Type::Double)),
            }
        }
        oid::TEXT | oid::VARCHAR | oid::BPCHAR => (X::Varlena, E::String, plain(Type::String)),
        oid::XML => (
            X::Varlena,
            E::String,
            named(Type::String, "io.debezium.data.Xml"),
        ),
        oid::CHAR => (X::Text, E::String, plain(Type::String)),
        // pgoutput's `name` values reach no converter (null); a snapshot reads the string.
        oid::NAME if snapshot => (X::Text, E::String, plain(Type::String)),
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
        oid::UUID => (
            X::Uuid,
            E::Uuid,
            named(Type::String, "io.debezium.data.Uuid"),
        ),
        oid::DATE => match cfg.time_precision_mode {
            TimePrecisionMode::Connect => (
                X::Date,
                E::Date {
                    java_sql: in_array || snapshot,
                },
                named(Type::Int32, "org.apache.kafka.connect.data.Date"),
            ),
            _ => (
                X::Date,
                E::Date {
                    java_sql: in_array || snapshot,
                },
                named(Type::Int32, "io.debezium.time.Date"),
            ),
        },
        oid::TIME => {
            let p = if typmod < 0 { 6 } else { typmod };
            match cfg.time_precision_mode {
                TimePrecisionMode::Connect => (
                    X::Time,
                    E::TimeMillis,
                    named(Type::Int32, "org.apache.kafka.connect.data.Time"),
                ),
                TimePrecisionMode::Adaptive if p <= 3 => (
                    X::Time,
                    E::TimeMillis,
                    named(Type::Int32, "io.debezium.time.Time"),
                ),
                _ => (
                    X::Time,
                    E::TimeMicros,
                    named(Type::Int64, "io.debezium.time.MicroTime"),
                ),
            }
        }
        oid::TIMETZ => (
            X::TimeTz,
            E::ZonedTime,
            named(Type::String, "io.debezium.time.ZonedTime"),
        ),
        oid::TIMESTAMP => {
            let p = if typmod < 0 { 6 } else { typmod };
            match cfg.time_precision_mode {
                TimePrecisionMode::Connect => (
                    X::Timestamp,
                    E::TimestampMillis,
                    named(Type::Int64, "org.apache.kafka.connect.data.Timestamp"),
                ),
                _ if p <= 3 => (
                    X::Timestamp,
                    E::TimestampMillis,
                    named(Type::Int64, "io.debezium.time.Timestamp"),
                ),
                _ => (
                    X::Timestamp,
                    E::TimestampMicros,
                    named(Type::Int64, "io.debezium.time.MicroTimestamp"),
                ),
            }
        }
        oid::TIMESTAMPTZ => {
            let width = if typmod < 0 { 6 } else { typmod };
            (
                X::TimestampTz,
                E::ZonedTimestamp { width },
                named(Type::String, "io.debezium.time.ZonedTimestamp"),
            )
        }
        oid::INTERVAL => match cfg.interval_mode {
            IntervalMode::Numeric => (
                X::Interval,
                E::IntervalMicros,
                named(Type::Int64, "io.debezium.time.MicroDuration"),
            ),
            IntervalMode::String => (
                X::Interval,
                E::IntervalString,
                named(Type::String, "io.debezium.time.Interval"),
            ),
        },
        oid::BIT | oid::VARBIT => {
            // bit without a length is bit(1); varbit without one is unlimited.
            let len = match (ty.oid, typmod) {
                (oid::BIT, t) if t < 0 => 1,
                (_, t) if t < 0 => 2_147_483_647,
                (_, t) => t,
            };
            if len > 1 {
                let s = Schema::named(Type::Bytes, opt, "io.debezium.data.Bits", Some(1))
                    .with_param("length", &len.to_string());
                (X::Bits, E::Bits, s)
            } else {
                (X::Bits, E::BitBool, plain(Type::Boolean))
            }
        }
        oid::POINT => (
            X::Point,
            E::Point,
            Schema::named(
                Type::Struct(vec![
                    field("x", Schema::of(Type::Double, false)),
                    field("y", Schema::of(Type::Double, false)),
                    field("wkb", Schema::of(Type::Bytes, true)),
                    field("srid", Schema::of(Type::Int32, true)),
                ]),
                opt,
                "io.debezium.data.geometry.Point",
                Some(1),
            )
            .with_doc("Geometry (POINT)"),
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
        _ => match ty.name.as_str() {
            "citext" => (X::Varlena, E::String, plain(Type::String)),
            "ltree" => (
                X::Text,
                E::String,
                named(Type::String, "io.debezium.data.Ltree"),
            ),
            "isbn" | "isbn13" | "ismn" | "ismn13" | "issn" | "issn13" | "ean13" | "upc" => {
                (X::Text, E::String, plain(Type::String))
            }
            "hstore" => match cfg.hstore_mode {
                HstoreMode::Json => (
                    X::Text,
                    E::HstoreJson,
                    named(Type::String, "io.debezium.data.Json"),
                ),
                HstoreMode::Map => (
                    X::Text,
                    E::HstoreMap,
                    Schema::of(
                        Type::Map(
                            Box::new(Schema::of(Type::String, false)),
                            Box::new(Schema::of(Type::String, true)),
                        ),
                        opt,
                    ),
                ),
            },
            // include.unknown.datatypes: the value's text as bytes.
            "box" | "circle" | "line" | "lseg" | "path" | "polygon"
                if cfg.include_unknown_datatypes && !in_array =>
            {
                let (_, _, s) = binary(cfg, opt);
                (X::Text, E::Geometric(cfg.binary_mode), s)
            }
            _ if cfg.include_unknown_datatypes && !in_array => {
                let (_, e, s) = binary(cfg, opt);
                (X::Text, e, s)
            }
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
fn numeric(cfg: &Config, typmod: i32, opt: bool) -> (Encoding, Schema) {
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

/// Which of Debezium's default mappers a type has (`createDefaultValueMappers`).
pub(super) fn default_mapper(ty: &PgType) -> Option<Mapper> {
    if ty.element.is_some() {
        return None;
    }
    if ty.enum_labels.is_some() {
        return Some(Mapper::Enum(ty.name.clone(), ty.schema.clone()));
    }
    Some(match ty.oid {
        oid::BIT => Mapper::Bit,
        oid::VARBIT => Mapper::Varbit,
        oid::BOOL => Mapper::Bool,
        oid::BPCHAR | oid::VARCHAR | oid::TEXT | oid::XML => Mapper::Text,
        oid::JSON | oid::JSONB => Mapper::Json,
        oid::NUMERIC => Mapper::Numeric,
        oid::FLOAT4 => Mapper::Float4,
        oid::FLOAT8 => Mapper::Float8,
        oid::INT2 => Mapper::Int2,
        oid::INT4 => Mapper::Int4,
        oid::INT8 => Mapper::Int8,
        oid::UUID => Mapper::Uuid,
        oid::DATE => Mapper::Date,
        oid::TIME => Mapper::Time,
        oid::TIMESTAMP => Mapper::Timestamp,
        oid::TIMESTAMPTZ => Mapper::TimestampTz,
        oid::INTERVAL => Mapper::Interval,
        _ => return None,
    })
}
