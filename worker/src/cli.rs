//! Command-line flags and subcommands. Every flag has a `VERIGRAD_*` variable and overrides the
//! configuration file.

use std::{net::SocketAddr, path::PathBuf};

use alloy::primitives::{Address, B256, U256, utils::parse_units};
use clap::{Args, Parser, Subcommand};
use verigrad_contracts::RoleSet;
use verigrad_contracts::{EnumName, Tier};
use verigrad_roles::{Config, TaskConfig};

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
    Register {
        /// Roles, comma-separated: compute, verify, coordinate, store.
        #[arg(long)]
        roles: RoleSet,
        /// Where the worker's API is served.
        #[arg(long, default_value = "")]
        endpoint: String,
        /// A model release id served (repeat, or separate with commas).
        #[arg(long = "model", value_delimiter = ',')]
        models: Vec<B256>,
        /// Initial stake in tokens (e.g. 100 or 2.5).
        #[arg(long, value_parser = parse_tokens)]
        stake: U256,
    },
    /// Add stake (tokens).
    Stake {
        /// Tokens to add (e.g. 100 or 2.5).
        #[arg(value_parser = parse_tokens)]
        amount: U256,
    },
    /// Start unbonding stake; it can be withdrawn after the registry's delay.
    Unbond {
        /// Tokens to unbond, or `all` for the whole active stake.
        #[arg(value_parser = parse_unbond)]
        amount: Unbond,
    },
    /// Withdraw stake whose unbonding delay has passed.
    Withdraw,
    /// Show a worker's registration, stake, unbonding, jail, reputation and roles.
    Status {
        /// The worker [default: the key's address].
        #[arg(long)]
        address: Option<Address>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Submit a task: the input to a store node, the task to the escrow; wait for and print the result.
    Submit(SubmitArgs),
    /// Submit many tasks at once and follow them all to settlement; print a summary (how each ended,
    /// throughput, answer latency, the escrow against its ledger, who was slashed).
    Load(LoadArgs),
    /// Model packages on a store node: list, publish, pull.
    Models {
        /// What to do.
        #[command(subcommand)]
        action: ModelsAction,
        /// The store node.
        #[arg(
            long,
            global = true,
            env = "VERIGRAD_STORE_URL",
            default_value = "http://127.0.0.1:9100"
        )]
        store: String,
    },
    /// Serve the store role: a content-addressed blob store for model packages, inputs and outputs.
    Store {
        /// Where the blobs live.
        #[arg(long, default_value = ".worker/store")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: SocketAddr,
        /// Largest blob accepted, in MiB.
        #[arg(long, default_value_t = 1024)]
        max_mib: usize,
    },
    /// Serve the coordinate role: route inference requests to the registered workers by queue
    /// depth, latency, price and reputation, shedding load at the limits.
    Coordinate {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9200")]
        listen: SocketAddr,
        /// The store node whose package index names the models.
        #[arg(long, env = "VERIGRAD_STORE_URL", default_value = "http://127.0.0.1:9100")]
        store: String,
        /// Requests one worker may have in flight through this coordinator.
        #[arg(long, default_value_t = 32)]
        max_in_flight: u32,
        /// Requests the coordinator admits at once, over all workers.
        #[arg(long, default_value_t = 256)]
        max_pending: u32,
        /// Seconds a model's worker list is trusted before the registry is read again.
        #[arg(long, default_value_t = 5)]
        refresh_secs: u64,
        /// With a key (VERIGRAD_KEY), also serve the x402 facilitator (/verify, /settle,
        /// /supported), settling with that key.
        #[command(flatten)]
        settlement: crate::serve::SettlementArgs,
    },
    /// Serve paid inference over HTTP (x402): the models API and, unless --facilitator names
    /// another node, the facilitator.
    Serve(Box<crate::serve::ServeArgs>),
    /// Serve only the x402 facilitator (/verify, /settle, /supported), as a coordinator does.
    Facilitator {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9002")]
        listen: SocketAddr,
        #[command(flatten)]
        settlement: crate::serve::SettlementArgs,
    },
    /// Make a paid request: read the 402, sign an EIP-3009 authorization with the key (the payer),
    /// send the request again; print the output and the settlement.
    Pay {
        /// The URL.
        url: String,
        /// A JSON body to POST (without it, GET).
        #[arg(long)]
        body: Option<String>,
    },
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
}

