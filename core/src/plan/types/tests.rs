use super::*;
use crate::config::Config;
use crate::encode::decimal::tests::num;
use crate::encode::decimal::{Numeric, NumericKind};

fn col(name: &str, type_oid: u32, typmod: i32, not_null: bool) -> PgColumn {
    PgColumn {
        attr: 0,
        name: name.into(),
        ty: PgType::builtin(type_oid, typmod),
        not_null,
        default_expr: None,
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
        0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a,
        0x11,
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
    let mut tcol = col("t", oid::TIMESTAMPTZ, -1, false);
    tcol.default_expr = Some("now()".into());
    let p = plan_column(&c, &tcol).unwrap();
    assert_eq!(p.null_json, b"\"1970-01-01T00:00:00.000000Z\"");
    assert_eq!(p.toast_json, b"null");
    tcol.not_null = true;
    tcol.default_expr = None;
    let p = plan_column(&c, &tcol).unwrap();
    assert_eq!(
        p.null_json, b"\"1970-01-01T00:00:00Z\"",
        "fallback has no fraction"
    );
    let p = plan_column(&c, &col("t", oid::TEXT, -1, false)).unwrap();
    assert_eq!(p.toast_json, b"\"__debezium_unavailable_value\"");
    let p = plan_column(&c, &col("t", oid::BYTEA, -1, false)).unwrap();
    assert_eq!(
        p.toast_json,
        b"\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\""
    );
}

#[test]
fn defaults_like_debezium() {
    let c = Config::defaults("db");
    let with = |oid: u32, typmod: i32, expr: &str| {
        let mut k = col("d", oid, typmod, false);
        k.default_expr = Some(expr.into());
        plan_column(&c, &k).unwrap().schema.default
    };
    let n10_2 = ((10 << 16) | 2) + 4;
    assert_eq!(
        with(oid::NUMERIC, n10_2, "0.00").as_deref(),
        Some("\"AA==\"")
    );
    assert_eq!(
        with(oid::NUMERIC, ((5 << 16) | 1) + 4, "'-1.5'::numeric").as_deref(),
        Some("\"8Q==\"")
    );
    assert_eq!(
        with(oid::NUMERIC, ((12 << 16) | 2) + 4, "1.5e3").as_deref(),
        Some("\"Aknw\"")
    );
    assert_eq!(with(oid::NUMERIC, ((5 << 16) | 2) + 4, "1.234"), None);
    assert_eq!(with(oid::NUMERIC, -1, "42"), None);
    assert_eq!(
        with(oid::TEXT, -1, "('a'::text || 'b'::text)").as_deref(),
        Some("\"a\"")
    );
    assert_eq!(
        with(oid::BPCHAR, 7, "'x'::bpchar").as_deref(),
        Some("\"x\"")
    );
    assert_eq!(with(oid::INT4, -1, "(1 + 2)"), None);
    assert_eq!(with(oid::FLOAT4, -1, "0.00001").as_deref(), Some("1.0E-5"));
    assert_eq!(
        with(oid::FLOAT8, -1, "'-25000000000'::numeric").as_deref(),
        Some("-2.5E10")
    );
    assert_eq!(
        with(oid::FLOAT4, -1, "'NaN'::real").as_deref(),
        Some("\"NaN\"")
    );
    assert_eq!(
        with(oid::DATE, -1, "'infinity'::date").as_deref(),
        Some("169560311")
    );
    assert_eq!(
        with(
            oid::TIMESTAMP,
            -1,
            "'infinity'::timestamp without time zone"
        )
        .as_deref(),
        Some("-9223372036853775810")
    );
    assert_eq!(
        with(
            oid::TIMESTAMP,
            -1,
            "'2020-01-01 10:00:00'::timestamp without time zone"
        )
        .as_deref(),
        Some("1577872800000000")
    );
    assert_eq!(
        with(
            oid::TIMESTAMP,
            3,
            "'2020-01-01 10:00:00.1236'::timestamp without time zone"
        )
        .as_deref(),
        Some("1577872800123")
    );
    assert_eq!(
        with(
            oid::TIMESTAMPTZ,
            0,
            "'2020-01-01 10:00:00.6+00'::timestamp with time zone"
        )
        .as_deref(),
        Some("\"2020-01-01T10:00:00.6Z\"")
    );
    assert_eq!(
        with(
            oid::TIMESTAMPTZ,
            3,
            "'2020-01-01 10:00:00.1236+00'::timestamp with time zone"
        )
        .as_deref(),
        Some("\"2020-01-01T10:00:00.123Z\"")
    );
    assert_eq!(
        with(oid::TIMESTAMPTZ, -1, "'infinity'::timestamp with time zone"),
        None
    );
    assert_eq!(
        with(oid::TIME, 0, "'10:00:00.6'::time without time zone").as_deref(),
        Some("36000600")
    );
    assert_eq!(
        with(
            oid::INTERVAL,
            -1,
            "'-1 years +2 mons -3 days +04:05:06.789'::interval"
        )
        .as_deref(),
        Some("-26542493211000")
    );
    assert_eq!(
        with(oid::BIT, 4, "'0000'::\"bit\"").as_deref(),
        Some("\"\"")
    );
    assert_eq!(with(oid::BIT, 1, "'1'::\"bit\"").as_deref(), Some("true"));
    assert_eq!(
        with(oid::UUID, -1, "gen_random_uuid()").as_deref(),
        Some("\"00000000-0000-0000-0000-000000000000\"")
    );
    assert_eq!(with(oid::BYTEA, -1, "'\\x00'::bytea"), None);
    assert_eq!(with(oid::TIMETZ, -1, "CURRENT_TIME"), None);
    let mut k = col("d", oid::INT4, -1, false);
    k.ty.is_domain = true;
    k.default_expr = Some("5".into());
    assert_eq!(
        plan_column(&c, &k).unwrap().schema.default,
        None,
        "domains have no default"
    );
}

#[test]
fn snapshot_reads_differ_from_the_stream() {
    let mut snap = cfg();
    snap.read_path = crate::config::ReadPath::Snapshot;
    let p = |c: &Config, oid| plan_column(c, &col("c", oid, -1, false)).unwrap();
    // pgoutput's `name` values reach no converter; a snapshot's SELECT reads them (captured).
    assert_eq!(enc(&p(&cfg(), oid::NAME), Value::Bytes(b"nm")), "null");
    assert_eq!(p(&snap, oid::NAME).extract, Extract::Text);
    assert_eq!(enc(&p(&snap, oid::NAME), Value::Bytes(b"nm")), r#""nm""#);
    // Dates go through java.sql.Date in a snapshot: its infinities (captured), its calendar.
    assert_eq!(
        enc(&p(&cfg(), oid::DATE), Value::Date(i32::MAX)),
        "-2147472692"
    );
    assert_eq!(
        enc(&p(&snap, oid::DATE), Value::Date(i32::MAX)),
        "-622191234"
    );
    assert_eq!(
        enc(&p(&snap, oid::DATE), Value::Date(i32::MIN)),
        "-625821272"
    );
    assert_eq!(enc(&p(&snap, oid::DATE), Value::Date(6152)), "17109");
    // The schema is the same either way.
    assert_eq!(p(&snap, oid::NAME).schema, p(&cfg(), oid::NAME).schema);
    assert_eq!(p(&snap, oid::DATE).schema, p(&cfg(), oid::DATE).schema);
}

/// Fuzzing found it (arrays): a `timetz[]` element no timetz can hold overflowed while its
/// fraction was cut. Out-of-domain values give some time of day, never a panic.
#[test]
fn out_of_domain_times_do_not_panic() {
    let elem = PgType::builtin(oid::TIMETZ, -1);
    let ty = PgType {
        oid: 1270,
        element: Some(Box::new(elem)),
        ..PgType::default()
    };
    let c = PgColumn {
        name: "a".into(),
        ty,
        ..PgColumn::default()
    };
    let p = plan_column(&cfg(), &c).unwrap();
    let ep = p.element.as_ref().unwrap();
    for t in [i64::MIN, i64::MAX, i64::MIN + 999_999] {
        let s = enc(ep, Value::TimeTz(t, -57_599));
        let b = s.as_bytes();
        assert!(
            b.len() >= 11 && b[3] == b':' && b[6] == b':' && s.ends_with("Z\""),
            "{s}"
        );
    }
    assert_eq!(enc(ep, Value::TimeTz(3_723_000_456, 0)), "\"01:02:03Z\"");
}

/// Masks are written in pieces from their length (a mask of 10^18 characters was built whole
/// per column and aborted the backend).
#[test]
fn masks_are_written_from_their_length() {
    use crate::config::mappers::Mapping;
    let mut p = plan(oid::TEXT, -1);
    p.apply_mapper(&Mapping::Mask(130));
    assert_eq!(p.mapping, Some(ValueMapping::Mask(130)));
    assert_eq!(
        enc(&p, Value::Bytes(b"secret")),
        format!("\"{}\"", "*".repeat(130))
    );
    assert_eq!(enc(&p, Value::Null), format!("\"{}\"", "*".repeat(130)));
    p.apply_mapper(&Mapping::Mask(0));
    assert_eq!(enc(&p, Value::Bytes(b"secret")), "\"\"");
}
