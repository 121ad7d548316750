//! Transaction metadata (`provide.transaction.metadata`): event counts per data collection.

use super::Block;
use crate::encode::javamap::JavaHashMap;
use crate::encode::json;
use crate::encode::out::{Out, OutExt};

/// `LogicalDecodingMessageId.toString()` without its `@<identity hash>`.
pub const MESSAGE_COLLECTION: &str =
    "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId";

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

    /// Counts a message event written at `lsn`. In Debezium each message is its own data
    /// collection, a `LogicalDecodingMessageId` whose name ends in its JVM identity hash; the
    /// stand-in hash is the low 31 bits of the message's LSN (stable, distinct within a
    /// transaction under 2 GB), and it places the entry in the `HashMap` as the identity hash
    /// would, so the per-collection counts add up to `event_count`.
    pub fn message(&mut self, lsn: u64) -> Block {
        self.total += 1;
        let hash = (lsn & 0x7fff_ffff) as i32;
        let name = format!("{MESSAGE_COLLECTION}@{hash:x}");
        let i = self.map.insert_hashed(&name, hash);
        if i == self.counts.len() {
            self.counts.push(0);
        }
        self.counts[i] += 1;
        Block {
            total_order: self.total,
            data_collection_order: self.counts[i],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn collections(m: &TxMeta) -> String {
        let mut v = Vec::new();
        m.write_collections(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn messages_are_collections_whose_counts_add_up() {
        let mut m = TxMeta::default();
        m.begin();
        m.event("public.a");
        let b = m.message(0x1_8000_00a0);
        assert_eq!((b.total_order, b.data_collection_order), (2, 1));
        m.event("public.a");
        m.message(0x1c);
        assert_eq!(m.total, 4);
        // The message entries sit where their hashes (0xa0, 0x1c) put them: bucket 0 (0xa0 & 15)
        // before "public.a" (hashCode 0x4d1ac21c → spread bucket 6) and bucket 12 (0x1c) after.
        assert_eq!(
            collections(&m),
            concat!(
                r#"[{"data_collection":"io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@a0","event_count":1},"#,
                r#"{"data_collection":"public.a","event_count":2},"#,
                r#"{"data_collection":"io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@1c","event_count":1}]"#
            )
        );
    }
}
