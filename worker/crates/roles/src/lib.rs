//! `worker run`: the compute and verify roles, driven by the escrow's events and its state.
//!
//! Events only tell the worker which tasks concern it (a seat, a committee place, a LIGHT result to
//! check); those task ids are kept in the [`WorkerStore`]. Every poll the worker reads those tasks'
//! state on chain in one call — all but the quiet ones, a proposed result waiting out its window
//! with no event naming it, and those with a call still in flight — and does what is due: compute
//! and commit, reveal, vote, challenge, then the permissionless steps to settlement and the claim,
//! sending a poll's calls in batch transactions without waiting for them. Deciding from the chain's state rather
//! than from remembered progress is what makes a restart safe: a worker killed anywhere picks up
//! where the chain says it is, with the salts and committed outputs it stored before sending.
//!
//! Around the roles: the worker's [`Config`] (TOML, overridden by flags), the model packages it runs
//! ([`load_runtime`]), and the verification gradient ([`decide`], a bit-exact mirror of
//! `contracts/libraries/VerificationPolicy.sol`) so that a node can quote a task's tier, redundancy
//! and audit probability without a chain call.
#![warn(unused_crate_dependencies)]

mod appeal;
mod compute;
mod config;
mod execute;
mod packages;
mod policy;
mod verify;

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::Duration,
};

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::Log,
    sol_types::SolEventInterface,
};
use futures_util::StreamExt;
use tokio::{sync::watch, task::JoinSet};
use verigrad_contracts::{
    Account, AppealStage, BatchSent, EscrowCall, EscrowClient, Head, Member, RoleSet, Seat,
    TaskEscrow::{self, TaskEscrowCalls, TaskEscrowEvents},
    TaskState, TaskStatus,
};
use verigrad_inference::LiveRuntime;

use verigrad_blobs::StoreClient;
use verigrad_task::{
    EventStream, Step, TaskError, WorkerStore, due, lock, quiet_until, step_calls,
};

pub use config::{Config, ConfigError, RpcConfig, TaskConfig};
pub use packages::{find_package, follow_served, load_runtime};
pub use policy::{Decision, PolicyInputs, decide, exposure_score, value_points};

/// How a worker runs its roles.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The roles to act in (compute, verify).
    pub roles: RoleSet,
    /// Return wrong outputs on purpose (tests and demos: the protocol must catch it).
    pub faulty: bool,
    /// Largest task input fetched, in bytes.
    pub max_input_bytes: usize,
    /// Wait between polls of the chain.
    pub poll: Duration,
    /// Watched tasks worked on at once.
    pub concurrency: usize,
    /// Drift: a compute worker without the verify role checks proposed LIGHT results too while the
    /// escrow's verification pressure is at least this many basis points; `None`: never.
    pub drift_bps: Option<u16>,
}

/// Whether a worker with `roles` takes verification work at `pressure_bps`: a compute worker drifts
/// to it once the pressure reaches its threshold; a verifier does it anyway.
fn drifts(roles: RoleSet, threshold_bps: Option<u16>, pressure_bps: u16) -> bool {
    roles.contains(RoleSet::COMPUTE)
        && !roles.contains(RoleSet::VERIFY)
        && threshold_bps.is_some_and(|threshold| pressure_bps >= threshold)
}

/// A running worker: its account, the chain, the store node and the models it serves.
#[derive(Debug)]
pub struct Worker {
    account: Account,
    escrow: EscrowClient,
    store: WorkerStore,
    blobs: StoreClient,
    runtime: LiveRuntime,
    options: RunOptions,
    reveal_window: u64,
    /// Tasks this worker will not answer (the reason is logged once).
    refused: Mutex<HashSet<U256>>,
    /// LIGHT results already checked since start.
    checked: Mutex<HashSet<U256>>,
    /// First review decisions already checked for an appeal since start.
    appeal_checked: Mutex<HashSet<U256>>,
    /// The last failure of each task's step, so that one retried every poll is logged once.
    failing: HashMap<U256, String>,
    /// Whether the verification pressure has this compute worker checking results (drift).
    drifting: bool,
    /// Watched tasks that need nothing until a timestamp (or an event naming them): not read until
    /// then, so a worker's reads follow what changes, not everything it watches.
    quiet: HashMap<U256, u64>,
    /// The batch transactions sent and not yet mined, with the tasks (0: the account's claim) their
    /// calls concern: those are not planned again until the receipt is in, and the next poll does
    /// not wait for it.
    sending: JoinSet<Sent>,
    in_flight: HashSet<U256>,
    /// Tasks whose only calls in flight are draws this worker took as a watcher: still planned (a
    /// seat's answer or a committee vote must not wait for the draw's receipt), only not drawn
    /// again.
    drawing: HashSet<U256>,
}

