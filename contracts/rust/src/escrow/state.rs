//! A task's record as the escrow stores it, with the numbers in plain integer types.

use alloy::primitives::{Address, B256, U256};

use crate::{
    AppealStage, DeterminismClass, SeatState, TaskStatus, Tier, VoteState,
    bindings::TaskEscrow::TaskView,
    error::{ChainError, Result},
};

/// A task's stored record.
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
    /// The model's determinism class, fixed at assignment.
    pub determinism: DeterminismClass,
    /// Who challenged the proposed result, or zero.
    pub challenger: Address,
    /// Where the appeal of its review stands.
    pub appeal: AppealStage,
    /// The appeal committee's size (0 until drawn); its members sit at `APPEAL_SEATS + i`.
    pub appeal_size: u8,
}

/// Where an appeal committee's seats start in `committeeSeat` (the escrow's own numbering).
pub const APPEAL_SEATS: u8 = 8;

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

impl TaskState {
    /// The committee now reviewing: its first seat index and its size — the appeal committee's
    /// once an appeal was made, else the first committee's.
    pub fn current_committee(&self) -> (u8, u8) {
        match self.appeal {
            AppealStage::Appealed => (APPEAL_SEATS, self.appeal_size),
            _ => (0, self.committee_size),
        }
    }

    /// The record of task `id` from its `getTask` view (decoded with validation, so that its enums
    /// hold known values).
    pub(crate) fn from_view(id: U256, t: &TaskView) -> Result<Self> {
        Ok(Self {
            id,
            requester: t.requester,
            fee: U256::from(t.fee),
            model: t.modelId,
            until: t.until.to(),
            created_block: t.createdBlock.into(),
            anchor: t.anchor.into(),
            status: t.status,
            tier: t.tier,
            redundancy: t.redundancy,
            commits: t.commits,
            committee_size: t.committeeSize,
            vote_commits: t.voteCommits,
            reserve: U256::from(t.reserve),
            determinism: DeterminismClass::try_from(t.determinism)
                .map_err(|source| ChainError::Decode { op: "getTask", source })?,
            challenger: t.challenger,
            appeal: t.appeal,
            appeal_size: t.appealSize,
        })
    }
}
