//! The in-memory search index of one namespace: an HNSW graph for approximate search and the same
//! vectors in one flat array for exact search, with what the filters need of each record.
//!
//! The graph is `hnsw_rs` (Malkov & Yashunin's HNSW). Of the pure-Rust candidates it is the one that
//! is maintained (regular releases, Rust 2024) and that takes inserts into a built graph, in
//! parallel; `instant-distance` builds only once from the full set and has not been released
//! since 2023, and `arroy` stores its trees in LMDB, a C library. HNSW cannot delete a node, so a
//! removed or changed record leaves a tombstone that the search skips; once tombstones are a quarter
//! of the graph it is rebuilt from the live vectors.
//!
//! Vectors are stored unit-length, so cosine distance is `1 − dot`.

use std::collections::HashMap;

use alloy_primitives::B256;
use hnsw_rs::{anndists::dist::Distance, hnsw::Hnsw};
use serde::{Deserialize, Serialize};

use crate::MemoryRecord;

/// The HNSW parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexConfig {
    /// Links per node (HNSW's M).
    pub max_connections: usize,
    /// Candidates considered while inserting (efConstruction).
    pub ef_construction: usize,
    /// Candidates considered while searching (ef); at least the number of results asked for.
    pub ef_search: usize,
    /// Below this many candidate records a search is exact: faster than the graph at that size,
    /// and a restrictive filter would starve the graph walk.
    pub exact_below: usize,
}

impl Default for IndexConfig {
    /// Measured by `benches/search` (docs/performance.md, "MemSync search"): p50 3.1 ms and recall@10
    /// 1.0 at 100 000 memories.
    fn default() -> Self {
        Self { max_connections: 16, ef_construction: 100, ef_search: 64, exact_below: 2_000 }
    }
}

/// `1 − a·b` for unit vectors, clamped at 0 (rounding can push the dot product of a vector with
/// itself just above 1; `anndists`' own `DistDot` asserts on that).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// A dot product in eight lanes, which the compiler turns into SIMD.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `v` scaled to unit length (the caller checked it is not zero).
pub(crate) fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    v.iter().map(|x| x / norm).collect()
}

/// What the search filters need of a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) id: B256,
    pub(crate) categories: Vec<String>,
    pub(crate) agent_id: String,
    pub(crate) thread_id: String,
    pub(crate) valid_from: u64,
    pub(crate) valid_to: Option<u64>,
    pub(crate) superseded_by: Option<B256>,
    pub(crate) expires_at: Option<u64>,
}

impl Entry {
    fn of(record: &MemoryRecord) -> Self {
        Self {
            id: record.id,
            categories: record.categories.clone(),
            agent_id: record.agent_id.clone(),
            thread_id: record.thread_id.clone(),
            valid_from: record.valid_from,
            valid_to: record.valid_to,
            superseded_by: record.superseded_by,
            expires_at: record.expires_at,
        }
    }
}

/// One namespace's index. Slots are graph ids; a slot whose entry is `None` is a tombstone.
pub(crate) struct NamespaceIndex {
    config: IndexConfig,
    graph: Hnsw<'static, f32, UnitCosine>,
    entries: Vec<Option<Entry>>,
    /// The unit vectors, slot after slot, for exact search.
    vectors: Vec<f32>,
    dim: usize,
    slots: HashMap<B256, usize>,
}