/// What became of one poll's calls: the tasks they concern and the batches sent.
type Sent = (Flights, verigrad_contracts::Result<Vec<BatchSent>>);

/// The tasks one poll's calls concern, by what they hold back until the batches are mined.
#[derive(Debug, Default, PartialEq, Eq)]
struct Flights {
    /// Tasks with a call of their own (an answer, a vote, a finalize…): not planned again.
    own: Vec<U256>,
    /// Tasks whose only calls are draws (`assign`, `audit`, `drawCommittee`): not drawn again.
    draws: Vec<U256>,
}

impl Flights {
    fn of(calls: &[EscrowCall]) -> Self {
        let own: HashSet<U256> = calls.iter().filter(|c| !c.is_draw()).map(|c| c.task).collect();
        let mut listed = HashSet::new();
        let mut flights = Self::default();
        for call in calls.iter().filter(|c| listed.insert(c.task)) {
            let list = if own.contains(&call.task) { &mut flights.own } else { &mut flights.draws };
            list.push(call.task);
        }
        flights
    }
}

impl Worker {
    /// A worker acting for `account`.
    pub async fn new(
        account: Account,
        store: WorkerStore,
        blobs: StoreClient,
        runtime: LiveRuntime,
        options: RunOptions,
    ) -> Result<Self, TaskError> {
        let escrow = account.chain().escrow();
        let reveal_window = escrow.reveal_window().await?;
        Ok(Self {
            account,
            escrow,
            store,
            blobs,
            runtime,
            options,
            reveal_window,
            refused: Mutex::default(),
            checked: Mutex::default(),
            appeal_checked: Mutex::default(),
            failing: HashMap::new(),
            drifting: false,
            quiet: HashMap::new(),
            sending: JoinSet::new(),
            in_flight: HashSet::new(),
            drawing: HashSet::new(),
        })
    }

    /// Whether this worker checks proposed results now: a verifier, or a compute worker drifting.
    fn checks_results(&self) -> bool {
        self.options.roles.contains(RoleSet::VERIFY) || self.drifting
    }

    /// Reads the escrow's verification pressure and starts or stops drifting by it.
    async fn update_drift(&mut self) -> Result<(), TaskError> {
        let Some(threshold) = self.options.drift_bps else { return Ok(()) };
        let pressure = self.escrow.pressure_bps().await?;
        let drifting = drifts(self.options.roles, Some(threshold), pressure);
        if drifting != self.drifting {
            if drifting {
                tracing::info!(
                    pressure_bps = pressure,
                    threshold_bps = threshold,
                    "verification backlog: checking results too"
                );
            } else {
                tracing::info!(
                    pressure_bps = pressure,
                    threshold_bps = threshold,
                    "verification backlog cleared: computing only"
                );
            }
            self.drifting = drifting;
        }
        Ok(())
    }

    fn me(&self) -> Address {
        self.account.address()
    }

