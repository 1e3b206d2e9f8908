//! `worker twins …`: a twin's binding as the chain holds it, and a verifier's part in its drift
//! checks.

use std::time::Duration;

use alloy::primitives::U256;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use verigrad_blobs::StoreClient;
use verigrad_contracts::EnumName as _;
use verigrad_twins::{DriftMember, MemberOptions};

use crate::cli::{Context, TaskArgs};

/// `worker twins …`.
#[derive(Debug, Args)]
pub(crate) struct TwinsArgs {
    /// What to do.
    #[command(subcommand)]
    action: TwinsAction,
}

#[derive(Debug, Subcommand)]
enum TwinsAction {
    /// Print a twin's binding history: each version's release, profile, probe set, bound and why it
    /// changed.
    Status {
        /// The twin's agentId.
        #[arg(long)]
        twin: U256,
    },
    /// Take part in a drift check as one of its committee (VERIGRAD_KEY): draw the committee if
    /// nobody has, measure the drift over the twin's probe set (releases pulled from the store),
    /// commit, reveal, and resolve; prints the verdict.
    Vote {
        /// The check's id.
        #[arg(long)]
        check: U256,
        /// Seconds to wait for the check to resolve.
        #[arg(long, default_value_t = 900)]
        patience_secs: u64,
        #[command(flatten)]
        tasks: TaskArgs,
    },
}

impl TwinsArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.action {
            TwinsAction::Status { twin } => status(ctx, twin).await,
            TwinsAction::Vote { check, patience_secs, tasks } => {
                let mut config = ctx.config.tasks.clone();
                tasks.apply(&mut config);
                let account = ctx.account().await?;
                let options = MemberOptions {
                    models: config.models.clone(),
                    cache: config.data_dir.join("packages"),
                    poll: Duration::from_millis(config.poll_ms),
                    patience: Duration::from_secs(patience_secs),
                };
                let member = DriftMember::new(
                    account.chain().clone(),
                    account.sender().clone(),
                    ctx.signer("to vote")?,
                    StoreClient::new(config.store_url.clone()),
                    options,
                )?;
                eprintln!("check {check}: taking part as {}", account.address());
                let verdict = member.serve(check).await?;
                let stands = account.chain().twins()?.check(check).await?;
                println!(
                    "check {check}: {verdict:?}, agreed drift {} ppm (bound {} ppm)",
                    stands.agreedPpm, stands.driftBoundPpm
                );
                Ok(())
            }
        }
    }
}

async fn status(ctx: &Context, twin: U256) -> anyhow::Result<()> {
    let twins = ctx.chain().await?.twins()?;
    let history = twins.history(twin).await?;
    anyhow::ensure!(!history.is_empty(), "twin {twin} is not bound (or does not exist)");
    println!("twin {twin}: {} binding versions", history.len());
    for (version, binding) in history.iter().enumerate() {
        let check = if binding.checkId == 0 {
            String::new()
        } else {
            format!(" by check {}", binding.checkId)
        };
        println!(
            "  v{version} since {}: {}{check}; release {}, profile {}, probe set {}, bound {} ppm",
            binding.since,
            binding.change.name(),
            binding.release,
            binding.profileHash,
            binding.probeSetHash,
            binding.driftBoundPpm,
        );
    }
    let current = history.last().context("a version")?;
    if !current.memoryNamespace.is_zero() {
        println!("  memory: namespace {}", current.memoryNamespace);
    }
    Ok(())
}
