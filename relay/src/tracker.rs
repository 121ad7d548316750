//! Which position may be confirmed to PostgreSQL: the at-least-once bookkeeping.
//!
//! The stream is a sequence of units (a transaction, or a non-transactional message), each a
//! run of records closed by a commit frame carrying the LSN to confirm once all of them are
//! acknowledged. Units complete out of order at the broker but are released in stream
//! order: the flush position only moves past a unit when it and every unit before it are
//! fully acknowledged.

use std::collections::VecDeque;

#[derive(Debug)]
struct Unit {
    outstanding: u64,
    bytes: u64,
    /// Set by the commit frame; `None` while records may still come.
    commit: Option<u64>,
}

/// Units in stream order, from the oldest not yet released.
#[derive(Debug, Default)]
pub struct Tracker {
    units: VecDeque<Unit>,
    /// Id of `units[0]`.
    base: u64,
    /// The highest position released (0 before any).
    flushed: u64,
    in_flight_bytes: u64,
    in_flight_records: u64,
}

impl Tracker {
    /// A record of `bytes` is being produced; returns the id of its unit for the delivery
    /// report.
    pub fn record(&mut self, bytes: u64) -> u64 {
        if self.units.back().is_none_or(|u| u.commit.is_some()) {
            self.units.push_back(Unit {
                outstanding: 0,
                bytes: 0,
                commit: None,
            });
        }
        let u = self.units.back_mut().expect("a unit was just ensured");
        u.outstanding += 1;
        u.bytes += bytes;
        self.in_flight_bytes += bytes;
        self.in_flight_records += 1;
        self.base + self.units.len() as u64 - 1
    }

    /// A commit frame closes the open unit (or stands alone when the unit produced nothing).
    pub fn commit(&mut self, lsn: u64) {
        match self.units.back_mut() {
            Some(u) if u.commit.is_none() => u.commit = Some(lsn),
            _ => self.units.push_back(Unit {
                outstanding: 0,
                bytes: 0,
                commit: Some(lsn),
            }),
        }
    }

    /// The broker acknowledged one record of unit `id` (`bytes` as given to `record`).
    pub fn acked(&mut self, id: u64, bytes: u64) {
        let Some(u) = id
            .checked_sub(self.base)
            .and_then(|i| self.units.get_mut(i as usize))
        else {
            return;
        };
        u.outstanding = u.outstanding.saturating_sub(1);
        u.bytes = u.bytes.saturating_sub(bytes);
        self.in_flight_bytes = self.in_flight_bytes.saturating_sub(bytes);
        self.in_flight_records = self.in_flight_records.saturating_sub(1);
    }

    /// Releases the complete units at the front and returns the position that may be
    /// confirmed as flushed.
    pub fn flushable(&mut self) -> u64 {
        while let Some(u) = self.units.front() {
            match u.commit {
                Some(lsn) if u.outstanding == 0 => {
                    self.flushed = self.flushed.max(lsn);
                    self.units.pop_front();
                    self.base += 1;
                }
                _ => break,
            }
        }
        self.flushed
    }

    /// Nothing received is waiting for the broker and no unit is open: every change the
    /// server sent before now is acknowledged, so its WAL end may be confirmed.
    pub fn idle(&mut self) -> bool {
        self.flushable();
        self.units.is_empty()
    }

    /// Moves the position forward to the server's WAL end while idle (`pg_recvlogical` does
    /// the same with keepalives); never backwards.
    pub fn advance_idle(&mut self, wal_end: u64) {
        if self.idle() {
            self.flushed = self.flushed.max(wal_end);
        }
    }

    pub fn in_flight_bytes(&self) -> u64 {
        self.in_flight_bytes
    }

    pub fn in_flight_records(&self) -> u64 {
        self.in_flight_records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_in_order_only_when_acknowledged() {
        let mut t = Tracker::default();
        let a1 = t.record(10);
        let a2 = t.record(10);
        t.commit(100);
        let b1 = t.record(5);
        t.commit(200);
        assert_eq!((a1, a2, b1), (0, 0, 1));
        assert_eq!(t.in_flight_bytes(), 25);
        // The later unit completes first: nothing moves.
        t.acked(b1, 5);
        assert_eq!(t.flushable(), 0);
        t.acked(a1, 10);
        assert_eq!(
            t.flushable(),
            0,
            "one record of the first unit is still out"
        );
        t.acked(a2, 10);
        assert_eq!(t.flushable(), 200);
        assert_eq!(t.in_flight_bytes(), 0);
        assert!(t.idle());
    }

    #[test]
    fn open_unit_holds_the_position() {
        let mut t = Tracker::default();
        let a = t.record(1);
        t.acked(a, 1);
        assert_eq!(t.flushable(), 0, "no commit frame yet");
        assert!(!t.idle());
        t.advance_idle(999);
        assert_eq!(t.flushable(), 0, "keepalives do not move an open unit");
        t.commit(50);
        assert_eq!(t.flushable(), 50);
        t.advance_idle(999);
        assert_eq!(t.flushable(), 999);
        t.advance_idle(10);
        assert_eq!(t.flushable(), 999, "never backwards");
    }

    #[test]
    fn empty_units_and_stale_acks() {
        let mut t = Tracker::default();
        t.commit(10);
        t.commit(20);
        let a = t.record(3);
        t.commit(30);
        assert_eq!(t.flushable(), 20);
        t.acked(a + 7, 3); // unknown id: ignored
        assert_eq!(t.flushable(), 20);
        t.acked(a, 3);
        assert_eq!(t.flushable(), 30);
        t.acked(a, 3); // released already: ignored
        assert_eq!(t.in_flight_records(), 0);
    }
}
