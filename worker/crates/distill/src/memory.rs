//! What the decision layer needs to see of the memories already kept.

use crate::{Category, MemoryType};

/// A stored memory, as the decision layer sees it: owned, so that a store that reads its records
/// from disk per query can hand them over.
#[derive(Debug, Clone)]
pub struct MemoryRef<I> {
    /// The store's id for it.
    pub id: I,
    /// The memory statement.
    pub text: String,
    /// Its unit-length MiniLM embedding.
    pub embedding: Vec<f32>,
    /// Its categories.
    pub categories: Vec<Category>,
    /// Semantic or episodic.
    pub memory_type: MemoryType,
    /// False once superseded: history, never reinforced or superseded again.
    pub current: bool,
}

/// The memories of one namespace, searchable by meaning. The store implements it; the evaluation has
/// an exact one.
pub trait MemoryView {
    /// The store's memory id.
    type Id: Clone + PartialEq + std::fmt::Debug;

    /// Up to `k` memories nearest to `embedding` by cosine, nearest first, each with its cosine.
    fn nearest(&self, embedding: &[f32], k: usize) -> Vec<(MemoryRef<Self::Id>, f32)>;
}
