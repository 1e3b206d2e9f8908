//! The verify role: committee votes by re-execution, and challenges of wrong LIGHT results.

use alloy::primitives::U256;

use super::Worker;
use crate::{
    bindings::TaskEscrow,
    policy::Tier,
    sync::lock,
    task::{SeatState, TaskError, TaskState},
};

impl Worker {
    /// Re-executes a proposed LIGHT result of a model this worker serves (never its own) and
    /// challenges it, posting the bond, if it disagrees.
    pub(super) async fn check_proposed(&self, task: &TaskState, now: u64) -> Result<(), TaskError> {
        if task.tier != Tier::Light || now >= task.until || lock(&self.checked).contains(&task.id) {
            return Ok(());
        }
        let served = self.runtime.ids().any(|id| id == task.model);
        let seats = self.escrow.seats(task).await?;
        let Some(seat) = seats.first() else { return Ok(()) };
        if !served || seat.worker == self.me() {
            lock(&self.checked).insert(task.id);
            return Ok(());
        }
        let (mine, determinism) = match self.execute(task).await {
            Ok(executed) => executed,
            Err(error) if error.is_permanent() => {
                // Without our own answer we can prove nothing.
                tracing::warn!(task = %task.id, %error, "cannot re-execute the result; not challenging");
                lock(&self.checked).insert(task.id);
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        lock(&self.checked).insert(task.id);
        if self.accepts(determinism, &mine, seat.hash).await {
            tracing::info!(task = %task.id, output = %seat.hash, "result checked: correct");
            return Ok(());
        }
        let bond = self
            .escrow
            .rpc()
            .view(self.escrow.address(), TaskEscrow::challengeBondCall { taskId: task.id })
            .await?;
        tracing::warn!(task = %task.id, worker = %seat.worker, output = %seat.hash, %bond, "wrong result: challenging");
        self.account.approve(self.escrow.address(), U256::from(bond)).await?;
        self.send(TaskEscrow::challengeCall { taskId: task.id }, task.id).await?;
        Ok(())
    }

    /// Votes in a review this worker sits on: seat i is accepted when its revealed output agrees
    /// with this worker's own execution.
    pub(super) async fn vote(&self, task: &TaskState, now: u64) -> Result<(), TaskError> {
        let me = self.me();
        if now >= task.until {
            return Ok(());
        }
        let committee = self.escrow.committee(task).await?;
        if !committee.iter().any(|&(member, voted)| member == me && !voted) {
            return Ok(());
        }
        let mask = match self.execute(task).await {
            Ok((mine, determinism)) => {
                let mut mask = 0u8;
                for (i, seat) in self.escrow.seats(task).await?.iter().enumerate() {
                    let revealed = matches!(seat.state, SeatState::Revealed | SeatState::Faulty);
                    if revealed && self.accepts(determinism, &mine, seat.hash).await {
                        mask |= 1 << i;
                    }
                }
                mask
            }
            // An input that cannot run has no correct output: no seat is accepted.
            Err(error) if error.is_permanent() => {
                tracing::warn!(task = %task.id, %error, "the task cannot be executed; rejecting every seat");
                0
            }
            Err(error) => return Err(error),
        };
        if self
            .send(TaskEscrow::voteCall { taskId: task.id, acceptMask: mask }, task.id)
            .await?
            .is_some()
        {
            tracing::info!(task = %task.id, accept_mask = format!("{mask:#b}"), "voted");
        }
        Ok(())
    }
}
