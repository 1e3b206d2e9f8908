//! A load run: many tasks created at once by one requester (in batch transactions), followed to
//! settlement while the workers do the rest, then a summary — how each task ended, throughput to settlement, how fast workers
//! answered an assignment, whether the escrow still holds exactly what it owes, and which workers
//! were slashed. `worker load` prints it; `scripts/soak` and the throughput benchmark run it.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use serde::Serialize;
use tokio::task::JoinSet;
use verigrad_contracts::{
    EscrowCall, EscrowClient, RoleSet, TaskEscrow, Tier, TxSender, WorkerStatus, draw_anchor,
};
use verigrad_inference::{ModelInput, Number};

use verigrad_task::{INPUT_REJECTED, Step, TaskError, due, lock, step_calls};

use crate::{Requester, TaskRequest};

/// The roles whose workers a summary lists.
const COMPUTE_AND_VERIFY: [RoleSet; 2] = [RoleSet::COMPUTE, RoleSet::VERIFY];

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Every task's request; task `i` gets floor `floors[i % floors.len()]` and an input made
    /// distinct by adding `i` to the last digit of its first number.
    pub request: TaskRequest,
    /// Floors to cycle through.
    pub floors: Vec<Tier>,
    /// Tasks to create.
    pub tasks: usize,
    /// Tasks being created at once.
    pub concurrency: usize,
    /// Tasks created per second, in one batch each second; `None`: all at once.
    pub rate: Option<f64>,
    /// Give up on tasks not settled this long after the last one was created.
    pub timeout: Duration,
    /// How often the chain is read.
    pub poll: Duration,
}

/// How the run went.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadReport {
    /// Tasks created.
    pub created: usize,
    /// Settled with an accepted result.
    pub finalized: usize,
    /// Settled without one (refunded to the requester).
    pub refunded: usize,
    /// Of the refunded, those whose input the network rejected as impossible to run.
    pub rejected: usize,
    /// Not settled when the run gave up.
    pub unsettled: Vec<U256>,
    /// Tasks by tier: LIGHT, REDUNDANT, DEEP.
    pub tiers: [usize; 3],
    /// Seconds from the first creation to the last settlement.
    pub seconds: f64,
    /// Settled tasks per second over that time.
    pub settled_per_second: f64,
    /// Settled tasks per second once the pipeline is full: between the 10th and 90th percentile
    /// of settlement times (0 with fewer than 10 tasks).
    pub steady_per_second: f64,
    /// Blocks from a task's assignment to its first worker answer (commit or result): p50, p90, max.
    pub answer_blocks: [u64; 3],
    /// Gas the chain spent over the run's blocks: every transaction of every party, all in.
    pub chain_gas: ChainGas,
    /// The escrow's token balance at the end.
    pub escrow_balance: U256,
    /// What the escrow owes at the end (fees, bonds, unclaimed payouts).
    pub escrow_liabilities: U256,
    /// Every compute or verify worker of the model: stake and faults before and after.
    pub workers: Vec<WorkerChange>,
}

/// Gas spent over a run of blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainGas {
    /// Blocks read.
    pub blocks: u64,
    /// Gas used over them.
    pub used: u64,
    /// The largest block gas limit among them.
    pub limit: u64,
}

impl ChainGas {
    /// Gas a settled task, all in (0 with none settled).
    pub fn per_task(&self, settled: usize) -> f64 {
        if settled == 0 { 0.0 } else { self.used as f64 / settled as f64 }
    }

    /// The blocks' mean fill, as a share of the limit (0 without blocks).
    pub fn fill(&self) -> f64 {
        let capacity = self.blocks.saturating_mul(self.limit);
        if capacity == 0 { 0.0 } else { self.used as f64 / capacity as f64 }
    }

    /// Adds up blocks `from..=to`, skipping any not mined.
    async fn read(rpc: &verigrad_contracts::Rpc, from: u64, to: u64) -> Result<Self, TaskError> {
        let mut gas = Self::default();
        for number in from..=to {
            if let Some(block) = rpc.block_gas(number).await? {
                gas.blocks += 1;
                gas.used += block.used;
                gas.limit = gas.limit.max(block.limit);
            }
        }
        Ok(gas)
    }
}

