//! The byte sink every encoder writes into.
//!
//! The plugin implements [`Out`] directly on PostgreSQL's output `StringInfo`, so events are
//! encoded straight into the buffer that is sent; tests use `Vec<u8>`.

/// A growable byte buffer.
pub trait Out {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// Appends one byte.
    #[inline]
    fn put_u8(&mut self, b: u8) {
        self.put(&[b]);
    }

    /// Appends a string.
    #[inline]
    fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }
}

/// Helpers on every [`Out`], including `dyn Out`.
pub trait OutExt: Out {
    /// Appends an integer in decimal.
    #[inline]
    fn put_int<I: itoa::Integer>(&mut self, i: I) {
        let mut b = itoa::Buffer::new();
        self.put(b.format(i).as_bytes());
    }
}

impl<T: Out + ?Sized> OutExt for T {}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn put_u8(&mut self, b: u8) {
        self.push(b);
    }
}
