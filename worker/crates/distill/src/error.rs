//! Errors of the decision layer, its model and its evaluation.

use std::path::PathBuf;

use verigrad_inference::InferenceError;

/// What can go wrong distilling a conversation, training the importance model or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum DistillError {
    /// The embedder or the importance model failed to load or run.
    #[error(transparent)]
    Inference(#[from] InferenceError),
    /// The embedder answered a different number of vectors than texts it was given.
    #[error("the embedder returned {got} vectors for {expected} texts")]
    EmbeddingCount {
        /// Texts sent.
        expected: usize,
        /// Vectors received.
        got: usize,
    },
    /// The importance package's class heads are missing or malformed.
    #[error("invalid class heads in the importance package: {0}")]
    InvalidClasses(String),
    /// The slot-pair package's slot descriptions are missing or malformed.
    #[error("invalid slot descriptions in the slot-pair package: {0}")]
    InvalidSlots(String),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result with [`DistillError`].
pub type Result<T, E = DistillError> = std::result::Result<T, E>;
