//! `worker pipe dispute` and `worker pipe resolve`: holding PIPE answers to account. A signed answer
//! this node's own execution contradicts is disputed on chain, and the escrow's committee decides.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use verigrad_blobs::StoreClient;
use verigrad_requester::Requester;
use verigrad_roles::load_runtime;

use crate::cli::{Context, TaskArgs};

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
            PipeAction::Dispute { tasks, .. } | PipeAction::Resolve { tasks, .. } => tasks,
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
            PipeAction::Resolve { dispute, .. } => {
                let ruling = verigrad_answer::resolve(&account, &store, dispute).await?;
                println!("dispute {dispute}: {ruling:?}");
            }
        }
        Ok(())
    }
}
