//! Many escrow calls as one, through the escrow's `batch`: the state of every watched task in one
//! `eth_call`, and everything a worker or keeper has to send in one transaction per block. A dry
//! run first drops the calls that would fail (another party took the step, a phase closed), so the
//! transaction carries only calls that were due when it was built; a call that fails once mined
//! (raced in the same block) fails alone, and the next poll sees the chain as it is. The calls
//! sent go through the escrow's array entry points where it has them (`assignTasks`,
//! `submitResults`, `finalizeAndSettle`), which read once what their tasks share and skip, task by
//! task, what the single call would refuse.

use std::collections::{HashMap, HashSet};

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    rpc::types::{Filter, TransactionReceipt},
    sol_types::{SolCall, SolEvent, SolInterface},
};
use futures_util::{StreamExt, TryStreamExt};

use super::{EscrowClient, Member, Seat, TaskState};
use crate::{
    bindings::TaskEscrow::{self, TaskEscrowCalls},
    error::{ChainError, Result},
    revert::Revert,
    sender::{TxSender, Urgency},
};

/// Gas allowed per task a phase-closing call works on, beyond what its dry run ran on: such a
/// call's cost depends on what lands before it in the block (the last reveal tallies, the last vote
/// resolves and slashes), which the dry run did not see.
const GAS_PER_TASK: u64 = 150_000;
/// Floor of the gas limit of a batch with a phase-closing call, as for that call alone.
const MIN_BATCH_GAS: u64 = 1_500_000;
/// Most gas the allowance of a batch's phase-closing calls asks for; a third of anvil's default
/// block.
const MAX_BATCH_GAS: u64 = 10_000_000;
/// Largest gas limit a batch transaction asks for, a fifth of anvil's default block: a bigger
/// batch is split in two. A block takes a transaction only while its whole limit fits in what the
/// block has left, and a sender's later nonces wait behind it: a limit near the block's own waits
/// for a nearly empty block, and holds up everything its sender sends after it.
const MAX_TX_GAS: u64 = 6_000_000;
/// Headroom over the gas a batch's dry run ran on, in percent: the state may move a little
/// before it is mined (another worker's lock, a price, a balance emptied by a claim: a few storage
/// writes of at most 20 000 gas each), and unused gas is not charged. A limit near the gas used
/// lets a block hold more batches: a block takes a transaction only while its whole limit fits.
const DRY_RUN_HEADROOM_PERCENT: u64 = 10;
/// What a batch transaction costs beyond what its dry run reports: the intrinsic 21 000, the
/// dispatch and the answer's encoding (`batch` reports from its first instruction to its last).
const BATCH_OVERHEAD_GAS: u64 = 40_000;
/// The same, per call: calldata, and each answer's encoding.
const CALL_OVERHEAD_GAS: u64 = 5_000;
/// Task steps in one batch transaction (a task's `finalize` and `settle` are one step: they merge
/// into one `finalizeAndSettle` entry). A LIGHT step costs 35 000 to 55 000 gas in an array call of
/// 100, a few thousand less a task than in one of 50 (the transaction's intrinsic gas and cold
/// reads are shared by more tasks), and a batch of them stays inside a sixth of a block.
const STEPS_PER_TX: usize = 100;
/// Batch transactions in flight at once.
const BATCHES_AT_ONCE: usize = 4;
/// Views read in one `eth_call` (about 15 000 gas each): well inside a node's call gas cap.
const READS_PER_CALL: usize = 200;

/// One call of the escrow, with the task it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowCall {
    /// The task, or zero for an account-wide call (`claim`).
    pub task: U256,
    /// The call.
    pub call: TaskEscrowCalls,
}

impl EscrowCall {
    /// `call` about `task`.
    pub fn new(task: U256, call: impl Into<TaskEscrowCalls>) -> Self {
        Self { task, call: call.into() }
    }

