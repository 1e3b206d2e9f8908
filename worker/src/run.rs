//! `worker run`: the roles service until SIGINT or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context as _, bail};
use clap::Args;
use tokio::sync::watch;
use verigrad_answer::{Answering, router};
use verigrad_blobs::StoreClient;
use verigrad_contracts::{Account, RoleSet};
use verigrad_inference::LiveRuntime;
use verigrad_requester::Requester;
use verigrad_roles::{RunOptions, TaskConfig, Worker, follow_served, load_runtime};
use verigrad_task::{EventStream, EventsConfig, WorkerStore};
use verigrad_twins::{DriftMember, MemberOptions};
use verigrad_x402::{ApiOptions, PaidApi, paid_api};

use crate::{
    audit::{Auditor, OnWrong},
    cli::{Context, TaskArgs},
};
/// `worker run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Roles to act in, comma-separated: compute, verify [default: the registered ones].
    #[arg(long, env = "VERIGRAD_ROLES")]
    pub(crate) roles: Option<RoleSet>,
    /// Answer wrong outputs on purpose (tests and demos: the protocol must catch and slash it).
    #[arg(long)]
    pub(crate) faulty: bool,
    /// Watched tasks worked on at once (each mostly waits for the chain).
    #[arg(long, env = "VERIGRAD_CONCURRENCY", default_value_t = 16)]
    pub(crate) concurrency: usize,
    /// Drift: as a compute worker, also check proposed LIGHT results (never its own) while the
    /// escrow's verification pressure is at least this many basis points (0–10000).
    #[arg(long, env = "VERIGRAD_DRIFT_BPS", value_parser = clap::value_parser!(u16).range(0..=10_000))]
    pub(crate) drift_bps: Option<u16>,
    /// Where the worker keeps its database and pulled packages
    /// [config tasks.data_dir; default .worker/data].
    #[arg(long, env = "VERIGRAD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Largest task input fetched, in KiB [config tasks.max_input_kib; default 1024].
    #[arg(long)]
    max_input_kib: Option<usize>,
    /// As a compute worker, serve on this address: paid inference over x402 (`GET /v1/models`,
    /// `POST /v1/models/{model}/infer`, paid to the worker at the ModelRegistry's prices) and PIPE
    /// answers (`POST /v1/pipe/answer`, signed with the worker's key). Register it as the worker's
    /// endpoint so the coordinator routes to it.
    #[arg(long, env = "VERIGRAD_LISTEN")]
    listen: Option<SocketAddr>,
    /// As a verifier on a chain with PIPE disputes (pipe-node), audit this share of the signed
    /// VANILLA answers in each new block, in basis points, and dispute the wrong ones (0: no audit).
    #[arg(
        long,
        env = "VERIGRAD_AUDIT_BPS",
        default_value_t = 500,
        value_parser = clap::value_parser!(u16).range(0..=10_000)
    )]
    audit_bps: u16,
    #[command(flatten)]
    tasks: TaskArgs,
}

impl RunArgs {
    /// Applies the flags given to `config`.
    pub(crate) fn apply(&self, config: &mut TaskConfig) {
        self.tasks.apply(config);
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(kib) = self.max_input_kib {
            config.max_input_kib = kib;
        }
    }
    /// Runs the worker's roles until a shutdown signal; the step in progress finishes first.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut config = ctx.config.tasks.clone();
        self.apply(&mut config);
        let account = ctx.account().await?;
        let signer = ctx.signer("signing PIPE answers")?;
        run(account, signer, &self, config).await
    }
}

