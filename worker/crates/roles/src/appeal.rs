//! Appeals: a party to a task that a first committee decided against — a seat, or the challenger —
//! checks the decision against its own execution during the appeal window, and appeals to a larger
//! committee of strangers, posting the bond, when they differ.

use alloy::primitives::B256;
use verigrad_contracts::{Member, Seat, TaskEscrow, TaskState, VoteState};

use super::Worker;
use verigrad_task::{TaskError, lock};

impl Worker {
    /// In the appeal window of `task`'s first decision, once per task: appeals if this worker's own
    /// execution of the revealed seats disagrees with the decision; returns whether it appealed.
    /// A `--faulty` worker knows it lied and never appeals.
    pub(super) async fn appeal_if_wrong(
        &self,
        task: &TaskState,
        seats: &[Seat],
        committee: &[Member],
        input: Option<B256>,
        now: u64,
    ) -> Result<bool, TaskError> {
        let Some(input) = input else { return Ok(false) };
        if self.options.faulty || now >= task.until || lock(&self.appeal_checked).contains(&task.id)
        {
            return Ok(false);
        }
        let decided = decision(committee, seats.len());
        let mine = self.judge(task, seats, input).await?;
        lock(&self.appeal_checked).insert(task.id);
        if mine == decided {
            tracing::info!(task = %task.id, decided = format!("{decided:#b}"), "the review's decision agrees with ours");
            return Ok(false);
        }
        tracing::warn!(
            task = %task.id,
            decided = format!("{decided:#b}"),
            ours = format!("{mine:#b}"),
            "the review decided against our own execution: appealing"
        );
        self.send_bonded(TaskEscrow::appealCall { taskId: task.id }, task.id).await
    }
}

/// The committee's decision, as the escrow counts it: seat i is accepted when a strict majority of
/// the revealed votes accept it.
fn decision(committee: &[Member], seats: usize) -> u8 {
    let revealed: Vec<u8> = committee
        .iter()
        .filter(|m| m.state == VoteState::Revealed)
        .map(|m| m.accept_mask)
        .collect();
    (0..seats.min(8))
        .filter(|&i| {
            revealed.iter().filter(|&&mask| mask & (1 << i) != 0).count() * 2 > revealed.len()
        })
        .fold(0, |mask, i| mask | 1 << i)
}

#[cfg(test)]
mod tests {
    use alloy::primitives::Address;

    use super::*;

    fn member(state: VoteState, accept_mask: u8) -> Member {
        Member { verifier: Address::ZERO, state, accept_mask }
    }

    #[test]
    fn the_decision_is_the_strict_majority_of_revealed_votes() {
        let revealed = |mask| member(VoteState::Revealed, mask);
        assert_eq!(decision(&[revealed(0b1), revealed(0b1), revealed(0b0)], 1), 0b1);
        assert_eq!(decision(&[revealed(0b1), revealed(0b0), revealed(0b0)], 1), 0b0);
        // A tie is no majority; votes never revealed do not count.
        assert_eq!(
            decision(&[revealed(0b1), revealed(0b0), member(VoteState::Committed, 0)], 1),
            0
        );
        assert_eq!(decision(&[revealed(0b101), revealed(0b100), revealed(0b111)], 3), 0b101);
        assert_eq!(decision(&[], 3), 0);
    }
}
