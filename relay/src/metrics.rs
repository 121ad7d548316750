//! Prometheus text metrics on `--metrics-addr`: a tiny HTTP/1.0 listener thread.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The figures of the last progress tick.
#[derive(Default)]
pub struct Metrics {
    events: AtomicU64,
    /// Events per second, as f64 bits.
    rate: AtomicU64,
    acked_lsn: AtomicU64,
    lag: AtomicU64,
    in_flight: AtomicU64,
}

impl Metrics {
    pub fn set(&self, events: u64, rate: f64, acked_lsn: u64, lag: u64, in_flight: u64) {
        self.events.store(events, Ordering::Relaxed);
        self.rate.store(rate.to_bits(), Ordering::Relaxed);
        self.acked_lsn.store(acked_lsn, Ordering::Relaxed);
        self.lag.store(lag, Ordering::Relaxed);
        self.in_flight.store(in_flight, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn text(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "# HELP cedar_cdc_relay_events_total Records produced.\n\
             # TYPE cedar_cdc_relay_events_total counter\n\
             cedar_cdc_relay_events_total {}\n\
             # HELP cedar_cdc_relay_events_per_second Records produced per second over the last status interval.\n\
             # TYPE cedar_cdc_relay_events_per_second gauge\n\
             cedar_cdc_relay_events_per_second {}\n\
             # HELP cedar_cdc_relay_acked_lsn The position every record before which the broker acknowledged (confirmed to PostgreSQL).\n\
             # TYPE cedar_cdc_relay_acked_lsn gauge\n\
             cedar_cdc_relay_acked_lsn {}\n\
             # HELP cedar_cdc_relay_lag_bytes Server WAL end minus the acknowledged position.\n\
             # TYPE cedar_cdc_relay_lag_bytes gauge\n\
             cedar_cdc_relay_lag_bytes {}\n\
             # HELP cedar_cdc_relay_in_flight_bytes Bytes produced and not yet acknowledged.\n\
             # TYPE cedar_cdc_relay_in_flight_bytes gauge\n\
             cedar_cdc_relay_in_flight_bytes {}\n",
            g(&self.events),
            f64::from_bits(g(&self.rate)),
            g(&self.acked_lsn),
            g(&self.lag),
            g(&self.in_flight)
        )
    }
}

/// Binds `addr` and answers every request with the metrics.
pub fn serve(addr: &str, m: Arc<Metrics>) -> std::io::Result<()> {
    let l = TcpListener::bind(addr)?;
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(1)));
            let mut req = [0u8; 1024];
            let _ = c.read(&mut req);
            let body = m.text();
            let _ = write!(
                c,
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let m = Metrics::default();
        m.set(7, 1.5, 42, 3, 9);
        let t = m.text();
        assert!(t.contains("cedar_cdc_relay_events_total 7\n"));
        assert!(t.contains("cedar_cdc_relay_events_per_second 1.5\n"));
        assert!(t.contains("cedar_cdc_relay_acked_lsn 42\n"));
        assert!(t.contains("cedar_cdc_relay_lag_bytes 3\n"));
    }
}
