// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {Decision, TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice Creation, assignment, the LIGHT path, timeouts, settlement and claims.
contract TaskEscrowLightTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;

    // ─── createTask ──────────────────────────────────────────────────────────────────────────────

    function test_createTask_escrowsMaxFeeAndEmits() public {
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.TaskCreated(TaskId.wrap(1), requester, exactModel, input, 100 * PRICE, 0);
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);

        assertEq(TaskId.unwrap(taskId), 1);
        assertEq(escrow.taskCount(), 1);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(task.requester, requester);
        assertEq(task.fee, 100 * PRICE);
        assertEq(ModelId.unwrap(task.modelId), ModelId.unwrap(exactModel));
        assertEq(uint8(task.status), uint8(TaskStatus.Created));
        assertEq(token.balanceOf(address(escrow)), 100 * PRICE);
        _assertSolvent();
    }

    /// @notice The value is kept in whole milli-tokens, rounded up: never less verification than asked for,
    ///         and the largest value the call accepts still reads back whole (it once wrapped around in storage).
    function testFuzz_createTask_keepsTheValueRoundedUpToAMilliToken(uint96 value) public {
        TaskId taskId = _create(exactModel, value, Tier.LIGHT);
        uint256 stored = _task(taskId).value;
        assertGe(stored, value, "never rounded down");
        assertLt(stored - value, 1e15, "less than a milli-token more");
        if (value > type(uint96).max - 1e15) {
            assertEq(stored, type(uint96).max, "capped where a milli-token more would not fit");
        } else {
            assertEq(stored % 1e15, 0);
        }
    }

    function test_createTask_revertsIfFeeIsZero() public {
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidFee.selector, 0));
        escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp + 1), 0);
    }

    function test_createTask_revertsIfDeadlineIsPastOrTooFar() public {
        vm.startPrank(requester);
        uint40 now_ = uint40(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidDeadline.selector, now_));
        escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, now_, PRICE);
        uint40 far = now_ + escrow.MAX_DEADLINE() + 1;
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidDeadline.selector, far));
        escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, far, PRICE);
        vm.stopPrank();
    }

    function test_createTask_revertsIfModelIsUnknownOrDeprecated() public {
        ModelId unknown = ModelId.wrap(keccak256("nope"));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, unknown));
        escrow.createTask(unknown, input, VALUE, Tier.LIGHT, uint40(block.timestamp + 60), PRICE);

        vm.prank(modelOwner);
        models.deprecate(exactModel);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.ModelDeprecated.selector, exactModel));
        escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp + 60), PRICE);
    }

    // ─── assign ──────────────────────────────────────────────────────────────────────────────────

    function test_assign_drawsOneWorkerAndRefundsTheUnusedFee() public {
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        _assign(taskId);

        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.status), uint8(TaskStatus.Assigned));
        assertEq(uint8(task.tier), uint8(Tier.LIGHT));
        assertEq(task.redundancy, 1);
        assertGt(task.reserve, 0, "the review reserve");
        assertEq(task.fee, PRICE + task.reserve);
        assertGt(task.auditBps, 0);
        (address worker, ITaskEscrow.SeatState state,) = escrow.seat(taskId, 0);
        assertTrue(workers.isEligible(worker, exactModel, 1));
        assertEq(uint8(state), uint8(ITaskEscrow.SeatState.Assigned));
        assertEq(escrow.claimable(requester), 100 * PRICE - task.fee, "unused max fee credited back");
        assertEq(escrow.reviewFund(), task.reserve, "the reserve is in the review fund");
        _assertSolvent();
    }

    function test_assign_matchesQuote() public {
        TaskId taskId = _create(exactModel, 20e18, Tier.LIGHT);
        _assign(taskId);
        (ITaskEscrow.TaskView memory task) = _task(taskId);
        (Decision memory decision, uint96 fee, uint96 seatLock) =
            escrow.quote(exactModel, 20e18, Tier.LIGHT, _worker(taskId, 0));
        assertEq(task.fee, fee);
        assertEq(task.seatLock, seatLock);
        assertEq(task.auditBps, decision.auditBps);
    }

    function test_assign_revertsUntilTheAnchorIsMined() public {
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        uint256 anchor = _task(taskId).anchor;
        assertGe(anchor, block.number + 2, "the anchor lies ahead");
        vm.roll(anchor);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AnchorPending.selector, taskId, anchor));
        escrow.assign(taskId);
    }

    function test_assign_revertsIfDeadlinePassed() public {
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        _pastAnchor(taskId);
        uint40 deadline = _task(taskId).until;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseClosed.selector, taskId, deadline));
        escrow.assign(taskId);
    }

    function test_assign_revertsIfTaskIsUnknownOrAssigned() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.UnknownTask.selector, 7));
        escrow.assign(TaskId.wrap(7));
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Assigned));
        escrow.assign(taskId);
    }

    function test_assign_revertsIfNoWorkerServesTheModel() public {
        for (uint256 i; i < computeWorkers.length; ++i) {
            vm.prank(computeWorkers[i]);
            workers.stopServing(exactModel);
        }
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        _pastAnchor(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InsufficientWorkers.selector, taskId, 1, 0));
        escrow.assign(taskId);
    }

    function test_assign_revertsIfTooFewWorkersForTheQuorum() public {
        for (uint256 i = 2; i < computeWorkers.length; ++i) {
            vm.prank(computeWorkers[i]);
            workers.stopServing(exactModel);
        }
        TaskId taskId = _create(exactModel, VALUE, Tier.REDUNDANT);
        _pastAnchor(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InsufficientWorkers.selector, taskId, 3, 2));
        escrow.assign(taskId);
    }

    function test_assign_revertsIfPriceExceedsMaxFee() public {
        // Admitted at its quote; the owner then raises the base price before the seats are drawn.
        (, uint96 quote,) = escrow.quote(exactModel, VALUE, Tier.REDUNDANT, address(0));
        vm.prank(requester);
        TaskId taskId = escrow.createTask(exactModel, input, VALUE, Tier.REDUNDANT, uint40(block.timestamp + 60), quote);
        vm.prank(modelOwner);
        models.setBasePrice(exactModel, 2 * PRICE);
        _pastAnchor(taskId);
        assertEq(models.price(exactModel), 2 * PRICE, "the load of one task has drained");
        (, uint96 price,) = escrow.quote(exactModel, VALUE, Tier.REDUNDANT, address(0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PriceAboveMax.selector, taskId, price, quote));
        escrow.assign(taskId);
    }

    function test_assign_neverDrawsTheRequester() public {
        address both = computeWorkers[0];
        _fund(both, 1_000e18);
        for (uint256 n; n < 20; ++n) {
            vm.prank(both);
            TaskId taskId =
                escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp + 60), 2 * PRICE);
            _assign(taskId);
            assertTrue(_worker(taskId, 0) != both);
        }
    }

    // ─── submitResult and finality ───────────────────────────────────────────────────────────────

    function test_lightLifecycle_paysWorkerRoyaltyAndProtocol() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, good, false);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Proposed));

        _passChallengeWindow(taskId);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.TaskFinalized(taskId, good);
        escrow.finalize(taskId);
        assertEq(escrow.resultOf(taskId), good);
        assertEq(workers.getWorker(worker).tasksDone, 1);

        escrow.settle(taskId);
        uint256 protocolFee = PRICE * 200 / 10_000;
        uint256 royalty = PRICE * ROYALTY_BPS / 10_000;
        assertEq(escrow.claimable(worker), PRICE - protocolFee - royalty);
        assertEq(escrow.claimable(modelOwner), royalty);
        assertEq(escrow.claimable(treasury), protocolFee);
        assertEq(_stake(worker), STAKE, "honest worker keeps its stake");
        _assertSolvent();

        vm.prank(worker);
        uint256 claimed = escrow.claim();
        assertEq(token.balanceOf(worker), claimed);
        assertEq(escrow.claimable(worker), 0);
        _assertSolvent();
    }

    function test_submitResult_revertsIfCallerIsNotTheWorker() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NotAssigned.selector, taskId, challenger));
        escrow.submitResult(taskId, good);
    }

    function test_submitResult_revertsIfOutputIsZero() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(ITaskEscrow.ZeroOutput.selector);
        escrow.submitResult(taskId, bytes32(0));
    }

    function test_submitResult_revertsIfDeadlinePassed() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        uint40 deadline = _task(taskId).until;
        vm.warp(deadline);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseClosed.selector, taskId, deadline));
        escrow.submitResult(taskId, good);
    }

    function test_submitResult_revertsIfTaskIsRedundant() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongTier.selector, taskId, Tier.REDUNDANT));
        escrow.submitResult(taskId, good);
    }

    function test_submitResult_revertsIfSubmittedTwice() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Proposed));
        escrow.submitResult(taskId, bad);
    }

    function test_finalize_revertsInsideTheChallengeWindow() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        uint40 end = _task(taskId).until;
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseOpen.selector, taskId, end));
        escrow.finalize(taskId);
    }

    function test_finalize_revertsIfFinalizedTwice() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Finalized));
        escrow.finalize(taskId);
    }

    function test_settle_revertsIfNotFinalizedOrSettledTwice() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Assigned));
        escrow.settle(taskId);
        _submit(taskId, good, false);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        escrow.settle(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Settled));
        escrow.settle(taskId);
    }

    function test_claim_revertsIfNothingIsOwed() public {
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NothingToClaim.selector, challenger));
        escrow.claim();
    }

    // ─── Timeouts ────────────────────────────────────────────────────────────────────────────────

    function test_finalize_refundsIfNeverAssigned() public {
        TaskId taskId = _create(exactModel, VALUE, Tier.LIGHT);
        vm.warp(_task(taskId).until);
        escrow.finalize(taskId);
        assertEq(escrow.resultOf(taskId), bytes32(0));
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE, "whole max fee back");
        _assertSolvent();
    }

    function test_finalize_slashesAndJailsANoShowAndRefunds() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        uint96 lock = _task(taskId).seatLock;
        vm.warp(_task(taskId).until);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.WorkerSlashed(taskId, worker, lock, ITaskEscrow.Fault.MissedResult);
        escrow.finalize(taskId);
        assertEq(_stake(worker), STAKE - lock);
        assertEq(workers.getWorker(worker).faults, 1);
        assertFalse(workers.isEligible(worker, exactModel, 1), "jailed");
        assertEq(escrow.claimable(treasury), lock, "slash to treasury");

        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        _assertSolvent();
    }

    function test_finalize_revertsBeforeTheDeadline() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        uint40 deadline = _task(taskId).until;
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseOpen.selector, taskId, deadline));
        escrow.finalize(taskId);
    }

    // ─── Audits ──────────────────────────────────────────────────────────────────────────────────

    function test_audit_requestsAReviewWhenTheLotteryHits() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, true);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.status), uint8(TaskStatus.Reviewing));
        assertEq(task.committeeSize, 3);
        for (uint256 i; i < 3; ++i) {
            assertTrue(workers.isEligible(_member(taskId, i), exactModel, 2), "members are verifiers");
        }
        assertEq(uint256(escrow.pressureBps()), uint256(10_000) / 12, "one open review, three verifiers");
    }

    function test_audit_slashesAWrongResultAndRefunds() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, bad, true);
        _voteAll(taskId, 0);
        _closeAppealWindow(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_stake(worker), STAKE - _task(taskId).seatLock);
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        assertEq(uint256(escrow.pressureBps()), 0);
        _assertSolvent();
    }

    function test_audit_paysWorkerAndCommitteeForACorrectResult() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, good, true);
        uint256 fund = escrow.reviewFund();
        _voteAll(taskId, 1);
        escrow.settle(taskId);
        uint256 pot = PRICE - PRICE * 200 / 10_000 - PRICE * ROYALTY_BPS / 10_000;
        assertEq(escrow.claimable(worker), pot, "the worker's pot is whole: the review is paid by the fund");
        uint256 each = fund < 3 * PRICE ? fund / 3 : PRICE;
        assertEq(escrow.claimable(_member(taskId, 0)), each);
        assertEq(escrow.reviewFund(), fund - 3 * each);
        assertEq(_stake(worker), STAKE);
        _assertSolvent();
    }
}
