//! The replication CopyData messages (PostgreSQL's "Streaming Replication Protocol"):
//! XLogData and primary keepalive from the server, Standby Status Update to it.

/// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// A message from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerMsg<'a> {
    /// `w`: one output plugin message starting at `start`.
    XLogData {
        start: u64,
        wal_end: u64,
        data: &'a [u8],
    },
    /// `k`: the server's WAL end; `reply` asks for a status update now.
    Keepalive { wal_end: u64, reply: bool },
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Parses a CopyData message of the replication stream.
pub fn parse(msg: &[u8]) -> Result<ServerMsg<'_>, String> {
    let bad = || format!("malformed replication message of {} bytes", msg.len());
    match msg.first() {
        Some(b'w') => Ok(ServerMsg::XLogData {
            start: be64(msg, 1).ok_or_else(bad)?,
            wal_end: be64(msg, 9).ok_or_else(bad)?,
            // 17..25 is the send time.
            data: msg.get(25..).ok_or_else(bad)?,
        }),
        Some(b'k') => Ok(ServerMsg::Keepalive {
            wal_end: be64(msg, 1).ok_or_else(bad)?,
            reply: *msg.get(17).ok_or_else(bad)? != 0,
        }),
        Some(t) => Err(format!("unexpected replication message type 0x{t:02x}")),
        None => Err(bad()),
    }
}

/// A Standby Status Update (`r`): written, flushed and applied positions, our clock.
pub fn status_update(written: u64, flushed: u64, now_unix_us: i64, reply: bool) -> [u8; 34] {
    let mut m = [0u8; 34];
    m[0] = b'r';
    m[1..9].copy_from_slice(&written.to_be_bytes());
    m[9..17].copy_from_slice(&flushed.to_be_bytes());
    // Applied = flushed: the relay applies nothing of its own.
    m[17..25].copy_from_slice(&flushed.to_be_bytes());
    m[25..33].copy_from_slice(&(now_unix_us - PG_EPOCH_OFFSET_US).to_be_bytes());
    m[33] = u8::from(reply);
    m
}

/// `X/Y` as PostgreSQL prints an LSN.
pub fn lsn(l: u64) -> String {
    format!("{:X}/{:X}", l >> 32, l & 0xffff_ffff)
}

/// Parses PostgreSQL's `X/Y` text of an LSN.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    let hi = u32::from_str_radix(hi, 16).ok()?;
    let lo = u32::from_str_radix(lo, 16).ok()?;
    Some((u64::from(hi) << 32) | u64::from(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_xlogdata_and_keepalive() {
        let mut w = vec![b'w'];
        w.extend(5u64.to_be_bytes());
        w.extend(9u64.to_be_bytes());
        w.extend(0i64.to_be_bytes());
        w.extend(b"abc");
        assert_eq!(
            parse(&w),
            Ok(ServerMsg::XLogData {
                start: 5,
                wal_end: 9,
                data: b"abc"
            })
        );
        let mut k = vec![b'k'];
        k.extend(0x1_0000_0010u64.to_be_bytes());
        k.extend(0i64.to_be_bytes());
        k.push(1);
        assert_eq!(
            parse(&k),
            Ok(ServerMsg::Keepalive {
                wal_end: 0x1_0000_0010,
                reply: true
            })
        );
        assert!(parse(&k[..10]).is_err());
        assert!(parse(b"x").is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn status_update_layout() {
        let m = status_update(0x20, 0x10, PG_EPOCH_OFFSET_US + 7, false);
        assert_eq!(m[0], b'r');
        assert_eq!(be64(&m, 1), Some(0x20));
        assert_eq!(be64(&m, 9), Some(0x10));
        assert_eq!(be64(&m, 17), Some(0x10));
        assert_eq!(be64(&m, 25), Some(7));
        assert_eq!(m[33], 0);
        assert_eq!(lsn(0x1_0000_00AB), "1/AB");
        assert_eq!(parse_lsn("1/AB"), Some(0x1_0000_00AB));
        assert_eq!(parse_lsn(&lsn(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_lsn("1AB"), None);
        assert_eq!(parse_lsn("1/G"), None);
    }
}
