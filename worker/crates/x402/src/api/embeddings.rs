//! `POST /v1/embeddings` in OpenAI's request and response shape, served by a sentence embedder.

use serde::{Deserialize, Serialize};
use verigrad_inference::{Manifest, ModelInput, ModelOutput, StringTensor};

/// OpenAI's `input`: one string or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// One text.
    One(String),
    /// Several texts, one embedding each.
    Many(Vec<String>),
}

/// The request body. `encoding_format` must be `float` when given; `user` and `dimensions` are
/// accepted and ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddingRequest {
    /// The texts.
    pub input: EmbeddingInput,
    /// The model: a name such as `verigrad/minilm`, `name@version` or a package id.
    pub model: String,
    /// Only `float`.
    #[serde(default)]
    pub encoding_format: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub user: Option<String>,
    /// Ignored: the model's width is fixed.
    #[serde(default)]
    pub dimensions: Option<u32>,
}

impl EmbeddingRequest {
    /// The texts, and the model input for `manifest`'s one string tensor; an error message for a
    /// request the model cannot take.
    pub fn to_input(&self, manifest: &Manifest) -> Result<(Vec<String>, ModelInput), String> {
        if self.encoding_format.as_deref().is_some_and(|f| f != "float") {
            return Err("only encoding_format \"float\" is supported".into());
        }
        let texts = match &self.input {
            EmbeddingInput::One(text) => vec![text.clone()],
            EmbeddingInput::Many(texts) => texts.clone(),
        };
        let spec = manifest.inputs.first().ok_or("the model takes no input")?;
        let most = spec.shape.first().copied().unwrap_or(1) as usize;
        if texts.is_empty() || texts.len() > most {
            return Err(format!("{} takes 1 to {most} inputs, not {}", manifest.name, texts.len()));
        }
        let input = ModelInput::strings(vec![StringTensor::new(spec.name.clone(), texts.clone())]);
        Ok((texts, input))
    }
}

/// One embedding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Embedding {
    /// `embedding`.
    pub object: &'static str,
    /// Its input's position.
    pub index: usize,
    /// The vector.
    pub embedding: Vec<f64>,
}

/// Token counts; the runtime does not report them, so both are 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens.
    pub prompt_tokens: u64,
    /// All tokens.
    pub total_tokens: u64,
}

/// The response body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingResponse {
    /// `list`.
    pub object: &'static str,
    /// One per input, in order.
    pub data: Vec<Embedding>,
    /// The model's `name@version`.
    pub model: String,
    /// Token counts.
    pub usage: Usage,
}

impl EmbeddingResponse {
    /// The rows of the output's first number tensor, one per text.
    pub fn new(model: String, texts: usize, output: &ModelOutput) -> Result<Self, String> {
        let tensor = output.numbers.first().ok_or("the model returned no embedding")?;
        let width = tensor.values.len() / texts.max(1);
        let values: Vec<f64> =
            tensor.values.iter().map(|n| n.value as f64 / 10f64.powi(n.decimals as i32)).collect();
        let data = values
            .chunks(width.max(1))
            .take(texts)
            .enumerate()
            .map(|(index, row)| Embedding { object: "embedding", index, embedding: row.to_vec() })
            .collect();
        Ok(Self { object: "list", data, model, usage: Usage::default() })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accepts_one_or_many_inputs() {
        let one: EmbeddingRequest =
            serde_json::from_value(json!({"input": "gm", "model": "verigrad/minilm"}))
                .expect("one");
        assert_eq!(one.input, EmbeddingInput::One("gm".into()));
        let many: EmbeddingRequest = serde_json::from_value(
            json!({"input": ["a", "b"], "model": "verigrad/minilm", "encoding_format": "float"}),
        )
        .expect("many");
        assert_eq!(many.input, EmbeddingInput::Many(vec!["a".into(), "b".into()]));
    }
}
