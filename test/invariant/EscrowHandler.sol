// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {TaskEscrow} from "../../contracts/TaskEscrow.sol";
import {Token} from "../../contracts/Token.sol";
import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";

/// @notice Drives the escrow with random requesters' tasks, honest and faulty workers, challenges and time.
/// @dev Honest actors follow the protocol: before time moves on they do every duty they have (submit,
///      commit, reveal, vote). Faulty workers answer wrong (each its own wrong answer) or not at all.
///      Ghosts record every TaskFinalized and TaskSettled event per task.
contract EscrowHandler is CommonBase, StdCheats, StdUtils {
    TaskEscrow internal immutable escrow;
    Token internal immutable token;
    address internal immutable requester;
    address internal immutable challenger;
    ModelId internal immutable modelId;
    IWorkerRegistry internal immutable WORKERS;

    mapping(address => bool) public isFaulty;
    TaskId[] public taskIds;
    mapping(TaskId taskId => uint256) public finalizedCount;
    mapping(TaskId taskId => uint256) public settledCount;
    uint256 public ghostClaimed;
    /// @notice Attacker moves that went through (must stay 0).
    uint256 public selfChallengesAccepted;
    uint256 public collateralUnbonded;
    /// @notice Creations refused with `FeeBelowQuote` (the price moved past the random cap).
    uint256 public refusedBelowQuote;
    /// @notice Load premiums paid at creation.
    uint256 public ghostPremiums;

    constructor(
        TaskEscrow escrow_,
        Token token_,
        address requester_,
        address challenger_,
        ModelId modelId_,
        address[] memory faulty
    ) {
        escrow = escrow_;
        token = token_;
        requester = requester_;
        challenger = challenger_;
        modelId = modelId_;
        WORKERS = escrow_.WORKERS();
        for (uint256 i; i < faulty.length; ++i) {
            isFaulty[faulty[i]] = true;
        }
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    /// @notice The correct output of a task (what honest workers compute); every fourth task's input
    ///         cannot be run, so its correct answer is the escrow's INPUT_REJECTED.
    function truth(TaskId taskId) public pure returns (bytes32) {
        return
            TaskId.unwrap(taskId) % 4 == 0
                ? keccak256("verigrad.input-rejected")
                : keccak256(abi.encode("truth", taskId));
    }

    function _output(TaskId taskId, address worker) internal view returns (bytes32) {
        return isFaulty[worker] ? keccak256(abi.encode("lie", taskId, worker)) : truth(taskId);
    }

    /// @dev Counts the lifecycle events an action emitted.
    modifier recorded() {
        vm.recordLogs();
        _;
        _record();
    }

    // ─── Actions ─────────────────────────────────────────────────────────────────────────────────

    function createTask(uint96 value, uint8 floor, uint96 maxFee) external recorded {
        // Up to 100 VGD at LOW risk: k ≤ 3 without a floor, so the five compute workers can always staff a task.
        value = uint96(bound(value, 0, 100e18));
        maxFee = uint96(bound(maxFee, 1e18, 20e18));
        uint256 liabilities = escrow.liabilities();
        vm.prank(requester);
        try escrow.createTask(
            modelId, keccak256("input"), value, Tier(bound(floor, 0, 2)), uint40(block.timestamp + 1 hours), maxFee
        ) returns (
            TaskId taskId
        ) {
            taskIds.push(taskId);
            ghostPremiums += maxFee - escrow.getTask(taskId).fee; // taken at once by the treasury
        } catch (bytes memory reason) {
            // Only a cap below the live quote is refused here, and a refusal escrows nothing.
            // forge-lint: disable-next-line(unsafe-typecast)
            require(bytes4(reason) == ITaskEscrow.FeeBelowQuote.selector, "only FeeBelowQuote refuses a task");
            require(escrow.liabilities() == liabilities, "a refused task escrows nothing");
            ++refusedBelowQuote;
        }
    }

    /// @notice The requester creates several tasks in one `createTasks` call: all are created, or (a cap below
    ///         the price some task of the batch reaches) none.
    function createTasks(uint8 count, uint96 value, uint96 maxFee) external recorded {
        count = uint8(bound(count, 1, 8));
        value = uint96(bound(value, 0, 100e18));
        maxFee = uint96(bound(maxFee, 1e18, 20e18));
        bytes32[] memory inputs = new bytes32[](count);
        uint256 liabilities = escrow.liabilities();
        vm.prank(requester);
        try escrow.createTasks(modelId, inputs, value, Tier.LIGHT, uint40(block.timestamp + 1 hours), maxFee) returns (
            TaskId first
        ) {
            for (uint256 i; i < count; ++i) {
                TaskId taskId = TaskId.wrap(TaskId.unwrap(first) + i);
                taskIds.push(taskId);
                ghostPremiums += maxFee - escrow.getTask(taskId).fee;
            }
        } catch (bytes memory reason) {
            // forge-lint: disable-next-line(unsafe-typecast)
            require(bytes4(reason) == ITaskEscrow.FeeBelowQuote.selector, "only FeeBelowQuote refuses a batch");
            require(escrow.liabilities() == liabilities, "a refused batch escrows nothing");
            ++refusedBelowQuote;
        }
    }

    /// @notice Anyone pushes several tasks forward in one `batch`, some of them twice: every step of `advance` for
    ///         each, credits summed until the batch ends.
    function advanceMany(uint256 index, uint8 count) external recorded {
        if (taskIds.length == 0) {
            return;
        }
        count = uint8(bound(count, 1, 6));
        bytes[] memory calls = new bytes[](6 * count);
        for (uint256 j; j < count; ++j) {
            // Consecutive picks overlap once `count` exceeds the tasks: the same task twice in one batch.
            TaskId taskId = _pick(index + j % 3);
            calls[6 * j] = abi.encodeCall(ITaskEscrow.finalize, (taskId));
            calls[6 * j + 1] = abi.encodeCall(ITaskEscrow.audit, (taskId));
            calls[6 * j + 2] = abi.encodeCall(ITaskEscrow.drawCommittee, (taskId));
            calls[6 * j + 3] = abi.encodeCall(ITaskEscrow.closeReveal, (taskId));
            calls[6 * j + 4] = abi.encodeCall(ITaskEscrow.resolve, (taskId));
            calls[6 * j + 5] = abi.encodeCall(ITaskEscrow.settle, (taskId));
        }
        escrow.batch(calls);
    }

    /// @notice A keeper assigns several tasks in one `assignTasks`, some of them twice or taken already.
    function assignMany(uint256 index, uint8 count) external recorded {
        TaskId[] memory ids = _picks(index, count);
        if (ids.length == 0) {
            return;
        }
        uint256 anchor = escrow.getTask(ids[0]).anchor;
        vm.roll(block.number > anchor ? block.number + 1 : anchor + 1);
        escrow.assignTasks(ids);
    }

    /// @notice A worker answers its LIGHT seats in one `submitResults` (honest or faulty, as it is), with other
    ///         workers' seats slipped in (they must be skipped).
    function submitMany(uint256 index, uint8 count) external recorded {
        TaskId[] memory ids = _picks(index, count);
        if (ids.length == 0) {
            return;
        }
        (address worker,,) = escrow.seat(ids[0], 0);
        if (worker == address(0)) {
            return;
        }
        bytes32[] memory outputs = new bytes32[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            outputs[i] = _output(ids[i], worker);
        }
        vm.prank(worker);
        escrow.submitResults(ids, outputs);
    }

    /// @notice A keeper finalizes and settles several tasks in one `finalizeAndSettle`, some of them twice.
    function finalizeMany(uint256 index, uint8 count) external recorded {
        TaskId[] memory ids = _picks(index, count);
        if (ids.length != 0) {
            escrow.finalizeAndSettle(ids);
        }
    }

    function assign(uint256 index) external recorded {
        TaskId taskId = _pick(index);
        if (TaskId.unwrap(taskId) == 0) {
            return;
        }
        uint256 anchor = escrow.getTask(taskId).anchor;
        vm.roll(block.number > anchor ? block.number + 1 : anchor + 1);
        try escrow.assign(taskId) {} catch {}
    }

    /// @notice A faulty worker acts (wrongly) on a task, if it holds a seat.
    function faultyActs(uint256 index) external recorded {
        TaskId taskId = _pick(index);
        if (TaskId.unwrap(taskId) != 0) {
            _doDuties(taskId, true);
        }
    }

    function challenge(uint256 index) external recorded {
        TaskId taskId = _pick(index);
        if (TaskId.unwrap(taskId) == 0 || escrow.getTask(taskId).status != TaskStatus.Proposed) {
            return;
        }
        vm.prank(challenger);
        try escrow.challenge(taskId) {} catch {}
    }

    /// @notice The challenger appeals a review's first decision inside its appeal window (honest committees
    ///         decide by the truth, so its appeals are frivolous: they exercise the appeal's bond and settlement).
    function appeal(uint256 index) external recorded {
        TaskId taskId = _pickOpenAppeal(index);
        if (TaskId.unwrap(taskId) == 0) {
            return;
        }
        deal(address(token), challenger, token.balanceOf(challenger) + escrow.challengeBond(taskId));
        vm.startPrank(challenger);
        token.approve(address(escrow), type(uint256).max);
        try escrow.appeal(taskId) {} catch {}
        vm.stopPrank();
    }

    /// @notice Time passes in steps of at most five minutes; honest actors do their duties at every step,
    ///         as a worker watching the chain would.
    function warp(uint256 secondsAhead) external recorded {
        uint256 remaining = bound(secondsAhead, 1, 30 minutes);
        while (remaining > 0) {
            for (uint256 i; i < taskIds.length; ++i) {
                _doDuties(taskIds[i], false);
            }
            uint256 step = remaining < 5 minutes ? remaining : 5 minutes;
            vm.warp(block.timestamp + step);
            vm.roll(block.number + 1);
            remaining -= step;
        }
    }

    /// @notice Anyone pushes a task forward: finalize, audit, drawCommittee, closeReveal, resolve (a vote or an
    ///         appeal window), settle.
    function advance(uint256 index) external recorded {
        TaskId taskId = _pick(index);
        if (TaskId.unwrap(taskId) == 0) {
            return;
        }
        try escrow.finalize(taskId) {} catch {}
        try escrow.audit(taskId) {} catch {}
        try escrow.drawCommittee(taskId) {} catch {}
        try escrow.closeReveal(taskId) {} catch {}
        try escrow.resolve(taskId) {} catch {}
        try escrow.settle(taskId) {} catch {}
    }

    /// @notice An attacker's moves on a task: a seat or the requester challenges its own task, and a seated
    ///         worker tries to unbond all its stake, collateral included. Both must be refused.
    function attack(uint256 index) external recorded {
        TaskId taskId = _pick(index);
        if (TaskId.unwrap(taskId) == 0) {
            return;
        }
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        if (task.status == TaskStatus.Proposed) {
            (address seat,,) = escrow.seat(taskId, 0);
            address[2] memory parties = [seat, requester];
            for (uint256 i; i < 2; ++i) {
                deal(address(token), parties[i], token.balanceOf(parties[i]) + escrow.challengeBond(taskId));
                vm.startPrank(parties[i]);
                token.approve(address(escrow), type(uint256).max);
                try escrow.challenge(taskId) {
                    ++selfChallengesAccepted;
                } catch {}
                vm.stopPrank();
            }
        }
        if (task.status == TaskStatus.Assigned || task.status == TaskStatus.Proposed) {
            (address seat,,) = escrow.seat(taskId, 0);
            IWorkerRegistry.Worker memory w = WORKERS.getWorker(seat);
            vm.prank(seat);
            try WORKERS.unbond(w.stake) {
                ++collateralUnbonded;
            } catch {}
        }
    }

    function claim(uint256 who) external recorded {
        address account = [requester, challenger][bound(who, 0, 1)];
        uint256 owed = escrow.claimable(account);
        if (owed == 0) {
            return;
        }
        vm.prank(account);
        escrow.claim();
        ghostClaimed += owed;
    }

    // ─── Duties ──────────────────────────────────────────────────────────────────────────────────

    /// @dev Performs the pending duties of honest (or of faulty) actors on one task.
    function _doDuties(TaskId taskId, bool faulty) internal {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        if (task.status == TaskStatus.Assigned) {
            for (uint256 i; i < task.redundancy; ++i) {
                (address worker, ITaskEscrow.SeatState state,) = escrow.seat(taskId, i);
                if (isFaulty[worker] != faulty) {
                    continue;
                }
                bytes32 out = _output(taskId, worker);
                vm.startPrank(worker);
                if (task.tier == Tier.LIGHT) {
                    try escrow.submitResult(taskId, out) {} catch {}
                } else if (state == ITaskEscrow.SeatState.Assigned) {
                    try escrow.commit(taskId, keccak256(abi.encode(out, bytes32(0), worker))) {} catch {}
                } else if (state == ITaskEscrow.SeatState.Committed) {
                    try escrow.reveal(taskId, out, bytes32(0)) {} catch {}
                }
                vm.stopPrank();
            }
        } else if (faulty || task.anchor == 0 || block.number <= task.anchor) {
            // Draws below are taken by honest keepers, once their anchor is mined.
        } else if (task.status == TaskStatus.Proposed) {
            escrow.audit(taskId);
        } else if (task.status == TaskStatus.Reviewing) {
            escrow.drawCommittee(taskId);
        }
        (uint256 base, uint256 size) = task.appeal == ITaskEscrow.AppealStage.Appealed
            ? (8, uint256(task.appealSize))
            : (0, uint256(task.committeeSize)); // the current committee's seats
        if (task.status == TaskStatus.Reviewing && task.appeal != ITaskEscrow.AppealStage.Open && !faulty) {
            uint8 mask = _honestMask(taskId, task.redundancy);
            for (uint256 i = base; i < base + size; ++i) {
                (address verifier, ITaskEscrow.VoteState state,) = escrow.committeeSeat(taskId, i);
                vm.prank(verifier);
                if (state == ITaskEscrow.VoteState.None) {
                    try escrow.commitVote(taskId, keccak256(abi.encode(mask, bytes32(0), verifier))) {} catch {}
                } else if (state == ITaskEscrow.VoteState.Committed) {
                    try escrow.revealVote(taskId, mask, bytes32(0)) {} catch {}
                }
            }
        }
    }

    /// @dev Honest verifiers accept exactly the seats whose revealed output is the truth.
    function _honestMask(TaskId taskId, uint256 k) internal view returns (uint8 mask) {
        for (uint256 i; i < k; ++i) {
            (,, bytes32 hash) = escrow.seat(taskId, i);
            if (hash == truth(taskId)) {
                // forge-lint: disable-next-line(unsafe-typecast)
                mask |= uint8(1 << i); // i < 8
            }
        }
    }

    /// @dev The first task from `index` on (cyclically) whose appeal window is open, or 0: windows are rare
    ///      among all tasks, so a plain pick would seldom find one.
    function _pickOpenAppeal(uint256 index) internal view returns (TaskId) {
        uint256 n = taskIds.length;
        for (uint256 i; i < n; ++i) {
            TaskId taskId = taskIds[(index % n + i) % n];
            ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
            if (task.appeal == ITaskEscrow.AppealStage.Open && block.timestamp < task.until) {
                return taskId;
            }
        }
        return TaskId.wrap(0);
    }

    /// @dev Up to 6 tasks from `index` on, overlapping (the same task twice) once `count` exceeds 3.
    function _picks(uint256 index, uint8 count) internal view returns (TaskId[] memory ids) {
        if (taskIds.length == 0) {
            return ids;
        }
        ids = new TaskId[](bound(count, 1, 6));
        for (uint256 j; j < ids.length; ++j) {
            ids[j] = _pick(index % taskIds.length + j % 3);
        }
    }

    function _pick(uint256 index) internal view returns (TaskId) {
        return taskIds.length == 0 ? TaskId.wrap(0) : taskIds[index % taskIds.length];
    }

    function _record() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            bytes32 topic = logs[i].topics[0];
            if (topic == ITaskEscrow.TaskFinalized.selector) {
                ++finalizedCount[TaskId.wrap(uint256(logs[i].topics[1]))];
            } else if (topic == ITaskEscrow.TaskSettled.selector) {
                ++settledCount[TaskId.wrap(uint256(logs[i].topics[1]))];
            }
        }
    }
}