    /// The function's name, for logs.
    pub fn function(&self) -> &'static str {
        TaskEscrowCalls::name_by_selector(self.call.selector()).unwrap_or("unknown")
    }

    /// Whether, mined, it costs about what its dry run ran on: the steps of a LIGHT task and the
    /// claim, whose work does not depend on what lands before them in the block (a phase-closing
    /// call does: the last reveal tallies, the last vote resolves and slashes).
    pub fn costs_what_it_ran(&self) -> bool {
        matches!(
            self.call,
            TaskEscrowCalls::createTask(_)
                | TaskEscrowCalls::createTasks(_)
                | TaskEscrowCalls::assign(_)
                | TaskEscrowCalls::assignTasks(_)
                | TaskEscrowCalls::submitResult(_)
                | TaskEscrowCalls::submitResults(_)
                | TaskEscrowCalls::audit(_)
                | TaskEscrowCalls::finalize(_)
                | TaskEscrowCalls::settle(_)
                | TaskEscrowCalls::finalizeAndSettle(_)
                | TaskEscrowCalls::claim(_)
        )
    }

    /// Whether it is a draw anyone may take from an anchor's hash (`assign`, `audit`,
    /// `drawCommittee`): only one of several senders can take it.
    pub fn is_draw(&self) -> bool {
        matches!(
            self.call,
            TaskEscrowCalls::assign(_)
                | TaskEscrowCalls::audit(_)
                | TaskEscrowCalls::drawCommittee(_)
        )
    }

    /// Whether it must land within a few blocks or be lost: a vote or a reveal before its window
    /// closes, a challenge or an appeal within its window, a draw of workers before its anchor's
    /// registry epoch ends (after that it is only moved to a new anchor, the gas spent for nothing).
    pub fn is_deadline_bound(&self) -> bool {
        matches!(
            self.call,
            TaskEscrowCalls::commitVote(_)
                | TaskEscrowCalls::revealVote(_)
                | TaskEscrowCalls::reveal(_)
                | TaskEscrowCalls::challenge(_)
                | TaskEscrowCalls::appeal(_)
                | TaskEscrowCalls::assign(_)
                | TaskEscrowCalls::assignTasks(_)
                | TaskEscrowCalls::drawCommittee(_)
        )
    }

    /// The tasks it works on: an array call's tasks (a `createTasks` call's inputs), one for every
    /// other call.
    pub fn tasks(&self) -> usize {
        match &self.call {
            TaskEscrowCalls::createTasks(group) => group.inputHashes.len(),
            TaskEscrowCalls::assignTasks(group) => group.taskIds.len(),
            TaskEscrowCalls::submitResults(group) => group.taskIds.len(),
            TaskEscrowCalls::finalizeAndSettle(group) => group.taskIds.len(),
            _ => 1,
        }
    }
}

/// What one batch transaction did.
#[derive(Debug, Default)]
pub struct BatchSent {
    /// The calls the dry run passed, sent in one transaction.
    pub sent: Vec<EscrowCall>,
    /// The calls the dry run failed, with what they reverted with.
    pub refused: Vec<(EscrowCall, Revert)>,
    /// The transaction's receipt, if anything was sent.
    pub receipt: Option<TransactionReceipt>,
}

impl EscrowClient {
    /// Sends `calls` as `sender` in batch transactions of up to [`STEPS_PER_TX`] task steps, a few
    /// side by side; what became of each batch. Each batch is dry-run first, and only the calls
    /// that pass are sent, in one `batch` transaction. Deadline-bound calls go first, in batches of
    /// their own priced for their deadline ([`Urgency::Deadline`]): the rest can wait for room.
    pub async fn send_batches(
        &self,
        sender: &TxSender,
        calls: Vec<EscrowCall>,
    ) -> Result<Vec<BatchSent>> {
        let (urgent, rest): (Vec<_>, Vec<_>) =
            calls.into_iter().partition(EscrowCall::is_deadline_bound);
        let deadline = sender.with_urgency(Urgency::Deadline);
        let batches: Vec<(TxSender, Vec<EscrowCall>)> = by_steps(urgent, STEPS_PER_TX)
            .into_iter()
            .map(|chunk| (deadline.clone(), chunk))
            .chain(by_steps(rest, STEPS_PER_TX).into_iter().map(|chunk| (sender.clone(), chunk)))
            .collect();
        let sent: Vec<Vec<BatchSent>> = futures_util::stream::iter(batches)
            .map(|(sender, chunk)| async move { self.send_batch(&sender, chunk).await })
            .buffer_unordered(BATCHES_AT_ONCE)
            .try_collect()
            .await?;
        Ok(sent.into_iter().flatten().collect())
    }

