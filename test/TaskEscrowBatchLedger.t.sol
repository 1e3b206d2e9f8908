// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice Batched lifecycle: `createTasks`, and `batch`'s ledger (credits summed per account, one token pull),
///         against the same steps taken one by one; and an attacker's batches.
contract TaskEscrowBatchLedgerTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;

    bytes32 internal constant CREDITED = keccak256("Credited(address,uint256)");
    bytes32 internal constant TRANSFER = keccak256("Transfer(address,address,uint256)");

    function _inputs(uint256 n) internal pure returns (bytes32[] memory inputs) {
        inputs = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            inputs[i] = keccak256(abi.encode("input", i));
        }
    }

    function _createMany(uint256 n, uint96 maxFee) internal returns (TaskId first) {
        vm.prank(requester);
        first =
            escrow.createTasks(exactModel, _inputs(n), VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, maxFee);
    }

    function _count(Vm.Log[] memory logs, bytes32 topic) internal pure returns (uint256 count) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == topic) {
                ++count;
            }
        }
    }

    // ─── createTasks ─────────────────────────────────────────────────────────────────────────────

    function test_createTasks_createsOnePerInputAndPullsOnce() public {
        uint256 before = token.balanceOf(requester);
        vm.recordLogs();
        TaskId first = _createMany(5, 2 * PRICE);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(TaskId.unwrap(first), 1);
        assertEq(escrow.taskCount(), 5);
        for (uint256 i; i < 5; ++i) {
            ITaskEscrow.TaskView memory t = _task(TaskId.wrap(1 + i));
            assertEq(uint8(t.status), uint8(TaskStatus.Created));
            assertEq(t.requester, requester);
        }
        assertEq(before - token.balanceOf(requester), 5 * 2 * PRICE);
        assertEq(_count(logs, TRANSFER), 1, "one token transfer for the batch");
        assertEq(_count(logs, ITaskEscrow.TaskCreated.selector), 5);
        _assertSolvent();
    }

    /// @dev A batch's tasks share their requester, value, floor and creation block through one origin per
    ///      `TaskOrigins.SPAN` tasks: every task of a batch past the span, and of the next caller's batch, reads
    ///      its own caller's terms.
    function test_createTasks_eachTaskKeepsItsCallersTermsAcrossOrigins() public {
        uint256 n = 300; // past one origin's 256 tasks
        vm.prank(requester);
        escrow.createTasks(
            exactModel, _inputs(n), VALUE, Tier.REDUNDANT, uint40(block.timestamp) + TASK_TIME, 4 * PRICE
        );
        uint256 firstBlock = block.number;
        vm.roll(block.number + 1);
        address other = makeAddr("otherRequester");
        _fund(other, 1_000e18);
        vm.prank(other);
        escrow.createTasks(
            exactModel, _inputs(2), 3 * VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, 2 * PRICE
        );
        for (uint256 i = 1; i <= n + 2; ++i) {
            ITaskEscrow.TaskView memory t = _task(TaskId.wrap(i));
            bool mine = i <= n;
            assertEq(t.requester, mine ? requester : other, "requester");
            assertEq(t.value, mine ? VALUE : 3 * VALUE, "value");
            assertEq(uint8(t.floor), uint8(mine ? Tier.REDUNDANT : Tier.LIGHT), "floor");
            assertEq(t.createdBlock, mine ? firstBlock : firstBlock + 1, "created block");
            assertEq(uint8(t.status), uint8(TaskStatus.Created));
        }
        ITaskEscrow.TaskView memory unknown = _task(TaskId.wrap(n + 3));
        assertEq(unknown.requester, address(0), "an unknown task has no origin");
        _assertSolvent();
    }

    /// @dev A task keeps its escrowed fee in 88 bits: a larger cap is refused before anything is taken.
    function test_createTask_revertsIfTheCapDoesNotFitTheTask() public {
        uint96 cap = uint96(type(uint88).max) + 1;
        _fund(requester, cap);
        uint256 before = token.balanceOf(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidFee.selector, cap));
        _createMany(1, cap);
        assertEq(token.balanceOf(requester), before);
        assertEq(escrow.taskCount(), 0);
    }

    function test_createTasks_revertsIfEmpty() public {
        vm.expectRevert(ITaskEscrow.EmptyBatch.selector);
        _createMany(0, 2 * PRICE);
    }

    function test_createTasks_revertsIfAnyCheckFails() public {
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidDeadline.selector, uint40(block.timestamp)));
        escrow.createTasks(exactModel, _inputs(3), VALUE, Tier.LIGHT, uint40(block.timestamp), 2 * PRICE);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidFee.selector, 0));
        _createMany(3, 0);
    }

    /// @dev Each task of a batch pays the price the one before it raised: a cap that covers only the first task's
    ///      price refuses the whole batch, and nothing is escrowed.
    function test_createTasks_revertsWholeBatchIfTheCapMissesALaterTasksPrice() public {
        (, uint96 quoteNow,) = escrow.quote(exactModel, VALUE, Tier.LIGHT, address(0));
        uint256 before = token.balanceOf(requester);
        vm.prank(requester);
        vm.expectPartialRevert(ITaskEscrow.FeeBelowQuote.selector);
        escrow.createTasks(exactModel, _inputs(2), VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, quoteNow);
        assertEq(escrow.taskCount(), 0);
        assertEq(token.balanceOf(requester), before);
        // Alone, the first task fits the same cap.
        _createMany(1, quoteNow);
        assertEq(escrow.taskCount(), 1);
        _assertSolvent();
    }

    // ─── batch's ledger ──────────────────────────────────────────────────────────────────────────

    /// @dev Runs `n` LIGHT tasks to `Proposed` and past their challenge window, audits steered off; returns them.
    function _proposed(uint256 n) internal returns (TaskId[] memory ids) {
        TaskId first = _createMany(n, 2 * PRICE);
        ids = new TaskId[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = TaskId.wrap(TaskId.unwrap(first) + i);
            _assign(ids[i]);
            vm.prank(_worker(ids[i], 0));
            escrow.submitResult(ids[i], good);
            _aimAudit(ids[i], false);
        }
        _passChallengeWindow(ids[n - 1]);
    }

    function _finalizeAndSettle(TaskId[] memory ids) internal pure returns (bytes[] memory calls) {
        calls = new bytes[](2 * ids.length);
        for (uint256 i; i < ids.length; ++i) {
            calls[2 * i] = abi.encodeCall(ITaskEscrow.finalize, (ids[i]));
            calls[2 * i + 1] = abi.encodeCall(ITaskEscrow.settle, (ids[i]));
        }
    }

    function test_batch_creditsEachAccountOnceWithTheSum() public {
        TaskId[] memory ids = _proposed(4);
        address[] memory accounts = _accounts();
        uint256[] memory before = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            before[i] = escrow.claimable(accounts[i]);
        }
        vm.recordLogs();
        escrow.batch(_finalizeAndSettle(ids));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 seen;
        for (uint256 a; a < accounts.length; ++a) {
            uint256 credited;
            uint256 events;
            for (uint256 i; i < logs.length; ++i) {
                if (logs[i].topics[0] == CREDITED && address(uint160(uint256(logs[i].topics[1]))) == accounts[a]) {
                    credited += abi.decode(logs[i].data, (uint256));
                    ++events;
                }
            }
            assertLe(events, 1, "at most one Credited per account");
            seen += events;
            assertEq(escrow.claimable(accounts[a]) - before[a], credited, "the sum, written once");
        }
        assertEq(seen, _count(logs, CREDITED), "every credit went to a worker, the model owner or the treasury");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(uint8(_status(ids[i])), uint8(TaskStatus.Settled));
        }
        _assertSolvent();
    }

    function test_batch_nestedBatchesSettleTheLedgerOnce() public {
        TaskId[] memory ids = _proposed(2);
        bytes[] memory outer = new bytes[](1);
        outer[0] = abi.encodeCall(ITaskEscrow.batch, (_finalizeAndSettle(ids)));
        vm.recordLogs();
        (bool[] memory ok,,) = escrow.batch(outer);
        assertTrue(ok[0]);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        address worker = _worker(ids[0], 0);
        uint256 workerCredits;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == CREDITED && address(uint160(uint256(logs[i].topics[1]))) == worker) {
                ++workerCredits;
            }
        }
        assertEq(workerCredits, 1);
        _assertSolvent();
    }

    /// @notice The same tasks run one by one and in batches end in the same state: task records, every account's
    ///         claimable credit and token balance, the liabilities, the review fund.
    function testFuzz_batch_equalsTheStepsOneByOne(uint8 n, uint256 salt) public {
        n = uint8(bound(n, 1, 12));
        uint256 snapshot = vm.snapshotState();
        uint256 startBlock = block.number;
        uint256 startTime = block.timestamp;
        _lifecycle(n, salt, false);
        bytes32 oneByOne = _fingerprint(n);
        vm.revertToState(snapshot);
        vm.roll(startBlock);
        vm.warp(startTime);
        _lifecycle(n, salt, true);
        assertEq(_fingerprint(n), oneByOne, "batched == one by one");
        _assertSolvent();
    }

    /// @dev Creates, assigns, answers, finalizes and settles `n` LIGHT tasks, one call each or in batches, at the
    ///      same blocks and times either way. Audit anchors hash from `salt`: some tasks are audited, alike.
    function _lifecycle(uint256 n, uint256 salt, bool batched) internal {
        uint40 deadline = uint40(block.timestamp) + TASK_TIME;
        if (batched) {
            vm.prank(requester);
            escrow.createTasks(exactModel, _inputs(n), VALUE, Tier.LIGHT, deadline, 2 * PRICE);
        } else {
            bytes32[] memory inputs = _inputs(n);
            for (uint256 i; i < n; ++i) {
                vm.prank(requester);
                escrow.createTask(exactModel, inputs[i], VALUE, Tier.LIGHT, deadline, 2 * PRICE);
            }
        }
        TaskId[] memory ids = new TaskId[](n);
        bytes[] memory calls = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = TaskId.wrap(i + 1);
            calls[i] = abi.encodeCall(ITaskEscrow.assign, (ids[i]));
        }
        _pastAnchor(ids[0]);
        _run(calls, address(this), batched);
        for (uint256 w; w < computeWorkers.length; ++w) {
            bytes[] memory mine = new bytes[](n);
            uint256 count;
            for (uint256 i; i < n; ++i) {
                if (_worker(ids[i], 0) == computeWorkers[w]) {
                    mine[count++] = abi.encodeCall(ITaskEscrow.submitResult, (ids[i], good));
                }
            }
            assembly ("memory-safe") {
                mstore(mine, count)
            }
            _run(mine, computeWorkers[w], batched);
        }
        uint256 anchor = _task(ids[0]).anchor;
        vm.roll(anchor + 1);
        vm.setBlockhash(anchor, keccak256(abi.encode(salt)));
        _passChallengeWindow(ids[n - 1]);
        _run(_finalizeAndSettle(ids), address(this), batched);
    }

    /// @dev Runs `calls` as `caller`: in one `batch`, or each on its own (a call that reverts alone is skipped, as
    ///      `batch` skips it).
    function _run(bytes[] memory calls, address caller, bool batched) internal {
        if (batched) {
            vm.prank(caller);
            escrow.batch(calls);
            return;
        }
        for (uint256 i; i < calls.length; ++i) {
            vm.prank(caller);
            (bool ok,) = address(escrow).call(calls[i]);
            ok; // a refused step is skipped, as `batch` skips it
        }
    }

    function _accounts() internal view returns (address[] memory accounts) {
        accounts = new address[](computeWorkers.length + 3);
        for (uint256 i; i < computeWorkers.length; ++i) {
            accounts[i] = computeWorkers[i];
        }
        accounts[computeWorkers.length] = requester;
        accounts[computeWorkers.length + 1] = treasury;
        accounts[computeWorkers.length + 2] = modelOwner;
    }

    function _fingerprint(uint256 n) internal view returns (bytes32 h) {
        address[] memory accounts = _accounts();
        for (uint256 i; i < accounts.length; ++i) {
            h = keccak256(abi.encode(h, escrow.claimable(accounts[i]), token.balanceOf(accounts[i])));
            h = keccak256(abi.encode(h, workers.getWorker(accounts[i])));
        }
        for (uint256 i = 1; i <= n; ++i) {
            (address worker, ITaskEscrow.SeatState state, bytes32 hash) = escrow.seat(TaskId.wrap(i), 0);
            h = keccak256(abi.encode(h, escrow.getTask(TaskId.wrap(i)), worker, state, hash));
        }
        h = keccak256(abi.encode(h, escrow.liabilities(), escrow.reviewFund(), token.balanceOf(address(escrow))));
    }

    // ─── An attacker's batches ───────────────────────────────────────────────────────────────────

    /// @notice A worker batches its own answer with answers to seats it does not hold, and settles its task twice:
    ///         the foreign answers are refused, the second settlement pays nothing, and a `claim` inside the batch
    ///         cannot see the batch's own credits — the worker ends with exactly its one fee.
    function test_attacker_foreignSeatsAndDuplicatesGainNothing() public {
        TaskId first = _createMany(6, 2 * PRICE);
        _pastAnchor(first);
        for (uint256 i; i < 6; ++i) {
            escrow.assign(TaskId.wrap(TaskId.unwrap(first) + i));
        }
        TaskId mine = first;
        address attacker = _worker(mine, 0);
        TaskId theirs;
        for (uint256 i = 1; i < 6 && TaskId.unwrap(theirs) == 0; ++i) {
            if (_worker(TaskId.wrap(TaskId.unwrap(first) + i), 0) != attacker) {
                theirs = TaskId.wrap(TaskId.unwrap(first) + i);
            }
        }
        assertTrue(TaskId.unwrap(theirs) != 0, "another worker's task");
        bytes[] memory calls = new bytes[](3);
        calls[0] = abi.encodeCall(ITaskEscrow.submitResult, (mine, good));
        calls[1] = abi.encodeCall(ITaskEscrow.submitResult, (theirs, bad));
        calls[2] = abi.encodeCall(ITaskEscrow.submitResult, (mine, bad)); // the same task twice
        vm.prank(attacker);
        (bool[] memory ok, bytes[] memory results,) = escrow.batch(calls);
        assertTrue(ok[0] && !ok[1] && !ok[2]);
        assertEq(results[1], abi.encodeWithSelector(ITaskEscrow.NotAssigned.selector, theirs, attacker));
        assertEq(uint8(_status(theirs)), uint8(TaskStatus.Assigned), "the other seat is untouched");

        _aimAudit(mine, false);
        _passChallengeWindow(mine);
        uint256 claimableBefore = escrow.claimable(attacker);
        uint256 balanceBefore = token.balanceOf(attacker);
        calls = new bytes[](5);
        calls[0] = abi.encodeCall(ITaskEscrow.finalize, (mine));
        calls[1] = abi.encodeCall(ITaskEscrow.settle, (mine));
        calls[2] = abi.encodeCall(ITaskEscrow.settle, (mine));
        calls[3] = abi.encodeCall(ITaskEscrow.claim, ());
        calls[4] = abi.encodeCall(ITaskEscrow.settle, (theirs));
        vm.prank(attacker);
        (ok,,) = escrow.batch(calls);
        assertTrue(ok[0] && ok[1] && !ok[2] && !ok[4]);
        uint256 gained = token.balanceOf(attacker) + escrow.claimable(attacker) - balanceBefore - claimableBefore;
        ITaskEscrow.TaskView memory t = _task(mine);
        uint256 fee = t.fee - t.reserve;
        uint256 pot = fee - fee * ROYALTY_BPS / 10_000 - fee * defaultParams().protocolFeeBps / 10_000;
        assertEq(gained, pot, "exactly one task's pay");
        _assertSolvent();
    }

    /// @notice An attacker creates its task in the same block, right after a victim's batch, hoping to share the
    ///         batch's origin: the unused part of every cap is refunded to whoever paid it, the attacker gets back
    ///         no more than its own overpayment, and the victim stays the requester of each of its tasks (it may
    ///         not challenge them).
    function test_attacker_taskRightAfterAVictimsBatchSharesNothing() public {
        address attacker = makeAddr("originSquatter");
        _fund(attacker, 1_000e18);
        uint96 victimCap = 3 * PRICE;
        TaskId first = _createMany(3, victimCap);
        vm.prank(attacker);
        TaskId squat = escrow.createTask(
            exactModel, keccak256("squat"), VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, 2 * PRICE
        );
        assertEq(TaskId.unwrap(squat), TaskId.unwrap(first) + 3, "the very next id, in the same block");
        TaskId[] memory ids = new TaskId[](4);
        for (uint256 i; i < 4; ++i) {
            ids[i] = TaskId.wrap(TaskId.unwrap(first) + i);
        }
        // What each task escrowed: its cap less the load premium it paid at creation.
        uint256[] memory escrowed = new uint256[](4);
        for (uint256 i; i < 4; ++i) {
            escrowed[i] = _task(ids[i]).fee;
        }
        _pastAnchor(first);
        uint256 victimBefore = escrow.claimable(requester);
        uint256 attackerBefore = escrow.claimable(attacker);
        bool[] memory assigned = escrow.assignTasks(ids);
        uint256 victimRefunds;
        for (uint256 i; i < 3; ++i) {
            assertTrue(assigned[i]);
            victimRefunds += escrowed[i] - _task(ids[i]).fee;
        }
        assertTrue(assigned[3]);
        assertEq(_task(squat).requester, attacker);
        assertEq(
            escrow.claimable(attacker) - attackerBefore, escrowed[3] - _task(squat).fee, "its own overpayment only"
        );
        assertEq(escrow.claimable(requester) - victimBefore, victimRefunds, "the victim's refunds, whole");
        assertGt(victimRefunds, 0, "there was something to take");
        // The party checks read each task's own origin.
        _submit(ids[0], good, false);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.SelfReview.selector, ids[0], requester));
        escrow.challenge(ids[0]);
        _assertSolvent();
    }

    /// @notice A requester batches more creations than it can pay for: the whole batch reverts at the single pull,
    ///         so no task exists unpaid.
    function test_attacker_unpaidCreationsRevertTheWholeBatch() public {
        address poor = makeAddr("poor");
        _fund(poor, 3 * PRICE);
        bytes[] memory calls = new bytes[](2);
        for (uint256 i; i < 2; ++i) {
            calls[i] = abi.encodeCall(
                ITaskEscrow.createTask,
                (exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, 2 * PRICE)
            );
        }
        vm.prank(poor);
        vm.expectRevert();
        escrow.batch(calls);
        assertEq(escrow.taskCount(), 0);
        assertEq(token.balanceOf(poor), 3 * PRICE);
        _assertSolvent();
    }
}
