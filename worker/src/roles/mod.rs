//! `worker run`: the compute and verify roles, driven by the escrow's events and its state.
//!
//! Events only tell the worker which tasks concern it (a seat, a committee place, a LIGHT result to
//! check); those task ids are kept in the [`WorkerStore`]. Every poll the worker reads each such
//! task's state on chain and does what is due — compute and commit, reveal, vote, challenge, then
//! the permissionless steps to settlement and the claim. Deciding from the chain's state rather
//! than from remembered progress is what makes a restart safe: a worker killed anywhere picks up
//! where the chain says it is, with the salts and committed outputs it stored before sending.

mod compute;
mod execute;
mod verify;

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::Duration,
};

use alloy::{
    primitives::{Address, U256},
    rpc::types::Log,
    sol_types::SolEventInterface,
};
use futures_util::StreamExt;
use tokio::sync::watch;
use verigrad_inference::Runtime;

use crate::{
    bindings::TaskEscrow::{self, TaskEscrowEvents},
    blobs::StoreClient,
    chain::{Account, EventStream},
    role_set::RoleSet,
    store::WorkerStore,
    sync::lock,
    task::{Escrow, TaskError, TaskStatus, due, take},
};

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
    escrow: Escrow,
    store: WorkerStore,
    blobs: StoreClient,
    runtime: Runtime,
    options: RunOptions,
    reveal_window: u64,
    /// Tasks this worker will not answer (the reason is logged once).
    refused: Mutex<HashSet<U256>>,
    /// LIGHT results already checked since start.
    checked: Mutex<HashSet<U256>>,
    /// The last failure of each task's step, so that one retried every poll is logged once.
    failing: HashMap<U256, String>,
    /// Whether the verification pressure has this compute worker checking results (drift).
    drifting: bool,
}

impl Worker {
    /// A worker acting for `account`.
    pub async fn new(
        account: Account,
        store: WorkerStore,
        blobs: StoreClient,
        runtime: Runtime,
        options: RunOptions,
    ) -> Result<Self, TaskError> {
        let escrow = Escrow::new(account.chain().rpc().clone(), account.chain().deployment());
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
            failing: HashMap::new(),
            drifting: false,
        })
    }

    /// Whether this worker checks proposed results now: a verifier, or a compute worker drifting.
    fn checks_results(&self) -> bool {
        self.options.roles.contains(RoleSet::VERIFY) || self.drifting
    }

    /// Reads the escrow's verification pressure and starts or stops drifting by it.
    async fn update_drift(&mut self) -> Result<(), TaskError> {
        let Some(threshold) = self.options.drift_bps else { return Ok(()) };
        let call = TaskEscrow::pressureBpsCall {};
        let pressure = self.escrow.rpc().view(self.escrow.address(), call).await?;
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
            self.tick().await?;
            if *shutdown.borrow() {
                break;
            }
        }
        tracing::info!("worker stopped");
        Ok(())
    }

    /// Watches the tasks an event says concern this worker.
    fn on_log(&mut self, log: &Log) -> Result<(), TaskError> {
        let Ok(event) = TaskEscrowEvents::decode_log(&log.inner) else { return Ok(()) };
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
            TaskEscrowEvents::ResultProposed(e) if self.checks_results() => (
                e.taskId,
                if self.drifting { "a result to check (drift)" } else { "a result to check" },
            ),
            _ => return Ok(()),
        };
        tracing::info!(%task, why, "watching task");
        Ok(self.store.watch(task)?)
    }

    /// Works on every watched task, up to `concurrency` at once (each mostly waits for the chain);
    /// one task's failure is logged and retried at the next poll. Settled tasks are forgotten after
    /// one claim of everything they paid.
    async fn tick(&mut self) -> Result<(), TaskError> {
        let this = &*self;
        let outcomes: Vec<(U256, Result<bool, TaskError>)> =
            futures_util::stream::iter(self.store.watched()?)
                .map(|task| async move { (task, this.work_on(task).await) })
                .buffer_unordered(self.options.concurrency.max(1))
                .collect()
                .await;
        let settled: Vec<U256> = outcomes
            .iter()
            .filter_map(|(task, o)| matches!(o, Ok(true)).then_some(*task))
            .collect();
        if !settled.is_empty() {
            self.claim().await?;
            for id in settled {
                self.store.forget(id)?;
                lock(&self.refused).remove(&id);
                lock(&self.checked).remove(&id);
                tracing::info!(task = %id, "task settled; no longer watched");
            }
        }
        for (task, outcome) in outcomes {
            match outcome {
                Ok(_) => {
                    self.failing.remove(&task);
                }
                Err(error) => {
                    let message = error.to_string();
                    if self.failing.get(&task) == Some(&message) {
                        tracing::debug!(%task, %error, "task step failed again");
                    } else {
                        tracing::warn!(%task, %error, "task step failed; trying again every poll");
                        self.failing.insert(task, message);
                    }
                }
            }
        }
        Ok(())
    }

    /// Does what `id` needs from this worker now; returns whether the task is settled.
    #[tracing::instrument(skip_all, fields(task = %id))]
    async fn work_on(&self, id: U256) -> Result<bool, TaskError> {
        let task = self.escrow.task(id).await?;
        let now = self.escrow.rpc().latest_timestamp().await?;
        match task.status {
            TaskStatus::Assigned if self.options.roles.contains(RoleSet::COMPUTE) => {
                self.compute(&task, now).await?
            }
            TaskStatus::Proposed if self.checks_results() => {
                self.check_proposed(&task, now).await?
            }
            TaskStatus::Reviewing => self.vote(&task, now).await?,
            _ => {}
        }
        let task = self.escrow.task(id).await?;
        let sender = self.account.sender();
        Ok(match due(&task, now, self.reveal_window) {
            Some(step) => {
                take(sender, self.escrow.address(), id, step).await?;
                self.escrow.task(id).await?.status == TaskStatus::Settled
            }
            None => task.status == TaskStatus::Settled,
        })
    }

    /// Claims whatever the escrow owes this worker.
    async fn claim(&self) -> Result<(), TaskError> {
        if self.escrow.claimable(self.me()).await?.is_zero() {
            return Ok(());
        }
        let call = TaskEscrow::claimCall {};
        let receipt = self.account.sender().call(self.escrow.address(), call).await?;
        if let Some(claimed) = receipt.decoded_log::<TaskEscrow::Claimed>() {
            tracing::info!(amount = %claimed.amount, "payout claimed");
        }
        Ok(())
    }
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
}
