//! The routing table: who serves each model (read from the registries, refreshed when stale) and how
//! each worker has been doing (measured by the coordinator).

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::primitives::{Address, B256};
use serde::Serialize;
use verigrad_contracts::{Chain, Result, RoleSet};

use super::score::{Candidate, Load, Route, RoutePolicy, Sort};
use verigrad_task::lock;

/// A model's candidates, as last read.
#[derive(Debug, Clone)]
struct Listing {
    candidates: Vec<Candidate>,
    read_at: Instant,
}

/// One worker's row, for `GET /v1/workers`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerRow {
    /// The worker.
    #[serde(flatten)]
    pub candidate: Candidate,
    /// What the coordinator has seen of it.
    pub load: Load,
}

/// Routing state shared by the gateway's handlers.
#[derive(Debug)]
pub struct RoutingTable {
    chain: Chain,
    policy: RoutePolicy,
    /// How long a model's candidate list is trusted before it is read again.
    ttl: Duration,
    listings: Mutex<HashMap<B256, Listing>>,
    loads: Mutex<HashMap<Address, Load>>,
    /// Each worker's last answer times, milliseconds, for its percentiles.
    windows: Mutex<HashMap<Address, VecDeque<f64>>>,
}

/// Answer times kept per worker for its percentiles.
const WINDOW: usize = 64;

/// A request on its way to a worker: counted in the worker's queue until it is finished or dropped.
#[derive(Debug)]
pub struct Dispatch {
    table: Arc<RoutingTable>,
    /// Where it goes.
    pub candidate: Candidate,
    /// What the coordinator knew of it when it chose it.
    pub load: Load,
    /// How many workers it chose among.
    pub among: usize,
    started: Instant,
    done: bool,
}

impl RoutingTable {
    /// A table reading the registries through `chain`.
    pub fn new(chain: Chain, policy: RoutePolicy, ttl: Duration) -> Self {
        Self {
            chain,
            policy,
            ttl,
            listings: Mutex::default(),
            loads: Mutex::default(),
            windows: Mutex::default(),
        }
    }

    /// The chain it reads.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Registered, unjailed compute workers serving `model`, with the model's price. Read from the
    /// chain when the last read is older than the table's TTL.
    pub async fn candidates(&self, model: B256) -> Result<Vec<Candidate>> {
        if let Some(listing) = lock(&self.listings).get(&model)
            && listing.read_at.elapsed() < self.ttl
        {
            return Ok(listing.candidates.clone());
        }
        let candidates = self.read_candidates(model).await?;
        let listing = Listing { candidates: candidates.clone(), read_at: Instant::now() };
        lock(&self.listings).insert(model, listing);
        Ok(candidates)
    }

    async fn read_candidates(&self, model: B256) -> Result<Vec<Candidate>> {
        let price = self.chain.models().price(model).await?;
        let registry = self.chain.workers();
        let workers = registry.workers_of(model, RoleSet::COMPUTE).await?;
        let records = registry.workers(&workers).await?;
        let pairs: Vec<_> = workers.iter().map(|&worker| (worker, model)).collect();
        let reputations = registry.reputations(&pairs).await?;
        let now = self.chain.rpc().latest_timestamp().await?;
        Ok(workers
            .into_iter()
            .zip(records)
            .zip(reputations)
            .filter(|((_, record), _)| {
                record.registered
                    && record.jailedUntil.to::<u64>() <= now
                    && !record.endpoint.is_empty()
            })
            .map(|((address, record), reputation_bps)| Candidate {
                address,
                endpoint: record.endpoint,
                reputation_bps,
                price,
            })
            .collect())
    }

