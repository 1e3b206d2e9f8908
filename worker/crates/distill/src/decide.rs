//! The decision layer: what a batch of messages does to a namespace's memories.
//!
//! For each clause of the user's turns ([`crate::clauses`]): drop it by rule, or embed its statement
//! and score it ([`Importance`]); below the threshold it is skipped. A kept fact is then compared
//! with the current memories nearest to it:
//! 1. cosine ≥ [`Thresholds::duplicate`] to one of them: **reinforce** it;
//! 2. else, if it and a near current memory fill one single-valued [`Slot`]
//!    ([`Classes::shared_slot`]): the same value ([`same_value`]) **reinforces** that memory, a
//!    different one **supersedes** it (the old one stays, as history);
//! 3. else **create** a memory.

use std::path::Path;

use verigrad_inference::{ModelPackage, Runtime};

use crate::{
    Candidate, Category, Classes, Clause, DistillError, Embedder, Embedding, Importance,
    MemoryType, MemoryView, Message, MiniLm, Result, SkipReason,
    candidate::clauses,
    classes::CLASSES_FILE,
    embed::cosine,
    importance::features,
    text::{content_words, is_dated, proper_nouns},
};

/// The importance package's folder under the models directory.
pub const IMPORTANCE_DIR: &str = "importance";

/// The thresholds the decision layer applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Lowest importance kept (the model's probability of a lasting fact).
    pub importance: f32,
    /// Lowest cosine at which a fact is the same as a current memory (MiniLM puts rewordings of one
    /// fact at 0.85–0.95, different facts of one slot mostly below 0.85).
    pub duplicate: f32,
    /// Current memories looked at around each fact.
    pub neighbours: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { importance: 0.5, duplicate: 0.88, neighbours: 16 }
    }
}

/// A memory to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMemory {
    /// The memory statement ("User moved to Lisbon last month").
    pub text: String,
    /// Its MiniLM embedding.
    pub embedding: Embedding,
    /// Its one or two categories.
    pub categories: Vec<Category>,
    /// Episodic when the clause is anchored in time, semantic otherwise.
    pub memory_type: MemoryType,
    /// The importance model's score.
    pub importance: f32,
}

/// What one clause does to the memories. Nothing is ever deleted here: a contradiction supersedes.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision<I> {
    /// Keep a new memory.
    Create(NewMemory),
    /// The fact is already kept: strengthen that memory.
    Reinforce {
        /// The memory.
        id: I,
    },
    /// The fact replaces a current memory of the same slot, which becomes history (its validity ends).
    Supersede {
        /// The memory replaced.
        old_id: I,
        /// The memory that replaces it.
        new: NewMemory,
    },
    /// Not kept.
    Skip {
        /// The clause as written.
        clause: String,
        /// Why.
        reason: SkipReason,
    },
}

/// The decision layer: an embedder, the importance model, the class heads and the thresholds.
#[derive(Debug, Clone)]
pub struct Distiller<E> {
    embedder: E,
    importance: Importance,
    classes: Classes,
    thresholds: Thresholds,
}

impl Distiller<MiniLm> {
    /// Loads MiniLM and the importance package from a models directory (`models/`).
    pub fn load(models: impl AsRef<Path>) -> Result<Self> {
        let models = models.as_ref();
        let runtime = Runtime::load_dir(models)?;
        let package = ModelPackage::load(models.join(IMPORTANCE_DIR))?;
        let classes = Classes::from_json(package.file(CLASSES_FILE)?)?;
        Ok(Self::new(MiniLm::new(runtime.clone())?, Importance::new(runtime)?, classes))
    }
}

impl<E: Embedder> Distiller<E> {
    /// A distiller with the default thresholds.
    pub fn new(embedder: E, importance: Importance, classes: Classes) -> Self {
        Self { embedder, importance, classes, thresholds: Thresholds::default() }
    }

    /// The same distiller with other thresholds.
    pub fn with_thresholds(self, thresholds: Thresholds) -> Self {
        Self { thresholds, ..self }
    }

    /// The embedder, for embedding queries the same way.
    pub fn embedder(&self) -> &E {
        &self.embedder
    }