async fn run(
    account: Account,
    signer: PrivateKeySigner,
    args: &RunArgs,
    config: TaskConfig,
) -> anyhow::Result<()> {
    let chain = account.chain();
    let status = chain.worker_status(account.address()).await?;
    if !status.registered {
        bail!("{} is not registered: run `worker register` first", account.address());
    }
    let runnable = RoleSet::COMPUTE.bits() | RoleSet::VERIFY.bits();
    let roles = RoleSet::from_bits(args.roles.unwrap_or(status.roles).bits() & runnable);
    if roles.is_empty() {
        bail!(
            "nothing to run: `worker run` acts as compute and verify (registered: {})",
            status.roles
        );
    }
    if !status.roles.contains(roles) {
        tracing::warn!(registered = %status.roles, running = %roles, "running roles the registry does not list: no task will come for them");
    }
    let deployment = *chain.deployment();
    let store = WorkerStore::open(&config.data_dir, &deployment)?;
    let blobs = StoreClient::new(config.store_url);
    let cache = config.data_dir.join("models");
    let runtime = load_runtime(&config.models, &status.models, &blobs, &cache)
        .await
        .context("loading models")?;
    let runtime = LiveRuntime::new(runtime);
    let poll = Duration::from_millis(config.poll_ms);
    let events = EventsConfig { poll_ms: config.poll_ms, ..EventsConfig::default() };
    let stream = EventStream::open(
        chain.rpc().clone(),
        store.clone(),
        vec![deployment.task_escrow],
        deployment.start_block,
        events,
    )?;
    let options = RunOptions {
        roles,
        faulty: args.faulty,
        max_input_bytes: config.max_input_kib << 10,
        poll,
        concurrency: args.concurrency,
        drift_bps: args.drift_bps,
    };
    let (stop, shutdown) = watch::channel(false);
    if let Some(listen) = args.listen.filter(|_| roles.contains(RoleSet::COMPUTE)) {
        let settlement = deployment.pipe_settlement;
        anyhow::ensure!(
            !settlement.is_zero(),
            "--listen: this chain's deployment has no PipeSettlement, so PIPE answers cannot be signed"
        );
        let answering = Answering::new(
            runtime.clone(),
            signer.clone(),
            deployment.chain_id,
            settlement,
            args.faulty,
            PIPE_TIMEOUT,
        );
        // x402 payments settle through a clone of the account's sender: one nonce sequence.
        let options = ApiOptions::paid(config.data_dir.clone());
        let api = paid_api(chain.clone(), account.sender().clone(), runtime.clone(), &options)
            .await
            .context("starting the paid inference API")?;
        serve_endpoint(listen, api, router(Arc::new(answering)), shutdown.clone()).await?;
    }
    let audits = roles.contains(RoleSet::VERIFY)
        && args.audit_bps > 0
        && !deployment.pipe_disputes.is_zero()
        && commits_pipe_results(chain).await;
    if audits {
        let from = chain.rpc().block_number().await? + 1;
        // A clone of the account: the audit's disputes and the roles' steps share its nonces.
        let requester = Requester::new(account.clone(), blobs.clone(), poll);
        let auditor = Auditor::new(
            requester,
            runtime.clone(),
            blobs.clone(),
            args.audit_bps,
            OnWrong::Dispute,
        );
        tracing::info!(rate_bps = args.audit_bps, from, "auditing VANILLA PIPE answers");
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let tally = auditor.follow(from, poll, shutdown).await;
            tracing::debug!(?tally, "audit stopped");
        });
    }
    if roles.contains(RoleSet::VERIFY) && !deployment.twin_registry.is_zero() {
        // The member's transactions share the account's nonces with the roles' steps.
        let options = MemberOptions {
            models: config.models.clone(),
            cache: cache.clone(),
            poll,
            patience: DRIFT_CHECK_PATIENCE,
        };
        let sender = account.sender().clone();
        let member =
            DriftMember::new(chain.clone(), sender, signer.clone(), blobs.clone(), options)?;
        let from = chain.rpc().block_number().await? + 1;
        tracing::info!(from, "serving twins' drift checks");
        tokio::spawn(verigrad_twins::follow(Arc::new(member), from, poll, shutdown.clone()));
    }
    // A release the worker starts serving while it runs is loaded and served without a restart.
    tokio::spawn(follow_served(
        runtime.clone(),
        chain.clone(),
        account.address(),
        blobs.clone(),
        cache.clone(),
        SERVED_MODELS_POLL,
        shutdown.clone(),
    ));
    let worker = Worker::new(account, store, blobs, runtime, options).await?;
    tokio::spawn(async move {
        match shutdown_signal().await {
            Ok(name) => tracing::info!(signal = name, "shutting down after the current step"),
            Err(error) => tracing::error!(%error, "cannot listen for signals"),
        }
        let _ = stop.send(true);
    });
    worker.run(stream, shutdown).await?;
    Ok(())
}

/// Whether the chain commits PIPE results (pipe-node answers `pipe_getBlockResults`): only there
/// is there anything to audit.
async fn commits_pipe_results(chain: &verigrad_contracts::Chain) -> bool {
    use alloy::providers::Provider as _;
    let answered: Result<serde_json::Value, _> =
        chain.rpc().provider().raw_request("pipe_getBlockResults".into(), ["latest"]).await;
    answered.is_ok()
}

/// How long a drift check may take to resolve once proposed (its anchor, the commit and reveal
/// windows) before its member gives up on it.
const DRIFT_CHECK_PATIENCE: Duration = Duration::from_secs(600);

/// How often a running worker reads which releases it serves.
const SERVED_MODELS_POLL: Duration = Duration::from_secs(2);

/// The longest a PIPE request's model may run.
const PIPE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the worker's endpoint on `listen` until `shutdown`: the paid inference API (x402) and the
/// PIPE answers.
async fn serve_endpoint(
    listen: SocketAddr,
    api: PaidApi,
    answers: axum::Router,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} for inference and PIPE requests"))?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, "serving paid inference (x402) and answering PIPE requests");
    let router = api.router.clone().merge(answers);
    tokio::spawn(async move {
        let _api = api; // its price refresher runs while the endpoint does
        let stopped = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, router).with_graceful_shutdown(stopped).await {
            tracing::error!(%error, "the endpoint stopped");
        }
    });
    Ok(())
}

/// Waits for SIGINT or SIGTERM; returns its name.
async fn shutdown_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    })
}
