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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Tensor name.
    pub name: String,
    /// Exact shape.
    pub shape: Vec<u32>,
    /// Decimal places of output numbers (outputs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
}

impl TensorSpec {
    /// Number of elements.
    pub fn elements(&self) -> usize {
        self.shape.iter().map(|d| *d as usize).product()
    }
}
