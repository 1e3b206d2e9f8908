//! One verifier's part in a twin's drift check.
//!
//! Each poll it takes the next step the check allows, and treats a step the registry refuses as "not
//! yet" or "someone else did it": draw the committee once the anchor is mined (anyone may); as a
//! member, measure the drift and commit to it; once the reveals open, reveal; once they close,
//! resolve (anyone may; the last reveal resolves by itself).
//!
//! The measurement: the probe set is a blob in the store named by its hash — the twin's commitment —
//! and both releases are pulled from the store if this worker does not hold them; the figure is
//! [`verigrad_inference::drift`]'s, in ppm. The commitment's salt is derived from the member's key
//! and the check (a signature nobody else can make), so a member restarted between commit and
//! reveal reveals the same commitment without having stored anything.

use std::{path::PathBuf, time::Duration};

use alloy::{
    primitives::{B256, U256, keccak256},
    signers::{SignerSync, local::PrivateKeySigner},
};
use verigrad_blobs::StoreClient;
use verigrad_contracts::{
    Chain, ChainError, TwinRegistryClient, TxSender,
    bindings::TwinRegistry::{CheckStatus, DriftCheck, DriftVote, TwinRegistryErrors},
    drift_commitment,
};
use verigrad_inference::{ProbeSet, drift};

use crate::TwinError;

/// Where a member finds models and how often it looks at the chain.
#[derive(Debug, Clone)]
pub struct MemberOptions {
    /// Folders of packages it holds; others are pulled from the store.
    pub models: Vec<PathBuf>,
    /// Where pulled packages are kept.
    pub cache: PathBuf,
    /// Time between polls.
    pub poll: Duration,
    /// How long it waits for the check to resolve.
    pub patience: Duration,
}

/// A verifier taking part in drift checks.
#[derive(Debug)]
pub struct DriftMember {
    twins: TwinRegistryClient,
    chain: Chain,
    sender: TxSender,
    signer: PrivateKeySigner,
    store: StoreClient,
    options: MemberOptions,
}

/// What a step came to.
enum Step {
    /// The check ended: its verdict.
    Done(CheckStatus),
    /// Nothing more to do now.
    Wait,
}

impl DriftMember {
    /// A member signing with `signer` (its transactions sent by `sender`), reading `store`.
    pub fn new(
        chain: Chain,
        sender: TxSender,
        signer: PrivateKeySigner,
        store: StoreClient,
        options: MemberOptions,
    ) -> Result<Self, TwinError> {
        let twins = chain.twins()?;
        Ok(Self { twins, chain, sender, signer, store, options })
    }

    /// The chain it reads.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The twin registry's address.
    pub fn registry(&self) -> alloy::primitives::Address {
        self.twins.address()
    }

    /// Takes part in check `check` until it resolves; its verdict.
    pub async fn serve(&self, check: U256) -> Result<CheckStatus, TwinError> {
        let started = tokio::time::Instant::now();
        loop {
            if let Step::Done(status) = self.step(check).await? {
                return Ok(status);
            }
            if started.elapsed() > self.options.patience {
                let now = self.twins.check(check).await?;
                let stands = format!(
                    "{:?}, anchor {}, {} of {} committed, {} revealed",
                    now.status, now.anchor, now.commits, now.size, now.reveals
                );
                return Err(TwinError::Timeout { check, stands });
            }
            tokio::time::sleep(self.options.poll).await;
        }
    }

