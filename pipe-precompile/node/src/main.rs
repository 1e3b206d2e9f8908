//! `pipe-node`: the PIPE local chain.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use verigrad_contracts::Deployment;
use verigrad_inference::Runtime;
use verigrad_pipe_node::{
    Node, NodeConfig, ReplayChecks,
    chain::Chain,
    genesis::Genesis,
    network::{Contracts, InferenceSource, NetworkConfig},
    rpc::Rpc,
    server,
};

/// A local EVM chain with the PIPE precompile at 0x…F4: contracts call models inside transactions.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Threads one model inference may use (candle's and rayon's pools). One is fastest for the
    /// models PIPE runs: parallelism comes from --workers running inferences side by side.
    #[arg(long, global = true, env = "PIPE_NODE_THREADS", default_value_t = verigrad_inference::DEFAULT_THREADS)]
    threads: std::num::NonZeroUsize,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Re-executes the stored chain from genesis with inference off, checking every block.
    Replay {
        /// The chain's data directory.
        #[arg(long, default_value = ".pipe-node")]
        data_dir: PathBuf,
        /// Folder of deployment files: `<chain id>.json` names the contracts signed answers are
        /// checked against.
        #[arg(long, default_value = "deployments", env = "PIPE_NODE_DEPLOYMENTS")]
        deployments: PathBuf,
        /// Model packages to re-execute every ZKML answer with, bit for bit (without them no
        /// model runs).
        #[arg(long)]
        models: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Address to serve JSON-RPC on.
    #[arg(long, default_value = "127.0.0.1", env = "PIPE_NODE_HOST")]
    host: std::net::IpAddr,
    /// Port to serve JSON-RPC on (0: any free port, reported in the start-up log).
    #[arg(long, short, default_value_t = 8645, env = "PIPE_NODE_PORT")]
    port: u16,
    /// Where the chain is kept (created if missing; a restart continues it).
    #[arg(long, default_value = ".pipe-node", env = "PIPE_NODE_DATA_DIR")]
    data_dir: PathBuf,
    /// Model packages the precompile can run.
    #[arg(long, default_value = "models", env = "PIPE_NODE_MODELS")]
    models: PathBuf,
    /// Seconds between blocks; 0 mines a block as soon as transactions are pending.
    #[arg(long, short, default_value_t = 0.0)]
    block_time: f64,
    /// Chain id of a new chain.
    #[arg(long, default_value_t = 31338)]
    chain_id: u64,
    /// Development accounts to prefund (anvil's mnemonic).
    #[arg(long, short, default_value_t = 10)]
    accounts: u32,
    /// Ether per development account.
    #[arg(long, default_value_t = 10_000)]
    balance: u64,
    /// Gas limit per block.
    #[arg(long, default_value_t = 30_000_000)]
    gas_limit: u64,
    /// Threads for PIPE simulation and inference (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Milliseconds a block's inference round (or a call's inference) may take; requests still
    /// running then revert with PipeInferenceFailed("… ran past its deadline").
    #[arg(long, default_value_t = 10_000)]
    inference_timeout_ms: u64,
    /// Where PIPE's answers come from: auto — the staked worker network for every release a compute
    /// worker is registered for on this chain, the node's own runtime for the others; network —
    /// always the workers; local — always the node's own runtime.
    #[arg(long, value_enum, default_value_t = InferenceSource::Auto, env = "PIPE_NODE_INFERENCE")]
    inference: InferenceSource,
    /// The coordinator that routes PIPE requests to compute workers.
    #[arg(long, default_value = "http://127.0.0.1:9200", env = "PIPE_NODE_COORDINATOR")]
    coordinator: String,
    /// Folder of deployment files: `<chain id>.json` names the WorkerRegistry and PipeSettlement
    /// the network's answers are checked against (re-read when it changes).
    #[arg(long, default_value = "deployments", env = "PIPE_NODE_DEPLOYMENTS")]
    deployments: PathBuf,
    /// Staked workers that must agree on a TEE-mode answer.
    #[arg(long, default_value_t = 3)]
    tee_quorum: usize,
    /// Milliseconds the node waits for the network's answers to one request; then the call reverts
    /// with PipeInferenceFailed("no worker answered …").
    #[arg(long, default_value_t = 2_000)]
    answer_timeout_ms: u64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // SAFETY: first thing after parsing the arguments, before any other thread exists.
    unsafe { verigrad_inference::set_threads(cli.threads) };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match cli.command {
        Some(Command::Replay { data_dir, deployments, models }) => {
            replay(&data_dir, &deployments, models.as_deref())
        }
        None => run(cli.run),
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.block_time.is_finite() && args.block_time >= 0.0,
        "--block-time must be a number of seconds ≥ 0"
    );
    let mut config = NodeConfig::dev(args.data_dir, args.models);
    config.chain_id = args.chain_id;
    config.accounts = args.accounts;
    config.balance_eth = args.balance;
    config.gas_limit = args.gas_limit;
    config.block_time = (args.block_time > 0.0).then(|| Duration::from_secs_f64(args.block_time));
    config.inference_timeout = Duration::from_millis(args.inference_timeout_ms);
    anyhow::ensure!(args.tee_quorum > 0, "--tee-quorum must be at least 1");
    config.network = NetworkConfig {
        source: args.inference,
        coordinator: args.coordinator,
        deployments: args.deployments,
        tee_quorum: args.tee_quorum,
        timeout: Duration::from_millis(args.answer_timeout_ms),
    };
    if let Some(workers) = args.workers {
        config.workers = workers.max(1);
    }
    let node = Arc::new(Node::open(config.clone())?);
    let addr = SocketAddr::new(args.host, args.port);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = server::bind(addr).await?;
        // With `--port 0` the system picks the port: report the one bound.
        let bound = listener.local_addr().context("reading the bound address")?;
        let head = node.chain().head().number();
        tracing::info!(
            rpc = %format!("http://{bound}"),
            chain_id = node.chain_id(),
            head,
            models = node.runtime().ids().count(),
            data_dir = %config.data_dir.display(),
            mining = %config.block_time.map_or("on demand".to_string(), |t| format!("every {t:?}")),
            inference = ?config.network.source,
            coordinator = %config.network.coordinator,
            "pipe-node ready"
        );
        for (i, account) in node.accounts().iter().enumerate() {
            tracing::debug!(index = i, %account, "development account");
        }
        tokio::spawn(server::mine_forever(node.clone(), config.block_time));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        };
        server::serve(listener, Arc::new(Rpc::new(node)), shutdown).await?;
        anyhow::Ok(())
    })
}

