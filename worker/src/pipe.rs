//! `worker pipe dispute`, `worker pipe audit` and `worker pipe resolve`: holding PIPE answers to
//! account. A signed answer this node's own execution contradicts is disputed on chain, and the
//! escrow's committee decides.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use verigrad_blobs::StoreClient;
use verigrad_inference::LiveRuntime;
use verigrad_requester::Requester;
use verigrad_roles::load_runtime;

use crate::{
    audit::{Auditor, OnWrong, Tally},
    cli::{Context, TaskArgs},
};

/// `worker pipe …`.
#[derive(Debug, Args)]
pub(crate) struct PipeArgs {
    /// What to do.
    #[command(subcommand)]
    action: PipeAction,
}

/// `worker pipe …`.
#[derive(Debug, Subcommand)]
enum PipeAction {
    /// Dispute the signed answer to a PIPE request: re-run it here first, and dispute only if it
    /// disagrees; pays the dispute's bond and the fee of its DEEP task; then, as the task's
    /// requester would, follow the task to its decision and resolve the dispute.
    Dispute {
        /// The request id (the `ModelInferenceEvent`'s inferenceID).
        request: B256,
        /// Whose signature to dispute [default: the first signer's].
        #[arg(long)]
        signer: Option<Address>,
        /// Dispute even if this node's execution agrees (the bond is then lost).
        #[arg(long)]
        force: bool,
        /// Only open the dispute: leave its task and the ruling to others (`worker pipe resolve`).
        #[arg(long)]
        no_follow: bool,
        /// The store node the dispute's task reads its input from, the packages that re-run the
        /// request, and the poll of the task.
        #[command(flatten)]
        tasks: TaskArgs,
    },
    /// Audit VANILLA answers after the fact: in each block, re-run a random sample of the signed
    /// answers (drawn from the block's hash and this account's address) and report, or dispute, the
    /// wrong ones.
    Audit {
        /// Share of the answers drawn, in basis points (10000: every answer).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u16).range(0..=10_000))]
        rate_bps: u16,
        /// First block audited [default: the deployment's start block].
        #[arg(long)]
        from: Option<u64>,
        /// Last block audited [default: the head]; with --follow, audit new blocks as they come.
        #[arg(long, conflicts_with = "follow")]
        to: Option<u64>,
        /// Keep auditing new blocks until interrupted.
        #[arg(long)]
        follow: bool,
        /// Dispute each wrong answer (pays the bond and the DEEP task's fee), follow the dispute's
        /// task and resolve it.
        #[arg(long)]
        dispute: bool,
        /// The store node and the packages that re-run the requests.
        #[command(flatten)]
        tasks: TaskArgs,
    },
    /// Resolve a dispute once its task is final; prints the ruling.
    Resolve {
        /// The dispute id.
        dispute: U256,
        /// The store node holding the task's output (read for a TOLERANCE release).
        #[command(flatten)]
        tasks: TaskArgs,
    },
}

impl PipeArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let tasks = match &self.action {
            PipeAction::Dispute { tasks, .. }
            | PipeAction::Audit { tasks, .. }
            | PipeAction::Resolve { tasks, .. } => tasks,
        };
        let mut config = ctx.config.tasks.clone();
        tasks.apply(&mut config);
        let account = ctx.account().await?;
        let store = StoreClient::new(&config.store_url);
        match self.action {
            PipeAction::Dispute { request, signer, force, no_follow, .. } => {
                let committed = verigrad_answer::committed(&account, request, signer).await?;
                let cache = config.data_dir.join("models");
                let runtime = load_runtime(&config.models, &[], &store, &cache)
                    .await
                    .context("loading the models to re-run the request with")?;
                if !force && !verigrad_answer::disagrees(&runtime, &committed)? {
                    return Err(verigrad_answer::DisputeError::Agrees {
                        request,
                        signer: committed.signer,
                    }
                    .into());
                }
                let (id, task) = verigrad_answer::open(&account, &store, &committed).await?;
                println!(
                    "dispute {id} of {}'s answer to {request}: task {task} re-executes it (DEEP)",
                    committed.signer
                );
                if !no_follow {
                    let poll = Duration::from_millis(config.poll_ms);
                    let requester = Requester::new(account, store.clone(), poll);
                    requester.follow(task, request).await?;
                    let ruling = verigrad_answer::resolve(requester.account(), &store, id).await?;
                    println!("dispute {id}: {ruling:?}");
                }
            }
            PipeAction::Audit { rate_bps, from, to, follow, dispute, .. } => {
                let cache = config.data_dir.join("models");
                let runtime = load_runtime(&config.models, &[], &store, &cache)
                    .await
                    .context("loading the models to re-run the requests with")?;
                let from = from.unwrap_or(account.chain().deployment().start_block);
                let poll = Duration::from_millis(config.poll_ms);
                let requester = Requester::new(account, store.clone(), poll);
                let on_wrong = if dispute { OnWrong::Dispute } else { OnWrong::Report };
                let auditor =
                    Auditor::new(requester, LiveRuntime::new(runtime), store, rate_bps, on_wrong);
                let tally = if follow {
                    let (stop, shutdown) = tokio::sync::watch::channel(false);
                    tokio::spawn(async move {
                        let _ = tokio::signal::ctrl_c().await;
                        let _ = stop.send(true);
                    });
                    auditor.follow(from, poll, shutdown).await
                } else {
                    let to = match to {
                        Some(to) => to,
                        None => auditor.head().await?,
                    };
                    let mut tally = Tally::default();
                    auditor.blocks(from, to, &mut tally).await?;
                    tally
                };
                println!(
                    "audited {} of {} signed VANILLA answers: {} wrong, {} disputed",
                    tally.audited, tally.answers, tally.wrong, tally.disputed
                );
                for (id, ruling) in auditor.rulings().await {
                    println!("dispute {id}: {ruling:?}");
                }
            }
            PipeAction::Resolve { dispute, .. } => {
                let ruling = verigrad_answer::resolve(&account, &store, dispute).await?;
                println!("dispute {dispute}: {ruling:?}");
            }
        }
        Ok(())
    }
}
