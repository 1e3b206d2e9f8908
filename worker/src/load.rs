//! A load run: many tasks created at once by one requester, followed to settlement while the workers
//! do the rest, then a summary — how each task ended, throughput to settlement, how fast workers
//! answered an assignment, whether the escrow still holds exactly what it owes, and which workers
//! were slashed. `worker load` prints it; `scripts/soak` and the throughput benchmark run it.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::{sync::Semaphore, task::JoinSet};
use verigrad_inference::{ModelInput, Number};

use crate::{
    Requester, TaskRequest, WorkerStatus,
    bindings::{TaskEscrow, Token, WorkerRegistry},
    chain::ChainError,
    policy::Tier,
    task::{TaskError, TaskStatus, due, lost_race, take},
};

/// The registry's role bits (`contracts/types/Roles.sol`) whose workers a summary lists.
const COMPUTE_AND_VERIFY: [u8; 2] = [1, 2];

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
    /// Not settled when the run gave up.
    pub unsettled: Vec<U256>,
    /// Tasks by tier: LIGHT, REDUNDANT, DEEP.
    pub tiers: [usize; 3],
    /// Seconds from the first creation to the last settlement.
    pub seconds: f64,
    /// Settled tasks per second over that time.
    pub settled_per_second: f64,
    /// Blocks from a task's assignment to its first worker answer (commit or result): p50, p90, max.
    pub answer_blocks: [u64; 3],
    /// The escrow's token balance at the end.
    pub escrow_balance: U256,
    /// What the escrow owes at the end (fees, bonds, unclaimed payouts).
    pub escrow_liabilities: U256,
    /// Every compute or verify worker of the model: stake and faults before and after.
    pub workers: Vec<WorkerChange>,
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

