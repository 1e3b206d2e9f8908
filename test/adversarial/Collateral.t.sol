// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice Collateral tied to value: one stake backing many tasks, and a seated worker walking away.
contract CollateralTest is AdversarialFixture {
    ModelId internal model;
    address internal thin;

    /// @dev A fresh model served by one compute worker with the minimum stake (100 tokens), and one verifier.
    function setUp() public override {
        super.setUp();
        model = _publishModel(modelOwner, "attacker/thin", PRICE);
        thin = _registerWith("thinly staked worker", Roles.COMPUTE, _single(model), 100e18);
        _registerWith("verifier of the thin model", Roles.VERIFY, _single(model), 100e18);
        _nextEpoch();
    }

    /// @notice The issue's attack: a 100-token stake sat on any number of concurrent tasks. Each seat now locks
    ///         its collateral, so the stake backs at most stake / collateral open seats at once.
    function test_oneStake_backsOnlyAsManySeatsAsItCovers() public {
        uint96 lock = escrow.params().minSlash; // nothing of value at risk: the floor alone
        uint256 seats = 100e18 / lock;
        for (uint256 i; i < seats; ++i) {
            TaskId taskId = _createAs(requester, model, 0, Tier.LIGHT, 100 * PRICE);
            _assignFresh(taskId);
            assertEq(_worker(taskId, 0), thin);
            assertEq(_view(taskId).seatLock, lock);
        }
        assertEq(workers.getWorker(thin).locked, seats * lock, "every seat's collateral is locked");
        TaskId extra = _createAs(requester, model, 0, Tier.LIGHT, 100 * PRICE);
        _mineAnchor(extra);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InsufficientWorkers.selector, extra, 1, 0));
        escrow.assign(extra);
    }

    /// @notice A task whose collateral no worker's free stake covers is not assigned: the thin worker cannot sit
    ///         on a 40-token LIGHT task, whose seat must lock about five times the value at a 20 % audit.
    function test_assign_passesOverStakeThatCannotCoverTheCollateral() public {
        TaskId taskId = _createAs(requester, model, 40e18, Tier.LIGHT, 100 * PRICE);
        _mineAnchor(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InsufficientWorkers.selector, taskId, 1, 0));
        escrow.assign(taskId);
    }

    /// @notice The issue's attack: a model nobody verifies gets no audits, so its worker could answer anything.
    ///         `quote` now says so and `createTask` refuses it (nothing is escrowed), and the collateral a quote
    ///         shows is what the seat would lock.
    function test_aModelNobodyVerifies_isRefused() public {
        ModelId unverified = _publishModel(modelOwner, "attacker/unverified", PRICE);
        _registerWith("its only worker", Roles.COMPUTE, _single(unverified), 100e18);
        _nextEpoch();
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NoVerifiers.selector, unverified));
        escrow.quote(unverified, 1e18, Tier.LIGHT, thin);
        uint256 balance = token.balanceOf(requester);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NoVerifiers.selector, unverified));
        escrow.createTask(unverified, keccak256("input"), 1e18, Tier.LIGHT, uint40(block.timestamp + 1 hours), PRICE);
        assertEq(token.balanceOf(requester), balance, "nothing escrowed");
        (, uint96 fee, uint96 seatLock) = escrow.quote(exactModel, 1e18, Tier.LIGHT, thin);
        assertGt(fee, PRICE, "the run and the review reserve");
        assertGt(seatLock, escrow.params().minSlash, "value at risk raises the lock above the floor");
    }

    /// @notice The deterrence condition holds on every task, whatever its value and floor: with the release's
    ///         price bounding both the reward R and the cost C a skipped run saves, and the value at risk as the
    ///         gain G shared by the coalition that must lie together, p·(R + S) ≥ C + G ÷ coalition.
    function testFuzz_collateral_makesCheatingLoseMoney(uint96 value, uint8 floor) public {
        _assertDeters(value, floor);
    }

    /// @notice The same with reputed workers, whose reputation lowers k or the audit rate: the escrow raises the
    ///         audit again until the lock it drew deters, or keeps the least trusted decision.
    function testFuzz_collateral_makesCheatingLoseMoney_forReputedWorkers(uint96 value, uint8 floor, uint8 done)
        public
    {
        for (uint256 i; i < computeWorkers.length; ++i) {
            for (uint256 n; n < bound(done, 0, 60); ++n) {
                vm.prank(address(escrow)); // the escrow is the registry's slasher: paid work earns this
                workers.closeSeat(computeWorkers[i], exactModel, 0, true);
            }
        }
        _assertDeters(value, floor);
    }

    /// @dev p·(R + S) ≥ C + G ÷ coalition on a task of `value` at `floor` (both bounded), and each seat locks S.
    function _assertDeters(uint96 value, uint8 floor) internal {
        value = uint96(bound(value, 0, 60e18));
        Tier tier = Tier(bound(floor, 0, 2));
        TaskId taskId = _createAs(requester, exactModel, value, tier, 100 * PRICE);
        _assignFresh(taskId);
        ITaskEscrow.TaskView memory task = _view(taskId);
        uint256 coalition = task.tier == Tier.LIGHT ? 1 : task.redundancy / 2 + 1;
        uint256 gain = task.value; // as stored: rounded up to a milli-token
        assertGe(gain, value);
        uint256 p = task.auditBps;
        assertGe(p * (PRICE + task.seatLock), PRICE * 10_000 + gain * 10_000 / coalition, "p(R + S) >= C + G");
        assertGe(task.seatLock, escrow.params().minSlash);
        for (uint256 i; i < task.redundancy; ++i) {
            assertEq(workers.getWorker(_worker(taskId, i)).locked, task.seatLock, "each seat locks it");
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
        TaskId taskId = _createAs(requester, model, 10e18, Tier.LIGHT, 100 * PRICE);
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
