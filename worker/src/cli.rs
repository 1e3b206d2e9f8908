//! Command-line flags and subcommands. Every flag has a `VERIGRAD_*` variable and overrides the
//! configuration file.

use std::{path::PathBuf, str::FromStr};

use alloy::{
    primitives::{U256, utils::parse_units},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use verigrad_contracts::{Account, Chain, Deployment, EnumName, Rpc};
use verigrad_roles::{Config, TaskConfig};

use crate::{
    account::{RegisterArgs, StakeArgs, StatusArgs, UnbondArgs, WithdrawArgs},
    coordinate::CoordinateArgs,
    load::LoadArgs,
    memory::MemoryArgs,
    models::{ModelsArgs, StoreArgs},
    pipe::PipeArgs,
    run::RunArgs,
    serve::{FacilitatorArgs, PayArgs, ServeArgs},
    submit::SubmitArgs,
    surge::SurgeArgs,
    twins::TwinsArgs,
};

/// The verigrad worker node: a worker's account in the registry (register, stake, unbond, withdraw,
/// status), the store role and model packages on it, the compute and verify roles (run), and tasks
/// submitted by a requester (submit).
#[derive(Debug, Parser)]
#[command(name = "worker", version)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(flatten)]
    pub(crate) log: LogArgs,
    #[command(flatten)]
    pub(crate) inference: InferenceArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How logs are written (always to stderr; stdout carries only command output).
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Logs")]
pub(crate) struct LogArgs {
    /// Log lines as text, or as one JSON object a line (for a log collector).
    #[arg(
        long = "log.format",
        env = "VERIGRAD_LOG_FORMAT",
        global = true,
        value_enum,
        default_value_t
    )]
    pub(crate) format: LogFormat,
}

/// How models run. Read at start-up, before the configuration file: the thread pools it sizes are
/// fixed once threads exist.
#[derive(Debug, Args)]
#[command(next_help_heading = "Inference")]
pub(crate) struct InferenceArgs {
    /// Threads one model inference may use (candle's and rayon's pools). One is fastest for
    /// verigrad's models: parallelism comes from serving requests side by side.
    #[arg(
        long = "inference.threads",
        env = "VERIGRAD_INFERENCE_THREADS",
        global = true,
        default_value_t = verigrad_inference::DEFAULT_THREADS
    )]
    pub(crate) threads: std::num::NonZeroUsize,
}

/// A log line's form.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// `time LEVEL target: message key=value…`
    #[default]
    Text,
    /// `{"timestamp":…,"level":…,"fields":{…},"target":…}`
    Json,
}

/// Where the configuration comes from, and the overrides of its fields.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Configuration")]
pub(crate) struct GlobalArgs {
    /// Configuration file (TOML, or JSON if it ends in .json).
    #[arg(long, env = "VERIGRAD_CONFIG", global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Deployment file written by scripts/Deploy.s.sol [default: deployments/<chain id>.json].
    #[arg(long, env = "VERIGRAD_DEPLOYMENT", global = true)]
    deployment: Option<PathBuf>,
    /// The worker's private key (hex). Prefer the variable: a flag shows in the process list.
    #[arg(long, env = "VERIGRAD_KEY", hide_env_values = true, global = true)]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    gas: GasArgs,
}

/// The node connection.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "RPC")]
struct RpcArgs {
    /// JSON-RPC endpoint (HTTP).
    #[arg(long = "rpc.url", env = "VERIGRAD_RPC_URL", global = true)]
    url: Option<String>,
    /// Attempts per request while the node is unreachable.
    #[arg(long = "rpc.attempts", env = "VERIGRAD_RPC_ATTEMPTS", global = true)]
    attempts: Option<u32>,
    /// First wait between attempts, in milliseconds (doubles each time).
    #[arg(long = "rpc.backoff-ms", env = "VERIGRAD_RPC_BACKOFF_MS", global = true)]
    backoff_ms: Option<u64>,
}

/// Gas.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Gas")]
struct GasArgs {
    /// Percent of gas added to each estimate.
    #[arg(long = "gas.headroom", env = "VERIGRAD_GAS_HEADROOM", global = true)]
    headroom_percent: Option<u64>,
}

