//! How long to wait before trying a server again: exponential, with random jitter so many
//! helios processes that lost the same server do not all come back at the same instant.

use std::time::Duration;

use backon::BackoffBuilder as _;

/// Retry delays from `min` growing to `max`, each with random jitter; [`Backoff::reset`] after
/// a success starts over.
#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    delays: backon::ExponentialBackoff,
}

impl Backoff {
    /// Delays from about `min` up to `max`: the schedule doubles from `min` to `max / 2`, and
    /// jitter adds up to as much again, so a delay is never below `min` nor above `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            delays: Self::build(min, max),
        }
    }

    fn build(min: Duration, max: Duration) -> backon::ExponentialBackoff {
        backon::ExponentialBuilder::new()
            .with_min_delay(min)
            .with_max_delay((max / 2).max(min))
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// The next delay to wait.
    pub fn next_delay(&mut self) -> Duration {
        self.delays.next().unwrap_or(self.max).min(self.max)
    }

    /// Start over from `min` (the server answered).
    pub fn reset(&mut self) {
        self.delays = Self::build(self.min, self.max);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn delays_grow_within_bounds_vary_and_start_over_after_a_reset() {
        let (min, max) = (Duration::from_millis(500), Duration::from_secs(30));
        let mut b = Backoff::new(min, max);
        let first: Vec<Duration> = (0..20).map(|_| b.next_delay()).collect();
        assert!(first.iter().all(|d| *d >= min && *d <= max), "{first:?}");
        assert!(first[0] < Duration::from_secs(1), "{first:?}");
        assert!(first[19] >= max / 2, "{first:?}");
        // Jitter: twenty delays at the cap are not all the same.
        let capped: Vec<Duration> = (0..20).map(|_| b.next_delay()).collect();
        assert!(capped.iter().any(|d| *d != capped[0]), "{capped:?}");
        b.reset();
        assert!(b.next_delay() < Duration::from_secs(1));
    }
}
