//! `cedar-cdc-relay`: streams a cedar_cdc slot (`output.format=framed`) into Kafka, at least
//! once. See relay/README.md for the CLI, the framing, the exit codes and the guarantees.
//!
//! One thread reads the replication stream and produces; librdkafka's threads deliver and
//! call back with acknowledgements, which the [`tracker`] turns into the flush position.
// libpq is C: its calls live in `pg` alone, each unsafe block with a SAFETY line.
#![allow(unsafe_code)]

mod args;
mod debezium;
mod metrics;
mod pg;
mod protocol;
mod snapshot;
mod tracker;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cedar_cdc_core::encode::frame::{self, Frame};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

use args::SnapshotMode;
use protocol::{lsn, ServerMsg};
use tracker::Tracker;

/// How long the broker has to answer at start, and to create a topic.
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long SIGTERM waits for the in-flight records.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// A fatal condition: its message and the exit code.
struct Fatal(i32, String);

fn fatal<E: std::fmt::Display>(code: i32, what: &str) -> impl FnOnce(E) -> Fatal + '_ {
    move |e| Fatal(code, format!("{what}: {e}"))
}

fn log(msg: &str) {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    eprintln!(
        "{}.{:03} cedar-cdc-relay: {msg}",
        t.as_secs(),
        t.subsec_millis()
    );
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// What the delivery callbacks share with the reading thread.
#[derive(Default)]
struct Shared {
    tracker: Mutex<Tracker>,
    /// The first delivery failure.
    failed: Mutex<Option<String>>,
    /// The first authentication failure librdkafka reported: fatal, never retried.
    auth_failed: Mutex<Option<String>>,
}

impl Shared {
    /// The first record not delivered, as a fatal error (exit code 5).
    fn delivery_error(&self) -> Option<Fatal> {
        let msg = self.failed.lock().ok()?.clone()?;
        Some(Fatal(5, msg))
    }

    /// What stops the relay from the producer's side: a record not delivered (5), else an
    /// authentication failure (4).
    fn failure(&self) -> Option<Fatal> {
        self.delivery_error().or_else(|| {
            let msg = self.auth_failed.lock().ok()?.clone()?;
            Some(Fatal(4, format!("kafka authentication failed: {msg}")))
        })
    }
}

struct Ctx(Arc<Shared>);

impl ClientContext for Ctx {
    fn error(&self, error: KafkaError, reason: &str) {
        log(&format!("kafka: {error}: {reason}"));
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            if let Ok(mut a) = self.0.auth_failed.lock() {
                a.get_or_insert_with(|| reason.to_string());
            }
        }
    }
}

impl ProducerContext for Ctx {
    /// (unit id, bytes) of the record.
    type DeliveryOpaque = Box<(u64, u64)>;

    fn delivery(&self, r: &DeliveryResult<'_>, op: Self::DeliveryOpaque) {
        match r {
            Ok(_) => {
                if let Ok(mut t) = self.0.tracker.lock() {
                    t.acked(op.0, op.1);
                }
            }
            Err((e, m)) => {
                use rdkafka::message::Message;
                if let Ok(mut f) = self.0.failed.lock() {
                    f.get_or_insert_with(|| {
                        format!("record to topic \"{}\" not delivered: {e}", m.topic())
                    });
                }
            }
        }
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", args::USAGE);
        return;
    }
    if argv.iter().any(|a| a == "--version") {
        println!("cedar-cdc-relay {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let a = match args::parse(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cedar-cdc-relay: {e}\n\n{}", args::USAGE);
            std::process::exit(1);
        }
    };
    for w in &a.config_warnings {
        log(&format!("--debezium-config: {w}"));
    }
    match run(&a) {
        Ok(()) => {}
        Err(Fatal(code, msg)) => {
            log(&format!("error: {msg}"));
            std::process::exit(code);
        }
    }
}

/// A string literal of the replication command grammar: quotes doubled, backslashes as they
/// are (it has no `E''` strings, which PQescapeLiteral writes for a backslash).
fn repl_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The START_REPLICATION command with the plugin options.
fn start_command(conn: &mut pg::Conn, a: &args::Args) -> Result<String, pg::PgError> {
    let mut opts = vec![format!("{} 'framed'", conn.ident("output.format")?)];
    for (k, v) in &a.plugin_options {
        opts.push(format!("{} {}", conn.ident(k)?, repl_literal(v)));
    }
    Ok(format!(
        "START_REPLICATION SLOT {} LOGICAL 0/0 ({})",
        conn.ident(&a.slot)?,
        opts.join(", ")
    ))
}

/// Exit code of a START_REPLICATION or CREATE_REPLICATION_SLOT failure.
fn slot_error(e: &pg::PgError) -> i32 {
    match e.sqlstate.as_deref() {
        // connection lost
        None | Some("08006") | Some("08003") | Some("57P01") => 6,
        _ => 3,
    }
}