fn replay(
    data_dir: &std::path::Path,
    deployments: &std::path::Path,
    models: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    anyhow::ensure!(data_dir.join("chain.redb").exists(), "no chain in {}", data_dir.display());
    // The stored genesis wins; this placeholder is never written.
    let placeholder = Genesis::dev(0, 0, 0, 0, 0, 0)?;
    let chain = Chain::open(data_dir, placeholder)
        .with_context(|| format!("opening the chain in {}", data_dir.display()))?;
    let chain_id = chain.genesis().chain_id;
    let contracts =
        Deployment::for_chain(deployments, chain_id).ok().as_ref().and_then(Contracts::of);
    let recompute = models
        .map(|dir| {
            Runtime::load_dir(dir).with_context(|| format!("loading models from {}", dir.display()))
        })
        .transpose()?;
    let checks = ReplayChecks { contracts, recompute };
    let report = verigrad_pipe_node::replay(chain.genesis(), chain.blocks(), &checks)?;
    println!(
        "replayed {} blocks ({} transactions, {} PIPE results from commitments; {} answers signed by \
         staked workers, every signature checked; {} ZKML answers re-executed): state root {}",
        report.blocks,
        report.transactions,
        report.pipe_results,
        report.signed_answers,
        report.zkml_recomputed,
        report.state_root
    );
    Ok(())
}