    /// Dry-runs `calls` as `sender`'s account and sends those that pass as one `batch`
    /// transaction, waiting for its receipt; a batch whose gas limit would pass [`MAX_TX_GAS`] is
    /// sent as two, side by side.
    async fn send_batch(
        &self,
        sender: &TxSender,
        calls: Vec<EscrowCall>,
    ) -> Result<Vec<BatchSent>> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let (outcomes, dry_run_gas) = self.batch_call(sender.address(), &calls).await?;
        let mut done = BatchSent::default();
        for (call, outcome) in calls.into_iter().zip(outcomes) {
            match outcome {
                Ok(_) => done.sent.push(call),
                Err(revert) => done.refused.push((call, revert)),
            }
        }
        if done.sent.is_empty() {
            return Ok(vec![done]);
        }
        let merged = merged(&done.sent);
        let batch =
            TaskEscrow::batchCall { calls: merged.iter().map(|c| c.abi_encode().into()).collect() };
        // The dry run ran the calls singly, which costs a third more than their array call: a
        // merged batch is measured as it will be sent. One with a phase-closing call keeps the
        // single calls' measure, with its room: such a call's cost depends on what lands before it.
        let ran = if merged.len() < done.sent.len() && closing_tasks(&done.sent) == 0 {
            self.batch_gas_used(sender.address(), &batch).await?
        } else {
            dry_run_gas
        };
        let gas = batch_gas(ran, &done.sent);
        if gas > MAX_TX_GAS
            && let Some((first, second)) = halves(&done.sent)
        {
            let (first, second) = futures_util::try_join!(
                Box::pin(self.send_batch(sender, first)),
                Box::pin(self.send_batch(sender, second)),
            )?;
            let refused = BatchSent { refused: done.refused, ..BatchSent::default() };
            return Ok(std::iter::once(refused).chain(first).chain(second).collect());
        }
        done.receipt = Some(sender.call_with_gas(self.address(), batch, gas).await?);
        Ok(vec![done])
    }

    /// The gas `batch` runs on as `from` now, by one `eth_call`.
    async fn batch_gas_used(&self, from: Address, batch: &TaskEscrow::batchCall) -> Result<u64> {
        let answer = self.rpc().view_as(from, self.address(), batch.clone()).await?;
        Ok(u64::try_from(answer.gasUsed).unwrap_or(u64::MAX))
    }

    /// Runs `calls` in one `eth_call` of `batch` as `from`; each call's return data, or what it
    /// reverted with, and the gas the batch ran on.
    async fn batch_call(
        &self,
        from: Address,
        calls: &[EscrowCall],
    ) -> Result<(Vec<std::result::Result<Bytes, Revert>>, u64)> {
        let answer = self.rpc().view_as(from, self.address(), batch_of(calls)).await?;
        let outcomes = answer
            .ok
            .into_iter()
            .zip(answer.results)
            .map(|(ok, data)| if ok { Ok(data) } else { Err(Revert::new(data)) })
            .collect();
        Ok((outcomes, u64::try_from(answer.gasUsed).unwrap_or(u64::MAX)))
    }

    /// Reads many views of the escrow, [`READS_PER_CALL`] to an `eth_call`, decoding each answer.
    async fn read_many<C: SolCall + Into<TaskEscrowCalls>>(
        &self,
        calls: Vec<C>,
    ) -> Result<Vec<C::Return>> {
        let calls: Vec<EscrowCall> =
            calls.into_iter().map(|c| EscrowCall::new(U256::ZERO, c)).collect();
        let mut answers = Vec::with_capacity(calls.len());
        for chunk in calls.chunks(READS_PER_CALL) {
            answers.extend(self.batch_call(Address::ZERO, chunk).await?.0);
        }
        answers
            .into_iter()
            .map(|answer| {
                let data =
                    answer.map_err(|revert| ChainError::Reverted { op: C::SIGNATURE, revert })?;
                C::abi_decode_returns_validate(&data)
                    .map_err(|source| ChainError::Decode { op: C::SIGNATURE, source })
            })
            .collect()
    }

    /// The records of tasks `ids`, in order, read in one call.
    pub async fn tasks(&self, ids: &[U256]) -> Result<Vec<TaskState>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let views = self
            .read_many(ids.iter().map(|&id| TaskEscrow::getTaskCall { taskId: id }).collect())
            .await?;
        ids.iter().zip(&views).map(|(&id, view)| TaskState::from_view(id, view)).collect()
    }

    /// The task's compute seats, in seat order.
    pub async fn seats(&self, task: &TaskState) -> Result<Vec<Seat>> {
        Ok(self.seats_of(&[task]).await?.remove(&task.id).unwrap_or_default())
    }

    /// The compute seats of each task, in seat order, read in one call.
    pub async fn seats_of(&self, tasks: &[&TaskState]) -> Result<HashMap<U256, Vec<Seat>>> {
        self.rows_of(
            tasks,
            |t| (0, t.redundancy),
            |task, index| TaskEscrow::seatCall { taskId: task, index },
            |s| Seat { worker: s.worker, state: s.state, hash: s.hash },
        )
        .await
    }

    /// The committee now reviewing each task (the appeal committee, once appealed) — each member,
    /// whether it voted, and how — read in one call.
    pub async fn committees_of(&self, tasks: &[&TaskState]) -> Result<HashMap<U256, Vec<Member>>> {
        self.rows_of(
            tasks,
            TaskState::current_committee,
            |task, index| TaskEscrow::committeeSeatCall { taskId: task, index },
            |m| Member { verifier: m.verifier, state: m.state, accept_mask: m.acceptMask },
        )
        .await
    }

    /// Rows `first..first + count` of each task, where `rows(task)` is `(first, count)`, read by
    /// `view(task id, index)` all in one call and grouped by task in order, each answer mapped by
    /// `row`.
    async fn rows_of<C: SolCall + Into<TaskEscrowCalls>, T>(
        &self,
        tasks: &[&TaskState],
        rows: impl Fn(&TaskState) -> (u8, u8),
        view: impl Fn(U256, U256) -> C,
        row: impl Fn(C::Return) -> T,
    ) -> Result<HashMap<U256, Vec<T>>> {
        let indexes = |t: &TaskState| {
            let (first, count) = rows(t);
            first..first + count
        };
        let calls: Vec<C> =
            tasks.iter().flat_map(|&t| indexes(t).map(|i| view(t.id, U256::from(i)))).collect();
        let mut answers = self.read_many(calls).await?.into_iter();
        Ok(tasks
            .iter()
            .map(|&t| (t.id, answers.by_ref().take(indexes(t).len()).map(&row).collect()))
            .collect())
    }

    /// The input commitments of `tasks`, from their `TaskCreated` events, read in one `eth_getLogs`
    /// over the blocks they were created in.
    pub async fn input_hashes(&self, tasks: &[&TaskState]) -> Result<HashMap<U256, B256>> {
        let (Some(from), Some(to)) = (
            tasks.iter().map(|t| t.created_block).min(),
            tasks.iter().map(|t| t.created_block).max(),
        ) else {
            return Ok(HashMap::new());
        };
        let filter = Filter::new()
            .address(self.address())
            .event_signature(TaskEscrow::TaskCreated::SIGNATURE_HASH)
            .topic1(tasks.iter().map(|t| B256::from(t.id)).collect::<Vec<_>>())
            .from_block(from)
            .to_block(to);
        let mut hashes = HashMap::with_capacity(tasks.len());
        for log in self.rpc().logs(&filter).await? {
            let created = TaskEscrow::TaskCreated::decode_log(&log.inner)
                .map_err(|source| ChainError::Decode { op: "TaskCreated", source })?;
            hashes.insert(created.taskId, created.inputHash);
        }
        Ok(hashes)
    }
}