/// One worker's stake and faults across the run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerChange {
    /// The worker.
    pub address: Address,
    /// Stake before, token wei.
    pub stake_before: U256,
    /// Stake after, token wei.
    pub stake_after: U256,
    /// Faults before.
    pub faults_before: u32,
    /// Faults after.
    pub faults_after: u32,
}

impl WorkerChange {
    /// Whether the run slashed it.
    pub fn slashed(&self) -> bool {
        self.stake_after < self.stake_before || self.faults_after > self.faults_before
    }
}

impl LoadReport {
    /// Whether the escrow's balance equals its ledger, to the wei.
    pub fn balanced(&self) -> bool {
        self.escrow_balance == self.escrow_liabilities
    }

    /// What went wrong against a run where every task ends (finalized or refunded), the escrow
    /// balances, and exactly the workers in `faulty` are slashed; empty if nothing did.
    pub fn problems(&self, faulty: &[Address]) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.unsettled.is_empty() {
            problems.push(format!("{} tasks never settled", self.unsettled.len()));
        }
        if !self.balanced() {
            problems.push(format!(
                "the escrow holds {} but owes {}",
                self.escrow_balance, self.escrow_liabilities
            ));
        }
        for worker in &self.workers {
            match (worker.slashed(), faulty.contains(&worker.address)) {
                (true, false) => {
                    problems.push(format!("honest worker {} was slashed", worker.address))
                }
                (false, true) => {
                    problems.push(format!("faulty worker {} was not slashed", worker.address))
                }
                _ => {}
            }
        }
        problems
    }
}

/// The cap a run puts on its tasks without a max fee of their own: the quote plus 1/8 of it, one
/// block at capacity (EIP-4844's 12.5 %). A run that raises the price further has its later tasks
/// refused with `FeeBelowQuote`.
const QUOTE_HEADROOM: u64 = 8;

/// How long after its batch was mined (or failed) an assignment is given to show up in the events
/// before it is sent again. While the batch waits in the pool it is not sent again at all: a second
/// copy behind a pending one only pays to be skipped.
const ASSIGN_RETRY: Duration = Duration::from_secs(5);

/// How often tasks are swept for steps nobody else took.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How long a task goes without an event before a sweep reads it: one moving along is left to the
/// workers, whose steps its events show, so a sweep reads only the few that may be stuck.
const SWEEP_IDLE: Duration = Duration::from_secs(20);

/// Runs `plan` as `requester`, reporting progress through `progress(settled, created)`.
///
/// Tasks are created in batch transactions, assigned in batches as soon as their creation block is
/// past, and followed by their events; every few seconds the unsettled ones are read in bulk and
/// any step nobody took (a no-show's refund) is taken, again in batches.
pub async fn run_load(
    requester: Requester,
    plan: LoadPlan,
    mut progress: impl FnMut(usize, usize),
) -> Result<LoadReport, TaskError> {
    let escrow = requester.escrow().clone();
    let rpc = escrow.rpc().clone();
    let workers = workers_of(&requester, plan.request.model).await?;
    let before = statuses(&requester, &workers).await?;
    // One allowance for the whole run.
    requester.account().approve(escrow.address(), U256::MAX).await?;
    let first_block = rpc.block_number().await?;

    let started = Instant::now();
    let requests = requests(&requester, &plan).await?;
    let created = Mutex::new(Vec::with_capacity(requests.len()));
    let creating = AtomicBool::new(true);
    let create = async {
        let outcome = create_all(&requester, &requests, &plan, &created).await;
        creating.store(false, Ordering::Release);
        outcome
    };
    let pace = Pace { poll: plan.poll, timeout: plan.timeout, tasks: plan.tasks };
    let follow = follow(&requester, pace, first_block, &created, &creating, &mut progress);
    let (created_all, followed) = tokio::join!(create, follow);
    created_all?;
    let (settled_at, waiting) = followed?;
    let tasks = requests.len();
    let last_settled = settled_at.last().copied().unwrap_or(started);
    let seconds = last_settled.duration_since(started).as_secs_f64();
    let settled = settled_at.len();

    let head = rpc.block_number().await?;
    let outcomes = outcomes(&rpc, escrow.address(), first_block, head).await?;
    let answer_blocks = answer_latency(&rpc, escrow.address(), first_block, head).await?;
    let chain_gas = ChainGas::read(&rpc, first_block + 1, head).await?;
    let (escrow_balance, escrow_liabilities) = close_books(&requester).await?;
    let after = statuses(&requester, &workers).await?;
    Ok(LoadReport {
        created: tasks,
        finalized: outcomes.finalized,
        rejected: outcomes.rejected,
        refunded: settled.saturating_sub(outcomes.finalized),
        unsettled: waiting.into_keys().collect(),
        tiers: outcomes.tiers,
        seconds,
        settled_per_second: if seconds > 0.0 { settled as f64 / seconds } else { 0.0 },
        steady_per_second: steady_rate(&settled_at),
        answer_blocks,
        chain_gas,
        escrow_balance,
        escrow_liabilities,
        workers: before
            .into_iter()
            .zip(after)
            .map(|(b, a)| WorkerChange {
                address: b.address,
                stake_before: b.stake,
                stake_after: a.stake,
                faults_before: b.faults,
                faults_after: a.faults,
            })
            .collect(),
    })
}

