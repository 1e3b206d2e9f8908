//! Sentence embeddings with a pretrained BERT encoder (all-MiniLM-L6-v2).
//!
//! A run takes a string tensor of 1 to `shape[0]` sentences and returns a `[n, dimensions]` number
//! tensor: for each sentence, the mean of the encoder's token states over its tokens, scaled to unit
//! length, with the manifest's decimals. This is what sentence-transformers computes for the model
//! (Transformer → mean Pooling → Normalize).
//!
//! **Each sentence at its own length, whatever its batch.** A sentence is truncated to `max_tokens`
//! tokens and never padded: a 20-token sentence costs 20 tokens of work, not `max_tokens`. The
//! sentences of a run are encoded together, their tokens stacked into one matrix for the dense layers
//! (the bulk of the work, and faster in bulk), while attention runs per sentence over its own tokens.
//! The kernels compute each token's row from that row alone in a fixed order ([`kernels`]), so a
//! sentence's embedding is the same floats whatever it is sent with — as when every sentence was
//! padded to `max_tokens` and encoded alone, at a sixth of the work for a typical sentence.

mod bert;
mod kernels;

use tokenizers::{Tokenizer, TruncationParams};

use self::bert::{Bert, Config};
use crate::{
    Architecture, Deadline, Determinism, InferenceError, Manifest, ModelInput, ModelOutput,
    ModelPackage, MultiDimensionalNumberTensor, Number, Pooling, Result, TensorType, WEIGHTS_FILE,
    from_safetensors, model::invalid,
};

