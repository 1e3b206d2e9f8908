// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {IWorkerRegistry} from "../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

/// @notice `drawAndLock` and `isEligible`: who can be drawn, how likely, and what it locks.
contract WorkerRegistryDrawTest is RegistryFixtures {
    // ------------------------------------------------------------ isEligible

    function test_isEligible_isTrueIfAllConditionsHold() public {
        _registerCompute(alice, MIN_COMPUTE);
        _nextEpoch();
        assertTrue(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseUntilTheNextEpoch() public {
        _registerCompute(alice, MIN_COMPUTE);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE), "no weight in this epoch yet");
        _nextEpoch();
        assertTrue(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfNotRegistered() public view {
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfRoleNotHeldOrInvalid() public {
        _registerCompute(alice, MIN_COMPUTE);
        _nextEpoch();
        assertFalse(workers.isEligible(alice, MODEL, Roles.VERIFY));
        assertFalse(workers.isEligible(alice, MODEL, 0));
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE | Roles.VERIFY));
    }

    function test_isEligible_isFalseIfModelNotServed() public {
        _registerCompute(alice, MIN_COMPUTE);
        _nextEpoch();
        assertFalse(workers.isEligible(alice, OTHER_MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfStakeBelowRequired() public {
        _registerCompute(alice, MIN_COMPUTE);
        _nextEpoch();
        vm.prank(admin);
        workers.setMinStake(Roles.COMPUTE, MIN_COMPUTE + 1);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfStakeZeroEvenWithZeroMinimum() public {
        vm.prank(admin);
        workers.setMinStake(Roles.COMPUTE, 0);
        _registerCompute(alice, 1);
        _nextEpoch();
        vm.prank(alice);
        workers.unbond(1);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfJailedUntilJailEnds() public {
        _registerCompute(alice, MIN_COMPUTE);
        _nextEpoch();
        uint40 until = uint40(block.timestamp + 1 hours);
        vm.prank(slasher);
        workers.jail(alice, until);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
        vm.warp(until);
        assertTrue(workers.isEligible(alice, MODEL, Roles.COMPUTE), "free at jailedUntil");
    }

    // ------------------------------------------------------------ drawAndLock: edges

    function test_drawAndLock_returnsEmptyIfNoWorkerServesTheModel() public {
        assertEq(_draw(1, 3).length, 0);
    }

    function test_drawAndLock_returnsEmptyIfCountZero() public {
        _registerMany(2);
        assertEq(_draw(1, 0).length, 0);
    }

    function test_drawAndLock_returnsEmptyIfNoneEligible() public {
        address[] memory list = _registerMany(1);
        vm.prank(slasher);
        workers.jail(list[0], type(uint40).max);
        assertEq(_draw(1, 3).length, 0);
    }

    function test_drawAndLock_revertsIfRoleNotASingleBit() public {
        _registerMany(1);
        vm.startPrank(slasher);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, uint8(0)));
        workers.drawAndLock(MODEL, 0, 1, 1, _none(), 0);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, uint8(3)));
        workers.drawAndLock(MODEL, 3, 1, 1, _none(), 0);
        vm.stopPrank();
    }

    function test_drawAndLock_revertsIfCallerNotSlasher() public {
        _registerMany(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, workers.SLASHER_ROLE()
            )
        );
        vm.prank(bob);
        workers.drawAndLock(MODEL, Roles.COMPUTE, 1, 1, _none(), 0);
    }

    function test_drawAndLock_returnsAllEligibleIfCountExceedsThem() public {
        _registerMany(3);
        address[] memory drawn = _draw(42, 7);
        assertEq(drawn.length, 3);
        _assertDistinct(drawn);
    }

    function test_drawAndLock_passesOverExcludedJailedUnderstakedStoppedAndOtherRoles() public {
        address[] memory list = _registerMany(6);
        _register(alice, Roles.VERIFY, _one(MODEL), MIN_VERIFY);
        _nextEpoch();
        vm.prank(slasher);
        workers.jail(list[1], uint40(block.timestamp + 1));
        vm.prank(list[2]);
        workers.unbond(MIN_COMPUTE * 3); // all of it
        vm.prank(list[3]);
        workers.stopServing(MODEL);
        address[] memory exclude = new address[](2);
        exclude[0] = list[4];
        exclude[1] = address(0);

        for (uint256 seed; seed < 20; ++seed) {
            address[] memory drawn = _draw(seed, 7, exclude, 0);
            assertEq(drawn.length, 2, "list[0] and list[5] remain");
            assertTrue(drawn[0] == list[0] || drawn[0] == list[5]);
            assertTrue(drawn[1] == list[0] || drawn[1] == list[5]);
            assertTrue(drawn[0] != drawn[1]);
        }
        vm.prank(slasher);
        address[] memory verifiers = workers.drawAndLock(MODEL, Roles.VERIFY, 3, 7, exclude, 0);
        assertEq(verifiers.length, 1);
        assertEq(verifiers[0], alice);
    }

    function test_drawAndLock_passesOverAWorkerBelowTheMinimumOfAnyOfItsRoles() public {
        _register(alice, Roles.COMPUTE | Roles.STORE, _one(MODEL), 200e18);
        _registerCompute(bob, MIN_COMPUTE);
        _nextEpoch();
        assertEq(_draw(1, 2).length, 2);
        vm.prank(admin);
        workers.setMinStake(Roles.STORE, 100e18 + 1); // alice's COMPUTE + STORE now needs 200e18 + 1
        for (uint256 seed; seed < 10; ++seed) {
            address[] memory drawn = _draw(seed, 2);
            assertEq(drawn.length, 1);
            assertEq(drawn[0], bob);
        }
    }

    function test_drawAndLock_isDeterministicInTheSeed() public {
        _registerMany(8);
        address[] memory a = _draw(1234, 5);
        address[] memory b = _draw(1234, 5);
        assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(b)));
    }

    function test_drawAndLock_stopsAfterCountPlus16Picks() public {
        address[] memory list = _registerMany(64);
        bytes32 accounts = _accountAtSlot(MODEL, 0);
        vm.record();
        address[] memory drawn = _draw(5, 1, list, 0); // everyone excluded
        (bytes32[] memory reads,) = vm.accesses(address(workers));
        assertEq(drawn.length, 0);
        uint256 picks;
        for (uint256 i; i < reads.length; ++i) {
            for (uint256 index = 1; index <= 64; ++index) {
                if (reads[i] == keccak256(abi.encode(index, accounts))) {
                    ++picks;
                }
            }
        }
        assertEq(picks, 1 + 16);
    }

    // ------------------------------------------------------------ drawAndLock: locks

    function test_drawAndLock_locksLockEachOnEveryDrawnWorkerAndEmits() public {
        _registerMany(4);
        address[] memory expected = _drawWithoutLocking(77, 2);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeLocked(expected[0], 30e18, 30e18);
        vm.expectEmit(address(workers));
        emit IWorkerRegistry.StakeLocked(expected[1], 30e18, 30e18);
        address[] memory drawn = _draw(77, 2, _none(), 30e18);
        assertEq(keccak256(abi.encode(drawn)), keccak256(abi.encode(expected)));
        for (uint256 i; i < 2; ++i) {
            assertEq(workers.getWorker(drawn[i]).locked, 30e18);
            assertEq(workers.freeStake(drawn[i]), workers.getWorker(drawn[i]).stake - 30e18);
        }
    }

    function test_drawAndLock_passesOverAWorkerIfLockEachExceedsItsFreeStake() public {
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 1_000e18);
        _nextEpoch();
        for (uint256 seed; seed < 20; ++seed) {
            address[] memory drawn = _draw(seed, 2, _none(), 100e18 + 1);
            assertEq(drawn.length, 1, "only bob has the free stake");
            assertEq(drawn[0], bob);
            vm.prank(slasher);
            workers.unlock(bob, 100e18 + 1);
        }
        // Exactly the free stake is enough.
        assertEq(_draw(1, 2, _none(), 100e18).length, 2);
        // Now alice has nothing free: even a lock of 1 passes her over.
        address[] memory again = _draw(2, 2, _none(), 1);
        assertEq(again.length, 1);
        assertEq(again[0], bob);
    }

    function test_drawAndLock_passesOverALockedOutWorkerUnlockedInTheSameEpoch() public {
        _registerCompute(alice, 100e18);
        _nextEpoch();
        assertEq(_draw(1, 1, _none(), 100e18)[0], alice);
        _nextEpoch(); // the lock is now in force at the epoch's start
        vm.prank(slasher);
        workers.unlock(alice, 100e18);
        assertEq(workers.freeStake(alice), 100e18);
        assertEq(_draw(2, 1, _none(), 1).length, 0, "still locked at the epoch's start");
        _nextEpoch();
        assertEq(_draw(3, 1, _none(), 1)[0], alice);
    }

    function test_drawAndLock_passesOverALockedOutWorkerToppedUpInTheSameEpoch() public {
        _registerCompute(alice, 100e18);
        _nextEpoch();
        _draw(1, 1, _none(), 100e18);
        _fund(alice, 500e18);
        vm.prank(alice);
        workers.addStake(500e18);
        assertEq(workers.freeStake(alice), 500e18);
        assertEq(_draw(2, 1, _none(), 1).length, 0, "the stake in force is still 100, all locked");
        _nextEpoch();
        assertEq(_draw(3, 1, _none(), 500e18)[0], alice);
    }

    function test_drawAndLock_countsALockAndUnlockInOneEpochAsNothing() public {
        _registerCompute(alice, 100e18);
        _nextEpoch();
        _draw(1, 1, _none(), 100e18);
        vm.prank(slasher);
        workers.unlock(alice, 100e18);
        assertEq(_draw(2, 1, _none(), 100e18)[0], alice, "the epoch started with nothing locked");
    }

    // ------------------------------------------------------------ drawAndLock: epochs

    function test_drawAndLock_neverDrawsAWorkerRegisteredInTheCurrentEpoch() public {
        _registerMany(5);
        uint256 weight = workers.drawWeight(MODEL, Roles.COMPUTE);
        _registerCompute(carol, 1_000_000e18);
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), weight);
        for (uint256 seed; seed < 50; ++seed) {
            address[] memory drawn = _draw(seed, 3);
            assertEq(drawn.length, 3);
            assertFalse(_contains(drawn, carol), "drawn in the epoch it registered");
        }
        _nextEpoch();
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), weight + 1_000_000e18);
        assertEq(_draw(0, 1)[0], carol, "almost all the weight");
    }

    function test_drawAndLock_isUnchangedByStakeAddedInTheCurrentEpoch() public {
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 100e18);
        _nextEpoch();
        address[] memory before = new address[](100);
        for (uint256 seed; seed < 100; ++seed) {
            before[seed] = _draw(seed, 1)[0];
        }
        _fund(bob, 10_000e18);
        vm.prank(bob);
        workers.addStake(10_000e18);
        uint256 bobWins;
        for (uint256 seed; seed < 100; ++seed) {
            assertEq(_draw(seed, 1)[0], before[seed], "the top-up changed a draw in its epoch");
            if (before[seed] == bob) {
                ++bobWins;
            }
        }
        assertGt(bobWins, 30, "about half");
        assertLt(bobWins, 70);
        _nextEpoch();
        bobWins = 0;
        for (uint256 seed; seed < 100; ++seed) {
            if (_draw(seed, 1)[0] == bob) {
                ++bobWins;
            }
        }
        assertGt(bobWins, 95, "10_100 of 10_200 from the next epoch");
    }

    function test_drawAndLock_ignoresAModelServedOrARoleAddedInTheCurrentEpoch() public {
        _register(alice, Roles.COMPUTE, _one(OTHER_MODEL), 300e18);
        _registerCompute(bob, MIN_COMPUTE);
        _nextEpoch();
        vm.prank(alice);
        workers.serveModel(MODEL);
        vm.prank(alice);
        workers.setRoles(Roles.COMPUTE | Roles.VERIFY);
        vm.prank(alice);
        workers.serveModel(ModelId.wrap(keccak256("model-c")));
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
        assertFalse(workers.isEligible(alice, OTHER_MODEL, Roles.VERIFY));
        assertTrue(workers.isEligible(alice, OTHER_MODEL, Roles.COMPUTE), "served before the epoch");
        for (uint256 seed; seed < 20; ++seed) {
            assertEq(_draw(seed, 2)[0], bob);
        }
        _nextEpoch();
        assertTrue(workers.isEligible(alice, MODEL, Roles.COMPUTE));
        assertTrue(workers.isEligible(alice, OTHER_MODEL, Roles.VERIFY));
    }

    function test_drawAndLock_appliesLoweringActionsAtOnce() public {
        address[] memory list = _registerMany(5); // stakes 100, 200, ..., 500
        vm.prank(slasher);
        workers.jail(list[0], uint40(block.timestamp + 1 days));
        vm.prank(list[1]);
        workers.stopServing(MODEL);
        vm.prank(list[2]);
        workers.unbond(200e18); // 100 left, below the lock asked
        vm.prank(slasher);
        workers.slash(list[3], 300e18); // 100 left
        vm.prank(list[4]);
        workers.setRoles(Roles.VERIFY);
        for (uint256 seed; seed < 20; ++seed) {
            assertEq(_draw(seed, 5, _none(), 101e18).length, 0);
        }
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), 1_500e18, "weights in force are unchanged");
        address[] memory rest = _draw(0, 5, _none(), 100e18);
        assertEq(rest.length, 2, "list[2] and list[3] can still lock 100");
        assertTrue(_contains(rest, list[2]) && _contains(rest, list[3]));
    }

    // ------------------------------------------------------------ drawAndLock: distribution

    function test_drawAndLock_isStakeWeighted() public {
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 300e18);
        _nextEpoch();
        uint256 heavyFirst;
        for (uint256 seed; seed < 400; ++seed) {
            address[] memory drawn = _draw(seed, 2);
            assertEq(drawn.length, 2, "without replacement both are drawn");
            if (drawn[0] == bob) {
                ++heavyFirst;
            }
        }
        // Expected 300 of 400; the fixed seeds make this deterministic, the wide band keeps it honest.
        assertGt(heavyFirst, 250);
        assertLt(heavyFirst, 350);
    }

    function test_drawAndLock_isStakeWeightedAfterTheFirstPick() public {
        // Stakes 100, 100, 800: given the heavy worker went first, the other two are equally likely second.
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 100e18);
        _registerCompute(carol, 800e18);
        _nextEpoch();
        uint256 carolFirst;
        uint256 aliceSecond;
        for (uint256 seed; seed < 400; ++seed) {
            address[] memory drawn = _draw(seed, 2);
            if (drawn[0] == carol) {
                ++carolFirst;
                if (drawn[1] == alice) {
                    ++aliceSecond;
                }
            }
        }
        assertGt(carolFirst, 280, "expected 320");
        assertLt(carolFirst, 360);
        assertGt(aliceSecond * 100, carolFirst * 35, "about half");
        assertLt(aliceSecond * 100, carolFirst * 65);
    }

    function test_drawAndLock_isStakeProportionalOverManyWorkers() public {
        // 300 workers: even positions stake 100, odd positions 300. Heavy workers hold 3/4 of the weight, and
        // each half of the list holds half of it, so a positional bias (a window) would show as well.
        uint256 n = 300;
        for (uint256 i; i < n; ++i) {
            _registerCompute(makeAddr(string.concat("w", vm.toString(i))), i % 2 == 0 ? 100e18 : 300e18);
        }
        _nextEpoch();
        address[] memory order = workers.workersOf(MODEL, Roles.COMPUTE);
        uint256 draws = 1_200;
        uint256 heavy;
        uint256 firstHalf;
        uint256[] memory wins = new uint256[](n);
        for (uint256 seed; seed < draws; ++seed) {
            address who = _draw(seed, 1)[0];
            uint256 at = _indexOf(order, who);
            ++wins[at];
            if (at % 2 == 1) {
                ++heavy;
            }
            if (at < n / 2) {
                ++firstHalf;
            }
        }
        // Expected 900 heavy (sd 15) and 600 in the first half (sd 17); bands of about 4 sd.
        assertGt(heavy, 840);
        assertLt(heavy, 960);
        assertGt(firstHalf, 530);
        assertLt(firstHalf, 670);
        // Spread: about 4 wins per heavy worker and 1.3 per light one; no worker gets a tenth of the draws.
        for (uint256 i; i < n; ++i) {
            assertLt(wins[i], 20);
        }
    }

    function test_drawAndLock_givesSybilsNoMoreThanTheirStakeShare() public {
        // 60 honest workers with 95% of the stake, then 192 back-to-back minimum-stake sybils (5%). A window of
        // 64 list entries from a random start handed the sybils about half of all seats; the tree gives them
        // their stake share.
        uint256 honest = 60;
        uint256 sybils = 192;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 honestStake = uint96(uint256(MIN_COMPUTE) * sybils * 19 / honest); // 6_080e18: 19 times the sybils
        for (uint256 i; i < honest; ++i) {
            _registerCompute(makeAddr(string.concat("honest", vm.toString(i))), honestStake);
        }
        address[] memory sybil = new address[](sybils);
        for (uint256 i; i < sybils; ++i) {
            sybil[i] = makeAddr(string.concat("sybil", vm.toString(i)));
            _registerCompute(sybil[i], MIN_COMPUTE);
        }
        _nextEpoch();
        uint256 seats;
        uint256 sybilSeats;
        for (uint256 seed; seed < 300; ++seed) {
            address[] memory drawn = _draw(seed, 3);
            for (uint256 i; i < drawn.length; ++i) {
                ++seats;
                if (_contains(sybil, drawn[i])) {
                    ++sybilSeats;
                }
            }
        }
        assertEq(seats, 900);
        // Expected a little over 5% (45 seats; without replacement the later picks skew slightly towards the
        // sybils); at most 9% (81 seats), far below the window's ~49%.
        assertLt(sybilSeats, 81, "sybils won more than their stake share");
        assertGt(sybilSeats, 20, "sybils still win their share");
    }

    // ------------------------------------------------------------ drawAndLock: fuzz

    function testFuzz_drawAndLock_returnsDistinctEligibleWorkersOutsideExclude(
        uint256 seed,
        uint256 n,
        uint256 count,
        uint256 stakes,
        uint32 jailMask,
        uint32 excludeMask,
        uint32 verifyMask,
        uint96 lockEach
    ) public {
        n = bound(n, 1, 24);
        count = bound(count, 0, 30);
        lockEach = uint96(bound(lockEach, 0, 600e18));
        address[] memory list = new address[](n);
        address[] memory exclude = new address[](n);
        uint256 excluded;
        for (uint256 i; i < n; ++i) {
            list[i] = makeAddr(string.concat("w", vm.toString(i)));
            uint96 stake = uint96(MIN_COMPUTE + uint256(keccak256(abi.encode(stakes, i))) % 1_000e18);
            uint8 roles = (verifyMask >> i) & 1 == 1 ? Roles.VERIFY : Roles.COMPUTE;
            _register(list[i], roles, _one(MODEL), stake);
            if ((jailMask >> i) & 1 == 1) {
                vm.prank(slasher);
                workers.jail(list[i], uint40(block.timestamp + 1));
            }
            if ((excludeMask >> i) & 1 == 1) {
                exclude[excluded++] = list[i];
            }
        }
        _nextEpoch();
        assembly ("memory-safe") {
            mstore(exclude, excluded) // shrink to the used prefix
        }
        uint256 eligible;
        for (uint256 i; i < n; ++i) {
            if (
                workers.isEligible(list[i], MODEL, Roles.COMPUTE) && !_contains(exclude, list[i])
                    && workers.freeStake(list[i]) >= lockEach
            ) {
                ++eligible;
            }
        }

        address[] memory drawn = _draw(seed, count, exclude, lockEach);

        // Every eligible worker is found within count + 16 picks here: at most 24 - eligible are passed over.
        if (n <= 16) {
            assertEq(drawn.length, count < eligible ? count : eligible, "min(count, eligible)");
        }
        assertLe(drawn.length, count < eligible ? count : eligible);
        _assertDistinct(drawn);
        for (uint256 i; i < drawn.length; ++i) {
            IWorkerRegistry.Worker memory w = workers.getWorker(drawn[i]);
            assertTrue(workers.isEligible(drawn[i], MODEL, Roles.COMPUTE), "eligible");
            assertFalse(_contains(exclude, drawn[i]), "not excluded");
            assertLe(w.jailedUntil, block.timestamp, "not jailed");
            assertEq(w.locked, lockEach, "locked");
        }
    }

    function testFuzz_drawAndLock_matchesTheReferenceModel(
        uint256 seed,
        uint256 n,
        uint256 count,
        uint256 stakes,
        uint256 jailMask,
        uint256 excludeMask
    ) public {
        n = bound(n, 1, 72);
        count = bound(count, 0, 9);
        address[] memory exclude = new address[](n);
        uint256 excluded;
        for (uint256 i; i < n; ++i) {
            address who = makeAddr(string.concat("w", vm.toString(i)));
            _registerCompute(who, uint96(MIN_COMPUTE + uint256(keccak256(abi.encode(stakes, i))) % 1_000e18));
            if ((jailMask >> i) & 1 == 1) {
                vm.prank(slasher);
                workers.jail(who, uint40(block.timestamp + 1));
            }
            if ((excludeMask >> i) & 3 == 3) {
                exclude[excluded++] = who; // about one in four
            }
        }
        _nextEpoch();
        assembly ("memory-safe") {
            mstore(exclude, excluded) // shrink to the used prefix
        }

        address[] memory expected = _referenceDraw(seed, count, exclude);
        address[] memory drawn = _draw(seed, count, exclude, 0);
        assertEq(keccak256(abi.encode(drawn)), keccak256(abi.encode(expected)));
    }

    function testFuzz_drawAndLock_matchesTheReferenceModelAcrossEpochs(
        uint256 seed,
        uint256 n,
        uint256 count,
        uint256 stakes,
        uint256 epochMask,
        uint256 topUpMask
    ) public {
        n = bound(n, 1, 40);
        count = bound(count, 0, 9);
        address[] memory list = new address[](n);
        uint256[] memory inForce = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            if ((epochMask >> i) & 1 == 1) {
                _nextEpoch(); // leaves appended in later epochs than their neighbours
                for (uint256 j; j < i; ++j) {
                    inForce[j] = workers.getWorker(list[j]).stake;
                }
            }
            list[i] = makeAddr(string.concat("w", vm.toString(i)));
            _registerCompute(list[i], uint96(MIN_COMPUTE + uint256(keccak256(abi.encode(stakes, i))) % 1_000e18));
            if ((topUpMask >> i) & 1 == 1) {
                _fund(list[0], 500e18);
                vm.prank(list[0]);
                workers.addStake(500e18); // changes nodes on the path of leaf 1 in various epochs
            }
        }
        uint256[] memory weights = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            weights[i] = inForce[i];
            total += inForce[i];
        }
        assertEq(workers.drawWeight(MODEL, Roles.COMPUTE), total);
        address[] memory expected = _referenceDraw(seed, count, _none(), list, weights);
        assertEq(keccak256(abi.encode(_draw(seed, count))), keccak256(abi.encode(expected)));
    }

    // ------------------------------------------------------------ drawAndLock: gas

    function test_drawAndLock_snapshotsGasAmong16Workers() public {
        _registerMany(16);
        _snapshotDraw(1, "drawAndLock_16workers_count1");
        _snapshotDraw(3, "drawAndLock_16workers_count3");
    }

    function test_drawAndLock_snapshotsGasAmong256Workers() public {
        _registerMany(256);
        _snapshotDraw(1, "drawAndLock_256workers_count1");
        _snapshotDraw(3, "drawAndLock_256workers_count3");
    }

    // ------------------------------------------------------------ helpers

    /// @dev Draws `count` with a lock of 10 tokens each from cold storage, snapshots the gas, and undoes it.
    function _snapshotDraw(uint256 count, string memory name) internal {
        uint256 state = vm.snapshotState();
        vm.cool(address(workers));
        vm.prank(slasher);
        workers.drawAndLock(MODEL, Roles.COMPUTE, 99, count, _one(alice), 10e18);
        vm.snapshotGasLastCall(name);
        vm.revertToState(state);
    }

    /// @dev The draw `_draw(seed, count)` would make, without keeping any state change.
    function _drawWithoutLocking(uint256 seed, uint256 count) internal returns (address[] memory drawn) {
        uint256 state = vm.snapshotState();
        drawn = _draw(seed, count);
        vm.revertToState(state);
    }

    /// @dev `drawAndLock(MODEL, COMPUTE, seed, count, exclude, 0)` written out plainly from the interface's
    ///      description, for a tree whose weights in force are every listed worker's stake: a linear walk over the
    ///      leaves in `workersOf` order (leaf order while nobody has left) instead of the tree's descent.
    function _referenceDraw(uint256 seed, uint256 count, address[] memory exclude)
        internal
        view
        returns (address[] memory)
    {
        address[] memory leaves = workers.workersOf(MODEL, Roles.COMPUTE);
        uint256[] memory weights = new uint256[](leaves.length);
        uint256 total;
        for (uint256 j; j < leaves.length; ++j) {
            weights[j] = workers.getWorker(leaves[j]).stake;
            total += weights[j];
        }
        assertEq(total, workers.drawWeight(MODEL, Roles.COMPUTE));
        return _referenceDraw(seed, count, exclude, leaves, weights);
    }

    /// @dev The same over explicit leaves (in leaf order) and their weights in force.
    function _referenceDraw(
        uint256 seed,
        uint256 count,
        address[] memory exclude,
        address[] memory leaves,
        uint256[] memory weights
    ) internal view returns (address[] memory out) {
        uint256 size = leaves.length;
        uint256 remaining;
        for (uint256 j; j < size; ++j) {
            remaining += weights[j];
        }
        if (count > size) {
            count = size;
        }
        uint256 tries = count + 16 < size ? count + 16 : size;
        out = new address[](count);
        uint256 n;
        for (uint256 i; i < tries && n < count && remaining != 0; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i))) % remaining;
            uint256 j;
            while (r >= weights[j]) {
                r -= weights[j];
                ++j;
            }
            remaining -= weights[j];
            weights[j] = 0;
            if (!_contains(exclude, leaves[j]) && workers.isEligible(leaves[j], MODEL, Roles.COMPUTE)) {
                out[n++] = leaves[j];
            }
        }
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }

    /// @dev Storage slot of `_trees[modelId][roleBit].accountAt` (the mapping is at slot 9; `accountAt` is the
    ///      tree's fourth member).
    function _accountAtSlot(ModelId modelId, uint256 roleBit) internal pure returns (bytes32) {
        bytes32 tree = keccak256(abi.encode(roleBit, keccak256(abi.encode(modelId, uint256(9)))));
        return bytes32(uint256(tree) + 3);
    }

    function _assertDistinct(address[] memory list) internal pure {
        for (uint256 i; i < list.length; ++i) {
            for (uint256 j = i + 1; j < list.length; ++j) {
                assertTrue(list[i] != list[j], "drawn twice");
            }
        }
    }

    function _contains(address[] memory list, address who) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == who) {
                return true;
            }
        }
        return false;
    }

    function _indexOf(address[] memory list, address who) internal pure returns (uint256) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == who) {
                return i;
            }
        }
        revert("not listed");
    }
}
