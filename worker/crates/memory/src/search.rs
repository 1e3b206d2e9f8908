//! Search by meaning: the nearest memories to a query embedding that pass the filters, current facts
//! before the facts they replaced.

use std::sync::PoisonError;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{
    MemoryError, MemoryRecord, Result, Store,
    index::{Entry, normalized},
    record::check_embedding,
};

/// Which memories a search may return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchFilter {
    /// How many hits, 1..=100.
    pub limit: usize,
    /// Only memories with at least one of these categories; all if empty.
    pub categories: Vec<String>,
    /// Only this agent's memories.
    pub agent_id: Option<String>,
    /// Only this conversation's memories.
    pub thread_id: Option<String>,
    /// Also superseded memories (history), ranked after current ones of similar distance.
    pub include_history: bool,
    /// The time the facts must hold at (valid then, or with history: begun by then); the search's
    /// `now` if `None`.
    pub at_time: Option<u64>,
}

impl Default for SearchFilter {
    fn default() -> Self {
        Self {
            limit: 10,
            categories: Vec::new(),
            agent_id: None,
            thread_id: None,
            include_history: false,
            at_time: None,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The memory.
    pub record: MemoryRecord,
    /// Cosine distance to the query (0 same direction, 2 opposite).
    pub vector_distance: f32,
    /// Whether the fact held at the filter's time (not superseded by then).
    pub current: bool,
}

impl Store {
    /// The memories nearest to `query`, through the ANN index (exact when the candidates are few,
    /// see [`IndexConfig::exact_below`](crate::IndexConfig::exact_below)). Memories expired by `now`
    /// are never returned.
    pub fn search(
        &self,
        namespace: B256,
        query: &[f32],
        filter: &SearchFilter,
        now: u64,
    ) -> Result<Vec<Hit>> {
        self.search_with(namespace, query, filter, now, false)
    }

    /// The same as [`search`](Self::search), comparing the query with every memory: the reference
    /// the ANN search is measured against.
    pub fn search_exact(
        &self,
        namespace: B256,
        query: &[f32],
        filter: &SearchFilter,
        now: u64,
    ) -> Result<Vec<Hit>> {
        self.search_with(namespace, query, filter, now, true)
    }

    fn search_with(
        &self,
        namespace: B256,
        query: &[f32],
        filter: &SearchFilter,
        now: u64,
        exact: bool,
    ) -> Result<Vec<Hit>> {
        if !(1..=100).contains(&filter.limit) {
            return Err(MemoryError::Limit(filter.limit));
        }
        check_embedding(query)?;
        let query = normalized(query);
        let at = filter.at_time.unwrap_or(now);
        let keep = |e: &Entry| matches(e, filter, at, now);
        let penalty = self.config().history_penalty;
        // With history, fetch more: penalised old facts may make room for current ones.
        let k = if filter.include_history { filter.limit * 2 } else { filter.limit };

        let mut ranked: Vec<(B256, f32, bool)> = {
            let indexes = self.indexes.read().unwrap_or_else(PoisonError::into_inner);
            let Some(index) = indexes.get(&namespace) else { return Ok(Vec::new()) };
            let selective = !filter.categories.is_empty()
                || filter.agent_id.is_some()
                || filter.thread_id.is_some();
            let few = index.len() < self.config().index.exact_below
                || (selective && index.count(&keep) < self.config().index.exact_below);
            let hits = if exact || few {
                index.nearest_exact(&query, k, &keep)
            } else {
                index.nearest(&query, k, &keep)
            };
            hits.into_iter().map(|(e, d)| (e.id, d, current_at(e, at))).collect()
        };
        let score = |&(_, d, current): &(B256, f32, bool)| if current { d } else { d + penalty };
        ranked.sort_by(|a, b| score(a).total_cmp(&score(b)));
        ranked.truncate(filter.limit);

        let ids: Vec<B256> = ranked.iter().map(|r| r.0).collect();
        let records = self.records_by_id(namespace, &ids)?;
        Ok(ranked
            .into_iter()
            .zip(records)
            .filter_map(|((_, vector_distance, current), record)| {
                Some(Hit { record: record?, vector_distance, current })
            })
            .collect())
    }
}

fn current_at(entry: &Entry, at: u64) -> bool {
    entry.valid_to.is_none_or(|to| at < to)
}

fn matches(entry: &Entry, filter: &SearchFilter, at: u64, now: u64) -> bool {
    entry.expires_at.is_none_or(|t| now < t)
        && entry.valid_from <= at
        && (filter.include_history || current_at(entry, at))
        && (filter.categories.is_empty()
            || entry.categories.iter().any(|c| filter.categories.contains(c)))
        && filter.agent_id.as_ref().is_none_or(|a| *a == entry.agent_id)
        && filter.thread_id.as_ref().is_none_or(|t| *t == entry.thread_id)
}
