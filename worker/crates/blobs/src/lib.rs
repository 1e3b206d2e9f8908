//! The store role: a content-addressed blob store for model packages, task inputs and outputs, served
//! over HTTP and checked by hash on every write and read — so neither a client nor a store can pass
//! off other bytes under a hash.
#![warn(unused_crate_dependencies)]

mod client;
mod dir;
mod server;

use std::path::Path;

use alloy_primitives::B256;

pub use client::{StoreClient, Transfer};
pub use dir::BlobDir;
pub use server::router;

/// What can go wrong storing or fetching blobs.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The bytes do not hash to the name they were given.
    #[error("content hash mismatch: expected {expected}, the bytes hash to {actual}")]
    Mismatch {
        /// The claimed hash.
        expected: B256,
        /// The bytes' hash.
        actual: B256,
    },
    /// A stored file no longer matches its name.
    #[error("stored blob {hash} is damaged (its bytes hash to {actual})")]
    Corrupt {
        /// The blob's name.
        hash: B256,
        /// What its bytes hash to now.
        actual: B256,
    },
    /// The assembled package has another id than the one claimed.
    #[error("the package's files make package {actual}, not {expected}")]
    WrongPackage {
        /// The claimed id.
        expected: B256,
        /// The actual id.
        actual: B256,
    },
    /// The package is incomplete or invalid.
    #[error(transparent)]
    Package(#[from] verigrad_inference::InferenceError),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store does not hold the blob (HTTP 404): nobody uploaded it there.
    #[error("store {url}: 404, {message}")]
    NotFound {
        /// The request.
        url: String,
        /// The store's explanation.
        message: String,
    },
    /// The store answered with an error, or could not be reached.
    #[error("store {url}: {message}")]
    Remote {
        /// The request.
        url: String,
        /// What happened.
        message: String,
    },
}

impl BlobError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.display().to_string(), source }
    }
}
