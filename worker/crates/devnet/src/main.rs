//! `devnet`, behind `scripts/demo`: the verigrad network on loopback, built on the testkit — the
//! tier demo, a faulty worker slashed, PIPE dApps, and the network kept running, soaked or
//! benchmarked. `main` parses the flags and runs the demo until it ends or a signal stops it; every
//! process it started is stopped as the demo's state is dropped.

mod binaries;
mod cli;
mod dispute;
mod inputs;
mod load;
mod memsync;
mod network;
mod paid;
mod pipe;
mod pipe_bench;
mod status;
mod surge;
mod tiers;
mod twins;

use std::process::ExitCode;

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use verigrad_testkit::{ChainKind, LocalChain, Node, NodeOptions, PipeNode};

use crate::{
    binaries::Binaries,
    cli::{Cli, Mode},
    network::Network,
};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tokio::select! {
        outcome = run(cli) => match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("\nerror: {error:#}");
                ExitCode::FAILURE
            }
        },
        signal = stopped() => {
            eprintln!("\n{signal}: stopping every process");
            ExitCode::from(130)
        }
    }
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM; says which.
async fn stopped() -> &'static str {
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = terminate.recv() => "terminated",
    }
}

/// Builds, starts the network and runs the mode the flags pick.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let mode = cli.mode();
    let bench = matches!(mode, Mode::Bench { .. } | Mode::PipeBench { .. });
    // The bench and the surge measure three workers alone.
    let alone = bench || mode == Mode::Surge;
    let binaries = Binaries::build(bench)?;
    let kind = if cli.anvil { ChainKind::Anvil } else { ChainKind::PipeNode };
    // Windows of seconds keep the demo short; a backlog under load needs a minute to reveal and vote.
    let windows = if matches!(mode, Mode::Demo { .. }) { [6, 12, 12] } else { [10, 60, 60] };
    let mut network = Network::start(kind, &cli.ports, windows, &binaries).await?;

    println!("== registering workers (roles, served models, stake)");
    let mut workers = vec![
        ("worker1", "compute,verify"),
        ("worker2", "compute,verify"),
        ("worker3", "compute,verify"),
    ];
    // Each of the three checks the others' results and sits on their audits.
    if !alone {
        workers.push(("verifier4", "verify"));
    }
    network.register(&workers).await;
    println!("== starting the workers (worker run; logs in .devnet/workers/) and a coordinator");
    for (name, _) in &workers {
        network.run_worker(name, &[]);
    }
    network.run_coordinator(cli.ports.coordinator);
    let verifier = if workers.len() > 3 { "; verifier4: verify" } else { "" };
    println!("  worker1-3: compute + verify{verifier}; coordinator on {}", network.coordinator);

    match mode {
        Mode::Bench { tasks, rate } => load::bench(&network, tasks, rate).await,
        Mode::Soak { tasks } => load::soak(&mut network, tasks).await,
        Mode::Surge => surge::run(&mut network).await,
        Mode::PipeBench { txs, rounds } => pipe_bench::run(&network, txs, rounds).await,
        Mode::Demo { keep } => {
            tiers::run(&mut network).await?;
            // With --anvil, PIPE gets a pipe-node of its own.
            let own = cli.anvil.then(|| {
                println!("\n== PIPE: contracts call models inside their own transactions (pipe-node)");
                let options = NodeOptions {
                    port: Some(cli.ports.pipe_node),
                    chain_id: Some(31_338),
                    dir: Some(network.dir.clone()),
                    pipe_node: Some(binaries.pipe_node.clone()),
                    ..NodeOptions::default()
                };
                let node = LocalChain::PipeNode(PipeNode::start(&options));
                println!(
                    "  pipe-node on 127.0.0.1:{} (chain kept in .devnet/pipe-node; log .devnet/pipe-node.log)",
                    cli.ports.pipe_node
                );
                node
            });
            if own.is_none() {
                println!(
                    "\n== PIPE on the same chain: contracts call models inside their own transactions"
                );
            }
            // On one chain the dApps pay for their calls and the staked workers answer them, and a
            // wrong signed answer is disputed.
            let billing = own.is_none().then_some(&network);
            let dapps = pipe::run(own.as_ref().unwrap_or(&network.market.chain), billing).await?;
            if own.is_none() {
                paid::run(&network).await?;
                dispute::run(&mut network).await?;
            }
            memsync::run(&network).await?;
            twins::run(&mut network).await?;
            let pipe = own.as_ref().unwrap_or(&network.market.chain);
            if keep {
                let market = &network.market;
                let shown = |file: &std::path::Path| {
                    file.strip_prefix(verigrad_testkit::repo())
                        .unwrap_or(file)
                        .display()
                        .to_string()
                };
                println!(
                    "\ndevnet: {} {} ({}), store {}, coordinator {},\n        PIPE on {} ({}); worker logs in .devnet/workers/. Ctrl-C stops.",
                    market.chain.name(),
                    market.chain.url().as_str().trim_end_matches('/'),
                    shown(&market.deployed.file),
                    market.store_url,
                    network.coordinator,
                    pipe.url().as_str().trim_end_matches('/'),
                    shown(&dapps.file)
                );
                status::run(&mut network, own.as_ref()).await?;
            }
            Ok(())
        }
    }
}
