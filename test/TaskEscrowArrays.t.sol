// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../contracts/interfaces/IWorkerRegistry.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice `assignTasks`, `submitResults` and `finalizeAndSettle`: each ends in the state the single-task calls reach
///         one by one (a refused task skipped, untouched), and an attacker gains nothing by what it puts in an array.
contract TaskEscrowArraysTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;

    // ─── Same state as one by one ────────────────────────────────────────────────────────────────

    function testFuzz_assignTasks_endsAsAssignOneByOne(uint256 seed, uint8 count) public {
        uint256 n = bound(count, 1, 10);
        TaskId[] memory ids = _mixedTasks(seed, n);
        uint256 snapshot = vm.snapshotState();
        bool[] memory expected = new bool[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            bool before = _exists(ids[i]) && _status(ids[i]) == TaskStatus.Created;
            try escrow.assign(ids[i]) {} catch {}
            expected[i] = before && _status(ids[i]) == TaskStatus.Assigned;
        }
        bytes32 oneByOne = _digest(ids);
        vm.revertToState(snapshot);
        bool[] memory assigned = escrow.assignTasks(ids);
        assertEq(_digest(ids), oneByOne, "same state as assign one by one");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(assigned[i], expected[i], "reported as assign would have done it");
        }
        _assertSolvent();
    }

    function testFuzz_submitResults_endsAsSubmitResultOneByOne(uint256 seed, uint8 count) public {
        uint256 n = bound(count, 1, 10);
        TaskId[] memory ids = _withRepeats(_assignedLight(n), seed);
        vm.warp(block.timestamp + bound(seed, 0, 2 * TASK_TIME)); // some deadlines may have passed
        address worker = _worker(ids[seed % n], 0);
        bytes32[] memory outputs = new bytes32[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            // Mostly the answer, sometimes a wrong or a zero hash; the worker's and others' seats, some twice.
            uint256 pick = uint256(keccak256(abi.encode(seed, i))) % 6;
            outputs[i] = pick == 0 ? bytes32(0) : pick == 1 ? bad : good;
        }
        uint256 snapshot = vm.snapshotState();
        bool[] memory expected = new bool[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            vm.prank(worker);
            try escrow.submitResult(ids[i], outputs[i]) {
                expected[i] = true;
            } catch {}
        }
        bytes32 oneByOne = _digest(ids);
        vm.revertToState(snapshot);
        vm.prank(worker);
        bool[] memory submitted = escrow.submitResults(ids, outputs);
        assertEq(_digest(ids), oneByOne, "same state as submitResult one by one");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(submitted[i], expected[i], "reported as submitResult would have done it");
        }
    }

    function testFuzz_finalizeAndSettle_endsAsFinalizeThenSettleOneByOne(uint256 seed, uint8 count) public {
        uint256 n = bound(count, 1, 10);
        TaskId[] memory ids = _assignedLight(n);
        // Some answered (a block apart, so their audit anchors differ), some left to time out.
        for (uint256 i; i < n; ++i) {
            if (uint256(keccak256(abi.encode(seed, i))) % 4 != 0) {
                vm.prank(_worker(ids[i], 0));
                escrow.submitResult(ids[i], good);
                vm.roll(block.number + 1);
            }
        }
        vm.roll(block.number + bound(seed >> 8, 0, 3)); // some audit anchors still pending
        vm.warp(block.timestamp + bound(seed >> 16, 0, 2 * TASK_TIME)); // some windows still open
        TaskId[] memory picks = _withRepeats(ids, seed);
        uint256 snapshot = vm.snapshotState();
        bool[] memory expected = new bool[](picks.length);
        for (uint256 i; i < picks.length; ++i) {
            try escrow.finalize(picks[i]) {} catch {}
            try escrow.settle(picks[i]) {
                expected[i] = true;
            } catch {}
        }
        bytes32 oneByOne = _digest(picks);
        vm.revertToState(snapshot);
        bool[] memory settled = escrow.finalizeAndSettle(picks);
        assertEq(_digest(picks), oneByOne, "same state as finalize + settle one by one");
        for (uint256 i; i < picks.length; ++i) {
            assertEq(settled[i], expected[i], "reported as settle would have done it");
        }
        _assertSolvent();
    }

    // ─── From the attacker's side ────────────────────────────────────────────────────────────────

    /// @notice A worker slips another worker's seat into its array with its own answer: skipped, and it ends with
    ///         nothing of that task's fee.
    function test_submitResults_skipsAnotherWorkersSeat() public {
        TaskId[] memory ids = _assignedLight(10);
        (TaskId mine, TaskId theirs) = _twoWorkersTasks(ids);
        address attacker = _worker(mine, 0);
        address victim = _worker(theirs, 0);
        TaskId[] memory pair = new TaskId[](2);
        (pair[0], pair[1]) = (theirs, mine);
        bytes32[] memory outputs = new bytes32[](2);
        (outputs[0], outputs[1]) = (bad, good);
        vm.prank(attacker);
        bool[] memory submitted = escrow.submitResults(pair, outputs);
        assertFalse(submitted[0], "another's seat is skipped");
        assertTrue(submitted[1]);
        (, ITaskEscrow.SeatState state, bytes32 hash) = escrow.seat(theirs, 0);
        assertEq(uint8(state), uint8(ITaskEscrow.SeatState.Assigned), "the victim's seat is untouched");
        assertEq(hash, bytes32(0));
        vm.roll(block.number + 1); // its own audit anchor
        vm.prank(victim);
        escrow.submitResult(theirs, good);
        _passChallengeWindow(theirs);
        vm.roll(block.number + 3);
        _settleAll(pair);
        uint256 attackerPay = escrow.claimable(attacker);
        assertEq(attackerPay, _payOf(mine), "paid for its own task only");
        assertEq(escrow.claimable(victim), _payOf(theirs), "the victim is paid for its task");
    }

    /// @notice The same task twice in one array is finalized and paid once.
    function test_finalizeAndSettle_paysOnceForATaskNamedTwice() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        _passChallengeWindow(taskId);
        TaskId[] memory twice = new TaskId[](2);
        (twice[0], twice[1]) = (taskId, taskId);
        vm.recordLogs();
        bool[] memory settled = escrow.finalizeAndSettle(twice);
        assertTrue(settled[0]);
        assertFalse(settled[1], "the second is skipped");
        assertEq(escrow.claimable(_worker(taskId, 0)), _payOf(taskId), "paid once");
        assertEq(_count(ITaskEscrow.TaskSettled.selector), 1, "one TaskSettled");
        _assertSolvent();
    }

    /// @notice A keeper cannot finalize a result early by putting it in an array: inside its challenge window it is
    ///         skipped, and a challenger can still take it to review.
    function test_finalizeAndSettle_skipsAResultInsideItsChallengeWindow() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        TaskId[] memory one = new TaskId[](1);
        one[0] = taskId;
        bool[] memory settled = escrow.finalizeAndSettle(one);
        assertFalse(settled[0]);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Proposed), "still challengeable");
        assertEq(escrow.claimable(_worker(taskId, 0)), 0, "nothing paid");
        vm.prank(challenger);
        escrow.challenge(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Reviewing));
    }

    /// @notice A worker with accepted tasks and a missed one in the same `finalizeAndSettle`: its seats are released
    ///         in one registry call, but only after the slash of the missed one has seen every release before it,
    ///         so the worker ends with the lock, stake, counters and pay that one-by-one calls give it, and one
    ///         `StakeUnlocked` and `OutcomeRecorded` for the seats released together.
    function test_finalizeAndSettle_releasesAWorkersSeatsBeforeSlashingIt() public {
        TaskId[] memory ids = _assignedLight(12);
        address worker = _worker(ids[0], 0);
        TaskId missed;
        uint256 answered;
        uint256 answeredAfter;
        for (uint256 i; i < ids.length; ++i) {
            if (_worker(ids[i], 0) != worker) {
                continue;
            }
            if (i != 0 && TaskId.unwrap(missed) == 0) {
                missed = ids[i]; // after an accepted one: its release is pending when the slash comes
                continue;
            }
            vm.prank(worker);
            escrow.submitResult(ids[i], good);
            ++answered;
            if (TaskId.unwrap(missed) != 0) {
                ++answeredAfter;
            }
        }
        require(TaskId.unwrap(missed) != 0, "the worker holds one seat only");
        for (uint256 i; i < ids.length; ++i) {
            if (_worker(ids[i], 0) != worker) {
                vm.prank(_worker(ids[i], 0));
                escrow.submitResult(ids[i], good);
            }
        }
        vm.warp(block.timestamp + 30 days); // every window over, the missed deadline too
        uint256 last;
        for (uint256 i; i < ids.length; ++i) {
            uint256 anchor = _task(ids[i]).anchor;
            last = anchor > last ? anchor : last;
        }
        vm.roll(last + 1); // every audit anchor mined
        _missAudits(ids, last);
        IWorkerRegistry.Worker memory before = workers.getWorker(worker);
        uint256 snapshot = vm.snapshotState();
        for (uint256 i; i < ids.length; ++i) {
            escrow.finalize(ids[i]);
            escrow.settle(ids[i]);
        }
        bytes32 oneByOne = _digest(ids);
        vm.revertToState(snapshot);
        vm.recordLogs();
        escrow.finalizeAndSettle(ids);
        assertEq(_digest(ids), oneByOne, "same state as finalize + settle one by one");
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.locked, 0, "every seat released");
        assertEq(w.faults, before.faults + 1, "the missed seat is a fault");
        assertEq(w.tasksDone, before.tasksDone + answered, "each accepted seat counted");
        assertEq(uint8(_status(missed)), uint8(TaskStatus.Settled));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 outcomes;
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].topics[0] == IWorkerRegistry.OutcomeRecorded.selector
                    && logs[i].topics[1] == bytes32(uint256(uint160(worker)))
            ) {
                ++outcomes;
            }
        }
        // One flushed before the slash (the first accepted seat), the fault's, and one for the seats after it.
        assertEq(outcomes, answeredAfter == 0 ? 2 : 3, "accepted seats recorded together");
        _assertSolvent();
    }

    /// @notice The same task twice in one `assignTasks` locks one seat's collateral, once.
    function test_assignTasks_assignsATaskNamedTwiceOnce() public {
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        _pastAnchor(taskId);
        TaskId[] memory twice = new TaskId[](2);
        (twice[0], twice[1]) = (taskId, taskId);
        bool[] memory assigned = escrow.assignTasks(twice);
        assertTrue(assigned[0]);
        assertFalse(assigned[1]);
        assertEq(workers.getWorker(_worker(taskId, 0)).locked, _task(taskId).seatLock, "one lock");
        _assertSolvent();
    }

    /// @notice Before its anchor a task's seats cannot be drawn, in an array or not.
    function test_assignTasks_skipsATaskBeforeItsAnchor() public {
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        TaskId[] memory one = new TaskId[](1);
        one[0] = taskId;
        bool[] memory assigned = escrow.assignTasks(one);
        assertFalse(assigned[0]);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Created));
    }

    function test_submitResults_revertsIfLengthsDiffer() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.LengthMismatch.selector, 2, 1));
        escrow.submitResults(new TaskId[](2), new bytes32[](1));
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    /// @dev `n` tasks of mixed value and floor (so that an array holds tasks alike and unlike), past their anchor,
    ///      some assigned already, named in an array with repeats and an unknown id.
    function _mixedTasks(uint256 seed, uint256 n) internal returns (TaskId[] memory) {
        TaskId[] memory ids = new TaskId[](n);
        uint96[3] memory values = [VALUE, 100e18, 0.01e18];
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            Tier floor = r % 5 == 0 ? Tier.REDUNDANT : Tier.LIGHT;
            ids[i] = _create(exactModel, values[(r >> 8) % 3], floor);
        }
        _pastAnchor(ids[n - 1]);
        if (seed % 3 == 0) {
            try escrow.assign(ids[0]) {} catch {} // taken by another keeper before
        }
        TaskId[] memory picks = _withRepeats(ids, seed);
        picks[picks.length - 1] = TaskId.wrap(999); // unknown
        return picks;
    }

    /// @dev `n` LIGHT tasks, assigned.
    function _assignedLight(uint256 n) internal returns (TaskId[] memory ids) {
        ids = new TaskId[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = _create(exactModel, VALUE, Tier.LIGHT);
        }
        _pastAnchor(ids[n - 1]);
        escrow.assignTasks(ids);
    }

    /// @dev `ids` with some of them named twice, and one more slot.
    function _withRepeats(TaskId[] memory ids, uint256 seed) internal pure returns (TaskId[] memory picks) {
        uint256 n = ids.length;
        picks = new TaskId[](n + n / 2 + 1);
        for (uint256 i; i < picks.length; ++i) {
            picks[i] = ids[i < n ? i : uint256(keccak256(abi.encode(seed, "repeat", i))) % n];
        }
    }

    /// @dev Sets the hash of `anchor`, the audit anchor of every answered task of `ids`, so that no lottery draws.
    function _missAudits(TaskId[] memory ids, uint256 anchor) internal {
        for (uint256 r = 1;; ++r) {
            bool allMiss = true;
            for (uint256 i; i < ids.length && allMiss; ++i) {
                ITaskEscrow.TaskView memory t = _task(ids[i]);
                if (t.anchor != 0) {
                    assertEq(t.anchor, anchor, "answered in one block");
                    uint256 roll = uint256(keccak256(abi.encode(bytes32(r), ids[i], uint256(1)))) % 10_000;
                    allMiss = roll >= t.auditBps;
                }
            }
            if (allMiss) {
                vm.setBlockhash(anchor, bytes32(r));
                return;
            }
        }
    }

    function _twoWorkersTasks(TaskId[] memory ids) internal view returns (TaskId mine, TaskId theirs) {
        mine = ids[0];
        for (uint256 i = 1; i < ids.length; ++i) {
            if (_worker(ids[i], 0) != _worker(mine, 0)) {
                return (mine, ids[i]);
            }
        }
        revert("one worker holds every seat");
    }

    function _settleAll(TaskId[] memory ids) internal {
        for (uint256 i; i < ids.length; ++i) {
            ITaskEscrow.TaskView memory t = _task(ids[i]);
            if (t.anchor != 0 && block.number > t.anchor) {
                _aimAudit(ids[i], false);
            }
        }
        escrow.finalizeAndSettle(ids);
    }

    /// @dev What a LIGHT task's accepted seat is paid: its fee less the review reserve, royalty and protocol fee.
    function _payOf(TaskId taskId) internal view returns (uint256) {
        ITaskEscrow.TaskView memory t = _task(taskId);
        uint256 fee = t.fee - t.reserve;
        ITaskEscrow.Params memory p = escrow.params();
        return fee - fee * ROYALTY_BPS / 10_000 - fee * p.protocolFeeBps / 10_000;
    }

    function _exists(TaskId taskId) internal view returns (bool) {
        return TaskId.unwrap(taskId) != 0 && TaskId.unwrap(taskId) <= escrow.taskCount();
    }

    function _count(bytes32 topic) internal returns (uint256 n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == topic) {
                ++n;
            }
        }
    }

    /// @dev Everything a caller can observe of these tasks and of the money: each task, its seats and result, every
    ///      account's claimable balance, the liabilities and review fund, and every worker's stake, lock and record.
    function _digest(TaskId[] memory ids) internal view returns (bytes32 digest) {
        for (uint256 i; i < ids.length; ++i) {
            if (!_exists(ids[i])) {
                continue;
            }
            ITaskEscrow.TaskView memory t = _task(ids[i]);
            digest = keccak256(abi.encode(digest, t, escrow.resultOf(ids[i])));
            for (uint256 j; j < t.redundancy; ++j) {
                (address w, ITaskEscrow.SeatState state, bytes32 hash) = escrow.seat(ids[i], j);
                digest = keccak256(abi.encode(digest, w, state, hash));
            }
        }
        address[] memory accounts = new address[](computeWorkers.length + 4);
        (accounts[0], accounts[1], accounts[2], accounts[3]) = (requester, treasury, modelOwner, challenger);
        for (uint256 i; i < computeWorkers.length; ++i) {
            accounts[i + 4] = computeWorkers[i];
            IWorkerRegistry.Worker memory w = workers.getWorker(computeWorkers[i]);
            digest = keccak256(abi.encode(digest, w.stake, w.locked, w.tasksDone, w.faults, w.jailedUntil, w.unbonding));
            digest = keccak256(abi.encode(digest, workers.reputationBps(computeWorkers[i], exactModel)));
        }
        for (uint256 i; i < accounts.length; ++i) {
            digest = keccak256(abi.encode(digest, escrow.claimable(accounts[i])));
        }
        digest = keccak256(abi.encode(digest, escrow.liabilities(), escrow.reviewFund(), escrow.taskCount()));
        digest = keccak256(abi.encode(digest, token.balanceOf(address(escrow))));
    }
}
