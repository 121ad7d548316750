//! Which events a change yields.
//!
//! First pgoutput's decisions, since Debezium only sees what pgoutput sends: whether a change
//! is sent at all (publications, their actions, `skipped.operations` in Debezium's
//! publication) and whether a row filter turns an update into an insert or a delete
//! (`pgoutput_row_filter`). Then Debezium's: which changes it writes events for, a key change
//! becoming a delete and a create, `skipped.operations`, and the tombstone after a delete.
//! The plugin gathers the facts, asks here, and writes what the answer lists.

use super::{Op, Session};

/// Which of insert/update/delete/truncate a relation's publications publish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
}

impl Actions {
    /// Every action (no publication filtering).
    pub const ALL: Actions = Actions {
        insert: true,
        update: true,
        delete: true,
        truncate: true,
    };

    /// Whether any action is published.
    pub fn any(&self) -> bool {
        self.insert || self.update || self.delete || self.truncate
    }

    /// Whether changes of source operation `op` are published.
    pub fn publishes(&self, op: Op) -> bool {
        match op {
            Op::Create => self.insert,
            Op::Update => self.update,
            Op::Delete => self.delete,
            Op::Truncate => self.truncate,
            // Snapshot reads are not decoded changes: no publication action governs them.
            Op::Read => true,
        }
    }
}

/// What is known of a relation once, and cached with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableFacts {
    /// In the publications (or no publications given): pgoutput sends its changes.
    pub published: bool,
    /// The actions its publications publish.
    pub actions: Actions,
    /// Passes the table filters: Debezium writes events for it.
    pub captured: bool,
    /// pgoutput sends no column for it (no columns, or only generated ones): Debezium skips
    /// its inserts, updates and deletes (an empty message), though not its truncates.
    pub no_columns: bool,
    /// A partition published through its root: pgoutput sends its truncates only as the
    /// root's.
    pub via_root: bool,
}

/// How far a change gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// pgoutput would not send it: Debezium never sees it, nor its transaction because of it.
    Unsent,
    /// pgoutput sends it, so the transaction is seen (BEGIN, position), but Debezium writes no
    /// event for it.
    Silent,
    /// Debezium writes events for it.
    Decode,
}

/// The gate of an insert, update or delete of a table; `has_old` is whether the change
/// carries an old row (none for a delete under REPLICA IDENTITY NOTHING).
pub fn change_gate(t: &TableFacts, session: &Session, op: Op, has_old: bool) -> Gate {
    if !t.published || !t.actions.publishes(op) || !session.publishes(op) {
        Gate::Unsent
    } else if !t.captured || t.no_columns || (op == Op::Delete && !has_old) {
        Gate::Silent
    } else {
        Gate::Decode
    }
}

/// The gate of one table of a TRUNCATE.
pub fn truncate_gate(t: &TableFacts, session: &Session) -> Gate {
    if !session.publishes(Op::Truncate) || !t.published || !t.actions.truncate || t.via_root {
        Gate::Unsent
    } else if !t.captured || session.skips(Op::Truncate) {
        Gate::Silent
    } else {
        Gate::Decode
    }
}

/// pgoutput's row-filter rule: the operation a change is sent as, or `None` when it is not
/// sent. `old_passes` and `new_passes` evaluate the filter of `op` on the old row and on the
/// new row (with unchanged TOAST values taken from the old row); each is called only when
/// pgoutput evaluates it.
pub fn row_filtered(
    op: Op,
    has_old: bool,
    old_passes: impl FnOnce() -> bool,
    new_passes: impl FnOnce() -> bool,
) -> Option<Op> {
    match op {
        Op::Create => new_passes().then_some(Op::Create),
        Op::Delete => old_passes().then_some(Op::Delete),
        Op::Update if !has_old => new_passes().then_some(Op::Update),
        Op::Update => match (old_passes(), new_passes()) {
            (false, false) => None,
            // The row starts to match: subscribers have no old row, so it is an insert.
            (false, true) => Some(Op::Create),
            // The row stops matching: subscribers must drop it.
            (true, false) => Some(Op::Delete),
            (true, true) => Some(Op::Update),
        },
        Op::Truncate | Op::Read => Some(op),
    }
}

/// One of the two row images of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Image {
    Old,
    New,
}

/// One change event to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub op: Op,
    pub before: Option<Image>,
    pub after: Option<Image>,
    /// Where unchanged TOAST values of `after` are looked up (the old row holds them under
    /// REPLICA IDENTITY FULL).
    pub toast_from: Option<Image>,
    /// Follow the event with a tombstone keyed by `before`.
    pub tombstone: bool,
}

/// The events of one change, in order (at most two: a key change's delete and create).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    items: [Option<Event>; 2],
}

impl Events {
    fn push(&mut self, e: Event) {
        let slot = self.items.iter_mut().find(|s| s.is_none());
        if let Some(s) = slot {
            *s = Some(e);
        }
    }

