//! The audit of VANILLA answers after the fact: block by block, re-run a random sample of the signed
//! answers ([`verigrad_answer::audit_block`]) and dispute each wrong one, following the dispute's
//! DEEP task to its decision and resolving it. `worker run` audits as a verifier; `worker pipe
//! audit` audits a range of blocks, or follows the chain, for anyone willing to pay a dispute's bond.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy::primitives::U256;
use tokio::{sync::watch, task::JoinHandle};
use verigrad_answer::{Audited, BlockAudit, Committed, Verdict, audit_block};
use verigrad_blobs::StoreClient;
use verigrad_contracts::Ruling;
use verigrad_inference::LiveRuntime;
use verigrad_requester::Requester;

/// What an audit does with a wrong answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnWrong {
    /// Report it.
    Report,
    /// Dispute it, follow the dispute's task and resolve it.
    Dispute,
}

/// Audits blocks for one account.
pub(crate) struct Auditor {
    /// The account that draws, and pays the bond of each dispute it opens.
    requester: Arc<Requester>,
    runtime: LiveRuntime,
    store: StoreClient,
    rate_bps: u16,
    on_wrong: OnWrong,
    /// The disputes opened, each followed to its ruling in the background.
    disputes: Mutex<Vec<JoinHandle<Option<Ruled>>>>,
}

/// A dispute and its ruling.
type Ruled = (U256, Ruling);

/// The tally of an audit so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    /// Signed VANILLA answers seen.
    pub(crate) answers: usize,
    /// Drawn and re-run.
    pub(crate) audited: usize,
    /// Found wrong.
    pub(crate) wrong: usize,
    /// Disputes opened.
    pub(crate) disputed: usize,
}

impl Auditor {
    pub(crate) fn new(
        requester: Requester,
        runtime: LiveRuntime,
        store: StoreClient,
        rate_bps: u16,
        on_wrong: OnWrong,
    ) -> Self {
        Self {
            requester: Arc::new(requester),
            runtime,
            store,
            rate_bps,
            on_wrong,
            disputes: Mutex::default(),
        }
    }

    /// Audits blocks `from..=to`, adding to `tally`.
    pub(crate) async fn blocks(&self, from: u64, to: u64, tally: &mut Tally) -> anyhow::Result<()> {
        for block in from..=to {
            let audit = audit_block(
                self.requester.account(),
                &self.runtime.current(),
                block,
                self.rate_bps,
            )
            .await?;
            self.act(&audit, tally).await?;
        }
        Ok(())
    }

    /// The chain's head.
    pub(crate) async fn head(&self) -> anyhow::Result<u64> {
        Ok(self.requester.account().chain().rpc().block_number().await?)
    }

    /// Audits each new block from `from` on, every `poll`, until `shutdown`. A block that cannot be
    /// read is retried at the next poll.
    pub(crate) async fn follow(
        &self,
        from: u64,
        poll: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> Tally {
        let (mut next, mut tally) = (from, Tally::default());
        loop {
            match self.requester.account().chain().rpc().block_number().await {
                Ok(head) => {
                    while next <= head {
                        if let Err(error) = self.blocks(next, next, &mut tally).await {
                            tracing::warn!(block = next, %error, "audit failed; retrying");
                            break;
                        }
                        next += 1;
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read the head to audit"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.wait_for(|stop| *stop) => return tally,
            }
        }
    }

    /// Reports a block's audit and acts on its wrong answers.
    async fn act(&self, audit: &BlockAudit, tally: &mut Tally) -> anyhow::Result<()> {
        tally.answers += audit.answers;
        tally.audited += audit.audited.len();
        for Audited { committed, verdict } in &audit.audited {
            let (request, signer) = (committed.request_id, committed.signer);
            match verdict {
                Verdict::Agrees => {
                    tracing::info!(block = audit.block, %request, %signer, "audited: agrees")
                }
                Verdict::Unchecked(why) => {
                    tracing::warn!(block = audit.block, %request, %signer, %why, "audited: cannot re-run")
                }
                Verdict::Wrong => {
                    tally.wrong += 1;
                    tracing::warn!(block = audit.block, %request, %signer, "audited: WRONG");
                    if self.on_wrong == OnWrong::Dispute {
                        self.dispute(audit.block, committed).await?;
                        tally.disputed += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits for the disputes opened so far to be ruled; returns each ruled one's id and ruling.
    pub(crate) async fn rulings(&self) -> Vec<Ruled> {
        let pending = std::mem::take(&mut *self.disputes.lock().expect("disputes"));
        let mut rulings = Vec::new();
        for handle in pending {
            if let Ok(Some(ruled)) = handle.await {
                rulings.push(ruled);
            }
        }
        rulings
    }

    /// Opens a dispute of `committed`, then follows its task and resolves it in the background.
    async fn dispute(&self, block: u64, committed: &Committed) -> anyhow::Result<()> {
        let account = self.requester.account();
        let (id, task) = verigrad_answer::open(account, &self.store, committed).await?;
        tracing::warn!(
            block, request = %committed.request_id, signer = %committed.signer, dispute = %id, %task,
            "disputed: a DEEP task re-executes the request"
        );
        let (requester, store, request) =
            (self.requester.clone(), self.store.clone(), committed.request_id);
        let handle = tokio::spawn(async move {
            let ruled = async {
                requester.follow(task, request).await?;
                Ok::<_, anyhow::Error>(
                    verigrad_answer::resolve(requester.account(), &store, id).await?,
                )
            };
            match ruled.await {
                Ok(ruling) => {
                    tracing::warn!(dispute = %id, ?ruling, "dispute resolved");
                    Some((id, ruling))
                }
                Err(error) => {
                    tracing::error!(
                        dispute = %id, %error,
                        "the dispute is open but not resolved: `worker pipe resolve {id}` finishes it"
                    );
                    None
                }
            }
        });
        self.disputes.lock().expect("disputes").push(handle);
        Ok(())
    }
}
