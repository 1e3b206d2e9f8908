//! `worker surge`: an overload run on one model — calm, ten capacities, nothing — offered to the
//! escrow task by task; prints a summary, draws its pictures, and with `--check` fails unless the
//! live price held admissions at capacity and let the high-value tasks through quickly.
//!
//! A subcommand of its own rather than a `worker load` profile: it shares the task flags with
//! `load`, but not its task count, rate, tier mix or slashing check, and it judges other things.

use std::{path::PathBuf, time::Duration};

use alloy::primitives::U256;
use clap::Args;
use verigrad_charts::{Chart, Panel, Series};
use verigrad_requester::{
    LATENCY_BOUND_BLOCKS, Quantiles, RETURN_BOUND_BLOCKS, SurgePlan, SurgeRecord, SurgeSummary,
    WINDOW_BLOCKS,
};

use crate::{
    account::tokens,
    cli::Context,
    submit::{SubmitArgs, requester},
};

/// `worker surge`.
#[derive(Debug, Args)]
pub(crate) struct SurgeArgs {
    #[command(flatten)]
    pub(crate) task: SubmitArgs,
    /// Seconds of calm demand (a quarter of capacity) before the surge.
    #[arg(long, default_value_t = 10)]
    pub(crate) calm: u64,
    /// Seconds of surge.
    #[arg(long, default_value_t = 30)]
    pub(crate) surge: u64,
    /// Surge demand, in capacities.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) load: f64,
    /// One task in this many is high-value.
    #[arg(long, default_value_t = 25)]
    pub(crate) high_every: usize,
    /// A high-value task's cap, in base quotes (low-value caps spread over 1 to 2).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) high_cap: f64,
    /// Seconds to wait for the last admitted task to settle after the surge.
    #[arg(long, default_value_t = 180)]
    pub(crate) timeout: u64,
    /// Folder to write the pictures (surge.png) and the record (surge.json) to.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Exit 1 unless admitted load stayed at or under capacity, the price rose and came back to
    /// base, high-value answers kept their latency, and the escrow balanced.
    #[arg(long)]
    pub(crate) check: bool,
}

impl SurgeArgs {
    /// Runs the surge, prints its summary, draws it, and checks it if asked.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (tasks, request) = self.task.prepare(ctx)?;
        let poll = Duration::from_millis(tasks.poll_ms);
        let requester = requester(ctx.account().await?, &tasks);
        let plan = SurgePlan {
            request,
            calm_secs: self.calm,
            surge_secs: self.surge,
            calm_load: 0.25,
            surge_load: self.load,
            high_every: self.high_every,
            high_cap: self.high_cap,
            concurrency: 16,
            poll,
            settle_timeout: Duration::from_secs(self.timeout),
        };
        eprintln!(
            "surge: {} s calm at a quarter of capacity, {} s at {} capacities, then none until the price is back",
            plan.calm_secs, plan.surge_secs, plan.surge_load
        );
        let record =
            verigrad_requester::run_surge(requester, plan, |line| eprintln!("  {line}")).await?;
        let summary = record.summary();
        if self.task.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            print_summary(&summary);
        }
        if let Some(dir) = &self.out {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join("surge.json"), serde_json::to_string_pretty(&record)?)?;
            let png = dir.join("surge.png");
            chart(&record).draw(&png, 1100)?;
            eprintln!("wrote {} and surge.json", png.display());
        }
        if self.check {
            let problems = summary.problems();
            anyhow::ensure!(
                problems.is_empty(),
                "the surge failed its check: {}",
                problems.join("; ")
            );
            eprintln!(
                "check passed: admitted at or under capacity, the price back at base, high-value p99 within {LATENCY_BOUND_BLOCKS} blocks, the escrow balanced"
            );
        }
        Ok(())
    }
}

