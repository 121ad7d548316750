//! `cedar_cdc.snapshot_records(slot, options, tables)`: the initial snapshot as the `op` `r`
//! records of Debezium's `snapshot.mode=initial`, read under the calling transaction's
//! snapshot.
//!
//! Called over a replication connection right after `CREATE_REPLICATION_SLOT … (SNAPSHOT
//! 'use')` in the same REPEATABLE READ transaction, it reads exactly the data the slot's stream
//! starts after. Everything is checked before the first record (the tables, their capture, the
//! caller's rights); then each table is read through an SPI cursor in batches, one row's
//! memory at a time, and encoded with the plan and encoder the plugin streams with. The
//! markers, table order and `source` facts are the core's (`event::snapshot`).
//!
//! A read of part of a table (by key range, or any condition) reuses the pieces: a
//! [`SnapshotTable`] (plan and column mapping), a [`TableReader`] opened with a `WHERE`
//! condition, and `event::Session::write_change` with `Op::Read` and the `Txn` its records
//! carry.

use std::collections::VecDeque;
use std::ffi::CString;

use cedar_cdc_core::config::{Config, OutputFormat, ReadPath};
use cedar_cdc_core::error::Error;
use cedar_cdc_core::event::{self, snapshot_errors as errors, At, Op, SnapshotPosition, Txn};
use cedar_cdc_core::plan::table::TablePlan;
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::{raise, OrRaise};
use crate::plugin::catalog::{self, cstr};
use crate::plugin::memory::{in_change_memory, OwnedContext};
use crate::plugin::publication;
use crate::plugin::tuple::{AttrInfo, TupleBuf};

/// Rows fetched from a cursor at a time.
const BATCH: i64 = 256;

/// The `r` records of every captured table (or of `tables`), in Debezium's order, for the
/// slot `slot` whose stream continues them; `options` as `pg_recvlogical -o` takes them
/// (`name=value`), the same as the slot's stream is given.
#[pg_extern(volatile, parallel_unsafe)]
fn snapshot_records(
    slot: &str,
    options: default!(Vec<Option<String>>, "'{}'"),
    tables: default!(Option<Vec<Option<String>>>, "NULL"),
) -> SetOfIterator<'static, String> {
    let s = Snapshot::start(slot, &options, tables.as_deref(), Encoding::Text);
    SetOfIterator::new(s.map(|r| {
        String::from_utf8(r).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }))
}

/// The same records as `snapshot_records`, as `output.format=framed` frames (bytea): what
/// `cedar-cdc-relay --snapshot initial` produces to Kafka, with no second escaping.
#[pg_extern(volatile, parallel_unsafe)]
fn snapshot_frames(
    slot: &str,
    options: default!(Vec<Option<String>>, "'{}'"),
    tables: default!(Option<Vec<Option<String>>>, "NULL"),
) -> SetOfIterator<'static, Vec<u8>> {
    SetOfIterator::new(Snapshot::start(
        slot,
        &options,
        tables.as_deref(),
        Encoding::Frames,
    ))
}

/// What a snapshot function returns.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    /// Text: the value or record format.
    Text,
    /// `output.format=framed`, whatever the options say (another format is an error).
    Frames,
}

/// Whether `name` is among the `name=value` options.
fn has_option(options: &[Option<String>], name: &str) -> bool {
    options
        .iter()
        .flatten()
        .any(|o| o.split_once('=').map_or(o.as_str(), |(n, _)| n) == name)
}

/// `name=value` options (a bare `name` has no value, as with `pg_recvlogical -o name`).
pub(crate) fn parse_options(options: &[Option<String>]) -> Result<Config, Error> {
    let mut pairs = Vec::with_capacity(options.len());
    for o in options {
        let o = o.as_deref().ok_or_else(errors::null_option)?;
        pairs.push(match o.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (o, None),
        });
    }
    let mut cfg = Config::parse("", pairs)?;
    cfg.read_path = ReadPath::Snapshot;
    Ok(cfg)
}

/// The connected database's name.
pub(crate) fn database_name() -> String {
    // SAFETY: a catalog lookup inside the caller's transaction.
    unsafe { cstr(pg_sys::get_database_name(pg_sys::MyDatabaseId)) }
}

