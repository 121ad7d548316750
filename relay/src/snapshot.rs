//! `--snapshot initial` and `initial_only`: every existing row as `op` `r` records before the
//! stream, consistent with it.
//!
//! `initial` creates the slot with an exported snapshot, and a second, normal connection reads
//! `cedar_cdc.snapshot_frames()` under that snapshot (binary, one row at a time); the stream
//! then starts exactly where the snapshot was taken. Until the broker has acknowledged every
//! snapshot record, a marker slot (`cedar_pending_<slot>`, physical, holding no WAL) says the
//! snapshot is incomplete. A relay that dies before that finds the marker at its next start and
//! takes a new snapshot, then streams from the slot's position, which has not moved: the rows
//! of the lost attempt (even rows deleted since) are followed by every change after that
//! position, so a consumer that applies the records in order ends with the tables' rows.
//! Duplicates, never a gap, and no stale row.
//!
//! `initial_only` reads under the snapshot of a temporary slot and leaves no slot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cedar_cdc_core::encode::frame::{self, Frame};

use crate::args::{Args, SnapshotMode};
use crate::protocol::{lsn, parse_lsn};
use crate::{fatal, log, pg, slot_error, Fatal, Shared, Sink};

/// How a snapshot ended.
pub enum Outcome {
    /// Every record acknowledged (and, for `initial`, the slot created).
    Done,
    /// SIGTERM or SIGINT came first: what was produced is flushed, and the next start takes
    /// the snapshot again.
    Stopped,
}

/// Whether a slot of that name exists.
pub fn slot_exists(conn: &mut pg::Conn, slot: &str) -> Result<bool, Fatal> {
    let q = format!(
        "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = {}",
        conn.literal(slot).map_err(fatal(1, "slot name"))?
    );
    Ok(!conn
        .exec(&q)
        .map_err(fatal(2, "looking up the slot"))?
        .is_empty())
}

/// The marker slot's name for `slot`.
pub fn marker(slot: &str) -> String {
    format!("cedar_pending_{slot}")
}