/// How [`follow`] paces itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    /// How often the chain is read.
    pub(crate) poll: Duration,
    /// Give up on tasks not settled this long after creation stopped.
    pub(crate) timeout: Duration,
    /// Tasks expected in all, for progress (`progress(settled, tasks)`).
    pub(crate) tasks: usize,
}

/// Claims what the escrow owes the requester (its refunds), then reads the escrow's token balance
/// and its liabilities: equal to the wei when the run left the books straight.
pub(crate) async fn close_books(requester: &Requester) -> Result<(U256, U256), TaskError> {
    let escrow = requester.escrow();
    let owed = escrow.claimable(requester.account().address()).await?;
    if !owed.is_zero() {
        requester.account().sender().call(escrow.address(), TaskEscrow::claimCall {}).await?;
    }
    let balance = requester.account().chain().token().balance_of(escrow.address()).await?;
    Ok((balance, escrow.liabilities().await?))
}

/// Follows the tasks `created` (filled while `creating` is set) until all settle or the timeout
/// passes: assigns them in batches once their draw's anchor is mined, watches their events, and
/// every few seconds takes the steps nobody took. Returns when each settlement was seen, and the
/// tasks left unsettled. Shared by the load and the surge run.
pub(crate) async fn follow(
    requester: &Requester,
    pace: Pace,
    first_block: u64,
    created: &Mutex<Vec<(U256, u64)>>,
    creating: &AtomicBool,
    progress: &mut impl FnMut(usize, usize),
) -> Result<(Vec<Instant>, BTreeMap<U256, Attendance>), TaskError> {
    let escrow = requester.escrow();
    let rpc = escrow.rpc();
    let reveal_window = escrow.reveal_window().await?;
    let epoch_blocks = requester.account().chain().workers().epoch_blocks().await?;
    let mut waiting: BTreeMap<U256, Attendance> = BTreeMap::new();
    let mut settled_at = Vec::with_capacity(pace.tasks);
    let mut from = first_block;
    let mut last_sweep = Instant::now();
    let mut give_up = None;
    // Assignments go out in the background: the next poll does not wait for their receipts.
    let mut assigning = JoinSet::new();
    loop {
        while let Some(sent) = assigning.try_join_next() {
            for id in assignments_sent(sent) {
                if let Some(task) = waiting.get_mut(&id) {
                    task.assigning = Assigning::Back(Instant::now());
                }
            }
        }
        let still_creating = creating.load(Ordering::Acquire);
        for (id, block) in lock(created).drain(..) {
            waiting.insert(
                id,
                Attendance {
                    anchor: draw_anchor(block, epoch_blocks),
                    assigned: false,
                    assigning: Assigning::Unsent,
                    seen: Instant::now(),
                },
            );
        }
        if !still_creating {
            if waiting.is_empty() {
                break;
            }
            let deadline = *give_up.get_or_insert_with(|| Instant::now() + pace.timeout);
            if Instant::now() >= deadline {
                break;
            }
        }
        let head = rpc.block_number().await?;
        for log in logs(rpc, escrow.address(), &FOLLOWED, from, head).await? {
            let id = task_of(&log);
            match log.topic0() {
                Some(&TaskEscrow::TaskSettled::SIGNATURE_HASH) => {
                    if waiting.remove(&id).is_some() {
                        settled_at.push(Instant::now());
                    }
                }
                // A draw whose epoch ended before it was taken moved to a new anchor: assign
                // again once that one is mined.
                Some(&TaskEscrow::Anchored::SIGNATURE_HASH) => {
                    if let (Some(task), Ok(anchored)) =
                        (waiting.get_mut(&id), log.log_decode::<TaskEscrow::Anchored>())
                        && !task.assigned
                    {
                        task.anchor = u64::from(anchored.inner.data.anchor);
                        task.assigning = Assigning::Unsent;
                        task.seen = Instant::now();
                    }
                }
                _ => {
                    if let Some(task) = waiting.get_mut(&id) {
                        task.assigned = true;
                        task.seen = Instant::now();
                    }
                }
            }
        }
        from = head + 1;
        progress(settled_at.len(), pace.tasks);

        let assignable: Vec<EscrowCall> = waiting
            .iter_mut()
            .filter(|(_, t)| !t.assigned && t.anchor < head && t.assigning.may_send())
            .map(|(id, t)| {
                t.assigning = Assigning::InFlight;
                EscrowCall::new(*id, TaskEscrow::assignCall { taskId: *id })
            })
            .collect();
        if !assignable.is_empty() {
            let (escrow, sender) = (escrow.clone(), requester.account().sender().clone());
            let ids: Vec<U256> = assignable.iter().map(|call| call.task).collect();
            assigning
                .spawn(async move { (ids, send_in_batches(&escrow, &sender, assignable).await) });
        }

        if last_sweep.elapsed() >= SWEEP_EVERY {
            let idle: Vec<U256> = waiting
                .iter()
                .filter(|(_, t)| t.seen.elapsed() >= SWEEP_IDLE)
                .map(|(id, _)| *id)
                .collect();
            // A sweep that failed (a batch that ran out of gas once mined, a receipt that never
            // came) is tried again at the next one: its tasks are still idle.
            if let Err(error) = sweep(requester, &idle, reveal_window).await {
                tracing::warn!(%error, "a sweep failed; trying again at the next");
            }
            last_sweep = Instant::now();
        }
        tokio::time::sleep(pace.poll).await;
    }
    while let Some(sent) = assigning.join_next().await {
        assignments_sent(sent);
    }
    Ok((settled_at, waiting))
}

