// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice A worker that answers wrong and challenges itself, to be judged by friends or to recover its slash.
contract SelfReviewTest is AdversarialFixture {
    /// @notice The issue's attack: a seat challenges its own wrong result (in the same transaction, once it is
    ///         the committee's friend). Seats and the requester may not challenge their own task.
    function test_seatAndRequester_cannotChallengeTheirOwnTask() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        address seat = _worker(taskId, 0);
        vm.prank(seat);
        escrow.submitResult(taskId, bad);
        _fund(seat, 100e18);
        vm.prank(seat);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.SelfReview.selector, taskId, seat));
        escrow.challenge(taskId);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.SelfReview.selector, taskId, requester));
        escrow.challenge(taskId);
    }

    /// @notice Through a sybil the challenge goes in, but the challenger earns at most half the slash: the
    ///         worker and its sybil together end poorer than if the worker had answered right.
    function test_sybilSelfChallenge_neverRecoversTheSlash() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        address seat = _worker(taskId, 0);
        address sybil = makeAddr("the worker's sybil");
        _fund(sybil, 100e18);
        address[] memory group = new address[](2);
        (group[0], group[1]) = (seat, sybil);
        uint256 before = _wealth(group);

        vm.prank(seat);
        escrow.submitResult(taskId, bad);
        vm.prank(sybil);
        escrow.challenge(taskId);
        _drawCommittee(taskId);
        _voteAll(taskId, 0);
        _closeAppealWindow(taskId);
        escrow.settle(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Settled));
        uint96 lock = escrow.getTask(taskId).seatLock;
        assertEq(_wealth(group), before - (lock - lock / 2), "half the slash is lost");
    }

    /// @notice The committee never seats the task's own worker, requester or challenger, whoever verifies.
    function testFuzz_committee_excludesEveryPartyToTheTask(uint256 entropy) public {
        _entropy = bound(entropy, 0, type(uint128).max);
        // Every party to the task is also a verifier of the model.
        address[] memory parties = new address[](3);
        for (uint256 i; i < computeWorkers.length; ++i) {
            vm.prank(admin);
            token.mint(computeWorkers[i], STAKE);
            vm.startPrank(computeWorkers[i]);
            token.approve(address(workers), STAKE);
            workers.addStake(STAKE);
            workers.setRoles(3); // COMPUTE | VERIFY
            vm.stopPrank();
        }
        _nextEpoch();
        TaskId taskId = _createAs(requester, exactModel, 1e18, Tier.LIGHT, 100 * PRICE);
        _assignFresh(taskId);
        parties[0] = _worker(taskId, 0);
        parties[1] = requester;
        parties[2] = challenger;
        vm.prank(parties[0]);
        escrow.submitResult(taskId, bad);
        vm.prank(challenger);
        escrow.challenge(taskId);
        _mineAnchor(taskId);
        escrow.drawCommittee(taskId);
        uint256 size = _view(taskId).committeeSize;
        assertGt(size, 0);
        for (uint256 i; i < size; ++i) {
            address member = _member(taskId, i);
            for (uint256 j; j < parties.length; ++j) {
                assertTrue(member != parties[j], "no party sits on its own committee");
            }
        }
    }
}
