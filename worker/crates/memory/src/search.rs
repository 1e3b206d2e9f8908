//! Search by meaning: the nearest memories to a query embedding that pass the filters, current facts
//! before the facts they replaced: a superseded memory ranks by its distance plus the history
//! penalty, never above the memory that replaced it ([`after_successor`]), and an older memory just
//! behind a newer current one of its category about as near ([`prefer_newer`]); with topics
//! ([`Store::with_topics`]), a question about a single-valued topic gets its newest value first
//! ([`crate::Topics::newest_first`]).

use std::sync::PoisonError;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{
    Candidate, MemoryError, MemoryRecord, NEWER_ALIKE_MARGIN, Result, Store, after_successor,
    index::{Entry, NamespaceIndex, normalized},
    prefer_newer,
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
    /// Also superseded memories (history), ranked after current ones of similar distance and never
    /// above the memory that replaced them.
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
        // A question about a topic looks further for the topic's newest value.
        let k = self.topics.as_ref().map_or(k, |t| t.pool(&query, k));

        // (id, distance, current, distance ranked by: history penalised and behind its successor,
        // older alike memories behind newer ones — `prefer_newer` — and a topic's newest value first).
        let mut ranked: Vec<(B256, f32, bool, f32)> = {
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
            let candidates: Vec<Candidate<'_, String>> = hits
                .iter()
                .map(|(e, d)| {
                    let current = current_at(e, at);
                    let distance = ranked_distance(index, &query, e, *d, at, penalty, &keep);
                    Candidate { distance, categories: &e.categories, since: e.valid_from, current }
                })
                .collect();
            let mut order = prefer_newer(&candidates, NEWER_ALIKE_MARGIN);
            if let Some(topics) = &self.topics {
                let embeddings: Vec<&[f32]> =
                    hits.iter().map(|(e, _)| index.vector_of(&e.id).unwrap_or_default()).collect();
                order = topics.newest_first(&query, &candidates, &embeddings, &order);
            }
            hits.iter()
                .zip(candidates.iter().zip(order))
                .map(|((e, d), (c, order))| (e.id, *d, c.current, order))
                .collect()
        };
        ranked.sort_by(|a, b| a.3.total_cmp(&b.3));
        ranked.truncate(filter.limit);

        let ids: Vec<B256> = ranked.iter().map(|r| r.0).collect();
        let records = self.records_by_id(namespace, &ids)?;
        Ok(ranked
            .into_iter()
            .zip(records)
            .filter_map(|((_, vector_distance, current, _), record)| {
                Some(Hit { record: record?, vector_distance, current })
            })
            .collect())
    }
}

/// Longest chain of replacements followed from a superseded memory (a chain is a history of one
/// fact; this only bounds the work).
const MAX_CHAIN: usize = 64;

