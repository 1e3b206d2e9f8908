//! The verification a request requires, as a routing input.
//!
//! A request may say what it puts at risk on the answer (`?value=WEI`) and the lowest verification
//! tier it accepts (`?tier=light|redundant|deep`): a task's two inputs to the escrow's verification
//! policy. For each worker that could serve it, the router asks the escrow what it would decide with
//! that worker as the task's primary (`TaskEscrow.quote`: tier, redundancy k and the collateral each
//! seat locks), and routes by the decision:
//!
//! - **LIGHT** (k = 1): one answer, from a worker for which the policy decides LIGHT and whose free
//!   stake covers a seat's collateral — at a high value a less reputed worker would need
//!   cross-checking, so it is passed over for a better reputed one.
//! - **REDUNDANT** (k ≥ 3): k workers of one release answer, and the answer is the one a majority
//!   agrees on ([`crate::crosscheck`]). Among releases with k such workers, the one whose k answers
//!   cost least.
//! - **DEEP**: a mandatory committee review is not an HTTP answer; such a request belongs in the task
//!   market (`worker submit --tier deep`) and is refused here.

use alloy::primitives::{B256, U256, aliases::U96};
use futures_util::future::try_join_all;
use verigrad_contracts::{ChainError, EnumName, EscrowClient, Result, Tier};

use crate::Candidate;

/// What a request requires of its answer's verification (`?tier=` and `?value=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Required {
    /// The lowest tier it accepts.
    pub floor: Tier,
    /// What it puts at risk on the answer, token wei.
    pub value: U96,
}

impl Default for Required {
    fn default() -> Self {
        Self { floor: Tier::LIGHT, value: U96::ZERO }
    }
}

impl Required {
    /// Whether the request asks for nothing beyond a plain answer (then no decision is read).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The requirement in a query's `tier` and `value` parameters (either may be absent).
    pub fn parse(tier: Option<&str>, value: Option<&str>) -> std::result::Result<Self, String> {
        let floor = match tier {
            Some(name) => Tier::from_name(name)
                .ok_or_else(|| format!("unknown tier {name:?}: {}", Tier::names().join(", ")))?,
            None => Tier::LIGHT,
        };
        let value = match value {
            Some(text) => text
                .parse()
                .map_err(|_| format!("value {text:?} is not an amount in token wei (< 2^96)"))?,
            None => U96::ZERO,
        };
        Ok(Self { floor, value })
    }
}

/// `k` agreeing answers of one release, to be bought from these workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossCheck {
    /// The release they all run.
    pub release: B256,
    /// How many must answer.
    pub k: usize,
    /// Who may answer, each able to lock a seat's collateral.
    pub workers: Vec<Candidate>,
    /// The release's price for one answer, token wei.
    pub price: U256,
}

impl CrossCheck {
    /// What the k answers cost together: the price of the checked answer.
    pub fn cost(&self) -> U256 {
        self.price * U256::from(self.k)
    }
}

/// How a request with a [`Required`] verification is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// One answer, from any of these workers.
    Single(Vec<Candidate>),
    /// Agreeing answers from several workers.
    CrossChecked(CrossCheck),
    /// Not here, and why.
    Refused(Refusal),
}

/// Why no worker can give a request the verification it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The policy decides DEEP: a committee's review, which the task market runs.
    #[error(
        "this value and tier need a DEEP review by a verifier committee: submit it as a task (worker submit --tier deep)"
    )]
    Deep,
    /// No worker's free stake covers the collateral a seat locks at this value.
    #[error("no worker serving it has the free stake a seat locks at this value ({seat_lock} wei)")]
    NoCollateral {
        /// The least collateral asked of any worker, token wei.
        seat_lock: U256,
    },
    /// Cross-checking needs more workers of one release than serve it.
    #[error("a cross-checked answer needs {k} workers of one release; at most {have} can serve it")]
    TooFewWorkers {
        /// Answers needed.
        k: usize,
        /// The most eligible workers of any one release.
        have: usize,
    },
}

/// What the escrow would decide with one worker as a task's primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    /// The protocol path.
    pub tier: Tier,
    /// Compute workers the task would need.
    pub redundancy: u8,
    /// Collateral each seat would lock, token wei.
    pub seat_lock: U256,
}

/// The plan for `candidates` (already within the request's `max_price`) under `required`, with the
/// escrow's decision for each candidate as primary.
pub async fn plan(
    escrow: &EscrowClient,
    candidates: Vec<Candidate>,
    required: Required,
) -> Result<Plan> {
    let quotes = try_join_all(candidates.iter().map(|c| async {
        let quote = escrow.decision(c.release, required.value, required.floor, c.address).await?;
        Ok::<_, ChainError>(Quoted {
            tier: quote.decision.tier,
            redundancy: quote.decision.redundancy,
            seat_lock: U256::from(quote.seatLock),
        })
    }))
    .await?;
    Ok(choose(candidates.into_iter().zip(quotes).collect()))
}

