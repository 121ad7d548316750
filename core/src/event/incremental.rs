//! On-demand (incremental) snapshots: the chunk messages that carry a table's rows through
//! the WAL, the key-range SQL that reads a chunk, and the errors of bad input.
//!
//! A chunk is one transactional logical decoding message with prefix [`CHUNK_PREFIX`],
//! written by the snapshot worker in the transaction that read and `FOR SHARE`-locked its
//! rows. Its payload names the slot it is for, so every other slot ignores it.

use crate::error::{Error, ErrorCode};

/// The logical decoding message prefix of snapshot chunks.
pub const CHUNK_PREFIX: &str = "cedar_cdc.snapshot";

/// The first bytes of a chunk payload (and its format version).
const MAGIC: &[u8; 5] = b"CDCS1";

/// The schema and name of the table that records snapshot progress: its changes are part of
/// every chunk transaction and are never emitted.
pub const STATE_TABLE: (&str, &str) = ("cedar_cdc", "snapshot_state");

/// Whether `schema.table` is cedar_cdc's own bookkeeping table, never captured.
pub fn is_internal_table(schema: &str, table: &str) -> bool {
    (schema, table) == STATE_TABLE
}

/// Builds a chunk payload: header, then each row's bytes (a flattened heap tuple in the
/// table's own format) with its length.
pub struct ChunkWriter {
    buf: Vec<u8>,
    rows: usize,
}

impl ChunkWriter {
    /// A chunk of snapshot `id` of the table `relid`, for `slot`.
    pub fn new(slot: &str, id: i64, relid: u32) -> Self {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(MAGIC);
        let slot = slot.as_bytes();
        buf.extend_from_slice(&(slot.len() as u16).to_le_bytes());
        buf.extend_from_slice(slot);
        buf.extend_from_slice(&id.to_le_bytes());
        buf.extend_from_slice(&relid.to_le_bytes());
        ChunkWriter { buf, rows: 0 }
    }

    /// Appends one row.
    pub fn push(&mut self, row: &[u8]) {
        self.buf
            .extend_from_slice(&(row.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(row);
        self.rows += 1;
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The payload.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// A parsed chunk payload.
#[derive(Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub slot: &'a [u8],
    pub id: i64,
    pub relid: u32,
    rows: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// Parses a payload; anything malformed is an error (never a guess).
    pub fn parse(content: &'a [u8]) -> Result<Self, Error> {
        let bad = || {
            Error::new(
                ErrorCode::DataException,
                format!("malformed logical decoding message with prefix \"{CHUNK_PREFIX}\""),
            )
            .detail("The prefix is reserved for cedar_cdc's snapshot chunks.")
            .hint("Do not write messages with this prefix yourself; start snapshots with cedar_cdc.snapshot().")
        };
        let rest = content.strip_prefix(&MAGIC[..]).ok_or_else(bad)?;
        let (len, rest) = split(rest, 2).ok_or_else(bad)?;
        let len = u16::from_le_bytes([len[0], len[1]]) as usize;
        let (slot, rest) = split(rest, len).ok_or_else(bad)?;
        let (id, rest) = split(rest, 8).ok_or_else(bad)?;
        let (relid, rows) = split(rest, 4).ok_or_else(bad)?;
        let chunk = Chunk {
            slot,
            id: i64::from_le_bytes(id.try_into().map_err(|_| bad())?),
            relid: u32::from_le_bytes(relid.try_into().map_err(|_| bad())?),
            rows,
        };
        // Validate the row framing up front, so that no row is emitted from a bad chunk.
        let mut it = chunk.rows();
        for r in &mut it {
            r.ok_or_else(bad)?;
        }
        Ok(chunk)
    }

    /// The rows, in order; `None` for a truncated row (only before [`Chunk::parse`] checked).
    pub fn rows(&self) -> impl Iterator<Item = Option<&'a [u8]>> {
        let mut rest = self.rows;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let Some((len, r)) = split(rest, 4) else {
                rest = &[];
                return Some(None);
            };
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            match split(r, len) {
                Some((row, r)) => {
                    rest = r;
                    Some(Some(row))
                }
                None => {
                    rest = &[];
                    Some(None)
                }
            }
        })
    }
}

fn split(b: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (b.len() >= n).then(|| b.split_at(n))
}

/// A chunk key column: its quoted name and its SQL type (`format_type`).
#[derive(Clone, Debug)]
pub struct KeyColumn {
    pub name: String,
    pub ty: String,
}

