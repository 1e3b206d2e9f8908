// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice A group that controls two of a committee's three seats votes an honest result faulty.
contract CommitteeCollusionTest is AdversarialFixture {
    /// @notice The worst case: the group challenges a correct LIGHT result and its two sybil verifiers sit on the
    ///         committee (as if the anchor block's proposer were in the group); they vote the result down. The
    ///         honest worker appeals; seven strangers accept its result. The worker keeps its stake and is paid;
    ///         the group loses its challenge bond and both sybils' member locks.
    function test_colludingMajority_isOverturnedOnAppealAndEndsPoorer() public {
        address[] memory group = new address[](3);
        group[0] = challenger;
        group[1] = _registerWith("sybil verifier 1", Roles.VERIFY, _single(exactModel), STAKE);
        group[2] = _registerWith("sybil verifier 2", Roles.VERIFY, _single(exactModel), STAKE);
        address[] memory sybils = new address[](2);
        (sybils[0], sybils[1]) = (group[1], group[2]);
        for (uint256 i; i < 5; ++i) {
            _registerWith(string.concat("stranger", vm.toString(i)), Roles.VERIFY, _single(exactModel), STAKE);
        }
        _nextEpoch();
        uint256 groupBefore = _wealth(group);

        TaskId taskId = _createAs(requester, exactModel, 1e18, Tier.LIGHT, 100 * PRICE);
        _assignFresh(taskId);
        address worker = _worker(taskId, 0);
        _fund(worker, 1_000e18); // for the appeal bond
        uint256 workerBefore = _wealth(worker);
        vm.prank(worker);
        escrow.submitResult(taskId, good);
        vm.prank(challenger);
        escrow.challenge(taskId);
        _steerCommittee(taskId, sybils);
        _voteAs(taskId, 1, sybils, 0); // two of three reject the correct result

        vm.prank(worker);
        escrow.appeal(taskId);
        _mineAnchor(taskId);
        escrow.drawCommittee(taskId);
        _voteAs(taskId, 1, sybils, 0); // no sybil sits on the appeal: all strangers accept
        escrow.settle(taskId);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Settled));
        assertEq(escrow.resultOf(taskId), good, "the correct result stands");
        assertEq(_stake(worker), STAKE, "the honest worker keeps its stake");
        assertGt(_wealth(worker), workerBefore, "and is paid, its appeal bond back");
        assertLt(_wealth(group), groupBefore - escrow.challengeBond(taskId), "the group loses its bond and more");
        assertEq(_stake(sybils[0]) + _stake(sybils[1]), 2 * STAKE - 2 * escrow.params().minSlash, "sybils slashed");
        _assertSolvent();
    }
}
