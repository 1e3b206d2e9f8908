//! Categories and slots by nearest centroid: the mean MiniLM embedding of each class's training
//! statements, shipped in the importance package as `classes.json`.

use serde::{Deserialize, Serialize};

use crate::{Category, DistillError, Result, Slot, embed::cosine};

/// The package file that holds the centroids.
pub const CLASSES_FILE: &str = "classes.json";

/// One class's centroid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Centroid<L> {
    /// The class.
    pub label: L,
    /// The unit-length mean embedding of its training statements.
    pub vector: Vec<f32>,
}

/// Nearest-centroid classifiers for categories and slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    /// One centroid per category.
    pub categories: Vec<Centroid<Category>>,
    /// One centroid per slot, and one (`None`) for facts that fill no slot.
    pub slots: Vec<Centroid<Option<Slot>>>,
}

/// A second category is added when its centroid is within this cosine of the first's: "User's
/// sister is a nurse in Porto" is about relationships and, nearly as much, career.
const SECOND_CATEGORY_MARGIN: f32 = 0.02;

impl Classes {
    /// Parses `classes.json`, checking that every category has a centroid.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let classes: Self = serde_json::from_slice(bytes)
            .map_err(|e| DistillError::InvalidClasses(e.to_string()))?;
        if let Some(missing) =
            Category::ALL.iter().find(|c| !classes.categories.iter().any(|k| k.label == **c))
        {
            return Err(DistillError::InvalidClasses(format!("no centroid for {missing:?}")));
        }
        Ok(classes)
    }

    /// The nearest category, and the second nearest when it is almost as near.
    pub fn categories(&self, embedding: &[f32]) -> Vec<Category> {
        let mut scored: Vec<(f32, Category)> =
            self.categories.iter().map(|c| (cosine(&c.vector, embedding), c.label)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .iter()
            .take(2)
            .filter(|(score, _)| *score >= scored[0].0 - SECOND_CATEGORY_MARGIN)
            .map(|(_, c)| *c)
            .collect()
    }

    /// The slot a fact fills, if any: its nearest slot centroid.
    pub fn slot(&self, embedding: &[f32]) -> Option<Slot> {
        self.slots
            .iter()
            .max_by(|a, b| cosine(&a.vector, embedding).total_cmp(&cosine(&b.vector, embedding)))
            .and_then(|c| c.label)
    }
}

/// The unit-length mean of some embeddings.
pub fn centroid(embeddings: &[&[f32]]) -> Vec<f32> {
    let width = embeddings.first().map_or(0, |e| e.len());
    let mut sum = vec![0.0f32; width];
    for e in embeddings {
        sum.iter_mut().zip(*e).for_each(|(s, x)| *s += x);
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    sum.iter().map(|x| x / norm).collect()
}