/// Runs `plan` as `requester`, reporting progress through `progress(settled, created)`.
pub async fn run_load(
    requester: Requester,
    plan: LoadPlan,
    mut progress: impl FnMut(usize, usize),
) -> Result<LoadReport, TaskError> {
    let requester = Arc::new(requester);
    let escrow = requester.escrow().clone();
    let rpc = escrow.rpc().clone();
    let workers = workers_of(&requester, plan.request.model).await?;
    let before = statuses(&requester, &workers).await?;
    // One allowance for the whole run: each task's own approval is then a no-op.
    requester.account().approve(escrow.address(), U256::MAX).await?;
    let first_block = rpc.block_number().await?;

    let started = Instant::now();
    let tasks = create_all(&requester, &plan).await?;
    progress(0, tasks.len());
    let mut unsettled: BTreeMap<U256, bool> = tasks.iter().map(|id| (*id, false)).collect();
    let mut settled_at = started;
    let mut from = first_block;
    let reveal_window = escrow.reveal_window().await?;
    let mut last_sweep = Instant::now();
    let give_up = Instant::now() + plan.timeout;
    while !unsettled.is_empty() && Instant::now() < give_up {
        let head = rpc.block_number().await?;
        for log in logs(&rpc, escrow.address(), TaskEscrow::TaskSettled::SIGNATURE_HASH, from, head)
            .await?
        {
            if unsettled.remove(&task_of(&log)).is_some() {
                settled_at = Instant::now();
            }
        }
        from = head + 1;
        progress(tasks.len() - unsettled.len(), tasks.len());
        // Assign what is assignable, and every few seconds step what nobody else stepped (a no-show's
        // refund after its deadline).
        // Side by side: each mostly waits for its transaction's block.
        let sweep = last_sweep.elapsed() >= Duration::from_secs(5);
        let attend: Vec<U256> = unsettled
            .iter()
            .filter(|(_, assigned)| sweep || !**assigned)
            .map(|(id, _)| *id)
            .collect();
        let requester = &requester;
        let attended: Vec<Result<(U256, bool), TaskError>> = futures_util::stream::iter(attend)
            .map(|id| async move {
                attend_to(requester, id, head, sweep, reveal_window).await.map(|a| (id, a))
            })
            .buffer_unordered(plan.concurrency.max(1))
            .collect()
            .await;
        for outcome in attended {
            let (id, assigned) = outcome?;
            if assigned && let Some(flag) = unsettled.get_mut(&id) {
                *flag = true;
            }
        }
        if sweep {
            last_sweep = Instant::now();
        }
        tokio::time::sleep(plan.poll).await;
    }
    let seconds = settled_at.duration_since(started).as_secs_f64();
    let settled = tasks.len() - unsettled.len();

    let head = rpc.block_number().await?;
    let (mut finalized, mut tiers) = (0, [0; 3]);
    for id in &tasks {
        let task = escrow.task(*id).await?;
        tiers[usize::from(u8::from(task.tier))] += 1;
        if escrow.result_of(*id).await?.is_some() {
            finalized += 1;
        }
    }
    let answer_blocks = answer_latency(&rpc, escrow.address(), first_block, head).await?;
    let owed = escrow.claimable(requester.account().address()).await?;
    if !owed.is_zero() {
        requester.account().sender().call(escrow.address(), TaskEscrow::claimCall {}).await?;
    }
    let token = requester.account().chain().deployment().token;
    let escrow_balance =
        rpc.view(token, Token::balanceOfCall { account: escrow.address() }).await?;
    let escrow_liabilities = rpc.view(escrow.address(), TaskEscrow::liabilitiesCall {}).await?;
    let after = statuses(&requester, &workers).await?;
    Ok(LoadReport {
        created: tasks.len(),
        finalized,
        refunded: settled - finalized.min(settled),
        unsettled: unsettled.into_keys().collect(),
        tiers,
        seconds,
        settled_per_second: if seconds > 0.0 { settled as f64 / seconds } else { 0.0 },
        answer_blocks,
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

/// Assigns task `id` once it can be (a block after its creation), and on a `sweep` takes the step
/// due on it that nobody else took; returns whether it is past assignment.
async fn attend_to(
    requester: &Requester,
    id: U256,
    head: u64,
    sweep: bool,
    reveal_window: u64,
) -> Result<bool, TaskError> {
    let escrow = requester.escrow();
    let task = escrow.task(id).await?;
    if task.status != TaskStatus::Created {
        if sweep {
            let now = escrow.rpc().latest_timestamp().await?;
            if let Some(step) = due(&task, now, reveal_window) {
                take(requester.account().sender(), escrow.address(), id, step).await?;
            }
        }
        return Ok(true);
    }
    if head <= task.created_block {
        return Ok(false);
    }
    let call = TaskEscrow::assignCall { taskId: id };
    match requester.account().sender().call(escrow.address(), call).await {
        // Assigned, or someone else assigned it first (seen by the estimate, or once mined).
        Ok(_) | Err(ChainError::TxReverted { .. }) => {}
        Err(error) if lost_race(&error) => {}
        Err(ChainError::Reverted { reason, .. }) => {
            // Not assignable: the deadline refunds it, and the sweep takes that step.
            tracing::warn!(task = %id, %reason, "cannot be assigned; its deadline refunds it");
        }
        Err(error) => return Err(error.into()),
    }
    Ok(true)
}

/// Creates the plan's tasks, `concurrency` at a time; returns their ids in creation order.
async fn create_all(requester: &Arc<Requester>, plan: &LoadPlan) -> Result<Vec<U256>, TaskError> {
    let permits = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let mut running = JoinSet::new();
    for i in 0..plan.tasks {
        let mut request = plan.request.clone();
        request.floor =
            plan.floors.get(i % plan.floors.len().max(1)).copied().unwrap_or(request.floor);
        request.input = distinct(&request.input, i);
        let (requester, permits) = (requester.clone(), permits.clone());
        running.spawn(async move {
            let _permit = permits.acquire_owned().await;
            requester.create(&request).await.map(|(id, _)| id)
        });
    }
    let mut ids = Vec::with_capacity(plan.tasks);
    while let Some(joined) = running.join_next().await {
        let id = joined
            .map_err(|e| TaskError::MalformedInput(format!("a creation panicked: {e}")))??;
        ids.push(id);
    }
    ids.sort();
    Ok(ids)
}

/// `input` with `i` added to the last digit of its first number, so every task's input (and its
/// commitment) is its own.
fn distinct(input: &ModelInput, i: usize) -> ModelInput {
    let mut input = input.clone();
    if let Some(first) = input.numbers.first_mut().and_then(|t| t.values.first_mut()) {
        *first = Number::new(first.value + i as i128, first.decimals);
    }
    input
}

/// The compute and verify workers registered for `model`.
async fn workers_of(requester: &Requester, model: B256) -> Result<Vec<Address>, TaskError> {
    let chain = requester.account().chain();
    let registry = chain.deployment().worker_registry;
    let mut seen = HashSet::new();
    let mut workers = Vec::new();
    for role in COMPUTE_AND_VERIFY {
        let call = WorkerRegistry::workersOfCall { modelId: model, role };
        for worker in chain.rpc().view(registry, call).await? {
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

async fn logs(
    rpc: &crate::Rpc,
    escrow: Address,
    event: B256,
    from: u64,
    to: u64,
) -> Result<Vec<Log>, TaskError> {
    if from > to {
        return Ok(Vec::new());
    }
    let filter = Filter::new().address(escrow).event_signature(event).from_block(from).to_block(to);
    Ok(rpc.logs(&filter).await?)
}

/// The task a TaskEscrow log is about (its first indexed topic).
fn task_of(log: &Log) -> U256 {
    log.topics().get(1).map_or(U256::ZERO, |topic| U256::from_be_bytes(topic.0))
}

/// Blocks from each task's assignment to the first commit or proposed result: p50, p90, max.
async fn answer_latency(
    rpc: &crate::Rpc,
    escrow: Address,
    from: u64,
    to: u64,
) -> Result<[u64; 3], TaskError> {
    let block_of = |log: &Log| log.block_number.unwrap_or_default();
    let mut assigned = BTreeMap::new();
    for log in logs(rpc, escrow, TaskEscrow::TaskAssigned::SIGNATURE_HASH, from, to).await? {
        assigned.entry(task_of(&log)).or_insert(block_of(&log));
    }
    let mut answered = BTreeMap::new();
    for event in
        [TaskEscrow::ResultCommitted::SIGNATURE_HASH, TaskEscrow::ResultProposed::SIGNATURE_HASH]
    {
        for log in logs(rpc, escrow, event, from, to).await? {
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
            unsettled: Vec::new(),
            tiers: [2, 0, 0],
            seconds: 1.0,
            settled_per_second: 2.0,
            answer_blocks: [1, 1, 1],
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
