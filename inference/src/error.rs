//! Errors of the inference runtime.

use std::path::PathBuf;

/// What can go wrong loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// No loaded model answers to this reference.
    #[error("unknown model '{0}'")]
    UnknownModel(String),
    /// An input tensor is missing, has the wrong shape, or holds values the model cannot take.
    #[error("malformed tensor: {0}")]
    MalformedTensor(String),
    /// A package file does not match its recorded hash, or the package is not the one expected.
    #[error("{what} was tampered with: expected hash {expected}, found {actual}")]
    Tampered {
        /// The file or package.
        what: String,
        /// The recorded or pinned hash.
        expected: String,
        /// The hash of what is there.
        actual: String,
    },
    /// Two releases' answers over a probe set cannot be compared.
    #[error("drift: {0}")]
    Drift(String),
    /// A twin's invocation cannot be made: a bad profile, or one that does not fit the release.
    #[error("twin: {0}")]
    Twin(String),
    /// A package is incomplete or inconsistent.
    #[error("invalid package: {0}")]
    InvalidPackage(String),
    /// A file the manifest lists is not there. Files too large to commit (the all-MiniLM-L6-v2 weights)
    /// are installed by `scripts/setup`.
    #[error(
        "{} is missing: model files that are not committed are installed by `scripts/setup`; run it",
        path.display()
    )]
    MissingFile {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model failed while running.
    #[error("inference failed: {0}")]
    Execution(String),
    /// The model did not finish before its deadline.
    #[error("{model} ran past its deadline")]
    TimedOut {
        /// The model's name.
        model: String,
    },
}

impl From<candle_core::Error> for InferenceError {
    fn from(e: candle_core::Error) -> Self {
        Self::Execution(e.to_string())
    }
}

/// Result with [`InferenceError`].
pub type Result<T, E = InferenceError> = std::result::Result<T, E>;
