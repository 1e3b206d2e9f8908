//! `worker run`: the roles service until SIGINT or SIGTERM.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::watch;
use verigrad_blobs::StoreClient;
use verigrad_contracts::{Account, RoleSet};
use verigrad_roles::{RunOptions, TaskConfig, Worker, load_runtime};
use verigrad_task::{EventStream, EventsConfig, WorkerStore};

use crate::cli::RunArgs;

/// Runs the worker's roles until a shutdown signal; the step in progress finishes first.
pub(crate) async fn run(
    account: Account,
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
    let worker = Worker::new(account, store, blobs, runtime, options).await?;
    let (stop, shutdown) = watch::channel(false);
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
