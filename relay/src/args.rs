//! The command line.

use std::time::Duration;

pub const USAGE: &str = "\
usage: cedar-cdc-relay --connect CONNINFO --slot NAME --brokers HOST:PORT[,HOST:PORT...]
                       [--debezium-config FILE]
                       [--create-slot] [-o name=value ...] [-X kafka.property=value ...]
                       [--topic-partitions N] [--topic-replication-factor N]
                       [--status-interval SECS] [--metrics-addr ADDR:PORT]
                       [--max-in-flight-bytes N] [--snapshot MODE] [--null-sink]

Streams a cedar_cdc logical replication slot into Kafka, at least once: the position
confirmed to PostgreSQL only passes transactions whose every record the broker acknowledged.

  --debezium-config FILE       a Debezium connector configuration (Kafka Connect JSON, Debezium
                               Server or properties): connection, slot, plugin options,
                               snapshot.mode, heartbeats, topic creation and Debezium Server's
                               kafka producer; the flags given here win over it
  --connect CONNINFO           libpq connection string (replication=database is added)
  --slot NAME                  logical replication slot (plugin cedar_cdc)
  --create-slot                create the slot first (an existing slot is used as it is)
  --brokers LIST               Kafka bootstrap servers
  -o name=value                plugin option (Debezium names: topic.prefix, schemas.enable, ...);
                               heartbeat.interval.ms and heartbeat.action.query are the relay's
  -X property=value            librdkafka producer property (linger.ms, batch.size, security.*;
                               compression.type is lz4 unless given)
  --topic-partitions N         partitions of the topics the relay creates (default 1)
  --topic-replication-factor N replication factor of those topics (default 1)
  --status-interval SECS       how often the position is reported and progress logged (default 10)
  --metrics-addr ADDR:PORT     serve Prometheus text metrics there
  --max-in-flight-bytes N      stop reading from PostgreSQL while this many bytes are
                               unacknowledged (default 16777216)
  --snapshot MODE              Debezium's snapshot.mode (also -o snapshot.mode=MODE):
                               no_data (default): stream only; initial: when the slot does
                               not exist, every existing row as op r records first, then the
                               stream from exactly that point (the slot is created once they
                               are all acknowledged); initial_only: the snapshot, then exit
  --null-sink                  benchmarking only: no broker; every record is discarded and
                               counted as acknowledged, so the slot moves past changes that
                               went nowhere (--brokers is not needed)

exit codes: 0 stopped by SIGTERM/SIGINT after flushing; 1 usage or option error;
2 PostgreSQL connection or authentication failed; 3 slot or plugin error (missing slot,
slot in use, plugin missing, options rejected); 4 Kafka broker unreachable, authentication
or topic creation failed; 5 a record was not acknowledged (delivery failure, flush timeout);
6 the replication stream failed (connection lost, unexpected message)";

/// Debezium's `snapshot.mode`, the values that apply to a relay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SnapshotMode {
    /// Stream only (Debezium's `no_data`, formerly `never`).
    NoData,
    /// Snapshot when the slot does not exist yet, then stream.
    Initial,
    /// Snapshot, then exit.
    InitialOnly,
}