/// The slot's consistent point: where its stream starts. Checks that it is a cedar_cdc slot of
/// this database.
pub(crate) fn slot_start(slot: &str, database: &str) -> Result<u64, Error> {
    let row = Spi::connect(|c| {
        let t = c.select(
            "SELECT plugin::text, database::text, (confirmed_flush_lsn - '0/0'::pg_lsn)::int8 \
             FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
            Some(1),
            &[slot.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let r = t.first();
        Ok(Some((
            r.get::<String>(1)?,
            r.get::<String>(2)?,
            r.get::<i64>(3)?,
        )))
    })
    .unwrap_or_else(|e| {
        raise(Error::new(
            cedar_cdc_core::error::ErrorCode::Internal,
            e.to_string(),
        ))
    });
    let Some((plugin, db, lsn)) = row else {
        return Err(errors::slot_missing(slot));
    };
    if plugin.as_deref() != Some("cedar_cdc") {
        return Err(errors::slot_not_cedar(slot, plugin.as_deref()));
    }
    if let Some(db) = db.filter(|d| d != database) {
        return Err(errors::slot_other_database(slot, &db));
    }
    Ok(lsn.unwrap_or(0) as u64)
}

/// A relation named by the caller or found in the catalog.
pub(crate) struct Candidate {
    pub oid: pg_sys::Oid,
    pub schema: String,
    pub table: String,
    pub kind: u8,
}

/// Tables and partitioned tables outside the system schemas: what Debezium's
/// `getAllTableIds` lists (pgjdbc's `TABLE` and `PARTITIONED TABLE` types).
fn all_tables() -> Vec<Candidate> {
    Spi::connect(|c| {
        let t = c.select(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' \
               AND n.nspname <> 'information_schema' ORDER BY n.nspname, c.relname",
            None,
            &[],
        )?;
        t.into_iter()
            .map(|r| {
                Ok(Candidate {
                    oid: r.get::<pg_sys::Oid>(1)?.unwrap_or(pg_sys::InvalidOid),
                    schema: r.get::<String>(2)?.unwrap_or_default(),
                    table: r.get::<String>(3)?.unwrap_or_default(),
                    kind: r
                        .get::<String>(4)?
                        .unwrap_or_default()
                        .bytes()
                        .next()
                        .unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, pgrx::spi::Error>>()
    })
    .unwrap_or_else(|e| {
        raise(Error::new(
            cedar_cdc_core::error::ErrorCode::Internal,
            e.to_string(),
        ))
    })
}

/// The relation a `tables` element names.
pub(crate) fn named_table(name: &str) -> Result<Candidate, Error> {
    let found = Spi::connect(|c| {
        let t = c.select(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = pg_catalog.to_regclass($1)",
            Some(1),
            &[name.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let r = t.first();
        Ok(Some(Candidate {
            oid: r.get::<pg_sys::Oid>(1)?.unwrap_or(pg_sys::InvalidOid),
            schema: r.get::<String>(2)?.unwrap_or_default(),
            table: r.get::<String>(3)?.unwrap_or_default(),
            kind: r
                .get::<String>(4)?
                .unwrap_or_default()
                .bytes()
                .next()
                .unwrap_or(0),
        }))
    })
    .unwrap_or_else(|e| {
        raise(Error::new(
            cedar_cdc_core::error::ErrorCode::Internal,
            e.to_string(),
        ))
    });
    let c = found.ok_or_else(|| errors::table_missing(name))?;
    if c.kind != b'r' && c.kind != b'p' {
        return Err(errors::not_a_table(name));
    }
    Ok(c)
}

/// `"schema"."table"`, quoted for SQL.
pub(crate) fn quoted_name(schema: &str, table: &str) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!("{}.{}", q(schema), q(table))
}

/// One table of a snapshot: its plan and how its rows are read.
pub struct SnapshotTable {
    pub plan: TablePlan,
    pub attrs: Vec<AttrInfo>,
    /// `SELECT <columns> FROM "schema"."table"`: the planned columns in attribute order (what
    /// Debezium's snapshot selects; dropped and unsupported columns are not read).
    pub select: String,
    /// `"schema"."table"`.
    pub from: String,
    /// The relation attribute of each selected column.
    pub map: Vec<usize>,
    natts: usize,
    /// Owns the output functions' state.
    _cxt: OwnedContext,
}

impl SnapshotTable {
    /// Plans `c` for a snapshot with `cfg`, or says why it is not read: the options or the
    /// publications leave it out, or the caller may not read it. Takes the table's ACCESS SHARE lock (as
    /// its SELECT would), held to the end of the transaction.
    pub(crate) fn plan(
        cfg: &Config,
        pubs: Option<&[*mut pg_sys::Publication]>,
        c: &Candidate,
        parent: pg_sys::MemoryContext,
    ) -> Result<Self, Excluded> {
        if !cfg.filters.table_included(&c.schema, &c.table)
            || event::incremental::is_internal_table(&c.schema, &c.table)
        {
            return Err(Excluded::Filtered);
        }
        // SAFETY: the relation exists (found in the catalog in this transaction); it is
        // opened with the lock a SELECT takes and closed keeping the lock.
        let rel = unsafe { pg_sys::relation_open(c.oid, pg_sys::AccessShareLock as i32) };
        // SAFETY: opened above.
        let t = unsafe { Self::plan_open(cfg, pubs, rel, c, parent) };
        // SAFETY: opened above; the lock is kept.
        unsafe { pg_sys::relation_close(rel, pg_sys::NoLock as i32) };
        let t = t?;
        let cols = t.map.iter().copied();
        if !may_select(c.oid, cols) {
            return Err(Excluded::NoSelect);
        }
        Ok(t)
    }

    /// Plans the open relation `rel` (of `c`) for a snapshot with `cfg`, or says why it is
    /// not read (the publications leave it out); no privilege check (the decoding side plans
    /// an on-demand snapshot's chunks with it, whose rows the caller has read).
    ///
    /// # Safety
    /// `rel` is a valid open relation, described by `c`.
    pub(crate) unsafe fn plan_open(
        cfg: &Config,
        pubs: Option<&[*mut pg_sys::Publication]>,
        rel: pg_sys::Relation,
        c: &Candidate,
        parent: pg_sys::MemoryContext,
    ) -> Result<Self, Excluded> {
        let published = match pubs {
            // SAFETY: an open relation; the publications were loaded in this transaction.
            Some(p) => unsafe { publication::decide(p, rel) }.or_raise().is_some(),
            None => true,
        };
        if !published {
            return Err(Excluded::Unpublished);
        }
        let owned = OwnedContext::new(parent, c"cedar_cdc snapshot table");
        // SAFETY: an open relation; output function state goes into the table's context. A
        // snapshot ignores publication column lists, as Debezium's SELECT does.
        let (plan, attrs, _) = unsafe {
            catalog::plan_relation(
                cfg,
                rel,
                (&c.table, &c.schema),
                (None, Some(true)),
                owned.get(),
            )
        };
        // SAFETY: an open relation.
        let natts = unsafe { (*(*rel).rd_att).natts as usize };
        // Debezium selects the value's columns (a key column left out of the value reads as
        // NULL), or every column when the filters leave none.
        let selected = if plan.columns.is_empty() {
            &plan.key
        } else {
            &plan.columns
        };
        let mut cols: Vec<(usize, &str)> = selected
            .iter()
            .map(|col| (col.attr, col.name.as_str()))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        let names: Vec<String> = cols
            .iter()
            .map(|(_, n)| format!("\"{}\"", n.replace('"', "\"\"")))
            .collect();
        let map = cols.iter().map(|(a, _)| *a).collect();
        let from = quoted_name(&c.schema, &c.table);
        Ok(SnapshotTable {
            select: format!("SELECT {} FROM {from}", names.join(", ")),
            from,
            plan,
            attrs,
            map,
            natts,
            _cxt: owned,
        })
    }
}

/// Why a table is not snapshotted.
pub(crate) enum Excluded {
    Filtered,
    Unpublished,
    /// The caller may not SELECT it (always an error: Debezium's snapshot would fail).
    NoSelect,
}

/// Whether the current user may SELECT the table, or at least all of `attrs`.
pub(crate) fn may_select(relid: pg_sys::Oid, attrs: impl Iterator<Item = usize>) -> bool {
    // SAFETY: privilege checks of an existing relation and its attributes.
    unsafe {
        let user = pg_sys::GetUserId();
        if pg_sys::pg_class_aclcheck(relid, user, pg_sys::ACL_SELECT as pg_sys::AclMode)
            == pg_sys::AclResult::ACLCHECK_OK
        {
            return true;
        }
        let mut attrs = attrs.peekable();
        attrs.peek().is_some()
            && attrs.all(|a| {
                pg_sys::pg_attribute_aclcheck(
                    relid,
                    (a + 1) as i16,
                    user,
                    pg_sys::ACL_SELECT as pg_sys::AclMode,
                ) == pg_sys::AclResult::ACLCHECK_OK
            })
    }
}

/// An SPI cursor over one table's rows.
pub struct TableReader {
    portal: CString,
}

impl TableReader {
    /// Opens a cursor over `table`'s rows, with an extra `WHERE` condition when given (for
    /// reads of a part of a table). Must be called inside an SPI connection.
    ///
    /// # Safety
    /// Inside `SPI_connect` … `SPI_finish`; `cond` is a trusted SQL boolean expression.
    pub unsafe fn open(table: &SnapshotTable, cond: Option<&str>) -> Self {
        let sql = match cond {
            Some(c) => format!("{} WHERE {c}", table.select),
            None => table.select.clone(),
        };
        let sql = CString::new(sql).unwrap_or_default();
        // SAFETY: inside an SPI connection (the caller vouches); the portal outlives it, to
        // the end of the transaction or until closed. Read-only: the transaction snapshot.
        unsafe {
            let plan = pg_sys::SPI_prepare(sql.as_ptr(), 0, std::ptr::null_mut());
            let portal = pg_sys::SPI_cursor_open(
                std::ptr::null(),
                plan,
                std::ptr::null_mut(),
                std::ptr::null(),
                true,
            );
            TableReader {
                portal: std::ffi::CStr::from_ptr((*portal).name).to_owned(),
            }
        }
    }

    /// Fetches up to `n` rows into `SPI_tuptable`; returns how many.
    ///
    /// # Safety
    /// Inside an SPI connection, in the transaction that opened the cursor.
    pub unsafe fn fetch(&self, n: i64) -> usize {
        // SAFETY: the cursor this reader opened, in this transaction.
        unsafe {
            let portal = pg_sys::SPI_cursor_find(self.portal.as_ptr());
            pg_sys::SPI_cursor_fetch(portal, true, n as _);
            pg_sys::SPI_processed as usize
        }
    }

    /// Closes the cursor.
    ///
    /// # Safety
    /// Inside an SPI connection, in the transaction that opened the cursor.
    pub unsafe fn close(self) {
        // SAFETY: the cursor this reader opened, still open.
        unsafe {
            let portal = pg_sys::SPI_cursor_find(self.portal.as_ptr());
            if !portal.is_null() {
                pg_sys::SPI_cursor_close(portal);
            }
        }
    }
}

/// The state of one snapshot between calls.
struct Snapshot {
    session: event::Session,
    tables: Vec<SnapshotTable>,
    /// Per table: whether it has no rows, once known.
    empty: Vec<Option<bool>>,
    /// The record facts of each marker (`SnapshotMarker::index`).
    txns: Vec<Txn>,
    lsn: u64,
    /// The table being read (index into `tables`, which is in snapshot order).
    pos: usize,
    reader: Option<TableReader>,
    /// Rows of the current table written so far.
    rows: u64,
    /// The last row fetched and its descriptor, copied into `held_cxt` and held until the
    /// next fetch tells whether it ends its table.
    held: Option<(pg_sys::HeapTuple, pg_sys::TupleDesc)>,
    /// Owns the contexts below.
    _cxt: OwnedContext,
    held_cxt: pg_sys::MemoryContext,
    /// Per-row memory (detoasted values, output function results), reset after each row.
    row_cxt: pg_sys::MemoryContext,
    /// The fetched rows not yet returned, copied into `batch_cxt`: each is encoded only when
    /// the executor asks for it, so one record's memory is live at a time (encoding a whole
    /// batch ahead churned megabytes of heap per fetch through `brk`).
    pending: VecDeque<Pending>,
    /// Owns the pending rows and `batch_desc`; reset once they are all returned.
    batch_cxt: pg_sys::MemoryContext,
    /// The pending rows' descriptor (one table per batch), copied once per batch.
    batch_desc: pg_sys::TupleDesc,
    /// The previous record's length: the next record's buffer starts that large.
    last_len: usize,
    buf: TupleBuf,
    raw: TupleBuf,
    scratch: Vec<u8>,
}

impl Snapshot {
    /// Checks everything and plans every table; no record is produced before all is known
    /// to be readable.
    fn start(
        slot: &str,
        options: &[Option<String>],
        tables: Option<&[Option<String>]>,
        encoding: Encoding,
    ) -> Self {
        let mut cfg = parse_options(options).or_raise();
        match (encoding, cfg.output_format) {
            (Encoding::Text, OutputFormat::Framed) => raise(errors::framed_is_binary()),
            (Encoding::Frames, OutputFormat::Value) if has_option(options, "output.format") => {
                raise(errors::frames_only("value"))
            }
            (Encoding::Frames, OutputFormat::Record) => raise(errors::frames_only("record")),
            (Encoding::Frames, _) => cfg.output_format = OutputFormat::Framed,
            (Encoding::Text, _) => {}
        }
        // SAFETY: reads the backend's transaction isolation level.
        if unsafe { pg_sys::XactIsoLevel } < pg_sys::XACT_REPEATABLE_READ as i32 {
            raise(errors::not_repeatable_read());
        }
        let db = database_name();
        if cfg.topic_prefix.is_empty() {
            cfg.topic_prefix = db.clone();
        }
        let lsn = slot_start(slot, &db).or_raise();
        let pubs = (!cfg.publication_names.is_empty())
            .then(|| publication::load(&cfg.publication_names).or_raise());
        // SAFETY: the current memory context is the function's multi-call context, which
        // lives as long as this state (whose contexts are its children).
        let parent = unsafe { pg_sys::CurrentMemoryContext };
        let mut planned: Vec<(String, String, SnapshotTable)> = Vec::new();
        match tables {
            None => {
                for c in all_tables() {
                    match SnapshotTable::plan(&cfg, pubs.as_deref(), &c, parent) {
                        Ok(t) => planned.push((c.schema, c.table, t)),
                        Err(Excluded::NoSelect) => {
                            raise(errors::no_select(&quoted_name(&c.schema, &c.table)))
                        }
                        Err(Excluded::Filtered | Excluded::Unpublished) => {}
                    }
                }
            }
            Some(names) => {
                for name in names {
                    let name = name
                        .as_deref()
                        .unwrap_or_else(|| raise(errors::table_missing("NULL")));
                    let c = named_table(name).or_raise();
                    if planned
                        .iter()
                        .any(|(s, t, _)| *s == c.schema && *t == c.table)
                    {
                        continue;
                    }
                    let label = quoted_name(&c.schema, &c.table);
                    match SnapshotTable::plan(&cfg, pubs.as_deref(), &c, parent) {
                        Ok(t) => planned.push((c.schema, c.table, t)),
                        Err(Excluded::NoSelect) => raise(errors::no_select(&label)),
                        Err(Excluded::Filtered) => raise(errors::table_filtered(name)),
                        Err(Excluded::Unpublished) => {
                            raise(errors::table_unpublished(name, &cfg.publication_names))
                        }
                    }
                }
            }
        }
        let names: Vec<(String, String)> = planned
            .iter()
            .map(|(s, t, _)| (s.clone(), t.clone()))
            .collect();
        let order = event::snapshot_order(&cfg.filters.table, &names);
        let mut slots: Vec<Option<SnapshotTable>> =
            planned.into_iter().map(|(_, _, t)| Some(t)).collect();
        let tables: Vec<SnapshotTable> = order.iter().filter_map(|&i| slots[i].take()).collect();
        // Debezium's snapshot transaction: its xid (pg_current_xact_id(), which assigns one)
        // and its start time (CURRENT_TIMESTAMP).
        // SAFETY: transaction state of the running transaction.
        let (xid, time) = unsafe {
            (
                pg_sys::GetTopFullTransactionId().value,
                pg_sys::GetCurrentTransactionStartTimestamp(),
            )
        };
        let session = event::Session::new(cfg, &db);
        let cxt = OwnedContext::new(parent, c"cedar_cdc snapshot");
        let txns = session.snapshot_txns(xid, time);
        Snapshot {
            session,
            empty: vec![None; tables.len()],
            tables,
            txns,
            lsn,
            pos: 0,
            reader: None,
            rows: 0,
            held: None,
            held_cxt: cxt.child(c"cedar_cdc snapshot held row"),
            row_cxt: cxt.child(c"cedar_cdc snapshot row"),
            batch_cxt: cxt.child(c"cedar_cdc snapshot batch"),
            batch_desc: std::ptr::null_mut(),
            last_len: 0,
            _cxt: cxt,
            pending: VecDeque::new(),
            buf: TupleBuf::default(),
            raw: TupleBuf::default(),
            scratch: Vec::new(),
        }
    }

    /// Whether every table after the current one is empty (each probed at most once, under
    /// the same snapshot).
    ///
    /// # Safety
    /// Inside an SPI connection.
    unsafe fn rest_empty(&mut self) -> bool {
        for j in self.pos + 1..self.tables.len() {
            let empty = match self.empty[j] {
                Some(e) => e,
                None => {
                    let sql = CString::new(format!("SELECT FROM {} LIMIT 1", self.tables[j].from))
                        .unwrap_or_default();
                    // SAFETY: inside an SPI connection (the caller vouches); read-only.
                    let e = unsafe {
                        pg_sys::SPI_execute(sql.as_ptr(), true, 1);
                        pg_sys::SPI_processed == 0
                    };
                    self.empty[j] = Some(e);
                    e
                }
            };
            if !empty {
                return false;
            }
        }
        true
    }

    /// Queues one fetched row of the current table with its place in the snapshot, copied
    /// into the batch context (the SPI tuple table is freed after the fetch).
    ///
    /// # Safety
    /// Inside an SPI connection; `tuple` is a row of the current table's cursor (of `desc`).
    unsafe fn queue(
        &mut self,
        tuple: pg_sys::HeapTuple,
        desc: pg_sys::TupleDesc,
        last_in_table: bool,
    ) {
        let last_record = last_in_table && {
            // SAFETY: the caller is inside an SPI connection.
            unsafe { self.rest_empty() }
        };
        let position = SnapshotPosition {
            first_table: self.pos == 0,
            first_in_table: self.rows == 0,
            last_in_table,
            last_record,
        };
        self.rows += 1;
        // SAFETY: copies into the batch context, which lives until the pending rows are
        // returned; the descriptor is copied once per batch (all its rows are of one table).
        let tuple = unsafe {
            let old = pg_sys::MemoryContextSwitchTo(self.batch_cxt);
            if self.batch_desc.is_null() {
                self.batch_desc = pg_sys::CreateTupleDescCopy(desc);
            }
            let t = pg_sys::heap_copytuple(tuple);
            pg_sys::MemoryContextSwitchTo(old);
            t
        };
        self.pending.push_back(Pending {
            tuple,
            table: self.pos,
            position,
        });
    }

    /// Encodes one queued row.
    ///
    /// # Safety
    /// `p` was queued from this snapshot's cursor, in this transaction, and `batch_desc` is
    /// its descriptor.
    unsafe fn encode(&mut self, p: Pending) -> Vec<u8> {
        let Snapshot {
            session,
            tables,
            txns,
            lsn,
            buf,
            raw,
            scratch,
            row_cxt,
            batch_desc,
            last_len,
            ..
        } = self;
        let t = &tables[p.table];
        let at = At {
            txn: &txns[p.position.marker().index()],
            lsn: *lsn,
            block: None,
            now_us: now_us(),
        };
        let mut record = Vec::with_capacity(*last_len);
        in_change_memory(*row_cxt, || {
            // SAFETY: the row and its descriptor come from the cursor; TOAST pointers are
            // fetched under the transaction's snapshot, into the row context.
            unsafe {
                buf.deform_mapped(p.tuple, *batch_desc, &t.map, t.natts, raw);
                buf.fetch_toasted(&t.attrs);
            }
            let row = buf.row(&t.attrs);
            session.write_change(
                &mut record,
                &t.plan,
                &at,
                Op::Read,
                None,
                Some(&row),
                None,
                scratch,
            );
        });
        *last_len = record.len();
        record
    }

    /// Fetches until at least one row is pending or the snapshot is complete.
    fn refill(&mut self) {
        // SAFETY: no pending row is left in the batch context.
        unsafe { pg_sys::MemoryContextReset(self.batch_cxt) };
        self.batch_desc = std::ptr::null_mut();
        while self.pending.is_empty() && self.pos < self.tables.len() {
            // SAFETY: one SPI connection around the reads of this step, finished before
            // returning; the fetched rows are copied (into the batch context, the held row
            // into its own) before SPI_finish frees them.
            unsafe {
                pg_sys::SPI_connect();
                self.step();
                pg_sys::SPI_finish();
            }
        }
    }

    /// One fetch of the current table (or moving past it).
    ///
    /// # Safety
    /// Inside an SPI connection.
    unsafe fn step(&mut self) {
        if self.reader.is_none() {
            if self.empty[self.pos] == Some(true) {
                self.pos += 1;
                return;
            }
            // SAFETY: inside an SPI connection (the caller vouches).
            self.reader = Some(unsafe { TableReader::open(&self.tables[self.pos], None) });
            self.rows = 0;
        }
        let reader = self.reader.as_ref().expect("opened above");
        // SAFETY: inside an SPI connection; the tuple table holds `n` rows of its descriptor
        // until it is freed below.
        unsafe {
            let n = reader.fetch(BATCH);
            let tt = pg_sys::SPI_tuptable;
            let desc = if tt.is_null() {
                std::ptr::null_mut()
            } else {
                (*tt).tupdesc
            };
            let done = (n as i64) < BATCH;
            if let Some((h, hdesc)) = self.held.take() {
                // The held row ends its table when nothing follows it.
                self.queue(h, hdesc, n == 0);
                pg_sys::MemoryContextReset(self.held_cxt);
            }
            for i in 0..n {
                let tuple = *(*tt).vals.add(i);
                if i + 1 < n {
                    self.queue(tuple, desc, false);
                } else if done {
                    self.queue(tuple, desc, true);
                } else {
                    let old = pg_sys::MemoryContextSwitchTo(self.held_cxt);
                    self.held = Some((
                        pg_sys::heap_copytuple(tuple),
                        pg_sys::CreateTupleDescCopy(desc),
                    ));
                    pg_sys::MemoryContextSwitchTo(old);
                }
            }
            if !tt.is_null() {
                pg_sys::SPI_freetuptable(tt);
            }
            if done {
                self.empty[self.pos] = Some(self.rows == 0);
                if let Some(r) = self.reader.take() {
                    r.close();
                }
                self.pos += 1;
            }
        }
    }
}

impl Iterator for Snapshot {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            self.refill();
        }
        let p = self.pending.pop_front()?;
        // SAFETY: queued by this snapshot in this transaction; the batch context and its
        // descriptor are reset only by the next refill, when no row is pending.
        Some(unsafe { self.encode(p) })
    }
}

/// A fetched row waiting to be encoded: the row (in the batch context), its table (index into
/// `Snapshot::tables`) and its place in the snapshot (known at fetch time, when the next rows
/// and tables can still be looked at).
struct Pending {
    tuple: pg_sys::HeapTuple,
    table: usize,
    position: SnapshotPosition,
}

/// Processing time (µs since 1970) for the envelope's `ts_*`.
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
