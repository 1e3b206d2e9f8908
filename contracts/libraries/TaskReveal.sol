// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {EscrowState, Task} from "../types/EscrowTypes.sol";
import {DeterminismClass} from "../types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../types/TaskTypes.sol";
import {TaskReview} from "./TaskReview.sol";
import {TaskSeats} from "./TaskSeats.sol";
import {TaskTerms} from "./TaskTerms.sol";

/// @title TaskReveal
/// @notice The compute seats' answers, as functions on the escrow's storage: a LIGHT seat's result (see
///         `ITaskEscrow.submitResult`, `submitResults`), and the commit–reveal of REDUNDANT and DEEP tasks and its
///         tally (see `ITaskEscrow.commit`, `reveal`, `closeReveal`). Linked (external functions, run by
///         delegatecall) so that TaskEscrow stays under the EIP-170 size limit.
library TaskReveal {
    /// @notice LIGHT: the assigned worker submits its output hash and the result is proposed (see
    ///         `ITaskEscrow.submitResult`).
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param outputHash keccak-256 of the canonical output encoding.
    function submitResult(EscrowState storage s, TaskId taskId, bytes32 outputHash) external {
        Task storage task = s.tasks[taskId];
        TaskStatus status = task.status;
        if (status == TaskStatus.None) {
            revert ITaskEscrow.UnknownTask(taskId);
        }
        if (status != TaskStatus.Assigned) {
            revert ITaskEscrow.WrongStatus(taskId, status);
        }
        if (task.tier != Tier.LIGHT) {
            revert ITaskEscrow.WrongTier(taskId, task.tier);
        }
        if (block.timestamp >= task.until) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        if (outputHash == bytes32(0)) {
            revert ITaskEscrow.ZeroOutput();
        }
        if (TaskSeats.workerOf(s, taskId, task, 0) != msg.sender) {
            revert ITaskEscrow.NotAssigned(taskId, msg.sender);
        }
        _submit(s, taskId, task, outputHash);
    }

    /// @notice LIGHT: submits each output whose task `submitResult` would accept from the caller now, skipping the
    ///         others (see `ITaskEscrow.submitResults`).
    /// @param s The escrow's storage.
    /// @param taskIds The tasks.
    /// @param outputHashes Their output hashes, in the same order.
    /// @return submitted Whether each output was taken.
    function submitResults(EscrowState storage s, TaskId[] calldata taskIds, bytes32[] calldata outputHashes)
        external
        returns (bool[] memory submitted)
    {
        uint256 n = taskIds.length;
        if (outputHashes.length != n) {
            revert ITaskEscrow.LengthMismatch(n, outputHashes.length);
        }
        submitted = new bool[](n);
        for (uint256 i; i < n; ++i) {
            TaskId taskId = taskIds[i];
            bytes32 outputHash = outputHashes[i];
            Task storage task = s.tasks[taskId];
            // Every check of `submitResult`: a task it would refuse is skipped, untouched.
            if (
                task.status != TaskStatus.Assigned || task.tier != Tier.LIGHT || block.timestamp >= task.until
                    || outputHash == bytes32(0)
            ) {
                continue;
            }
            if (TaskSeats.workerOf(s, taskId, task, 0) != msg.sender) {
                continue;
            }
            _submit(s, taskId, task, outputHash);
            submitted[i] = true;
        }
    }

    /// @notice An assigned seat commits to its output (see `ITaskEscrow.commit`).
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param commitment `keccak256(abi.encode(outputHash, salt, worker))`.
    function commit(EscrowState storage s, TaskId taskId, bytes32 commitment) external {
        Task storage task = _redundantTask(s, taskId);
        if (block.timestamp >= task.until) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        if (commitment == bytes32(0)) {
            revert ITaskEscrow.ZeroOutput();
        }
        uint256 index = _seatOf(s, taskId, task, msg.sender);
        if (TaskSeats.stateOf(s, taskId, task, index) != ITaskEscrow.SeatState.Assigned) {
            revert ITaskEscrow.AlreadyActed(taskId, msg.sender);
        }
        TaskSeats.setState(s, taskId, task, index, ITaskEscrow.SeatState.Committed);
        s.seatHashes[taskId][index] = commitment;
        uint8 commits = task.commits + 1;
        task.commits = commits;
        if (commits == task.redundancy) {
            // Everyone is bound: reveals open now and must land within the reveal window.
            task.until = SafeCast.toUint32(block.timestamp + s.params.revealWindow);
        }
        emit ITaskEscrow.ResultCommitted(taskId, msg.sender, commitment);
    }

    /// @notice A committed seat reveals its output; the last reveal tallies (see `ITaskEscrow.reveal`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry (a tally may close the task or request a review).
    /// @param taskId The task.
    /// @param outputHash The output hash committed to.
    /// @param salt The salt committed to.
    function reveal(EscrowState storage s, IWorkerRegistry workers, TaskId taskId, bytes32 outputHash, bytes32 salt)
        external
    {
        Task storage task = _redundantTask(s, taskId);
        (bool open, uint40 end) = _revealPhase(s, task);
        if (!open) {
            revert ITaskEscrow.RevealNotOpen(taskId);
        }
        if (block.timestamp >= end) {
            revert ITaskEscrow.PhaseClosed(taskId, end);
        }
        if (outputHash == bytes32(0)) {
            revert ITaskEscrow.ZeroOutput();
        }
        uint256 index = _seatOf(s, taskId, task, msg.sender);
        if (TaskSeats.stateOf(s, taskId, task, index) != ITaskEscrow.SeatState.Committed) {
            revert ITaskEscrow.AlreadyActed(taskId, msg.sender);
        }
        if (keccak256(abi.encode(outputHash, salt, msg.sender)) != s.seatHashes[taskId][index]) {
            revert ITaskEscrow.CommitmentMismatch(taskId, msg.sender);
        }
        TaskSeats.setState(s, taskId, task, index, ITaskEscrow.SeatState.Revealed);
        s.seatHashes[taskId][index] = outputHash;
        uint8 reveals = task.reveals + 1;
        task.reveals = reveals;
        emit ITaskEscrow.ResultRevealed(taskId, msg.sender, outputHash);
        if (reveals == task.commits && (reveals == task.redundancy || block.timestamp >= task.until)) {
            _tally(s, workers, taskId, task);
        }
    }

    /// @notice Tallies a task whose reveal window ended without every reveal (see `ITaskEscrow.closeReveal`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    function closeReveal(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) external {
        Task storage task = _redundantTask(s, taskId);
        (, uint40 end) = _revealPhase(s, task);
        if (block.timestamp < end) {
            revert ITaskEscrow.PhaseOpen(taskId, end);
        }
        _tally(s, workers, taskId, task);
    }

    /// @dev Records a LIGHT seat's output and proposes it.
    function _submit(EscrowState storage s, TaskId taskId, Task storage task, bytes32 outputHash) private {
        TaskSeats.setState(s, taskId, task, 0, ITaskEscrow.SeatState.Revealed);
        s.seatHashes[taskId][0] = outputHash;
        // `ResultProposed` alone: it carries the only seat's output, and `TaskAssigned` named the seat's worker.
        task.winner = 0;
        TaskReview.propose(s, taskId, task);
    }

    /// @dev Decides the outcome of a REDUNDANT/DEEP task from its reveals. Seats that never revealed
    ///      are faulty. EXACT models agree by hash with a strict majority of k; TOLERANCE models need
    ///      every reveal to match (a mismatch may be honest float noise, so a committee decides).
    function _tally(EscrowState storage s, IWorkerRegistry workers, TaskId taskId, Task storage task) private {
        uint256 k = task.redundancy;
        bytes32[] memory hashes = new bytes32[](k);
        for (uint256 i; i < k; ++i) {
            if (TaskSeats.stateOf(s, taskId, task, i) == ITaskEscrow.SeatState.Revealed) {
                hashes[i] = s.seatHashes[taskId][i];
            }
        }
        if (task.reveals == 0) {
            task.winner = TaskReview.NO_WINNER;
            TaskReview.closeToTreasury(s, workers, taskId);
            return;
        }
        (uint256 best, uint256 bestCount) = _plurality(hashes);
        bool quorum = bestCount * 2 > k
            && (TaskTerms.termsOf(s, taskId).determinism == uint8(DeterminismClass.EXACT) || bestCount == task.reveals);
        if (!quorum) {
            TaskReview.requestReview(s, workers, taskId, task, ITaskEscrow.ReviewReason.NoQuorum);
            return;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        task.winner = uint8(best); // best < k ≤ 7
        for (uint256 i; i < k; ++i) {
            if (hashes[i] != bytes32(0) && hashes[i] != hashes[best]) {
                TaskSeats.setState(s, taskId, task, i, ITaskEscrow.SeatState.Faulty);
            }
        }
        if (task.tier == Tier.DEEP) {
            TaskReview.requestReview(s, workers, taskId, task, ITaskEscrow.ReviewReason.Deep);
            return;
        }
        TaskReview.propose(s, taskId, task);
    }

    /// @dev The task, assigned and not LIGHT; reverts `UnknownTask`, `WrongStatus` or `WrongTier` otherwise.
    function _redundantTask(EscrowState storage s, TaskId taskId) private view returns (Task storage task) {
        task = s.tasks[taskId];
        if (task.status == TaskStatus.None) {
            revert ITaskEscrow.UnknownTask(taskId);
        }
        if (task.status != TaskStatus.Assigned) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (task.tier == Tier.LIGHT) {
            revert ITaskEscrow.WrongTier(taskId, task.tier);
        }
    }

    /// @dev Whether the task's compute reveals are open, and when they close.
    function _revealPhase(EscrowState storage s, Task storage task) private view returns (bool open, uint40 end) {
        return TaskReview.revealPhase(task.commits, task.redundancy, task.until, s.params.revealWindow);
    }

    /// @dev The seat `worker` holds; reverts `NotAssigned` if it holds none.
    function _seatOf(EscrowState storage s, TaskId taskId, Task storage task, address worker)
        private
        view
        returns (uint256 index)
    {
        uint256 k = task.redundancy;
        while (index < k && TaskSeats.workerOf(s, taskId, task, index) != worker) {
            ++index;
        }
        if (index == k) {
            revert ITaskEscrow.NotAssigned(taskId, worker);
        }
    }

    /// @dev The most frequent non-zero hash (lowest index on ties) and its count.
    function _plurality(bytes32[] memory hashes) private pure returns (uint256 best, uint256 bestCount) {
        uint256 n = hashes.length;
        for (uint256 i; i < n; ++i) {
            if (hashes[i] == bytes32(0)) {
                continue;
            }
            uint256 count;
            for (uint256 j; j < n; ++j) {
                if (hashes[j] == hashes[i]) {
                    ++count;
                }
            }
            if (count > bestCount) {
                (best, bestCount) = (i, count);
            }
        }
    }
}
