//! The network under load: the bench (LIGHT throughput on three workers) and the soak (mixed tiers
//! with a faulty worker and a crash), both driven by `worker load`.

use std::{process::Stdio, time::Duration};

use anyhow::Context as _;
use verigrad_testkit::DEPLOYER_KEY;

use crate::{
    inputs,
    network::{Network, actor},
    status,
};

/// `worker load` flags for `tasks` tasks of the volatility model.
fn load_args(network: &Network, tasks: usize) -> Vec<String> {
    let model = network.market.volatility.to_string();
    let flags =
        ["load", "--tasks", &tasks.to_string(), "--model", &model, "--input", inputs::VOLATILITY];
    flags.iter().map(ToString::to_string).chain(["--deadline".into(), "300".into()]).collect()
}

/// Runs `worker load` with `args` as the requester, its output going where `stdout` and `stderr`
/// say; returns whether it succeeded.
async fn load(
    network: &Network,
    args: &[String],
    stdout: Stdio,
    stderr: Stdio,
) -> anyhow::Result<bool> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command =
        tokio::process::Command::from(network.market.command(Some(DEPLOYER_KEY), &args));
    // The load prints its progress and summary; the logs would drown them.
    command.env("VERIGRAD_LOG", "warn").stdout(stdout).stderr(stderr).kill_on_drop(true);
    Ok(command.status().await.context("running worker load")?.success())
}

/// Tokens of collateral a bench task's seat may lock: the 10-token minimum slash and the share of
/// the task's gain above it, with room.
const BENCH_COLLATERAL_VGD: u64 = 12;

/// `--bench`: `tasks` LIGHT tasks on worker1–3, all at once or `rate` a second.
pub(crate) async fn bench(network: &Network, tasks: u64, rate: Option<u64>) -> anyhow::Result<()> {
    let pace = rate.map_or("at once".to_string(), |r| format!("{r} a second"));
    println!(
        "== bench: {tasks} LIGHT tasks created {pace}; three workers (worker1-3) compute and verify"
    );
    // Every open LIGHT seat locks its worker's collateral (at least the 10-token minimum slash) until
    // the task finalizes, about 12 s after assignment here: stake caps throughput at
    // stake ÷ (collateral × 12 s). The bench measures the chain and the workers, so each worker
    // stakes enough for every task of the run to be open at once.
    let extra = tasks.div_ceil(3) * BENCH_COLLATERAL_VGD;
    network.add_stake(&["worker1", "worker2", "worker3"], extra).await?;
    println!(
        "   worker1-3 stake {extra} VGD more each: collateral for every task of the run open at once"
    );
    // The bench measures throughput, not pricing: a capacity four times the offered load keeps the
    // live price at base, so that no task's cap is outrun while it waits for its block.
    let offered = rate.unwrap_or(tasks).max(1);
    let units_per_worker = network.set_capacity(4 * offered).await?;
    println!(
        "   the registry's owner sets unitsPerWorker = {units_per_worker}: a capacity of about {} volatility runs a block, so the price stays at base",
        4 * offered
    );
    let mut args = load_args(network, usize::try_from(tasks)?);
    args.extend(["--floor", "light", "--expect-slashed", "none"].map(String::from));
    if let Some(rate) = rate {
        args.extend(["--rate".into(), rate.to_string()]);
    }
    anyhow::ensure!(
        load(network, &args, Stdio::inherit(), Stdio::inherit()).await?,
        "the bench failed"
    );
    Ok(())
}

/// `--soak`: `tasks` tasks, five a second, LIGHT and REDUNDANT in turn, with faulty5 in the pool and
/// worker2 SIGKILLed 20 s in and restarted 5 s later on its database. `worker load --expect-slashed`
/// judges the run: every task settled, the escrow balanced, exactly faulty5 slashed.
pub(crate) async fn soak(network: &mut Network, tasks: usize) -> anyhow::Result<()> {
    println!(
        "== soak: {tasks} tasks, five a second (LIGHT and REDUNDANT in turn); faulty5 (--faulty) joins the pool;"
    );
    println!("   worker2 is SIGKILLed 20 s in and restarted 5 s later");
    network.register(&[("faulty5", "compute")]).await;
    network.run_worker("faulty5", &["--faulty"]);
    for name in ["worker1", "worker2", "worker3", "verifier4", "faulty5"] {
        println!("  {name} is {}", actor(name).address);
    }
    let faulty = actor("faulty5").address.to_string();
    let mut args = load_args(network, tasks);
    let flags = ["--rate", "5", "--mix", "light,redundant", "--expect-slashed", &faulty];
    args.extend(flags.map(String::from));
    let summary = network.dir.join("soak.txt");
    let log = network.dir.join("soak.log");
    let (stdout, stderr) = (std::fs::File::create(&summary)?, std::fs::File::create(&log)?);
    let mut worker2 = network.processes.remove("worker2").context("worker2 runs")?;
    let crash = async {
        tokio::time::sleep(Duration::from_secs(20)).await;
        println!(
            "  {} SIGKILL worker2 (pid {})",
            status::clock(),
            worker2.id().unwrap_or_default()
        );
        worker2.kill();
        tokio::time::sleep(Duration::from_secs(5)).await;
        println!("  {} restarting worker2 on its database", status::clock());
        worker2.restart();
    };
    let (passed, ()) = tokio::join!(load(network, &args, stdout.into(), stderr.into()), crash);
    network.processes.insert("worker2", worker2);
    println!();
    print!("{}", std::fs::read_to_string(&summary)?);
    let log = std::fs::read_to_string(&log)?;
    let verdict: Vec<&str> =
        log.lines().filter(|l| l.starts_with("check passed") || l.starts_with("Error:")).collect();
    println!(
        "{}",
        if verdict.is_empty() {
            log.lines().rev().take(5).collect::<Vec<_>>().join("\n")
        } else {
            verdict.join("\n")
        }
    );
    anyhow::ensure!(passed?, "the soak failed its check (.devnet/soak.log)");
    Ok(())
}