impl SnapshotMode {
    pub fn parse(v: &str) -> Result<SnapshotMode, String> {
        match v {
            "no_data" | "never" => Ok(SnapshotMode::NoData),
            "initial" => Ok(SnapshotMode::Initial),
            "initial_only" => Ok(SnapshotMode::InitialOnly),
            _ => Err(format!(
                "snapshot.mode must be initial, initial_only or no_data, got \"{v}\""
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub connect: String,
    pub slot: String,
    pub brokers: String,
    pub create_slot: bool,
    /// Discard records instead of producing them (benchmarks: the relay's own cost).
    pub null_sink: bool,
    pub snapshot: SnapshotMode,
    /// What `--debezium-config` could not honour, logged at start.
    pub config_warnings: Vec<String>,
    /// Options for the plugin, in order (`output.format=framed` is added).
    pub plugin_options: Vec<(String, String)>,
    pub kafka: Vec<(String, String)>,
    pub partitions: i32,
    pub replication_factor: i32,
    pub status_interval: Duration,
    pub metrics_addr: Option<String>,
    pub max_in_flight_bytes: u64,
    pub heartbeat_interval: Option<Duration>,
    pub heartbeat_action_query: Option<String>,
    /// The prefix the plugin turns into heartbeat records (`heartbeat.message.prefix`).
    pub heartbeat_prefix: String,
}

/// Producer defaults that `-X` may change. JSON with schemas compresses about tenfold, and a
/// broker's work is per byte: lz4 made the relay into tansu 1.6x faster, its own CPU lower.
const DEFAULTS: [(&str, &str); 1] = [("compression.type", "lz4")];

/// Librdkafka properties that would weaken the delivery guarantee.
const FIXED: [(&str, &str); 3] = [
    ("acks", "all"),
    ("enable.idempotence", "true"),
    ("partitioner", "murmur2_random"),
];

fn pair(s: &str, flag: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{flag} expects name=value, got \"{s}\"")),
    }
}

fn number<T: std::str::FromStr>(v: &str, flag: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag} expects a number, got \"{v}\""))
}

pub fn parse(argv: &[String]) -> Result<Args, String> {
    let mut a = Args {
        connect: String::new(),
        slot: String::new(),
        brokers: String::new(),
        create_slot: false,
        null_sink: false,
        snapshot: SnapshotMode::NoData,
        config_warnings: Vec::new(),
        plugin_options: Vec::new(),
        kafka: Vec::new(),
        partitions: 1,
        replication_factor: 1,
        status_interval: Duration::from_secs(10),
        metrics_addr: None,
        max_in_flight_bytes: 16 << 20,
        heartbeat_interval: None,
        heartbeat_action_query: None,
        heartbeat_prefix: "__debezium-heartbeat".into(),
    };
    let mut cli_options: Vec<(String, String)> = Vec::new();
    let mut preset_options: Vec<(String, String)> = Vec::new();
    // The configuration first, so that every flag given beside it overrides it.
    if let Some(i) = argv.iter().position(|f| f == "--debezium-config") {
        let file = argv.get(i + 1).ok_or("--debezium-config needs a value")?;
        let text =
            std::fs::read_to_string(file).map_err(|e| format!("--debezium-config {file}: {e}"))?;
        let p =
            crate::debezium::preset(&text).map_err(|e| format!("--debezium-config {file}: {e}"))?;
        a.connect = p.connect;
        a.slot = p.slot;
        a.brokers = p.brokers.unwrap_or_default();
        preset_options = p.plugin_options;
        for (k, v) in p.kafka {
            check_kafka(&k, &v)?;
            a.kafka.push((k, v));
        }
        a.partitions = p.partitions.unwrap_or(a.partitions);
        a.replication_factor = p.replication_factor.unwrap_or(a.replication_factor);
        a.snapshot = p.snapshot.unwrap_or(a.snapshot);
        a.heartbeat_interval = p
            .heartbeat_interval_ms
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        a.heartbeat_action_query = p.heartbeat_action_query;
        a.config_warnings = p.warnings;
    }
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let flag = flag.as_str();
        if flag == "--create-slot" {
            a.create_slot = true;
            continue;
        }
        if flag == "--null-sink" {
            a.null_sink = true;
            continue;
        }
        let v = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .as_str();
        match flag {
            "--debezium-config" => {}
            "--connect" => a.connect = v.into(),
            "--slot" => a.slot = v.into(),
            "--brokers" => a.brokers = v.into(),
            "-o" => {
                let (k, val) = pair(v, "-o")?;
                match k.as_str() {
                    "heartbeat.interval.ms" => {
                        let ms: u64 = number(&val, "heartbeat.interval.ms")?;
                        a.heartbeat_interval = (ms > 0).then(|| Duration::from_millis(ms));
                    }
                    "heartbeat.action.query" => a.heartbeat_action_query = Some(val),
                    "snapshot.mode" => a.snapshot = SnapshotMode::parse(&val)?,
                    "output.format" if val != "framed" => {
                        return Err(format!(
                            "option \"output.format\" must be framed for the relay, got \"{val}\""
                        ))
                    }
                    "output.format" => {}
                    _ => cli_options.push((k, val)),
                }
            }
            "-X" => {
                let (k, val) = pair(v, "-X")?;
                check_kafka(&k, &val)?;
                if k == "bootstrap.servers" {
                    return Err("give the brokers with --brokers".into());
                }
                a.kafka.push((k, val));
            }
            "--topic-partitions" => a.partitions = number(v, flag)?,
            "--topic-replication-factor" => a.replication_factor = number(v, flag)?,
            "--status-interval" => {
                let s: f64 = number(v, flag)?;
                if !(s > 0.0 && s.is_finite()) {
                    return Err(format!("{flag} must be positive"));
                }
                a.status_interval = Duration::from_secs_f64(s);
            }
            "--metrics-addr" => a.metrics_addr = Some(v.into()),
            "--snapshot" => a.snapshot = SnapshotMode::parse(v)?,
            "--max-in-flight-bytes" => a.max_in_flight_bytes = number(v, flag)?,
            _ => return Err(format!("unknown argument \"{flag}\"")),
        }
    }
    // An -o option replaces the configuration's of the same name.
    preset_options.retain(|(k, _)| !cli_options.iter().any(|(c, _)| c == k));
    a.plugin_options = preset_options;
    a.plugin_options.extend(cli_options);
    if let Some((_, p)) = a
        .plugin_options
        .iter()
        .rev()
        .find(|(k, _)| k == "heartbeat.message.prefix")
    {
        a.heartbeat_prefix = p.clone();
    }
    for (name, v) in [
        ("--connect", &a.connect),
        ("--slot", &a.slot),
        ("--brokers", &a.brokers),
    ] {
        // A configuration without database.* leaves the connection to libpq's PG* defaults.
        let from_config = name == "--connect" && argv.iter().any(|f| f == "--debezium-config");
        if v.is_empty() && !(a.null_sink && name == "--brokers") && !from_config {
            return Err(format!("{name} is required"));
        }
    }
    if a.partitions < 1 || a.replication_factor < 1 {
        return Err("--topic-partitions and --topic-replication-factor must be at least 1".into());
    }
    if a.heartbeat_action_query.is_some() && a.heartbeat_interval.is_none() {
        return Err("heartbeat.action.query needs heartbeat.interval.ms".into());
    }
    Ok(a)
}