/// `"name"` quoted for SQL.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn row_of(keys: &[KeyColumn]) -> String {
    let cols: Vec<String> = keys.iter().map(|k| quote_ident(&k.name)).collect();
    format!("ROW({})", cols.join(", "))
}

/// `ROW($first::text::type, …)` for the parameters `$first…`.
fn params(keys: &[KeyColumn], first: usize) -> String {
    let p: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("${}::pg_catalog.text::{}", first + i, k.ty))
        .collect();
    format!("ROW({})", p.join(", "))
}

/// The conditions of a chunk: keys not null, above the last chunk's (`$1…`), at most the
/// upper bound (`$k+1…`) when there is one, and the caller's condition.
fn conditions(keys: &[KeyColumn], lower: bool, upper: bool, cond: Option<&str>) -> String {
    let mut c: Vec<String> = keys
        .iter()
        .map(|k| format!("{} IS NOT NULL", quote_ident(&k.name)))
        .collect();
    if lower {
        c.push(format!("{} > {}", row_of(keys), params(keys, 1)));
    }
    if upper {
        let first = if lower { keys.len() + 1 } else { 1 };
        c.push(format!("{} <= {}", row_of(keys), params(keys, first)));
    }
    if let Some(cond) = cond {
        c.push(cond.to_string());
    }
    c.join(" AND ")
}

fn order_by(keys: &[KeyColumn]) -> String {
    let cols: Vec<String> = keys.iter().map(|k| quote_ident(&k.name)).collect();
    cols.join(", ")
}

/// The key of the chunk's last row (its upper bound) as texts, without locking: the
/// `chunk_size`-th row above the last chunk's key. No row means the rest of the table is the
/// last chunk. One statement, so one snapshot: the bound is a key that existed. The texts are
/// aliased and `ORDER BY` names the table's columns, so it sorts by the values, not their text.
pub fn bound_sql(
    from: &str,
    keys: &[KeyColumn],
    lower: bool,
    cond: Option<&str>,
    chunk_size: u32,
) -> String {
    let texts: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{}::pg_catalog.text AS k{i}", quote_ident(&k.name)))
        .collect();
    let order: Vec<String> = keys
        .iter()
        .map(|k| format!("cdc_chunk.{}", quote_ident(&k.name)))
        .collect();
    format!(
        "SELECT {} FROM {from} AS cdc_chunk WHERE {} ORDER BY {} LIMIT 1 OFFSET {}",
        texts.join(", "),
        conditions(keys, lower, false, cond),
        order.join(", "),
        chunk_size.saturating_sub(1)
    )
}

/// The chunk's rows, `FOR SHARE`: every row with a key above the last chunk's and at most the
/// bound (all the rest when `upper` is false). Locking the range, not `LIMIT n`, means a row
/// whose key a concurrent update moves is never skipped: its new version lands in the range
/// it now belongs to.
pub fn rows_sql(
    select: &str,
    keys: &[KeyColumn],
    lower: bool,
    upper: bool,
    cond: Option<&str>,
) -> String {
    format!(
        "{select} WHERE {} ORDER BY {} FOR SHARE",
        conditions(keys, lower, upper, cond),
        order_by(keys)
    )
}

/// The errors of an on-demand snapshot's bad input.
pub mod errors {
    use super::{Error, ErrorCode};

