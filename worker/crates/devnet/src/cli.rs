//! The command line: which chain, which mode, which ports.

use clap::{ArgGroup, Parser};

/// The verigrad network on loopback, on one chain: pipe-node (a block a second) with the core
/// deployed, a store node with the shipped models published to it and released on chain, five
/// workers with different role sets and a coordinator; then one task per tier of the verification
/// gradient (LIGHT, REDUNDANT, DEEP), a worker with --faulty caught and slashed, balances before and
/// after, and PIPE on the same chain: example dApps that call a model inside their own transactions.
///
/// It builds what it runs with cargo first: `worker` and `pipe-node` in this program's profile, or
/// both in the release profile for --bench and --pipe-bench (a benchmark measures optimised code;
/// the first such build takes minutes). Logs go to .devnet/. Ctrl-C stops every process it started.
#[derive(Debug, Parser)]
#[command(name = "scripts/demo", bin_name = "scripts/demo", version)]
#[command(group(ArgGroup::new("mode").args(["devnet", "bench", "soak", "surge", "pipe_bench"])))]
pub(crate) struct Cli {
    /// Run the task market on anvil instead, and PIPE on a pipe-node of its own.
    #[arg(long)]
    pub(crate) anvil: bool,
    /// After the demo, keep everything running with a status line until Ctrl-C.
    #[arg(long, env = "KEEP_RUNNING")]
    pub(crate) devnet: bool,
    /// Instead of the tier demo: TASKS LIGHT tasks (100) on three honest workers, all at once or
    /// RATE a second; prints throughput and answer latency.
    #[arg(long, num_args = 0..=2, value_names = ["TASKS", "RATE"])]
    pub(crate) bench: Option<Vec<u64>>,
    /// Instead of the tier demo: TASKS tasks (200, five a second, LIGHT and REDUNDANT in turn) with a
    /// --faulty worker in the pool and a worker SIGKILLed and restarted midway; fails unless every
    /// task ended well, the escrow balanced and only the faulty worker was slashed.
    #[arg(long, num_args = 0..=1, value_name = "TASKS", default_missing_value = "200")]
    pub(crate) soak: Option<usize>,
    /// Instead of the tier demo: the overload run on three workers — the volatility model's capacity
    /// set to about 4 runs a block, then 10 s calm, 30 s at ten times capacity from high- and
    /// low-value requesters, and nothing until the price is back at base (`worker surge --check`);
    /// prints the summary, draws .devnet/surge/surge.png, fails unless it passes.
    #[arg(long)]
    pub(crate) surge: bool,
    /// Instead of the tier demo: ROUNDS (3) rounds of a block of TXS (64) PIPE transactions answered
    /// by the three staked workers, then by pipe-node's own runtime; prints block build times and
    /// arrival -> answer latency (release builds: the first takes minutes).
    #[arg(long, num_args = 0..=2, value_names = ["TXS", "ROUNDS"])]
    pub(crate) pipe_bench: Option<Vec<usize>>,
    #[command(flatten)]
    pub(crate) ports: Ports,
}

/// The loopback ports.
#[derive(Debug, Clone, Copy, clap::Args)]
#[command(next_help_heading = "Ports")]
pub(crate) struct Ports {
    /// anvil's (with --anvil).
    #[arg(
        id = "anvil_port",
        long = "anvil.port",
        value_name = "PORT",
        env = "ANVIL_PORT",
        default_value_t = 8545
    )]
    pub(crate) anvil: u16,
    /// pipe-node's.
    #[arg(
        id = "pipe_node_port",
        long = "pipe-node.port",
        value_name = "PORT",
        env = "PIPE_NODE_PORT",
        default_value_t = 8645
    )]
    pub(crate) pipe_node: u16,
    /// The store node's.
    #[arg(
        id = "store_port",
        long = "store.port",
        value_name = "PORT",
        env = "STORE_PORT",
        default_value_t = 9100
    )]
    pub(crate) store: u16,
    /// The coordinator's.
    #[arg(
        id = "coordinator_port",
        long = "coordinator.port",
        value_name = "PORT",
        env = "COORDINATOR_PORT",
        default_value_t = 9200
    )]
    pub(crate) coordinator: u16,
}

/// What the network does once it is up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    /// The tier demo, the faulty worker and PIPE; then keep running if `keep`.
    Demo {
        /// `--devnet`.
        keep: bool,
    },
    /// `--bench`.
    Bench {
        /// Tasks to run.
        tasks: u64,
        /// Tasks created a second, or all at once.
        rate: Option<u64>,
    },
    /// `--surge`.
    Surge,
    /// `--soak`.
    Soak {
        /// Tasks to run.
        tasks: usize,
    },
    /// `--pipe-bench`.
    PipeBench {
        /// Transactions a block.
        txs: usize,
        /// Blocks per answer source.
        rounds: usize,
    },
}

impl Cli {
    /// The mode the flags pick.
    pub(crate) fn mode(&self) -> Mode {
        if let Some(bench) = &self.pipe_bench {
            let txs = bench.first().copied().unwrap_or(64);
            return Mode::PipeBench { txs, rounds: bench.get(1).copied().unwrap_or(3) };
        }
        match (&self.bench, self.soak) {
            (Some(bench), _) => Mode::Bench {
                tasks: bench.first().copied().unwrap_or(100),
                rate: bench.get(1).copied(),
            },
            (None, Some(tasks)) => Mode::Soak { tasks },
            (None, None) if self.surge => Mode::Surge,
            (None, None) => Mode::Demo { keep: self.devnet },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(args: &[&str]) -> Result<Mode, clap::Error> {
        Cli::try_parse_from(std::iter::once("demo").chain(args.iter().copied())).map(|c| c.mode())
    }

    #[test]
    fn flags_pick_the_mode() {
        let cases: [(&[&str], Mode); 10] = [
            (&[], Mode::Demo { keep: false }),
            (&["--devnet"], Mode::Demo { keep: true }),
            (&["--anvil", "--devnet"], Mode::Demo { keep: true }),
            (&["--bench"], Mode::Bench { tasks: 100, rate: None }),
            (&["--bench", "40", "5"], Mode::Bench { tasks: 40, rate: Some(5) }),
            (&["--soak"], Mode::Soak { tasks: 200 }),
            (&["--soak", "60", "--anvil"], Mode::Soak { tasks: 60 }),
            (&["--surge", "--anvil"], Mode::Surge),
            (&["--pipe-bench"], Mode::PipeBench { txs: 64, rounds: 3 }),
            (&["--pipe-bench", "16", "1"], Mode::PipeBench { txs: 16, rounds: 1 }),
        ];
        for (args, expected) in cases {
            assert_eq!(mode(args).expect("parses"), expected, "{args:?}");
        }
        assert!(mode(&["--soak", "--bench"]).is_err(), "one mode at a time");
        assert!(mode(&["--surge", "--soak"]).is_err(), "one mode at a time");
        assert!(mode(&["--bench", "1", "2", "3"]).is_err(), "at most TASKS and RATE");
    }

    #[test]
    fn no_flags_give_the_default_ports() {
        let cli = Cli::try_parse_from(["demo"]).expect("parses");
        let ports = cli.ports;
        assert_eq!(
            (ports.anvil, ports.pipe_node, ports.store, ports.coordinator),
            (8545, 8645, 9100, 9200)
        );
    }
}
