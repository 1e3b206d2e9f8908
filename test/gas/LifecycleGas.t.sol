// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Tier} from "../../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "../utils/EscrowFixture.sol";

/// @notice Gas of a whole task lifecycle per tier, step by step, written to `snapshots/` by
///         `vm.snapshotGasLastCall` (execution gas of each call, without the 21k intrinsic cost of a
///         transaction). Each tier is measured on a warm market (a previous task already paid everyone)
///         and once cold, and checked against its budget.
contract LifecycleGasTest is EscrowFixture {
    uint256 internal constant LIGHT_BUDGET = 250_000;
    uint256 internal constant REDUNDANT_BUDGET = 700_000;
    uint96 internal constant VALUE = 1e18;

    uint256 internal total;

    function _measure(string memory group, string memory step) internal {
        total += vm.snapshotGasLastCall(group, step);
    }

    function _light(string memory group) internal returns (uint256) {
        total = 0;
        vm.prank(requester);
        uint256 taskId = escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp + 1 hours), PRICE);
        _measure(group, "1 createTask");
        vm.roll(block.number + 1);
        escrow.assign(taskId);
        _measure(group, "2 assign");
        _steerAudit(taskId, false);
        vm.prank(_worker(taskId, 0));
        escrow.submitResult(taskId, good);
        _measure(group, "3 submitResult");
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        _measure(group, "4 finalize");
        escrow.settle(taskId);
        _measure(group, "5 settle");
        vm.snapshotValue(group, "total", total);
        return total;
    }

    function _redundant(string memory group, Tier floor) internal returns (uint256) {
        total = 0;
        vm.prank(requester);
        uint256 taskId = escrow.createTask(exactModel, input, VALUE, floor, uint40(block.timestamp + 1 hours), 6 * PRICE);
        _measure(group, "1 createTask");
        vm.roll(block.number + 1);
        escrow.assign(taskId);
        _measure(group, "2 assign");
        for (uint256 i; i < 3; ++i) {
            _commit(taskId, i, good);
            _measure(group, string.concat("3 commit ", vm.toString(i)));
        }
        for (uint256 i; i < 3; ++i) {
            if (i == 2) {
                _steerAudit(taskId, false);
            }
            _reveal(taskId, i, good);
            _measure(group, string.concat("4 reveal ", vm.toString(i)));
        }
        if (floor == Tier.DEEP) {
            for (uint256 i; i < 3; ++i) {
                vm.prank(_member(taskId, i));
                escrow.vote(taskId, 7);
                _measure(group, string.concat("5 vote ", vm.toString(i)));
            }
        } else {
            _passChallengeWindow(taskId);
            escrow.finalize(taskId);
            _measure(group, "5 finalize");
        }
        escrow.settle(taskId);
        _measure(group, "6 settle");
        vm.snapshotValue(group, "total", total);
        return total;
    }

    function test_gas_lightLifecycleIsWithinBudget() public {
        uint256 cold = _light("lifecycle-light-cold");
        uint256 warm = _light("lifecycle-light");
        assertLe(warm, LIGHT_BUDGET, "LIGHT lifecycle budget");
        assertLe(cold, LIGHT_BUDGET + 60_000, "first task also pays zero-to-nonzero balance writes");
    }

    function test_gas_redundantLifecycleIsWithinBudget() public {
        _redundant("lifecycle-redundant-cold", Tier.REDUNDANT);
        uint256 warm = _redundant("lifecycle-redundant", Tier.REDUNDANT);
        assertLe(warm, REDUNDANT_BUDGET, "REDUNDANT k=3 lifecycle budget");
    }

    function test_gas_deepLifecycle() public {
        _redundant("lifecycle-deep-cold", Tier.DEEP);
        _redundant("lifecycle-deep", Tier.DEEP);
    }
}
