//! PIPE — Parallelized Inference Pre-Execution.
//!
//! A revm precompile at `0x…F4` lets a contract run a model inside a transaction
//! ([`PipePrecompiles`]). Where its answers come from is a [`InferenceBackend`]: computed inline, recorded
//! during the simulation phase, or read from results pre-executed before the block was built.
#![warn(unused_crate_dependencies)]
#[cfg(test)]
use serde_json as _; // used by the integration tests only

mod attest;
mod backend;
mod billing;
mod engine;
mod overlap;
mod precompile;
mod preexec;
mod request;
mod twin;

pub use attest::{Answerer, Attestation, Signed, unanswered};
pub use backend::{
    Answer, CachedBackend, InferenceBackend, InlineBackend, Resolution, Resolved, ResultCache,
    SimulationBackend, compute, compute_until,
};
pub use billing::{Charge, ChargeLedger, balance_slot};
pub use engine::{
    BlockOutcome, Engine, EngineConfig, EngineStats, PipeCommitment, TxOutcome, merge, output_hash,
};
pub use precompile::{
    ADDRESS, BASE_GAS, GAS_PER_COST_UNIT, GAS_PER_ELEMENT, INFERENCE_EVENT_TOPIC, PipePrecompiles,
    Served, run,
};
pub use preexec::PreExecuted;
pub use request::{
    Mode, PipeFailure, PipeInferenceFailed, PipeInsufficientBalance, PipeMalformedTensor,
    PipeRequest, PipeUnknownModel,
};
pub use twin::BoundTwin;