    /// Picks a worker for `model` by the policy and `sort`; the returned dispatch holds its queue
    /// slot. `pinned` restricts the choice to one worker (a paid request goes to the worker it pays);
    /// workers in `exclude` (already tried) are passed over.
    pub async fn dispatch(
        self: &Arc<Self>,
        model: B256,
        pinned: Option<Address>,
        exclude: &[Address],
        sort: Sort,
    ) -> Result<std::result::Result<Dispatch, Route>> {
        let candidates: Vec<Candidate> = self
            .candidates(model)
            .await?
            .into_iter()
            .filter(|c| pinned.is_none_or(|address| c.address == address))
            .filter(|c| !exclude.contains(&c.address))
            .collect();
        let mut loads = lock(&self.loads);
        let fresh = Load::fresh(self.policy.initial_latency);
        let scored: Vec<(Candidate, Load)> = candidates
            .into_iter()
            .map(|c| {
                let load = *loads.get(&c.address).unwrap_or(&fresh);
                (c, load)
            })
            .collect();
        match self.policy.choose_by(&scored, sort) {
            Route::To(i) => {
                let (candidate, load) = scored[i].clone();
                loads.entry(candidate.address).or_insert(fresh).in_flight += 1;
                Ok(Ok(Dispatch {
                    table: self.clone(),
                    candidate,
                    load,
                    among: scored.len(),
                    started: Instant::now(),
                    done: false,
                }))
            }
            other => Ok(Err(other)),
        }
    }

    /// Every worker seen so far with its load, for the status endpoint.
    pub fn rows(&self) -> Vec<WorkerRow> {
        let loads = lock(&self.loads);
        let mut seen: HashMap<Address, Candidate> = HashMap::new();
        for listing in lock(&self.listings).values() {
            for candidate in &listing.candidates {
                seen.entry(candidate.address).or_insert_with(|| candidate.clone());
            }
        }
        let fresh = Load::fresh(self.policy.initial_latency);
        let mut rows: Vec<WorkerRow> = seen
            .into_values()
            .map(|candidate| WorkerRow {
                load: *loads.get(&candidate.address).unwrap_or(&fresh),
                candidate,
            })
            .collect();
        rows.sort_by_key(|row| row.candidate.address);
        rows
    }

    fn finish(&self, address: Address, elapsed: Option<Duration>) {
        let mut loads = lock(&self.loads);
        let Some(load) = loads.get_mut(&address) else { return };
        load.in_flight = load.in_flight.saturating_sub(1);
        match elapsed {
            Some(sample) => {
                load.latency_ms = self.policy.smoothed(load.latency_ms, sample);
                load.failures = load.failures.saturating_sub(1);
                let mut windows = lock(&self.windows);
                let window = windows.entry(address).or_default();
                if window.len() == WINDOW {
                    window.pop_front();
                }
                window.push_back(sample.as_secs_f64() * 1e3);
                (load.p50_ms, load.p90_ms) = (percentile(window, 50), percentile(window, 90));
            }
            None => load.failures = load.failures.saturating_add(1),
        }
    }
}

/// The `q`-th percentile of `samples` (nearest rank), `None` if there are none.
fn percentile(samples: &VecDeque<f64>, q: usize) -> Option<f64> {
    let mut sorted: Vec<f64> = samples.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let rank = (q * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

impl Dispatch {
    /// The worker answered: its latency sample counts and a past failure is forgiven.
    pub fn succeeded(mut self) {
        self.done = true;
        self.table.finish(self.candidate.address, Some(self.started.elapsed()));
    }

    /// The worker could not be reached or failed: it ranks lower for a while.
    pub fn failed(mut self) {
        self.done = true;
        self.table.finish(self.candidate.address, None);
    }
}

impl Drop for Dispatch {
    // A request dropped midway (the client went away) frees its slot without a verdict.
    fn drop(&mut self) {
        if !self.done {
            let mut loads = lock(&self.table.loads);
            if let Some(load) = loads.get_mut(&self.candidate.address) {
                load.in_flight = load.in_flight.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: VecDeque<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50), Some(5.0));
        assert_eq!(percentile(&samples, 90), Some(9.0));
        assert_eq!(percentile(&VecDeque::from([7.0]), 90), Some(7.0));
        assert_eq!(percentile(&VecDeque::new(), 50), None);
    }
}