/// An address expected to be slashed, or `none`.
fn parse_expected_slash(text: &str) -> Result<Option<Address>, String> {
    match text {
        "none" => Ok(None),
        address => address.parse().map(Some).map_err(|e| format!("{address}: {e}")),
    }
}

/// `worker load`.
#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    #[command(flatten)]
    pub(crate) task: SubmitArgs,
    /// Tasks to create.
    #[arg(long, default_value_t = 200)]
    pub(crate) tasks: usize,
    /// Tasks being created (and assigned) at once.
    #[arg(long, env = "VERIGRAD_LOAD_CONCURRENCY", default_value_t = 16)]
    pub(crate) concurrency: usize,
    /// Tasks created per second, a batch each second [default: all at once].
    #[arg(long)]
    pub(crate) rate: Option<f64>,
    /// Floors to cycle through, comma-separated [default: --floor for every task].
    #[arg(long, value_delimiter = ',', value_parser = parse_enum::<Tier>)]
    pub(crate) mix: Vec<Tier>,
    /// Seconds to wait for the last settlement after the last task is created.
    #[arg(long, default_value_t = 600)]
    pub(crate) timeout: u64,
    /// Check the run (exit 1 otherwise): every task settled, the escrow balanced, and exactly these
    /// workers slashed (comma-separated; `none` for none).
    #[arg(long, value_delimiter = ',', value_parser = parse_expected_slash)]
    pub(crate) expect_slashed: Option<Vec<Option<Address>>>,
}

/// `worker submit`.
#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The model: a release id (0x…), or a package name found under --models.
    #[arg(long)]
    pub(crate) model: String,
    /// The input: a JSON file, or inline JSON (`{"numbers":[{"name":…,"shape":[…],"values":[…]}]}`).
    #[arg(long)]
    pub(crate) input: String,
    /// Value at risk on the answer, in tokens: raises redundancy and audits.
    #[arg(long, value_parser = parse_tokens, default_value = "0")]
    pub(crate) value: U256,
    /// The lowest verification tier accepted: light (one worker, challenge window, random audit),
    /// redundant (k workers, commit–reveal) or deep (redundant plus a committee review).
    #[arg(long, value_parser = parse_enum::<Tier>, default_value = "light")]
    pub(crate) floor: Tier,
    /// Seconds until the result (LIGHT) or commit (REDUNDANT, DEEP) deadline.
    #[arg(long, default_value_t = 300)]
    pub(crate) deadline: u64,
    /// Most to pay, in tokens [default: the escrow's quote].
    #[arg(long, value_parser = parse_tokens)]
    pub(crate) max_fee: Option<U256>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) tasks: TaskArgs,
}

/// `worker models …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ModelsAction {
    /// The packages the store holds.
    List,
    /// Publish a package folder (its files, then its manifest under the package id).
    Publish {
        /// The package folder (manifest.json and the files it lists).
        dir: PathBuf,
    },
    /// Pull a package by id, checking every file and the id.
    Pull {
        /// The package id.
        id: B256,
        /// The folder to write it into.
        #[arg(long)]
        to: PathBuf,
    },
}

/// How much to unbond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unbond {
    /// All active stake.
    All,
    /// This many token wei.
    Amount(U256),
}

/// Tokens as a decimal number, in token wei. VGD has 18 decimals (OpenZeppelin ERC-20's default).
fn parse_tokens(text: &str) -> Result<U256, String> {
    parse_units(text, 18).map(Into::into).map_err(|e| format!("not a token amount ({e})"))
}

/// A Solidity enum by its variant's name, in any case (`--floor deep`).
fn parse_enum<T: EnumName>(text: &str) -> Result<T, String> {
    T::from_name(text).ok_or_else(|| format!("not one of {}", T::names().join(", ")))
}

fn parse_unbond(text: &str) -> Result<Unbond, String> {
    if text == "all" { Ok(Unbond::All) } else { parse_tokens(text).map(Unbond::Amount) }
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
        let Command::Stake { amount } = cli.command else { panic!("stake") };
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
        assert_eq!(parse_unbond("all"), Ok(Unbond::All));
        assert_eq!(parse_unbond("1"), Ok(Unbond::Amount(U256::from(10).pow(U256::from(18)))));
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
        let Command::Register { roles, models, .. } = cli.command else { panic!("register") };
        assert_eq!((roles.bits(), models.len()), (3, 0));
    }
}