/// Takes the outcome of one poll's assignment batches and returns the tasks they carried. One that
/// failed (reverted once mined, a receipt that never came) is logged: its tasks, still unassigned,
/// go out again after [`ASSIGN_RETRY`].
fn assignments_sent(
    sent: Result<(Vec<U256>, Result<(), TaskError>), tokio::task::JoinError>,
) -> Vec<U256> {
    // A sending task is never aborted; one that panicked takes the run down as it would have.
    let (ids, sent) = sent.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    if let Err(error) = sent {
        tracing::warn!(%error, "an assignment batch failed; its tasks are sent again");
    }
    ids
}

/// The events a load run follows: assignments, draws moved to a new anchor, and settlements.
const FOLLOWED: [B256; 3] = [
    TaskEscrow::TaskAssigned::SIGNATURE_HASH,
    TaskEscrow::Anchored::SIGNATURE_HASH,
    TaskEscrow::TaskSettled::SIGNATURE_HASH,
];

/// Where a task of the run stands, as its events tell.
pub(crate) struct Attendance {
    /// The anchor block of its seat draw: `assign` works from the block after it.
    anchor: u64,
    assigned: bool,
    assigning: Assigning,
    /// When it was created or last seen assigned.
    seen: Instant,
}

/// Where the requester's own assignment of a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assigning {
    /// Not sent since the task was created or re-anchored.
    Unsent,
    /// In a batch still waiting to be mined: not sent again.
    InFlight,
    /// Its batch came back (mined or failed) at this instant.
    Back(Instant),
}

