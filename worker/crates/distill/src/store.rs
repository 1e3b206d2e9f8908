//! An exact in-memory store for the evaluation: every memory compared with the query (no ANN), the
//! superseded ones kept as history and ranked below current ones of similar distance and never
//! above the memory that replaced them, as the memory store (`verigrad-memory`) ranks them.

use verigrad_memory::{Candidate, NEWER_ALIKE_MARGIN, Topics, after_successor, prefer_newer};

use crate::{Category, Decision, Embedding, MemoryRef, MemoryType, MemoryView, cosine};

/// Subtracted from a superseded memory's cosine when ranking search results: a current fact ranks
/// above the fact it replaced unless the old one is much nearer the query. Measured by the evaluation:
/// 0.1 leaves the old fact first too often, 2.0 (current strictly first) pushes history, and facts
/// superseded by mistake, out of the top five (docs/performance.md, MemSync selectivity).
pub const SUPERSEDED_PENALTY: f32 = 0.2;

/// A kept memory.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMemory {
    /// Its id: its index in the store.
    pub id: usize,
    /// The memory statement (or, in the keep-everything baseline, the message).
    pub text: String,
    /// Its embedding.
    pub embedding: Embedding,
    /// Its categories.
    pub categories: Vec<Category>,
    /// Semantic or episodic.
    pub memory_type: MemoryType,
    /// False once superseded.
    pub current: bool,
    /// The memory that superseded it.
    pub superseded_by: Option<usize>,
    /// Times a later fact repeated it.
    pub reinforcements: u32,
}

/// What applying decisions did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Memories created (including those that supersede another).
    pub created: usize,
    /// Memories reinforced.
    pub reinforced: usize,
    /// Memories superseded.
    pub superseded: usize,
}

/// Memories in a vector, searched exhaustively.
#[derive(Debug, Clone, Default)]
pub struct ExactStore {
    memories: Vec<StoredMemory>,
    topics: Option<Topics>,
}

impl ExactStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose search resolves a question about one of `topics` by recency
    /// ([`Topics::newest_first`]), as the memory store does (`Store::with_topics`).
    pub fn with_topics(topics: Topics) -> Self {
        Self { memories: Vec::new(), topics: Some(topics) }
    }

    /// Every memory, current and superseded.
    pub fn memories(&self) -> &[StoredMemory] {
        &self.memories
    }

    /// Stores a text as a current semantic memory (the keep-everything baseline); returns its id.
    pub fn insert(&mut self, text: String, embedding: Embedding) -> usize {
        let id = self.memories.len();
        self.memories.push(StoredMemory {
            id,
            text,
            embedding,
            categories: Vec::new(),
            memory_type: MemoryType::Semantic,
            current: true,
            superseded_by: None,
            reinforcements: 0,
        });
        id
    }

    /// Applies the distiller's decisions.
    pub fn apply(&mut self, decisions: Vec<Decision<usize>>) -> Applied {
        let mut applied = Applied::default();
        for decision in decisions {
            match decision {
                Decision::Create(new) => {
                    self.create(new);
                    applied.created += 1;
                }
                Decision::Reinforce { id } => {
                    self.memories[id].reinforcements += 1;
                    applied.reinforced += 1;
                }
                Decision::Supersede { old_id, new } => {
                    let id = self.create(new);
                    let old = &mut self.memories[old_id];
                    old.current = false;
                    old.superseded_by = Some(id);
                    applied.created += 1;
                    applied.superseded += 1;
                }
                Decision::Skip { .. } => {}
            }
        }
        applied
    }

    fn create(&mut self, new: crate::NewMemory) -> usize {
        let id = self.insert(new.text, new.embedding);
        let memory = &mut self.memories[id];
        memory.categories = new.categories;
        memory.memory_type = new.memory_type;
        id
    }

    /// The `k` best memories for a query, ranked as the memory store ranks them: cosine distance,
    /// plus [`SUPERSEDED_PENALTY`] for superseded ones and never ahead of the memory that replaced
    /// them (`after_successor`), over twice `k` candidates, an older memory behind a newer current
    /// one of a shared category within [`NEWER_ALIKE_MARGIN`] (`prefer_newer`).
    pub fn search(&self, query: &[f32], k: usize) -> Vec<&StoredMemory> {
        let penalty = |m: &StoredMemory| if m.current { 0.0 } else { SUPERSEDED_PENALTY };
        let mut distances: Vec<f32> =
            self.memories.iter().map(|m| 1.0 - cosine(&m.embedding, query) + penalty(m)).collect();
        // A replacement is created after the memory it replaces: from the newest back, each
        // successor's distance is final when its predecessor is ranked behind it.
        for m in self.memories.iter().rev() {
            if let Some(successor) = m.superseded_by {
                distances[m.id] = after_successor(distances[m.id], distances[successor]);
            }
        }
        let pool = k.saturating_mul(2);
        let pool = self.topics.as_ref().map_or(pool, |t| t.pool(query, pool));
        let nearest = self.top(pool, |m| -distances[m.id]);
        let candidates: Vec<Candidate<'_, Category>> = nearest
            .iter()
            .map(|(m, score)| Candidate {
                distance: -score,
                categories: &m.categories,
                since: m.id as u64,
                current: m.current,
            })
            .collect();
        let mut order = prefer_newer(&candidates, NEWER_ALIKE_MARGIN);
        if let Some(topics) = &self.topics {
            let embeddings: Vec<&[f32]> = nearest.iter().map(|(m, _)| &m.embedding[..]).collect();
            order = topics.newest_first(query, &candidates, &embeddings, &order);
        }
        let mut ranked: Vec<(&StoredMemory, f32)> =
            nearest.into_iter().map(|(m, _)| m).zip(order).collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
        ranked.into_iter().take(k).map(|(m, _)| m).collect()
    }

    /// Every memory ranked for a query as [`Self::search`] ranks them.
    pub fn rank_all(&self, query: &[f32]) -> Vec<&StoredMemory> {
        self.search(query, self.memories.len())
    }

    /// The `k` memories of highest score, best first, ties by id (so the order is deterministic):
    /// a partial selection, then a sort of the `k` only.
    fn top(&self, k: usize, score: impl Fn(&StoredMemory) -> f32) -> Vec<(&StoredMemory, f32)> {
        let order = |a: &(&StoredMemory, f32), b: &(&StoredMemory, f32)| {
            b.1.total_cmp(&a.1).then(a.0.id.cmp(&b.0.id))
        };
        let mut scored: Vec<(&StoredMemory, f32)> =
            self.memories.iter().map(|m| (m, score(m))).collect();
        if k < scored.len() {
            if k == 0 {
                return Vec::new();
            }
            scored.select_nth_unstable_by(k - 1, order);
            scored.truncate(k);
        }
        scored.sort_by(order);
        scored
    }
}

impl MemoryView for ExactStore {
    type Id = usize;

    fn nearest(&self, embedding: &[f32], k: usize) -> Vec<(MemoryRef<usize>, f32)> {
        self.top(k, |m| cosine(&m.embedding, embedding))
            .into_iter()
            .map(|(m, cos)| {
                let memory = MemoryRef {
                    id: m.id,
                    text: m.text.clone(),
                    embedding: m.embedding.clone(),
                    categories: m.categories.clone(),
                    memory_type: m.memory_type,
                    current: m.current,
                };
                (memory, cos)
            })
            .collect()
    }
}