impl GlobalArgs {
    /// Applies the flags given to `config`.
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(path) = &self.deployment {
            config.deployment = Some(path.clone());
        }
        if let Some(url) = &self.rpc.url {
            config.rpc.url = url.clone();
        }
        if let Some(attempts) = self.rpc.attempts {
            config.rpc.retry.attempts = attempts;
        }
        if let Some(backoff) = self.rpc.backoff_ms {
            config.rpc.retry.initial_backoff_ms = backoff;
        }
        if let Some(headroom) = self.gas.headroom_percent {
            config.gas.headroom_percent = headroom;
        }
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the compute and verify roles: answer assigned tasks, vote, challenge, settle, claim.
    Run(RunArgs),
    /// Register this worker with roles, an endpoint, served models and an initial stake.
    Register(RegisterArgs),
    /// Add stake (tokens).
    Stake(StakeArgs),
    /// Start unbonding stake; it can be withdrawn after the registry's delay.
    Unbond(UnbondArgs),
    /// Withdraw stake whose unbonding delay has passed.
    Withdraw(WithdrawArgs),
    /// Show a worker's registration, stake, unbonding, jail, reputation and roles.
    Status(StatusArgs),
    /// Submit a task: the input to a store node, the task to the escrow; wait for and print the result.
    Submit(SubmitArgs),
    /// Submit many tasks at once and follow them all to settlement; print a summary (how each ended,
    /// throughput, answer latency, the escrow against its ledger, who was slashed).
    Load(LoadArgs),
    /// Overload one model: calm, ten times its capacity, then nothing; offer every task to the
    /// escrow at its requester's cap and print what the live price admitted, refused and cost, with
    /// pictures (--out) and a check (--check).
    Surge(SurgeArgs),
    /// Model packages on a store node (list, publish, pull) and their releases on chain (release).
    Models(ModelsArgs),
    /// Serve the store role: a content-addressed blob store for model packages, inputs and outputs.
    Store(StoreArgs),
    /// Serve the coordinate role: route inference requests to the registered workers by queue
    /// depth, latency, price and reputation, shedding load at the limits.
    Coordinate(CoordinateArgs),
    /// Serve paid inference over HTTP (x402): the models API and, unless --facilitator names
    /// another node, the facilitator.
    Serve(Box<ServeArgs>),
    /// Serve only the x402 facilitator (/verify, /settle, /supported), as a coordinator does.
    Facilitator(FacilitatorArgs),
    /// Hold PIPE answers to account: dispute a signed answer this node's execution contradicts, and
    /// resolve a dispute once the escrow's committee has decided.
    Pipe(PipeArgs),
    /// Make a paid request: read the 402, sign an EIP-3009 authorization with the key (the payer),
    /// send the request again; print the output and the settlement.
    Pay(PayArgs),
    /// MemSync: serve a store node's memory API, or act on a namespace the key owns (create,
    /// remember, search, forget, status).
    Memory(MemoryArgs),
    /// Twins: a twin's binding history, and a verifier's part in its drift checks.
    Twins(TwinsArgs),
}

impl Cli {
    /// Assembles the configuration (file, then flags) and runs the command.
    pub(crate) async fn run(self) -> anyhow::Result<()> {
        let mut config = match &self.global.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        self.global.apply(&mut config);
        let ctx = Context { config, key: self.global.key };
        match self.command {
            Command::Run(args) => args.run(&ctx).await,
            Command::Register(args) => args.run(&ctx).await,
            Command::Stake(args) => args.run(&ctx).await,
            Command::Unbond(args) => args.run(&ctx).await,
            Command::Withdraw(args) => args.run(&ctx).await,
            Command::Status(args) => args.run(&ctx).await,
            Command::Submit(args) => args.run(&ctx).await,
            Command::Load(args) => args.run(&ctx).await,
            Command::Surge(args) => args.run(&ctx).await,
            Command::Models(args) => args.run(&ctx).await,
            Command::Store(args) => args.run().await,
            Command::Coordinate(args) => args.run(&ctx).await,
            Command::Serve(args) => args.run(&ctx).await,
            Command::Facilitator(args) => args.run(&ctx).await,
            Command::Pay(args) => args.run(&ctx).await,
            Command::Pipe(args) => args.run(&ctx).await,
            Command::Memory(args) => args.run(&ctx).await,
            Command::Twins(args) => args.run(&ctx).await,
        }
    }
}

/// What every command may use: the configuration with the flags applied, and the key if one was
/// given.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) config: Config,
    key: Option<String>,
}

impl Context {
    /// The key's signer, or an error saying what it is needed for (`why`).
    pub(crate) fn signer(&self, why: &str) -> anyhow::Result<PrivateKeySigner> {
        self.optional_signer()?.with_context(|| format!("no key: set VERIGRAD_KEY ({why})"))
    }

    /// The key's signer if a key was given (commands that do more with one).
    pub(crate) fn optional_signer(&self) -> anyhow::Result<Option<PrivateKeySigner>> {
        self.key.as_deref().map(signer).transpose()
    }

    /// Connects to the node and the deployment the configuration names.
    pub(crate) async fn chain(&self) -> anyhow::Result<Chain> {
        let config = &self.config;
        let url =
            Url::parse(&config.rpc.url).with_context(|| format!("rpc url {}", config.rpc.url))?;
        let rpc = Rpc::http(url, config.rpc.retry);
        let deployment = match &config.deployment {
            Some(path) => Deployment::load(path)?,
            None => Deployment::for_chain("deployments", rpc.chain_id().await?)?,
        };
        Ok(Chain::connect(rpc, deployment).await?)
    }

    /// The signing account.
    pub(crate) async fn account(&self) -> anyhow::Result<Account> {
        let signer = self.signer("or --key")?;
        let config = &self.config;
        Ok(Account::new(self.chain().await?, signer, config.gas, config.rpc.receipts))
    }
}

