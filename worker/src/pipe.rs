//! `worker pipe dispute` and `worker pipe resolve`: holding PIPE answers to account. A signed answer
//! this node's own execution contradicts is disputed on chain, and the escrow's committee decides.

use std::{path::PathBuf, time::Duration};

use alloy::primitives::{Address, B256, U256};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use verigrad_blobs::StoreClient;
use verigrad_inference::Runtime;
use verigrad_requester::Requester;

use crate::cli::Context;

/// `worker pipe …`.
#[derive(Debug, Args)]
pub(crate) struct PipeArgs {
    /// What to do.
    #[command(subcommand)]
    action: PipeAction,
    /// The store node the dispute's task reads its input from.
    #[arg(
        long,
        global = true,
        env = "VERIGRAD_STORE_URL",
        default_value = "http://127.0.0.1:9100"
    )]
    store: String,
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
        /// Model packages to re-run the request with.
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Dispute even if this node's execution agrees (the bond is then lost).
        #[arg(long)]
        force: bool,
        /// Only open the dispute: leave its task and the ruling to others (`worker pipe resolve`).
        #[arg(long)]
        no_follow: bool,
    },
    /// Resolve a dispute once its task is final; prints the ruling.
    Resolve {
        /// The dispute id.
        dispute: U256,
    },
}

impl PipeArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let account = ctx.account().await?;
        let store = StoreClient::new(self.store);
        match self.action {
            PipeAction::Dispute { request, signer, models, force, no_follow } => {
                let committed = verigrad_answer::committed(&account, request, signer).await?;
                let runtime = Runtime::load_dir(&models)
                    .with_context(|| format!("loading models from {}", models.display()))?;
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
                    let poll = Duration::from_millis(ctx.config.tasks.poll_ms);
                    let requester = Requester::new(account, store.clone(), poll);
                    requester.follow(task, request).await?;
                    let ruling = verigrad_answer::resolve(requester.account(), &store, id).await?;
                    println!("dispute {id}: {ruling:?}");
                }
            }
            PipeAction::Resolve { dispute } => {
                let ruling = verigrad_answer::resolve(&account, &store, dispute).await?;
                println!("dispute {dispute}: {ruling:?}");
            }
        }
        Ok(())
    }
}
