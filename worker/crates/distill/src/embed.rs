//! Sentence embeddings: the [`Embedder`] the decision layer needs, and MiniLM behind it.

use verigrad_inference::{ModelInput, Runtime, StringTensor};

use crate::{DistillError, Result};

/// A unit-length sentence embedding.
pub type Embedding = Vec<f32>;

/// Turns texts into unit-length embeddings, one per text, in order.
pub trait Embedder {
    /// Embeds `texts`.
    fn embed(&self, texts: &[String]) -> Result<Vec<Embedding>>;
}

/// The `verigrad/minilm` package (all-MiniLM-L6-v2, 384 dimensions), run by the project's runtime in
/// requests of at most the package's batch limit (8 sentences).
#[derive(Debug, Clone)]
pub struct MiniLm {
    runtime: Runtime,
    batch: usize,
}

impl MiniLm {
    /// The package's name.
    pub const MODEL: &str = "verigrad/minilm";

    /// The embedder of a runtime that has `verigrad/minilm` loaded.
    pub fn new(runtime: Runtime) -> Result<Self> {
        let batch = runtime.manifest(Self::MODEL)?.inputs[0].shape[0] as usize;
        Ok(Self { runtime, batch: batch.max(1) })
    }
}

impl Embedder for MiniLm {
    fn embed(&self, texts: &[String]) -> Result<Vec<Embedding>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch) {
            let input = ModelInput::strings(vec![StringTensor::new("text", batch.iter().cloned())]);
            let output = self.runtime.run(Self::MODEL, &input)?;
            let tensor = &output.numbers[0];
            let width = tensor.shape[1] as usize;
            for row in tensor.values.chunks(width) {
                out.push(row.iter().map(|n| n.to_f32()).collect::<Result<_, _>>()?);
            }
        }
        if out.len() != texts.len() {
            return Err(DistillError::EmbeddingCount { expected: texts.len(), got: out.len() });
        }
        Ok(out)
    }
}

/// Cosine similarity of two unit-length embeddings: their dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
