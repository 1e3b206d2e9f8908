//! The slot-pair model `verigrad/slot-pair`: do a kept memory and a new fact fill the same
//! single-valued slot (home, employer, role, partner, diet, favourites)? A small MLP, trained on
//! generated pairs by `train-slot-pair` and run by the project's runtime, reads the two MiniLM
//! embeddings side by side (their element-wise product and distance) and how each fact is placed
//! against a one-line description of every slot (shipped, embedded, in the package's
//! `slots.json`). Whether the value is the same is [`crate::same_value`]'s to say.
//!
//! Why the descriptions as well: a fact's embedding is dominated by its wording and its value (a
//! company name the model never saw moves it more than the slot does), and an MLP over the raw
//! dimensions alone learns its training templates; the 21 placements are fixed points that carry
//! over to wordings it never saw. Each kind alone was measured at 87–88 % on held-out pairs; the
//! two together are more precise.

use serde::{Deserialize, Serialize};
use verigrad_inference::{ModelInput, MultiDimensionalNumberTensor, Number, Runtime};
use verigrad_memory::Topics;

use crate::{DistillError, EMBEDDING_WIDTH, Embedding, Result, Slot, embed::cosine};

/// The package file that holds the slot descriptions and their embeddings.
pub const SLOTS_FILE: &str = "slots.json";
/// The model's input width: the two embeddings' element-wise product and distance; per slot, the
/// smaller of the two facts' cosines to its description, their difference and their product; then
/// the two facts' own cosine.
pub const PAIR_FEATURES: usize = 2 * EMBEDDING_WIDTH + 3 * Slot::ALL.len() + 1;
/// The least cosine of a question to a slot's description for a search to resolve it by recency.
/// The evaluation's questions about slots sit at 0.36–0.78, paraphrases of them at 0.41–0.74; questions
/// about pets or allergies reach 0.32–0.39, so a floor does not separate them all (docs/performance.md).
pub const QUERY_TOPIC_FLOOR: f32 = 0.35;
/// How much nearer a question must be to its slot's description than to any other's: ambiguous
/// questions ("Who does the user work for?", employer or job) fall within 0.04.
pub const QUERY_TOPIC_MARGIN: f32 = 0.05;
/// How much farther than its nearest description a memory may be from a slot's and still count as
/// one of its values, when it shares a category with the slot's most typical memory (measured on the
/// evaluation: 0.06 leaves 6.4 % of old values first, 0.1 4.7 %, 0.15 4.7 % with a lower recall).
pub const VALUE_TOPIC_MARGIN: f32 = 0.1;
/// The fewest memories a search considers for a question about a slot: a top-5 search's ten
/// candidates miss the new value where it is worded far from the question (measured on the
/// evaluation's questions searched for 5 hits: 5.8 % of old values first with ten, 4.1 % with 16–64).
pub const TOPIC_CANDIDATES: usize = 32;
/// Decimals of the input numbers.
const INPUT_DECIMALS: u32 = 6;

/// A slot's description, as embedded by MiniLM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotDescription {
    /// The slot.
    pub slot: Slot,
    /// One line saying what fills it.
    pub text: String,
    /// The line's MiniLM embedding.
    pub embedding: Embedding,
}

/// The shipped slot-pair model, on a runtime that has it loaded, with its slot descriptions.
#[derive(Debug, Clone)]
pub struct SlotPair {
    runtime: Runtime,
    slots: Vec<SlotDescription>,
}

impl SlotPair {
    /// The package's name.
    pub const MODEL: &str = "verigrad/slot-pair";
    /// The input tensor's name.
    pub const INPUT: &str = "pair";

    /// The model of a runtime that has `verigrad/slot-pair` loaded, with the package's
    /// `slots.json`; every slot must have one description.
    pub fn new(runtime: Runtime, slots_json: &[u8]) -> Result<Self> {
        runtime.resolve(Self::MODEL)?;
        let slots: Vec<SlotDescription> = serde_json::from_slice(slots_json)
            .map_err(|e| DistillError::InvalidSlots(e.to_string()))?;
        if slots.iter().map(|d| d.slot).ne(Slot::ALL) {
            return Err(DistillError::InvalidSlots("one description per slot, in order".into()));
        }
        Ok(Self { runtime, slots })
    }