    /// The decisions for a batch of messages against the namespace's memories, one per clause of the
    /// user's turns, in order. Facts repeated within the batch are kept once.
    pub fn distill<V: MemoryView>(
        &self,
        messages: &[Message],
        existing: &V,
    ) -> Result<Vec<Decision<V::Id>>> {
        let clauses = clauses(messages);
        let statements: Vec<String> = clauses
            .iter()
            .filter_map(|c| match c {
                Clause::Candidate(c) => Some(c.statement.clone()),
                Clause::Dropped { .. } => None,
            })
            .collect();
        let embeddings = self.embedder.embed(&statements)?;
        if embeddings.len() != statements.len() {
            return Err(DistillError::EmbeddingCount {
                expected: statements.len(),
                got: embeddings.len(),
            });
        }
        let mut embeddings = embeddings.into_iter();
        let mut kept: Vec<Embedding> = Vec::new();
        let mut decisions = Vec::with_capacity(clauses.len());
        for clause in clauses {
            decisions.push(match (clause, &mut embeddings) {
                (Clause::Dropped { clause, reason }, _) => Decision::Skip { clause, reason },
                (Clause::Candidate(candidate), rest) => {
                    let embedding = rest.next().unwrap_or_default();
                    self.decide(candidate, embedding, existing, &mut kept)?
                }
            });
        }
        Ok(decisions)
    }

    fn decide<V: MemoryView>(
        &self,
        candidate: Candidate,
        embedding: Embedding,
        existing: &V,
        kept: &mut Vec<Embedding>,
    ) -> Result<Decision<V::Id>> {
        let Thresholds { importance: threshold, duplicate, neighbours } = self.thresholds;
        let importance = self.importance.score(&features(
            &embedding,
            &candidate.clause,
            &candidate.statement,
        ))?;
        let skip = |reason| Ok(Decision::Skip { clause: candidate.clause.clone(), reason });
        if importance < threshold {
            return skip(SkipReason::Unimportant { score: importance });
        }
        if kept.iter().any(|k| cosine(k, &embedding) >= duplicate) {
            return skip(SkipReason::RepeatedInBatch);
        }
        // Superseded memories are history: they are neither reinforced nor superseded again, so ask
        // for more neighbours than needed and keep the current ones.
        let near: Vec<_> = existing
            .nearest(&embedding, 2 * neighbours)
            .into_iter()
            .filter(|(m, _)| m.current)
            .take(neighbours)
            .collect();
        if let Some((memory, _)) = near.first().filter(|(_, cos)| *cos >= duplicate) {
            return Ok(Decision::Reinforce { id: memory.id.clone() });
        }
        let same_slot =
            near.iter().find(|(m, _)| self.classes.shared_slot(&embedding, &m.embedding).is_some());
        if let Some((memory, _)) = same_slot
            && same_value(&candidate.statement, &memory.text)
        {
            return Ok(Decision::Reinforce { id: memory.id.clone() });
        }
        kept.push(embedding.clone());
        let new = NewMemory {
            categories: self.classes.categories(&embedding),
            memory_type: if is_dated(&candidate.clause) {
                MemoryType::Episodic
            } else {
                MemoryType::Semantic
            },
            text: candidate.statement,
            embedding,
            importance,
        };
        Ok(match same_slot {
            Some((memory, _)) => Decision::Supersede { old_id: memory.id.clone(), new },
            None => Decision::Create(new),
        })
    }
}

/// Whether two statements about one slot give it the same value. Names decide when both have them
/// ("moved to Lisbon" and "lives in Lisbon": the same; "Lisbon" and "Porto": not); otherwise one
/// statement's content words must hold the other's ("works as a nurse" and "is a nurse": the same;
/// "is vegan" and "is vegetarian": not).
pub fn same_value(a: &str, b: &str) -> bool {
    let (names_a, names_b) = (proper_nouns(a), proper_nouns(b));
    if !names_a.is_empty() && !names_b.is_empty() {
        return !names_a.is_disjoint(&names_b);
    }
    let (words_a, words_b) = (content_words(a), content_words(b));
    words_a.is_subset(&words_b) || words_b.is_subset(&words_a)
}

#[cfg(test)]
mod tests {
    use super::same_value;

    #[test]
    fn values_of_one_slot_are_compared_by_names_then_content_words() {
        let cases = [
            ("User moved to Lisbon last month", "User lives in Lisbon", true),
            ("User lives in Porto now", "User lives in Lisbon", false),
            ("User works as a nurse", "User is a nurse", true),
            ("User is vegan", "User is vegetarian", false),
            ("User's favourite food is ramen", "User's favourite food is paella", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_value(a, b), same, "{a} / {b}");
        }
    }
}