fn signer(key: &str) -> anyhow::Result<PrivateKeySigner> {
    // The key itself is never echoed in the error.
    PrivateKeySigner::from_str(key.trim())
        .map_err(|_| anyhow::anyhow!("the key is not a hex private key"))
}

/// Task handling shared by `worker run` and `worker submit`; each overrides the `[tasks]` config.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Tasks")]
pub(crate) struct TaskArgs {
    /// The store node for task inputs and outputs (and model packages to pull)
    /// [config tasks.store_url; default http://127.0.0.1:9100].
    #[arg(long, env = "VERIGRAD_STORE_URL")]
    store: Option<String>,
    /// Model package folders, or folders of them (repeat, or separate with commas)
    /// [config tasks.models; default models].
    #[arg(long, env = "VERIGRAD_MODELS", value_delimiter = ',')]
    models: Option<Vec<PathBuf>>,
    /// Milliseconds between polls of the chain [config tasks.poll_ms; default 1000].
    #[arg(long, env = "VERIGRAD_POLL_MS")]
    poll_ms: Option<u64>,
}

impl TaskArgs {
    /// Applies the flags given to `config`.
    pub(crate) fn apply(&self, config: &mut TaskConfig) {
        if let Some(store) = &self.store {
            config.store_url = store.clone();
        }
        if let Some(models) = &self.models {
            config.models = models.clone();
        }
        if let Some(poll_ms) = self.poll_ms {
            config.poll_ms = poll_ms;
        }
    }
}

/// Tokens as a decimal number, in token wei. VGD has 18 decimals (OpenZeppelin ERC-20's default).
pub(crate) fn parse_tokens(text: &str) -> Result<U256, String> {
    parse_units(text, 18).map(Into::into).map_err(|e| format!("not a token amount ({e})"))
}

/// A Solidity enum by its variant's name, in any case (`--floor deep`).
pub(crate) fn parse_enum<T: EnumName>(text: &str) -> Result<T, String> {
    T::from_name(text).ok_or_else(|| format!("not one of {}", T::names().join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_flags_leave_the_config_as_it_is() {
        let cli = Cli::try_parse_from(["worker", "status"]).expect("parses");
        let mut config = Config::default();
        cli.global.apply(&mut config);
        assert_eq!(config, Config::default());
    }

    #[test]
    fn one_inference_thread_unless_told() {
        let threads = |args: &[&str]| {
            Cli::try_parse_from([&["worker"], args, &["status"]].concat())
                .expect("parses")
                .inference
                .threads
                .get()
        };
        assert_eq!(threads(&[]), 1);
        assert_eq!(threads(&["--inference.threads", "4"]), 4);
        assert!(Cli::try_parse_from(["worker", "--inference.threads", "0", "status"]).is_err());
    }

    #[test]
    fn flags_override_the_config() {
        let cli = Cli::try_parse_from([
            "worker",
            "stake",
            "2.5",
            "--rpc.url",
            "http://127.0.0.1:9",
            "--rpc.attempts",
            "2",
            "--gas.headroom",
            "50",
        ])
        .expect("parses");
        let mut config = Config::default();
        cli.global.apply(&mut config);
        assert_eq!(config.rpc.url, "http://127.0.0.1:9");
        assert_eq!(config.rpc.retry.attempts, 2);
        assert_eq!(config.gas.headroom_percent, 50);
        let Command::Stake(StakeArgs { amount }) = cli.command else { panic!("stake") };
        assert_eq!(amount, U256::from(2_500_000_000_000_000_000_u128));
    }

    #[test]
    fn task_flags_override_the_tasks_config() {
        let cli = Cli::try_parse_from(["worker", "run"]).expect("parses");
        let Command::Run(args) = cli.command else { panic!("run") };
        let mut config = TaskConfig::default();
        args.apply(&mut config);
        assert_eq!(config, TaskConfig::default(), "no flags, no change");

        let cli = Cli::try_parse_from([
            "worker",
            "run",
            "--store",
            "http://127.0.0.1:9",
            "--models",
            "a,b",
            "--data-dir",
            "d",
            "--poll-ms",
            "50",
        ])
        .expect("parses");
        let Command::Run(args) = cli.command else { panic!("run") };
        args.apply(&mut config);
        assert_eq!(config.store_url, "http://127.0.0.1:9");
        assert_eq!(config.models, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!((config.data_dir, config.poll_ms), (PathBuf::from("d"), 50));
    }

    #[test]
    fn parses_amounts_and_roles() {
        assert_eq!(parse_tokens("1"), Ok(U256::from(10).pow(U256::from(18))));
        assert!(parse_tokens("ten").is_err());
        let cli = Cli::try_parse_from([
            "worker",
            "register",
            "--roles",
            "compute,verify",
            "--stake",
            "200",
        ])
        .expect("parses");
        let Command::Register(RegisterArgs { roles, models, .. }) = cli.command else {
            panic!("register")
        };
        assert_eq!((roles.bits(), models.len()), (3, 0));
    }
}
