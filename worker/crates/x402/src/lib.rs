//! Payment-gated inference over HTTP: the worker's API ([`api`]), x402 ([`x402`]) and the facilitator
//! that verifies and settles payments on chain ([`facilitator`]), the service that runs them
//! ([`serve`]), and a paying client ([`pay`]).
#![warn(unused_crate_dependencies)]

pub mod api;
pub mod facilitator;
mod pay;
mod service;
pub mod x402;

use std::path::{Path, PathBuf};

// For its `rand` feature: `B256::random()` makes the EIP-3009 nonces.
use alloy_primitives as _;

pub use pay::{PaidResponse, PayError, pay, pay_request, pay_request_up_to};
pub use service::{
    ApiOptions, PaidApi, ServeOptions, SettlementOptions, facilitate, facilitator_routes, paid_api,
    paywall, serve,
};

/// What can stop the service.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The settlement ledger failed.
    #[error("settlement ledger: {0}")]
    Db(#[from] redb::Error),
    /// A ledger record does not decode.
    #[error("corrupt settlement record: {0}")]
    Corrupt(serde_json::Error),
    /// A directory or socket failed.
    #[error("{path}: {source}")]
    Io {
        /// The directory or address.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The chain could not be read.
    #[error(transparent)]
    Chain(#[from] verigrad_contracts::ChainError),
    /// The models could not be loaded.
    #[error(transparent)]
    Inference(#[from] verigrad_inference::InferenceError),
}

impl ServeError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
}
