//! The crate's one error type, and the HTTP answer each error is.

use alloy::primitives::{Address, B256};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use verigrad_memory::MemoryError;

use crate::{auth::AuthError, wire::InvalidRequest};

/// What can go wrong serving or calling MemSync.
#[derive(Debug, thiserror::Error)]
pub enum MemsyncError {
    /// The request's authorisation is missing, malformed, expired, replayed or not its signer's.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The body breaks a limit.
    #[error(transparent)]
    Invalid(#[from] InvalidRequest),
    /// The body is not the JSON expected.
    #[error("malformed body: {0}")]
    Body(String),
    /// Nobody created this namespace on chain.
    #[error("unknown namespace {0}")]
    UnknownNamespace(B256),
    /// This node is not one of the namespace's replicas.
    #[error("this node ({node}) is not a replica of namespace {namespace}")]
    NotReplica {
        /// The namespace.
        namespace: B256,
        /// This node.
        node: Address,
    },
    /// The signer is neither the namespace's owner nor one of its delegates.
    #[error("{signer} may not act on namespace {namespace}: not its owner nor a delegate")]
    Forbidden {
        /// The namespace.
        namespace: B256,
        /// Who signed.
        signer: Address,
    },
    /// No such memory.
    #[error("no memory {0} in this namespace")]
    NoMemory(B256),
    /// A root to commit that is not this node's state at its seq.
    #[error("seq {seq}: this node's root is {ours}, not {theirs}")]
    NotOurRoot {
        /// The seq.
        seq: u64,
        /// This node's root at its seq.
        ours: B256,
        /// The root asked to be committed.
        theirs: B256,
    },
    /// The store failed or refused.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// The decision layer failed.
    #[error(transparent)]
    Distill(#[from] verigrad_distill::DistillError),
    /// The chain could not be read or refused a transaction.
    #[error(transparent)]
    Chain(#[from] verigrad_contracts::ChainError),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(alloy::signers::Error),
    /// A socket or file failed.
    #[error("{what}: {source}")]
    Io {
        /// The address or path.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// A blocking task panicked or was cancelled.
    #[error("internal: {0}")]
    Internal(String),
}

impl MemsyncError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Auth(AuthError::Ledger(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Auth(AuthError::Malformed(_)) => StatusCode::BAD_REQUEST,
            Self::Auth(AuthError::Replayed(_)) => StatusCode::CONFLICT,
            Self::Auth(_) => StatusCode::UNAUTHORIZED,
            Self::Invalid(InvalidRequest::TooLong { .. } | InvalidRequest::TooManyMessages(_)) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::Invalid(_) | Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::UnknownNamespace(_) | Self::NoMemory(_) => StatusCode::NOT_FOUND,
            Self::NotReplica { .. } => StatusCode::MISDIRECTED_REQUEST,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotOurRoot { .. } => StatusCode::CONFLICT,
            Self::Memory(error) => match error {
                MemoryError::StaleSequence { .. } | MemoryError::AlreadySuperseded { .. } => {
                    StatusCode::CONFLICT
                }
                MemoryError::NotFound(_) => StatusCode::NOT_FOUND,
                MemoryError::Limit(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Chain(verigrad_contracts::ChainError::Reverted { .. }) => StatusCode::CONFLICT,
            Self::Chain(_) => StatusCode::BAD_GATEWAY,
            Self::Distill(_) | Self::Sign(_) | Self::Io { .. } | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for MemsyncError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.to_string() });
        if let Self::Memory(MemoryError::StaleSequence { current, .. }) = &self {
            body["seq"] = json!(current);
        }
        (self.status(), Json(body)).into_response()
    }
}
