//! Twins off chain. A twin (`TwinRegistry`) is bound to a release, a profile, a memory, a probe set
//! and a drift bound; its release moves only through a drift check whose committee of verifiers
//! measures how far the proposed release's answers are from the current one's over the probe set.
//! [`DriftMember`] is one verifier's part in a check: draw the committee if nobody has, measure,
//! commit, reveal, and resolve when the window has closed; [`follow`] serves every check proposed, as
//! `worker run` does for a VERIFY worker.
#![warn(unused_crate_dependencies)]

mod follow;
mod member;

pub use follow::follow;
pub use member::{DriftMember, MemberOptions};

use alloy::primitives::{Address, B256, U256};

/// Why a verifier could not play its part in a check.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    /// The chain refused or could not be read.
    #[error(transparent)]
    Chain(#[from] verigrad_contracts::ChainError),
    /// The store could not give the probe set or a release.
    #[error("store: {0}")]
    Store(#[from] verigrad_blobs::BlobError),
    /// A release could not be loaded or run.
    #[error(transparent)]
    Task(#[from] verigrad_task::TaskError),
    /// The drift could not be measured.
    #[error(transparent)]
    Inference(#[from] verigrad_inference::InferenceError),
    /// The verifier is not on the check's committee.
    #[error("{member} is not on check {check}'s committee")]
    NotDrawn {
        /// The check.
        check: U256,
        /// The verifier.
        member: Address,
    },
    /// The store's probe set does not hash to the twin's commitment.
    #[error("the probe set the store gave hashes to {actual}, not the twin's {expected}")]
    ProbeSetMismatch {
        /// The binding's probe set hash.
        expected: B256,
        /// What the store's bytes hash to.
        actual: B256,
    },
    /// The check did not resolve in the time given.
    #[error("check {check} did not resolve in time; it stands at {stands}")]
    Timeout {
        /// The check.
        check: U256,
        /// Where it stands: status, commits and reveals of its committee.
        stands: String,
    },
}
