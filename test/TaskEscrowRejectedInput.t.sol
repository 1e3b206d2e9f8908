// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice A worker that cannot run a task's input answers INPUT_REJECTED: verified like any output,
///         an accepted rejection refunds the requester and slashes no one; a false one is a wrong result.
contract TaskEscrowRejectedInputTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;
    bytes32 internal rejected;

    function setUp() public override {
        super.setUp();
        rejected = escrow.INPUT_REJECTED();
    }

    function test_inputRejected_isTheKeccakOfItsName() public view {
        assertEq(rejected, keccak256("verigrad.input-rejected"));
    }

    function test_lightRejection_refundsTheWholeFeeAndSlashesNoOne() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, rejected, false);
        _passChallengeWindow(taskId);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.TaskFinalized(taskId, rejected);
        escrow.finalize(taskId);
        assertEq(escrow.resultOf(taskId), rejected, "the failed state is readable");

        vm.expectEmit(address(escrow));
        emit ITaskEscrow.TaskSettled(taskId, 0, 0, 0, PRICE);
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        assertEq(escrow.claimable(worker), 0);
        assertEq(escrow.claimable(modelOwner), 0, "no royalty on a rejected input");
        assertEq(_stake(worker), STAKE, "a rightful rejection is not a fault");
        assertEq(workers.getWorker(worker).faults, 0);
        _assertSolvent();
    }

    function test_redundantRejection_byEverySeatRefunds() public {
        TaskId taskId = _createAssigned(exactModel, 50e18, Tier.REDUNDANT);
        uint256 k = _task(taskId).redundancy;
        _commitReveal(taskId, _outputs(k, rejected));
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        for (uint256 i; i < k; ++i) {
            assertEq(_stake(_worker(taskId, i)), STAKE);
        }
        _assertSolvent();
    }

    function test_falseRejection_isSlashedByTheAudit() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, rejected, true);
        _voteAll(taskId, 0); // the committee ran the input: it was fine
        _closeAppealWindow(taskId);
        assertEq(_stake(worker), STAKE - _task(taskId).seatLock, "a lazy rejection is a wrong result");
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        _assertSolvent();
    }

    function test_frivolousChallengeOfARejection_paysItsBondToTheCommittee() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, rejected, false);
        uint96 bond = escrow.challengeBond(taskId);
        vm.prank(challenger);
        escrow.challenge(taskId);
        _drawCommittee(taskId);
        uint256 fund = escrow.reviewFund();
        _voteAll(taskId, 1); // the rejection stands
        _closeAppealWindow(taskId);

        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        uint256 each = fund < 3 * PRICE ? fund / 3 : PRICE;
        assertEq(escrow.claimable(_member(taskId, 0)), each + bond / 3, "review pay and a third of the bond");
        assertEq(escrow.claimable(challenger), 0);
        assertEq(_stake(worker), STAKE);
        _assertSolvent();
    }
}
