//! Tasks of the escrow as a worker or requester sees them: which permissionless step is due, inputs
//! and outputs by commitment, and comparing results. Their state is read by the contracts crate's
//! `EscrowClient`; the escrow's events arrive through the resumable [`EventStream`], and what a worker
//! must not forget about them across a crash is kept in its [`WorkerStore`].
#![warn(unused_crate_dependencies)]

mod events;
mod step;
mod store;
mod sync;
mod tensors;

use alloy::primitives::{B256, b256};
use verigrad_contracts::ChainError;

pub use events::{EventStream, EventsConfig, LogBatch, StreamError};
pub use step::{STEP_GAS, Step, due, quiet_until, step_calls, take};
pub use store::{PendingResult, StoreError, StoreResult, WorkerStore};
pub use sync::lock;
pub use tensors::{check_input, output_json, parse_input};
use verigrad_blobs::BlobError;

// For its `rand` feature: `B256::random()` makes the commitment salts.
use alloy_primitives as _;

/// The escrow's `INPUT_REJECTED`: the output hash a worker answers for an input nobody can run,
/// `keccak256("verigrad.input-rejected")`. An accepted rejection refunds the requester.
pub const INPUT_REJECTED: B256 =
    b256!("0x14ad220dc88562a9da74bf0c23d6df176506378d3defb2770795faea78aea151");

/// What can go wrong working on a task.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A chain read or transaction failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The event stream failed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The store node failed or served the wrong bytes.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The worker's database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The model could not run on the input.
    #[error(transparent)]
    Inference(#[from] verigrad_inference::InferenceError),
    /// A task input that is not a well-formed tensor set.
    #[error("malformed input: {0}")]
    MalformedInput(String),
    /// A task input larger than this worker accepts.
    #[error("input of {size} bytes is over the limit of {limit}")]
    InputTooLarge {
        /// The input's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// An output blob that does not decode as a model output.
    #[error("output {hash} does not decode: {reason}")]
    MalformedOutput {
        /// The output's hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// No release of the model registry has this id.
    #[error("unknown model {0}: no release with this id is published")]
    UnknownModel(String),
    /// No store holds the package of the task's model: nobody can run it.
    #[error("model {0} is unavailable: no store holds its package")]
    ModelUnavailable(B256),
}

impl TaskError {
    /// Whether the error says the task's input cannot be run by anyone — undecodable, misshapen,
    /// over the network's size limit, or its input or model package held by no store — so that a
    /// worker answers `INPUT_REJECTED` and a verifier that reaches the same verdict agrees.
    pub fn rejects_input(&self) -> bool {
        matches!(
            self,
            Self::MalformedInput(_)
                | Self::InputTooLarge { .. }
                | Self::ModelUnavailable(_)
                | Self::Inference(verigrad_inference::InferenceError::MalformedTensor(_))
                | Self::Blob(BlobError::NotFound { .. })
        )
    }

    /// Whether the error says something about the task itself (its input or model), so that trying
    /// again cannot help — as opposed to a node or store that may answer later.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::Inference(_)
                | Self::MalformedInput(_)
                | Self::InputTooLarge { .. }
                | Self::UnknownModel(_)
                | Self::ModelUnavailable(_)
                | Self::Blob(BlobError::Mismatch { .. } | BlobError::NotFound { .. })
        )
    }
}