/// The BERT configuration file of a sentence-embedder package (Hugging Face `config.json`).
pub const CONFIG_FILE: &str = "config.json";
/// The tokenizer file of a sentence-embedder package (Hugging Face `tokenizer.json`).
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// A sentence embedder ready to run.
pub(crate) struct Embedder {
    manifest: Manifest,
    bert: Bert,
    tokenizer: Tokenizer,
    max_sentences: usize,
    dimensions: usize,
    normalize: bool,
    decimals: u32,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Bert` and `Tokenizer` have no useful `Debug`; the manifest says what this is.
        f.debug_struct("Embedder").field("manifest", &self.manifest).finish_non_exhaustive()
    }
}

impl Embedder {
    /// Builds the encoder and tokenizer of a verified package, checking them against the manifest.
    pub(crate) fn from_package(package: &ModelPackage) -> Result<Self> {
        let manifest = package.manifest().clone();
        let Architecture::SentenceEmbedder {
            dimensions,
            max_tokens,
            pooling: Pooling::Mean,
            normalize,
        } = manifest.architecture
        else {
            return Err(invalid(&manifest, "not a sentence embedder"));
        };
        if !matches!(manifest.determinism, Determinism::Tolerance { .. }) {
            return Err(invalid(
                &manifest,
                "a BERT runs in floating point: its class is tolerance",
            ));
        }
        let (Some(input), Some(output)) = (single(&manifest.inputs), single(&manifest.outputs))
        else {
            return Err(invalid(&manifest, "an embedder has one input and one output tensor"));
        };
        let max_sentences = match input.shape.as_slice() {
            [n] if *n > 0 && input.batch && input.dtype == TensorType::String => *n,
            _ => {
                return Err(invalid(
                    &manifest,
                    "the input is a batch string tensor of shape [max sentences]",
                ));
            }
        };
        if output.dtype != TensorType::Number
            || !output.batch
            || output.shape != [max_sentences, dimensions as u32]
        {
            return Err(invalid(
                &manifest,
                "the output is a batch number tensor of shape [max sentences, dimensions]",
            ));
        }

        let config: Config = serde_json::from_slice(package.file(CONFIG_FILE)?)
            .map_err(|e| invalid(&manifest, &format!("{CONFIG_FILE}: {e}")))?;
        if config.hidden_size != dimensions {
            return Err(invalid(&manifest, "dimensions differ from the encoder's hidden size"));
        }
        if max_tokens < 2 || max_tokens > config.max_position_embeddings {
            return Err(invalid(&manifest, "max_tokens is outside 2..=max_position_embeddings"));
        }
        let tensors = from_safetensors(package.file(WEIGHTS_FILE)?)?;
        let bert = Bert::load(&config, &tensors)
            .map_err(|e| invalid(&manifest, &format!("{WEIGHTS_FILE}: {e}")))?;

        let mut tokenizer = Tokenizer::from_bytes(package.file(TOKENIZER_FILE)?)
            .map_err(|e| invalid(&manifest, &format!("{TOKENIZER_FILE}: {e}")))?;
        // Whatever the tokenizer file says: no padding, and at most `max_tokens` tokens a sentence.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(&manifest, &format!("{TOKENIZER_FILE}: {e}")))?;

        let decimals = output.decimals.unwrap_or(6);
        Ok(Self {
            max_sentences: max_sentences as usize,
            manifest,
            bert,
            tokenizer,
            dimensions,
            normalize,
            decimals,
        })
    }

    /// Embeds the sentences of the input's string tensor.
    pub(crate) fn run(&self, input: &ModelInput, deadline: Deadline) -> Result<ModelOutput> {
        let name = &self.manifest.inputs[0].name;
        let sentences = &input.string_tensor(name)?.values;
        if sentences.is_empty() || sentences.len() > self.max_sentences {
            return Err(InferenceError::MalformedTensor(format!(
                "input '{name}' must hold 1 to {} sentences, got {}",
                self.max_sentences,
                sentences.len()
            )));
        }
        if let Some(i) = sentences.iter().position(|s| s.trim().is_empty()) {
            return Err(InferenceError::MalformedTensor(format!(
                "sentence {i} of input '{name}' is empty"
            )));
        }
        let encodings = sentences
            .iter()
            .map(|sentence| {
                self.tokenizer
                    .encode(sentence.as_str(), true)
                    .map_err(|e| InferenceError::MalformedTensor(format!("cannot tokenize: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        let states = self.bert.forward(&ids, || deadline.check(&self.manifest.name))?;

        let mut values = Vec::with_capacity(sentences.len() * self.dimensions);
        let mut rows = states.chunks_exact(self.dimensions);
        for ids in ids {
            let embedding = self.pool(rows.by_ref().take(ids.len()))?;
            values.extend(embedding.into_iter().map(|v| Number::from_f32(v, self.decimals)));
        }
        let shape = vec![sentences.len() as u32, self.dimensions as u32];
        let output = MultiDimensionalNumberTensor::new(
            self.manifest.outputs[0].name.clone(),
            values,
            shape,
        )?;
        Ok(ModelOutput::numbers(vec![output]))
    }

    /// One sentence's embedding from its tokens' states: their mean, scaled to unit length if the
    /// manifest says so, in plain Rust, in `f64`, in a fixed order.
    fn pool<'a>(&self, states: impl Iterator<Item = &'a [f32]>) -> Result<Vec<f32>> {
        let mut pooled = vec![0f64; self.dimensions];
        let mut tokens = 0u32;
        for state in states {
            tokens += 1;
            pooled.iter_mut().zip(state).for_each(|(p, s)| *p += f64::from(*s));
        }
        let tokens = f64::from(tokens.max(1));
        pooled.iter_mut().for_each(|p| *p /= tokens);
        if self.normalize {
            // As torch's `normalize`: divide by the norm, but never by less than 1e-12.
            let norm = pooled.iter().map(|p| p * p).sum::<f64>().sqrt().max(1e-12);
            pooled.iter_mut().for_each(|p| *p /= norm);
        }
        if pooled.iter().any(|p| !p.is_finite()) {
            return Err(InferenceError::Execution("non-finite embedding".into()));
        }
        Ok(pooled.into_iter().map(|p| p as f32).collect())
    }

    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

/// The only element of a slice of one.
fn single<T>(items: &[T]) -> Option<&T> {
    match items {
        [item] => Some(item),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::TensorSpec;

    fn manifest() -> Manifest {
        Manifest {
            name: "test/embedder".into(),
            version: "0".into(),
            description: String::new(),
            architecture: Architecture::SentenceEmbedder {
                dimensions: 4,
                max_tokens: 8,
                pooling: Pooling::Mean,
                normalize: true,
            },
            determinism: Determinism::Tolerance { epsilon: 1e-4 },
            inputs: vec![TensorSpec {
                name: "text".into(),
                dtype: TensorType::String,
                shape: vec![2],
                batch: true,
                decimals: None,
            }],
            outputs: vec![TensorSpec {
                name: "embedding".into(),
                dtype: TensorType::Number,
                shape: vec![2, 4],
                batch: true,
                decimals: Some(6),
            }],
            cost_units: 1,
            files: BTreeMap::new(),
        }
    }

    /// The error building an embedder from `manifest` and placeholder files.
    fn load_error(manifest: Manifest) -> String {
        let files = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE]
            .iter()
            .map(|name| (name.to_string(), b"{}".to_vec()))
            .collect();
        let package = ModelPackage::build(manifest, files).expect("package");
        match Embedder::from_package(&package) {
            Err(InferenceError::InvalidPackage(message)) => message,
            other => panic!("expected an invalid package, got {other:?}"),
        }
    }

    #[test]
    fn inconsistent_manifests_are_rejected() {
        type Edit = fn(&mut Manifest);
        let cases: [(&str, Edit, &str); 8] = [
            ("exact class", |m| m.determinism = Determinism::Exact { scale_bits: 8 }, "tolerance"),
            ("number input", |m| m.inputs[0].dtype = TensorType::Number, "string tensor"),
            ("fixed input", |m| m.inputs[0].batch = false, "string tensor"),
            ("empty batch", |m| m.inputs[0].shape = vec![0], "string tensor"),
            ("2-d input", |m| m.inputs[0].shape = vec![2, 1], "string tensor"),
            ("output width", |m| m.outputs[0].shape = vec![2, 5], "dimensions"),
            ("fixed output", |m| m.outputs[0].batch = false, "dimensions"),
            ("two inputs", |m| m.inputs.push(m.inputs[0].clone()), "one input"),
        ];
        for (name, edit, expected) in cases {
            let mut manifest = manifest();
            edit(&mut manifest);
            let message = load_error(manifest);
            assert!(message.contains(expected), "{name}: {message}");
        }
    }

    #[test]
    fn a_bad_config_is_rejected_before_the_weights() {
        let message = load_error(manifest());
        assert!(message.contains(CONFIG_FILE), "{message}");
    }
}