impl std::fmt::Debug for NamespaceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceIndex")
            .field("live", &self.slots.len())
            .field("slots", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl NamespaceIndex {
    /// An index of `records`, the graph built in parallel.
    pub(crate) fn build<'a>(
        config: IndexConfig,
        records: impl IntoIterator<Item = &'a MemoryRecord>,
    ) -> Self {
        let records: Vec<&MemoryRecord> = records.into_iter().collect();
        let mut index = Self::empty(config, records.len());
        index.upsert(&records);
        index
    }

    fn empty(config: IndexConfig, capacity: usize) -> Self {
        // 16 layers is hnsw_rs's maximum and ample for any namespace size.
        // hnsw_rs exits the process above 256 links.
        let graph = Hnsw::new(
            config.max_connections.clamp(2, 256),
            capacity.max(1024),
            16,
            config.ef_construction,
            UnitCosine,
        );
        Self {
            config,
            graph,
            entries: Vec::with_capacity(capacity),
            vectors: Vec::with_capacity(capacity * crate::EMBEDDING_DIM),
            dim: crate::EMBEDDING_DIM,
            slots: HashMap::with_capacity(capacity),
        }
    }

    /// Appends `record` to the slots (not yet to the graph) and returns its slot.
    fn push(&mut self, record: &MemoryRecord) -> usize {
        if let Some(old) = self.slots.insert(record.id, self.entries.len()) {
            self.entries[old] = None;
        }
        self.entries.push(Some(Entry::of(record)));
        self.vectors.extend(normalized(&record.embedding));
        self.entries.len() - 1
    }

    fn vector(&self, slot: usize) -> &[f32] {
        &self.vectors[slot * self.dim..(slot + 1) * self.dim]
    }

    /// Adds or replaces `records`. A record whose embedding is unchanged keeps its slot and only
    /// its entry changes; new vectors go into the graph together, in parallel.
    pub(crate) fn upsert(&mut self, records: &[&MemoryRecord]) {
        let mut added = Vec::new();
        for record in records {
            if let Some(&slot) = self.slots.get(&record.id)
                && self.vector(slot) == normalized(&record.embedding).as_slice()
            {
                self.entries[slot] = Some(Entry::of(record));
            } else {
                added.push(self.push(record));
            }
        }
        let rows: Vec<(&[f32], usize)> = added.iter().map(|&s| (self.vector(s), s)).collect();
        match rows.as_slice() {
            [] => {}
            [one] => self.graph.insert_slice(*one),
            _ => self.graph.parallel_insert_slice(&rows),
        }
        self.rebuild_if_worn();
    }

    /// Removes record `id`, leaving a tombstone.
    pub(crate) fn remove(&mut self, id: B256) {
        if let Some(slot) = self.slots.remove(&id) {
            self.entries[slot] = None;
            self.rebuild_if_worn();
        }
    }

    /// Record `id`'s unit-length embedding, if it is indexed.
    pub(crate) fn vector_of(&self, id: &B256) -> Option<&[f32]> {
        self.slots.get(id).map(|&slot| self.vector(slot))
    }

    /// Record `id`'s entry and its cosine distance to the unit vector `query`, if it is indexed.
    pub(crate) fn distance(&self, id: &B256, query: &[f32]) -> Option<(&Entry, f32)> {
        let slot = *self.slots.get(id)?;
        let entry = self.entries[slot].as_ref()?;
        Some((entry, UnitCosine.eval(query, self.vector(slot))))
    }

    /// How many records the index holds.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    fn rebuild_if_worn(&mut self) {
        let tombstones = self.entries.len() - self.slots.len();
        if tombstones * 4 <= self.entries.len() || self.entries.len() < 64 {
            return;
        }
        let mut fresh = Self::empty(self.config, self.slots.len());
        let mut rows = Vec::with_capacity(self.slots.len());
        for (slot, entry) in self.entries.iter().enumerate() {
            if let Some(entry) = entry {
                fresh.slots.insert(entry.id, fresh.entries.len());
                fresh.entries.push(Some(entry.clone()));
                fresh.vectors.extend_from_slice(self.vector(slot));
                rows.push(fresh.entries.len() - 1);
            }
        }
        let batch: Vec<(&[f32], usize)> = rows.iter().map(|&s| (fresh.vector(s), s)).collect();
        fresh.graph.parallel_insert_slice(&batch);
        *self = fresh;
    }

    /// The live entries that pass `keep`, counted.
    pub(crate) fn count(&self, keep: &dyn Fn(&Entry) -> bool) -> usize {
        self.entries.iter().flatten().filter(|e| keep(e)).count()
    }

    /// Up to `k` live entries passing `keep` nearest to the unit vector `query`, by the graph:
    /// (entry, cosine distance), nearest first.
    ///
    /// The graph is searched unfiltered and its candidates filtered afterwards: `hnsw_rs`' filtered
    /// search never stops early and walks most of the graph. If too few candidates pass, the walk is
    /// widened, and past a quarter of the slots the exact search is cheaper.
    pub(crate) fn nearest(
        &self,
        query: &[f32],
        k: usize,
        keep: &dyn Fn(&Entry) -> bool,
    ) -> Vec<(&Entry, f32)> {
        let mut ef = self.config.ef_search.max(k);
        loop {
            let hits: Vec<(&Entry, f32)> = self
                .graph
                .search(query, ef, ef)
                .into_iter()
                .filter_map(|n| {
                    let entry = self.entries[n.d_id].as_ref().filter(|e| keep(e))?;
                    Some((entry, n.distance))
                })
                .take(k)
                .collect();
            if hits.len() >= k || ef >= self.entries.len() {
                return hits;
            }
            ef *= 4;
            if ef * 4 > self.entries.len() {
                return self.nearest_exact(query, k, keep);
            }
        }
    }

    /// The same as [`nearest`](Self::nearest), by comparing with every vector.
    pub(crate) fn nearest_exact(
        &self,
        query: &[f32],
        k: usize,
        keep: &dyn Fn(&Entry) -> bool,
    ) -> Vec<(&Entry, f32)> {
        let mut hits: Vec<(&Entry, f32)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(slot, entry)| {
                let entry = entry.as_ref().filter(|e| keep(e))?;
                Some((entry, UnitCosine.eval(query, self.vector(slot))))
            })
            .collect();
        let by_distance = |a: &(&Entry, f32), b: &(&Entry, f32)| a.1.total_cmp(&b.1);
        if hits.len() > k {
            hits.select_nth_unstable_by(k, by_distance);
            hits.truncate(k);
        }
        hits.sort_by(by_distance);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EMBEDDING_DIM, record::tests::sample};

    /// A record with a pseudo-random embedding (xorshift seeded by `i`).
    fn record(i: u32) -> MemoryRecord {
        let mut state = u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let embedding = (0..EMBEDDING_DIM)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        MemoryRecord { id: B256::from(alloy_primitives::U256::from(i)), embedding, ..sample() }
    }

    #[test]
    fn same_vector_is_at_distance_zero() {
        let r = record(1);
        let index = NamespaceIndex::build(IndexConfig::default(), [&r]);
        let q = normalized(&r.embedding);
        let hits = index.nearest(&q, 1, &|_| true);
        assert_eq!(hits[0].0.id, r.id);
        assert!(hits[0].1.abs() < 1e-6);
    }

    #[test]
    fn upsert_remove_and_rebuild() {
        let records: Vec<MemoryRecord> = (0..200).map(record).collect();
        let mut index = NamespaceIndex::build(IndexConfig::default(), &records);
        for r in &records[..100] {
            index.remove(r.id);
        }
        assert_eq!(index.len(), 100);
        assert!(index.entries.len() < 200, "rebuilt once tombstones passed a quarter");
        let q = normalized(&records[150].embedding);
        assert_eq!(index.nearest(&q, 1, &|_| true)[0].0.id, records[150].id);
        assert!(
            index
                .nearest(&normalized(&records[5].embedding), 5, &|_| true)
                .iter()
                .all(|(e, _)| e.id != records[5].id)
        );

        let mut moved = records[150].clone();
        moved.embedding = records[5].embedding.clone();
        index.upsert(&[&moved]);
        assert_eq!(index.len(), 100);
        assert_eq!(
            index.nearest(&normalized(&records[5].embedding), 1, &|_| true)[0].0.id,
            moved.id
        );
    }
}