/// The single-task calls the escrow also takes as one array call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merged {
    /// `assign`, sent as `assignTasks`.
    Assign,
    /// `submitResult`, sent as `submitResults`.
    Submit,
    /// `finalize` and `settle`, sent as `finalizeAndSettle` (which settles what it finalizes).
    Settle,
}

impl Merged {
    /// Which array call takes `call`, if one does.
    fn of(call: &TaskEscrowCalls) -> Option<Self> {
        match call {
            TaskEscrowCalls::assign(_) => Some(Self::Assign),
            TaskEscrowCalls::submitResult(_) => Some(Self::Submit),
            TaskEscrowCalls::finalize(_) | TaskEscrowCalls::settle(_) => Some(Self::Settle),
            _ => None,
        }
    }
}

/// What one transaction sends for `calls`: each kind of single-task call the escrow also takes as
/// an array merged into one array call (every `assign` into `assignTasks`, every `submitResult`
/// into `submitResults`, every `finalize` and `settle` into `finalizeAndSettle`, a task named
/// once), placed where the last call of its kind was, so that it runs after the calls it may
/// follow (a `resolve` before its task's `settle`); the other calls keep their order.
fn merged(calls: &[EscrowCall]) -> Vec<TaskEscrowCalls> {
    let mut assign = TaskEscrow::assignTasksCall { taskIds: Vec::new() };
    let mut submit =
        TaskEscrow::submitResultsCall { taskIds: Vec::new(), outputHashes: Vec::new() };
    let mut settle = TaskEscrow::finalizeAndSettleCall { taskIds: Vec::new() };
    for call in calls {
        match &call.call {
            TaskEscrowCalls::assign(c) => assign.taskIds.push(c.taskId),
            TaskEscrowCalls::submitResult(c) => {
                submit.taskIds.push(c.taskId);
                submit.outputHashes.push(c.outputHash);
            }
            TaskEscrowCalls::finalize(TaskEscrow::finalizeCall { taskId })
            | TaskEscrowCalls::settle(TaskEscrow::settleCall { taskId })
                if !settle.taskIds.contains(taskId) =>
            {
                settle.taskIds.push(*taskId);
            }
            _ => {}
        }
    }
    let last = |kind| calls.iter().rposition(|c| Merged::of(&c.call) == Some(kind));
    let (last_assign, last_submit, last_settle) =
        (last(Merged::Assign), last(Merged::Submit), last(Merged::Settle));
    let mut out = Vec::with_capacity(calls.len());
    for (i, call) in calls.iter().enumerate() {
        match Merged::of(&call.call) {
            None => out.push(call.call.clone()),
            Some(Merged::Assign) if Some(i) == last_assign => out.push(assign.clone().into()),
            Some(Merged::Submit) if Some(i) == last_submit => out.push(submit.clone().into()),
            Some(Merged::Settle) if Some(i) == last_settle => out.push(settle.clone().into()),
            Some(_) => {}
        }
    }
    out
}

