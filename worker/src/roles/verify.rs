//! The verify role: committee votes by re-execution, and challenges of wrong LIGHT results.

use alloy::primitives::{Address, B256, U256};

use super::{Worker, execute::Answer};
use crate::{
    bindings::TaskEscrow,
    policy::Tier,
    sync::lock,
    task::{EscrowCall, Seat, SeatState, TaskError, TaskState},
};

impl Worker {
    /// Re-executes a proposed LIGHT result of a model this worker serves (never its own) and
    /// challenges it, posting the bond, if it disagrees; returns whether it challenged. The
    /// challenge goes out on its own: it needs the bond approved first.
    pub(super) async fn check_proposed(
        &self,
        task: &TaskState,
        seats: &[Seat],
        input: Option<B256>,
        now: u64,
    ) -> Result<bool, TaskError> {
        if task.tier != Tier::Light || now >= task.until || lock(&self.checked).contains(&task.id) {
            return Ok(false);
        }
        let served = self.runtime.ids().any(|id| id == task.model);
        let (Some(seat), Some(input)) = (seats.first(), input) else { return Ok(false) };
        if !served || seat.worker == self.me() {
            lock(&self.checked).insert(task.id);
            return Ok(false);
        }
        let mine = match self.execute(task, input).await {
            Ok(answer) => answer,
            Err(error) if error.is_permanent() => {
                // Without our own answer we can prove nothing.
                tracing::warn!(task = %task.id, %error, "cannot re-execute the result; not challenging");
                lock(&self.checked).insert(task.id);
                return Ok(false);
            }
            Err(error) => return Err(error),
        };
        lock(&self.checked).insert(task.id);
        if self.accepts(&mine, seat.hash).await {
            tracing::info!(task = %task.id, output = %seat.hash, "result checked: correct");
            return Ok(false);
        }
        let bond = self
            .escrow
            .rpc()
            .view(self.escrow.address(), TaskEscrow::challengeBondCall { taskId: task.id })
            .await?;
        tracing::warn!(task = %task.id, worker = %seat.worker, output = %seat.hash, %bond, "wrong result: challenging");
        self.account.approve(self.escrow.address(), U256::from(bond)).await?;
        Ok(self.send(TaskEscrow::challengeCall { taskId: task.id }, task.id).await?.is_some())
    }

    /// The vote of this worker in a review it sits on and has not voted in: seat i is accepted when
    /// its revealed output agrees with this worker's own answer (a rejected input included).
    pub(super) async fn vote(
        &self,
        task: &TaskState,
        seats: &[Seat],
        committee: &[(Address, bool)],
        input: Option<B256>,
        now: u64,
    ) -> Result<Option<EscrowCall>, TaskError> {
        let me = self.me();
        if now >= task.until || !committee.iter().any(|&(member, voted)| member == me && !voted) {
            return Ok(None);
        }
        let Some(input) = input else { return Ok(None) };
        let mask = match self.execute(task, input).await {
            Ok(mine) => {
                if let Answer::Rejected(reason) = &mine {
                    tracing::info!(task = %task.id, %reason, "the input cannot run: accepting only rejections");
                }
                let mut mask = 0u8;
                for (i, seat) in seats.iter().enumerate() {
                    let revealed = matches!(seat.state, SeatState::Revealed | SeatState::Faulty);
                    if revealed && self.accepts(&mine, seat.hash).await {
                        mask |= 1 << i;
                    }
                }
                mask
            }
            // This worker cannot run the model: it cannot vouch for any seat.
            Err(error) if error.is_permanent() => {
                tracing::warn!(task = %task.id, %error, "the task cannot be executed here; accepting no seat");
                0
            }
            Err(error) => return Err(error),
        };
        tracing::info!(task = %task.id, accept_mask = format!("{mask:#b}"), "voting");
        Ok(Some(EscrowCall::new(
            task.id,
            &TaskEscrow::voteCall { taskId: task.id, acceptMask: mask },
        )))
    }
}