fn print_summary(s: &SurgeSummary) {
    let [oh, ol] = s.offered;
    let [ah, al] = s.admitted;
    println!(
        "capacity     {:.2} executions a block (2 x target / cost units, read from the chain)",
        s.capacity
    );
    println!(
        "offered      {} tasks ({oh} high-value, {ol} low); surge peak {} a block ({:.1} x capacity), mean {:.1}",
        oh + ol,
        s.peak_offered,
        f64::from(s.peak_offered) / s.capacity,
        s.mean_offered
    );
    println!(
        "admitted     {} tasks ({ah} high-value, {al} low); surge max {} a block, mean {:.2}, highest {WINDOW_BLOCKS}-block mean {:.2} (capacity {:.2})",
        ah + al,
        s.max_admitted,
        s.mean_admitted,
        s.window_admitted,
        s.capacity
    );
    let refusals: Vec<String> = s.refusals.iter().map(|(why, n)| format!("{n} {why}")).collect();
    println!(
        "refused      {} (nothing locked)",
        if refusals.is_empty() { "none".into() } else { refusals.join(", ") }
    );
    let (peak, at) = s.peak_price;
    let back = match (s.back_at_base, s.return_blocks()) {
        (Some(block), Some(after)) => format!(
            "back at base in block {block}, {after} blocks (about {after} s) after the surge's last block {} (bound {RETURN_BOUND_BLOCKS})",
            s.surge_end
        ),
        _ => format!("NOT back at base after the surge's last block {}", s.surge_end),
    };
    println!(
        "price        base {}, peak {} ({:.2} x) in block {at}; {back}",
        tokens(s.base_price),
        tokens(peak),
        ratio(peak, s.base_price)
    );
    println!(
        "latency      assignment -> first answer, blocks: high-value {}, low-value {}; creation -> first answer, high-value {}",
        quantiles(s.high_latency),
        quantiles(s.low_latency),
        quantiles(s.high_total)
    );
    println!(
        "queue        at most {} admitted tasks waiting for an answer; {} never answered, {} never settled",
        s.peak_queue, s.unanswered, s.unsettled
    );
    let verdict = if s.balanced() { "equal, to the wei" } else { "NOT EQUAL" };
    println!(
        "escrow       holds {}, owes {} ({verdict})",
        tokens(s.escrow_balance),
        tokens(s.escrow_liabilities)
    );
}

fn quantiles(q: Option<Quantiles>) -> String {
    q.map_or("none".into(), |q| format!("p50 {} p99 {} (n {})", q.p50, q.p99, q.n))
}

/// `a / b` as a float, for ratios of prices.
fn ratio(a: U256, b: U256) -> f64 {
    let f = |x: U256| f64::from(x);
    if b.is_zero() { 0.0 } else { f(a) / f(b) }
}

/// The run's pictures: offered and admitted load against capacity, the live price, the queue, and
/// the latency of each admitted task by the block it was created in; the surge shaded.
fn chart(record: &SurgeRecord) -> Chart {
    const BLUE: (u8, u8, u8) = (40, 90, 200);
    const GREEN: (u8, u8, u8) = (20, 150, 60);
    const ORANGE: (u8, u8, u8) = (230, 120, 20);
    const BLACK: (u8, u8, u8) = (0, 0, 0);
    let first = record.blocks.first().map_or(0, |b| b.block);
    let x = |block: u64| (block - first) as f64;
    let line = |f: &dyn Fn(&verigrad_requester::BlockSample) -> Option<f64>| {
        record.blocks.iter().filter_map(|b| Some((x(b.block), f(b)?))).collect::<Vec<_>>()
    };
    let last = record.blocks.last().map_or(0.0, |b| x(b.block));
    let base = f64::from(record.base_price);
    let load = Panel::new(
        "Offered and admitted tasks per block",
        "tasks",
        vec![
            Series::new("offered", BLUE, line(&|b| Some(f64::from(b.offered_total())))),
            Series::new("admitted", GREEN, line(&|b| Some(f64::from(b.admitted_total())))),
            Series::new("capacity", BLACK, vec![(0.0, record.capacity), (last, record.capacity)]),
        ],
    );
    let price = Panel::new(
        "Live price (multiple of the base price)",
        "x base",
        vec![
            Series::new("live price", ORANGE, line(&|b| Some(f64::from(b.price?) / base))),
            Series::new("base", BLACK, vec![(0.0, 1.0), (last, 1.0)]),
        ],
    );
    let queue = Panel::new(
        "Queue: admitted tasks not yet answered",
        "tasks",
        vec![Series::new("queue depth", BLUE, line(&|b| Some(f64::from(b.queue))))],
    );
    let latency = |value| {
        let mut points: Vec<(f64, f64)> = record
            .tasks
            .iter()
            .filter(|t| t.value == value)
            .filter_map(|t| Some((x(t.created), t.answer_latency()? as f64)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points
    };
    let latency = Panel::new(
        "Latency: assignment to first answer, by creation block",
        "blocks",
        vec![
            Series::new("high-value", GREEN, latency(verigrad_requester::Value::High)),
            Series::new("low-value", ORANGE, latency(verigrad_requester::Value::Low)),
            Series::new(
                "bound",
                BLACK,
                vec![(0.0, LATENCY_BOUND_BLOCKS as f64), (last, LATENCY_BOUND_BLOCKS as f64)],
            ),
        ],
    );
    let (start, end) = record.surge;
    Chart {
        x_label: format!("block (from {first}; one a second)"),
        shade: Some((x(start), x(end))),
        panels: vec![load, price, queue, latency],
    }
}