impl Assigning {
    /// Whether the assignment may go out now: never sent, or back for [`ASSIGN_RETRY`] without
    /// its event showing up.
    fn may_send(self) -> bool {
        match self {
            Self::Unsent => true,
            Self::InFlight => false,
            Self::Back(at) => at.elapsed() >= ASSIGN_RETRY,
        }
    }
}

/// Settlements per second between the 10th and the 90th percentile of settlement times: the rate
/// of the pipeline once full, without the first task's latency or the last ones' tail.
fn steady_rate(settled_at: &[Instant]) -> f64 {
    let n = settled_at.len();
    if n < 10 {
        return 0.0;
    }
    let (lo, hi) = (n / 10, n * 9 / 10);
    let seconds = settled_at[hi - 1].duration_since(settled_at[lo]).as_secs_f64();
    if seconds > 0.0 { (hi - 1 - lo) as f64 / seconds } else { 0.0 }
}

/// Sends `calls` in batch transactions, side by side. Calls the dry run refuses (a step someone
/// else took, a task that cannot be assigned) are logged, not failed: the deadline refunds what
/// cannot go on.
async fn send_in_batches(
    escrow: &EscrowClient,
    sender: &TxSender,
    calls: Vec<EscrowCall>,
) -> Result<(), TaskError> {
    let sent = escrow.send_batches(sender, calls).await?;
    for (call, revert) in sent.iter().flat_map(|s| &s.refused) {
        if revert.is_lost_race() {
            tracing::debug!(task = %call.task, call = call.function(), %revert, "already done");
        } else {
            tracing::warn!(task = %call.task, call = call.function(), %revert, "refused");
        }
    }
    Ok(())
}

/// Reads `tasks` in bulk and takes every step due on them that nobody else took, but two: the
/// assignment, which the follow loop sends and re-sends itself, and a proposed result's audit draw,
/// which finalize draws from the same anchor (sending it apart only costs a call).
async fn sweep(requester: &Requester, tasks: &[U256], reveal_window: u64) -> Result<(), TaskError> {
    if tasks.is_empty() {
        return Ok(());
    }
    let escrow = requester.escrow();
    let head = escrow.rpc().head().await?;
    let mut calls = Vec::new();
    for task in escrow.tasks(tasks).await? {
        if let Some(step) = due(&task, head, reveal_window)
            && !matches!(step, Step::Assign | Step::Audit)
        {
            calls.extend(step_calls(task.id, step));
        }
    }
    send_in_batches(escrow, requester.account().sender(), calls).await
}

/// The plan's requests: floors cycled, inputs made distinct, max fees quoted once per floor with
/// [`QUOTE_HEADROOM`] above the quote, since each task the run creates raises the live price a
/// little (the unused cap comes back at assignment).
async fn requests(requester: &Requester, plan: &LoadPlan) -> Result<Vec<TaskRequest>, TaskError> {
    let mut fees = BTreeMap::new();
    let mut requests = Vec::with_capacity(plan.tasks);
    for i in 0..plan.tasks {
        let mut request = plan.request.clone();
        request.floor =
            plan.floors.get(i % plan.floors.len().max(1)).copied().unwrap_or(request.floor);
        request.input = distinct(&request.input, i);
        if request.max_fee.is_none() {
            let floor = u8::from(request.floor);
            let fee = match fees.get(&floor) {
                Some(fee) => *fee,
                None => {
                    let quote = requester.quote(&request).await?;
                    *fees.entry(floor).or_insert(quote + quote / U256::from(QUOTE_HEADROOM))
                }
            };
            request.max_fee = Some(fee);
        }
        requests.push(request);
    }
    Ok(requests)
}

