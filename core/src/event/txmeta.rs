//! Transaction metadata (`provide.transaction.metadata`): event counts per data collection.

use super::Block;
use crate::encode::javamap::JavaHashMap;
use crate::encode::json;
use crate::encode::out::{Out, OutExt};

/// Transaction metadata of the transaction being decoded: event counts per data collection,
/// kept in a Java `HashMap` whose capacity survives `clear()`, as Debezium's does.
#[derive(Clone, Debug, Default)]
pub struct TxMeta {
    map: JavaHashMap,
    counts: Vec<u64>,
    /// Events so far (`total_order` of the last one, `event_count` at the end).
    pub total: u64,
}

impl TxMeta {
    /// Starts a new transaction.
    pub fn begin(&mut self) {
        self.map.clear();
        self.counts.clear();
        self.total = 0;
    }

    /// Counts an event of `collection` (`schema.table`) and returns its position.
    pub fn event(&mut self, collection: &str) -> Block {
        self.total += 1;
        let i = self.map.insert(collection);
        if i == self.counts.len() {
            self.counts.push(0);
        }
        self.counts[i] += 1;
        Block {
            total_order: self.total,
            data_collection_order: self.counts[i],
        }
    }

    /// Counts a message event: each has its own data collection in Debezium.
    pub fn message(&mut self) -> Block {
        self.total += 1;
        Block {
            total_order: self.total,
            data_collection_order: 1,
        }
    }

    /// `[{"data_collection":…,"event_count":…},…]` in `HashMap` order.
    pub fn write_collections(&self, o: &mut dyn Out) {
        o.put_u8(b'[');
        for (n, i) in self.map.order().into_iter().enumerate() {
            if n > 0 {
                o.put_u8(b',');
            }
            o.put(b"{\"data_collection\":");
            json::write_str(o, self.map.key(i).as_bytes());
            o.put(b",\"event_count\":");
            o.put_int(self.counts[i]);
            o.put_u8(b'}');
        }
        o.put_u8(b']');
    }
}
