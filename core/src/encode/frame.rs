//! `output.format=framed`: one binary frame per logical decoding message, for the Kafka relay.
//!
//! The record format escapes every key and value a second time as a JSON string; a frame
//! carries the exact bytes instead, length-prefixed, so the relay hands them to the producer
//! as they are. The value is last and runs to the end of the message (the CopyData message
//! already carries its length), so it is written straight into the output buffer.
//!
//! Layout (integers big-endian):
//! - record: `'R'`, topic length `u16`, topic, key length `u32` (`0xFFFF_FFFF` = null key),
//!   key, value flag `u8` (0 = null value, a tombstone; 1 = present), value (the rest);
//! - commit: `'C'`, LSN `u64`: every record before it belongs to a unit (a transaction, or a
//!   non-transactional message) that is complete once they are acknowledged, and the LSN is
//!   the position to confirm as flushed then.

use super::out::Out;

/// Tag of a record frame.
pub const RECORD: u8 = b'R';
/// Tag of a commit frame.
pub const COMMIT: u8 = b'C';
/// The key length that means a Kafka null key.
pub const NULL_KEY: u32 = u32::MAX;

/// Writes a record frame's head: tag, topic and key. The value flag and value follow.
#[inline]
pub fn write_head<O: Out + ?Sized>(o: &mut O, topic: &[u8], key: Option<&[u8]>) {
    // Kafka topic names are at most 249 characters; sanitized names are ASCII.
    let tlen = topic.len().min(u16::MAX as usize);
    o.put_u8(RECORD);
    o.put(&(tlen as u16).to_be_bytes());
    o.put(&topic[..tlen]);
    match key {
        Some(k) => {
            o.put(&(k.len() as u32).to_be_bytes());
            o.put(k);
        }
        None => o.put(&NULL_KEY.to_be_bytes()),
    }
}

/// Writes the value flag; when `present`, the value bytes follow to the end of the message.
#[inline]
pub fn write_value_flag<O: Out + ?Sized>(o: &mut O, present: bool) {
    o.put_u8(u8::from(present));
}

/// Writes a commit frame.
pub fn write_commit<O: Out + ?Sized>(o: &mut O, lsn: u64) {
    o.put_u8(COMMIT);
    o.put(&lsn.to_be_bytes());
}

/// One decoded frame, borrowing the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Record {
        topic: &'a [u8],
        key: Option<&'a [u8]>,
        value: Option<&'a [u8]>,
    },
    Commit {
        lsn: u64,
    },
}

/// Why a message is not a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError(pub String);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FrameError {}

fn take<'a>(b: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], FrameError> {
    if b.len() < n {
        return Err(FrameError(format!(
            "frame truncated in its {what}: {n} bytes needed, {} left",
            b.len()
        )));
    }
    let (h, t) = b.split_at(n);
    *b = t;
    Ok(h)
}

/// Decodes one message of `output.format=framed`.
pub fn decode(msg: &[u8]) -> Result<Frame<'_>, FrameError> {
    let mut b = msg;
    let tag = take(&mut b, 1, "tag")?[0];
    match tag {
        RECORD => {
            let tlen = u16::from_be_bytes(
                take(&mut b, 2, "topic length")?
                    .try_into()
                    .unwrap_or_default(),
            );
            let topic = take(&mut b, usize::from(tlen), "topic")?;
            let klen = u32::from_be_bytes(
                take(&mut b, 4, "key length")?
                    .try_into()
                    .unwrap_or_default(),
            );
            let key = if klen == NULL_KEY {
                None
            } else {
                Some(take(&mut b, klen as usize, "key")?)
            };
            let value = match take(&mut b, 1, "value flag")?[0] {
                0 if b.is_empty() => None,
                0 => {
                    return Err(FrameError(format!(
                        "null value followed by {} bytes",
                        b.len()
                    )))
                }
                1 => Some(b),
                f => return Err(FrameError(format!("bad value flag {f}"))),
            };
            Ok(Frame::Record { topic, key, value })
        }
        COMMIT => {
            let lsn = u64::from_be_bytes(take(&mut b, 8, "LSN")?.try_into().unwrap_or_default());
            if !b.is_empty() {
                return Err(FrameError(format!(
                    "commit frame followed by {} bytes",
                    b.len()
                )));
            }
            Ok(Frame::Commit { lsn })
        }
        t => Err(FrameError(format!(
            "unknown frame tag 0x{t:02x} (is the slot's output.format framed?)"
        ))),
    }
}

/// Encodes a frame (the decoder's inverse; the plugin writes the parts directly).
pub fn encode(f: &Frame<'_>) -> Vec<u8> {
    let mut o = Vec::new();
    match *f {
        Frame::Record { topic, key, value } => {
            write_head(&mut o, topic, key);
            write_value_flag(&mut o, value.is_some());
            if let Some(v) = value {
                o.put(v);
            }
        }
        Frame::Commit { lsn } => write_commit(&mut o, lsn),
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cases = [
            Frame::Record {
                topic: b"db.public.t",
                key: Some(b"{\"id\":1}"),
                value: Some(b"{\"op\":\"c\"}"),
            },
            Frame::Record {
                topic: b"db.public.t",
                key: Some(b"{\"id\":1}"),
                value: None,
            },
            Frame::Record {
                topic: b"t",
                key: None,
                value: Some(b""),
            },
            Frame::Record {
                topic: b"",
                key: Some(b""),
                value: None,
            },
            Frame::Commit { lsn: 0x1_0000_002a },
        ];
        for f in cases {
            assert_eq!(decode(&encode(&f)), Ok(f));
        }
    }

    #[test]
    fn exact_bytes() {
        let f = Frame::Record {
            topic: b"ab",
            key: None,
            value: Some(b"v"),
        };
        assert_eq!(encode(&f), b"R\x00\x02ab\xff\xff\xff\xff\x01v");
        assert_eq!(
            encode(&Frame::Commit { lsn: 0x0102 }),
            b"C\x00\x00\x00\x00\x00\x00\x01\x02"
        );
        // An empty value is not a null value.
        assert_ne!(
            decode(b"R\x00\x01t\x00\x00\x00\x00\x01"),
            decode(b"R\x00\x01t\x00\x00\x00\x00\x00")
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b""[..],
            b"X",
            b"R",
            b"R\x00\x05ab",
            b"R\x00\x01t\x00\x00\x00\x09k",
            b"R\x00\x01t\xff\xff\xff\xff",
            b"R\x00\x01t\xff\xff\xff\xff\x02",
            b"R\x00\x01t\xff\xff\xff\xff\x00junk",
            b"C\x00",
            b"C\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
