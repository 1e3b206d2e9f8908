// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {IWorkerRegistry} from "../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

/// @notice Stake locks (`unlock`, `freeStake`, their effect on `unbond` and `slash`) and epochs (`setEpochBlocks`,
///         `drawWeight`).
contract WorkerRegistryLockTest is RegistryFixtures {
    // ------------------------------------------------------------ unlock

    function test_unlock_releasesLockedStakeAndEmits() public {
        _registerCompute(alice, 300e18);
        _nextEpoch();
        _draw(1, 1, _none(), 120e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeUnlocked(alice, 50e18, 70e18);
        vm.cool(address(workers));
        vm.prank(slasher);
        workers.unlock(alice, 50e18);
        vm.snapshotGasLastCall("unlock");
        assertEq(workers.getWorker(alice).locked, 70e18);
        assertEq(workers.freeStake(alice), 230e18);
    }

    function test_unlock_isCappedAtTheLockedStake() public {
        _registerCompute(alice, 300e18);
        _nextEpoch();
        _draw(1, 1, _none(), 120e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeUnlocked(alice, 120e18, 0);
        vm.prank(slasher);
        workers.unlock(alice, type(uint96).max);
        assertEq(workers.getWorker(alice).locked, 0);
        assertEq(workers.freeStake(alice), 300e18);
    }

    function test_unlock_revertsIfCallerNotSlasher() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, workers.SLASHER_ROLE()
            )
        );
        vm.prank(bob);
        workers.unlock(alice, 1);
    }

    // ------------------------------------------------------------ releaseSeats

    function test_releaseSeats_releasesEachEntryAndCountsItsAcceptedSeats() public {
        _registerCompute(alice, 300e18);
        _registerCompute(bob, 300e18);
        _nextEpoch();
        _draw(1, 2, _none(), 120e18);
        IWorkerRegistry.SeatRelease[] memory releases = new IWorkerRegistry.SeatRelease[](3);
        releases[0] = IWorkerRegistry.SeatRelease(alice, MODEL, 50e18, 3);
        releases[1] = IWorkerRegistry.SeatRelease(bob, MODEL, type(uint96).max, 0);
        releases[2] = IWorkerRegistry.SeatRelease(alice, OTHER_MODEL, 20e18, 1);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeUnlocked(alice, 50e18, 70e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.OutcomeRecorded(alice, MODEL, true, 3, 0);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeUnlocked(bob, 120e18, 0);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeUnlocked(alice, 20e18, 50e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.OutcomeRecorded(alice, OTHER_MODEL, true, 1, 0);
        vm.recordLogs();
        vm.prank(slasher);
        workers.releaseSeats(releases);
        assertEq(vm.getRecordedLogs().length, 5, "no outcome for an entry with no accepted seat");
        assertEq(workers.getWorker(alice).locked, 50e18);
        assertEq(workers.getWorker(alice).tasksDone, 4);
        assertEq(workers.getWorker(bob).locked, 0, "capped at the locked stake");
        assertEq(workers.getWorker(bob).tasksDone, 0);
    }

    /// @notice Releasing summed seats ends where releasing them one by one does: lock, counters, reputation.
    function testFuzz_releaseSeats_endsAsCloseSeatOneByOne(uint96 lock, uint96[4] memory seats, uint8 acceptedMask)
        public
    {
        _registerCompute(alice, 300e18);
        _nextEpoch();
        _draw(1, 1, _none(), uint96(bound(lock, 1, 300e18)));
        uint256 snapshot = vm.snapshotState();
        uint256 sum;
        uint32 accepted;
        vm.startPrank(slasher);
        for (uint256 i; i < seats.length; ++i) {
            seats[i] = uint96(bound(seats[i], 0, 100e18));
            sum += seats[i];
            if (acceptedMask & (1 << i) != 0) {
                workers.closeSeat(alice, MODEL, seats[i], true);
                ++accepted;
            } else {
                workers.unlock(alice, seats[i]);
            }
        }
        IWorkerRegistry.Worker memory oneByOne = workers.getWorker(alice);
        uint16 reputation = workers.reputationBps(alice, MODEL);
        vm.revertToState(snapshot);
        IWorkerRegistry.SeatRelease[] memory releases = new IWorkerRegistry.SeatRelease[](1);
        releases[0] = IWorkerRegistry.SeatRelease(alice, MODEL, uint96(sum), accepted);
        workers.releaseSeats(releases);
        vm.stopPrank();
        IWorkerRegistry.Worker memory summed = workers.getWorker(alice);
        assertEq(summed.locked, oneByOne.locked);
        assertEq(summed.tasksDone, oneByOne.tasksDone);
        assertEq(summed.faults, oneByOne.faults);
        assertEq(workers.freeStake(alice), summed.stake - summed.locked);
        assertEq(workers.reputationBps(alice, MODEL), reputation);
    }

    function test_releaseSeats_revertsIfCallerNotSlasher() public {
        IWorkerRegistry.SeatRelease[] memory releases = new IWorkerRegistry.SeatRelease[](1);
        releases[0] = IWorkerRegistry.SeatRelease(bob, MODEL, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, workers.SLASHER_ROLE()
            )
        );
        vm.prank(bob);
        workers.releaseSeats(releases);
    }

    // ------------------------------------------------------------ locks against unbond and slash

    function test_unbond_revertsIfStakeIsLocked() public {
        _registerCompute(alice, 100e18);
        _nextEpoch();
        _draw(1, 1, _none(), 1);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.UnbondExceedsStake.selector, uint96(100e18), 100e18 - 1));
        vm.prank(alice);
        workers.unbond(100e18);
        vm.prank(slasher);
        workers.unlock(alice, 1);
        vm.prank(alice);
        workers.unbond(100e18);
        assertEq(workers.getWorker(alice).unbonding, 100e18);
    }

    function test_slash_capsLockedAtTheRemainingStake() public {
        _registerCompute(alice, 300e18);
        _nextEpoch();
        _draw(1, 1, _none(), 250e18);
        vm.prank(slasher);
        workers.slash(alice, 100e18);
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        assertEq(w.stake, 200e18);
        assertEq(w.locked, 200e18, "capped");
        assertEq(workers.freeStake(alice), 0);
        vm.prank(slasher);
        workers.slash(alice, 500e18);
        assertEq(workers.getWorker(alice).locked, 0);
        vm.prank(slasher);
        workers.unlock(alice, 1); // nothing left to release
        assertEq(workers.getWorker(alice).locked, 0);
    }

    function test_slash_keepsLockedIfStakeStillCoversIt() public {
        _registerCompute(alice, 300e18);
        _nextEpoch();
        _draw(1, 1, _none(), 100e18);
        vm.prank(slasher);
        workers.slash(alice, 150e18);
        assertEq(workers.getWorker(alice).locked, 100e18);
        assertEq(workers.freeStake(alice), 50e18);
    }

    function test_slash_lowersTheWorkersWeightFromTheNextEpoch() public {
        ModelId[] memory served = new ModelId[](2);
        served[0] = MODEL;
        served[1] = OTHER_MODEL;
        _register(alice, Roles.COMPUTE | Roles.VERIFY, served, 500e18);
        _nextEpoch();
        vm.prank(slasher);
        workers.slash(alice, 200e18);
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 500e18, "in force until the epoch ends");
        _nextEpoch();
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 300e18);
        assertEq(workers.drawWeight(MODEL, Roles.VERIFY), 300e18);
        assertEq(workers.drawWeight(OTHER_MODEL, Roles.COMPUTE), 300e18);
        assertEq(workers.drawWeight(OTHER_MODEL, Roles.VERIFY), 300e18);
    }

    function testFuzz_locks_keepLockedWithinStake(uint96 stake, uint96 lock, uint96 unlocked, uint96 slashed) public {
        stake = uint96(bound(stake, MIN_COMPUTE, 1e27));
        lock = uint96(bound(lock, 1, stake));
        _registerCompute(alice, stake);
        _nextEpoch();
        assertEq(_draw(1, 1, _none(), lock).length, 1);
        vm.startPrank(slasher);
        workers.unlock(alice, unlocked);
        workers.slash(alice, slashed);
        vm.stopPrank();
        IWorkerRegistry.Worker memory w = workers.getWorker(alice);
        uint96 left = slashed < stake ? stake - slashed : 0;
        uint96 locked = unlocked < lock ? lock - unlocked : 0;
        assertEq(w.stake, left);
        assertEq(w.locked, locked < left ? locked : left);
        assertEq(workers.freeStake(alice), w.stake - w.locked);
    }

    // ------------------------------------------------------------ epochs

    function test_setEpochBlocks_updatesTheLengthAndEmits() public {
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.EpochBlocksChanged(64);
        vm.prank(admin);
        workers.setEpochBlocks(64);
        assertEq(workers.epochBlocks(), 64);
    }

    function test_setEpochBlocks_revertsIfOutOfRange() public {
        uint32[4] memory bad = [uint32(0), 3, 257, type(uint32).max];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidEpochBlocks.selector, bad[i]));
            vm.prank(admin);
            workers.setEpochBlocks(bad[i]);
        }
        vm.startPrank(admin);
        workers.setEpochBlocks(4);
        workers.setEpochBlocks(256);
        vm.stopPrank();
    }

    function test_setEpochBlocks_revertsIfCallerNotAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, slasher, workers.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(slasher);
        workers.setEpochBlocks(32);
    }

    function test_setEpochBlocks_startsANewEpochAtOnce() public {
        vm.roll(1_000);
        _registerCompute(alice, MIN_COMPUTE);
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 0);
        vm.prank(admin);
        workers.setEpochBlocks(256); // 1_000 / 256 = 3 < 1_000 / 16 = 62: the plain quotient would go back
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), MIN_COMPUTE, "pending changes take effect");
        _registerCompute(bob, MIN_COMPUTE);
        vm.roll(1_023);
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), MIN_COMPUTE, "bob waits for the next boundary");
        vm.roll(1_024);
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 2 * MIN_COMPUTE);
    }

    function testFuzz_setEpochBlocks_neverLetsADrawSeeAChangeOfItsEpoch(uint32[4] memory lengths, uint8[4] memory gaps)
        public
    {
        _registerCompute(alice, MIN_COMPUTE);
        _nextEpoch();
        uint256 inForce = MIN_COMPUTE;
        for (uint256 i; i < 4; ++i) {
            vm.prank(admin);
            workers.setEpochBlocks(uint32(bound(lengths[i], 4, 256)));
            // A change right after the new epoch began counts only from the one after.
            _fund(alice, 1e18);
            vm.prank(alice);
            workers.addStake(1e18);
            assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), inForce);
            uint256 blocks = workers.epochBlocks();
            uint256 gap = bound(gaps[i], 0, 2 * blocks);
            uint256 epochEnd = (block.number / blocks + 1) * blocks;
            vm.roll(block.number + gap);
            if (block.number >= epochEnd) {
                inForce += 1e18;
            }
            assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), inForce);
            inForce = MIN_COMPUTE + (i + 1) * 1e18; // the next change of length makes everything effective
        }
    }

    function test_drawWeight_sumsTheWeightsInForce() public {
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 200e18);
        _register(carol, Roles.VERIFY, _one(MODEL), 300e18);
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 0);
        _nextEpoch();
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 300e18);
        assertEq(workers.drawWeight(MODEL, Roles.VERIFY), 300e18);
        vm.prank(slasher);
        workers.jail(alice, type(uint40).max);
        _draw(1, 1, _none(), 200e18); // locks bob
        _nextEpoch();
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 300e18, "jailed and locked workers count");
    }

    function test_drawWeight_revertsIfRoleNotASingleBit() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, uint8(5)));
        workers.drawWeight(MODEL, 5);
    }
}