/// Takes the snapshot over `repl` (the replication connection, idle) and a connection of its
/// own, producing each record into `sink`. `slot_exists` and `pending` are what the caller
/// found: the slot, and the marker of an interrupted snapshot.
pub fn take(
    a: &Args,
    repl: &mut pg::Conn,
    sink: &mut Sink,
    shared: &Shared,
    stop: &AtomicBool,
    slot_exists: bool,
    pending: bool,
) -> Result<Outcome, Fatal> {
    let t0 = Instant::now();
    let only = a.snapshot == SnapshotMode::InitialOnly;
    // initial_only: a temporary slot of its own; initial: the slot itself.
    let slot = if only {
        format!("cedar_cdc_snapshot_{}", std::process::id())
    } else {
        a.slot.clone()
    };
    let slot_ident = repl.ident(&slot).map_err(fatal(1, "slot name"))?;
    let marker_ident = repl
        .ident(&marker(&a.slot))
        .map_err(fatal(1, "slot name"))?;
    if !only && !pending {
        // Before the slot: a crash between the two leaves the marker, never a bare slot.
        repl.exec(&format!("CREATE_REPLICATION_SLOT {marker_ident} PHYSICAL"))
            .map_err(|e| {
                Fatal(
                    slot_error(&e),
                    format!("creating the snapshot's marker slot: {e}"),
                )
            })?;
    }
    // Where the stream starts, and the exported snapshot to read under: the slot's own when it
    // is created here, none (a new snapshot) for a slot whose earlier snapshot was interrupted.
    let (point, exported) = if slot_exists && !only {
        let q = format!(
            "SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = {}",
            repl.literal(&slot).map_err(fatal(1, "slot name"))?
        );
        let rows = repl.exec(&q).map_err(fatal(2, "looking up the slot"))?;
        let position = rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .as_deref()
            .and_then(parse_lsn)
            .ok_or_else(|| Fatal(3, format!("slot \"{slot}\" has no confirmed position")))?;
        log(&format!(
            "the last snapshot of slot \"{slot}\" was interrupted: a new one, then the stream from {}",
            lsn(position)
        ));
        (position, None)
    } else {
        let temporary = if only { " TEMPORARY" } else { "" };
        let created = repl
            .exec(&format!(
                "CREATE_REPLICATION_SLOT {slot_ident}{temporary} LOGICAL cedar_cdc EXPORT_SNAPSHOT"
            ))
            .map_err(|e| Fatal(slot_error(&e), format!("creating slot \"{slot}\": {e}")))?;
        let field = |i: usize| created.first().and_then(|r| r.get(i).cloned().flatten());
        match (field(1).as_deref().and_then(parse_lsn), field(2)) {
            (Some(point), Some(name)) => (point, Some(name)),
            _ => {
                return Err(Fatal(
                    6,
                    "CREATE_REPLICATION_SLOT returned no consistent point or snapshot".into(),
                ))
            }
        }
    };

    let mut db = pg::Conn::connect(&a.connect, false).map_err(fatal(2, "snapshot connection"))?;
    let mut begin = vec!["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string()];
    if let Some(name) = &exported {
        begin.push(format!(
            "SET TRANSACTION SNAPSHOT {}",
            db.literal(name).map_err(fatal(1, "snapshot name"))?
        ));
    }
    for sql in &begin {
        db.exec(sql)
            .map_err(|e| Fatal(slot_error(&e), format!("{sql}: {e}")))?;
    }
    let mut options = Vec::with_capacity(a.plugin_options.len());
    for (k, v) in &a.plugin_options {
        options.push(
            db.literal(&format!("{k}={v}"))
                .map_err(fatal(1, "options"))?,
        );
    }
    let query = format!(
        "SELECT cedar_cdc.snapshot_frames({}, ARRAY[{}]::text[])",
        db.literal(&slot).map_err(fatal(1, "slot name"))?,
        options.join(", ")
    );
    log(&format!(
        "snapshot: reading every captured table (stream from {})",
        lsn(point)
    ));
    let mut records = 0u64;
    let mut last_log = Instant::now();
    let read = db
        .stream_rows(&query, |v| -> Result<(), Option<Fatal>> {
            let v = v.ok_or_else(|| Some(Fatal(6, "snapshot_frames returned NULL".into())))?;
            let Frame::Record { topic, key, value } =
                frame::decode(v).map_err(|e| Some(Fatal(6, format!("snapshot frame: {e}"))))?
            else {
                return Ok(());
            };
            let topic = std::str::from_utf8(topic)
                .map_err(|_| Some(Fatal(6, "a snapshot topic is not UTF-8".into())))?;
            room(a, shared, stop)?;
            sink.send(shared, topic, key, value).map_err(Some)?;
            records += 1;
            if last_log.elapsed() >= a.status_interval {
                log(&format!("snapshot: {records} records"));
                last_log = Instant::now();
            }
            Ok(())
        })
        .map_err(|e| {
            let hint = match e.sqlstate.as_deref() {
                // undefined schema or function
                Some("3F000" | "42883") => {
                    " (the snapshot runs cedar_cdc.snapshot_frames(): CREATE EXTENSION cedar_cdc in this database)"
                }
                _ => "",
            };
            Fatal(slot_error(&e), format!("the snapshot's query: {e}{hint}"))
        })?;
    match read {
        Ok(_) => {}
        Err(Some(f)) => return Err(f),
        Err(None) => {
            sink.flush(shared)?;
            log(&format!(
                "stopped during the snapshot after {records} records; the next start takes it again"
            ));
            return Ok(Outcome::Stopped);
        }
    }
    // Every record acknowledged before the slot exists: a crash until then leaves none.
    sink.flush(shared)?;
    if let Ok(mut t) = shared.tracker.lock() {
        t.commit(point);
    }
    db.exec("COMMIT").map_err(fatal(6, "ending the snapshot"))?;
    // The snapshot is complete: initial drops its marker, initial_only its temporary slot.
    let done = if only { &slot_ident } else { &marker_ident };
    repl.exec(&format!("DROP_REPLICATION_SLOT {done}"))
        .map_err(|e| Fatal(slot_error(&e), format!("dropping slot {done}: {e}")))?;
    log(&format!(
        "snapshot: {records} records acknowledged in {:.1} s{}",
        t0.elapsed().as_secs_f64(),
        if only {
            String::new()
        } else {
            format!("; slot \"{}\" streams from {}", a.slot, lsn(point))
        }
    ));
    Ok(Outcome::Done)
}

/// Waits while the producer holds `--max-in-flight-bytes`; `Err(None)` on SIGTERM.
fn room(a: &Args, shared: &Shared, stop: &AtomicBool) -> Result<(), Option<Fatal>> {
    loop {
        if let Some(f) = shared.failure() {
            return Err(Some(f));
        }
        if stop.load(Ordering::Relaxed) {
            return Err(None);
        }
        if shared.tracker.lock().map_or(0, |t| t.in_flight_bytes()) < a.max_in_flight_bytes {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
