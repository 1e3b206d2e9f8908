//! The permissionless steps of the lifecycle, which one a task is due for, and taking it.

use alloy::primitives::{Address, U256};
use verigrad_contracts::{
    AppealStage, ChainError, EscrowCall, Head, Result, TaskEscrow, TaskState, TaskStatus, Tier,
    TxSender,
};

/// A step anyone may take once its time has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Draw a created task's seats from its anchor block's hash.
    Assign,
    /// Draw a proposed result's audit lottery from its anchor block's hash.
    Audit,
    /// Draw a requested review's committee from its anchor block's hash.
    DrawCommittee,
    /// Tally a REDUNDANT/DEEP task whose reveal window ended without every reveal.
    CloseReveal,
    /// Close a committee review whose vote window ended.
    Resolve,
    /// Finalize after the challenge window, or after a missed deadline.
    Finalize,
    /// Credit a finalized task's payments and refunds.
    Settle,
}

impl Step {
    /// Whether the step draws from an anchor: anyone watching the task takes it, since a party that
    /// would lose by the draw could otherwise stall it.
    pub fn is_draw(self) -> bool {
        matches!(self, Self::Assign | Self::Audit | Self::DrawCommittee)
    }
}

/// The step `task` is due for at `head`, if any, mirroring the escrow's own checks so that a step
/// is sent only when it would succeed. A draw falls due in the block after its anchor.
pub fn due(task: &TaskState, head: Head, reveal_window: u64) -> Option<Step> {
    let passed = |deadline: u64| head.time >= deadline;
    let anchored = task.anchor != 0 && head.block > task.anchor;
    match task.status {
        TaskStatus::Created if passed(task.until) => Some(Step::Finalize),
        TaskStatus::Created => anchored.then_some(Step::Assign),
        TaskStatus::Assigned if task.tier == Tier::LIGHT => {
            passed(task.until).then_some(Step::Finalize)
        }
        TaskStatus::Assigned => {
            passed(reveal_end(task.commits, task.redundancy, task.until, reveal_window))
                .then_some(Step::CloseReveal)
        }
        // Finalize draws a pending audit lottery itself.
        TaskStatus::Proposed if passed(task.until) && (task.anchor == 0 || anchored) => {
            Some(Step::Finalize)
        }
        TaskStatus::Proposed => anchored.then_some(Step::Audit),
        // A committee to draw: the first one, or an appeal's.
        TaskStatus::Reviewing if task.anchor != 0 => anchored.then_some(Step::DrawCommittee),
        // A first decision against a party applies once its appeal window ends unappealed.
        TaskStatus::Reviewing if task.appeal == AppealStage::Open => {
            passed(task.until).then_some(Step::Resolve)
        }
        TaskStatus::Reviewing => {
            let (_, size) = task.current_committee();
            passed(reveal_end(task.vote_commits, size, task.until, reveal_window))
                .then_some(Step::Resolve)
        }
        TaskStatus::Finalized => Some(Step::Settle),
        _ => None,
    }
}

/// When a task that needs nothing now next falls due by time alone for a step other than its audit
/// draw: a proposed result's `until` (a timestamp), when it can be finalized — and finalize draws a
/// pending audit lottery itself, from the same anchor, so leaving the separate draw to whoever
/// wants the review early changes no outcome. Anything else that moves the task is a transaction,
/// which emits an event naming it. `None` for the other phases, which are read every poll.
pub fn quiet_until(task: &TaskState) -> Option<u64> {
    (task.status == TaskStatus::Proposed).then_some(task.until)
}

/// When the reveals of a commit–reveal phase (compute seats or committee votes) close, as the
/// escrow's `TaskReview.revealPhase`: once all `seats` committed, `until` is already the reveals'
/// end; otherwise reveals start at the commit deadline `until` and run for the reveal window.
fn reveal_end(commits: u8, seats: u8, until: u64, reveal_window: u64) -> u64 {
    if commits == seats { until } else { until + reveal_window }
}

