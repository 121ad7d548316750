//! The `source` block: its parts that stay the same through a transaction are rendered once
//! per transaction, and only the LSNs are written per event.

use super::{At, Session, Txn};
use crate::encode::json;
use crate::encode::out::{Out, OutExt};
use crate::encode::temporal;

/// Pre-rendered constant parts of a transaction's `source` blocks.
#[derive(Clone, Debug, Default)]
pub struct SourceParts {
    /// From `{"version"` to `"sequence":"[<first>,\"`.
    head: Vec<u8>,
    /// From `\"]","ts_us"` to `"ts_ns":…`.
    times: Vec<u8>,
    /// The txId value and `,"lsn":`.
    xid: Vec<u8>,
    /// From `,"xmin"` to the closing brace.
    tail: Vec<u8>,
}

/// Writes a positive microsecond count as nanoseconds (`…000`), without 128-bit arithmetic.
pub(super) fn put_us_as_ns<O: Out + ?Sized>(o: &mut O, us: i64) {
    if us > 0 {
        o.put_int(us);
        o.put(b"000");
    } else {
        o.put_int(i128::from(us) * 1000);
    }
}

impl Session {
    /// Renders the parts of `txn`'s source blocks that do not change from event to event.
    pub fn prepare_txn(&self, txn: &mut Txn) {
        let us = txn.commit_time.saturating_add(temporal::PG_EPOCH_USECS);
        let p = &mut txn.source;
        p.head.clear();
        p.head.extend_from_slice(&self.source_head);
        p.head.put_int(us.div_euclid(1000));
        p.head.put(b",\"snapshot\":\"");
        p.head
            .put(txn.snapshot.map_or("false", |m| m.as_str()).as_bytes());
        p.head.put_u8(b'"');
        p.head.extend_from_slice(&self.source_db);
        match txn.last_commit_lsn {
            Some(l) => {
                p.head.put(b"\\\"");
                p.head.put_int(l);
                p.head.put(b"\\\"");
            }
            None => p.head.put(b"null"),
        }
        p.head.put(b",\\\"");
        p.times.clear();
        p.times.put(b"\\\"]\",\"ts_us\":");
        p.times.put_int(us);
        p.times.put(b",\"ts_ns\":");
        put_us_as_ns(&mut p.times, us);
        p.xid.clear();
        match txn.xid {
            Some(x) => p.xid.put_int(x),
            None => p.xid.put(b"null"),
        }
        p.xid.put(b",\"lsn\":");
        p.tail.clear();
        p.tail.put(b",\"xmin\":null,\"origin\":");
        match &txn.origin {
            Some(n) => json::write_str(&mut p.tail, n.as_bytes()),
            None => p.tail.put(b"null"),
        }
        p.tail.put(b",\"origin_lsn\":");
        match txn.origin_lsn {
            Some(l) => p.tail.put_int(l),
            None => p.tail.put(b"null"),
        }
        p.tail.put_u8(b'}');
    }

    /// Writes the `source` block; `table_part` is `,"schema":…,"table":…,"txId":`.
    pub(super) fn write_source<O: Out + ?Sized>(&self, o: &mut O, table_part: &[u8], at: &At<'_>) {
        let p = &at.txn.source;
        debug_assert!(!p.head.is_empty(), "prepare_txn was not called");
        o.put(&p.head);
        o.put_int(at.lsn);
        o.put(&p.times);
        o.put(table_part);
        o.put(&p.xid);
        o.put_int(at.lsn);
        o.put(&p.tail);
    }

    /// `"transaction":…` of an event.
    pub(super) fn write_block<O: Out + ?Sized>(&self, o: &mut O, at: &At<'_>) {
        o.put(b",\"transaction\":");
        match (at.block, at.txn.xid) {
            (Some(b), Some(xid)) => {
                o.put(b"{\"id\":\"");
                o.put_int(xid);
                o.put_u8(b':');
                o.put_int(at.lsn);
                o.put(b"\",\"total_order\":");
                o.put_int(b.total_order);
                o.put(b",\"data_collection_order\":");
                o.put_int(b.data_collection_order);
                o.put_u8(b'}');
            }
            _ => o.put(b"null"),
        }
    }
}

/// `,"ts_ms":…,"ts_us":…,"ts_ns":…` of the envelope: the time the event was produced.
pub(super) fn write_processing_time<O: Out + ?Sized>(o: &mut O, now_us: i64) {
    o.put(b",\"ts_ms\":");
    o.put_int(now_us.div_euclid(1000));
    o.put(b",\"ts_us\":");
    o.put_int(now_us);
    o.put(b",\"ts_ns\":");
    put_us_as_ns(o, now_us);
}
