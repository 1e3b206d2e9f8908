//! Who stands behind an answer the network gave: the release it ran and each staked worker's EIP-712
//! signature over it. The engine only carries attestations into the block's commitment; checking
//! them (signature, stake) is the node's job, at arrival and on replay.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

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

/// The release an answer came from, the workers that signed it (sorted by address), and what a
/// call served it pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The release (package id) the workers ran.
    pub release: B256,
    /// The PipeSettlement whose EIP-712 domain the signatures are in, and which bills the calls.
    pub settlement: Address,
    /// The release's price when the answer was gathered: what each call served it pays.
    pub price: U256,
    /// The signatures, one per worker, sorted by worker address.
    pub signatures: Vec<Signed>,
}

impl Attestation {
    /// An attestation of `release` by `signatures` (put in their canonical order), in the domain of
    /// `settlement`, each call paying `price`.
    pub fn new(
        release: B256,
        settlement: Address,
        price: U256,
        mut signatures: Vec<Signed>,
    ) -> Self {
        signatures.sort_by_key(|signed| signed.worker);
        signatures.dedup_by_key(|signed| signed.worker);
        Self { release, settlement, price, signatures }
    }

    /// The signers, in order.
    pub fn signers(&self) -> impl Iterator<Item = Address> + '_ {
        self.signatures.iter().map(|signed| signed.worker)
    }

    /// `keccak256(release ‖ settlement ‖ price ‖ signer₀ ‖ output hash₀ ‖ signer₁ ‖ …)`: what a
    /// block's PIPE root commits to of it.
    pub fn hash(&self) -> B256 {
        let mut bytes = Vec::with_capacity(84 + 52 * self.signatures.len());
        bytes.extend_from_slice(self.release.as_slice());
        bytes.extend_from_slice(self.settlement.as_slice());
        bytes.extend_from_slice(&self.price.to_be_bytes::<32>());
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

    /// The model reference whose manifest prices and shapes the answers to `model`: `model` itself,
    /// unless this answerer resolves it further (pipe-node resolves `twin:<id>` to the twin's bound
    /// release on the state the block builds on). A simulation prices its calls by it, as the
    /// answer will be priced.
    fn release_of(&self, model: &str) -> Result<String, PipeFailure> {
        Ok(model.to_owned())
    }
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
