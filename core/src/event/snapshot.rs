//! Snapshot records (`op` `r`): the `source.snapshot` markers and the order of the tables, as
//! Debezium's initial snapshot (`RelationalSnapshotChangeEventSource`, one snapshot thread)
//! sets them.

use super::{Session, Txn};
use crate::config::filters::Filter;
use crate::error::{Error, ErrorCode};

/// `source.snapshot` of a snapshot record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SnapshotMarker {
    First,
    FirstInDataCollection,
    True,
    LastInDataCollection,
    Last,
    /// A record of an incremental snapshot (Debezium's `SnapshotRecord.INCREMENTAL`): every
    /// row of an on-demand snapshot carries it, whatever its place in the table.
    Incremental,
}

impl SnapshotMarker {
    /// Every marker, in declaration order (for per-marker pre-rendered parts).
    pub const ALL: [SnapshotMarker; 5] = [
        SnapshotMarker::First,
        SnapshotMarker::FirstInDataCollection,
        SnapshotMarker::True,
        SnapshotMarker::LastInDataCollection,
        SnapshotMarker::Last,
    ];

    /// The value Debezium writes (`SnapshotRecord.toSource`).
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotMarker::First => "first",
            SnapshotMarker::FirstInDataCollection => "first_in_data_collection",
            SnapshotMarker::True => "true",
            SnapshotMarker::LastInDataCollection => "last_in_data_collection",
            SnapshotMarker::Last => "last",
            SnapshotMarker::Incremental => "incremental",
        }
    }

    /// Index into [`SnapshotMarker::ALL`] (not for `Incremental`, which is not in it).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Where a record stands in the snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnapshotPosition {
    /// Its table is the first of the snapshot's order (even when that table is empty, as
    /// Debezium's `tableOrder == 1`).
    pub first_table: bool,
    /// The first row of its table.
    pub first_in_table: bool,
    /// The last row of its table.
    pub last_in_table: bool,
    /// No record follows it in the whole snapshot (the tables after it are empty or absent).
    pub last_record: bool,
}

impl SnapshotPosition {
    /// Debezium's marker: `SnapshotMarkerResolver.resolve(firstInTable && firstTable,
    /// lastInTable && lastTable, firstInTable, lastInTable)`, and `last` for the record that
    /// ends the snapshot (`BufferingSnapshotChangeRecordReceiver.completeSnapshot` marks the
    /// buffered final record `last` even when empty tables follow its own).
    pub fn marker(self) -> SnapshotMarker {
        if self.last_record {
            SnapshotMarker::Last
        } else if self.first_in_table && self.first_table {
            SnapshotMarker::First
        } else if self.last_in_table {
            SnapshotMarker::LastInDataCollection
        } else if self.first_in_table {
            SnapshotMarker::FirstInDataCollection
        } else {
            SnapshotMarker::True
        }
    }
}

impl Session {
    /// The transaction facts of a snapshot's records, one per marker (index with
    /// [`SnapshotMarker::index`]): Debezium gives every record of the snapshot the snapshot
    /// transaction's `pg_current_xact_id()` as `txId`, its start time (`CURRENT_TIMESTAMP`,
    /// µs since 2000-01-01) as `ts_*`, and `sequence` `[null,"<lsn>"]`; the record's `lsn`
    /// is the slot's consistent point, given with each event.
    pub fn snapshot_txns(&self, xid: u64, time: i64) -> Vec<Txn> {
        SnapshotMarker::ALL
            .iter()
            .map(|&m| {
                let mut t = Txn {
                    xid: Some(xid),
                    commit_time: time,
                    snapshot: Some(m),
                    ..Txn::default()
                };
                self.prepare_txn(&mut t);
                t
            })
            .collect()
    }
}

