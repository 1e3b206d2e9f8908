//! What a surge run recorded, block by block and task by task, and its judgement: the summary
//! `worker surge` prints and the check it exits 1 on.

use std::collections::BTreeMap;

use alloy::primitives::U256;
use serde::Serialize;
use verigrad_contracts::LoadPricing;

use super::Value;

/// Blocks over which admitted load is averaged against capacity. The live price does not cap a
/// block: it rises with every task admitted, so the first block of a surge lets in tasks until the
/// price passes the caps offered — for caps of up to twice the base quote, an excess of about
/// ln 2 × `UPDATE_FRACTION` ≈ 5.9 targets, or 2.9 blocks of capacity — and every later block lets
/// in what the excess drains, one target (half a capacity). Over `W` blocks from the onset that
/// averages at most ½ + 2.9 / W capacities, under one from W = 6; eight blocks leave room for the
/// high-value tasks that keep arriving above the low caps. It is also the time the workers' queue
/// has to absorb the onset, which the latency check judges separately.
pub const WINDOW_BLOCKS: usize = 8;

/// Blocks within which the price must be back at base after the surge: the excess is capped at
/// `MAX_EXCESS` (64 targets) and drains one target a block, so any release is back at its base
/// price at most 64 idle blocks after its last load.
pub const RETURN_BOUND_BLOCKS: u64 = LoadPricing::MAX_EXCESS / LoadPricing::TARGET_PER_BLOCK;

/// The most blocks from assignment to first answer a high-value task may wait, at p99.
pub const LATENCY_BOUND_BLOCKS: u64 = 3;

/// One block of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockSample {
    /// The block.
    pub block: u64,
    /// Tasks offered in it: high-value, low-value.
    pub offered: [u32; 2],
    /// Tasks the escrow admitted in it (`TaskCreated`): high-value, low-value.
    pub admitted: [u32; 2],
    /// Tasks the escrow refused in it.
    pub refused: u32,
    /// The live price read at this block, token wei (`None` if the block went by unread).
    pub price: Option<U256>,
    /// Admitted tasks not yet answered at the end of the block.
    pub queue: u32,
}

impl BlockSample {
    /// Tasks offered, both classes.
    pub fn offered_total(&self) -> u32 {
        self.offered.iter().sum()
    }

    /// Tasks admitted, both classes.
    pub fn admitted_total(&self) -> u32 {
        self.admitted.iter().sum()
    }
}

/// One admitted task's way through the chain, in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTimes {
    /// Its requester's class.
    pub value: Value,
    /// Created (admitted).
    pub created: u64,
    /// Workers drawn (`TaskAssigned`); the draw waits for an anchor two blocks ahead, or the next
    /// registry epoch, whatever the load.
    pub assigned: Option<u64>,
    /// The first answer (`ResultProposed` or `ResultCommitted`).
    pub answered: Option<u64>,
}

impl TaskTimes {
    /// Blocks from assignment to the first answer: the wait the workers' queue adds.
    pub fn answer_latency(&self) -> Option<u64> {
        Some(self.answered?.saturating_sub(self.assigned?))
    }

    /// Blocks from creation to the first answer, the draw's wait included.
    pub fn total_latency(&self) -> Option<u64> {
        Some(self.answered?.saturating_sub(self.created))
    }
}

/// Everything a surge run recorded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurgeRecord {
    /// Executions a block the stake serving the model can run: 2 × target / cost units.
    pub capacity: f64,
    /// The release's live price at rest (its base price), token wei.
    pub base_price: U256,
    /// The quote for one task at rest, token wei: what caps are multiples of.
    pub base_quote: U256,
    /// Every block from the run's first to its last, in order.
    pub blocks: Vec<BlockSample>,
    /// The first and last block the surge offered tasks in.
    pub surge: (u64, u64),
    /// Every admitted task.
    pub tasks: Vec<TaskTimes>,
    /// Refused tasks by the escrow's reason.
    pub refusals: BTreeMap<String, usize>,
    /// Admitted tasks not settled when the run gave up.
    pub unsettled: usize,
    /// The escrow's token balance at the end.
    pub escrow_balance: U256,
    /// What the escrow owes at the end.
    pub escrow_liabilities: U256,
}

