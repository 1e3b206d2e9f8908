// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {WorkerRegistry} from "../contracts/WorkerRegistry.sol";
import {IWorkerRegistry} from "../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

contract WorkerRegistryTest is RegistryFixtures {
    // ------------------------------------------------------------ constructor

    function test_constructor_setsDefaults() public view {
        assertEq(workers.stakeToken(), address(token));
        assertTrue(workers.hasRole(workers.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(workers.SLASHER_ROLE(), keccak256("SLASHER_ROLE"));
        assertEq(workers.epochBlocks(), 16);
        assertEq(workers.requiredStake(Roles.COMPUTE), MIN_COMPUTE);
        assertEq(workers.requiredStake(Roles.VERIFY), MIN_VERIFY);
        assertEq(workers.requiredStake(Roles.COORDINATE), MIN_COORDINATE);
        assertEq(workers.requiredStake(Roles.STORE), MIN_STORE);
        assertEq(workers.unbondingDelay(), UNBONDING_DELAY);
    }

    function test_constructor_emitsDefaults() public {
        vm.expectEmit();
        emit IWorkerRegistry.MinStakeChanged(Roles.COMPUTE, MIN_COMPUTE);
        vm.expectEmit();
        emit IWorkerRegistry.MinStakeChanged(Roles.VERIFY, MIN_VERIFY);
        vm.expectEmit();
        emit IWorkerRegistry.MinStakeChanged(Roles.COORDINATE, MIN_COORDINATE);
        vm.expectEmit();
        emit IWorkerRegistry.MinStakeChanged(Roles.STORE, MIN_STORE);
        vm.expectEmit();
        emit IWorkerRegistry.UnbondingDelayChanged(UNBONDING_DELAY);
        vm.expectEmit();
        emit IWorkerRegistry.EpochBlocksChanged(16);
        new WorkerRegistry(address(token), admin);
    }

    // ------------------------------------------------------------ register

    function test_register_storesWorkerPullsStakeAndEmits() public {
        ModelId[] memory served = new ModelId[](2);
        served[0] = MODEL;
        served[1] = OTHER_MODEL;
        uint8 roles = Roles.COMPUTE | Roles.STORE;
        _fund(alice, 200e18);

        vm.expectEmit(address(workers));
        emit IWorkerRegistry.WorkerRegistered(alice, roles, 150e18, "http://alice");
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.ModelServingChanged(alice, MODEL, true);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.ModelServingChanged(alice, OTHER_MODEL, true);
        vm.prank(alice);
        workers.register(roles, "http://alice", served, 150e18);
        vm.snapshotGasLastCall("register");

        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertTrue(w.registered);
        assertEq(w.stake, 150e18);
        assertEq(w.unbonding, 0);
        assertEq(w.roles, roles);
        assertEq(w.endpoint, "http://alice");
        assertEq(token.balanceOf(address(workers)), 150e18);
        assertEq(token.balanceOf(alice), 50e18);
        assertTrue(workers.serves(alice, MODEL));
        assertTrue(workers.serves(alice, OTHER_MODEL));
        assertEq(workers.workersOf(MODEL, Roles.COMPUTE)[0], alice);
        assertEq(workers.roleCount(Roles.COMPUTE), 1);
        assertEq(workers.roleCount(Roles.STORE), 1);
        assertEq(workers.roleCount(Roles.VERIFY), 0);
    }

    function test_register_keepsJailAndCountersOfTheAddress() public {
        vm.startPrank(slasher);
        workers.jail(alice, uint40(block.timestamp + 1 days));
        workers.closeSeat(alice, MODEL, 0, false);
        vm.stopPrank();
        _registerCompute(alice, MIN_COMPUTE);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.jailedUntil, block.timestamp + 1 days);
        assertEq(w.faults, 1);
    }

    function test_register_revertsIfAlreadyRegistered() public {
        _registerCompute(alice, MIN_COMPUTE);
        _fund(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.AlreadyRegistered.selector, alice));
        vm.prank(alice);
        workers.register(Roles.COMPUTE, "", new ModelId[](0), MIN_COMPUTE);
    }

    function test_register_revertsIfRolesEmpty() public {
        _fund(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRoles.selector, uint8(0)));
        vm.prank(alice);
        workers.register(0, "", new ModelId[](0), MIN_COMPUTE);
    }

    function test_register_revertsIfRolesHaveUndefinedBits() public {
        _fund(alice, 1_000e18);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRoles.selector, uint8(0x11)));
        vm.prank(alice);
        workers.register(0x11, "", new ModelId[](0), 1_000e18);
    }

    function test_register_revertsIfStakeZero() public {
        vm.prank(admin);
        workers.setMinStake(Roles.STORE, 0);
        vm.expectRevert(IWorkerRegistry.ZeroAmount.selector);
        vm.prank(alice);
        workers.register(Roles.STORE, "", new ModelId[](0), 0);
    }

    function test_register_revertsIfStakeBelowRequired() public {
        uint8 roles = Roles.COMPUTE | Roles.VERIFY;
        _fund(alice, 200e18);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.InsufficientStake.selector, uint96(200e18 - 1), uint96(200e18))
        );
        vm.prank(alice);
        workers.register(roles, "", new ModelId[](0), 200e18 - 1);
    }

    function test_register_revertsIfModelListedTwice() public {
        ModelId[] memory served = new ModelId[](2);
        served[0] = MODEL;
        served[1] = MODEL;
        _fund(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.ServingUnchanged.selector, MODEL));
        vm.prank(alice);
        workers.register(Roles.COMPUTE, "", served, MIN_COMPUTE);
    }

    function test_register_revertsIfAllowanceMissing() public {
        token.mint(alice, MIN_COMPUTE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(workers), 0, uint256(MIN_COMPUTE)
            )
        );
        vm.prank(alice);
        workers.register(Roles.COMPUTE, "", new ModelId[](0), MIN_COMPUTE);
    }

    // ------------------------------------------------------------ addStake

    function test_addStake_increasesStakeAndEmits() public {
        _registerCompute(alice, MIN_COMPUTE);
        _fund(alice, 5e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeAdded(alice, 5e18, MIN_COMPUTE + 5e18);
        vm.prank(alice);
        workers.addStake(5e18);
        assertEq(workers.getWorker(alice).stake, MIN_COMPUTE + 5e18);
        assertEq(token.balanceOf(address(workers)), MIN_COMPUTE + 5e18);
    }

    function test_addStake_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        workers.addStake(1);
    }

    function test_addStake_revertsIfAmountZero() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(IWorkerRegistry.ZeroAmount.selector);
        vm.prank(alice);
        workers.addStake(0);
    }

    // ------------------------------------------------------------ setRoles

    function test_setRoles_updatesRolesCountsAndEmits() public {
        _register(alice, Roles.COMPUTE | Roles.STORE, _one(MODEL), 250e18);
        _registerCompute(bob, MIN_COMPUTE);
        uint8 roles = Roles.VERIFY | Roles.COORDINATE | Roles.STORE;
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.RolesChanged(alice, roles);
        vm.prank(alice);
        workers.setRoles(roles);
        assertEq(workers.getWorker(alice).roles, roles);
        assertEq(workers.roleCount(Roles.COMPUTE), 1, "bob only");
        assertEq(workers.roleCount(Roles.VERIFY), 1);
        assertEq(workers.roleCount(Roles.COORDINATE), 1);
        assertEq(workers.roleCount(Roles.STORE), 1);
    }

    function test_setRoles_movesTheWorkerBetweenRoleLists() public {
        ModelId[] memory served = new ModelId[](2);
        served[0] = MODEL;
        served[1] = OTHER_MODEL;
        _register(alice, Roles.COMPUTE, served, 250e18);
        assertEq(workers.workersOf(OTHER_MODEL, Roles.COMPUTE).length, 1);
        assertEq(workers.workersOf(OTHER_MODEL, Roles.VERIFY).length, 0);
        assertEq(workers.modelsOf(alice).length, 2);

        vm.prank(alice);
        workers.setRoles(Roles.VERIFY);
        for (uint256 i; i < 2; ++i) {
            assertEq(workers.workersOf(served[i], Roles.COMPUTE).length, 0, "left the compute lists");
            assertEq(workers.workersOf(served[i], Roles.VERIFY)[0], alice, "joined the verify lists");
        }
        _nextEpoch();
        assertTrue(workers.isEligible(alice, MODEL, Roles.VERIFY));
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));

        vm.prank(alice);
        workers.stopServing(MODEL);
        assertEq(workers.workersOf(MODEL, Roles.VERIFY).length, 0);
        assertEq(ModelId.unwrap(workers.modelsOf(alice)[0]), ModelId.unwrap(OTHER_MODEL));
    }

    function test_setRoles_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        workers.setRoles(Roles.COMPUTE);
    }

    function test_setRoles_revertsIfRolesInvalid() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRoles.selector, uint8(0)));
        vm.prank(alice);
        workers.setRoles(0);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRoles.selector, uint8(0x80)));
        vm.prank(alice);
        workers.setRoles(0x80);
    }

    function test_setRoles_revertsIfStakeDoesNotCoverNewRoles() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.InsufficientStake.selector, MIN_COMPUTE, MIN_COMPUTE + MIN_VERIFY)
        );
        vm.prank(alice);
        workers.setRoles(Roles.COMPUTE | Roles.VERIFY);
    }

    // ------------------------------------------------------------ setEndpoint

    function test_setEndpoint_updatesEndpointAndEmits() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.EndpointChanged(alice, "https://alice.example");
        vm.prank(alice);
        workers.setEndpoint("https://alice.example");
        assertEq(workers.getWorker(alice).endpoint, "https://alice.example");
    }

    function test_setEndpoint_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        workers.setEndpoint("x");
    }

    // ------------------------------------------------------------ serveModel / stopServing

    function test_serveModel_addsWorkerAndEmits() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.ModelServingChanged(alice, OTHER_MODEL, true);
        vm.prank(alice);
        workers.serveModel(OTHER_MODEL);
        assertTrue(workers.serves(alice, OTHER_MODEL));
        assertEq(workers.workersOf(OTHER_MODEL, Roles.COMPUTE).length, 1);
    }

    function test_serveModel_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        workers.serveModel(MODEL);
    }

    function test_serveModel_revertsIfAlreadyServing() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.ServingUnchanged.selector, MODEL));
        vm.prank(alice);
        workers.serveModel(MODEL);
    }

    function test_stopServing_removesTheWorkerFromWorkersOfAndEmits() public {
        _registerCompute(alice, MIN_COMPUTE);
        _registerCompute(bob, MIN_COMPUTE);
        _registerCompute(carol, MIN_COMPUTE);

        vm.expectEmit(address(workers));
        emit IWorkerRegistry.ModelServingChanged(alice, MODEL, false);
        vm.prank(alice);
        workers.stopServing(MODEL);

        address[] memory list = workers.workersOf(MODEL, Roles.COMPUTE);
        assertEq(list.length, 2);
        assertTrue(_has(list, bob) && _has(list, carol));
        assertFalse(workers.serves(alice, MODEL));

        vm.prank(carol);
        workers.stopServing(MODEL);
        list = workers.workersOf(MODEL, Roles.COMPUTE);
        assertEq(list.length, 1);
        assertEq(list[0], bob);

        vm.prank(bob);
        workers.stopServing(MODEL);
        assertEq(workers.workersOf(MODEL, Roles.COMPUTE).length, 0);
        _nextEpoch();
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 0, "no weight left");
    }

    function test_serveModel_reusesTheLeafOfAReturningWorker() public {
        _registerCompute(alice, MIN_COMPUTE);
        _registerCompute(bob, 2 * MIN_COMPUTE);
        vm.prank(alice);
        workers.stopServing(MODEL);
        vm.prank(alice);
        workers.serveModel(MODEL);
        address[] memory list = workers.workersOf(MODEL, Roles.COMPUTE);
        assertEq(list.length, 2, "one leaf each");
        assertTrue(_has(list, alice) && _has(list, bob));
        _nextEpoch();
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 3 * MIN_COMPUTE);
    }

    function test_stopServing_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        workers.stopServing(MODEL);
    }

    function test_stopServing_revertsIfNotServing() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.ServingUnchanged.selector, OTHER_MODEL));
        vm.prank(alice);
        workers.stopServing(OTHER_MODEL);
    }

    // ------------------------------------------------------------ unbond

    function test_unbond_movesStakeToUnbondingAndEmits() public {
        _registerCompute(alice, 150e18);
        uint40 until = uint40(block.timestamp) + UNBONDING_DELAY;
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.Unbonding(alice, 50e18, until);
        vm.prank(alice);
        workers.unbond(50e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake, 100e18);
        assertEq(w.unbonding, 50e18);
        assertEq(w.unbondingUntil, until);
        assertEq(token.balanceOf(address(workers)), 150e18, "tokens stay until withdrawn");
    }

    function test_unbond_allowsUnbondingEverything() public {
        _registerCompute(alice, 150e18);
        vm.prank(alice);
        workers.unbond(150e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake, 0);
        assertEq(w.unbonding, 150e18);
        assertTrue(w.registered);
    }

    function test_unbond_restartsTheDelay() public {
        _registerCompute(alice, 300e18);
        vm.prank(alice);
        workers.unbond(50e18);
        skip(3 days);
        vm.prank(alice);
        workers.unbond(50e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.unbonding, 100e18);
        assertEq(w.unbondingUntil, block.timestamp + UNBONDING_DELAY);
    }

    function test_unbond_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        workers.unbond(1);
    }

    function test_unbond_revertsIfAmountZero() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(IWorkerRegistry.ZeroAmount.selector);
        vm.prank(alice);
        workers.unbond(0);
    }

    function test_unbond_revertsIfAmountExceedsStake() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.UnbondExceedsStake.selector, MIN_COMPUTE + 1, MIN_COMPUTE)
        );
        vm.prank(alice);
        workers.unbond(MIN_COMPUTE + 1);
    }

    function test_unbond_revertsIfAmountExceedsFreeStake() public {
        _registerCompute(alice, 300e18);
        _nextEpoch();
        _draw(1, 1, _none(), 150e18);
        assertEq(workers.freeStake(alice), 150e18);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.UnbondExceedsStake.selector, uint96(150e18 + 1), 150e18));
        vm.prank(alice);
        workers.unbond(150e18 + 1);
        vm.prank(alice);
        workers.unbond(100e18); // leaves the locked 150 and covers the minimum
        assertEq(workers.getWorker(alice).stake, 200e18);
    }

    function test_unbond_revertsIfRemainderBelowRequired() public {
        _registerCompute(alice, 150e18);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.InsufficientStake.selector, uint96(100e18 - 1), MIN_COMPUTE)
        );
        vm.prank(alice);
        workers.unbond(50e18 + 1);
    }

    // ------------------------------------------------------------ withdraw

    function test_withdraw_transfersUnbondedStakeAfterDelayAndEmits() public {
        _registerCompute(alice, 150e18);
        vm.prank(alice);
        workers.unbond(50e18);
        skip(UNBONDING_DELAY);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.Withdrawn(alice, 50e18);
        vm.prank(alice);
        uint96 amount = workers.withdraw();
        assertEq(amount, 50e18);
        assertEq(token.balanceOf(alice), 50e18);
        assertEq(token.balanceOf(address(workers)), 100e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.unbonding, 0);
        assertEq(w.unbondingUntil, 0);
    }

    function test_withdraw_revertsIfNothingUnbonding() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NothingToWithdraw.selector, uint40(0)));
        vm.prank(alice);
        workers.withdraw();
    }

    function test_withdraw_revertsIfNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NothingToWithdraw.selector, uint40(0)));
        vm.prank(alice);
        workers.withdraw();
    }

    function test_withdraw_revertsIfDelayNotPassed() public {
        _registerCompute(alice, 150e18);
        vm.prank(alice);
        workers.unbond(50e18);
        uint40 until = uint40(block.timestamp) + UNBONDING_DELAY;
        skip(UNBONDING_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NothingToWithdraw.selector, until));
        vm.prank(alice);
        workers.withdraw();
    }

    function test_withdraw_revertsIfUnbondingWasSlashedAway() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.prank(alice);
        workers.unbond(MIN_COMPUTE);
        vm.prank(slasher);
        workers.slash(alice, MIN_COMPUTE);
        skip(UNBONDING_DELAY);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NothingToWithdraw.selector, uint40(0)));
        vm.prank(alice);
        workers.withdraw();
    }

    // ------------------------------------------------------------ slash

    function test_slash_takesActiveStakeAndPaysCaller() public {
        _registerCompute(alice, 150e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.Slashed(alice, 40e18, slasher);
        vm.prank(slasher);
        uint96 taken = workers.slash(alice, 40e18);
        vm.snapshotGasLastCall("slash");
        assertEq(taken, 40e18);
        assertEq(workers.getWorker(alice).stake, 110e18);
        assertEq(token.balanceOf(slasher), 40e18);
        assertEq(token.balanceOf(address(workers)), 110e18);
    }

    function test_slash_reachesUnbondingStakeAfterActive() public {
        _registerCompute(alice, 150e18);
        vm.prank(alice);
        workers.unbond(50e18);
        vm.prank(slasher);
        uint96 taken = workers.slash(alice, 120e18);
        assertEq(taken, 120e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake, 0);
        assertEq(w.unbonding, 30e18);
    }

    function test_slash_isCappedByWhatTheWorkerHas() public {
        _registerCompute(alice, 150e18);
        vm.prank(alice);
        workers.unbond(50e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.Slashed(alice, 150e18, slasher);
        vm.prank(slasher);
        uint96 taken = workers.slash(alice, type(uint96).max);
        assertEq(taken, 150e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake + w.unbonding, 0);
        assertEq(token.balanceOf(slasher), 150e18);
    }

    function test_slash_emitsNothingIfNothingTaken() public {
        vm.recordLogs();
        vm.prank(slasher);
        uint96 taken = workers.slash(alice, 1e18);
        assertEq(taken, 0);
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_slash_revertsIfCallerNotSlasher() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, workers.SLASHER_ROLE()
            )
        );
        vm.prank(bob);
        workers.slash(alice, 1);
    }

    // ------------------------------------------------------------ jail

    function test_jail_setsJailAndEmits() public {
        uint40 until = uint40(block.timestamp + 1 days);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.Jailed(alice, until);
        vm.prank(slasher);
        workers.jail(alice, until);
        assertEq(workers.getWorker(alice).jailedUntil, until);
    }

    function test_jail_neverShortensAJail() public {
        uint40 until = uint40(block.timestamp + 2 days);
        vm.prank(slasher);
        workers.jail(alice, until);
        vm.recordLogs();
        vm.prank(slasher);
        workers.jail(alice, until - 1);
        assertEq(workers.getWorker(alice).jailedUntil, until);
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_jail_revertsIfCallerNotSlasher() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, workers.SLASHER_ROLE()
            )
        );
        vm.prank(bob);
        workers.jail(alice, 1);
    }

    // ------------------------------------------------------------ recordOutcome

    function test_recordOutcome_countsPerModelAndOverallAndEmits() public {
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.OutcomeRecorded(alice, MODEL, true, 1, 0);
        vm.prank(slasher);
        workers.closeSeat(alice, MODEL, 0, true);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.OutcomeRecorded(alice, MODEL, false, 1, 1);
        vm.prank(slasher);
        workers.closeSeat(alice, MODEL, 0, false);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.OutcomeRecorded(alice, OTHER_MODEL, true, 1, 0);
        vm.prank(slasher);
        workers.closeSeat(alice, OTHER_MODEL, 0, true);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.tasksDone, 2);
        assertEq(w.faults, 1);
    }

    function test_recordOutcome_revertsIfCallerNotSlasher() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, workers.SLASHER_ROLE()
            )
        );
        vm.prank(bob);
        workers.closeSeat(alice, MODEL, 0, true);
    }

    // ------------------------------------------------------------ admin

    function test_setMinStake_updatesMinimumAndEmits() public {
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.MinStakeChanged(Roles.VERIFY, 7e18);
        vm.prank(admin);
        workers.setMinStake(Roles.VERIFY, 7e18);
        assertEq(workers.requiredStake(Roles.VERIFY), 7e18);
        assertEq(workers.requiredStake(Roles.COMPUTE), MIN_COMPUTE, "the packed neighbour is untouched");
    }

    function test_setMinStake_revertsIfRoleNotASingleBit() public {
        uint8[3] memory bad = [uint8(0), Roles.COMPUTE | Roles.VERIFY, 0x10];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, bad[i]));
            vm.prank(admin);
            workers.setMinStake(bad[i], 1);
        }
    }

    function test_setMinStake_revertsIfCallerNotAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, slasher, workers.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(slasher);
        workers.setMinStake(Roles.COMPUTE, 1);
    }

    function test_setUnbondingDelay_updatesDelayAndEmits() public {
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.UnbondingDelayChanged(1 days);
        vm.prank(admin);
        workers.setUnbondingDelay(1 days);
        assertEq(workers.unbondingDelay(), 1 days);

        _registerCompute(alice, 150e18);
        vm.prank(alice);
        workers.unbond(50e18);
        assertEq(workers.getWorker(alice).unbondingUntil, block.timestamp + 1 days);
    }

    function test_setUnbondingDelay_revertsIfCallerNotAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, alice, workers.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(alice);
        workers.setUnbondingDelay(1);
    }

    // ------------------------------------------------------------ views

    function test_reputationBps_followsTheFormulaPerModel() public {
        assertEq(workers.reputationBps(alice, MODEL), 0, "new worker");
        vm.startPrank(slasher);
        for (uint256 i; i < 90; ++i) {
            workers.closeSeat(alice, MODEL, 0, true);
        }
        assertEq(workers.reputationBps(alice, MODEL), 9_000, "90 / 100");
        workers.closeSeat(alice, MODEL, 0, false);
        workers.closeSeat(alice, OTHER_MODEL, 0, false);
        vm.stopPrank();
        assertEq(workers.reputationBps(alice, MODEL), 8_181, "90 * 10_000 / 110");
        assertEq(workers.reputationBps(alice, OTHER_MODEL), 0, "the other model's fault only");
    }

    function testFuzz_reputationBps_staysWithinBasisPoints(uint32 done, uint32 faults) public {
        // `_outcomes[alice][MODEL]` (mapping at slot 11): done in bits 0..31, faults in bits 32..63.
        bytes32 slot = keccak256(abi.encode(MODEL, keccak256(abi.encode(alice, uint256(11)))));
        vm.store(address(workers), slot, bytes32(uint256(done) | uint256(faults) << 32));
        uint256 expected = uint256(done) * 10_000 / (uint256(done) + 10 * uint256(faults) + 10);
        assertEq(workers.reputationBps(alice, MODEL), expected);
        assertLe(expected, 10_000);
    }

    function test_requiredStake_sumsHeldRoles() public {
        assertEq(workers.requiredStake(Roles.COMPUTE | Roles.VERIFY), 200e18);
        assertEq(workers.requiredStake(Roles.COORDINATE | Roles.STORE), 100e18);
        assertEq(workers.requiredStake(Roles.ALL), 300e18);
        assertEq(workers.requiredStake(0), 0);
        vm.startPrank(admin);
        workers.setMinStake(Roles.COMPUTE, type(uint96).max);
        workers.setMinStake(Roles.VERIFY, type(uint96).max);
        vm.stopPrank();
        assertEq(workers.requiredStake(Roles.COMPUTE | Roles.VERIFY), type(uint96).max, "saturates");
    }

    function test_roleCount_revertsIfRoleNotASingleBit() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, Roles.ALL));
        workers.roleCount(Roles.ALL);
    }

    function test_getWorker_isZeroIfNotRegistered() public view {
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertFalse(w.registered);
        assertEq(w.stake, 0);
        assertEq(w.endpoint, "");
    }

    function test_getWorker_matchesTheDocumentedPacking() public {
        _register(alice, Roles.COMPUTE | Roles.COORDINATE, _one(MODEL), 200e18);
        vm.prank(alice);
        workers.unbond(20e18);
        vm.startPrank(slasher);
        workers.jail(alice, 12_345);
        workers.closeSeat(alice, MODEL, 0, true);
        workers.closeSeat(alice, MODEL, 0, true);
        workers.closeSeat(alice, MODEL, 0, false);
        vm.stopPrank();
        _nextEpoch();
        vm.prank(slasher);
        workers.drawAndLock(MODEL, Roles.COMPUTE, 1, 1, _none(), 70e18);
        vm.prank(slasher);
        workers.unlock(alice, 30e18);

        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake, 180e18);
        assertEq(w.locked, 40e18);
        assertEq(w.jailedUntil, 12_345);
        assertEq(w.roles, Roles.COMPUTE | Roles.COORDINATE);
        assertTrue(w.registered);
        assertEq(w.tasksDone, 2);
        assertEq(w.faults, 1);
        assertEq(w.unbonding, 20e18);
        assertEq(w.unbondingUntil, 1_700_000_000 + UNBONDING_DELAY);

        // A draw's candidate check decodes slot 0 by hand.
        bytes32 slot = _workerSlot(alice);
        uint256 word0 = uint256(vm.load(address(workers), slot));
        uint256 word1 = uint256(vm.load(address(workers), bytes32(uint256(slot) + 1)));
        // forge-lint: disable-start(unsafe-typecast)
        // Each cast cuts out one field.
        assertEq(uint96(word0), 180e18, "stake: bits 0..95");
        assertEq(uint96(word0 >> 96), 40e18, "locked: bits 96..191");
        assertEq(uint40(word0 >> 192), 12_345, "jailedUntil: bits 192..231");
        assertEq(uint8(word0 >> 232), Roles.COMPUTE | Roles.COORDINATE, "roles: bits 232..239");
        assertEq(uint8(word0 >> 240), 0, "lockDipped: bits 240..247 (locked is not below the epoch's start)");
        assertEq(uint96(word1), 0, "lockedStart: slot 1 bits 0..95");
        assertEq(uint32(word1 >> 96), block.number / 16 + 1, "lockEpoch: slot 1 bits 96..127 (epochs count from 1)");
        // forge-lint: disable-end(unsafe-typecast)
    }

    // ------------------------------------------------------------ fuzz: accounting

    function testFuzz_unbondAndWithdraw_keepAccounts(uint96 stake, uint96 added, uint96 unbonded, uint256 wait) public {
        stake = uint96(bound(stake, MIN_COMPUTE, 1e27));
        added = uint96(bound(added, 1, 1e27));
        _registerCompute(alice, stake);
        _fund(alice, added);
        vm.prank(alice);
        workers.addStake(added);
        uint96 total = stake + added;

        // Either unbond everything or keep at least the minimum.
        unbonded = uint96(bound(unbonded, 1, total));
        if (total - unbonded < MIN_COMPUTE) {
            unbonded = total;
        }
        vm.prank(alice);
        workers.unbond(unbonded);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake, total - unbonded);
        assertEq(w.unbonding, unbonded);
        assertEq(token.balanceOf(address(workers)), total);

        wait = bound(wait, 0, 2 * UNBONDING_DELAY);
        skip(wait);
        if (wait < UNBONDING_DELAY) {
            vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NothingToWithdraw.selector, w.unbondingUntil));
            vm.prank(alice);
            workers.withdraw();
        } else {
            vm.prank(alice);
            assertEq(workers.withdraw(), unbonded);
            assertEq(token.balanceOf(alice), unbonded);
            assertEq(token.balanceOf(address(workers)), total - unbonded);
            assertEq(workers.getWorker(alice).unbonding, 0);
        }
    }

    function testFuzz_slash_takesAtMostWhatIsHeldAndConservesTokens(uint96 stake, uint96 unbonded, uint96 amount)
        public
    {
        stake = uint96(bound(stake, MIN_COMPUTE, 1e27));
        unbonded = uint96(bound(unbonded, 0, stake));
        if (stake - unbonded < MIN_COMPUTE) {
            unbonded = stake;
        }
        _registerCompute(alice, stake);
        if (unbonded != 0) {
            vm.prank(alice);
            workers.unbond(unbonded);
        }

        vm.prank(slasher);
        uint96 taken = workers.slash(alice, amount);

        uint256 held = stake;
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(taken, amount < held ? amount : held, "takes min(amount, stake + unbonding)");
        assertEq(uint256(w.stake) + w.unbonding + taken, held, "nothing created or lost");
        assertEq(w.stake, stake - unbonded - (taken < stake - unbonded ? taken : stake - unbonded), "active first");
        assertEq(token.balanceOf(address(workers)) + token.balanceOf(slasher), held, "tokens conserved");
        assertEq(token.balanceOf(slasher), taken);
    }

    // ------------------------------------------------------------ helpers

    function _has(address[] memory list, address who) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == who) {
                return true;
            }
        }
        return false;
    }
}
