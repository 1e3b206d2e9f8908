//! `worker`: the verigrad worker node's command line.

mod account;
mod audit;
mod cli;
mod coordinate;
mod load;
mod memory;
mod models;
mod pipe;
mod release;
mod run;
mod serve;
mod submit;
mod surge;
mod twins;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    // SAFETY: the async runtime is built below; no other thread exists yet.
    unsafe { verigrad_inference::set_threads(cli.inference.threads) };
    // Logs go to stderr, so stdout carries only command output (e.g. `status --json`).
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("VERIGRAD_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log.format {
        cli::LogFormat::Text => {
            logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init()
        }
        cli::LogFormat::Json => logs.json().init(),
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(cli.run())
}