/// p50 and p99 of some blocks, by nearest rank; `None` without samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quantiles {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
}

impl Quantiles {
    /// The quantiles of `samples`, or `None` if there are none.
    pub fn of(mut samples: Vec<u64>) -> Option<Self> {
        samples.sort_unstable();
        let n = samples.len();
        let rank = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        (n > 0).then(|| Self { n, p50: rank(0.5), p99: rank(0.99) })
    }
}

/// The judgement of a run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurgeSummary {
    /// Executions a block the serving stake can run.
    pub capacity: f64,
    /// Most tasks offered in one surge block.
    pub peak_offered: u32,
    /// Mean tasks offered a surge block.
    pub mean_offered: f64,
    /// Most tasks admitted in one surge block.
    pub max_admitted: u32,
    /// Mean tasks admitted a surge block.
    pub mean_admitted: f64,
    /// Highest mean admitted over [`WINDOW_BLOCKS`] consecutive surge blocks.
    pub window_admitted: f64,
    /// Tasks offered in the whole run: high-value, low-value.
    pub offered: [usize; 2],
    /// Tasks admitted in the whole run: high-value, low-value.
    pub admitted: [usize; 2],
    /// Refused tasks by reason.
    pub refusals: BTreeMap<String, usize>,
    /// The base price, token wei.
    pub base_price: U256,
    /// The highest live price read, token wei, and its block.
    pub peak_price: (U256, u64),
    /// The surge's last block.
    pub surge_end: u64,
    /// The first block after the surge at which the price read was back at base.
    pub back_at_base: Option<u64>,
    /// High-value tasks: blocks from assignment to first answer.
    pub high_latency: Option<Quantiles>,
    /// Low-value tasks: blocks from assignment to first answer.
    pub low_latency: Option<Quantiles>,
    /// High-value tasks: blocks from creation to first answer (the draw's wait included).
    pub high_total: Option<Quantiles>,
    /// Most admitted tasks waiting for an answer at the end of a block.
    pub peak_queue: u32,
    /// Admitted tasks never answered or never settled.
    pub unanswered: usize,
    /// Admitted tasks not settled.
    pub unsettled: usize,
    /// The escrow's balance, token wei.
    pub escrow_balance: U256,
    /// The escrow's liabilities, token wei.
    pub escrow_liabilities: U256,
}

impl SurgeRecord {
    /// Fills each block's queue depth from the tasks: created at or before it, answered after it.
    pub fn fill_queues(&mut self) {
        for sample in &mut self.blocks {
            let waiting = self.tasks.iter().filter(|t| {
                t.created <= sample.block && t.answered.is_none_or(|a| a > sample.block)
            });
            sample.queue = waiting.count() as u32;
        }
    }

    /// Judges the run.
    pub fn summary(&self) -> SurgeSummary {
        let (start, end) = self.surge;
        let surge: Vec<&BlockSample> =
            self.blocks.iter().filter(|b| (start..=end).contains(&b.block)).collect();
        let mean = |f: fn(&BlockSample) -> u32| {
            let n = surge.len().max(1) as f64;
            surge.iter().map(|b| f64::from(f(b))).sum::<f64>() / n
        };
        let admitted: Vec<u32> = surge.iter().map(|b| b.admitted_total()).collect();
        let window = WINDOW_BLOCKS.min(admitted.len()).max(1);
        let window_admitted = admitted
            .windows(window)
            .map(|w| f64::from(w.iter().sum::<u32>()) / window as f64)
            .fold(0.0, f64::max);
        let by_class = |f: fn(&BlockSample) -> [u32; 2]| {
            self.blocks.iter().fold([0usize; 2], |[h, l], b| {
                let [bh, bl] = f(b);
                [h + bh as usize, l + bl as usize]
            })
        };
        let peak_price = self
            .blocks
            .iter()
            .filter_map(|b| Some((b.price?, b.block)))
            .fold((self.base_price, 0), |best, p| if p.0 > best.0 { p } else { best });
        let back_at_base = self
            .blocks
            .iter()
            .filter(|b| b.block > end)
            .find(|b| b.price == Some(self.base_price))
            .map(|b| b.block);
        let latency = |value: Value, f: fn(&TaskTimes) -> Option<u64>| {
            Quantiles::of(self.tasks.iter().filter(|t| t.value == value).filter_map(f).collect())
        };
        SurgeSummary {
            capacity: self.capacity,
            peak_offered: surge.iter().map(|b| b.offered_total()).max().unwrap_or(0),
            mean_offered: mean(BlockSample::offered_total),
            max_admitted: admitted.iter().copied().max().unwrap_or(0),
            mean_admitted: mean(BlockSample::admitted_total),
            window_admitted,
            offered: by_class(|b| b.offered),
            admitted: by_class(|b| b.admitted),
            refusals: self.refusals.clone(),
            base_price: self.base_price,
            peak_price,
            surge_end: end,
            back_at_base,
            high_latency: latency(Value::High, TaskTimes::answer_latency),
            low_latency: latency(Value::Low, TaskTimes::answer_latency),
            high_total: latency(Value::High, TaskTimes::total_latency),
            peak_queue: self.blocks.iter().map(|b| b.queue).max().unwrap_or(0),
            unanswered: self.tasks.iter().filter(|t| t.answered.is_none()).count(),
            unsettled: self.unsettled,
            escrow_balance: self.escrow_balance,
            escrow_liabilities: self.escrow_liabilities,
        }
    }
}