    /// The events, in the order they are written.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.items.iter().flatten()
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the change yields no event.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Debezium's events for a change sent as `op` (after the row filter) whose source operation
/// was `source_op`. `key_changed` compares the old and new keys; it is called only for an
/// update with an old row.
pub fn events(
    session: &Session,
    source_op: Op,
    op: Op,
    has_old: bool,
    key_changed: impl FnOnce() -> bool,
) -> Events {
    use Image::{New, Old};
    let ev = |op, before, after, toast_from| Event {
        op,
        before,
        after,
        toast_from,
        tombstone: false,
    };
    let candidates: [Option<Event>; 2] = match op {
        // An update the row filter turned into an insert keeps the old row's TOAST values.
        Op::Create if source_op == Op::Update && has_old => {
            [Some(ev(Op::Create, None, Some(New), Some(Old))), None]
        }
        Op::Create => [Some(ev(Op::Create, None, Some(New), None)), None],
        Op::Update if !has_old => [Some(ev(Op::Update, None, Some(New), None)), None],
        Op::Update if key_changed() => [
            // Debezium: a key change is a delete of the old key and a create of the new.
            Some(ev(Op::Delete, Some(Old), None, None)),
            Some(ev(Op::Create, None, Some(New), Some(Old))),
        ],
        Op::Update => [Some(ev(Op::Update, Some(Old), Some(New), Some(Old))), None],
        Op::Delete => [Some(ev(Op::Delete, Some(Old), None, None)), None],
        Op::Truncate | Op::Read => [None, None],
    };
    let mut out = Events::default();
    // skipped.operations applies to each event Debezium writes (a key change's delete and
    // create count as `d` and `c`).
    for mut e in candidates.into_iter().flatten() {
        if session.skips(e.op) {
            continue;
        }
        e.tombstone = e.op == Op::Delete && session.emits_tombstones();
        out.push(e);
    }
    out
}

/// What a logical decoding message becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageAction {
    /// A message with `heartbeat.message.prefix`: a heartbeat record.
    Heartbeat,
    /// A message event (`op` `m`).
    Message,
    /// Left out by `message.prefix.include.list` / `…exclude.list`.
    Filtered,
    /// A chunk of an on-demand snapshot (prefix [`super::incremental::CHUNK_PREFIX`]): its
    /// rows become `r` events in the slot it names, never a message event.
    SnapshotChunk,
}

/// What a message with `prefix` becomes.
pub fn message_action(session: &Session, prefix: &[u8]) -> MessageAction {
    let cfg = &session.cfg;
    if prefix == super::incremental::CHUNK_PREFIX.as_bytes() {
        MessageAction::SnapshotChunk
    } else if prefix == cfg.heartbeat_message_prefix.as_bytes() {
        MessageAction::Heartbeat
    } else if cfg
        .filters
        .message_included(&String::from_utf8_lossy(prefix))
    {
        MessageAction::Message
    } else {
        MessageAction::Filtered
    }
}

#[cfg(test)]
mod tests {
    use super::Image::{New, Old};
    use super::*;
    use crate::config::Config;

    fn session(opts: &[(&str, &str)]) -> Session {
        let cfg = Config::parse("db", opts.iter().map(|(n, v)| (*n, Some(*v)))).unwrap();
        Session::new(cfg, "db")
    }

    fn table() -> TableFacts {
        TableFacts {
            published: true,
            actions: Actions::ALL,
            captured: true,
            ..TableFacts::default()
        }
    }

    fn ops(e: &Events) -> Vec<(Op, bool)> {
        e.iter().map(|e| (e.op, e.tombstone)).collect()
    }

    #[test]
    fn gates_follow_pgoutput_then_debezium() {
        let s = session(&[]);
        assert_eq!(change_gate(&table(), &s, Op::Create, false), Gate::Decode);
        let unpublished = TableFacts {
            published: false,
            ..table()
        };
        assert_eq!(
            change_gate(&unpublished, &s, Op::Create, false),
            Gate::Unsent
        );
        let no_updates = TableFacts {
            actions: Actions {
                update: false,
                ..Actions::ALL
            },
            ..table()
        };
        assert_eq!(change_gate(&no_updates, &s, Op::Update, true), Gate::Unsent);
        assert_eq!(change_gate(&no_updates, &s, Op::Delete, true), Gate::Decode);
        let filtered = TableFacts {
            captured: false,
            ..table()
        };
        assert_eq!(change_gate(&filtered, &s, Op::Create, false), Gate::Silent);
        let no_columns = TableFacts {
            no_columns: true,
            ..table()
        };
        assert_eq!(change_gate(&no_columns, &s, Op::Update, true), Gate::Silent);
        // REPLICA IDENTITY NOTHING: a delete without an old row.
        assert_eq!(change_gate(&table(), &s, Op::Delete, false), Gate::Silent);
        // An explicit skipped.operations leaves the operation out of Debezium's publication.
        let skip_u = session(&[("skipped.operations", "u")]);
        assert_eq!(
            change_gate(&table(), &skip_u, Op::Update, true),
            Gate::Unsent
        );
        assert_eq!(
            change_gate(&table(), &skip_u, Op::Create, false),
            Gate::Decode
        );
    }

