//! `--surge`: the overload run on three workers. The registry's owner (the deployer) shrinks the
//! capacity each 100 tokens of compute stake buys (`setLoadParams`), so that the volatility model's
//! capacity is a few executions a block and ten times it stays far under what a 1-s block of this
//! machine's chain can create; then `worker surge --check` offers calm, surge and nothing, prints
//! its summary and draws it to `.devnet/surge/`. Every process must still be running at the end.

use anyhow::Context as _;
use verigrad_testkit::DEPLOYER_KEY;

use crate::{inputs, network::Network};

/// Executions a block the volatility model's serving stake should run during the surge: a handful,
/// so that ten times it (40 tasks a second) is well under the ~100 a second of createTask calls
/// a 30M-gas block holds and this 2-core machine's workers answer the admitted ones at once.
const CAPACITY: u64 = 4;

/// Runs the surge and fails unless it passes its check and every process is still running.
pub(crate) async fn run(network: &mut Network) -> anyhow::Result<()> {
    let units_per_worker = network.set_capacity(CAPACITY).await?;
    println!(
        "== surge: the registry's owner sets unitsPerWorker = {units_per_worker} (capacity about {CAPACITY} volatility runs a block);"
    );
    println!(
        "   worker surge offers 10 s calm, 30 s at ten capacities, then nothing until the price is back"
    );
    let out = network.dir.join("surge");
    let model = network.market.volatility.to_string();
    let out_arg = out.display().to_string();
    let args = [
        "surge",
        "--model",
        &model,
        "--input",
        inputs::VOLATILITY,
        "--deadline",
        "300",
        "--out",
        &out_arg,
        "--check",
    ];
    let mut command =
        tokio::process::Command::from(network.market.command(Some(DEPLOYER_KEY), &args));
    command.env("VERIGRAD_LOG", "warn").kill_on_drop(true);
    let passed = command.status().await.context("running worker surge")?.success();
    let mut down = Vec::new();
    for (name, process) in &mut network.processes {
        if !process.is_running() {
            down.push(*name);
        }
    }
    let count = network.processes.len();
    if down.is_empty() {
        println!("processes    all {count} alive (worker1-3 and the coordinator): nothing crashed");
    } else {
        println!("processes    DOWN: {}", down.join(", "));
    }
    println!("pictures     {}", out.join("surge.png").display());
    anyhow::ensure!(passed && down.is_empty(), "the surge failed its check");
    Ok(())
}
