//! A benchmark's measured times, summed up as the README gives them: how many, the median,
//! the 99th percentile and the slowest.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Latencies {
    pub count: usize,
    pub median: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    pub fn of(mut times: Vec<Duration>) -> Latencies {
        times.sort_unstable();
        let at = |p: usize| match times.len() {
            0 => Duration::ZERO,
            n => times[(n * p / 100).min(n - 1)],
        };
        Latencies {
            count: times.len(),
            median: at(50),
            p99: at(99),
            max: times.last().copied().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Latencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "median {:6.2} ms  p99 {:6.2} ms  max {:7.2} ms  ({})",
            ms(self.median),
            ms(self.p99),
            ms(self.max),
            self.count
        )
    }
}
