//! The routing table: who serves each release and which releases carry each capability tag (read
//! from the registries, refreshed when stale), and how each worker has been doing (measured by the
//! coordinator).

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::primitives::{Address, B256, U256};
use serde::Serialize;
use verigrad_contracts::{Chain, Result, RoleSet};

use super::score::{Candidate, Load, Route, RoutePolicy, Sort};
use verigrad_task::lock;

/// A value read from the chain, and when.
#[derive(Debug, Clone)]
struct Listing<T> {
    value: T,
    read_at: Instant,
}

impl<T: Clone> Listing<T> {
    fn fresh(&self, ttl: Duration) -> Option<T> {
        (self.read_at.elapsed() < ttl).then(|| self.value.clone())
    }
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
    listings: Mutex<HashMap<B256, Listing<Vec<Candidate>>>>,
    /// Releases by capability tag.
    tags: Mutex<HashMap<String, Listing<Vec<B256>>>>,
    loads: Mutex<HashMap<Address, Load>>,
    /// Each worker's last answer times, milliseconds, for its percentiles.
    windows: Mutex<HashMap<Address, VecDeque<f64>>>,
}

/// Capability tags whose releases are kept between reads.
const MAX_TAGS_KEPT: usize = 1_024;

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
            tags: Mutex::default(),
            loads: Mutex::default(),
            windows: Mutex::default(),
        }
    }

    /// The chain it reads.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The policy it routes by.
    pub fn policy(&self) -> &RoutePolicy {
        &self.policy
    }

    /// Registered, unjailed compute workers serving release `model`, with its live price; none if
    /// the release is unknown or deprecated. Read from the chain when the last read is older than
    /// the table's TTL.
    pub async fn candidates(&self, model: B256) -> Result<Vec<Candidate>> {
        if let Some(candidates) = lock(&self.listings).get(&model).and_then(|l| l.fresh(self.ttl)) {
            return Ok(candidates);
        }
        let candidates = self.read_candidates(model).await?;
        let listing = Listing { value: candidates.clone(), read_at: Instant::now() };
        lock(&self.listings).insert(model, listing);
        Ok(candidates)
    }

    /// The candidates of every release in `releases`, in that order.
    pub async fn candidates_of(&self, releases: &[B256]) -> Result<Vec<Candidate>> {
        let mut all = Vec::new();
        for &release in releases {
            all.extend(self.candidates(release).await?);
        }
        Ok(all)
    }

    /// Releases carrying capability tag `tag` in the model registry (deprecated ones too: they have
    /// no candidates). Read from the chain when the last read is older than the table's TTL.
    pub async fn tagged(&self, tag: &str) -> Result<Vec<B256>> {
        if let Some(releases) = lock(&self.tags).get(tag).and_then(|l| l.fresh(self.ttl)) {
            return Ok(releases);
        }
        let releases = self.chain.models().releases_tagged(tag).await?;
        // Only tags that name releases are kept, and only so many: requests for made-up tags must
        // not grow the table.
        if !releases.is_empty() {
            let mut tags = lock(&self.tags);
            if tags.len() >= MAX_TAGS_KEPT {
                tags.clear();
            }
            let listing = Listing { value: releases.clone(), read_at: Instant::now() };
            tags.insert(tag.to_owned(), listing);
        }
        Ok(releases)
    }

    async fn read_candidates(&self, model: B256) -> Result<Vec<Candidate>> {
        let Some(price) = self.chain.models().offer(model).await? else {
            return Ok(Vec::new());
        };
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
                release: model,
                endpoint: record.endpoint,
                reputation_bps,
                price,
                free_stake: U256::from(record.stake.saturating_sub(record.locked)),
            })
            .collect())
    }

    /// Picks one of `candidates` by the policy and `sort`, passing over workers in `exclude`
    /// (already tried); the returned dispatch holds its queue slot.
    pub fn dispatch(
        self: &Arc<Self>,
        candidates: &[Candidate],
        exclude: &[Address],
        sort: Sort,
    ) -> std::result::Result<Dispatch, Route> {
        let mut loads = lock(&self.loads);
        let fresh = Load::fresh(self.policy.initial_latency);
        let scored: Vec<(Candidate, Load)> = candidates
            .iter()
            .filter(|c| !exclude.contains(&c.address))
            .map(|c| (c.clone(), *loads.get(&c.address).unwrap_or(&fresh)))
            .collect();
        match self.policy.choose_by(&scored, sort) {
            Route::To(i) => {
                let (candidate, load) = scored[i].clone();
                loads.entry(candidate.address).or_insert(fresh).in_flight += 1;
                Ok(Dispatch {
                    table: self.clone(),
                    candidate,
                    load,
                    among: scored.len(),
                    started: Instant::now(),
                    done: false,
                })
            }
            other => Err(other),
        }
    }

    /// Every worker seen so far with its load, for the status endpoint.
    pub fn rows(&self) -> Vec<WorkerRow> {
        let loads = lock(&self.loads);
        let mut seen: HashMap<Address, Candidate> = HashMap::new();
        for listing in lock(&self.listings).values() {
            for candidate in &listing.value {
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

    /// `worker` answered, but was outvoted by the others asked the same: it ranks lower for a
    /// while, as after a failure.
    pub fn disagreed(&self, worker: Address) {
        if let Some(load) = lock(&self.loads).get_mut(&worker) {
            load.failures = load.failures.saturating_add(1);
        }
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
