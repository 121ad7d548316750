//! The relay's frame decoder (`frame::decode`) on any bytes.
//!
//! Invariants: no panic; a message that decodes re-encodes to exactly itself (the framing is
//! unambiguous), and a frame built from arbitrary parts decodes to those parts.
#![no_main]

use cedar_cdc_core::encode::frame::{decode, encode, Frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = decode(data) {
        assert_eq!(encode(&f), data, "{f:?}");
    }
    // Split the input into a topic, a key and a value and round-trip the frame.
    let a = data.first().copied().unwrap_or(0) as usize;
    let rest = data.get(1..).unwrap_or_default();
    let (topic, rest) = rest.split_at(a.min(rest.len()));
    let b = rest.first().copied().unwrap_or(0) as usize;
    let rest = rest.get(1..).unwrap_or_default();
    let (key, value) = rest.split_at(b.min(rest.len()));
    let key = (b % 3 != 0).then_some(key);
    let value = (a % 2 == 0).then_some(value);
    let f = Frame::Record { topic, key, value };
    assert_eq!(decode(&encode(&f)), Ok(f));
});