fn run(a: &args::Args) -> Result<(), Fatal> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(fatal(1, "signal handler"))?;
    }

    // Kafka first: an unreachable broker must not hold the slot.
    let shared = Arc::new(Shared::default());
    let mut sink = Sink::open(a, &shared)?;

    let mut conn =
        pg::Conn::connect(&a.connect, true).map_err(fatal(2, "PostgreSQL connection"))?;
    let ident = conn
        .exec("IDENTIFY_SYSTEM")
        .map_err(fatal(2, "IDENTIFY_SYSTEM"))?;
    let server_pos = ident
        .first()
        .and_then(|r| r.get(2).cloned().flatten())
        .unwrap_or_default();
    if a.snapshot != SnapshotMode::NoData {
        let exists = snapshot::slot_exists(&mut conn, &a.slot)?;
        let pending = snapshot::slot_exists(&mut conn, &snapshot::marker(&a.slot))?;
        if a.snapshot == SnapshotMode::Initial && exists && !pending {
            log(&format!(
                "slot \"{}\" exists and its snapshot is complete; streaming",
                a.slot
            ));
        } else {
            match snapshot::take(a, &mut conn, &mut sink, &shared, &stop, exists, pending)? {
                snapshot::Outcome::Stopped => return Ok(()),
                snapshot::Outcome::Done if a.snapshot == SnapshotMode::InitialOnly => {
                    log("snapshot.mode=initial_only: the snapshot is complete; exiting");
                    return Ok(());
                }
                snapshot::Outcome::Done => {}
            }
        }
    }
    if a.create_slot && a.snapshot == SnapshotMode::NoData {
        let sql = format!(
            "CREATE_REPLICATION_SLOT {} LOGICAL cedar_cdc NOEXPORT_SNAPSHOT",
            conn.ident(&a.slot).map_err(fatal(1, "slot name"))?
        );
        match conn.exec(&sql) {
            Ok(rows) => log(&format!(
                "created slot \"{}\" at {}",
                a.slot,
                rows.first()
                    .and_then(|r| r.get(1).cloned().flatten())
                    .unwrap_or_default()
            )),
            Err(e) if e.sqlstate.as_deref() == Some("42710") => {
                log(&format!("slot \"{}\" exists; using it", a.slot))
            }
            Err(e) => return Err(Fatal(slot_error(&e), format!("creating the slot: {e}"))),
        }
    }
    let start = start_command(&mut conn, a).map_err(fatal(1, "options"))?;
    conn.start_copy_both(&start)
        .map_err(|e| Fatal(slot_error(&e), format!("{start}: {e}")))?;
    log(&format!(
        "streaming slot \"{}\" (server WAL at {server_pos}) into {}",
        a.slot,
        if a.null_sink {
            "a null sink"
        } else {
            &a.brokers
        }
    ));

    let metrics = Arc::new(metrics::Metrics::default());
    if let Some(addr) = &a.metrics_addr {
        metrics::serve(addr, Arc::clone(&metrics)).map_err(fatal(1, "--metrics-addr"))?;
    }
    let mut heartbeat = a.heartbeat_interval.map(|every| Heartbeat {
        every,
        next: Instant::now() + every,
        conn: None,
    });

    let mut s = Stream {
        received: 0,
        server_end: 0,
        reported: u64::MAX,
        events: 0,
    };
    let mut last_status = Instant::now();
    let mut last_log = (Instant::now(), 0u64);
    let mut reply_now = false;
    loop {
        if let Some(f) = shared.failure() {
            return Err(f);
        }
        if stop.load(Ordering::Relaxed) {
            return shutdown(&mut conn, &sink, &shared, &s);
        }
        let flushed = flushable(&shared);
        if reply_now || last_status.elapsed() >= a.status_interval {
            send_status(&mut conn, &mut s, flushed, false)?;
            last_status = Instant::now();
            reply_now = false;
        }
        if last_log.0.elapsed() >= a.status_interval {
            let secs = last_log.0.elapsed().as_secs_f64();
            let rate = (s.events - last_log.1) as f64 / secs;
            let (in_flight, records) = shared
                .tracker
                .lock()
                .map_or((0, 0), |t| (t.in_flight_bytes(), t.in_flight_records()));
            let lag = s.server_end.saturating_sub(flushed);
            metrics.set(s.events, rate, flushed, lag, in_flight);
            log(&format!(
                "{} events ({rate:.0}/s), acknowledged to {}, server at {}, lag {lag} bytes, {records} records ({in_flight} bytes) in flight",
                s.events,
                lsn(flushed),
                lsn(s.server_end)
            ));
            last_log = (Instant::now(), s.events);
        }
        if let Some(h) = heartbeat.as_mut() {
            h.beat(a)?;
        }
        // Backpressure: leave the stream unread while the producer holds too much.
        if shared.tracker.lock().map_or(0, |t| t.in_flight_bytes()) >= a.max_in_flight_bytes {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        match conn
            .get_copy_data()
            .map_err(fatal(6, "replication stream"))?
        {
            pg::Copy::Data(buf) => match protocol::parse(&buf).map_err(|e| Fatal(6, e))? {
                ServerMsg::XLogData {
                    start,
                    wal_end,
                    data,
                } => {
                    s.received = s.received.max(start);
                    s.server_end = s.server_end.max(wal_end);
                    let f = frame::decode(data)
                        .map_err(|e| Fatal(6, format!("message at {}: {e}", lsn(start))))?;
                    match f {
                        Frame::Record { topic, key, value } => {
                            let topic = std::str::from_utf8(topic).map_err(|_| {
                                Fatal(6, format!("topic at {} is not UTF-8", lsn(start)))
                            })?;
                            sink.send(&shared, topic, key, value)?;
                            s.events += 1;
                        }
                        Frame::Commit { lsn: l } => {
                            if let Ok(mut t) = shared.tracker.lock() {
                                t.commit(l);
                            }
                        }
                    }
                }
                ServerMsg::Keepalive { wal_end, reply } => {
                    s.server_end = s.server_end.max(wal_end);
                    if let Ok(mut t) = shared.tracker.lock() {
                        t.advance_idle(wal_end);
                    }
                    reply_now |= reply;
                }
            },
            pg::Copy::WouldBlock => {
                if conn.wait_readable(50) {
                    conn.consume_input()
                        .map_err(fatal(6, "replication stream"))?;
                }
            }
            pg::Copy::Done => {
                return Err(Fatal(6, "the server ended the replication stream".into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replication_literals() {
        assert_eq!(super::repl_literal(r"public\.big"), r"'public\.big'");
        assert_eq!(super::repl_literal("it's"), "'it''s'");
    }
}

#[derive(Clone, Copy)]
struct Stream {
    /// Start of the last XLogData received.
    received: u64,
    /// The server's WAL end, as last reported.
    server_end: u64,
    /// The flush position last sent.
    reported: u64,
    events: u64,
}

fn flushable(shared: &Shared) -> u64 {
    shared.tracker.lock().map_or(0, |mut t| t.flushable())
}

fn send_status(
    conn: &mut pg::Conn,
    s: &mut Stream,
    flushed: u64,
    reply: bool,
) -> Result<(), Fatal> {
    let m = protocol::status_update(s.received.max(flushed), flushed, now_us(), reply);
    conn.put_copy_data(&m)
        .map_err(fatal(6, "sending the position"))?;
    s.reported = flushed;
    Ok(())
}

/// Where records go: the broker, or nowhere (`--null-sink`, for benchmarks).
enum Sink {
    Kafka {
        producer: ThreadedProducer<Ctx>,
        topics: Topics,
    },
    /// Each record is counted as acknowledged at once: the bookkeeping runs, nothing is sent.
    Null,
}

impl Sink {
    /// Connects to the brokers (an unreachable one is exit code 4), unless `--null-sink`.
    fn open(a: &args::Args, shared: &Arc<Shared>) -> Result<Sink, Fatal> {
        if a.null_sink {
            log("null sink: records are discarded and counted as acknowledged");
            return Ok(Sink::Null);
        }
        let mut cfg = ClientConfig::new();
        for (k, v) in args::producer_config(a) {
            cfg.set(k, v);
        }
        let producer: ThreadedProducer<Ctx> = cfg
            .create_with_context(Ctx(Arc::clone(shared)))
            .map_err(fatal(1, "kafka producer configuration"))?;
        let md = producer
            .client()
            .fetch_metadata(None, BROKER_TIMEOUT)
            .map_err(|e| {
                if let Some(f) = shared.failure() {
                    return f;
                }
                Fatal(
                    4,
                    format!(
                        "kafka brokers {} did not answer within {}s: {e}",
                        a.brokers,
                        BROKER_TIMEOUT.as_secs()
                    ),
                )
            })?;
        log(&format!(
            "kafka: {} broker(s), {} topic(s) at {}",
            md.brokers().len(),
            md.topics().len(),
            a.brokers
        ));
        let admin: AdminClient<DefaultClientContext> = cfg
            .create()
            .map_err(fatal(1, "kafka admin configuration"))?;
        let topics = Topics {
            admin,
            seen: HashSet::new(),
            partitions: a.partitions,
            rf: a.replication_factor,
        };
        Ok(Sink::Kafka { producer, topics })
    }

    fn send(
        &mut self,
        shared: &Shared,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<(), Fatal> {
        let bytes =
            (topic.len() + key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len)) as u64;
        let mut t = shared
            .tracker
            .lock()
            .map_err(|_| Fatal(5, "tracker poisoned".into()))?;
        let id = t.record(bytes);
        match self {
            Sink::Null => {
                t.acked(id, bytes);
                Ok(())
            }
            Sink::Kafka { producer, topics } => {
                drop(t);
                topics.ensure(topic)?;
                produce(producer, topic, key, value, id, bytes)
            }
        }
    }

    /// Waits for every in-flight record; a record that was not delivered is an error.
    fn flush(&self, shared: &Shared) -> Result<(), Fatal> {
        if let Sink::Kafka { producer, .. } = self {
            producer
                .flush(FLUSH_TIMEOUT)
                .map_err(|e| Fatal(5, format!("flushing the producer: {e}")))?;
        }
        shared.delivery_error().map_or(Ok(()), Err)
    }
}

fn produce(
    producer: &ThreadedProducer<Ctx>,
    topic: &str,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    id: u64,
    bytes: u64,
) -> Result<(), Fatal> {
    let mut rec: BaseRecord<'_, [u8], [u8], Box<(u64, u64)>> =
        BaseRecord::with_opaque_to(topic, Box::new((id, bytes)));
    if let Some(k) = key {
        rec = rec.key(k);
    }
    if let Some(v) = value {
        rec = rec.payload(v);
    }
    loop {
        match producer.send(rec) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                rec = r;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => {
                return Err(Fatal(5, format!("producing to topic \"{topic}\": {e}")));
            }
        }
    }
}

/// SIGTERM: stop reading, wait for every in-flight record, report the final position.
fn shutdown(conn: &mut pg::Conn, sink: &Sink, shared: &Shared, s: &Stream) -> Result<(), Fatal> {
    log("stopping: flushing in-flight records");
    sink.flush(shared)?;
    let flushed = flushable(shared);
    let mut s = *s;
    send_status(conn, &mut s, flushed, false)?;
    let _ = conn.put_copy_end();
    log(&format!(
        "stopped; flushed position {} confirmed, {} events",
        lsn(flushed),
        s.events
    ));
    Ok(())
}

/// Creates each topic the first time a record goes to it (an existing topic is fine).
struct Topics {
    admin: AdminClient<DefaultClientContext>,
    seen: HashSet<String>,
    partitions: i32,
    rf: i32,
}

impl Topics {
    fn ensure(&mut self, topic: &str) -> Result<(), Fatal> {
        if self.seen.contains(topic) {
            return Ok(());
        }
        let nt = NewTopic::new(topic, self.partitions, TopicReplication::Fixed(self.rf));
        let opts = AdminOptions::new().operation_timeout(Some(BROKER_TIMEOUT));
        let res = futures_executor::block_on(self.admin.create_topics([&nt], &opts))
            .map_err(|e| Fatal(4, format!("creating topic \"{topic}\": {e}")))?;
        for r in res {
            match r {
                Ok(_) => log(&format!(
                    "created topic \"{topic}\" ({} partitions, replication factor {})",
                    self.partitions, self.rf
                )),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, code)) => {
                    return Err(Fatal(4, format!("creating topic \"{topic}\": {code}")))
                }
            }
        }
        self.seen.insert(topic.to_string());
        Ok(())
    }
}

/// `heartbeat.interval.ms`: at each interval, on a normal connection, the action query (if
/// any) and a transactional logical message with the heartbeat prefix, which the plugin
/// turns into the heartbeat record; the record's commit moves the slot on an idle database.
struct Heartbeat {
    every: Duration,
    next: Instant,
    conn: Option<pg::Conn>,
}

impl Heartbeat {
    fn beat(&mut self, a: &args::Args) -> Result<(), Fatal> {
        if Instant::now() < self.next {
            return Ok(());
        }
        self.next = Instant::now() + self.every;
        if self.conn.is_none() {
            self.conn = Some(
                pg::Conn::connect(&a.connect, false).map_err(fatal(2, "heartbeat connection"))?,
            );
        }
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        if let Some(q) = &a.heartbeat_action_query {
            if let Err(e) = c.exec(q) {
                log(&format!("heartbeat.action.query failed: {e}"));
                self.conn = None;
                return Ok(());
            }
        }
        let prefix = c
            .literal(&a.heartbeat_prefix)
            .map_err(fatal(1, "heartbeat prefix"))?;
        if let Err(e) = c.exec(&format!(
            "SELECT pg_logical_emit_message(true, {prefix}, '')"
        )) {
            log(&format!("heartbeat failed: {e}"));
            self.conn = None;
        }
        Ok(())
    }
}
