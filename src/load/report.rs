//! What a run of `lab load` measured, and the histogram its latencies go into.

/// What a run measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub clients: usize,
    /// Clients that connected and registered.
    pub held: usize,
    pub conn_fail: usize,
    pub reg_secs: f64,
    pub expected: u64,
    pub deliveries: u64,
    pub lost: u64,
    pub secs: f64,
    pub deliv_per_s: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Report {
    /// One `key=value` line, as `loadgen` prints.
    pub fn line(&self) -> String {
        format!(
            concat!(
                "clients={} held={} conn_fail={} reg_secs={:.2} expected={} deliveries={} ",
                "lost={} secs={:.2} deliv_per_s={:.0} p50_us={} p99_us={} max_us={}"
            ),
            self.clients,
            self.held,
            self.conn_fail,
            self.reg_secs,
            self.expected,
            self.deliveries,
            self.lost,
            self.secs,
            self.deliv_per_s,
            self.p50_us,
            self.p99_us,
            self.max_us
        )
    }

    /// The sending took `secs`: what was lost, the rate, and the latencies.
    pub fn finish(&mut self, secs: f64, hist: &Histogram) {
        self.secs = secs;
        self.lost = self.expected.saturating_sub(self.deliveries);
        self.deliv_per_s = if secs > 0.0 {
            self.deliveries as f64 / secs
        } else {
            0.0
        };
        (self.p50_us, self.p99_us, self.max_us) =
            (hist.percentile(0.50), hist.percentile(0.99), hist.max());
    }
}

/// Latency histogram: 1 µs steps to 10 ms, then 100 µs steps to ~10 s.
pub struct Histogram(Vec<u64>);

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

impl Histogram {
    const FINE: u64 = 10_000;
    pub fn new() -> Histogram {
        Histogram(vec![0; (Self::FINE + 100_000) as usize])
    }
    pub fn add(&mut self, us: u64) {
        let i = if us < Self::FINE {
            us
        } else {
            (Self::FINE + (us - Self::FINE) / 100).min(self.0.len() as u64 - 1)
        };
        self.0[i as usize] += 1;
    }
    fn value(i: usize) -> u64 {
        let i = i as u64;
        if i < Self::FINE {
            i
        } else {
            Self::FINE + (i - Self::FINE) * 100
        }
    }
    pub fn percentile(&self, p: f64) -> u64 {
        let total: u64 = self.0.iter().sum();
        let want = ((total as f64) * p).ceil() as u64;
        let mut seen = 0;
        for (i, n) in self.0.iter().enumerate() {
            seen += n;
            if seen >= want.max(1) {
                return Self::value(i);
            }
        }
        0
    }
    pub fn max(&self) -> u64 {
        self.0
            .iter()
            .rposition(|n| *n > 0)
            .map(Self::value)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let mut h = Histogram::new();
        for us in 1..=100 {
            h.add(us);
        }
        assert_eq!(h.percentile(0.5), 50);
        assert_eq!(h.percentile(0.99), 99);
        assert_eq!(h.max(), 100);
        h.add(50_000);
        assert_eq!(h.max(), 50_000);
    }
}