/// The plan, given each candidate's quote.
pub fn choose(quoted: Vec<(Candidate, Quoted)>) -> Plan {
    let least_lock = quoted.iter().map(|(_, q)| q.seat_lock).min().unwrap_or_default();
    let eligible: Vec<(Candidate, Quoted)> =
        quoted.into_iter().filter(|(c, q)| c.free_stake >= q.seat_lock).collect();
    if eligible.is_empty() {
        return Plan::Refused(Refusal::NoCollateral { seat_lock: least_lock });
    }
    let single: Vec<Candidate> =
        eligible.iter().filter(|(_, q)| q.tier == Tier::LIGHT).map(|(c, _)| c.clone()).collect();
    if !single.is_empty() {
        return Plan::Single(single);
    }
    let redundant: Vec<&(Candidate, Quoted)> =
        eligible.iter().filter(|(_, q)| q.tier == Tier::REDUNDANT).collect();
    if redundant.is_empty() {
        return Plan::Refused(Refusal::Deep);
    }
    // Per release: its workers, and the k its most reputed primary needs.
    let mut releases: Vec<B256> = redundant.iter().map(|(c, _)| c.release).collect();
    releases.dedup();
    let mut best: Option<CrossCheck> = None;
    let mut most = 0;
    for release in releases {
        let of_release: Vec<&&(Candidate, Quoted)> =
            redundant.iter().filter(|(c, _)| c.release == release).collect();
        let k = of_release.iter().map(|(_, q)| usize::from(q.redundancy)).min().unwrap_or(0);
        let workers: Vec<Candidate> = of_release.iter().map(|(c, _)| c.clone()).collect();
        most = most.max(workers.len());
        if workers.len() < k {
            continue;
        }
        let check = CrossCheck { release, k, price: workers[0].price, workers };
        if best.as_ref().is_none_or(|b| check.cost() < b.cost()) {
            best = Some(check);
        }
    }
    let k = redundant.iter().map(|(_, q)| usize::from(q.redundancy)).min().unwrap_or(0);
    best.map_or(Plan::Refused(Refusal::TooFewWorkers { k, have: most }), Plan::CrossChecked)
}

#[cfg(test)]
mod tests {
    use alloy::primitives::Address;

    use super::*;

    fn worker(byte: u8, release: u8, price: u64, free_stake: u64) -> Candidate {
        Candidate {
            address: Address::repeat_byte(byte),
            release: B256::repeat_byte(release),
            endpoint: String::new(),
            reputation_bps: 10_000,
            price: U256::from(price),
            free_stake: U256::from(free_stake),
        }
    }

    fn quoted(tier: Tier, redundancy: u8, seat_lock: u64) -> Quoted {
        Quoted { tier, redundancy, seat_lock: U256::from(seat_lock) }
    }

    #[test]
    fn a_light_decision_routes_to_one_of_the_workers_it_holds_for() {
        // Worker 2's reputation is lower: at this value the policy wants it cross-checked.
        let plan = choose(vec![
            (worker(1, 1, 100, 1_000), quoted(Tier::LIGHT, 1, 500)),
            (worker(2, 1, 100, 1_000), quoted(Tier::REDUNDANT, 3, 500)),
            // Worker 3 cannot lock the seat's collateral.
            (worker(3, 1, 100, 499), quoted(Tier::LIGHT, 1, 500)),
        ]);
        assert_eq!(plan, Plan::Single(vec![worker(1, 1, 100, 1_000)]));
    }

    #[test]
    fn a_redundant_decision_takes_the_release_whose_k_answers_cost_least() {
        let plan = choose(vec![
            (worker(1, 1, 100, 1_000), quoted(Tier::REDUNDANT, 5, 0)),
            (worker(2, 1, 100, 1_000), quoted(Tier::REDUNDANT, 5, 0)),
            (worker(3, 1, 100, 1_000), quoted(Tier::REDUNDANT, 5, 0)),
            (worker(4, 1, 100, 1_000), quoted(Tier::REDUNDANT, 5, 0)),
            (worker(5, 1, 100, 1_000), quoted(Tier::REDUNDANT, 5, 0)),
            (worker(6, 2, 150, 1_000), quoted(Tier::REDUNDANT, 3, 0)),
            (worker(7, 2, 150, 1_000), quoted(Tier::REDUNDANT, 3, 0)),
            (worker(8, 2, 150, 1_000), quoted(Tier::REDUNDANT, 3, 0)),
        ]);
        let Plan::CrossChecked(check) = plan else { panic!("cross-checked: {plan:?}") };
        assert_eq!(
            (check.release, check.k, check.cost()),
            (B256::repeat_byte(2), 3, U256::from(450))
        );
        assert_eq!(check.workers.len(), 3);
    }

    #[test]
    fn what_cannot_be_served_here_says_why() {
        let short = choose(vec![
            (worker(1, 1, 100, 1_000), quoted(Tier::REDUNDANT, 3, 0)),
            (worker(2, 1, 100, 1_000), quoted(Tier::REDUNDANT, 3, 0)),
        ]);
        assert_eq!(short, Plan::Refused(Refusal::TooFewWorkers { k: 3, have: 2 }));
        let deep = choose(vec![(worker(1, 1, 100, 1_000), quoted(Tier::DEEP, 3, 0))]);
        assert_eq!(deep, Plan::Refused(Refusal::Deep));
        let poor = choose(vec![
            (worker(1, 1, 100, 10), quoted(Tier::LIGHT, 1, 700)),
            (worker(2, 1, 100, 10), quoted(Tier::LIGHT, 1, 600)),
        ]);
        assert_eq!(poor, Plan::Refused(Refusal::NoCollateral { seat_lock: U256::from(600) }));
    }

    #[test]
    fn the_query_names_a_tier_and_a_value() {
        assert_eq!(Required::parse(None, None), Ok(Required::default()));
        assert!(Required::default().is_default());
        let asked = Required::parse(Some("redundant"), Some("5000")).expect("parses");
        assert_eq!((asked.floor, asked.value), (Tier::REDUNDANT, U96::from(5_000)));
        assert!(!asked.is_default());
        assert!(
            Required::parse(Some("heavy"), None)
                .expect_err("no such tier")
                .contains("light, redundant, deep")
        );
        assert!(Required::parse(None, Some("-1")).is_err());
    }
}