    /// Follows the escrow's events from `stream` and works on this worker's tasks until `shutdown`
    /// turns true. A step in progress (a transaction waiting for its receipt) finishes first.
    pub async fn run(
        mut self,
        mut stream: EventStream,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), TaskError> {
        let pending = self.store.pending()?;
        let watched = self.store.watched()?;
        tracing::info!(
            worker = %self.me(),
            roles = %self.options.roles,
            faulty = self.options.faulty,
            from_block = stream.next_block(),
            tasks = watched.len(),
            pending_commits = pending.len(),
            "worker running"
        );
        for (task, record) in pending {
            tracing::info!(%task, output = %record.output_hash, commit_tx = ?record.commit_tx, "resuming a stored commitment");
        }
        loop {
            if let Err(error) = self.update_drift().await {
                tracing::warn!(%error, "reading the verification pressure failed");
            }
            let polled = tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                polled = tokio::time::timeout(self.options.poll, stream.next_batch()) => polled,
            };
            match polled {
                Ok(Ok(batch)) => {
                    for log in &batch.logs {
                        self.on_log(log)?;
                    }
                    stream.commit(&batch)?;
                }
                Ok(Err(error)) => tracing::warn!(%error, "reading events failed; trying again"),
                Err(_) => {} // no new block within a poll: still look at the tasks
            }
            match self.tick().await {
                // The node is unreachable past the retry budget: a daemon waits it out, and the
                // next poll reads everything afresh.
                Err(TaskError::Chain(error)) => {
                    tracing::warn!(%error, "reading the watched tasks failed; trying again next poll");
                    tokio::time::sleep(self.options.poll).await;
                }
                done => done?,
            }
            if *shutdown.borrow() {
                break;
            }
        }
        while let Some(sent) = self.sending.join_next().await {
            self.on_sent(sent)?;
        }
        tracing::info!("worker stopped");
        Ok(())
    }

    /// Watches the tasks an event says concern this worker, and wakes a quiet task it names.
    fn on_log(&mut self, log: &Log) -> Result<(), TaskError> {
        let Ok(event) = TaskEscrowEvents::decode_log(&log.inner) else { return Ok(()) };
        // Every task event names its task first; an account's (a credit, a claim) wakes nothing.
        if let Some(task) = log.topics().get(1) {
            self.quiet.remove(&U256::from_be_bytes(task.0));
        }
        let me = self.me();
        let (task, why) = match event.data {
            TaskEscrowEvents::TaskAssigned(e)
                if self.options.roles.contains(RoleSet::COMPUTE) && e.workers.contains(&me) =>
            {
                (e.taskId, "assigned a seat")
            }
            TaskEscrowEvents::ReviewOpened(e) if e.committee.contains(&me) => {
                (e.taskId, "drawn for the committee")
            }
            TaskEscrowEvents::ReviewRequested(e)
                if self.options.roles.contains(RoleSet::VERIFY) =>
            {
                (e.taskId, "a committee to draw")
            }
            TaskEscrowEvents::ResultProposed(e) if self.checks_results() => (
                e.taskId,
                if self.drifting { "a result to check (drift)" } else { "a result to check" },
            ),
            _ => return Ok(()),
        };
        tracing::info!(%task, why, "watching task");
        Ok(self.store.watch(task)?)
    }

    /// One poll's work: reads every watched task that is neither quiet nor waiting on a call in
    /// flight (one call for the records, one for their seats and committees, one `eth_getLogs` for
    /// their inputs), works out what each needs from this worker — models run up to
    /// `concurrency` at once — and sends all of it in batch transactions in the background. A
    /// task's failure is logged and retried at the next poll. Settled tasks, and results checked
    /// as correct, are forgotten, a settled one's pay claimed.
    async fn tick(&mut self) -> Result<(), TaskError> {
        let mut ids = self.store.watched()?;
        if ids.is_empty() {
            return Ok(());
        }
        while let Some(sent) = self.sending.try_join_next() {
            self.on_sent(sent)?;
        }
        let head = self.escrow.rpc().head().await?;
        self.quiet.retain(|_, until| head.time < *until);
        ids.retain(|id| !self.quiet.contains_key(id) && !self.in_flight.contains(id));
        if ids.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let tasks = self.escrow.tasks(&ids).await?;
        let chain = self.read_context(&tasks).await?;
        let read = started.elapsed();
        let this = &*self;
        let plans: Vec<(U256, Result<Plan, TaskError>)> = futures_util::stream::iter(&tasks)
            .map(|task| {
                let chain = &chain;
                async move { (task.id, this.plan(task, chain, head).await) }
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;

        let mut calls = Vec::new();
        let mut done = Vec::new();
        let states: HashMap<U256, &TaskState> = tasks.iter().map(|t| (t.id, t)).collect();
        for (task, plan) in plans {
            match plan {
                Ok(plan) => {
                    self.failing.remove(&task);
                    if plan.done {
                        done.push(task);
                    } else if plan.calls.is_empty()
                        && let Some(until) = states.get(&task).and_then(|t| quiet_until(t))
                    {
                        self.quiet.insert(task, until);
                    }
                    calls.extend(plan.calls);
                }
                Err(error) => self.report_failure(task, &error.to_string()),
            }
        }
        // A draw already in flight is not sent twice: only one of them can take it.
        calls.retain(|call| !(call.is_draw() && self.drawing.contains(&call.task)));
        if tasks.iter().any(|t| t.status == TaskStatus::Settled)
            && !self.in_flight.contains(&U256::ZERO)
            && !self.escrow.claimable(self.me()).await?.is_zero()
        {
            calls.push(EscrowCall::new(U256::ZERO, TaskEscrow::claimCall {}));
        }
        tracing::debug!(
            tasks = tasks.len(),
            calls = calls.len(),
            in_flight = self.in_flight.len(),
            read_ms = read.as_millis(),
            poll_ms = started.elapsed().as_millis(),
            "poll"
        );
        self.start_sending(calls);
        for id in done {
            self.quiet.remove(&id);
            self.store.forget(id)?;
            lock(&self.refused).remove(&id);
            lock(&self.checked).remove(&id);
            lock(&self.appeal_checked).remove(&id);
            tracing::debug!(task = %id, "no longer watched");
        }
        Ok(())
    }

    /// The seats, committees and inputs of the tasks in a phase where this worker may act (a
    /// finalized task's seats too: a seat settles it, even one a void review finalized).
    async fn read_context(&self, tasks: &[TaskState]) -> Result<Context, TaskError> {
        let active: Vec<&TaskState> = tasks
            .iter()
            .filter(|t| {
                matches!(
                    t.status,
                    TaskStatus::Assigned
                        | TaskStatus::Proposed
                        | TaskStatus::Reviewing
                        | TaskStatus::Finalized
                )
            })
            .collect();
        let reviewing: Vec<&TaskState> =
            active.iter().copied().filter(|t| t.status == TaskStatus::Reviewing).collect();
        Ok(Context {
            seats: self.escrow.seats_of(&active).await?,
            committees: self.escrow.committees_of(&reviewing).await?,
            inputs: self.escrow.input_hashes(&active).await?,
        })
    }

    /// What `task` needs from this worker now: its own answer, check or vote, then any
    /// permissionless step due on a task it has a stake in.
    async fn plan(&self, task: &TaskState, chain: &Context, head: Head) -> Result<Plan, TaskError> {
        let now = head.time;
        let me = self.me();
        let seats = chain.seats.get(&task.id).map_or(&[][..], Vec::as_slice);
        let committee = chain.committees.get(&task.id).map_or(&[][..], Vec::as_slice);
        let input = chain.inputs.get(&task.id).copied();
        let mut calls = Vec::new();
        let mut challenged = false;
        match task.status {
            TaskStatus::Assigned if self.options.roles.contains(RoleSet::COMPUTE) => {
                calls.extend(self.compute(task, seats, input, now).await?);
            }
            TaskStatus::Proposed if self.checks_results() => {
                challenged = self.check_proposed(task, seats, input, now).await?;
            }
            TaskStatus::Reviewing if task.appeal == AppealStage::Open => {
                let party = seats.iter().any(|s| s.worker == me) || task.challenger == me;
                if party {
                    self.appeal_if_wrong(task, seats, committee, input, now).await?;
                }
            }
            TaskStatus::Reviewing => {
                calls.extend(self.vote(task, seats, committee, input, now).await?);
            }
            TaskStatus::Settled => return Ok(Plan { calls, done: true }),
            _ => {}
        }
        let involved = seats.iter().any(|s| s.worker == me)
            || committee.iter().any(|m| m.verifier == me)
            || task.challenger == me
            || challenged;
        let step = due(task, head, self.reveal_window);
        if !involved {
            // A draw is taken by anyone watching: whoever would lose by it could otherwise stall it.
            // That includes a proposed result's audit draw, which finalize would also draw, but only
            // once the challenge window is over: drawn now, an audited result's review starts sooner.
            if let Some(step) = step.filter(|s| s.is_draw()) {
                calls.extend(step_calls(task.id, step));
            }
            // A result checked and found correct, or a review whose committee left this worker
            // out, is no concern of this worker any more.
            let done = match task.status {
                TaskStatus::Proposed => lock(&self.checked).contains(&task.id),
                TaskStatus::Reviewing => task.committee_size > 0,
                _ => false,
            };
            return Ok(Plan { calls, done });
        }
        // A party leaves its task's audit draw to finalize, which draws it from the same anchor:
        // drawing it early would only cost the party gas (see `quiet_until`).
        if let Some(step) = step.filter(|s| *s != Step::Audit) {
            calls.extend(step_calls(task.id, step));
        }
        Ok(Plan { calls, done: false })
    }

    /// Sends `calls` in batch transactions in the background; [`on_sent`](Self::on_sent) takes
    /// the outcome at a later poll.
    fn start_sending(&mut self, calls: Vec<EscrowCall>) {
        if calls.is_empty() {
            return;
        }
        let flights = Flights::of(&calls);
        self.in_flight.extend(&flights.own);
        self.drawing.extend(&flights.draws);
        let (escrow, sender) = (self.escrow.clone(), self.account.sender().clone());
        self.sending.spawn(async move {
            let sent = escrow.send_batches(&sender, calls).await;
            (flights, sent)
        });
    }

    /// Logs what became of one poll's batch transactions, records what a restart needs, and lets
    /// their tasks be planned again.
    fn on_sent(&mut self, sent: Result<Sent, tokio::task::JoinError>) -> Result<(), TaskError> {
        // A sending task is never aborted; one that panicked takes the worker down as it would have.
        let (flights, batches) = sent.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        for task in &flights.own {
            self.in_flight.remove(task);
        }
        for task in &flights.draws {
            self.drawing.remove(task);
        }
        let batches = match batches {
            Ok(batches) => batches,
            Err(error) => {
                tracing::warn!(%error, "sending a poll's calls failed; trying again next poll");
                return Ok(());
            }
        };
        for sent in batches {
            for (call, revert) in &sent.refused {
                if revert.is_lost_race() {
                    tracing::debug!(task = %call.task, call = call.function(), %revert, "already done");
                } else {
                    self.report_failure(
                        call.task,
                        &format!("{} refused: {revert}", call.function()),
                    );
                }
            }
            let Some(receipt) = sent.receipt else { continue };
            tracing::info!(
                calls = sent.sent.len(),
                tx = %receipt.transaction_hash,
                block = receipt.block_number.unwrap_or_default(),
                gas_used = receipt.gas_used,
                "batch mined"
            );
            for call in &sent.sent {
                tracing::info!(task = %call.task, call = call.function(), "sent");
                self.record_sent(call, receipt.transaction_hash)?;
                if matches!(call.call, TaskEscrowCalls::claim(_)) {
                    tracing::info!("payout claimed");
                }
            }
        }
        Ok(())
    }

    /// Logs a task's failure once per distinct message (it is retried every poll).
    fn report_failure(&mut self, task: U256, message: &str) {
        if self.failing.get(&task).is_some_and(|m| m == message) {
            tracing::debug!(%task, error = message, "task step failed again");
        } else {
            tracing::warn!(%task, error = message, "task step failed; trying again every poll");
            self.failing.insert(task, message.to_string());
        }
    }
}

/// What the chain holds about the watched tasks beyond their records.
struct Context {
    seats: HashMap<U256, Vec<Seat>>,
    committees: HashMap<U256, Vec<Member>>,
    inputs: HashMap<U256, B256>,
}

/// What one task needs from this worker in a poll.
struct Plan {
    /// Calls to send.
    calls: Vec<EscrowCall>,
    /// Whether to stop watching the task.
    done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_compute_worker_drifts_and_only_past_its_threshold() {
        let compute: RoleSet = "compute".parse().expect("roles");
        let both: RoleSet = "compute,verify".parse().expect("roles");
        let verify: RoleSet = "verify".parse().expect("roles");
        assert!(!drifts(compute, Some(2_500), 2_499));
        assert!(drifts(compute, Some(2_500), 2_500));
        assert!(drifts(compute, Some(0), 0), "a zero threshold drifts always");
        assert!(!drifts(compute, None, 10_000), "no threshold, no drift");
        assert!(!drifts(both, Some(0), 10_000), "a verifier checks anyway: no drift needed");
        assert!(!drifts(verify, Some(0), 10_000));
    }

    /// A task whose only call in flight is a watcher's draw stays plannable (its vote must not wait
    /// for the draw); one with a call of its own does not, whatever draws ride with it.
    #[test]
    fn a_draw_alone_holds_back_only_the_draw() {
        let (watched, voted, claim) = (U256::from(1), U256::from(2), U256::ZERO);
        let calls = [
            EscrowCall::new(watched, TaskEscrow::auditCall { taskId: watched }),
            EscrowCall::new(voted, TaskEscrow::drawCommitteeCall { taskId: voted }),
            EscrowCall::new(
                voted,
                TaskEscrow::commitVoteCall { taskId: voted, commitment: Default::default() },
            ),
            EscrowCall::new(claim, TaskEscrow::claimCall {}),
            EscrowCall::new(watched, TaskEscrow::assignCall { taskId: watched }),
        ];
        assert_eq!(Flights::of(&calls), Flights { own: vec![voted, claim], draws: vec![watched] });
        assert_eq!(Flights::of(&[]), Flights::default());
    }
}
