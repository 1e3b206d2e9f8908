//! The verify role: committee votes by re-execution, committed then revealed, and challenges of
//! wrong LIGHT results.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::{SolCall, SolValue},
};
use verigrad_contracts::{EscrowCall, Member, Seat, SeatState, TaskEscrow, TaskState, VoteState};

use super::{Worker, execute::Answer};
use verigrad_task::{TaskError, lock};

impl Worker {
    /// Re-executes a proposed result of a model this worker serves — a LIGHT seat's, or a REDUNDANT
    /// quorum's (a colluding majority outvotes the honest minority, so the quorum is no proof) — on a
    /// task it holds no seat of, and challenges it, posting the bond, if it disagrees; returns whether
    /// it challenged. The challenge goes out on its own: it needs the bond approved first.
    pub(super) async fn check_proposed(
        &self,
        task: &TaskState,
        seats: &[Seat],
        input: Option<B256>,
        now: u64,
    ) -> Result<bool, TaskError> {
        if now >= task.until || lock(&self.checked).contains(&task.id) {
            return Ok(false);
        }
        let served = self.runtime.holds(task.model);
        // The proposed output: the LIGHT seat's, or the first seat of the quorum (the minority is
        // marked faulty at the tally).
        let proposed = seats.iter().find(|s| s.state == SeatState::Revealed);
        let (Some(seat), Some(input)) = (proposed, input) else { return Ok(false) };
        if !served || seats.iter().any(|s| s.worker == self.me()) {
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
        tracing::warn!(task = %task.id, worker = %seat.worker, output = %seat.hash, "wrong result: challenging");
        self.send_bonded(TaskEscrow::challengeCall { taskId: task.id }, task.id).await
    }

    /// Approves the escrow to take the task's bond (`challengeBond`: a challenge's and an appeal's)
    /// and sends `call`, which posts it; returns whether it went through.
    pub(super) async fn send_bonded<C: SolCall>(
        &self,
        call: C,
        task: U256,
    ) -> Result<bool, TaskError> {
        let bond = self.escrow.challenge_bond(task).await?;
        tracing::info!(%task, %bond, "posting the bond");
        self.account.approve(self.escrow.address(), bond).await?;
        Ok(self.send(call, task).await?.is_some())
    }

    /// This worker's next move in a review it sits on: in the vote window, a commitment to its vote
    /// (seat i accepted when its revealed output agrees with this worker's own answer, a rejected
    /// input included), stored with its salt before it is sent; once reveals open, the reveal of
    /// what it committed.
    pub(super) async fn vote(
        &self,
        task: &TaskState,
        seats: &[Seat],
        committee: &[Member],
        input: Option<B256>,
        now: u64,
    ) -> Result<Option<EscrowCall>, TaskError> {
        let me = self.me();
        let Some(member) = committee.iter().find(|m| m.verifier == me) else {
            return Ok(None);
        };
        let all_committed = task.vote_commits == task.current_committee().1;
        match member.state {
            VoteState::None if now < task.until && !all_committed => {
                let Some(input) = input else { return Ok(None) };
                let mask = self.store.vote(task.id, self.judge(task, seats, input).await?)?;
                let salt = self.store.salt(task.id)?;
                tracing::info!(task = %task.id, accept_mask = format!("{mask:#b}"), "committing a vote");
                let commitment = vote_commitment(mask, salt, me);
                Ok(Some(EscrowCall::new(
                    task.id,
                    TaskEscrow::commitVoteCall { taskId: task.id, commitment },
                )))
            }
            VoteState::Committed if all_committed || now >= task.until => {
                let Some(mask) = self.store.stored_vote(task.id)? else {
                    tracing::error!(task = %task.id, "committed a vote that is not in the store: cannot reveal");
                    return Ok(None);
                };
                let salt = self.store.salt(task.id)?;
                tracing::info!(task = %task.id, accept_mask = format!("{mask:#b}"), "revealing the vote");
                Ok(Some(EscrowCall::new(
                    task.id,
                    TaskEscrow::revealVoteCall { taskId: task.id, acceptMask: mask, salt },
                )))
            }
            _ => Ok(None),
        }
    }

    /// The accept mask this worker's own execution gives the revealed seats.
    pub(super) async fn judge(
        &self,
        task: &TaskState,
        seats: &[Seat],
        input: B256,
    ) -> Result<u8, TaskError> {
        match self.execute(task, input).await {
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
                Ok(mask)
            }
            // This worker cannot run the model: it cannot vouch for any seat.
            Err(error) if error.is_permanent() => {
                tracing::warn!(task = %task.id, %error, "the task cannot be executed here; accepting no seat");
                Ok(0)
            }
            Err(error) => Err(error),
        }
    }
}

/// The escrow's vote commitment: `keccak256(abi.encode(acceptMask, salt, member))`.
fn vote_commitment(mask: u8, salt: B256, member: Address) -> B256 {
    keccak256((U256::from(mask), salt, member).abi_encode())
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256};

    use super::*;

    #[test]
    fn the_vote_commitment_is_the_escrows() {
        // keccak256(abi.encode(uint8(5), bytes32(uint256(100)), 0x…01)), as `test/utils/EscrowFixture.sol`'s
        // `_voteCommitment` computes it.
        let member = address!("0000000000000000000000000000000000000001");
        let salt = b256!("0000000000000000000000000000000000000000000000000000000000000064");
        let expected = keccak256(
            [
                U256::from(5).to_be_bytes::<32>().as_slice(),
                salt.as_slice(),
                B256::left_padding_from(member.as_slice()).as_slice(),
            ]
            .concat(),
        );
        assert_eq!(vote_commitment(5, salt, member), expected);
    }
}
