//! Answer times in bounded memory: a log-linear histogram of microseconds (exact below
//! 64 µs, then 32 buckets per power of two, so a percentile is within 1/32 of the truth).
//! Histograms of several runs (a sharded fleet's reports) add up bucket by bucket.

/// Exact buckets below this many microseconds.
const LINEAR: u32 = 64;
/// Buckets per power of two above it.
const SUB: u32 = 32;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u32,
}

/// The bucket of `micros`.
fn bucket(micros: u32) -> usize {
    if micros < LINEAR {
        return micros as usize;
    }
    let e = 31 - micros.leading_zeros(); // 6..=31
    let m = (micros >> (e - 5)) & (SUB - 1);
    (LINEAR + (e - 6) * SUB + m) as usize
}

/// The smallest value of bucket `b`, and the first of the next.
fn bounds(b: usize) -> (u64, u64) {
    let b = b as u64;
    let (linear, sub) = (u64::from(LINEAR), u64::from(SUB));
    if b < linear {
        return (b, b + 1);
    }
    let e = (b - linear) / sub + 6;
    let m = (b - linear) % sub;
    ((sub + m) << (e - 5), (sub + m + 1) << (e - 5))
}

impl Histogram {
    pub fn record(&mut self, micros: u32) {
        let b = bucket(micros);
        if self.counts.len() <= b {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    /// The nearest-rank `q` quantile (0 < q <= 1), as the top of its bucket (never above
    /// the largest value recorded); 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total.max(1));
        let mut seen = 0;
        for (b, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank && n > 0 {
                return (bounds(b).1 - 1).min(u64::from(self.max));
            }
        }
        0
    }

    /// The non-empty buckets as (smallest value in µs, count), for a report.
    pub fn buckets(&self) -> Vec<[u64; 2]> {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(b, &n)| [bounds(b).0, n])
            .collect()
    }

    /// Add a report's buckets (as [`Histogram::buckets`] wrote them) and its maximum.
    pub fn add_buckets(&mut self, buckets: &[[u64; 2]], max_micros: u32) {
        for &[low, n] in buckets {
            let b = bucket(u32::try_from(low).unwrap_or(u32::MAX));
            if self.counts.len() <= b {
                self.counts.resize(b + 1, 0);
            }
            self.counts[b] += n;
            self.total += n;
        }
        self.max = self.max.max(max_micros);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_once_and_in_order() {
        let mut last_high = 0;
        for b in 0..(bucket(u32::MAX) + 1) {
            let (low, high) = bounds(b);
            assert_eq!(low, last_high, "bucket {b}");
            assert_eq!(bucket(low as u32), b);
            assert_eq!(bucket((high - 1).min(u64::from(u32::MAX)) as u32), b);
            last_high = high;
        }
        assert!(last_high > u64::from(u32::MAX));
    }

    #[test]
    fn quantiles_are_within_a_thirty_second_of_nearest_rank() {
        let mut h = Histogram::default();
        for ms in 1..=100u32 {
            h.record(ms * 1000);
        }
        for (q, want) in [(0.5, 50_000.0), (0.95, 95_000.0), (0.99, 99_000.0)] {
            let got = h.quantile(q) as f64;
            assert!(
                got >= want && got <= want * (1.0 + 1.0 / 32.0),
                "{q}: {got}"
            );
        }
        assert_eq!(h.quantile(1.0), 100_000);
        assert_eq!(h.max(), 100_000);
        assert_eq!(Histogram::default().quantile(0.5), 0);
    }

    #[test]
    fn reports_add_up_to_the_histogram_of_all_samples() {
        let (mut a, mut b, mut all) = Default::default();
        for v in 0..5000u32 {
            let micros = v * 37 % 90_000;
            let part: &mut Histogram = if v % 3 == 0 { &mut a } else { &mut b };
            part.record(micros);
            Histogram::record(&mut all, micros);
        }
        let mut merged = Histogram::default();
        merged.add_buckets(&a.buckets(), a.max());
        merged.add_buckets(&b.buckets(), b.max());
        assert_eq!(merged, all);
    }
}