    /// The next step check `check` allows.
    async fn step(&self, id: U256) -> Result<Step, TwinError> {
        let check = self.twins.check(id).await?;
        match check.status {
            CheckStatus::Passed | CheckStatus::Refused | CheckStatus::Void => {
                return Ok(Step::Done(check.status));
            }
            CheckStatus::Anchored => {
                moved_on(
                    self.twins.draw_committee(&self.sender, id).await,
                    "another member drew the committee first",
                )?;
                return Ok(Step::Wait);
            }
            _ => {}
        }
        let me = self.sender.address();
        let committee = self.twins.committee(id).await?;
        let Some(seat) = committee.iter().find(|m| m.verifier == me) else {
            return Err(TwinError::NotDrawn { check: id, member: me });
        };
        match seat.vote {
            DriftVote::None => {
                let ppm = self.measure(&check).await?;
                let salt = self.salt(id)?;
                let commitment = drift_commitment(id, ppm, check.probeSetHash, salt, me);
                tracing::info!(check = %id, drift_ppm = ppm, "drift measured; committing");
                let committed = self.twins.commit_drift(&self.sender, id, commitment).await;
                moved_on(committed, "the commitment reverted once mined; reading the check again")?;
            }
            DriftVote::Committed => {
                let ppm = self.measure(&check).await?;
                let salt = self.salt(id)?;
                let revealed =
                    self.twins.reveal_drift(&self.sender, id, ppm, check.probeSetHash, salt).await;
                moved_on(revealed, "the reveal reverted once mined; reading the check again")?;
            }
            _ => {
                let now = self.chain.rpc().latest_timestamp().await?;
                if now > check.until.to::<u64>() {
                    moved_on(
                        self.twins.resolve_check(&self.sender, id).await,
                        "another member resolved the check first",
                    )?;
                }
            }
        }
        Ok(Step::Wait)
    }

    /// The drift from the check's release to the proposed one over the twin's probe set, ppm.
    async fn measure(&self, check: &DriftCheck) -> Result<u32, TwinError> {
        let bytes = self.store.get(check.probeSetHash).await?;
        let actual = keccak256(&bytes);
        if actual != check.probeSetHash {
            return Err(TwinError::ProbeSetMismatch { expected: check.probeSetHash, actual });
        }
        let probes = ProbeSet::decode(&bytes)?;
        let (from, to) = (check.fromRelease, check.toRelease);
        let runtime = verigrad_roles::load_runtime(
            &self.options.models,
            &[from, to],
            &self.store,
            &self.options.cache,
        )
        .await?;
        let measured = tokio::task::spawn_blocking(move || {
            drift(&runtime, &from.to_string(), &to.to_string(), &probes)
        })
        .await
        .map_err(|e| {
            verigrad_inference::InferenceError::Execution(format!("drift panicked: {e}"))
        })??;
        Ok(u32::try_from(measured.ppm()).unwrap_or(u32::MAX))
    }

    /// The commitment's salt for check `id`: a hash of this member's signature over it.
    fn salt(&self, id: U256) -> Result<B256, TwinError> {
        let message =
            keccak256([b"verigrad drift salt".as_slice(), &id.to_be_bytes::<32>()].concat());
        let signature =
            self.signer.sign_hash_sync(&message).map_err(|e| ChainError::Sign(e.to_string()))?;
        Ok(keccak256(signature.as_bytes()))
    }
}

/// A step whose transaction reverted once mined although its dry run passed (`why`): the check
/// moved on between the two — another member took a step anyone may take, or a phase closed while
/// this member's vote waited. Not an error: the next step reads where the check stands, and
/// [`DriftMember::serve`]'s patience bounds the wait.
fn moved_on<T>(sent: verigrad_contracts::Result<T>, why: &'static str) -> Result<(), TwinError> {
    match sent {
        Err(ChainError::TxReverted { hash, block, .. }) => {
            tracing::info!(%hash, block, "{why}");
            Ok(())
        }
        other => tolerated(other),
    }
}

/// A step the registry refused because it is too early or someone else took it is not an error.
fn tolerated<T>(sent: verigrad_contracts::Result<T>) -> Result<(), TwinError> {
    match sent {
        Ok(_) => Ok(()),
        Err(error) => match error.revert().and_then(|r| r.as_error::<TwinRegistryErrors>()) {
            Some(
                TwinRegistryErrors::AnchorPending(_)
                | TwinRegistryErrors::WrongCheckStatus(_)
                | TwinRegistryErrors::AlreadyVoted(_)
                | TwinRegistryErrors::DriftRevealNotOpen(_)
                | TwinRegistryErrors::DriftPhaseOpen(_),
            ) => Ok(()),
            _ => Err(error.into()),
        },
    }
}
