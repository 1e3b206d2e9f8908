// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice REDUNDANT and DEEP paths: commit–reveal, quorum by determinism class, missed commits and reveals.
contract TaskEscrowRedundantTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;

    function _pot(uint256 fee) internal pure returns (uint256) {
        return fee - fee * 200 / 10_000 - fee * ROYALTY_BPS / 10_000;
    }

    function test_redundantLifecycle_paysEveryAgreeingWorker() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.tier), uint8(Tier.REDUNDANT));
        assertEq(task.redundancy, 3);
        assertEq(task.fee, 3 * PRICE + task.reserve);

        _commitReveal(taskId, _outputs(3, good));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Proposed));
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        escrow.settle(taskId);

        uint256 share = _pot(3 * PRICE) / 3;
        for (uint256 i; i < 3; ++i) {
            address worker = _worker(taskId, i);
            assertEq(escrow.claimable(worker), share);
            assertEq(_stake(worker), STAKE);
        }
        assertEq(escrow.resultOf(taskId), good);
        _assertSolvent();
    }

    function test_redundant_slashesTheMinorityOnAnExactModel() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        bytes32[] memory outputs = _outputs(3, good);
        outputs[1] = bad;
        _commitReveal(taskId, outputs);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        escrow.settle(taskId);

        address liar = _worker(taskId, 1);
        assertEq(_stake(liar), STAKE - _task(taskId).seatLock);
        assertEq(escrow.claimable(liar), 0);
        assertEq(escrow.claimable(_worker(taskId, 0)), _pot(3 * PRICE) / 2);
        assertEq(_stake(_worker(taskId, 2)), STAKE);
        _assertSolvent();
    }

    function test_redundant_reviewsIfNoMajority() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        bytes32[] memory outputs = new bytes32[](3);
        outputs[0] = good;
        outputs[1] = bad;
        outputs[2] = keccak256("another");
        _commitReveal(taskId, outputs);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Reviewing));

        _voteAll(taskId, 1); // only seat 0 is right
        _closeAppealWindow(taskId);
        assertEq(escrow.resultOf(taskId), good);
        assertEq(_stake(_worker(taskId, 0)), STAKE);
        assertEq(_stake(_worker(taskId, 1)), STAKE - _task(taskId).seatLock);
        assertEq(_stake(_worker(taskId, 2)), STAKE - _task(taskId).seatLock);
        escrow.settle(taskId);
        _assertSolvent();
    }

    function test_redundant_reviewsAToleranceModelUnlessUnanimous() public {
        TaskId taskId = _createAssigned(toleranceModel, VALUE, Tier.REDUNDANT);
        bytes32[] memory outputs = _outputs(3, good);
        outputs[2] = keccak256("within epsilon, different bits");
        _commitReveal(taskId, outputs);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Reviewing), "2 of 3 is no quorum for floats");

        _voteAll(taskId, 7); // the committee finds all three within tolerance
        for (uint256 i; i < 3; ++i) {
            assertEq(_stake(_worker(taskId, i)), STAKE, "honest float noise is never slashed");
        }
        escrow.settle(taskId);
        _assertSolvent();
    }

    function test_redundant_unanimousToleranceModelNeedsNoReview() public {
        TaskId taskId = _createAssigned(toleranceModel, VALUE, Tier.REDUNDANT);
        _commitReveal(taskId, _outputs(3, good));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Proposed));
    }

    function test_deep_alwaysReviewsAndPaysTheCommittee() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.DEEP);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.tier), uint8(Tier.DEEP));
        assertEq(task.fee, 6 * PRICE, "three workers + three committee seats");
        _commitReveal(taskId, _outputs(3, good));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Reviewing));

        assertEq(task.reserve, 3 * PRICE, "the whole committee is reserved");
        uint256 fund = escrow.reviewFund();
        assertGe(fund, 3 * PRICE);
        _voteAll(taskId, 7);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        escrow.settle(taskId);
        assertEq(escrow.claimable(_worker(taskId, 0)), _pot(3 * PRICE) / 3);
        assertEq(escrow.claimable(_member(taskId, 0)), PRICE, "each member is paid a run from the fund");
        assertEq(escrow.reviewFund(), fund - 3 * PRICE);
        _assertSolvent();
    }

    function test_redundant_slashesAMissedCommitAndTalliesTheRest() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        _commit(taskId, 0, good);
        _commit(taskId, 1, good);
        vm.warp(_task(taskId).until); // commit deadline passes; reveals open
        _reveal(taskId, 0, good);
        _reveal(taskId, 1, good);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Proposed));
        _steerAudit(taskId, false);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);

        assertEq(_stake(_worker(taskId, 2)), STAKE - _task(taskId).seatLock, "no-show slashed");
        assertEq(_stake(_worker(taskId, 0)), STAKE);
        escrow.settle(taskId);
        assertEq(escrow.claimable(_worker(taskId, 0)), _pot(3 * PRICE) / 2);
        _assertSolvent();
    }

    function test_closeReveal_slashesAMissedReveal() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        for (uint256 i; i < 3; ++i) {
            _commit(taskId, i, good);
        }
        _reveal(taskId, 0, good);
        _reveal(taskId, 1, good);
        uint40 end = _task(taskId).until;
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseOpen.selector, taskId, end));
        escrow.closeReveal(taskId);

        vm.warp(end);
        escrow.closeReveal(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Proposed));
        _steerAudit(taskId, false);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        assertEq(_stake(_worker(taskId, 2)), STAKE - _task(taskId).seatLock);
        (, ITaskEscrow.SeatState state,) = escrow.seat(taskId, 2);
        assertEq(uint8(state), uint8(ITaskEscrow.SeatState.Faulty));
    }

    function test_closeReveal_refundsIfNobodyRevealed() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        vm.warp(_task(taskId).until + 10 minutes);
        escrow.closeReveal(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        for (uint256 i; i < 3; ++i) {
            assertEq(_stake(_worker(taskId, i)), STAKE - _task(taskId).seatLock);
        }
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        _assertSolvent();
    }

    function test_reveal_revertsBeforeEveryoneCommitted() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        _commit(taskId, 0, good);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.RevealNotOpen.selector, taskId));
        escrow.reveal(taskId, good, bytes32(0));
    }

    function test_reveal_revertsIfCommitmentDoesNotMatch() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        for (uint256 i; i < 3; ++i) {
            _commit(taskId, i, good);
        }
        address worker = _worker(taskId, 0);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.CommitmentMismatch.selector, taskId, worker));
        escrow.reveal(taskId, bad, bytes32(0));
    }

    function test_reveal_revertsIfRevealedTwiceOrNeverCommitted() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        _commit(taskId, 0, good);
        _commit(taskId, 1, good);
        vm.warp(_task(taskId).until);
        address worker = _worker(taskId, 0);
        _reveal(taskId, 0, good);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AlreadyActed.selector, taskId, worker));
        escrow.reveal(taskId, good, bytes32(0));
        address silent = _worker(taskId, 2);
        vm.prank(silent);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AlreadyActed.selector, taskId, silent));
        escrow.reveal(taskId, good, bytes32(uint256(2)));
    }

    function test_commit_revertsIfNotASeatOrTwiceOrLate() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NotAssigned.selector, taskId, challenger));
        escrow.commit(taskId, keccak256("c"));

        _commit(taskId, 0, good);
        address worker = _worker(taskId, 0);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AlreadyActed.selector, taskId, worker));
        escrow.commit(taskId, keccak256("c"));

        uint40 deadline = _task(taskId).until;
        vm.warp(deadline);
        vm.prank(_worker(taskId, 1));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseClosed.selector, taskId, deadline));
        escrow.commit(taskId, keccak256("c"));
    }

    function test_commit_revertsOnALightTask() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongTier.selector, taskId, Tier.LIGHT));
        escrow.commit(taskId, keccak256("c"));
    }

    function test_commit_revertsIfCommitmentIsZero() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(ITaskEscrow.ZeroOutput.selector);
        escrow.commit(taskId, bytes32(0));
    }

    function testFuzz_redundant_honestMajorityIsNeverSlashed(uint8 liarMask) public {
        liarMask = uint8(bound(liarMask, 0, 7));
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.REDUNDANT);
        bytes32[] memory outputs = _outputs(3, good);
        uint256 liars;
        for (uint256 i; i < 3; ++i) {
            if (liarMask & (1 << i) != 0) {
                outputs[i] = keccak256(abi.encode("lie", i));
                ++liars;
            }
        }
        _commitReveal(taskId, outputs);
        if (_status(taskId) == TaskStatus.Reviewing) {
            _voteAll(taskId, ~liarMask & 7);
            _closeAppealWindow(taskId);
        } else {
            _passChallengeWindow(taskId);
            escrow.finalize(taskId);
        }
        for (uint256 i; i < 3; ++i) {
            uint96 expected = liarMask & (1 << i) != 0 ? STAKE - _task(taskId).seatLock : STAKE;
            assertEq(_stake(_worker(taskId, i)), expected);
        }
        escrow.settle(taskId);
        if (liars == 3) {
            assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "nobody was right: refund");
        }
        _assertSolvent();
    }
}
