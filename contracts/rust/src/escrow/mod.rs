//! The task escrow's client: typed reads of tasks, seats and committees (many at once through the
//! escrow's `batch`), the protocol parameters, and batch transactions of escrow calls.

mod batch;
mod state;

use alloy::{
    primitives::{Address, B256, U256, aliases::U96},
    rpc::types::Filter,
    sol_types::SolEvent,
};

pub use batch::{BatchSent, EscrowCall};
pub use state::{APPEAL_SEATS, Member, Seat, TaskState};

use crate::{
    Tier,
    bindings::TaskEscrow::{self, TaskEscrowErrors},
    chain::Chain,
    error::{ChainError, Result},
    revert::Revert,
    rpc::Rpc,
};

/// The escrow of a deployment, read through one node.
#[derive(Debug, Clone)]
pub struct EscrowClient {
    rpc: Rpc,
    address: Address,
}

impl EscrowClient {
    /// The escrow at `address`.
    pub fn new(rpc: Rpc, address: Address) -> Self {
        Self { rpc, address }
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

    /// The escrow's protocol parameters.
    pub async fn params(&self) -> Result<TaskEscrow::Params> {
        self.rpc.view(self.address, TaskEscrow::paramsCall {}).await
    }

    /// The reveal window of the escrow's parameters, in seconds.
    pub async fn reveal_window(&self) -> Result<u64> {
        Ok(self.params().await?.revealWindow.to())
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

    /// The fee of a task of release `model` with `value` at risk and tier floor `floor`, charged
    /// with `worker` as its primary seat (the zero address: the least trusted worker, the most a
    /// task may cost).
    pub async fn quote(
        &self,
        model: B256,
        value: U96,
        floor: Tier,
        worker: Address,
    ) -> Result<U256> {
        Ok(U256::from(self.decision(model, value, floor, worker).await?.fee))
    }

    /// Everything `assign` would decide for such a task with `worker` as its primary: the policy's
    /// tier, redundancy and audit probability, the fee, and the collateral each compute seat locks
    /// (a worker whose free stake is below it is never drawn).
    pub async fn decision(
        &self,
        model: B256,
        value: U96,
        floor: Tier,
        worker: Address,
    ) -> Result<TaskEscrow::quoteReturn> {
        let call = TaskEscrow::quoteCall { modelId: model, value, floor, worker };
        self.rpc.view(self.address, call).await
    }

    /// The bond a challenge (or appeal) of task `id` posts, token wei.
    pub async fn challenge_bond(&self, id: U256) -> Result<U256> {
        let call = TaskEscrow::challengeBondCall { taskId: id };
        Ok(U256::from(self.rpc.view(self.address, call).await?))
    }

    /// The verification pressure, basis points: open reviews per registered verifier.
    pub async fn pressure_bps(&self) -> Result<u16> {
        self.rpc.view(self.address, TaskEscrow::pressureBpsCall {}).await
    }

    /// What the escrow owes (locked fees, bonds, unclaimed payouts), token wei: its token balance
    /// must equal it.
    pub async fn liabilities(&self) -> Result<U256> {
        self.rpc.view(self.address, TaskEscrow::liabilitiesCall {}).await
    }

    /// The task's `TaskCreated` event, read from its creation block only: what the requester paid
    /// in (`maxFee`) and the load premium the treasury took of it at once (`premium`).
    pub async fn created(&self, task: &TaskState) -> Result<TaskEscrow::TaskCreated> {
        let filter = Filter::new()
            .address(self.address)
            .event_signature(TaskEscrow::TaskCreated::SIGNATURE_HASH)
            .topic1(B256::from(task.id))
            .from_block(task.created_block)
            .to_block(task.created_block);
        let logs = self.rpc.logs(&filter).await?;
        let log = logs.first().ok_or_else(|| ChainError::MissingEvent {
            event: "TaskCreated",
            context: format!("task {} in block {}", task.id, task.created_block),
        })?;
        let created = TaskEscrow::TaskCreated::decode_log(&log.inner)
            .map_err(|source| ChainError::Decode { op: "TaskCreated", source })?;
        Ok(created.data)
    }
}

impl Chain {
    /// The task escrow.
    pub fn escrow(&self) -> EscrowClient {
        EscrowClient::new(self.rpc().clone(), self.deployment().task_escrow)
    }
}

impl TaskEscrowErrors {
    /// Whether the escrow refused a step because someone else acted first: the task or seat moved
    /// on, a draw was taken, or its anchor block is not yet mined on this node.
    pub fn is_lost_race(&self) -> bool {
        matches!(
            self,
            Self::WrongStatus(_)
                | Self::AlreadyActed(_)
                | Self::PhaseOpen(_)
                | Self::NoAuditPending(_)
                | Self::CommitteeAlreadyDrawn(_)
                | Self::AnchorPending(_)
        )
    }
}

impl TaskEscrowErrors {
    /// The current quote, if `createTask` refused the task because its max fee was below it
    /// (`FeeBelowQuote`): a cap of at least this is admitted now (the price moves with every task).
    pub fn refused_quote(&self) -> Option<U256> {
        match self {
            Self::FeeBelowQuote(refused) => Some(refused.quote),
            _ => None,
        }
    }
}

impl ChainError {
    /// The current quote, if `createTask` refused the task because its max fee was below it
    /// ([`TaskEscrowErrors::refused_quote`]).
    pub fn refused_quote(&self) -> Option<U256> {
        self.revert()?.as_error::<TaskEscrowErrors>()?.refused_quote()
    }
}

impl Revert {
    /// Whether an escrow call reverted because someone else acted first
    /// ([`TaskEscrowErrors::is_lost_race`]).
    pub fn is_lost_race(&self) -> bool {
        self.as_error::<TaskEscrowErrors>().is_some_and(|error| error.is_lost_race())
    }
}

impl ChainError {
    /// Whether an escrow call reverted because someone else acted first
    /// ([`TaskEscrowErrors::is_lost_race`]).
    pub fn is_lost_race(&self) -> bool {
        self.revert().is_some_and(Revert::is_lost_race)
    }
}
