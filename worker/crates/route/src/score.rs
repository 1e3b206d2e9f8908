//! Which worker gets a request: the one with the lowest expected cost, among those with room.
//!
//! A candidate's cost is its expected wait — its latency (a moving average of what the coordinator
//! measured) times the requests ahead of this one, plus one — scaled by its price against the
//! cheapest candidate's and divided by its reliability (on-chain reputation, lowered by the failures
//! the coordinator saw lately). So a fast, idle, cheap and well-reputed worker wins; a busy one sheds
//! work to the others as its queue grows; a worker at its queue limit is not offered more.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use serde::Serialize;

/// A worker serving a release, as the registries describe them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// Its address (the x402 `payTo` of its answers).
    pub address: Address,
    /// The release it would run.
    pub release: B256,
    /// Its HTTP endpoint.
    pub endpoint: String,
    /// Reputation in basis points (10 000 = no faults).
    pub reputation_bps: u16,
    /// The release's live price for one request, token wei.
    pub price: U256,
    /// Its stake not locked as collateral, token wei: the most a task seat may lock now.
    pub free_stake: U256,
}

/// What the coordinator has seen of a worker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Load {
    /// Requests sent and not yet answered.
    pub in_flight: u32,
    /// Moving average of its answer time, milliseconds.
    pub latency_ms: f64,
    /// Recent failures (connection refused, 5xx), decaying with each success.
    pub failures: u32,
    /// Median of its last answer times, milliseconds (`None` until it answered).
    pub p50_ms: Option<f64>,
    /// 90th percentile of its last answer times, milliseconds.
    pub p90_ms: Option<f64>,
}

impl Load {
    /// A worker not seen yet: assumed as fast as `latency`.
    pub fn fresh(latency: Duration) -> Self {
        let latency_ms = latency.as_secs_f64() * 1e3;
        Self { in_flight: 0, latency_ms, failures: 0, p50_ms: None, p90_ms: None }
    }
}

/// What a request asks the router to favour (`?sort=` on an inference request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// The lowest expected cost: wait × price ÷ reliability (the default).
    #[default]
    Cost,
    /// The cheapest release; among equal prices, the lowest expected cost.
    Price,
    /// The shortest expected wait (its 90th-percentile answer time, or the moving average before it
    /// has one, times the requests ahead), whatever it costs.
    Latency,
}

impl std::str::FromStr for Sort {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "cost" => Ok(Self::Cost),
            "price" => Ok(Self::Price),
            "latency" => Ok(Self::Latency),
            other => Err(format!("unknown sort {other:?}: cost, price or latency")),
        }
    }
}

impl Sort {
    /// Its name, for the routing receipt.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cost => "cost",
            Self::Price => "price",
            Self::Latency => "latency",
        }
    }
}

/// The router's limits and weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoutePolicy {
    /// Requests one worker may have in flight through this coordinator.
    pub max_in_flight: u32,
    /// Latency assumed for a worker not measured yet.
    pub initial_latency: Duration,
    /// How much a price above the cheapest counts: cost × (price / cheapest)^price_weight.
    pub price_weight: f64,
    /// Weight of the newest latency sample in the moving average.
    pub latency_smoothing: f64,
    /// How long a worker may take to answer before an unpaid request is offered to the next one.
    pub answer_timeout: Duration,
}

impl Default for RoutePolicy {
    fn default() -> Self {
        Self {
            max_in_flight: 32,
            initial_latency: Duration::from_millis(50),
            price_weight: 1.0,
            latency_smoothing: 0.2,
            answer_timeout: Duration::from_secs(30),
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// To the candidate at this index.
    To(usize),
    /// Nowhere: no candidate serves the model.
    NoWorker,
    /// Nowhere now: every candidate is at its queue limit; try again later.
    Busy,
}

impl RoutePolicy {
    /// The candidate with the lowest expected cost and room in its queue. Ties go to the earlier
    /// candidate, so the choice is deterministic.
    pub fn choose(&self, candidates: &[(Candidate, Load)]) -> Route {
        self.choose_by(candidates, Sort::Cost)
    }

    /// The best candidate with room in its queue by `sort` (ties by expected cost, then the earlier).
    pub fn choose_by(&self, candidates: &[(Candidate, Load)], sort: Sort) -> Route {
        if candidates.is_empty() {
            return Route::NoWorker;
        }
        let cheapest = candidates.iter().map(|(c, _)| c.price).min().unwrap_or_default();
        candidates
            .iter()
            .enumerate()
            .filter(|(_, (_, load))| load.in_flight < self.max_in_flight)
            .map(|(i, (candidate, load))| {
                let cost = self.cost(candidate, load, cheapest);
                let first = match sort {
                    Sort::Cost => cost,
                    Sort::Price => f64::from(candidate.price),
                    Sort::Latency => {
                        load.p90_ms.unwrap_or(load.latency_ms).max(0.1)
                            * f64::from(load.in_flight + 1)
                    }
                };
                (i, (first, cost))
            })
            .min_by(|(_, a), (_, b)| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)))
            .map_or(Route::Busy, |(i, _)| Route::To(i))
    }