/// Creates `requests` in batch transactions — all at once, or at the plan's rate, a batch a
/// second — adding each task's id and creation block to `created` as it lands.
async fn create_all(
    requester: &Requester,
    requests: &[TaskRequest],
    plan: &LoadPlan,
    created: &Mutex<Vec<(U256, u64)>>,
) -> Result<(), TaskError> {
    let per_second = match plan.rate {
        Some(rate) if rate > 0.0 => (rate.ceil() as usize).max(1),
        _ => requests.len().max(1),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for second in requests.chunks(per_second) {
        tick.tick().await;
        let ids = requester.create_many(second, plan.concurrency).await?;
        lock(created).extend(ids);
    }
    Ok(())
}

/// `input` with `i` added to the last digit of its first number, so every task's input (and its
/// commitment) is its own.
pub(crate) fn distinct(input: &ModelInput, i: usize) -> ModelInput {
    let mut input = input.clone();
    if let Some(first) = input.numbers.first_mut().and_then(|t| t.values.first_mut()) {
        *first = Number::new(first.value + i as i128, first.decimals);
    }
    input
}

/// The compute and verify workers registered for `model`.
async fn workers_of(requester: &Requester, model: B256) -> Result<Vec<Address>, TaskError> {
    let registry = requester.account().chain().workers();
    let mut seen = HashSet::new();
    let mut workers = Vec::new();
    for role in COMPUTE_AND_VERIFY {
        for worker in registry.workers_of(model, role).await? {
            if seen.insert(worker) {
                workers.push(worker);
            }
        }
    }
    Ok(workers)
}

async fn statuses(
    requester: &Requester,
    workers: &[Address],
) -> Result<Vec<WorkerStatus>, TaskError> {
    let mut statuses = Vec::with_capacity(workers.len());
    for worker in workers {
        statuses.push(requester.account().chain().worker_status(*worker).await?);
    }
    Ok(statuses)
}

pub(crate) async fn logs(
    rpc: &verigrad_contracts::Rpc,
    escrow: Address,
    events: &[B256],
    from: u64,
    to: u64,
) -> Result<Vec<Log>, TaskError> {
    if from > to {
        return Ok(Vec::new());
    }
    let filter = Filter::new()
        .address(escrow)
        .event_signature(events.to_vec())
        .from_block(from)
        .to_block(to);
    Ok(rpc.logs(&filter).await?)
}

/// How the run's tasks ended, from their events.
struct Outcomes {
    finalized: usize,
    rejected: usize,
    tiers: [usize; 3],
}

/// Counts tiers (from `TaskAssigned`) and accepted results and rejected inputs (from
/// `TaskFinalized`) in blocks `from..=to`.
async fn outcomes(
    rpc: &verigrad_contracts::Rpc,
    escrow: Address,
    from: u64,
    to: u64,
) -> Result<Outcomes, TaskError> {
    let mut outcomes = Outcomes { finalized: 0, rejected: 0, tiers: [0; 3] };
    let events =
        [TaskEscrow::TaskAssigned::SIGNATURE_HASH, TaskEscrow::TaskFinalized::SIGNATURE_HASH];
    for log in logs(rpc, escrow, &events, from, to).await? {
        if let Ok(assigned) = TaskEscrow::TaskAssigned::decode_log(&log.inner) {
            if let Some(count) = outcomes.tiers.get_mut(usize::from(u8::from(assigned.tier))) {
                *count += 1;
            }
        } else if let Ok(finalized) = TaskEscrow::TaskFinalized::decode_log(&log.inner) {
            match finalized.outputHash {
                hash if hash == INPUT_REJECTED => outcomes.rejected += 1,
                hash if !hash.is_zero() => outcomes.finalized += 1,
                _ => {}
            }
        }
    }
    Ok(outcomes)
}

/// The task a TaskEscrow log is about (its first indexed topic).
pub(crate) fn task_of(log: &Log) -> U256 {
    log.topics().get(1).map_or(U256::ZERO, |topic| U256::from_be_bytes(topic.0))
}

/// Blocks from each task's assignment to the first commit or proposed result: p50, p90, max.
async fn answer_latency(
    rpc: &verigrad_contracts::Rpc,
    escrow: Address,
    from: u64,
    to: u64,
) -> Result<[u64; 3], TaskError> {
    let block_of = |log: &Log| log.block_number.unwrap_or_default();
    let mut assigned = BTreeMap::new();
    for log in logs(rpc, escrow, &[TaskEscrow::TaskAssigned::SIGNATURE_HASH], from, to).await? {
        assigned.entry(task_of(&log)).or_insert(block_of(&log));
    }
    let mut answered = BTreeMap::new();
    for event in
        [TaskEscrow::ResultCommitted::SIGNATURE_HASH, TaskEscrow::ResultProposed::SIGNATURE_HASH]
    {
        for log in logs(rpc, escrow, &[event], from, to).await? {
            let block = block_of(&log);
            answered
                .entry(task_of(&log))
                .and_modify(|b: &mut u64| *b = (*b).min(block))
                .or_insert(block);
        }
    }
    let mut delays: Vec<u64> = assigned
        .iter()
        .filter_map(|(task, at)| Some(answered.get(task)?.saturating_sub(*at)))
        .collect();
    delays.sort_unstable();
    let pick = |q: f64| {
        delays.get(((delays.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0)
    };
    Ok([pick(0.5), pick(0.9), delays.last().copied().unwrap_or(0)])
}

#[cfg(test)]
mod tests {
    use verigrad_inference::MultiDimensionalNumberTensor;

    use super::*;

    fn report(workers: Vec<WorkerChange>) -> LoadReport {
        LoadReport {
            created: 2,
            finalized: 1,
            refunded: 1,
            rejected: 0,
            unsettled: Vec::new(),
            tiers: [2, 0, 0],
            seconds: 1.0,
            settled_per_second: 2.0,
            steady_per_second: 0.0,
            answer_blocks: [1, 1, 1],
            chain_gas: ChainGas::default(),
            escrow_balance: U256::from(5),
            escrow_liabilities: U256::from(5),
            workers,
        }
    }

    fn change(byte: u8, stake_after: u64) -> WorkerChange {
        WorkerChange {
            address: Address::repeat_byte(byte),
            stake_before: U256::from(100),
            stake_after: U256::from(stake_after),
            faults_before: 0,
            faults_after: u32::from(stake_after < 100),
        }
    }

    #[test]
    fn a_run_is_judged_by_settlement_the_ledger_and_who_was_slashed() {
        let (honest, faulty) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let good = report(vec![change(1, 100), change(2, 90)]);
        assert!(good.problems(&[faulty]).is_empty());
        assert_eq!(good.problems(&[]), vec![format!("honest worker {faulty} was slashed")]);
        assert_eq!(
            good.problems(&[faulty, honest]),
            vec![format!("faulty worker {honest} was not slashed")]
        );
        let mut bad = report(vec![]);
        bad.unsettled = vec![U256::from(7)];
        bad.escrow_balance = U256::from(4);
        assert_eq!(bad.problems(&[]).len(), 2, "{:?}", bad.problems(&[]));
    }

    #[test]
    fn the_steady_rate_leaves_out_the_first_and_last_tenth() {
        let start = Instant::now();
        // 100 settlements 10 ms apart, then a straggler 10 s later: the pipeline's rate is 100/s.
        let mut times: Vec<Instant> =
            (0..100).map(|i| start + Duration::from_millis(10 * i)).collect();
        times.push(start + Duration::from_secs(11));
        let rate = steady_rate(&times);
        assert!((rate - 100.0).abs() < 1.0, "{rate}");
        assert_eq!(steady_rate(&times[..9]), 0.0, "too few to tell");
    }

    #[test]
    fn chain_gas_is_shared_among_settled_tasks_and_measured_against_the_blocks() {
        let gas = ChainGas { blocks: 4, used: 60_000_000, limit: 30_000_000 };
        assert_eq!(gas.per_task(300), 200_000.0);
        assert_eq!(gas.fill(), 0.5);
        assert_eq!(gas.per_task(0), 0.0, "nothing settled");
        assert_eq!(ChainGas::default().fill(), 0.0, "no blocks");
    }

    #[test]
    fn each_task_gets_an_input_of_its_own() {
        let tensor = MultiDimensionalNumberTensor::new(
            "x",
            vec![Number::new(125, 4), Number::new(3, 0)],
            vec![1, 2],
        )
        .expect("tensor");
        let input = ModelInput::numbers(vec![tensor]);
        let inputs: Vec<ModelInput> = (0..3).map(|i| distinct(&input, i)).collect();
        assert_eq!(inputs[0], input);
        assert_eq!(inputs[2].numbers[0].values, vec![Number::new(127, 4), Number::new(3, 0)]);
        assert_ne!(inputs[1], inputs[2]);
    }
}
