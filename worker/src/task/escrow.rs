//! Typed reads of the task escrow.

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::Filter,
    sol_types::SolEvent,
};

use super::TaskError;
use crate::{
    bindings::TaskEscrow::{self, TaskView},
    chain::{ChainError, Result, Rpc},
    deployment::Deployment,
    policy::Tier,
};

/// A task's stored record, with the numbers in plain integer types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    /// The task.
    pub id: U256,
    /// Who pays.
    pub requester: Address,
    /// The fee escrowed (the max fee before assignment).
    pub fee: U256,
    /// The model release.
    pub model: B256,
    /// Deadline of the current phase (unix seconds).
    pub until: u64,
    /// The block it was created in.
    pub created_block: u64,
    /// The block whose hash its next draw reads (seats, audit lottery or committee); 0 when none is
    /// pending. The draw can happen from the block after it.
    pub anchor: u64,
    /// Where it is in its lifecycle.
    pub status: TaskStatus,
    /// Its protocol path (LIGHT until assigned).
    pub tier: Tier,
    /// Compute seats.
    pub redundancy: u8,
    /// Commits so far.
    pub commits: u8,
    /// Committee seats (0 until the committee is drawn).
    pub committee_size: u8,
    /// Committee members that committed their vote.
    pub vote_commits: u8,
    /// The part of the fee paid into the review fund at assignment; never refunded.
    pub reserve: U256,
    /// The model's determinism class (0 EXACT, 1 TOLERANCE), fixed at assignment.
    pub determinism: u8,
    /// Who challenged the proposed result, or zero.
    pub challenger: Address,
    /// Where the appeal of its review stands.
    pub appeal: AppealStage,
    /// The appeal committee's size (0 until drawn); its members sit at `APPEAL_SEATS + i`.
    pub appeal_size: u8,
}

/// Where an appeal committee's seats start in `committeeSeat` (the escrow's own numbering).
pub(crate) const APPEAL_SEATS: u8 = 8;

/// A committee seat: who sits on it, where its vote stands, and the vote once revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The verifier.
    pub verifier: Address,
    /// Where its vote stands.
    pub state: VoteState,
    /// Its revealed vote: bit i set when it accepts seat i (0 until revealed).
    pub accept_mask: u8,
}

/// `ITaskEscrow.AppealStage`: where the appeal of a task's review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealStage {
    /// No appeal window: no review decided against a party yet.
    None,
    /// A first decision against a party waits out its appeal window (`until`).
    Open,
    /// Appealed: a larger committee reviews, and its decision is final.
    Appealed,
}

impl TryFrom<u8> for AppealStage {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(Self::None),
            1 => Ok(Self::Open),
            2 => Ok(Self::Appealed),
            _ => Err(format!("appeal stage {value} is unknown")),
        }
    }
}

impl TaskState {
    /// The committee now reviewing: its first seat index and its size — the appeal committee's
    /// once an appeal was made, else the first committee's.
    pub fn current_committee(&self) -> (u8, u8) {
        match self.appeal {
            AppealStage::Appealed => (APPEAL_SEATS, self.appeal_size),
            _ => (0, self.committee_size),
        }
    }

    pub(super) fn from_view(id: U256, t: &TaskView) -> Result<Self> {
        let invalid = |what: String| ChainError::Decode {
            op: "getTask",
            source: alloy::sol_types::Error::custom(what),
        };
        Ok(Self {
            id,
            requester: t.requester,
            fee: U256::from(t.fee),
            model: t.modelId,
            until: t.until.to(),
            created_block: t.createdBlock.into(),
            anchor: t.anchor.into(),
            status: TaskStatus::try_from(t.status).map_err(invalid)?,
            tier: Tier::try_from(t.tier).map_err(invalid)?,
            redundancy: t.redundancy,
            commits: t.commits,
            committee_size: t.committeeSize,
            vote_commits: t.voteCommits,
            reserve: U256::from(t.reserve),
            determinism: t.determinism,
            challenger: t.challenger,
            appeal: AppealStage::try_from(t.appeal).map_err(invalid)?,
            appeal_size: t.appealSize,
        })
    }
}

/// Lifecycle of a task (Solidity `TaskStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskStatus {
    /// No such task.
    None,
    /// Fee escrowed; waiting for `assign` in a later block.
    Created,
    /// Workers drawn; waiting for results (LIGHT) or commits and reveals.
    Assigned,
    /// A result is proposed; the challenge window runs.
    Proposed,
    /// A verifier committee is re-executing.
    Reviewing,
    /// Outcome fixed, faults slashed.
    Finalized,
    /// Payments and refunds credited.
    Settled,
}