/// Compares two strings as Java's `String.compareTo` does (by UTF-16 code units).
fn java_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The order Debezium snapshots `tables` (`(schema, table)` pairs) in: sorted by
/// `<schema>.<table>` (`TableId.compareTo`), and with a `table.include.list` grouped by its
/// patterns in list order, each table at its first matching pattern
/// (`addSignalingCollectionAndSort`). Returns indexes into `tables`.
pub fn snapshot_order(table_filter: &Filter, tables: &[(String, String)]) -> Vec<usize> {
    let ids: Vec<String> = tables.iter().map(|(s, t)| format!("{s}.{t}")).collect();
    let mut sorted: Vec<usize> = (0..tables.len()).collect();
    sorted.sort_by(|&a, &b| java_cmp(&ids[a], &ids[b]));
    let Filter::Include(patterns) = table_filter else {
        return sorted;
    };
    let mut seen = vec![false; tables.len()];
    let mut out = Vec::with_capacity(tables.len());
    for re in patterns.patterns() {
        for &i in &sorted {
            if !seen[i] && re.is_match(&ids[i]) {
                seen[i] = true;
                out.push(i);
            }
        }
    }
    out
}

/// The errors of a snapshot's bad input, each naming the problem and its fix.
pub mod errors {
    use super::{Error, ErrorCode};

    const HOW: &str = "Over a replication=database connection: BEGIN ISOLATION LEVEL REPEATABLE READ; CREATE_REPLICATION_SLOT <slot> LOGICAL cedar_cdc (SNAPSHOT 'use'); SELECT cedar_cdc.snapshot_records('<slot>', …); COMMIT;";

    /// Not in a REPEATABLE READ (or SERIALIZABLE) transaction.
    pub fn not_repeatable_read() -> Error {
        Error::new(
            ErrorCode::ObjectNotInPrerequisiteState,
            "cedar_cdc.snapshot_records() must run in a REPEATABLE READ transaction",
        )
        .detail("Each table would otherwise be read under a new snapshot, not the slot's.")
        .hint(HOW)
    }

    /// `output.format=framed` given to `snapshot_records`, which returns text.
    pub fn framed_is_binary() -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            "cedar_cdc.snapshot_records() returns text and cannot return output.format=framed",
        )
        .hint("Use cedar_cdc.snapshot_frames(), which returns the frames as bytea.")
    }

    /// An `output.format` other than framed given to `snapshot_frames`.
    pub fn frames_only(format: &str) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!(
                "cedar_cdc.snapshot_frames() returns output.format=framed, not output.format={format}"
            ),
        )
        .hint("Use cedar_cdc.snapshot_records() for the value and record formats.")
    }

    /// An options array element that is NULL.
    pub fn null_option() -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            "an option must not be NULL",
        )
        .hint("Give options as 'name=value' texts, as pg_recvlogical -o takes them.")
    }

    /// No slot of that name.
    pub fn slot_missing(slot: &str) -> Error {
        Error::new(
            ErrorCode::UndefinedObject,
            format!("replication slot \"{slot}\" does not exist"),
        )
        .hint(HOW)
    }

    /// A slot of another output plugin, or a physical slot.
    pub fn slot_not_cedar(slot: &str, plugin: Option<&str>) -> Error {
        Error::new(
            ErrorCode::WrongObjectType,
            format!("replication slot \"{slot}\" is not a cedar_cdc slot"),
        )
        .detail(match plugin {
            Some(p) => format!("It uses output plugin \"{p}\"."),
            None => "It is a physical slot.".to_string(),
        })
        .hint(format!("The snapshot's records are continued by the slot's stream, so the slot must use cedar_cdc. {HOW}"))
    }

    /// A slot of another database.
    pub fn slot_other_database(slot: &str, database: &str) -> Error {
        Error::new(
            ErrorCode::WrongObjectType,
            format!("replication slot \"{slot}\" belongs to database \"{database}\""),
        )
        .hint(format!(
            "Connect to database \"{database}\" to snapshot its tables."
        ))
    }

    /// A `tables` element that names no relation.
    pub fn table_missing(name: &str) -> Error {
        Error::new(
            ErrorCode::UndefinedTable,
            format!("table \"{name}\" does not exist"),
        )
        .hint("Name tables as schema.table, quoting mixed-case names (public.\"Orders\"); unqualified names are looked up in the search_path.")
    }

    /// A `tables` element that is not a table.
    pub fn not_a_table(name: &str) -> Error {
        Error::new(
            ErrorCode::WrongObjectType,
            format!("\"{name}\" is not a table"),
        )
        .hint("Only tables and partitioned tables are snapshotted, as Debezium snapshots them.")
    }

    /// A `tables` element the options' filters leave out.
    pub fn table_filtered(name: &str) -> Error {
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("table \"{name}\" is not captured by the given options"),
        )
        .detail("The schema.* and table.* include/exclude lists leave it out, or it is a system table.")
        .hint("Give the snapshot the same options as the slot's stream, and list only tables they capture.")
    }

    /// A `tables` element that none of `publication_names` publishes.
    pub fn table_unpublished(name: &str, publications: &[String]) -> Error {
        let pubs = publications
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(", ");
        Error::new(
            ErrorCode::InvalidParameterValue,
            format!("table \"{name}\" is not published by publication {pubs}"),
        )
        .detail("The slot would stream none of its changes.")
        .hint(format!("Add it to the publication (SELECT cedar_cdc.add_table('<publication>', '{name}')), or leave it out of the tables to snapshot."))
    }

    /// The caller may not read a table.
    pub fn no_select(name: &str) -> Error {
        Error::new(
            ErrorCode::InsufficientPrivilege,
            format!("permission denied for table {name}"),
        )
        .detail("The snapshot reads every captured table with the caller's rights.")
        .hint(format!("GRANT SELECT ON {name} TO the role taking the snapshot, or leave the table out with the table filters or the tables argument."))
    }
}

