// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {TaskId, TaskStatus} from "../../contracts/types/TaskTypes.sol";

/// @notice Runs a dispute's DEEP task through the escrow. Its seats and committee are honest and do their duties
///         (`_duties`: commit–reveal, the vote) whenever they have one; a keeper (`_step`) assigns the task, draws
///         its committee, and closes a phase that ran out of time (`finalize`, `closeReveal`, `resolve`). A task
///         nobody keeps is abandoned: it expires unassigned, or waits for its committee.
/// @dev Seats answer `output` (the request's true output, or INPUT_REJECTED when the disputer withheld the
///      input); the committee accepts exactly the seats that revealed it. Every escrow call is made with a
///      low-level call and counted in `escrowCalls`; the refused ones in `escrowRefusals` (a deadline passed, a
///      draw's anchor went stale, a price above the dispute's max fee).
abstract contract DisputeTaskDriver is CommonBase {
    /// @dev `committeeSeat` index of an appeal committee's first member (TaskReview.APPEAL_BASE).
    uint256 private constant APPEAL_BASE = 8;

    ITaskEscrow internal immutable ESCROW;

    uint256 public escrowCalls;
    uint256 public escrowRefusals;
    /// @dev Successive anchor hashes, so that each draw sees a different "random" block.
    uint256 private _entropy;

    constructor(ITaskEscrow escrow) {
        ESCROW = escrow;
    }

    /// @dev A keeper moves the task one phase on (assignment, the committee draw, the close of a phase that ran
    ///      out of time, the settlement), after its seats and committee did their duties; returns whether it is
    ///      final (finalized or settled).
    function _step(TaskId taskId, bytes32 output) internal returns (bool done) {
        ITaskEscrow.TaskView memory task = ESCROW.getTask(taskId);
        if (task.status == TaskStatus.Finalized) {
            // Settled before its dispute is resolved (else `resolve` settles it).
            _call(address(this), abi.encodeCall(ITaskEscrow.settle, (taskId)));
        }
        if (task.status >= TaskStatus.Finalized) {
            return true;
        }
        if (task.anchor != 0 && block.number <= task.anchor) {
            // The anchor block gets mined: a draw from it can happen now.
            vm.roll(task.anchor + 1);
            vm.setBlockhash(task.anchor, keccak256(abi.encode("block", ++_entropy)));
        }
        if (task.status == TaskStatus.Created) {
            bytes4 call = block.timestamp < task.until ? ITaskEscrow.assign.selector : ITaskEscrow.finalize.selector;
            _call(address(this), abi.encodeWithSelector(call, taskId));
        } else if (task.status == TaskStatus.Reviewing && task.anchor != 0) {
            _call(address(this), abi.encodeCall(ITaskEscrow.drawCommittee, (taskId)));
        } else {
            _duties(taskId, output);
            // Still open: the phase ran out of time (an unrevealed seat, a silent member, an appeal window).
            task = ESCROW.getTask(taskId);
            if (task.status == TaskStatus.Assigned) {
                _call(address(this), abi.encodeCall(ITaskEscrow.closeReveal, (taskId)));
            } else if (task.status == TaskStatus.Reviewing && task.anchor == 0) {
                _call(address(this), abi.encodeCall(ITaskEscrow.resolve, (taskId)));
            }
        }
        return ESCROW.getTask(taskId).status >= TaskStatus.Finalized;
    }

    /// @dev The task's honest seats and committee members do what they owe now, as workers watching the chain
    ///      would before time moves on: seats commit and reveal `output`, members vote for the seats that revealed
    ///      it.
    function _duties(TaskId taskId, bytes32 output) internal {
        ITaskEscrow.TaskView memory task = ESCROW.getTask(taskId);
        if (task.status == TaskStatus.Assigned) {
            _seatsAnswer(taskId, task.redundancy, output);
        } else if (
            task.status == TaskStatus.Reviewing && task.anchor == 0 && task.appeal != ITaskEscrow.AppealStage.Open
        ) {
            _committeeVotes(taskId, task, output);
        }
    }

    /// @dev Every seat commits, then reveals, `output`.
    function _seatsAnswer(TaskId taskId, uint256 k, bytes32 output) private {
        for (uint256 i; i < k; ++i) {
            (address worker, ITaskEscrow.SeatState state,) = ESCROW.seat(taskId, i);
            if (state == ITaskEscrow.SeatState.Assigned) {
                bytes32 commitment = keccak256(abi.encode(output, bytes32(0), worker));
                _call(worker, abi.encodeCall(ITaskEscrow.commit, (taskId, commitment)));
            }
        }
        for (uint256 i; i < k; ++i) {
            (address worker, ITaskEscrow.SeatState state,) = ESCROW.seat(taskId, i);
            if (state == ITaskEscrow.SeatState.Committed) {
                _call(worker, abi.encodeCall(ITaskEscrow.reveal, (taskId, output, bytes32(0))));
            }
        }
    }

    /// @dev The current committee commits, then reveals, the honest mask.
    function _committeeVotes(TaskId taskId, ITaskEscrow.TaskView memory task, bytes32 output) private {
        (uint256 base, uint256 size) = task.appeal == ITaskEscrow.AppealStage.Appealed
            ? (APPEAL_BASE, uint256(task.appealSize))
            : (0, uint256(task.committeeSize));
        uint8 mask;
        for (uint256 i; i < task.redundancy; ++i) {
            (,, bytes32 hash) = ESCROW.seat(taskId, i);
            if (hash == output) {
                // forge-lint: disable-next-line(unsafe-typecast)
                mask |= uint8(1 << i); // i < redundancy ≤ 7
            }
        }
        for (uint256 i = base; i < base + size; ++i) {
            (address member, ITaskEscrow.VoteState state,) = ESCROW.committeeSeat(taskId, i);
            if (state == ITaskEscrow.VoteState.None) {
                bytes32 commitment = keccak256(abi.encode(mask, bytes32(0), member));
                _call(member, abi.encodeCall(ITaskEscrow.commitVote, (taskId, commitment)));
            }
        }
        for (uint256 i = base; i < base + size; ++i) {
            (address member, ITaskEscrow.VoteState state,) = ESCROW.committeeSeat(taskId, i);
            if (state == ITaskEscrow.VoteState.Committed) {
                _call(member, abi.encodeCall(ITaskEscrow.revealVote, (taskId, mask, bytes32(0))));
            }
        }
    }

    /// @dev Calls the escrow as `caller`, counting the call and whether it was refused.
    function _call(address caller, bytes memory data) private {
        ++escrowCalls;
        vm.prank(caller);
        (bool ok,) = address(ESCROW).call(data);
        if (!ok) {
            ++escrowRefusals;
        }
    }
}