    /// The expected cost of sending one more request to `candidate`.
    pub fn cost(&self, candidate: &Candidate, load: &Load, cheapest: U256) -> f64 {
        let wait = load.latency_ms.max(0.1) * f64::from(load.in_flight + 1);
        let price_ratio = if cheapest.is_zero() || candidate.price.is_zero() {
            1.0
        } else {
            ratio(candidate.price, cheapest)
        };
        let reputation = f64::from(candidate.reputation_bps.min(10_000)) / 10_000.0;
        let reliability = (reputation / f64::from(1 + load.failures)).max(0.01);
        wait * price_ratio.powf(self.price_weight) / reliability
    }

    /// The moving average after one more answer time.
    pub fn smoothed(&self, previous_ms: f64, sample: Duration) -> f64 {
        let sample_ms = sample.as_secs_f64() * 1e3;
        previous_ms + self.latency_smoothing * (sample_ms - previous_ms)
    }
}

/// `a / b` as a float, for prices far beyond `f64`'s integer range.
fn ratio(a: U256, b: U256) -> f64 {
    let as_f64 = |v: U256| f64::from(v);
    as_f64(a) / as_f64(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(byte: u8, reputation_bps: u16, price: u64) -> Candidate {
        Candidate {
            address: Address::repeat_byte(byte),
            release: B256::ZERO,
            endpoint: format!("http://127.0.0.1:{}", 9000 + u16::from(byte)),
            reputation_bps,
            price: U256::from(price),
            free_stake: U256::ZERO,
        }
    }

    fn load(in_flight: u32, latency_ms: f64) -> Load {
        Load { in_flight, latency_ms, ..Load::fresh(Duration::ZERO) }
    }

    #[test]
    fn sorting_by_latency_takes_the_fastest_tail_whatever_it_costs() {
        let policy = RoutePolicy::default();
        let cheap_slow = (candidate(1, 10_000, 100), Load { p90_ms: Some(80.0), ..load(0, 20.0) });
        let dear_fast = (candidate(2, 10_000, 900), Load { p90_ms: Some(10.0), ..load(0, 9.0) });
        let both = [cheap_slow, dear_fast];
        assert_eq!(policy.choose_by(&both, Sort::Cost), Route::To(0), "cost weighs the price");
        assert_eq!(policy.choose_by(&both, Sort::Latency), Route::To(1));
        assert_eq!(policy.choose_by(&both, Sort::Price), Route::To(0));
        assert_eq!("latency".parse::<Sort>(), Ok(Sort::Latency));
        assert!("fastest".parse::<Sort>().is_err());
    }

    #[test]
    fn the_idle_fast_cheap_reputable_worker_wins() {
        let policy = RoutePolicy::default();
        let even = |c| (c, load(0, 20.0));
        let slower = (candidate(1, 10_000, 100), load(0, 40.0));
        assert_eq!(policy.choose(&[slower, even(candidate(2, 10_000, 100))]), Route::To(1));
        let dearer = even(candidate(1, 10_000, 300));
        assert_eq!(policy.choose(&[dearer, even(candidate(2, 10_000, 100))]), Route::To(1));
        let faulty = even(candidate(1, 5_000, 100));
        assert_eq!(policy.choose(&[faulty, even(candidate(2, 10_000, 100))]), Route::To(1));
        let busy = (candidate(1, 10_000, 100), load(3, 20.0));
        assert_eq!(policy.choose(&[busy, even(candidate(2, 10_000, 100))]), Route::To(1));
    }

    #[test]
    fn queues_shift_work_to_slower_workers_and_full_queues_shed() {
        let policy = RoutePolicy { max_in_flight: 4, ..RoutePolicy::default() };
        // Twice as fast, but three requests ahead: the idle slower worker is the better bet.
        let fast = (candidate(1, 10_000, 100), load(3, 10.0));
        let slow = (candidate(2, 10_000, 100), load(0, 20.0));
        assert_eq!(policy.choose(&[fast, slow]), Route::To(1));

        let full = |byte| (candidate(byte, 10_000, 100), load(4, 10.0));
        assert_eq!(policy.choose(&[full(1), full(2)]), Route::Busy);
        assert_eq!(policy.choose(&[]), Route::NoWorker);
    }

    #[test]
    fn failures_push_a_worker_down_until_it_recovers() {
        let policy = RoutePolicy::default();
        let flaky = (candidate(1, 10_000, 100), Load { failures: 2, ..load(0, 10.0) });
        let steady = (candidate(2, 10_000, 100), load(0, 20.0));
        assert_eq!(policy.choose(&[flaky, steady]), Route::To(1));
    }

    #[test]
    fn the_moving_average_follows_new_samples() {
        let policy = RoutePolicy { latency_smoothing: 0.5, ..RoutePolicy::default() };
        assert_eq!(policy.smoothed(10.0, Duration::from_millis(30)), 20.0);
        assert_eq!(policy.smoothed(20.0, Duration::from_millis(20)), 20.0);
    }
}
