// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {Decision, TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice Reputation earned for gas alone, then spent to lower the verification of a valuable task.
contract ReputationFarmingTest is AdversarialFixture {
    /// @notice The issue's attack: self-requested tasks on an own price-0 model earned reputation, which then
    ///         dropped a 500-token task from REDUNDANT k=3 to LIGHT. Unpaid work earns nothing, and reputation
    ///         counts per model.
    function test_freeSelfServedTasks_earnNoReputation() public {
        address farmer = makeAddr("farmer");
        ModelId ownModel = _publishModel(farmer, "farmer/free", 0);
        ModelId[] memory served = new ModelId[](2);
        (served[0], served[1]) = (ownModel, exactModel);
        address worker = _registerWith("farming worker", Roles.COMPUTE, served, STAKE);
        _registerWith("farmer's verifier", Roles.VERIFY, _single(ownModel), STAKE); // tasks need one
        address sybil = makeAddr("farmer's requester");
        _fund(sybil, 100e18);
        _nextEpoch();

        for (uint256 n; n < 30; ++n) {
            TaskId taskId = _createAs(sybil, ownModel, 1e18, Tier.LIGHT, 1e18);
            _assignFresh(taskId);
            vm.prank(worker);
            escrow.submitResult(taskId, good);
            _auditFresh(taskId);
            if (_status(taskId) == TaskStatus.Proposed) {
                _finalizeAndSettle(taskId);
            }
        }
        assertEq(workers.getWorker(worker).tasksDone, 0, "free work earns no reputation");
        assertEq(workers.reputationBps(worker, ownModel), 0);
        (Decision memory decision,,) = escrow.quote(exactModel, 500e18, Tier.LIGHT, worker);
        assertEq(uint8(decision.tier), uint8(Tier.REDUNDANT), "a valuable task stays redundant");
        assertEq(decision.redundancy, 3);
    }

    /// @notice Reputation paid for on one model does not lower verification on another.
    function test_reputation_countsPerModel() public {
        address worker = computeWorkers[0];
        vm.prank(address(escrow));
        workers.closeSeat(worker, toleranceModel, 0, true); // the escrow is the registry's slasher
        assertGt(workers.reputationBps(worker, toleranceModel), 0);
        assertEq(workers.reputationBps(worker, exactModel), 0, "nothing carries over");
    }

    /// @notice An accepted INPUT_REJECTED refunds the requester and earns the worker no reputation.
    function test_inputRejected_earnsNoReputation() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        bytes32 rejected = escrow.INPUT_REJECTED();
        vm.prank(worker);
        escrow.submitResult(taskId, rejected);
        _steerAudit(taskId, false);
        _finalizeAndSettle(taskId);
        assertEq(workers.getWorker(worker).tasksDone, 0);
        assertEq(workers.reputationBps(worker, exactModel), 0);
    }
}
