// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice Collateral tied to value: one stake backing many tasks, and a seated worker walking away.
contract CollateralTest is AdversarialFixture {
    bytes32 internal model;
    address internal thin;

    /// @dev A fresh model served by one compute worker with the minimum stake (100 tokens).
    function setUp() public override {
        super.setUp();
        model = _publishModel(modelOwner, "attacker/thin", PRICE);
        thin = _registerWith("thinly staked worker", Roles.COMPUTE, _single(model), 100e18);
        _nextEpoch();
    }

    /// @notice The issue's attack: a 100-token stake sat on any number of concurrent tasks. Each seat now locks
    ///         its collateral, so the stake backs at most stake / collateral open seats at once.
    function test_oneStake_backsOnlyAsManySeatsAsItCovers() public {
        uint96 lock = escrow.params().minSlash; // value 40 → 20 % is 8, under the 10-token floor
        uint256 seats = 100e18 / lock;
        for (uint256 i; i < seats; ++i) {
            uint256 taskId = _createAs(requester, model, 40e18, Tier.LIGHT, 100 * PRICE);
            _assignFresh(taskId);
            assertEq(_worker(taskId, 0), thin);
            assertEq(_view(taskId).seatLock, lock);
        }
        assertEq(workers.getWorker(thin).locked, seats * lock, "every seat's collateral is locked");
        uint256 extra = _createAs(requester, model, 40e18, Tier.LIGHT, 100 * PRICE);
        _mineAnchor(extra);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InsufficientWorkers.selector, extra, 1, 0));
        escrow.assign(extra);
    }

    /// @notice Collateral grows with the value at risk: a 500-token task locks 100 tokens per seat.
    function test_collateral_growsWithTheValueAtRisk() public {
        uint256 taskId = _createAs(requester, exactModel, 500e18, Tier.LIGHT, 100 * PRICE);
        _assignFresh(taskId);
        assertEq(_view(taskId).seatLock, 100e18, "20 % of the value");
        for (uint256 i; i < _view(taskId).redundancy; ++i) {
            assertEq(workers.getWorker(_worker(taskId, i)).locked, 100e18);
        }
    }

    /// @notice The issue's attack: a seated worker unbonds and withdraws before its deadline to escape the
    ///         slash. Locked stake cannot be unbonded; the no-show is slashed in full.
    function test_seatedWorker_cannotUnbondItsCollateral() public {
        vm.prank(admin);
        token.mint(thin, 50e18);
        vm.startPrank(thin);
        token.approve(address(workers), 50e18);
        workers.addStake(50e18);
        vm.stopPrank();
        uint256 taskId = _createAs(requester, model, 40e18, Tier.LIGHT, 100 * PRICE);
        _assignFresh(taskId);
        uint96 lock = _view(taskId).seatLock;

        vm.prank(thin);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.UnbondExceedsStake.selector, 150e18, 150e18 - lock));
        workers.unbond(150e18);

        vm.warp(_view(taskId).until);
        escrow.finalize(taskId); // the no-show
        assertEq(workers.getWorker(thin).stake, 150e18 - lock, "slashed by its collateral");
        assertEq(workers.getWorker(thin).locked, 0, "and the lock released");
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _view(taskId).reserve, "the requester is refunded");
        _assertSolvent();
    }
}
