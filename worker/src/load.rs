//! `worker load`: many tasks at once, followed to settlement, and a summary.

use std::{io::IsTerminal, time::Duration};

use alloy::primitives::Address;
use clap::Args;
use verigrad_contracts::{Account, Tier};
use verigrad_requester::{LoadPlan, LoadReport, TaskRequest};
use verigrad_roles::TaskConfig;

use crate::{
    account::tokens,
    cli::{Context, parse_enum},
    submit::{SubmitArgs, requester},
};

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

impl LoadArgs {
    /// Runs the load and prints its summary; fails if `--expect-slashed` is given and not met.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (tasks, request) = self.task.prepare(ctx)?;
        let account = ctx.account().await?;
        run(account, self, &tasks, request).await
    }
}

/// Runs the load and prints its summary (JSON with `--json`).
async fn run(
    account: Account,
    args: LoadArgs,
    config: &TaskConfig,
    request: TaskRequest,
) -> anyhow::Result<()> {
    let poll = Duration::from_millis(config.poll_ms);
    let requester = requester(account, config);
    let floors = if args.mix.is_empty() { vec![request.floor] } else { args.mix.clone() };
    let plan = LoadPlan {
        request,
        floors,
        tasks: args.tasks,
        concurrency: args.concurrency,
        rate: args.rate,
        timeout: Duration::from_secs(args.timeout),
        poll,
    };
    match plan.rate {
        Some(rate) => eprintln!("creating {} tasks, {rate} a second", plan.tasks),
        None => eprintln!("creating {} tasks at once", plan.tasks),
    }
    let terminal = std::io::stderr().is_terminal();
    let mut shown = usize::MAX;
    let report = verigrad_requester::run_load(requester, plan, |settled, created| {
        // Every change on a terminal; every tenth of the run in a log.
        let step = if terminal { 1 } else { (created / 10).max(1) };
        if settled != shown && (settled % step == 0 || settled == created) {
            shown = settled;
            if terminal {
                eprint!("\r  settled {settled}/{created}");
            } else {
                eprintln!("  settled {settled}/{created}");
            }
        }
    })
    .await?;
    if terminal {
        eprintln!();
    }
    if args.task.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if let Some(expected) = &args.expect_slashed {
        let faulty: Vec<_> = expected.iter().flatten().copied().collect();
        let problems = report.problems(&faulty);
        anyhow::ensure!(problems.is_empty(), "the run failed its check: {}", problems.join("; "));
        eprintln!(
            "check passed: every task settled, the escrow balanced, exactly the expected workers slashed"
        );
    }
    Ok(())
}

fn print_report(r: &LoadReport) {
    let [light, redundant, deep] = r.tiers;
    println!(
        "tasks        {} created: {} finalized, {} refunded ({} inputs rejected), {} unsettled",
        r.created,
        r.finalized,
        r.refunded,
        r.rejected,
        r.unsettled.len()
    );
    println!("tiers        {light} LIGHT, {redundant} REDUNDANT, {deep} DEEP");
    println!(
        "throughput   {:.2} settled tasks/s ({:.1} s from first creation to last settlement)",
        r.settled_per_second, r.seconds
    );
    println!(
        "steady       {:.2} settled tasks/s between the 10th and 90th percentile settlements",
        r.steady_per_second
    );
    let [p50, p90, max] = r.answer_blocks;
    println!(
        "answer       assignment to first worker answer: p50 {p50}, p90 {p90}, max {max} blocks"
    );
    let settled = r.finalized + r.refunded;
    println!(
        "gas          {:.0} a settled task on chain, all in ({} blocks, mean fill {:.0} % of {})",
        r.chain_gas.per_task(settled),
        r.chain_gas.blocks,
        100.0 * r.chain_gas.fill(),
        r.chain_gas.limit
    );
    let verdict = if r.balanced() { "equal, to the wei" } else { "NOT EQUAL" };
    println!(
        "escrow       holds {}, owes {} ({verdict})",
        tokens(r.escrow_balance),
        tokens(r.escrow_liabilities)
    );
    for w in &r.workers {
        let change = if w.slashed() {
            format!(
                "SLASHED: stake {} -> {}, faults {} -> {}",
                tokens(w.stake_before),
                tokens(w.stake_after),
                w.faults_before,
                w.faults_after
            )
        } else {
            format!("not slashed (stake {}, faults {})", tokens(w.stake_after), w.faults_after)
        };
        println!("worker       {} {change}", w.address);
    }
    if !r.unsettled.is_empty() {
        let ids: Vec<String> = r.unsettled.iter().map(ToString::to_string).collect();
        println!("unsettled    {}", ids.join(", "));
    }
}
