// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice `batch`: many calls in one transaction, each as the caller, none undoing another.
contract TaskEscrowBatchTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;

    function _createCall() internal view returns (bytes memory) {
        return abi.encodeCall(
            ITaskEscrow.createTask,
            (exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, 2 * PRICE)
        );
    }

    function test_batch_runsEachCallAsTheCallerInOrder() public {
        bytes[] memory calls = new bytes[](2);
        calls[0] = _createCall();
        calls[1] = _createCall();
        vm.prank(requester);
        (bool[] memory ok, bytes[] memory results,) = escrow.batch(calls);
        assertTrue(ok[0] && ok[1]);
        assertEq(abi.decode(results[0], (uint256)), 1);
        assertEq(abi.decode(results[1], (uint256)), 2);
        assertEq(_task(TaskId.wrap(1)).requester, requester, "msg.sender is the batch's caller");
        assertEq(_task(TaskId.wrap(2)).requester, requester);
        assertEq(token.balanceOf(address(escrow)), 2 * 2 * PRICE);
        _assertSolvent();
    }

    /// @dev The reported gas sizes a transaction's limit: it must cover what the batch ran on, all but the call's
    ///      dispatch and the encoding of its answer (under 10,000 gas and 2,000 a call), whatever the calls were.
    function testFuzz_batch_reportsTheGasItRanOn(uint8 creations) public {
        creations = uint8(bound(creations, 0, 12));
        bytes[] memory calls = new bytes[](uint256(creations) + 1);
        for (uint256 i; i < creations; ++i) {
            calls[i] = _createCall();
        }
        calls[creations] = abi.encodeCall(ITaskEscrow.finalize, (TaskId.wrap(99))); // reverts inside
        vm.prank(requester);
        uint256 before = gasleft();
        (,, uint256 gasUsed) = escrow.batch(calls);
        uint256 spent = before - gasleft();
        assertLe(gasUsed, spent, "no more than the call spent");
        assertGe(gasUsed + 10_000 + 2_000 * calls.length, spent, "all but the dispatch and the answer's encoding");
    }

    function test_batch_keepsTheOtherCallsWhenOneReverts() public {
        bytes[] memory calls = new bytes[](3);
        calls[0] = _createCall();
        calls[1] = abi.encodeCall(ITaskEscrow.finalize, (TaskId.wrap(99)));
        calls[2] = _createCall();
        vm.prank(requester);
        (bool[] memory ok, bytes[] memory results,) = escrow.batch(calls);
        assertTrue(ok[0] && !ok[1] && ok[2]);
        assertEq(results[1], abi.encodeWithSelector(ITaskEscrow.UnknownTask.selector, 99), "the revert data");
        assertEq(escrow.taskCount(), 2);
        _assertSolvent();
    }

    function test_batch_finalizesAndSettlesInOneTransaction() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        _passChallengeWindow(taskId);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(ITaskEscrow.finalize, (taskId));
        calls[1] = abi.encodeCall(ITaskEscrow.settle, (taskId));
        (bool[] memory ok,,) = escrow.batch(calls);
        assertTrue(ok[0] && ok[1]);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Settled));
        _assertSolvent();
    }

    function test_batch_readsManyViewsInOneCall() public {
        TaskId first = _create(exactModel, VALUE, Tier.LIGHT);
        TaskId second = _create(toleranceModel, VALUE, Tier.REDUNDANT);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(ITaskEscrow.getTask, (first));
        calls[1] = abi.encodeCall(ITaskEscrow.getTask, (second));
        (, bytes[] memory results,) = escrow.batch(calls);
        assertEq(ModelId.unwrap(abi.decode(results[0], (ITaskEscrow.TaskView)).modelId), ModelId.unwrap(exactModel));
        assertEq(uint8(abi.decode(results[1], (ITaskEscrow.TaskView)).floor), uint8(Tier.REDUNDANT));
    }

    function test_batch_keepsOwnerChecks() public {
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(ITaskEscrow.setParams, (defaultParams()));
        vm.prank(requester);
        (bool[] memory ok, bytes[] memory results,) = escrow.batch(calls);
        assertFalse(ok[0]);
        assertEq(results[0], abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, requester));
    }

    function testFuzz_batch_matchesTheCallsMadeOneByOne(uint8 n, uint256 badMask) public {
        n = uint8(bound(n, 0, 12));
        bytes[] memory calls = new bytes[](n);
        uint256 expected;
        for (uint256 i; i < n; ++i) {
            bool bad_ = (badMask >> i) & 1 == 1;
            calls[i] = bad_ ? abi.encodeCall(ITaskEscrow.assign, (TaskId.wrap(1_000 + i))) : _createCall();
            if (!bad_) {
                ++expected;
            }
        }
        vm.prank(requester);
        (bool[] memory ok,,) = escrow.batch(calls);
        for (uint256 i; i < n; ++i) {
            assertEq(ok[i], (badMask >> i) & 1 == 0);
        }
        assertEq(escrow.taskCount(), expected);
        assertEq(token.balanceOf(address(escrow)), expected * 2 * PRICE);
        _assertSolvent();
    }
}