/// An error for a producer property that would weaken the delivery guarantee.
fn check_kafka(k: &str, val: &str) -> Result<(), String> {
    match FIXED.iter().find(|(n, _)| *n == k) {
        Some((_, want)) if val != *want => Err(format!(
            "-X {k}={val}: the relay needs {k}={want} for at-least-once delivery"
        )),
        _ => Ok(()),
    }
}

/// The producer configuration: the fixed guarantees, then the user's properties.
pub fn producer_config(a: &Args) -> Vec<(String, String)> {
    let mut c: Vec<(String, String)> = vec![("bootstrap.servers".into(), a.brokers.clone())];
    c.extend(FIXED.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    for (k, v) in DEFAULTS {
        if !a.kafka.iter().any(|(n, _)| n == k) {
            c.push((k.to_string(), v.to_string()));
        }
    }
    c.extend(a.kafka.iter().cloned());
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Result<Args, String> {
        parse(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_cli() {
        let a = args(&[
            "--connect",
            "dbname=x",
            "--slot",
            "s",
            "--brokers",
            "b:1",
            "--create-slot",
            "-o",
            "topic.prefix=db",
            "-o",
            "heartbeat.interval.ms=500",
            "-X",
            "linger.ms=5",
            "--status-interval",
            "0.5",
            "--max-in-flight-bytes",
            "100",
        ])
        .unwrap();
        assert!(a.create_slot);
        assert_eq!(a.plugin_options, vec![("topic.prefix".into(), "db".into())]);
        assert_eq!(a.heartbeat_interval, Some(Duration::from_millis(500)));
        assert_eq!(a.status_interval, Duration::from_millis(500));
        assert_eq!(a.max_in_flight_bytes, 100);
        let c = producer_config(&a);
        assert!(c.contains(&("acks".into(), "all".into())));
        assert!(c.contains(&("partitioner".into(), "murmur2_random".into())));
        assert_eq!(c.last(), Some(&("linger.ms".into(), "5".into())));
        assert!(c.contains(&("compression.type".into(), "lz4".into())));
        let mut none = a.clone();
        none.kafka.push(("compression.type".into(), "none".into()));
        let c = producer_config(&none);
        assert_eq!(
            c.iter().filter(|(k, _)| k == "compression.type").count(),
            1,
            "{c:?}"
        );
    }

    #[test]
    fn rejects_what_would_weaken_delivery_or_is_malformed() {
        let base = ["--connect", "x", "--slot", "s", "--brokers", "b"];
        let with = |extra: &[&str]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            args(&v)
        };
        assert!(with(&["-X", "acks=1"]).unwrap_err().contains("acks=all"));
        assert!(with(&["-X", "enable.idempotence=false"]).is_err());
        assert!(with(&["-o", "output.format=record"])
            .unwrap_err()
            .contains("framed"));
        assert!(with(&["-o", "noequals"]).is_err());
        assert!(with(&["--topic-partitions", "0"]).is_err());
        assert!(with(&["--bogus", "1"]).unwrap_err().contains("--bogus"));
        assert!(with(&["-o", "heartbeat.action.query=select 1"]).is_err());
        assert!(args(&["--slot", "s"]).unwrap_err().contains("--connect"));
        assert!(with(&["-o", "output.format=framed"]).is_ok());
        assert_eq!(
            with(&["--snapshot", "initial"]).unwrap().snapshot,
            SnapshotMode::Initial
        );
        assert_eq!(
            with(&["-o", "snapshot.mode=initial_only"])
                .unwrap()
                .snapshot,
            SnapshotMode::InitialOnly
        );
        assert_eq!(
            with(&["-o", "snapshot.mode=never"]).unwrap().snapshot,
            SnapshotMode::NoData
        );
        assert!(with(&["--snapshot", "always"])
            .unwrap_err()
            .contains("snapshot.mode"));
        let dir = std::env::temp_dir().join(format!("relay-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.properties");
        std::fs::write(
            &file,
            "database.hostname=db\nslot.name=cfg\ntopic.prefix=p\nschemas.enable=false\n\
             snapshot.mode=initial\nheartbeat.interval.ms=1000\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let c = args(&[
            "--debezium-config",
            f,
            "--brokers",
            "b",
            "-o",
            "topic.prefix=q",
        ])
        .unwrap();
        assert_eq!((c.connect.as_str(), c.slot.as_str()), ("host=db", "cfg"));
        assert_eq!(
            c.plugin_options,
            vec![
                ("schemas.enable".to_string(), "false".to_string()),
                ("topic.prefix".to_string(), "q".to_string())
            ]
        );
        assert_eq!(c.snapshot, SnapshotMode::Initial);
        assert_eq!(c.heartbeat_interval, Some(Duration::from_secs(1)));
        assert!(args(&["--debezium-config", f])
            .unwrap_err()
            .contains("--brokers"));
        let over = args(&["--debezium-config", f, "--brokers", "b", "--slot", "mine"]).unwrap();
        assert_eq!(over.slot, "mine");
        std::fs::write(&file, "topic.prefix=p\n").unwrap();
        // Debezium's default slot name.
        assert_eq!(
            args(&["--debezium-config", f, "--brokers", "b"])
                .unwrap()
                .slot,
            "debezium"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            args(&["--debezium-config", "/no/such/file", "--brokers", "b"])
                .unwrap_err()
                .contains("/no/such/file")
        );
        let null = args(&["--connect", "x", "--slot", "s", "--null-sink"]).unwrap();
        assert!(null.null_sink && null.brokers.is_empty());
    }
}