    /// A table without a primary key (and no `message.key.columns` for it).
    pub fn no_key(table: &str) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("table {table} has no key to chunk its snapshot by"),
        )
        .detail("An on-demand snapshot reads a table in chunks ordered by its key.")
        .hint(format!(
            "Add a primary key, or give the snapshot and the stream a message.key.columns option for it, for example 'message.key.columns={}:<column>'.",
            table.replace('"', "")
        ))
    }

    /// A table already being snapshotted for the slot.
    pub fn already_running(table: &str, slot: &str, id: i64) -> Error {
        Error::new(
            ErrorCode::ObjectNotInPrerequisiteState,
            format!("table {table} is already being snapshotted for slot \"{slot}\""),
        )
        .detail(format!("Snapshot {id} has not finished it."))
        .hint(format!(
            "Wait for it (SELECT * FROM cedar_cdc.snapshot_progress()), or cancel it first: SELECT cedar_cdc.snapshot_cancel('{slot}', '{table}');"
        ))
    }

    /// `chunk_size` out of range.
    pub fn bad_chunk_size(n: i32) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("invalid chunk_size {n}"),
        )
        .hint("chunk_size is the number of rows per chunk, from 1 to 1000000 (default 1024).")
    }

    /// No table named.
    pub fn no_tables() -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            "an on-demand snapshot needs at least one table",
        )
        .hint("Name the tables: SELECT cedar_cdc.snapshot('<slot>', ARRAY['public.lineitem']);")
    }

    /// The `where` condition is not one expression.
    pub fn bad_condition(why: String) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("invalid where condition: {why}"),
        )
        .hint("The condition is one boolean expression over the table's columns, as Debezium's additional-conditions, such as: l_quantity > 10.")
    }

    /// A role the worker cannot connect as.
    pub fn role_cannot_login(role: &str) -> Error {
        Error::new(
            ErrorCode::InsufficientPrivilege,
            format!("role \"{role}\" cannot start a snapshot on demand: it may not log in"),
        )
        .detail("The snapshot's worker connects as the role that started it.")
        .hint(format!(
            "ALTER ROLE \"{role}\" LOGIN, or start the snapshot as a role that may log in."
        ))
    }

    /// No free background worker slot.
    pub fn no_worker() -> Error {
        Error::new(
            ErrorCode::ObjectNotInPrerequisiteState,
            "could not start the snapshot worker",
        )
        .detail("Every background worker slot (max_worker_processes) is in use.")
        .hint("Raise max_worker_processes (needs a restart), or wait for running snapshots to finish; nothing was started.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_round_trip() {
        let mut w = ChunkWriter::new("cdc", 7, 16_384);
        w.push(b"abc");
        w.push(b"");
        w.push(&[0u8; 300]);
        assert_eq!(w.rows(), 3);
        let c = Chunk::parse(w.bytes()).unwrap();
        assert_eq!((c.slot, c.id, c.relid), (&b"cdc"[..], 7, 16_384));
        let rows: Vec<&[u8]> = c.rows().map(Option::unwrap).collect();
        assert_eq!(rows, vec![&b"abc"[..], &b""[..], &[0u8; 300][..]]);
    }

    #[test]
    fn malformed_chunks_are_errors() {
        let mut w = ChunkWriter::new("cdc", 1, 1);
        w.push(b"abcdef");
        let b = w.bytes();
        for n in 0..b.len() {
            // Every strict prefix that cuts the header or a row is refused, except a cut
            // exactly between rows (fewer rows), here only at the end of the header.
            let r = Chunk::parse(&b[..n]);
            let header = MAGIC.len() + 2 + 3 + 8 + 4;
            assert_eq!(r.is_ok(), n == header, "cut at {n}");
        }
        assert!(Chunk::parse(b"CDCS2").is_err());
        assert_eq!(
            Chunk::parse(b"x").unwrap_err().message,
            "malformed logical decoding message with prefix \"cedar_cdc.snapshot\""
        );
    }

    #[test]
    fn chunk_sql() {
        let keys = vec![
            KeyColumn {
                name: "a".into(),
                ty: "integer".into(),
            },
            KeyColumn {
                name: "B\"x".into(),
                ty: "text".into(),
            },
        ];
        assert_eq!(
            bound_sql("\"public\".\"t\"", &keys, true, Some("(a > 1\n)"), 100),
            "SELECT \"a\"::pg_catalog.text AS k0, \"B\"\"x\"::pg_catalog.text AS k1 FROM \"public\".\"t\" AS cdc_chunk WHERE \"a\" IS NOT NULL AND \"B\"\"x\" IS NOT NULL AND ROW(\"a\", \"B\"\"x\") > ROW($1::pg_catalog.text::integer, $2::pg_catalog.text::text) AND (a > 1\n) ORDER BY cdc_chunk.\"a\", cdc_chunk.\"B\"\"x\" LIMIT 1 OFFSET 99"
        );
        assert_eq!(
            rows_sql("SELECT * FROM t", &keys[..1], false, true, None),
            "SELECT * FROM t WHERE \"a\" IS NOT NULL AND ROW(\"a\") <= ROW($1::pg_catalog.text::integer) ORDER BY \"a\" FOR SHARE"
        );
        assert_eq!(
            rows_sql("SELECT * FROM t", &keys[..1], true, true, None),
            "SELECT * FROM t WHERE \"a\" IS NOT NULL AND ROW(\"a\") > ROW($1::pg_catalog.text::integer) AND ROW(\"a\") <= ROW($2::pg_catalog.text::integer) ORDER BY \"a\" FOR SHARE"
        );
    }

    #[test]
    fn internal_table() {
        assert!(is_internal_table("cedar_cdc", "snapshot_state"));
        assert!(!is_internal_table("public", "snapshot_state"));
    }
}