/// The distance `entry` (at cosine distance `distance`) ranks by: its own, plus `penalty` if it is
/// not current at `at`, and then never ahead of the memory that replaced it, which ranks the same
/// way, up to the end of the chain. A successor counts only while this search could return it.
fn ranked_distance(
    index: &NamespaceIndex,
    query: &[f32],
    entry: &Entry,
    distance: f32,
    at: u64,
    penalty: f32,
    keep: &dyn Fn(&Entry) -> bool,
) -> f32 {
    let own = |e: &Entry, d: f32| if current_at(e, at) { d } else { d + penalty };
    let mut chain = vec![own(entry, distance)];
    let mut next = entry.superseded_by.filter(|_| !current_at(entry, at));
    while let Some(id) = next
        && chain.len() < MAX_CHAIN
    {
        let Some((successor, d)) = index.distance(&id, query).filter(|(e, _)| keep(e)) else {
            break;
        };
        chain.push(own(successor, d));
        next = successor.superseded_by.filter(|_| !current_at(successor, at));
    }
    chain
        .into_iter()
        .rev()
        .reduce(|later, earlier| after_successor(earlier, later))
        .unwrap_or(distance)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        EMBEDDING_DIM, IndexConfig, NewMemory, Op, StoreConfig, Topics, Write,
        store::tests::{embedding, new, open},
    };

    const NS: B256 = B256::repeat_byte(0xbb);

    /// Clustered pseudo-random embeddings: `clusters` centres, each point a centre plus noise.
    fn clustered(n: usize, clusters: usize) -> Vec<Vec<f32>> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let centres: Vec<Vec<f32>> =
            (0..clusters).map(|_| (0..EMBEDDING_DIM).map(|_| next()).collect()).collect();
        (0..n).map(|i| centres[i % clusters].iter().map(|c| c + 0.4 * next()).collect()).collect()
    }

    #[test]
    fn with_topics_a_question_about_one_gets_its_newest_value_first() {
        let dir = tempfile::tempdir().expect("dir");
        // Two topics along the first two axes, say diet and employer.
        let axis = |i: usize| (0..EMBEDDING_DIM).map(|j| if i == j { 1.0 } else { 0.0 }).collect();
        let topics = Topics {
            anchors: vec![axis(0), axis(1)],
            floor: 0.35,
            margin: 0.05,
            member_margin: 0.1,
            candidates: 8,
        };
        let store = open(&dir, StoreConfig::default()).with_topics(topics);
        let along = |parts: &[(usize, f32)]| {
            let mut v = vec![0.0; EMBEDDING_DIM];
            parts.iter().for_each(|&(i, x)| v[i] = x);
            v
        };
        let fact = |text: &str, embedding: Vec<f32>| {
            Op::Create(NewMemory {
                embedding,
                categories: vec!["preferences".into()],
                ..new(text, 0)
            })
        };
        // The old diet is worded like the question; the new one, a year later, is not (and is a
        // little nearer the employer's description), so the write path kept both current.
        let keto = fact("eats a keto diet", along(&[(0, 0.9), (5, 0.44)]));
        let pescatarian = fact("went pescatarian", along(&[(0, 0.5), (1, 0.55), (6, 0.67)]));
        store.write(NS, &Write { expected_seq: 0, now: 10, ops: vec![keto] }).expect("write");
        store
            .write(NS, &Write { expected_seq: 1, now: 20, ops: vec![pescatarian] })
            .expect("write");
        // One hit asked for: the topic's pool of candidates still holds the new value.
        let first = |query: &[f32]| {
            let filter = SearchFilter { limit: 1, ..SearchFilter::default() };
            let hits = store.search(NS, query, &filter, 30).expect("search");
            hits[0].record.text.clone()
        };
        assert_eq!(first(&along(&[(0, 0.7), (1, 0.2), (5, 0.68)])), "went pescatarian");
        // A query placed in no topic keeps the order of distance.
        assert_eq!(first(&along(&[(0, 0.3), (5, 0.95)])), "eats a keto diet");
    }

    #[test]
    fn filters_select_memories() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir, StoreConfig::default());
        let memory = |text: &str, category: &str, agent: &str, thread: &str| {
            Op::Create(NewMemory {
                categories: vec![category.into()],
                agent_id: agent.into(),
                thread_id: thread.into(),
                ..new(text, 1)
            })
        };
        let ops = vec![
            memory("a", "work", "agent-1", "t1"),
            memory("b", "health", "agent-1", "t2"),
            memory("c", "work", "agent-2", "t1"),
        ];
        store.write(NS, &Write { expected_seq: 0, now: 10, ops }).expect("write");
        let texts = |filter: SearchFilter| {
            let mut texts: Vec<String> = store
                .search(NS, &embedding(1), &filter, 10)
                .expect("search")
                .into_iter()
                .map(|h| h.record.text)
                .collect();
            texts.sort();
            texts
        };
        let cases = [
            ("all", SearchFilter::default(), vec!["a", "b", "c"]),
            (
                "category",
                SearchFilter { categories: vec!["work".into()], ..Default::default() },
                vec!["a", "c"],
            ),
            (
                "agent",
                SearchFilter { agent_id: Some("agent-1".into()), ..Default::default() },
                vec!["a", "b"],
            ),
            (
                "thread",
                SearchFilter { thread_id: Some("t1".into()), ..Default::default() },
                vec!["a", "c"],
            ),
            (
                "agent and category",
                SearchFilter {
                    agent_id: Some("agent-2".into()),
                    categories: vec!["health".into(), "work".into()],
                    ..Default::default()
                },
                vec!["c"],
            ),
            (
                "before they existed",
                SearchFilter { at_time: Some(9), ..Default::default() },
                vec![],
            ),
            ("limit", SearchFilter { limit: 1, ..Default::default() }, vec!["a"]),
        ];
        for (name, filter, expected) in cases {
            let got = texts(filter);
            if name == "limit" {
                assert_eq!(got.len(), 1, "{name}");
            } else {
                assert_eq!(got, expected, "{name}");
            }
        }
        assert!(
            store
                .search(B256::ZERO, &embedding(1), &SearchFilter::default(), 10)
                .expect("search")
                .is_empty(),
            "other namespace"
        );
        for limit in [0, 101] {
            let filter = SearchFilter { limit, ..Default::default() };
            assert!(matches!(
                store.search(NS, &embedding(1), &filter, 10),
                Err(MemoryError::Limit(_))
            ));
        }
        let short = SearchFilter::default();
        assert!(matches!(
            store.search(NS, &[1.0; 3], &short, 10),
            Err(MemoryError::Dimension { .. })
        ));
    }

    #[test]
    fn a_superseded_memory_never_ranks_above_its_replacement() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir, StoreConfig::default());
        // Cosine to the query (axis 1): about 1 for the oldest value, 0.5 for an unrelated memory
        // of another category, about 0.06 for the values that replaced it.
        let mut unrelated = NewMemory { categories: vec!["other".into()], ..new("unrelated", 3) };
        (unrelated.embedding[1], unrelated.embedding[3]) = (0.5, 0.866);
        let created = store
            .write(
                NS,
                &Write { expected_seq: 0, now: 10, ops: vec![Op::Create(new("vegetarian", 1))] },
            )
            .expect("write")
            .created;
        let vegetarian = created[0];
        let ops = vec![Op::Create(unrelated)];
        let unrelated = store.write(NS, &Write { expected_seq: 1, now: 11, ops }).expect("write");
        let unrelated = unrelated.created[0];
        let supersede = |seq, old, text: &str, axis, at| {
            let ops = vec![Op::Supersede { old, new: new(text, axis), at }];
            store.write(NS, &Write { expected_seq: seq, now: at, ops }).expect("write").created[0]
        };
        let vegan = supersede(2, vegetarian, "vegan", 2, 20);
        let keto = supersede(3, vegan, "keto", 4, 30);
        let ranked = |filter: SearchFilter, at| -> Vec<B256> {
            store
                .search(NS, &embedding(1), &filter, at)
                .expect("search")
                .iter()
                .map(|h| h.record.id)
                .collect()
        };
        let history = SearchFilter { include_history: true, ..SearchFilter::default() };
        let cases = [
            (
                "the chain behind its current value",
                history.clone(),
                40,
                vec![unrelated, keto, vegan, vegetarian],
            ),
            (
                "before the second change",
                SearchFilter { at_time: Some(25), ..history.clone() },
                40,
                vec![unrelated, vegan, vegetarian],
            ),
            (
                "a category filter keeps the order",
                SearchFilter { categories: vec!["general".into()], ..history },
                40,
                vec![keto, vegan, vegetarian],
            ),
            ("without history", SearchFilter::default(), 40, vec![unrelated, keto]),
        ];
        for (name, filter, at, expected) in cases {
            assert_eq!(ranked(filter, at), expected, "{name}");
        }
    }

    #[test]
    fn ann_agrees_with_exact() {
        let dir = tempfile::tempdir().expect("dir");
        let index = IndexConfig { exact_below: 0, ..IndexConfig::default() };
        let config = StoreConfig { index, ..StoreConfig::default() };
        let store = open(&dir, config);
        let vectors = clustered(1_200, 40);
        let ops = vectors
            .iter()
            .map(|v| Op::Create(NewMemory { embedding: v.clone(), ..new("m", 0) }))
            .collect();
        store.write(NS, &Write { expected_seq: 0, now: 10, ops }).expect("write");
        let queries = clustered(1_230, 40).split_off(1_200);
        let (mut found, mut total) = (0, 0);
        for query in &queries {
            let ann = store.search(NS, query, &SearchFilter::default(), 10).expect("ann");
            let exact = store.search_exact(NS, query, &SearchFilter::default(), 10).expect("exact");
            assert_eq!(exact.len(), 10);
            assert!(exact.windows(2).all(|w| w[0].vector_distance <= w[1].vector_distance));
            total += exact.len();
            found +=
                exact.iter().filter(|e| ann.iter().any(|a| a.record.id == e.record.id)).count();
        }
        let recall = found as f64 / total as f64;
        assert!(recall >= 0.95, "recall@10 {recall}");
    }
}
