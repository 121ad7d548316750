//! The iteration order of a `java.util.HashMap<String, …>` filled in a given order.
//!
//! Debezium writes hstore maps (and transaction `data_collections`) in `HashMap` order, so we
//! reproduce OpenJDK's algorithm: `String.hashCode` over UTF-16 units, the `h ^ (h >>> 16)`
//! spread, power-of-two tables from 16 that double when the size passes 3/4 of the capacity
//! (a split keeps the relative order of a bucket), and the resize a 9-entry bucket forces
//! while the table is smaller than 64. Buckets that OpenJDK would turn into trees (9+ keys in
//! one bucket of a table of 64 or more) keep list order here; see the README.

/// Java's `String.hashCode`.
pub fn string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for u in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(u));
    }
    h
}

/// A simulated `HashMap` that keeps its capacity across `clear()`, as Java's does.
#[derive(Clone, Debug)]
pub struct JavaHashMap {
    cap: usize,
    /// Buckets of (hash, key index in insertion order).
    buckets: Vec<Vec<(u32, usize)>>,
    keys: Vec<String>,
}

impl Default for JavaHashMap {
    fn default() -> Self {
        JavaHashMap {
            cap: 16,
            buckets: vec![Vec::new(); 16],
            keys: Vec::new(),
        }
    }
}

impl JavaHashMap {
    /// Inserts a key (a repeated key keeps its place). Returns its index in insertion order.
    pub fn insert(&mut self, key: &str) -> usize {
        self.insert_hashed(key, string_hash(key))
    }

    /// Inserts a key whose Java `hashCode()` is `hash` (not `String.hashCode` of its text: an
    /// object that keeps `Object.hashCode`, such as Debezium's logical-message id).
    pub fn insert_hashed(&mut self, key: &str, hash: i32) -> usize {
        let h = hash as u32;
        let h = h ^ (h >> 16);
        let b = (h as usize) & (self.cap - 1);
        if let Some(&(_, i)) = self.buckets[b].iter().find(|(_, i)| self.keys[*i] == key) {
            return i;
        }
        let idx = self.keys.len();
        self.keys.push(key.to_string());
        self.buckets[b].push((h, idx));
        // treeifyBin on a bin that reached 9 nodes resizes instead while the table is small.
        if self.buckets[b].len() >= 9 && self.cap < 64 {
            self.resize();
        }
        if self.keys.len() > self.cap * 3 / 4 {
            self.resize();
        }
        idx
    }

    fn resize(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        let old_cap = self.cap;
        self.cap *= 2;
        self.buckets = vec![Vec::new(); self.cap];
        for (j, bucket) in old.into_iter().enumerate() {
            for (h, i) in bucket {
                let to = if (h as usize) & old_cap == 0 {
                    j
                } else {
                    j + old_cap
                };
                self.buckets[to].push((h, i));
            }
        }
    }

    /// Removes every key but keeps the capacity (`HashMap.clear()`).
    pub fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.keys.clear();
    }

    /// Insertion indexes in iteration order.
    pub fn order(&self) -> Vec<usize> {
        self.buckets.iter().flatten().map(|&(_, i)| i).collect()
    }

    /// The key inserted at `index`.
    pub fn key(&self, index: usize) -> &str {
        &self.keys[index]
    }

    /// The keys in iteration order.
    pub fn keys(&self) -> Vec<&str> {
        self.order()
            .into_iter()
            .map(|i| self.keys[i].as_str())
            .collect()
    }
}

/// Iteration order of a fresh map filled with `keys` in order: indexes into `keys`.
pub fn order<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let mut m = JavaHashMap::default();
    let mut pos = Vec::new();
    for k in keys {
        pos.push(m.insert(k));
    }
    // Map insertion indexes (of distinct keys) back to the first position of each key.
    let mut first = Vec::new();
    for (p, &i) in pos.iter().enumerate() {
        if i == first.len() {
            first.push(p);
        }
    }
    m.order().into_iter().map(|i| first[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_codes_like_java() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("public.ri_default"), 561_865_950);
        assert_eq!(string_hash("public.cpk"), 1_903_345_817);
        assert_eq!(string_hash("😀"), 1_772_899); // 0xD83D * 31 + 0xDE00
    }

    #[test]
    fn orders_like_java() {
        // Debezium's test expectation {"key5":null,"key4":"val4"} and the captured
        // data_collections order.
        let keys = ["key4", "key5"];
        let o = order(keys.iter().copied());
        assert_eq!(
            o.iter().map(|&i| keys[i]).collect::<Vec<_>>(),
            ["key5", "key4"]
        );
        let keys = ["public.cpk", "public.ri_default"];
        let o = order(keys.iter().copied());
        assert_eq!(
            o.iter().map(|&i| keys[i]).collect::<Vec<_>>(),
            ["public.ri_default", "public.cpk"]
        );
        assert_eq!(order(["k1", "k2"]), [0, 1]);
    }

    #[test]
    fn clear_keeps_capacity() {
        let mut m = JavaHashMap::default();
        m.insert("public.x");
        m.insert("public.p");
        assert_eq!(m.keys(), ["public.p", "public.x"]);
        m.clear();
        for i in 0..14 {
            m.insert(&format!("public.t{i}"));
        }
        m.clear();
        m.insert("public.x");
        m.insert("public.p");
        assert_eq!(m.keys(), ["public.x", "public.p"]);
    }
}
