//! A model package's manifest: what the model is, its tensor schema, its determinism class and cost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The manifest file of a package (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Repository-style name, e.g. `verigrad/volatility`.
    pub name: String,
    /// Release version.
    pub version: String,
    /// What the model does, for people.
    pub description: String,
    /// The network and how to run it.
    pub architecture: Architecture,
    /// How two executions are compared.
    pub determinism: Determinism,
    /// Input tensors, in order.
    pub inputs: Vec<TensorSpec>,
    /// Output tensors, in order.
    pub outputs: Vec<TensorSpec>,
    /// Price and gas weight of one execution, in abstract units.
    pub cost_units: u64,
    /// keccak-256 of every other file of the package, by file name.
    pub files: BTreeMap<String, String>,
}

/// A network architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Architecture {
    /// A multilayer perceptron: ReLU between layers, `output_activation` after the last.
    Mlp {
        /// Widths from input to output, e.g. `[16, 32, 16, 1]`.
        layers: Vec<usize>,
        /// Applied to the last layer.
        output_activation: Activation,
    },
    /// A BERT encoder that maps sentences to unit vectors: every sentence is tokenized, padded or
    /// truncated to exactly `max_tokens` tokens, encoded, pooled over its real tokens and (when
    /// `normalize`) scaled to unit length. The package holds `config.json` (the BERT configuration),
    /// `model.safetensors` and `tokenizer.json`.
    SentenceEmbedder {
        /// Width of an embedding (the encoder's hidden size).
        dimensions: usize,
        /// Tokens per sentence, special tokens included: longer sentences are truncated.
        max_tokens: usize,
        /// How token states become one vector.
        pooling: Pooling,
        /// Whether embeddings are scaled to unit L2 norm.
        normalize: bool,
    },
}

/// How a sentence embedder turns token states into one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean of the states of the real (non-padding) tokens.
    Mean,
}

/// An activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// The identity.
    None,
    /// `1 / (1 + e^-x)` (tolerance class only: it needs `exp`).
    Sigmoid,
}

/// A determinism class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case", deny_unknown_fields)]
pub enum Determinism {
    /// Integer arithmetic on fixed-point values with `scale_bits` fractional bits: bit-identical on
    /// every machine, outputs compared by hash.
    Exact {
        /// Fractional bits of activations.
        scale_bits: u32,
    },
    /// Floating point: outputs compared element-wise within `epsilon`.
    Tolerance {
        /// Largest allowed absolute difference per element.
        epsilon: f64,
    },
}

/// One tensor of the schema. Shapes are pinned: results of batched kernels can change with the batch.
///
/// The one exception is a `batch` tensor: its leading dimension `shape[0]` is the *largest* number of
/// rows a run takes, and a run takes any number from 1 to `shape[0]`, returning output tensors with
/// as many rows. The model must then compute every row on its own, so that a row's result does not
/// depend on the other rows of the batch (a sentence embedder runs each sentence separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Tensor name.
    pub name: String,
    /// Element type: numbers ([`crate::MultiDimensionalNumberTensor`], the default) or strings
    /// ([`crate::StringTensor`]).
    #[serde(default, skip_serializing_if = "TensorType::is_number")]
    pub dtype: TensorType,
    /// Exact shape, or with `batch` the largest one.
    pub shape: Vec<u32>,
    /// Whether `shape[0]` is a maximum: a run takes `1..=shape[0]` rows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch: bool,
    /// Decimal places of output numbers (outputs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
}

/// The element type of a tensor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TensorType {
    /// Fixed-point decimal numbers.
    #[default]
    Number,
    /// UTF-8 strings.
    String,
}

impl TensorType {
    fn is_number(&self) -> bool {
        *self == Self::Number
    }
}

impl TensorSpec {
    /// A number tensor of exactly `shape`; `decimals` for outputs.
    ///
    /// ```
    /// use verigrad_inference::TensorSpec;
    ///
    /// let spec = TensorSpec::numbers("features", vec![1, 8], None);
    /// assert!(spec.is_fixed_numbers());
    /// assert_eq!(spec.elements(), 8);
    /// ```
    pub fn numbers(name: impl Into<String>, shape: Vec<u32>, decimals: Option<u32>) -> Self {
        Self { name: name.into(), dtype: TensorType::Number, shape, batch: false, decimals }
    }

    /// Number of elements (with `batch`, of the largest batch).
    pub fn elements(&self) -> usize {
        self.shape.iter().map(|d| *d as usize).product()
    }

    /// Whether this is a number tensor of exactly `shape`, as fixed-shape models (MLPs) need.
    pub fn is_fixed_numbers(&self) -> bool {
        self.dtype == TensorType::Number && !self.batch
    }
}
