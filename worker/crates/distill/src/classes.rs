//! Categories by linear heads over the MiniLM embedding: one logistic regression per category (one
//! against the rest), trained with the importance model and shipped in its package as
//! `classes.json`. The category is the head with the highest score. (Slots are a pair's question:
//! [`crate::SlotPair`].)

use serde::{Deserialize, Serialize};

use crate::{Category, DistillError, Result, embed::cosine};

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

/// Linear classifiers for categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    /// One head per category.
    pub categories: Vec<Head<Category>>,
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
}
