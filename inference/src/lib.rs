//! verigrad's inference runtime, shared by the PIPE precompile and the worker.
//!
//! - **Model packages** ([`ModelPackage`]): a folder with a manifest, safetensors weights and optional
//!   extras; its id is keccak-256 of the canonical package bytes, and loading rejects tampering.
//! - **Execution on candle** ([`Runtime`]) in two determinism classes: `exact` (fixed-point integers,
//!   bit-identical on every machine, compared by hash) and `tolerance(ε)` (floating point, compared
//!   element-wise).
//! - **Tensors and commitments** ([`ModelInput`], [`ModelOutput`]): the SolidML structs PIPE speaks, and
//!   one canonical output encoding whose keccak-256 is the output commitment; whether two outputs
//!   agree by their determinism class ([`agrees`]).
//! - **Project models** ([`training`]): data generators and a deterministic trainer that build the
//!   shipped `verigrad/volatility` and `verigrad/risk` packages.
//! - **A pretrained sentence embedder**: all-MiniLM-L6-v2 (a BERT encoder on the crate's own kernels,
//!   tokenized by `tokenizers`), packaged as `verigrad/minilm`; its weights are installed by
//!   `scripts/setup`.
//! - **Drift** ([`drift()`]): how far one release's answers move from another's over a probe set, the
//!   figure a twin's drift check agrees on.
//! - **Twins** ([`invoke_twin`]): a twin's behaviour profile applied around its bound release, the
//!   same for every door a twin is invoked by.
//! - **Threads** ([`set_threads`]): how many threads one inference may use, set by every binary that
//!   runs models.
#![warn(unused_crate_dependencies)]

mod compare;
mod deadline;
mod drift;
mod embedder;
mod error;
mod manifest;
mod mlp;
mod model;
mod package;
mod runtime;
mod tensor;
mod threads;
pub mod training;
mod twin;
mod weights;

pub use compare::{agrees, falsify};
pub use deadline::Deadline;
pub use drift::{Drift, ProbeSet, drift};
pub use embedder::{CONFIG_FILE, TOKENIZER_FILE};
pub use error::{InferenceError, Result};
pub use manifest::{
    Activation, Architecture, Determinism, Manifest, Pooling, TensorSpec, TensorType,
};
pub use mlp::WEIGHTS_FILE;
pub use package::{MANIFEST_FILE, ModelPackage};
pub use runtime::{LiveRuntime, Runtime};
pub use tensor::{
    JsonScalar, MAX_DECIMALS, ModelInferenceRequest, ModelInput, ModelOutput,
    MultiDimensionalNumberTensor, Number, StringTensor, runModelInferenceCall,
    runModelInferenceReturn,
};
pub use threads::{DEFAULT_THREADS, set_threads};
pub use twin::{
    Band, DECISION_OUTPUT, Decisions, TwinAnswerer, TwinModel, TwinProfile, invoke_twin,
    invoke_twin_until,
};
pub use weights::{WeightData, from_safetensors, to_safetensors};
