//! A surge run against a chain: offers the plan's tasks second by second, each in a batch whose
//! dry run and mined outcome say whether the escrow admitted or refused it; reads the live price
//! every block; follows the admitted tasks to settlement; then reads their events back into a
//! [`SurgeRecord`].

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy::{
    primitives::{B256, U256},
    sol_types::{SolEvent, SolInterface},
};
use futures_util::{StreamExt, TryStreamExt};
use verigrad_contracts::{EscrowCall, Revert, TaskEscrow, TaskEscrow::TaskEscrowErrors};
use verigrad_task::{TaskError, lock};

use super::{BlockSample, SurgePlan, SurgeRecord, TaskTimes, Value, report::RETURN_BOUND_BLOCKS};
use crate::{
    Requester,
    load::{Pace, close_books, distinct, follow, logs, task_of},
};

/// How a dry run or a mined batch answered one offered task.
#[derive(Debug)]
struct Offer {
    /// The block it was decided in.
    block: u64,
    value: Value,
    /// The escrow's refusal, by name; `None`: admitted.
    refused: Option<String>,
}

/// Seconds' offers in flight at once: a batch waits about a block for its receipt, and the next
/// second's must not wait for it.
const SECONDS_AT_ONCE: usize = 4;

/// Runs `plan` as `requester`, saying what it is doing through `progress`.
///
/// Waits for the model's price to be at base, reads its capacity, then offers the calm and the
/// surge while following what is admitted; records the price every block until it is back at
/// base after the surge (or [`RETURN_BOUND_BLOCKS`] pass); waits for every admitted task to settle;
/// claims the requester's refunds and reads the escrow's books.
pub async fn run_surge(
    requester: Requester,
    plan: SurgePlan,
    mut progress: impl FnMut(String),
) -> Result<SurgeRecord, TaskError> {
    let escrow = requester.escrow().clone();
    let rpc = escrow.rpc().clone();
    let models = requester.account().chain().models();
    let model = plan.request.model;
    let unknown = || TaskError::UnknownModel(model.to_string());
    let base_price = U256::from(models.terms(model).await?.ok_or_else(unknown)?.basePrice);
    for _ in 0..=RETURN_BOUND_BLOCKS {
        if U256::from(models.load(model).await?.ok_or_else(unknown)?.price) == base_price {
            break;
        }
        progress("waiting for the price to rest at base".into());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let load = models.load(model).await?.ok_or_else(unknown)?;
    let capacity = 2.0 * u128::from(load.target.saturating_to::<u64>()) as f64
        / f64::from(load.costUnits.max(1));
    let base_quote = requester.quote(&plan.request).await?;
    requester.account().approve(escrow.address(), U256::MAX).await?;
    progress(format!(
        "capacity {capacity:.2} executions a block (target {} units, {} a run); base quote {base_quote}",
        load.target, load.costUnits
    ));

    let first_block = rpc.block_number().await?;
    let offers = Mutex::new(Vec::new());
    let created = Mutex::new(Vec::new());
    let classes = Mutex::new(HashMap::new());
    let creating = AtomicBool::new(true);
    let offer = async {
        let outcome =
            offer_all(&requester, &plan, capacity, base_quote, &offers, &created, &classes).await;
        creating.store(false, Ordering::Release);
        outcome
    };
    let sample = sample_prices(&requester, &plan, base_price, &creating);
    let pace = Pace { poll: plan.poll, timeout: plan.settle_timeout, tasks: 0 };
    let mut quiet = |_, _| {};
    let follow = follow(&requester, pace, first_block, &created, &creating, &mut quiet);
    let (offered, prices, followed) = tokio::join!(offer, sample, follow);
    offered?;
    let prices = prices?;
    let (_, unsettled) = followed?;
    progress(format!("settled; {} tasks left unsettled", unsettled.len()));

    let head = rpc.block_number().await?;
    let classes = std::mem::take(&mut *lock(&classes));
    let tasks = task_times(&requester, first_block, head, &classes).await?;
    let offers = std::mem::take(&mut *lock(&offers));
    let (escrow_balance, escrow_liabilities) = close_books(&requester).await?;

    let last_block = prices.keys().next_back().copied().unwrap_or(head).max(first_block);
    let mut record = SurgeRecord {
        capacity,
        base_price,
        base_quote,
        blocks: blocks(first_block, last_block, &offers, &tasks, &prices),
        surge: surge_blocks(&plan, &offers, first_block),
        tasks: tasks.into_values().collect(),
        refusals: refusals(&offers),
        unsettled: unsettled.len(),
        escrow_balance,
        escrow_liabilities,
    };
    record.fill_queues();
    Ok(record)
}

/// Offers every second's tasks of the calm and the surge, a few seconds in flight at once, each at
/// its own second of wall time (a block a second).
async fn offer_all(
    requester: &Requester,
    plan: &SurgePlan,
    capacity: f64,
    base_quote: U256,
    offers: &Mutex<Vec<(u64, Offer)>>,
    created: &Mutex<Vec<(U256, u64)>>,
    classes: &Mutex<HashMap<U256, (Value, u64)>>,
) -> Result<(), TaskError> {
    let start = tokio::time::Instant::now();
    let mut next = 0;
    let seconds: Vec<(u64, std::ops::Range<usize>)> = (0..plan.offering_secs())
        .map(|second| {
            let n = plan.offered_in(second, capacity);
            next += n;
            (second, next - n..next)
        })
        .collect();
    futures_util::stream::iter(seconds)
        .map(|(second, tasks)| async move {
            tokio::time::sleep_until(start + Duration::from_secs(second)).await;
            let decided = offer_second(requester, plan, base_quote, tasks).await?;
            for (offer, admitted) in decided {
                if let Some(id) = admitted {
                    lock(created).push((id, offer.block));
                    lock(classes).insert(id, (offer.value, offer.block));
                }
                lock(offers).push((second, offer));
            }
            Ok::<_, TaskError>(())
        })
        .buffer_unordered(SECONDS_AT_ONCE)
        .try_collect()
        .await
}

/// Offers tasks `tasks` of the run in one go: their inputs stored, their `createTask` calls sent
/// in batches. Returns how each was decided, with the id of each admitted one.
async fn offer_second(
    requester: &Requester,
    plan: &SurgePlan,
    base_quote: U256,
    tasks: std::ops::Range<usize>,
) -> Result<Vec<(Offer, Option<U256>)>, TaskError> {
    let escrow = requester.escrow();
    let now = escrow.rpc().latest_timestamp().await?;
    let prepared: Vec<(Value, TaskEscrow::createTaskCall, B256)> =
        futures_util::stream::iter(tasks)
            .map(|i| async move {
                let (value, cap) = plan.class_of(i);
                let mut request = plan.request.clone();
                request.input = distinct(&request.input, i);
                request.max_fee = Some(super::times(base_quote, cap));
                let (call, input) = requester.creation(&request, now).await?;
                Ok::<_, TaskError>((value, call, input))
            })
            .buffered(plan.concurrency.max(1))
            .try_collect()
            .await?;
    let value_of: HashMap<B256, Value> = prepared.iter().map(|(v, _, h)| (*h, *v)).collect();
    let calls = prepared.into_iter().map(|(_, call, _)| EscrowCall::new(U256::ZERO, call));
    let pending = escrow.rpc().block_number().await? + 1;
    let sent = escrow.send_batches(requester.account().sender(), calls.collect()).await?;
    let mut decided = Vec::new();
    for batch in sent {
        for (call, revert) in &batch.refused {
            let TaskEscrow::TaskEscrowCalls::createTask(create) = &call.call else { continue };
            let value = value_of.get(&create.inputHash).copied().unwrap_or(Value::Low);
            decided.push((Offer { block: pending, value, refused: Some(reason(revert)) }, None));
        }
        let Some(receipt) = batch.receipt else { continue };
        let block = receipt.block_number.unwrap_or(pending);
        let mut admitted = HashMap::new();
        for log in receipt.inner.logs() {
            if let Ok(event) = log.log_decode::<TaskEscrow::TaskCreated>() {
                admitted.insert(event.inner.data.inputHash, event.inner.data.taskId);
            }
        }
        for call in &batch.sent {
            let TaskEscrow::TaskEscrowCalls::createTask(create) = &call.call else { continue };
            let value = value_of.get(&create.inputHash).copied().unwrap_or(Value::Low);
            let offer = |refused| Offer { block, value, refused };
            decided.push(match admitted.get(&create.inputHash) {
                Some(id) => (offer(None), Some(*id)),
                // Passed the dry run, refused once mined: a task ahead of it in the block raised
                // the price past its cap.
                None => (offer(Some("refused in its block".into())), None),
            });
        }
    }
    Ok(decided)
}

/// The escrow's refusal by its error's name (`FeeBelowQuote`), or as text if it is not one of the
/// escrow's errors.
fn reason(revert: &Revert) -> String {
    match revert.as_error::<TaskEscrowErrors>() {
        Some(error) => TaskEscrowErrors::name_by_selector(error.selector())
            .map_or_else(|| revert.to_string(), str::to_owned),
        None => revert.to_string(),
    }
}

/// Reads the live price at every new block until offering is over and the price is back at base,
/// or [`RETURN_BOUND_BLOCKS`] blocks after offering ended; by block.
async fn sample_prices(
    requester: &Requester,
    plan: &SurgePlan,
    base_price: U256,
    creating: &AtomicBool,
) -> Result<BTreeMap<u64, U256>, TaskError> {
    let rpc = requester.escrow().rpc();
    let models = requester.account().chain().models();
    let mut prices = BTreeMap::new();
    let mut ended = None;
    loop {
        let head = rpc.block_number().await?;
        if let std::collections::btree_map::Entry::Vacant(entry) = prices.entry(head) {
            let load = models.load(plan.request.model).await?;
            entry.insert(load.map_or(base_price, |l| U256::from(l.price)));
            if !creating.load(Ordering::Acquire) {
                let ended = *ended.get_or_insert(head);
                // A block or two at base after the surge shows the price at rest.
                let at_base = prices.range(ended..).rev().take(2).all(|(_, p)| *p == base_price);
                if (at_base && head >= ended + 2) || head > ended + RETURN_BOUND_BLOCKS + 2 {
                    return Ok(prices);
                }
            }
        }
        tokio::time::sleep(plan.poll / 2).await;
    }
}

/// Each admitted task's creation, assignment and first answer, from the escrow's events in blocks
/// `from..=to`.
async fn task_times(
    requester: &Requester,
    from: u64,
    to: u64,
    classes: &HashMap<U256, (Value, u64)>,
) -> Result<BTreeMap<U256, TaskTimes>, TaskError> {
    let escrow = requester.escrow();
    let mut tasks: BTreeMap<U256, TaskTimes> = classes
        .iter()
        .map(|(id, (value, created))| {
            (*id, TaskTimes { value: *value, created: *created, assigned: None, answered: None })
        })
        .collect();
    let events = [
        TaskEscrow::TaskAssigned::SIGNATURE_HASH,
        TaskEscrow::ResultCommitted::SIGNATURE_HASH,
        TaskEscrow::ResultProposed::SIGNATURE_HASH,
    ];
    for log in logs(escrow.rpc(), escrow.address(), &events, from, to).await? {
        let Some(task) = tasks.get_mut(&task_of(&log)) else { continue };
        let block = log.block_number.unwrap_or_default();
        let slot = if log.topic0() == Some(&TaskEscrow::TaskAssigned::SIGNATURE_HASH) {
            &mut task.assigned
        } else {
            &mut task.answered
        };
        *slot = Some(slot.map_or(block, |b| b.min(block)));
    }
    Ok(tasks)
}

/// Blocks `first..=last`, each with what was offered, admitted and refused in it, and its price.
fn blocks(
    first: u64,
    last: u64,
    offers: &[(u64, Offer)],
    tasks: &BTreeMap<U256, TaskTimes>,
    prices: &BTreeMap<u64, U256>,
) -> Vec<BlockSample> {
    let mut blocks: BTreeMap<u64, BlockSample> = (first..=last)
        .map(|block| {
            (block, BlockSample { block, price: prices.get(&block).copied(), ..Default::default() })
        })
        .collect();
    let class = |value| usize::from(value == Value::Low);
    for (_, offer) in offers {
        if let Some(sample) = blocks.get_mut(&offer.block) {
            sample.offered[class(offer.value)] += 1;
            sample.refused += u32::from(offer.refused.is_some());
        }
    }
    for task in tasks.values() {
        if let Some(sample) = blocks.get_mut(&task.created) {
            sample.admitted[class(task.value)] += 1;
        }
    }
    blocks.into_values().collect()
}

/// The first and last block the surge's offers were decided in.
fn surge_blocks(plan: &SurgePlan, offers: &[(u64, Offer)], first: u64) -> (u64, u64) {
    let surge = offers.iter().filter(|(s, _)| plan.phase(*s) == super::Phase::Surge);
    let blocks: Vec<u64> = surge.map(|(_, o)| o.block).collect();
    (blocks.iter().copied().min().unwrap_or(first), blocks.iter().copied().max().unwrap_or(first))
}

/// Refused offers by reason.
fn refusals(offers: &[(u64, Offer)]) -> BTreeMap<String, usize> {
    let mut refusals = BTreeMap::new();
    for reason in offers.iter().filter_map(|(_, o)| o.refused.clone()) {
        *refusals.entry(reason).or_default() += 1;
    }
    refusals
}
