//! The importance model `verigrad/importance`: is a candidate clause a lasting fact about the user,
//! worth a memory? A small MLP over the statement's MiniLM embedding and five lexical features,
//! trained by `train-importance` and run by the project's runtime.

use verigrad_inference::{ModelInput, MultiDimensionalNumberTensor, Number, Runtime};

use crate::{
    Result,
    text::{is_dated, proper_nouns, words},
};

/// MiniLM's width.
pub const EMBEDDING_WIDTH: usize = 384;
/// Lexical features after the embedding.
pub const LEXICAL_FEATURES: usize = 5;
/// The model's input width.
pub const FEATURES: usize = EMBEDDING_WIDTH + LEXICAL_FEATURES;
/// Decimals of the input numbers: MiniLM's own output precision.
const INPUT_DECIMALS: u32 = 6;

/// The shipped importance model, on a runtime that has it loaded.
#[derive(Debug, Clone)]
pub struct Importance {
    runtime: Runtime,
}

impl Importance {
    /// The package's name.
    pub const MODEL: &str = "verigrad/importance";
    /// The input tensor's name.
    pub const INPUT: &str = "features";

    /// The model of a runtime that has `verigrad/importance` loaded.
    pub fn new(runtime: Runtime) -> Result<Self> {
        runtime.resolve(Self::MODEL)?;
        Ok(Self { runtime })
    }

    /// The probability that a clause is a lasting fact about the user.
    pub fn score(&self, features: &[f32]) -> Result<f32> {
        let tensor = MultiDimensionalNumberTensor::new(
            Self::INPUT,
            features.iter().map(|x| Number::from_f32(*x, INPUT_DECIMALS)).collect(),
            vec![1, features.len() as u32],
        )?;
        let output = self.runtime.run(Self::MODEL, &ModelInput::numbers(vec![tensor]))?;
        Ok(output.numbers[0].values[0].to_f32()?)
    }
}

/// The model's input: the statement's embedding, then whether the clause speaks in the first person,
/// names something (a capitalised word), holds a number, is anchored in time, and its length in
/// twenties of words (capped at 1.5). Nothing here names a topic, so the features carry over to
/// wordings the model never saw.
pub fn features(embedding: &[f32], clause: &str, statement: &str) -> Vec<f32> {
    let clause_words = words(clause);
    let first_person = clause_words
        .iter()
        .any(|w| matches!(w.to_lowercase().as_str(), "i" | "me" | "my" | "mine" | "i'm" | "i've"));
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut out = Vec::with_capacity(FEATURES);
    out.extend_from_slice(embedding);
    out.extend([
        flag(first_person),
        flag(!proper_nouns(statement).is_empty()),
        flag(clause.chars().any(|c| c.is_ascii_digit())),
        flag(is_dated(clause)),
        (clause_words.len() as f32 / 20.0).min(1.5),
    ]);
    out
}
