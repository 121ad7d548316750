//! Change events: the Debezium envelope and `source` block, written straight into the output.
//!
//! The plugin provides rows through the [`Row`] trait (values are read from the tuple on
//! demand, so no per-row copy is made) and the transaction's facts as a [`Txn`].

use crate::encode::out::Out;

use crate::plan::table::TablePlan;
use crate::plan::types::{write_value, ColumnPlan, Value};

mod emit;
mod envelope;
pub mod incremental;
mod snapshot;
mod source;
mod txmeta;
mod unwrap;

pub use emit::*;
pub use envelope::{Session, SOURCE_VERSION};
pub use incremental::{errors as incremental_errors, Chunk, ChunkWriter, KeyColumn, CHUNK_PREFIX};
pub use snapshot::{errors as snapshot_errors, snapshot_order, SnapshotMarker, SnapshotPosition};
pub use source::SourceParts;
pub use txmeta::TxMeta;
pub use unwrap::Kept;

/// A row the plugin can read column values from.
pub trait Row {
    /// The value of `col` in this row.
    fn value(&self, col: &ColumnPlan) -> Value<'_>;
}

/// The facts of the transaction an event belongs to.
#[derive(Clone, Debug, Default)]
pub struct Txn {
    /// The top-level transaction id (none for a non-transactional message): the 32-bit xid
    /// of a decoded transaction, the epoch-extended `pg_current_xact_id()` of a snapshot's.
    pub xid: Option<u64>,
    /// Commit time, microseconds since 2000-01-01 UTC.
    pub commit_time: i64,
    /// `sequence[0]`: end LSN of the previous transaction this session decoded (or the LSN of
    /// a non-transactional message since).
    pub last_commit_lsn: Option<u64>,
    /// Replication origin name, when the transaction was replicated from elsewhere.
    pub origin: Option<String>,
    /// The origin's commit LSN.
    pub origin_lsn: Option<u64>,
    /// `source.snapshot` of a snapshot record (`None`: `"false"`, a streamed event).
    pub snapshot: Option<SnapshotMarker>,
    /// The parts of the `source` block that are the same for every event of the transaction
    /// (see [`Session::prepare_txn`]).
    pub source: SourceParts,
}

/// Debezium's operation codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
    Truncate,
    /// A row read by a snapshot.
    Read,
}

impl Op {
    fn code(self) -> &'static [u8] {
        match self {
            Op::Create => b"\"c\"",
            Op::Update => b"\"u\"",
            Op::Delete => b"\"d\"",
            Op::Truncate => b"\"t\"",
            Op::Read => b"\"r\"",
        }
    }

    /// The letter of `skipped.operations`.
    pub fn letter(self) -> char {
        match self {
            Op::Create => 'c',
            Op::Update => 'u',
            Op::Delete => 'd',
            Op::Truncate => 't',
            Op::Read => 'r',
        }
    }
}

/// The position of an event in its transaction (`provide.transaction.metadata`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub total_order: u64,
    pub data_collection_order: u64,
}

/// Where and when an event happens.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub txn: &'a Txn,
    /// LSN of the change or message.
    pub lsn: u64,
    pub block: Option<Block>,
    /// Processing time, µs since 1970.
    pub now_us: i64,
}

/// Writes a row struct. An unchanged TOAST value is taken from `toast_from` when it has it,
/// else written as the column's placeholder.
pub fn write_row<O: Out + ?Sized, R: Row>(
    o: &mut O,
    cols: &[ColumnPlan],
    row: &R,
    toast_from: Option<&R>,
) {
    o.put_u8(b'{');
    write_fields(o, cols, row, toast_from);
    o.put_u8(b'}');
}

/// Writes the members of a row struct, without the braces.
pub fn write_fields<O: Out + ?Sized, R: Row>(
    o: &mut O,
    cols: &[ColumnPlan],
    row: &R,
    toast_from: Option<&R>,
) {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            o.put_u8(b',');
        }
        o.put(&c.key_json);
        let v = row.value(c);
        match (v, toast_from) {
            // The old row has the value only under REPLICA IDENTITY FULL; a key-only old row
            // (a key change under DEFAULT) lacks it, and the placeholder is written.
            (Value::UnchangedToast, Some(old)) => match old.value(c) {
                Value::Null => o.put(&c.toast_json),
                ov => write_value(o, c, &ov),
            },
            _ => write_value(o, c, &v),
        }
    }
}

/// Whether the key of `new` differs from the key of `old` (Debezium then emits a delete, a
/// tombstone and a create). Compares the encoded key values, as Debezium compares key structs.
pub fn key_changed<R: Row>(t: &TablePlan, old: &R, new: &R, scratch: &mut Vec<u8>) -> bool {
    if t.key.is_empty() {
        return false;
    }
    scratch.clear();
    write_row(scratch, &t.key, old, None);
    let split = scratch.len();
    write_row(scratch, &t.key, new, Some(old));
    scratch[..split] != scratch[split..]
}
