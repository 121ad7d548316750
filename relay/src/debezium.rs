//! `--debezium-config FILE`: a Debezium connector configuration (Kafka Connect JSON, Debezium
//! Server or plain properties) as the relay's settings.
//!
//! The plugin's part goes through the core's import (`cedar_cdc.from_debezium()` in SQL):
//! the same verdicts, options and errors. The relay takes on top what only a running
//! connector has: `heartbeat.*`, `snapshot.mode`, Kafka Connect's `topic.creation.default.*`,
//! Debezium Server's `debezium.sink.kafka.producer.*`, and the password.

use cedar_cdc_core::config::debezium_import::{conninfo_value, read, Import, Verdict};

use crate::args::SnapshotMode;

/// What a configuration sets; the command line's own flags win over it.
#[derive(Debug, Default, PartialEq)]
pub struct Preset {
    pub connect: String,
    pub slot: String,
    pub brokers: Option<String>,
    pub plugin_options: Vec<(String, String)>,
    pub kafka: Vec<(String, String)>,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i32>,
    pub snapshot: Option<SnapshotMode>,
    pub heartbeat_interval_ms: Option<u64>,
    pub heartbeat_action_query: Option<String>,
    /// One line per property the relay cannot honour (unknown or unsupported), to log.
    pub warnings: Vec<String>,
}

/// Properties the import leaves to a running connector, which the relay is.
const RELAY_PROPERTIES: [&str; 5] = [
    "heartbeat.interval.ms",
    "heartbeat.action.query",
    "snapshot.mode",
    "topic.creation.default.partitions",
    "topic.creation.default.replication.factor",
];

const PRODUCER: &str = "debezium.sink.kafka.producer.";

/// Reads a configuration's text.
pub fn preset(text: &str) -> Result<Preset, String> {
    let imp = Import::new(text).map_err(|e| e.to_string())?;
    let raw = read(text).map_err(|e| e.to_string())?;
    let server = raw.iter().any(|(k, _)| k.starts_with("debezium."));
    let connector = |k: &str| -> Option<String> {
        if server {
            k.strip_prefix("debezium.source.").map(str::to_string)
        } else {
            Some(k.to_string())
        }
    };
    let mut p = Preset {
        connect: imp.conninfo(),
        slot: imp.slot().to_string(),
        plugin_options: imp.options.clone(),
        ..Preset::default()
    };
    for (k, v) in &raw {
        if let Some(prop) = k.strip_prefix(PRODUCER) {
            match prop {
                "bootstrap.servers" => p.brokers = Some(v.clone()),
                // The relay sends bytes: serializers are the Java client's business.
                _ if prop.ends_with(".serializer") => {}
                _ => p.kafka.push((prop.to_string(), v.clone())),
            }
            continue;
        }
        let Some(name) = connector(k) else { continue };
        let number = |what: &str| -> Result<i64, String> {
            v.trim()
                .parse()
                .map_err(|_| format!("property \"{k}\": {what} expects a number, got \"{v}\""))
        };
        match name.as_str() {
            "database.password" if !v.is_empty() => {
                p.connect = format!("{} password={}", p.connect, conninfo_value(v));
            }
            "heartbeat.interval.ms" => {
                p.heartbeat_interval_ms = Some(number(&name)?.max(0) as u64);
            }
            "heartbeat.action.query" => p.heartbeat_action_query = Some(v.clone()),
            "snapshot.mode" => {
                p.snapshot = Some(
                    SnapshotMode::parse(v)
                        .map_err(|e| format!("property \"{k}\": {e} (the modes a relay runs)"))?,
                );
            }
            // Kafka Connect's -1 means the broker's default: leave the relay's.
            "topic.creation.default.partitions" => {
                p.partitions = Some(number(&name)?).filter(|n| *n > 0).map(|n| n as i32);
            }
            "topic.creation.default.replication.factor" => {
                p.replication_factor = Some(number(&name)?).filter(|n| *n > 0).map(|n| n as i32);
            }
            _ => {}
        }
    }
    if let Some((_, t)) = raw.iter().find(|(k, _)| k == "debezium.sink.type") {
        if t != "kafka" {
            p.warnings.push(format!(
                "property \"debezium.sink.type\" is {t}: the relay produces to Kafka (--brokers)"
            ));
        }
    }
    for prop in &imp.properties {
        let relays = connector(&prop.name).is_some_and(|n| RELAY_PROPERTIES.contains(&n.as_str()))
            || prop.name.starts_with("debezium.sink.");
        if relays {
            continue;
        }
        if matches!(prop.verdict, Verdict::Unknown | Verdict::Unsupported) {
            p.warnings.push(format!(
                "property \"{}\" ({}): {}",
                prop.name,
                prop.verdict.as_str(),
                prop.detail
            ));
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_connect_json() {
        let p = preset(
            r#"{"name": "inventory", "config": {
                "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
                "database.hostname": "db", "database.port": "5432", "database.user": "cdc",
                "database.password": "it's", "database.dbname": "app",
                "topic.prefix": "dbserver1", "slot.name": "cdc", "snapshot.mode": "initial",
                "heartbeat.interval.ms": "5000", "topic.creation.default.partitions": "6",
                "topic.creation.default.replication.factor": "-1",
                "table.include.list": "public.orders", "heartbeat.inverval.ms": "20"}}"#,
        )
        .unwrap();
        assert_eq!(
            p.connect,
            r"host=db port=5432 user=cdc dbname=app password='it\'s'"
        );
        assert_eq!(p.slot, "cdc");
        assert_eq!(p.snapshot, Some(SnapshotMode::Initial));
        assert_eq!(p.heartbeat_interval_ms, Some(5000));
        assert_eq!((p.partitions, p.replication_factor), (Some(6), None));
        assert_eq!(
            p.plugin_options,
            vec![
                ("topic.prefix".to_string(), "dbserver1".to_string()),
                (
                    "table.include.list".to_string(),
                    "public.orders".to_string()
                )
            ]
        );
        assert_eq!(p.brokers, None);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("did you mean \"heartbeat.interval.ms\""));
    }

    #[test]
    fn debezium_server_properties() {
        let p = preset(
            "debezium.sink.type=kafka\n\
             debezium.sink.kafka.producer.bootstrap.servers=k1:9092,k2:9092\n\
             debezium.sink.kafka.producer.key.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
             debezium.sink.kafka.producer.compression.type=zstd\n\
             debezium.source.connector.class=io.debezium.connector.postgresql.PostgresConnector\n\
             debezium.source.database.hostname=db\n\
             debezium.source.topic.prefix=srv\n\
             debezium.source.snapshot.mode=no_data\n",
        )
        .unwrap();
        assert_eq!(p.brokers.as_deref(), Some("k1:9092,k2:9092"));
        assert_eq!(p.kafka, vec![("compression.type".into(), "zstd".into())]);
        assert_eq!(p.snapshot, Some(SnapshotMode::NoData));
        assert_eq!(p.connect, "host=db");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn refuses_what_it_cannot_run() {
        let e = preset("topic.prefix=p\nsnapshot.mode=always\n").unwrap_err();
        assert!(e.contains("snapshot.mode"), "{e}");
        let e = preset("topic.prefix=p\nheartbeat.interval.ms=soon\n").unwrap_err();
        assert!(e.contains("heartbeat.interval.ms"), "{e}");
        assert!(preset("").is_err());
    }
}
