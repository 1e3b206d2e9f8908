//! Who stands behind an answer the network gave: the release it ran and each staked worker's EIP-712
//! signature over it. The engine only carries attestations into the block's commitment; checking
//! them (signature, stake) is the node's job, at arrival and on replay.

use alloy_primitives::{Address, B256, Bytes, keccak256};

use crate::{PipeFailure, PipeRequest, Resolution};

/// One worker's signature over its answer (65 bytes, `r ‖ s ‖ v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The worker that signed, as its signature recovers.
    pub worker: Address,
    /// The hash of the output it signed: the committed output's for an EXACT model; for a
    /// TOLERANCE model, its own output, which agreed with the committed one within ε.
    pub output_hash: B256,
    /// The signature.
    pub signature: Bytes,
}

/// The release an answer came from and the workers that signed it, sorted by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The release (package id) the workers ran.
    pub release: B256,
    /// The signatures, one per worker, sorted by worker address.
    pub signatures: Vec<Signed>,
}

impl Attestation {
    /// An attestation of `release` by `signatures`, put in their canonical order.
    pub fn new(release: B256, mut signatures: Vec<Signed>) -> Self {
        signatures.sort_by_key(|signed| signed.worker);
        signatures.dedup_by_key(|signed| signed.worker);
        Self { release, signatures }
    }

    /// The signers, in order.
    pub fn signers(&self) -> impl Iterator<Item = Address> + '_ {
        self.signatures.iter().map(|signed| signed.worker)
    }

    /// `keccak256(release ‖ signer₀ ‖ output hash₀ ‖ signer₁ ‖ …)`: what a block's PIPE root commits
    /// to of it.
    pub fn hash(&self) -> B256 {
        let mut bytes = Vec::with_capacity(32 + 52 * self.signatures.len());
        bytes.extend_from_slice(self.release.as_slice());
        for signed in &self.signatures {
            bytes.extend_from_slice(signed.worker.as_slice());
            bytes.extend_from_slice(signed.output_hash.as_slice());
        }
        keccak256(bytes)
    }
}

/// Answers the requests a block's simulations recorded: the node's own runtime, or the staked
/// worker network.
pub trait Answerer: Send + Sync + std::fmt::Debug {
    /// The answer to `request`, or why there is none, by `deadline`.
    fn answer(&self, request: &PipeRequest, deadline: verigrad_inference::Deadline) -> Resolution;
}

impl Answerer for verigrad_inference::Runtime {
    fn answer(&self, request: &PipeRequest, deadline: verigrad_inference::Deadline) -> Resolution {
        crate::compute_until(self, request, deadline)
    }
}

/// The failure of a request no worker answered in time.
pub fn unanswered(request: &PipeRequest, why: &str) -> PipeFailure {
    PipeFailure::Failed(format!("no worker answered request {} ({why})", request.id))
}