#[cfg(test)]
mod tests {
    use super::SnapshotMarker::*;
    use super::*;

    /// The markers of a snapshot of tables with these row counts, as Debezium writes them.
    fn markers(rows: &[usize]) -> Vec<SnapshotMarker> {
        let total: usize = rows.iter().sum();
        let mut out = Vec::new();
        for (t, &n) in rows.iter().enumerate() {
            for r in 0..n {
                out.push(
                    SnapshotPosition {
                        first_table: t == 0,
                        first_in_table: r == 0,
                        last_in_table: r + 1 == n,
                        last_record: out.len() + 1 == total,
                    }
                    .marker(),
                );
            }
        }
        out
    }

    #[test]
    fn markers_follow_debezium() {
        assert_eq!(markers(&[3]), [First, True, Last]);
        assert_eq!(markers(&[1]), [Last]);
        assert_eq!(
            markers(&[2, 3, 1]),
            [
                First,
                LastInDataCollection,
                FirstInDataCollection,
                True,
                LastInDataCollection,
                Last
            ]
        );
        // A one-row table in the middle: last before first.
        assert_eq!(
            markers(&[2, 1, 2]),
            [
                First,
                LastInDataCollection,
                LastInDataCollection,
                FirstInDataCollection,
                Last
            ]
        );
        // An empty first table: no record is marked `first`.
        assert_eq!(markers(&[0, 2]), [FirstInDataCollection, Last]);
        // Empty tables at the end: the final record is still `last`.
        assert_eq!(markers(&[2, 0, 0]), [First, Last]);
        assert_eq!(markers(&[1, 0]), [Last]);
        assert_eq!(markers(&[0, 0]), []);
    }

    #[test]
    fn marker_texts() {
        let texts: Vec<&str> = SnapshotMarker::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(
            texts,
            [
                "first",
                "first_in_data_collection",
                "true",
                "last_in_data_collection",
                "last"
            ]
        );
        for (i, m) in SnapshotMarker::ALL.iter().enumerate() {
            assert_eq!(m.index(), i);
        }
    }

    fn names(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn table_order() {
        let t = names(&[
            ("public", "b"),
            ("public", "B"),
            ("public", "a_x"),
            ("inv", "z"),
            ("public", "a"),
            ("public", "\u{1F600}"),
            ("public", "\u{FF21}"),
        ]);
        // Java order: code units, so '.' < '_' and the surrogate pair before U+FF21.
        assert_eq!(snapshot_order(&Filter::All, &t), [3, 1, 4, 2, 0, 5, 6]);
        let mut f = crate::config::filters::Filters::default();
        f.table
            .set("table", true, "public\\.b.*,inv\\..*,public\\..*")
            .unwrap();
        assert_eq!(snapshot_order(&f.table, &t), [1, 0, 3, 4, 2, 5, 6]);
        // An exclude list does not reorder.
        let mut f = crate::config::filters::Filters::default();
        f.table.set("table", false, "public\\.a").unwrap();
        assert_eq!(snapshot_order(&f.table, &t), [3, 1, 4, 2, 0, 5, 6]);
    }
}
