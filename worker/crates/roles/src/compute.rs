//! The compute role: answer an assigned seat — LIGHT by `submitResult`, REDUNDANT/DEEP by commit
//! and reveal, with the salt and committed output stored before the commitment is sent. Each
//! returns the calls to send; the worker sends a poll's calls together.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolValue,
};
use verigrad_contracts::{
    ChainError, EscrowCall, Seat, SeatState,
    TaskEscrow::{self, TaskEscrowCalls},
    TaskState, Tier,
};

use super::Worker;
use verigrad_task::{PendingResult, STEP_GAS, TaskError, lock};

impl Worker {
    /// What this worker's seat in `task` (status Assigned) needs now.
    pub(super) async fn compute(
        &self,
        task: &TaskState,
        seats: &[Seat],
        input: Option<B256>,
        now: u64,
    ) -> Result<Vec<EscrowCall>, TaskError> {
        let me = self.me();
        let Some(seat) = seats.iter().find(|s| s.worker == me) else { return Ok(Vec::new()) };
        let open = now < task.until;
        let call = match seat.state {
            SeatState::Assigned if open && !lock(&self.refused).contains(&task.id) => {
                let input = input.ok_or_else(|| missing_input(task))?;
                let answered = if task.tier == Tier::LIGHT {
                    self.submit_result(task, input).await
                } else {
                    self.commit(task, input).await
                };
                match answered {
                    Err(error) if error.is_permanent() => {
                        tracing::error!(
                            task = %task.id, %error,
                            "not answering this task: this worker cannot run it"
                        );
                        lock(&self.refused).insert(task.id);
                        None
                    }
                    other => Some(other?),
                }
            }
            // Reveals open once every seat committed, or at the commit deadline.
            SeatState::Committed if task.commits == task.redundancy || !open => {
                self.reveal(task)?
            }
            _ => None,
        };
        Ok(call.into_iter().collect())
    }

    async fn submit_result(&self, task: &TaskState, input: B256) -> Result<EscrowCall, TaskError> {
        let output = self.produce(task, input).await?;
        Ok(EscrowCall::new(
            task.id,
            TaskEscrow::submitResultCall { taskId: task.id, outputHash: output },
        ))
    }

    /// Commits to the output. The output and salt are stored first, so a commitment that reached the
    /// chain can always be revealed; a crash before the commit landed sends the same one again.
    async fn commit(&self, task: &TaskState, input: B256) -> Result<EscrowCall, TaskError> {
        let pending = match self.pending(task.id)? {
            Some(pending) => pending,
            None => {
                let output_hash = self.produce(task, input).await?;
                let pending = PendingResult { output_hash, commit_tx: None, reveal_tx: None };
                self.store.salt(task.id)?;
                self.store.record(task.id, &pending)?;
                pending
            }
        };
        let salt = self.store.salt(task.id)?;
        let commitment = commitment(pending.output_hash, salt, self.me());
        Ok(EscrowCall::new(task.id, TaskEscrow::commitCall { taskId: task.id, commitment }))
    }

    fn reveal(&self, task: &TaskState) -> Result<Option<EscrowCall>, TaskError> {
        let Some(pending) = self.pending(task.id)? else {
            tracing::error!(task = %task.id, "committed, but the output and salt are not in the store: cannot reveal");
            return Ok(None);
        };
        let salt = self.store.salt(task.id)?;
        let call =
            TaskEscrow::revealCall { taskId: task.id, outputHash: pending.output_hash, salt };
        Ok(Some(EscrowCall::new(task.id, call)))
    }

    /// Notes in the store that a commit or reveal of this worker was mined in `tx`.
    pub(super) fn record_sent(&self, call: &EscrowCall, tx: B256) -> Result<(), TaskError> {
        let Some(mut pending) = self.pending(call.task)? else { return Ok(()) };
        let done = match call.call {
            TaskEscrowCalls::commit(_) => {
                pending.commit_tx = Some(tx);
                "committed"
            }
            TaskEscrowCalls::reveal(_) => {
                pending.reveal_tx = Some(tx);
                "revealed"
            }
            _ => return Ok(()),
        };
        self.store.record(call.task, &pending)?;
        tracing::info!(task = %call.task, output = %pending.output_hash, %tx, "{done}");
        Ok(())
    }

    fn pending(&self, task: U256) -> Result<Option<PendingResult>, TaskError> {
        Ok(self.store.pending()?.into_iter().find(|(id, _)| *id == task).map(|(_, p)| p))
    }

    /// Sends one call to the escrow on its own; `None` when the seat or task had already moved on.
    pub(super) async fn send<C: alloy::sol_types::SolCall>(
        &self,
        call: C,
        task: U256,
    ) -> Result<Option<B256>, TaskError> {
        let sender = self.account.sender();
        match sender.call_with_min_gas(self.escrow.address(), call, STEP_GAS).await {
            Ok(receipt) => Ok(Some(receipt.transaction_hash)),
            Err(error) if error.is_lost_race() => {
                tracing::debug!(%task, %error, "already done");
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }
}

fn missing_input(task: &TaskState) -> TaskError {
    ChainError::MissingEvent {
        event: "TaskCreated",
        context: format!("task {} in block {}", task.id, task.created_block),
    }
    .into()
}

/// The escrow's commitment: `keccak256(abi.encode(outputHash, salt, worker))`.
fn commitment(output_hash: B256, salt: B256, worker: Address) -> B256 {
    keccak256((output_hash, salt, worker).abi_encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_is_the_abi_encoding_of_three_words() {
        let (output, salt, worker) =
            (B256::repeat_byte(1), B256::repeat_byte(2), Address::repeat_byte(3));
        let mut words = Vec::new();
        words.extend_from_slice(output.as_slice());
        words.extend_from_slice(salt.as_slice());
        words.extend_from_slice(B256::left_padding_from(worker.as_slice()).as_slice());
        assert_eq!(commitment(output, salt, worker), keccak256(words));
    }
}