impl TryFrom<u8> for TaskStatus {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        const ALL: [TaskStatus; 7] = [
            TaskStatus::None,
            TaskStatus::Created,
            TaskStatus::Assigned,
            TaskStatus::Proposed,
            TaskStatus::Reviewing,
            TaskStatus::Finalized,
            TaskStatus::Settled,
        ];
        ALL.get(usize::from(value))
            .copied()
            .ok_or_else(|| format!("task status {value} is unknown"))
    }
}

/// `ITaskEscrow.SeatState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatState {
    /// No seat.
    Empty,
    /// Drawn, nothing sent yet.
    Assigned,
    /// Committed to an output.
    Committed,
    /// Output revealed (or submitted, in LIGHT).
    Revealed,
    /// Accepted at finality.
    Accepted,
    /// Proven wrong or silent.
    Faulty,
}

/// `ITaskEscrow.VoteState`: where a committee member's vote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteState {
    /// Nothing sent yet.
    None,
    /// Committed to a vote.
    Committed,
    /// Vote revealed.
    Revealed,
}

impl TryFrom<u8> for VoteState {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(Self::None),
            1 => Ok(Self::Committed),
            2 => Ok(Self::Revealed),
            _ => Err(format!("vote state {value} is unknown")),
        }
    }
}

/// A compute seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    /// Its worker.
    pub worker: Address,
    /// How far it got.
    pub state: SeatState,
    /// The commitment, then the output hash once revealed.
    pub hash: B256,
}

/// The escrow of a deployment, read through one node.
#[derive(Debug, Clone)]
pub struct Escrow {
    rpc: Rpc,
    address: Address,
}

impl Escrow {
    /// The escrow of `deployment`.
    pub fn new(rpc: Rpc, deployment: &Deployment) -> Self {
        Self { rpc, address: deployment.task_escrow }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The node connection.
    pub fn rpc(&self) -> &Rpc {
        &self.rpc
    }

    /// A task's record.
    pub async fn task(&self, id: U256) -> Result<TaskState> {
        let view = self.rpc.view(self.address, TaskEscrow::getTaskCall { taskId: id }).await?;
        TaskState::from_view(id, &view)
    }

    /// The task's compute seats, in seat order.
    pub async fn seats(&self, task: &TaskState) -> Result<Vec<Seat>> {
        let mut seats = Vec::with_capacity(task.redundancy.into());
        for index in 0..task.redundancy {
            let call = TaskEscrow::seatCall { taskId: task.id, index: U256::from(index) };
            let seat = self.rpc.view(self.address, call).await?;
            seats.push(Seat {
                worker: seat.worker,
                state: seat_state(seat.state),
                hash: seat.hash,
            });
        }
        Ok(seats)
    }

    /// The reveal window of the escrow's parameters, in seconds.
    pub async fn reveal_window(&self) -> Result<u64> {
        let params = self.rpc.view(self.address, TaskEscrow::paramsCall {}).await?;
        Ok(params.revealWindow.to())
    }

    /// What `account` may claim.
    pub async fn claimable(&self, account: Address) -> Result<U256> {
        self.rpc.view(self.address, TaskEscrow::claimableCall { account }).await
    }

    /// The accepted output of a finalized task, if any.
    pub async fn result_of(&self, id: U256) -> Result<Option<B256>> {
        let hash = self.rpc.view(self.address, TaskEscrow::resultOfCall { taskId: id }).await?;
        Ok(Some(hash).filter(|h| !h.is_zero()))
    }

    /// The max fee the requester escrowed at creation, from its `TaskCreated` event.
    pub async fn max_fee(&self, task: &TaskState) -> Result<U256, TaskError> {
        Ok(U256::from(self.created(task).await?.maxFee))
    }

    /// The task's `TaskCreated` event, read from its creation block only.
    async fn created(&self, task: &TaskState) -> Result<TaskEscrow::TaskCreated, TaskError> {
        let filter = Filter::new()
            .address(self.address)
            .event_signature(TaskEscrow::TaskCreated::SIGNATURE_HASH)
            .topic1(B256::from(task.id))
            .from_block(task.created_block)
            .to_block(task.created_block);
        let logs = self.rpc.logs(&filter).await?;
        let log = logs.first().ok_or_else(|| TaskError::MissingEvent {
            event: "TaskCreated",
            context: format!("task {} in block {}", task.id, task.created_block),
        })?;
        let created = TaskEscrow::TaskCreated::decode_log(&log.inner)
            .map_err(|source| ChainError::Decode { op: "TaskCreated", source })?;
        Ok(created.data)
    }
}

pub(super) fn seat_state(raw: u8) -> SeatState {
    match raw {
        1 => SeatState::Assigned,
        2 => SeatState::Committed,
        3 => SeatState::Revealed,
        4 => SeatState::Accepted,
        5 => SeatState::Faulty,
        _ => SeatState::Empty,
    }
}
