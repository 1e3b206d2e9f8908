//! Per-payer rate limiting: a token bucket per address, refilled continuously.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

/// Payers tracked before idle buckets are dropped.
const MAX_TRACKED: usize = 10_000;

/// How fast one payer may send paid requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: f64,
    /// Requests allowed at once after a quiet spell.
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { per_second: 20.0, burst: 40.0 }
    }
}

/// The buckets of all payers seen.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<Address, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter with `limit` for every payer.
    pub fn new(limit: RateLimit) -> Self {
        Self { limit, buckets: Mutex::default() }
    }

    /// Takes one token from `payer`'s bucket at `now`; `false` if it is empty.
    pub fn admit(&self, payer: Address, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            // A bucket idle long enough to be full again is the same as no bucket.
            let refill = Duration::from_secs_f64(
                self.limit.burst / self.limit.per_second.max(f64::MIN_POSITIVE),
            );
            buckets.retain(|_, (_, last)| now.saturating_duration_since(*last) < refill);
        }
        let (tokens, last) = buckets.entry(payer).or_insert((self.limit.burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * self.limit.per_second;
        *tokens = (*tokens + refill).min(self.limit.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(RateLimit { per_second: 2.0, burst: 3.0 });
        let (alice, bob) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.admit(alice, start)), "the burst");
        assert!(!limiter.admit(alice, start), "then empty");
        assert!(limiter.admit(bob, start), "buckets are per payer");
        assert!(limiter.admit(alice, start + Duration::from_millis(500)), "one refilled");
        assert!(!limiter.admit(alice, start + Duration::from_millis(600)));
        let later = start + Duration::from_secs(60);
        assert_eq!(
            (0..5).filter(|_| limiter.admit(alice, later)).count(),
            3,
            "capped at the burst"
        );
    }
}