    /// The slots as the topics a search resolves by recency ([`Topics::newest_first`]): the
    /// descriptions' embeddings, with [`QUERY_TOPIC_FLOOR`], [`QUERY_TOPIC_MARGIN`],
    /// [`VALUE_TOPIC_MARGIN`] and [`TOPIC_CANDIDATES`].
    pub fn topics(&self) -> Topics {
        Topics {
            anchors: self.slots.iter().map(|d| d.embedding.clone()).collect(),
            floor: QUERY_TOPIC_FLOOR,
            margin: QUERY_TOPIC_MARGIN,
            member_margin: VALUE_TOPIC_MARGIN,
            candidates: TOPIC_CANDIDATES,
        }
    }

    /// The probability that two facts, given by their embeddings, fill one single-valued slot.
    pub fn same_slot(&self, a: &[f32], b: &[f32]) -> Result<f32> {
        self.score(&self.features(a, b))
    }

    /// The model's input for two unit-length embeddings. Symmetric: the order of the facts does
    /// not matter.
    pub fn features(&self, a: &[f32], b: &[f32]) -> Vec<f32> {
        pair_features(&self.slots, a, b)
    }

    /// The model's output for an input of [`Self::features`].
    pub fn score(&self, features: &[f32]) -> Result<f32> {
        let tensor = MultiDimensionalNumberTensor::new(
            Self::INPUT,
            features.iter().map(|x| Number::from_f32(*x, INPUT_DECIMALS)).collect(),
            vec![1, PAIR_FEATURES as u32],
        )?;
        let output = self.runtime.run(Self::MODEL, &ModelInput::numbers(vec![tensor]))?;
        Ok(output.numbers[0].values[0].to_f32()?)
    }
}

/// The features of two facts against the slot descriptions (scaled to be of order one).
pub(crate) fn pair_features(slots: &[SlotDescription], a: &[f32], b: &[f32]) -> Vec<f32> {
    let placed: Vec<(f32, f32)> =
        slots.iter().map(|d| (cosine(&d.embedding, a), cosine(&d.embedding, b))).collect();
    let width = EMBEDDING_WIDTH as f32;
    let mut out = Vec::with_capacity(PAIR_FEATURES);
    out.extend(a.iter().zip(b).map(|(x, y)| x * y * width));
    out.extend(a.iter().zip(b).map(|(x, y)| (x - y).abs() * width.sqrt()));
    out.extend(placed.iter().map(|(x, y)| 5.0 * x.min(*y)));
    out.extend(placed.iter().map(|(x, y)| 5.0 * (x - y).abs()));
    out.extend(placed.iter().map(|(x, y)| 10.0 * x * y));
    out.push(cosine(a, b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_symmetric_and_end_with_the_cosine() {
        let unit = |i: usize| {
            let mut v = vec![0.0; EMBEDDING_WIDTH];
            v[i] = 1.0;
            v
        };
        let slots: Vec<SlotDescription> = Slot::ALL
            .iter()
            .enumerate()
            .map(|(i, &slot)| SlotDescription { slot, text: String::new(), embedding: unit(i) })
            .collect();
        let (mut a, b) = (unit(0), unit(0));
        (a[0], a[1]) = (0.6, 0.8);
        let ab = pair_features(&slots, &a, &b);
        assert_eq!(ab, pair_features(&slots, &b, &a));
        assert_eq!(ab.len(), PAIR_FEATURES);
        assert!((ab[PAIR_FEATURES - 1] - 0.6).abs() < 1e-6);
        assert!((ab[2 * EMBEDDING_WIDTH] - 3.0).abs() < 1e-6, "5 × min(0.6, 1.0)");
    }
}
