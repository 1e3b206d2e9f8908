//! The compute role: answer an assigned seat — LIGHT by `submitResult`, REDUNDANT/DEEP by commit
//! and reveal, with the salt and committed output stored before the commitment is sent.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolValue,
};

use super::Worker;
use crate::{
    bindings::TaskEscrow,
    policy::Tier,
    store::PendingResult,
    sync::lock,
    task::{STEP_GAS, SeatState, TaskError, TaskState, lost_race},
};

impl Worker {
    /// Does what this worker's seat in `task` (status Assigned) needs now.
    pub(super) async fn compute(&self, task: &TaskState, now: u64) -> Result<(), TaskError> {
        let me = self.me();
        let seats = self.escrow.seats(task).await?;
        let Some(seat) = seats.iter().find(|s| s.worker == me) else { return Ok(()) };
        let open = now < task.until;
        match seat.state {
            SeatState::Assigned if open && !lock(&self.refused).contains(&task.id) => {
                let answered = if task.tier == Tier::Light {
                    self.submit_result(task).await
                } else {
                    self.commit(task).await
                };
                match answered {
                    Err(error) if error.is_permanent() => {
                        tracing::error!(
                            task = %task.id, %error,
                            "not answering this task: the deadline will refund the requester"
                        );
                        lock(&self.refused).insert(task.id);
                        Ok(())
                    }
                    other => other,
                }
            }
            SeatState::Committed => {
                // Reveals open once every seat committed, or at the commit deadline.
                let reveals_open = task.commits == task.redundancy || !open;
                if reveals_open { self.reveal(task).await } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    async fn submit_result(&self, task: &TaskState) -> Result<(), TaskError> {
        let output = self.produce(task).await?;
        let call = TaskEscrow::submitResultCall { taskId: task.id, outputHash: output };
        self.send(call, task.id).await?;
        tracing::info!(task = %task.id, %output, "result submitted");
        Ok(())
    }

    /// Commits to the output. The output and salt are stored first, so a commitment that reached the
    /// chain can always be revealed; a crash before the commit landed sends the same one again.
    async fn commit(&self, task: &TaskState) -> Result<(), TaskError> {
        let mut pending = match self.pending(task.id)? {
            Some(pending) => pending,
            None => {
                let output_hash = self.produce(task).await?;
                let pending = PendingResult { output_hash, commit_tx: None, reveal_tx: None };
                self.store.salt(task.id)?;
                self.store.record(task.id, &pending)?;
                pending
            }
        };
        let salt = self.store.salt(task.id)?;
        let commitment = commitment(pending.output_hash, salt, self.me());
        let call = TaskEscrow::commitCall { taskId: task.id, commitment };
        if let Some(tx) = self.send(call, task.id).await? {
            pending.commit_tx = Some(tx);
            self.store.record(task.id, &pending)?;
            tracing::info!(task = %task.id, output = %pending.output_hash, "committed");
        }
        Ok(())
    }

    async fn reveal(&self, task: &TaskState) -> Result<(), TaskError> {
        let Some(mut pending) = self.pending(task.id)? else {
            tracing::error!(task = %task.id, "committed, but the output and salt are not in the store: cannot reveal");
            return Ok(());
        };
        let salt = self.store.salt(task.id)?;
        let call =
            TaskEscrow::revealCall { taskId: task.id, outputHash: pending.output_hash, salt };
        if let Some(tx) = self.send(call, task.id).await? {
            pending.reveal_tx = Some(tx);
            self.store.record(task.id, &pending)?;
            tracing::info!(task = %task.id, output = %pending.output_hash, "revealed");
        }
        Ok(())
    }

    fn pending(&self, task: U256) -> Result<Option<PendingResult>, TaskError> {
        Ok(self.store.pending()?.into_iter().find(|(id, _)| *id == task).map(|(_, p)| p))
    }

    /// Sends a call to the escrow; `None` when the seat or task had already moved on.
    pub(super) async fn send<C: alloy::sol_types::SolCall>(
        &self,
        call: C,
        task: U256,
    ) -> Result<Option<B256>, TaskError> {
        let sender = self.account.sender();
        match sender.call_with_min_gas(self.escrow.address(), call, STEP_GAS).await {
            Ok(receipt) => Ok(Some(receipt.transaction_hash)),
            Err(error) if lost_race(&error) => {
                tracing::debug!(%task, %error, "already done");
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }
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