/// `calls` cut in order into runs of at most `steps` task steps, a task's `finalize` and `settle`
/// counting once (one `finalizeAndSettle` entry does both): the pair stays in one transaction.
fn by_steps(calls: Vec<EscrowCall>, steps: usize) -> Vec<Vec<EscrowCall>> {
    let starts = step_starts(&calls);
    let mut runs = Vec::new();
    let mut run = Vec::new();
    let mut taken = 0;
    for (call, starts) in calls.into_iter().zip(starts) {
        if starts {
            if taken == steps {
                runs.push(std::mem::take(&mut run));
                taken = 0;
            }
            taken += 1;
        }
        run.push(call);
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Whether each of `calls` starts a task step: all but a task's `finalize` or `settle` after the
/// other.
fn step_starts(calls: &[EscrowCall]) -> Vec<bool> {
    let mut settling = HashSet::new();
    calls
        .iter()
        .map(|call| Merged::of(&call.call) != Some(Merged::Settle) || settling.insert(call.task))
        .collect()
}

/// `calls` cut in two runs of about half their steps each; `None` for a single step.
fn halves(calls: &[EscrowCall]) -> Option<(Vec<EscrowCall>, Vec<EscrowCall>)> {
    let steps = step_starts(calls).into_iter().filter(|s| *s).count();
    if steps < 2 {
        return None;
    }
    let mut runs = by_steps(calls.to_vec(), steps.div_ceil(2)).into_iter();
    Some((runs.next()?, runs.next()?))
}

/// The gas limit of a batch transaction of `sent`, from the gas a dry run of the batch as sent ran
/// on, with headroom, and for each phase-closing call an allowance for what it may close once mined
/// (the LIGHT steps beside it cost what they ran), at least the floor of such calls alone. No
/// `eth_estimateGas`: the dry run already executed the batch. A block takes a transaction
/// only while its whole limit fits in what the block has left, so a limit near the gas used lets
/// blocks fill.
fn batch_gas(dry_run_gas: u64, sent: &[EscrowCall]) -> u64 {
    let measured = dry_run_gas.saturating_mul(100 + DRY_RUN_HEADROOM_PERCENT) / 100
        + BATCH_OVERHEAD_GAS
        + CALL_OVERHEAD_GAS * sent.len() as u64;
    // A `batch` whose inner call runs out of gas does not revert (it skips the call), so the
    // allowance counts the tasks the closing calls work on, not the calls.
    let closing = closing_tasks(sent);
    if closing == 0 {
        return measured;
    }
    let allowance = (GAS_PER_TASK * closing as u64).min(MAX_BATCH_GAS);
    (measured + allowance).max((MIN_BATCH_GAS + allowance).min(MAX_BATCH_GAS))
}

/// The tasks the phase-closing calls of `sent` work on (see [`EscrowCall::costs_what_it_ran`]).
fn closing_tasks(sent: &[EscrowCall]) -> usize {
    sent.iter().filter(|c| !c.costs_what_it_ran()).map(EscrowCall::tasks).sum()
}

/// The escrow's `batch` of `calls`.
fn batch_of(calls: &[EscrowCall]) -> TaskEscrow::batchCall {
    TaskEscrow::batchCall { calls: calls.iter().map(|c| c.call.abi_encode().into()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_typed_and_named_by_its_function() {
        let call =
            EscrowCall::new(U256::from(7), TaskEscrow::finalizeCall { taskId: U256::from(7) });
        assert!(call.call.is_finalize());
        assert_eq!(call.function(), "finalize");
        assert_eq!(call.task, U256::from(7));
        let encoded = batch_of(std::slice::from_ref(&call)).calls;
        assert_eq!(&encoded[0][..4], TaskEscrow::finalizeCall::SELECTOR.as_slice());
    }

    #[test]
    fn a_batch_is_sized_by_its_dry_run_and_floored_when_a_call_may_close_a_phase() {
        let id = U256::from;
        let light: Vec<EscrowCall> = (1..=50)
            .map(|i| EscrowCall::new(id(i), TaskEscrow::assignCall { taskId: id(i) }))
            .collect();
        let dry_run = 50 * 90_000;
        let gas = batch_gas(dry_run, &light);
        assert!(gas >= dry_run * 11 / 10, "headroom over the dry run: {gas}");
        assert!(gas < dry_run * 5 / 4, "near what it ran on, so that blocks fill: {gas}");

        let reveal = EscrowCall::new(
            id(7),
            TaskEscrow::revealCall {
                taskId: id(7),
                outputHash: B256::repeat_byte(1),
                salt: B256::repeat_byte(2),
            },
        );
        assert!(!reveal.costs_what_it_ran(), "the last reveal tallies");
        assert_eq!(batch_gas(60_000, std::slice::from_ref(&reveal)), MIN_BATCH_GAS + GAS_PER_TASK);
        let mixed: Vec<EscrowCall> = light.iter().cloned().chain([reveal.clone()]).collect();
        assert_eq!(
            batch_gas(dry_run, &mixed),
            batch_gas(dry_run, &light) + CALL_OVERHEAD_GAS + GAS_PER_TASK,
            "the LIGHT steps cost what they ran; the reveal gets its allowance"
        );
        let reveals: Vec<EscrowCall> = std::iter::repeat_n(reveal, 80).collect();
        assert_eq!(
            batch_gas(60_000, &reveals),
            60_000 * 11 / 10 + BATCH_OVERHEAD_GAS + 80 * CALL_OVERHEAD_GAS + MAX_BATCH_GAS,
            "the allowance, capped at a third of a block"
        );
        assert_eq!(
            batch_gas(60_000, &reveals[..2]),
            MIN_BATCH_GAS + 2 * GAS_PER_TASK,
            "a few closing calls alone get the floor"
        );
    }

    #[test]
    fn a_transaction_takes_so_many_task_steps_and_keeps_a_finalize_with_its_settle() {
        let id = U256::from;
        let finalize = |t| EscrowCall::new(id(t), TaskEscrow::finalizeCall { taskId: id(t) });
        let settle = |t| EscrowCall::new(id(t), TaskEscrow::settleCall { taskId: id(t) });
        let submit = |t| {
            EscrowCall::new(
                id(t),
                TaskEscrow::submitResultCall { taskId: id(t), outputHash: B256::repeat_byte(1) },
            )
        };
        let calls = vec![
            submit(1),
            finalize(2),
            settle(2),
            finalize(3),
            settle(3),
            settle(4),
            submit(5),
            finalize(6),
            settle(6),
        ];
        let runs: Vec<Vec<u64>> = by_steps(calls, 3)
            .iter()
            .map(|run| run.iter().map(|c| c.task.to::<u64>()).collect())
            .collect();
        assert_eq!(
            runs,
            vec![vec![1, 2, 2, 3, 3], vec![4, 5, 6, 6]],
            "three steps a run; each pair whole"
        );
        assert_eq!(by_steps(Vec::new(), 3).len(), 0, "nothing to send, no transaction");
        let lone: Vec<EscrowCall> = (1..=4).map(settle).collect();
        assert_eq!(by_steps(lone, 2).len(), 2, "settles of different tasks are steps each");
    }

    #[test]
    fn a_batch_too_big_for_one_transaction_is_halved_by_steps() {
        let id = U256::from;
        let finalize = |t| EscrowCall::new(id(t), TaskEscrow::finalizeCall { taskId: id(t) });
        let settle = |t| EscrowCall::new(id(t), TaskEscrow::settleCall { taskId: id(t) });
        let calls: Vec<EscrowCall> = (1..=5).flat_map(|t| [finalize(t), settle(t)]).collect();
        let (first, second) = halves(&calls).expect("five steps split");
        let tasks = |run: &[EscrowCall]| run.iter().map(|c| c.task.to::<u64>()).collect::<Vec<_>>();
        assert_eq!(tasks(&first), vec![1, 1, 2, 2, 3, 3], "three steps, each pair whole");
        assert_eq!(tasks(&second), vec![4, 4, 5, 5]);
        assert!(halves(&calls[..2]).is_none(), "one step cannot be split");
        assert!(halves(&[]).is_none());
    }

    #[test]
    fn like_single_task_calls_are_sent_as_one_array_call_each() {
        let id = U256::from;
        let calls = vec![
            EscrowCall::new(id(1), TaskEscrow::assignCall { taskId: id(1) }),
            EscrowCall::new(id(2), TaskEscrow::resolveCall { taskId: id(2) }),
            EscrowCall::new(id(2), TaskEscrow::settleCall { taskId: id(2) }),
            EscrowCall::new(id(3), TaskEscrow::finalizeCall { taskId: id(3) }),
            EscrowCall::new(id(3), TaskEscrow::settleCall { taskId: id(3) }),
            EscrowCall::new(id(4), TaskEscrow::assignCall { taskId: id(4) }),
            EscrowCall::new(
                id(5),
                TaskEscrow::submitResultCall { taskId: id(5), outputHash: B256::repeat_byte(5) },
            ),
            EscrowCall::new(U256::ZERO, TaskEscrow::claimCall {}),
        ];
        let sent = merged(&calls);
        let expected: Vec<TaskEscrowCalls> = vec![
            TaskEscrow::resolveCall { taskId: id(2) }.into(),
            TaskEscrow::finalizeAndSettleCall { taskIds: vec![id(2), id(3)] }.into(),
            TaskEscrow::assignTasksCall { taskIds: vec![id(1), id(4)] }.into(),
            TaskEscrow::submitResultsCall {
                taskIds: vec![id(5)],
                outputHashes: vec![B256::repeat_byte(5)],
            }
            .into(),
            TaskEscrow::claimCall {}.into(),
        ];
        assert_eq!(sent, expected, "one array call per kind, after the calls it may follow");
        let settle = EscrowCall::new(U256::ZERO, sent[1].clone());
        assert_eq!(settle.tasks(), 2);
    }
}