/// Sends `step` for `task`. Returns false when another party took it first (the escrow answers
/// that the task moved on), which is no failure: anyone may take these steps.
pub async fn take(sender: &TxSender, escrow: Address, task: U256, step: Step) -> Result<bool> {
    let gas = STEP_GAS;
    let sent = match step {
        Step::Assign => {
            sender.call_with_min_gas(escrow, TaskEscrow::assignCall { taskId: task }, gas).await
        }
        Step::Audit => {
            sender.call_with_min_gas(escrow, TaskEscrow::auditCall { taskId: task }, gas).await
        }
        Step::DrawCommittee => {
            sender
                .call_with_min_gas(escrow, TaskEscrow::drawCommitteeCall { taskId: task }, gas)
                .await
        }
        Step::CloseReveal => {
            sender
                .call_with_min_gas(escrow, TaskEscrow::closeRevealCall { taskId: task }, gas)
                .await
        }
        Step::Resolve => {
            sender.call_with_min_gas(escrow, TaskEscrow::resolveCall { taskId: task }, gas).await
        }
        Step::Finalize => {
            sender.call_with_min_gas(escrow, TaskEscrow::finalizeCall { taskId: task }, gas).await
        }
        Step::Settle => {
            sender.call_with_min_gas(escrow, TaskEscrow::settleCall { taskId: task }, gas).await
        }
    };
    match sent {
        Ok(_) => {
            tracing::info!(%task, ?step, "step taken");
            Ok(true)
        }
        Err(error) if error.is_lost_race() => {
            tracing::debug!(%task, ?step, %error, "step already taken");
            Ok(false)
        }
        // The estimate passed, so the step was due; reverting once mined means another party's
        // transaction took it in the same or an earlier block.
        Err(ChainError::TxReverted { hash, .. }) => {
            tracing::debug!(%task, ?step, %hash, "step taken by another transaction first");
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// Gas limit floor of the escrow calls that may close a phase (tally, review, slashes, payments):
/// what they do depends on the calls before them in the block, which the estimate did not see.
pub const STEP_GAS: u64 = 1_500_000;

/// The calls that take `step` on `task`: a step that finalizes is followed by the settlement, which
/// then runs in the same transaction.
pub fn step_calls(task: U256, step: Step) -> Vec<EscrowCall> {
    let settle = EscrowCall::new(task, TaskEscrow::settleCall { taskId: task });
    match step {
        Step::Assign => vec![EscrowCall::new(task, TaskEscrow::assignCall { taskId: task })],
        Step::Audit => vec![EscrowCall::new(task, TaskEscrow::auditCall { taskId: task })],
        Step::DrawCommittee => {
            vec![EscrowCall::new(task, TaskEscrow::drawCommitteeCall { taskId: task })]
        }
        Step::CloseReveal => {
            vec![EscrowCall::new(task, TaskEscrow::closeRevealCall { taskId: task })]
        }
        Step::Resolve => {
            vec![EscrowCall::new(task, TaskEscrow::resolveCall { taskId: task }), settle]
        }
        Step::Finalize => {
            vec![EscrowCall::new(task, TaskEscrow::finalizeCall { taskId: task }), settle]
        }
        Step::Settle => vec![settle],
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, B256, U256};

    use super::*;

    fn task(status: TaskStatus, tier: Tier, commits: u8) -> TaskState {
        TaskState {
            id: U256::from(1),
            requester: Address::ZERO,
            fee: U256::ZERO,
            model: B256::ZERO,
            until: 100,
            created_block: 1,
            anchor: 0,
            vote_commits: 3,
            reserve: U256::ZERO,
            status,
            tier,
            redundancy: 3,
            commits,
            committee_size: 3,
            determinism: verigrad_contracts::DeterminismClass::EXACT,
            challenger: Address::ZERO,
            appeal: AppealStage::None,
            appeal_size: 0,
        }
    }

    fn anchored(mut task: TaskState, anchor: u64) -> TaskState {
        task.anchor = anchor;
        task
    }

    fn undrawn(mut task: TaskState) -> TaskState {
        task.committee_size = 0;
        task
    }

    /// A review at `stage` of its appeal, the appeal committee (if any) of seven with `commits`.
    fn appeal(mut task: TaskState, stage: AppealStage, size: u8, commits: u8) -> TaskState {
        task.appeal = stage;
        task.appeal_size = size;
        task.vote_commits = commits;
        task
    }

    #[test]
    fn steps_fall_due_when_the_escrow_would_accept_them() {
        let at = |time, block| Head { time, block };
        let created = task(TaskStatus::Created, Tier::LIGHT, 0);
        let proposed = task(TaskStatus::Proposed, Tier::LIGHT, 0);
        let reviewing = task(TaskStatus::Reviewing, Tier::DEEP, 3);
        let cases = [
            ("created, anchor not mined", anchored(created.clone(), 10), at(99, 10), None),
            (
                "created, anchor mined",
                anchored(created.clone(), 10),
                at(99, 11),
                Some(Step::Assign),
            ),
            ("created, deadline missed", anchored(created, 10), at(100, 11), Some(Step::Finalize)),
            (
                "light, deadline missed",
                task(TaskStatus::Assigned, Tier::LIGHT, 0),
                at(100, 1),
                Some(Step::Finalize),
            ),
            (
                "all committed, reveals open",
                task(TaskStatus::Assigned, Tier::REDUNDANT, 3),
                at(99, 1),
                None,
            ),
            (
                "all committed, window over",
                task(TaskStatus::Assigned, Tier::REDUNDANT, 3),
                at(100, 1),
                Some(Step::CloseReveal),
            ),
            (
                "a seat silent, late reveals",
                task(TaskStatus::Assigned, Tier::DEEP, 2),
                at(109, 1),
                None,
            ),
            (
                "a seat silent, window over",
                task(TaskStatus::Assigned, Tier::DEEP, 2),
                at(110, 1),
                Some(Step::CloseReveal),
            ),
            ("proposed, audit anchor not mined", anchored(proposed.clone(), 10), at(99, 10), None),
            (
                "proposed, audit anchor mined",
                anchored(proposed.clone(), 10),
                at(99, 11),
                Some(Step::Audit),
            ),
            ("proposed, audit drawn, window open", proposed.clone(), at(99, 11), None),
            ("proposed, window over", proposed.clone(), at(100, 11), Some(Step::Finalize)),
            (
                "proposed, window over, audit anchor mined",
                anchored(proposed.clone(), 10),
                at(100, 11),
                Some(Step::Finalize),
            ),
            (
                "proposed, window over, audit anchor not mined",
                anchored(proposed, 10),
                at(100, 10),
                None,
            ),
            (
                "review requested, anchor not mined",
                anchored(undrawn(reviewing.clone()), 10),
                at(99, 10),
                None,
            ),
            (
                "review requested, anchor mined",
                anchored(undrawn(reviewing.clone()), 10),
                at(99, 11),
                Some(Step::DrawCommittee),
            ),
            ("reviewing, votes open", reviewing.clone(), at(99, 11), None),
            ("reviewing, vote over", reviewing.clone(), at(100, 11), Some(Step::Resolve)),
            (
                "decided against a party, appeal window open",
                appeal(reviewing.clone(), AppealStage::Open, 0, 3),
                at(99, 11),
                None,
            ),
            (
                "decided against a party, unappealed",
                appeal(reviewing.clone(), AppealStage::Open, 0, 3),
                at(100, 11),
                Some(Step::Resolve),
            ),
            (
                "appealed, anchor mined",
                anchored(appeal(reviewing.clone(), AppealStage::Appealed, 0, 3), 10),
                at(99, 11),
                Some(Step::DrawCommittee),
            ),
            (
                "appeal committee of seven, three committed, commits open",
                appeal(reviewing.clone(), AppealStage::Appealed, 7, 3),
                at(100, 11),
                None,
            ),
            (
                "appeal committee of seven, three committed, reveals over",
                appeal(reviewing.clone(), AppealStage::Appealed, 7, 3),
                at(110, 11),
                Some(Step::Resolve),
            ),
            (
                "appeal committee of seven, all committed, reveals over",
                appeal(reviewing, AppealStage::Appealed, 7, 7),
                at(100, 11),
                Some(Step::Resolve),
            ),
            (
                "finalized",
                task(TaskStatus::Finalized, Tier::LIGHT, 0),
                at(0, 0),
                Some(Step::Settle),
            ),
            ("settled", task(TaskStatus::Settled, Tier::LIGHT, 0), at(1_000, 1_000), None),
        ];
        for (name, task, head, expected) in cases {
            assert_eq!(due(&task, head, 10), expected, "{name}");
        }
    }

    #[test]
    fn a_quiet_proposal_falls_due_for_finalize_no_sooner_than_its_wake() {
        let proposed = task(TaskStatus::Proposed, Tier::LIGHT, 1);
        for task in [proposed.clone(), anchored(proposed, 10)] {
            let wake = quiet_until(&task).expect("a proposal waits");
            for block in 5..15 {
                for time in 95..105 {
                    let head = Head { time, block };
                    if due(&task, head, 10).is_some_and(|step| step != Step::Audit) {
                        assert!(head.time >= wake, "due at {head:?} before its wake at {wake}");
                    }
                }
            }
        }
        for status in [TaskStatus::Created, TaskStatus::Assigned, TaskStatus::Reviewing] {
            assert_eq!(
                quiet_until(&task(status, Tier::LIGHT, 1)),
                None,
                "{status:?} is read every poll"
            );
        }
    }
}
