//! Tasks of the escrow as a worker or requester sees them: reading their state, deciding which
//! permissionless step is due, inputs and outputs by commitment, and comparing results.

mod compare;
mod escrow;
mod step;
mod tensors;

use alloy::primitives::B256;

pub use compare::agrees;
pub use escrow::{Escrow, Seat, SeatState, TaskState, TaskStatus};
pub(crate) use step::{STEP_GAS, lost_race, take};
pub use step::{Step, due};
pub use tensors::{check_input, output_json, parse_input};

use crate::{
    blobs::BlobError,
    chain::{ChainError, StreamError},
    store::StoreError,
};

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
    /// A transaction or task lacks the event it must have emitted.
    #[error("no {event} event for {context}")]
    MissingEvent {
        /// The event.
        event: &'static str,
        /// What it was looked for.
        context: String,
    },
}

impl TaskError {
    /// Whether the error says something about the task itself (its input or model), so that trying
    /// again cannot help — as opposed to a node or store that may answer later.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::Inference(_)
                | Self::MalformedInput(_)
                | Self::InputTooLarge { .. }
                | Self::UnknownModel(_)
                | Self::Blob(BlobError::Mismatch { .. })
        )
    }
}
