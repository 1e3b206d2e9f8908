//! Categories and slots by linear heads over the MiniLM embedding: one logistic regression per class
//! (one against the rest), trained with the importance model and shipped in its package as
//! `classes.json`. The class is the head with the highest score.

use serde::{Deserialize, Serialize};

use crate::{Category, DistillError, Result, Slot, embed::cosine};

/// The package file that holds the heads.
pub const CLASSES_FILE: &str = "classes.json";

/// One class's head: `score = weights · embedding + bias` (a logit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head<L> {
    /// The class.
    pub label: L,
    /// One weight per embedding dimension.
    pub weights: Vec<f32>,
    /// The bias.
    pub bias: f32,
}

impl<L> Head<L> {
    fn score(&self, embedding: &[f32]) -> f32 {
        cosine(&self.weights, embedding) + self.bias
    }
}

/// Linear classifiers for categories and slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    /// One head per category.
    pub categories: Vec<Head<Category>>,
    /// One head per slot, and one (`None`) for facts that fill no slot.
    pub slots: Vec<Head<Option<Slot>>>,
}

/// A second category is added when its head's logit is within this of the first's: "User's sister
/// is a nurse in Porto" is about relationships and, nearly as much, career.
const SECOND_CATEGORY_MARGIN: f32 = 0.5;

impl Classes {
    /// Parses `classes.json`, checking that every category has a head.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let classes: Self = serde_json::from_slice(bytes)
            .map_err(|e| DistillError::InvalidClasses(e.to_string()))?;
        if let Some(missing) =
            Category::ALL.iter().find(|c| !classes.categories.iter().any(|k| k.label == **c))
        {
            return Err(DistillError::InvalidClasses(format!("no head for {missing:?}")));
        }
        Ok(classes)
    }

    /// The nearest category, and the second nearest when it is almost as near.
    pub fn categories(&self, embedding: &[f32]) -> Vec<Category> {
        let mut scored: Vec<(f32, Category)> =
            self.categories.iter().map(|c| (c.score(embedding), c.label)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .iter()
            .take(2)
            .filter(|(score, _)| *score >= scored[0].0 - SECOND_CATEGORY_MARGIN)
            .map(|(_, c)| *c)
            .collect()
    }

    /// The slot two facts both fill, if any: the head whose score is highest for the weaker of the
    /// two. Judging the pair lets the clearer statement carry a vaguer one ("User works for Hooli"
    /// leans a little to no slot alone, but beside "User works at Globex now" the employer head is
    /// the one both support), while a confident slot of one fact cannot drag in a fact that clearly
    /// fills none or another ("User is a huge reggae fan" beside "User eats a vegan diet").
    pub fn shared_slot(&self, a: &[f32], b: &[f32]) -> Option<Slot> {
        self.slots
            .iter()
            .map(|h| (h.score(a).min(h.score(b)), h.label))
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .and_then(|(_, label)| label)
    }

    /// The slot a fact fills, if any: its highest-scoring slot head.
    pub fn slot(&self, embedding: &[f32]) -> Option<Slot> {
        self.slots
            .iter()
            .max_by(|a, b| a.score(embedding).total_cmp(&b.score(embedding)))
            .and_then(|c| c.label)
    }
}
