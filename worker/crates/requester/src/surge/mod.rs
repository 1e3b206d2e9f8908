//! An overload run (`worker surge`): demand for one model at about ten times its capacity for a
//! while, from a population of requesters who value their tasks differently, and what the chain's
//! live price does with it. Every task is offered to the escrow as it is: admitted at the live
//! price, or refused with `FeeBelowQuote` (nothing locked). The run records each block (offered,
//! admitted, refused, the live price) and each admitted task (created, assigned, first answered);
//! [`SurgeRecord::summary`] judges it.
//!
//! The plan here is pure — phases by second, and each task's value class and cap — so that it can
//! be tested without a chain; `drive` runs it against one.

mod drive;
mod report;

use alloy::primitives::U256;
use serde::Serialize;

pub use drive::run_surge;
pub use report::{
    BlockSample, LATENCY_BOUND_BLOCKS, Quantiles, RETURN_BOUND_BLOCKS, SurgeRecord, SurgeSummary,
    TaskTimes, WINDOW_BLOCKS,
};

use crate::TaskRequest;

/// Which part of the run a second belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Demand below the target: the price stays at base.
    Calm,
    /// Demand at [`SurgePlan::surge_load`] times capacity.
    Surge,
    /// No demand, until the price is back at base.
    After,
}

/// The two kinds of requester the run offers tasks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// A few tasks worth much to their requester: capped [`SurgePlan::high_cap`] times the base
    /// quote.
    High,
    /// Many tasks worth little more than their base quote: capped between 1 and 2 times it.
    Low,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SurgePlan {
    /// Every task's request (model, input made distinct per task, value at risk, floor, deadline);
    /// its max fee is set per task from the value class.
    pub request: TaskRequest,
    /// Seconds of calm demand before the surge.
    pub calm_secs: u64,
    /// Seconds of surge.
    pub surge_secs: u64,
    /// Calm demand, in capacities (0.25: half the target).
    pub calm_load: f64,
    /// Surge demand, in capacities (10: ten times what the stake serving the model can run).
    pub surge_load: f64,
    /// Every `high_every`-th task is [`Value::High`] (25: 4 % of demand, under the target even at
    /// the surge's ten capacities, so the price never has to refuse them).
    pub high_every: usize,
    /// A high-value task's cap, in base quotes.
    pub high_cap: f64,
    /// Tasks being prepared (inputs stored) at once.
    pub concurrency: usize,
    /// How often the chain is read.
    pub poll: std::time::Duration,
    /// Give up on admitted tasks not settled this long after the surge.
    pub settle_timeout: std::time::Duration,
}

impl SurgePlan {
    /// The phase of second `second` of the run (the after phase lasts until the price is back).
    pub fn phase(&self, second: u64) -> Phase {
        if second < self.calm_secs {
            Phase::Calm
        } else if second < self.calm_secs + self.surge_secs {
            Phase::Surge
        } else {
            Phase::After
        }
    }

    /// Seconds during which tasks are offered: the calm and the surge.
    pub fn offering_secs(&self) -> u64 {
        self.calm_secs + self.surge_secs
    }

    /// Tasks offered in second `second` at `capacity` tasks a block (one block a second): the
    /// phase's rate, with fractions carried so that a phase offers `rate × seconds` in all.
    pub fn offered_in(&self, second: u64, capacity: f64) -> usize {
        let (rate, start) = match self.phase(second) {
            Phase::Calm => (self.calm_load * capacity, 0),
            Phase::Surge => (self.surge_load * capacity, self.calm_secs),
            Phase::After => return 0,
        };
        let upto = |s: u64| (rate * (s - start) as f64).round() as usize;
        upto(second + 1) - upto(second)
    }

    /// The value class of the run's `i`-th task, and its cap in base quotes. Low caps spread evenly
    /// over [1, 2) by the golden-ratio sequence, so any stretch of tasks holds the whole range.
    pub fn class_of(&self, i: usize) -> (Value, f64) {
        if i.is_multiple_of(self.high_every.max(1)) {
            return (Value::High, self.high_cap);
        }
        const GOLDEN: f64 = 0.618_033_988_749_895;
        (Value::Low, 1.0 + (i as f64 * GOLDEN).fract())
    }
}

/// `base × multiple`, to a thousandth of the multiple: a cap in token wei.
pub(crate) fn times(base: U256, multiple: f64) -> U256 {
    base * U256::from((multiple * 1000.0).round() as u64) / U256::from(1000)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use alloy::primitives::B256;
    use verigrad_contracts::Tier;
    use verigrad_inference::ModelInput;

    use super::*;

    fn plan() -> SurgePlan {
        SurgePlan {
            request: TaskRequest {
                model: B256::ZERO,
                input: ModelInput::numbers(Vec::new()),
                value: U256::ZERO,
                floor: Tier::LIGHT,
                deadline_secs: 300,
                max_fee: None,
            },
            calm_secs: 10,
            surge_secs: 30,
            calm_load: 0.25,
            surge_load: 10.0,
            high_every: 25,
            high_cap: 10.0,
            concurrency: 8,
            poll: Duration::from_millis(250),
            settle_timeout: Duration::from_secs(120),
        }
    }

    #[test]
    fn the_schedule_is_calm_then_ten_capacities_then_nothing() {
        let plan = plan();
        let capacity = 4.6;
        let cases = [(0, Phase::Calm), (9, Phase::Calm), (10, Phase::Surge), (39, Phase::Surge)];
        for (second, phase) in cases {
            assert_eq!(plan.phase(second), phase, "second {second}");
        }
        assert_eq!(plan.phase(40), Phase::After);
        assert_eq!(plan.offered_in(40, capacity), 0, "nothing after the surge");
        let calm: usize = (0..10).map(|s| plan.offered_in(s, capacity)).sum();
        let surge: usize = (10..40).map(|s| plan.offered_in(s, capacity)).sum();
        assert_eq!(calm, 12, "0.25 × 4.6 a second for 10 s, fractions carried");
        assert_eq!(surge, 1380, "46 a second for 30 s");
        let per_second: Vec<usize> = (10..40).map(|s| plan.offered_in(s, capacity)).collect();
        assert!(per_second.iter().all(|&n| n == 46), "{per_second:?}");
    }

    #[test]
    fn a_few_tasks_are_high_value_and_low_caps_span_one_to_two_base_quotes() {
        let plan = plan();
        let classes: Vec<(Value, f64)> = (0..1000).map(|i| plan.class_of(i)).collect();
        let high = classes.iter().filter(|(v, _)| *v == Value::High).count();
        assert_eq!(high, 40, "one in 25");
        assert!(classes.iter().all(|(v, cap)| *v == Value::High || (1.0..2.0).contains(cap)));
        // Evenly spread: each tenth of [1, 2) holds about a tenth of the low-value tasks.
        for tenth in 0..10 {
            let lo = 1.0 + f64::from(tenth) / 10.0;
            let n = classes.iter().filter(|(v, c)| *v == Value::Low && (lo..lo + 0.1).contains(c));
            let n = n.count();
            assert!((90..=102).contains(&n), "{n} caps in [{lo}, {})", lo + 0.1);
        }
    }

    #[test]
    fn caps_are_multiples_of_the_base_quote() {
        let base = U256::from(1_000_000_000_000_000_000u64);
        assert_eq!(times(base, 1.5), U256::from(1_500_000_000_000_000_000u64));
        assert_eq!(times(base, 10.0), U256::from(10u64) * base);
    }
}