    #[test]
    fn truncates() {
        // Truncates are skipped by default: still sent, so the transaction is seen.
        assert_eq!(truncate_gate(&table(), &session(&[])), Gate::Silent);
        let none = session(&[("skipped.operations", "none")]);
        assert_eq!(truncate_gate(&table(), &none), Gate::Decode);
        let via_root = TableFacts {
            via_root: true,
            ..table()
        };
        assert_eq!(truncate_gate(&via_root, &none), Gate::Unsent);
        let skip_t = session(&[("skipped.operations", "t")]);
        assert_eq!(truncate_gate(&table(), &skip_t), Gate::Unsent);
    }

    #[test]
    fn row_filters_turn_updates_into_inserts_and_deletes() {
        let f = |op, has_old, old: bool, new: bool| row_filtered(op, has_old, || old, || new);
        assert_eq!(f(Op::Create, false, false, true), Some(Op::Create));
        assert_eq!(f(Op::Create, false, true, false), None);
        assert_eq!(f(Op::Delete, true, true, false), Some(Op::Delete));
        assert_eq!(f(Op::Delete, true, false, true), None);
        assert_eq!(f(Op::Update, true, true, true), Some(Op::Update));
        assert_eq!(f(Op::Update, true, false, true), Some(Op::Create));
        assert_eq!(f(Op::Update, true, true, false), Some(Op::Delete));
        assert_eq!(f(Op::Update, true, false, false), None);
        // Without an old row only the new one is checked.
        assert_eq!(f(Op::Update, false, false, true), Some(Op::Update));
        assert_eq!(f(Op::Update, false, true, false), None);
        let old_checked = std::cell::Cell::new(false);
        row_filtered(Op::Update, false, || old_checked.replace(true), || true);
        assert!(!old_checked.get(), "no old row, no evaluation");
    }

    #[test]
    fn events_of_each_change() {
        let s = session(&[]);
        let e = events(&s, Op::Create, Op::Create, false, || unreachable!());
        assert_eq!(
            e.iter().copied().collect::<Vec<_>>(),
            vec![Event {
                op: Op::Create,
                before: None,
                after: Some(New),
                toast_from: None,
                tombstone: false
            }]
        );
        let u = events(&s, Op::Update, Op::Update, true, || false);
        let u: Vec<_> = u.iter().copied().collect();
        assert_eq!(
            (u[0].before, u[0].after, u[0].toast_from),
            (Some(Old), Some(New), Some(Old))
        );
        // An update without an old row (REPLICA IDENTITY DEFAULT, key unchanged).
        let u = events(&s, Op::Update, Op::Update, false, || unreachable!());
        assert_eq!(u.iter().next().unwrap().before, None);
        // A row filter's insert from an update keeps the old row for TOAST values.
        let c = events(&s, Op::Update, Op::Create, true, || unreachable!());
        assert_eq!(c.iter().next().unwrap().toast_from, Some(Old));
        let d = events(&s, Op::Delete, Op::Delete, true, || unreachable!());
        assert_eq!(
            ops(&d),
            vec![(Op::Delete, false)],
            "no tombstone in value format"
        );
    }

    #[test]
    fn key_changes_tombstones_and_skipped_operations() {
        let rec = session(&[("output.format", "record")]);
        let k = events(&rec, Op::Update, Op::Update, true, || true);
        assert_eq!(ops(&k), vec![(Op::Delete, true), (Op::Create, false)]);
        let v: Vec<_> = k.iter().copied().collect();
        assert_eq!((v[0].before, v[0].after), (Some(Old), None));
        assert_eq!((v[1].after, v[1].toast_from), (Some(New), Some(Old)));
        let no_tomb = session(&[
            ("output.format", "record"),
            ("tombstones.on.delete", "false"),
        ]);
        let d = events(&no_tomb, Op::Delete, Op::Delete, true, || false);
        assert_eq!(ops(&d), vec![(Op::Delete, false)]);
        // skipped.operations drops each event of a key change on its own.
        let skip_d = session(&[("output.format", "record"), ("skipped.operations", "d")]);
        let k = events(&skip_d, Op::Update, Op::Update, true, || true);
        assert_eq!(ops(&k), vec![(Op::Create, false)]);
        let skip_u = session(&[("skipped.operations", "u")]);
        assert!(events(&skip_u, Op::Update, Op::Update, true, || false).is_empty());
        assert_eq!(
            events(&skip_u, Op::Update, Op::Update, true, || true).len(),
            2
        );
    }

    #[test]
    fn messages() {
        let s = session(&[("message.prefix.exclude.list", "secret.*")]);
        assert_eq!(message_action(&s, b"app"), MessageAction::Message);
        assert_eq!(message_action(&s, b"secret1"), MessageAction::Filtered);
        assert_eq!(
            message_action(&s, b"__debezium-heartbeat"),
            MessageAction::Heartbeat
        );
    }
}