impl SurgeSummary {
    /// Whether the escrow's balance equals its ledger, to the wei.
    pub fn balanced(&self) -> bool {
        self.escrow_balance == self.escrow_liabilities
    }

    /// Blocks from the surge's end until the price was back at base.
    pub fn return_blocks(&self) -> Option<u64> {
        Some(self.back_at_base? - self.surge_end)
    }

    /// What the run failed of the check, empty if nothing: admitted load at or under capacity over
    /// every [`WINDOW_BLOCKS`]-block window of the surge while ten times that was offered, the price
    /// up and back at base within [`RETURN_BOUND_BLOCKS`], high-value p99 latency within
    /// [`LATENCY_BOUND_BLOCKS`], every admitted task answered and settled, the escrow balanced.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.window_admitted > self.capacity {
            problems.push(format!(
                "admitted {:.2} a block over {WINDOW_BLOCKS} blocks, above the capacity of {:.2}",
                self.window_admitted, self.capacity
            ));
        }
        if self.mean_offered < 5.0 * self.capacity {
            problems.push(format!(
                "offered only {:.1} a block: not an overload of a {:.2} capacity",
                self.mean_offered, self.capacity
            ));
        }
        if self.peak_price.0 <= self.base_price {
            problems.push("the price never rose".into());
        }
        match self.return_blocks() {
            Some(blocks) if blocks <= RETURN_BOUND_BLOCKS => {}
            Some(blocks) => problems.push(format!(
                "the price took {blocks} blocks to return to base (bound {RETURN_BOUND_BLOCKS})"
            )),
            None => problems.push("the price never returned to base".into()),
        }
        match self.high_latency {
            Some(q) if q.p99 <= LATENCY_BOUND_BLOCKS => {}
            Some(q) => problems.push(format!(
                "high-value p99 latency {} blocks (bound {LATENCY_BOUND_BLOCKS})",
                q.p99
            )),
            None => problems.push("no high-value task was answered".into()),
        }
        if self.unanswered > 0 || self.unsettled > 0 {
            problems.push(format!(
                "{} admitted tasks never answered, {} never settled",
                self.unanswered, self.unsettled
            ));
        }
        if !self.balanced() {
            problems.push(format!(
                "the escrow holds {} but owes {}",
                self.escrow_balance, self.escrow_liabilities
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 1_000;

    fn block(block: u64, offered: u32, admitted: u32, price: u64) -> BlockSample {
        BlockSample {
            block,
            offered: [offered / 25, offered - offered / 25],
            admitted: [admitted.min(1), admitted.saturating_sub(1)],
            refused: offered.saturating_sub(admitted),
            price: Some(U256::from(price)),
            queue: 0,
        }
    }

    fn task(value: Value, created: u64, assigned: u64, answered: u64) -> TaskTimes {
        TaskTimes { value, created, assigned: Some(assigned), answered: Some(answered) }
    }

    /// A run at a capacity of 4: calm blocks 1–3, a surge of 46 a block in 4–13 whose onset lets in
    /// 9, then 2 a block; the price back at base in block 20.
    fn record() -> SurgeRecord {
        let mut blocks = vec![block(1, 1, 1, BASE), block(2, 1, 1, BASE), block(3, 1, 1, BASE)];
        blocks.push(block(4, 46, 9, BASE));
        for b in 5..=13 {
            blocks.push(block(b, 46, 2, 1_900 + b));
        }
        for (b, price) in (14..=21).zip([1_800, 1_600, 1_400, 1_250, 1_100, 1_010, BASE, BASE]) {
            blocks.push(block(b, 0, 0, price));
        }
        let mut tasks = vec![task(Value::High, 4, 7, 8), task(Value::Low, 4, 7, 12)];
        tasks.extend((5..=13).map(|b| task(Value::High, b, b + 3, b + 5)));
        SurgeRecord {
            capacity: 4.0,
            base_price: U256::from(BASE),
            base_quote: U256::from(BASE + 100),
            blocks,
            surge: (4, 13),
            tasks,
            refusals: BTreeMap::from([("FeeBelowQuote".to_string(), 420)]),
            unsettled: 0,
            escrow_balance: U256::from(77),
            escrow_liabilities: U256::from(77),
        }
    }

    #[test]
    fn a_surge_held_at_capacity_passes() {
        let summary = record().summary();
        assert_eq!(summary.problems(), Vec::<String>::new());
        assert_eq!((summary.peak_offered, summary.max_admitted), (46, 9));
        // Blocks 4–11: (9 + 7 × 2) / 8.
        assert!((summary.window_admitted - 23.0 / 8.0).abs() < 1e-9);
        assert!((summary.mean_admitted - 2.7).abs() < 1e-9, "{}", summary.mean_admitted);
        assert_eq!(summary.peak_price, (U256::from(1_913), 13));
        assert_eq!((summary.back_at_base, summary.return_blocks()), (Some(20), Some(7)));
        let high = summary.high_latency.expect("answered");
        assert_eq!((high.n, high.p50, high.p99), (10, 2, 2));
        assert_eq!(summary.high_total.map(|q| q.p99), Some(5));
    }

    /// Named ways a run fails, each with the problem it must report.
    #[test]
    fn each_broken_promise_fails_the_check() {
        type Break = fn(&mut SurgeRecord);
        let cases: [(&str, Break, &str); 6] = [
            ("admission over capacity", |r| r.blocks[5].admitted = [3, 20], "above the capacity"),
            (
                "price never back",
                |r| r.blocks[17..].iter_mut().for_each(|b| b.price = Some(U256::from(1_001))),
                "never returned",
            ),
            (
                "price flat",
                |r| r.blocks.iter_mut().for_each(|b| b.price = Some(U256::from(BASE))),
                "never rose",
            ),
            ("slow high-value answers", |r| r.tasks[3].answered = Some(40), "p99 latency"),
            ("a task lost", |r| r.tasks[1].answered = None, "never answered"),
            ("escrow short", |r| r.escrow_balance = U256::from(76), "holds 76 but owes 77"),
        ];
        for (name, broken, expected) in cases {
            let mut record = record();
            broken(&mut record);
            let problems = record.summary().problems();
            assert!(problems.iter().any(|p| p.contains(expected)), "{name}: {problems:?}");
        }
    }

    #[test]
    fn queue_depth_counts_admitted_tasks_not_yet_answered() {
        let mut record = record();
        record.fill_queues();
        let queue: BTreeMap<u64, u32> = record.blocks.iter().map(|b| (b.block, b.queue)).collect();
        assert_eq!(queue[&3], 0);
        assert_eq!(queue[&4], 2, "both onset tasks wait");
        assert_eq!(queue[&8], 5, "the low one of block 4 and those of blocks 5 to 8 wait");
        assert_eq!(queue[&21], 0, "all answered");
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        type Case = (&'static str, Vec<u64>, Option<(u64, u64)>);
        let cases: [Case; 3] = [
            ("none", vec![], None),
            ("one", vec![3], Some((3, 3))),
            ("a tail", (1..=100).collect(), Some((50, 99))),
        ];
        for (name, samples, expected) in cases {
            assert_eq!(Quantiles::of(samples).map(|q| (q.p50, q.p99)), expected, "{name}");
        }
    }
}
