// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IWorkerRegistry} from "../contracts/interfaces/IWorkerRegistry.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

/// @notice `draw` and `isEligible`.
contract WorkerRegistryDrawTest is RegistryFixtures {
    // ------------------------------------------------------------ isEligible

    function test_isEligible_isTrueIfAllConditionsHold() public {
        _registerCompute(alice, MIN_COMPUTE);
        assertTrue(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfNotRegistered() public view {
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfRoleNotHeldOrInvalid() public {
        _registerCompute(alice, MIN_COMPUTE);
        assertFalse(workers.isEligible(alice, MODEL, Roles.VERIFY));
        assertFalse(workers.isEligible(alice, MODEL, 0));
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE | Roles.VERIFY));
    }

    function test_isEligible_isFalseIfModelNotServed() public {
        _registerCompute(alice, MIN_COMPUTE);
        assertFalse(workers.isEligible(alice, OTHER_MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfStakeBelowRequired() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.prank(admin);
        workers.setMinStake(Roles.COMPUTE, MIN_COMPUTE + 1);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfStakeZeroEvenWithZeroMinimum() public {
        vm.prank(admin);
        workers.setMinStake(Roles.COMPUTE, 0);
        _registerCompute(alice, 1);
        vm.prank(alice);
        workers.unbond(1);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
    }

    function test_isEligible_isFalseIfJailedUntilJailEnds() public {
        _registerCompute(alice, MIN_COMPUTE);
        uint40 until = uint40(block.timestamp + 1 hours);
        vm.prank(slasher);
        workers.jail(alice, until);
        assertFalse(workers.isEligible(alice, MODEL, Roles.COMPUTE));
        vm.warp(until);
        assertTrue(workers.isEligible(alice, MODEL, Roles.COMPUTE), "free at jailedUntil");
    }

    // ------------------------------------------------------------ draw: edges

    function test_draw_returnsEmptyIfNoWorkerServesTheModel() public view {
        assertEq(workers.draw(MODEL, Roles.COMPUTE, 1, 3, _none()).length, 0);
    }

    function test_draw_returnsEmptyIfCountZero() public {
        _registerCompute(alice, MIN_COMPUTE);
        assertEq(workers.draw(MODEL, Roles.COMPUTE, 1, 0, _none()).length, 0);
    }

    function test_draw_returnsEmptyIfNoneEligible() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.prank(slasher);
        workers.jail(alice, type(uint40).max);
        assertEq(workers.draw(MODEL, Roles.COMPUTE, 1, 3, _none()).length, 0);
    }

    function test_draw_revertsIfRoleNotASingleBit() public {
        _registerCompute(alice, MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, uint8(0)));
        workers.draw(MODEL, 0, 1, 1, _none());
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.InvalidRole.selector, uint8(3)));
        workers.draw(MODEL, 3, 1, 1, _none());
    }

    function test_draw_returnsAllEligibleIfCountExceedsThem() public {
        _registerMany(3);
        address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, 42, 7, _none());
        assertEq(drawn.length, 3);
        _assertDistinct(drawn);
    }

    function test_draw_skipsExcludedJailedUnderstakedAndOtherRoles() public {
        address[] memory list = _registerMany(6);
        _register(alice, Roles.VERIFY, _one(MODEL), MIN_VERIFY);
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
            address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, seed, 7, exclude);
            assertEq(drawn.length, 2, "list[0] and list[5] remain");
            assertTrue(drawn[0] == list[0] || drawn[0] == list[5]);
            assertTrue(drawn[1] == list[0] || drawn[1] == list[5]);
            assertTrue(drawn[0] != drawn[1]);
        }
        address[] memory verifiers = workers.draw(MODEL, Roles.VERIFY, 3, 7, exclude);
        assertEq(verifiers.length, 1);
        assertEq(verifiers[0], alice);
    }

    function test_draw_isDeterministicInTheSeed() public {
        _registerMany(8);
        address[] memory a = workers.draw(MODEL, Roles.COMPUTE, 1234, 5, _none());
        address[] memory b = workers.draw(MODEL, Roles.COMPUTE, 1234, 5, _none());
        assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(b)));
    }

    function test_draw_scansAtMostMaxCandidatesFromTheSeedOffset() public {
        uint256 n = 70;
        address[] memory list = _registerMany(n);
        uint256 max = workers.MAX_CANDIDATES();
        uint256[3] memory seeds = [uint256(0), 6, 69 + 700];
        for (uint256 s; s < seeds.length; ++s) {
            address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, seeds[s], n, _none());
            assertEq(drawn.length, max);
            _assertDistinct(drawn);
            uint256 start = seeds[s] % n;
            for (uint256 i; i < drawn.length; ++i) {
                uint256 index = _indexOf(list, drawn[i]);
                // Inside the window [start, start + 64) modulo n.
                assertLt((index + n - start) % n, max, "drawn outside the scan window");
            }
        }
    }

    // ------------------------------------------------------------ draw: distribution

    function test_draw_isStakeWeighted() public {
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 300e18);
        uint256 heavyFirst;
        for (uint256 seed; seed < 400; ++seed) {
            address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, seed, 2, _none());
            assertEq(drawn.length, 2, "without replacement both are drawn");
            if (drawn[0] == bob) {
                ++heavyFirst;
            }
        }
        // Expected 300 of 400; the fixed seeds make this deterministic, the wide band keeps it honest.
        assertGt(heavyFirst, 250);
        assertLt(heavyFirst, 350);
    }

    function test_draw_isStakeWeightedAfterTheFirstPick() public {
        // Stakes 100, 100, 800: given the heavy worker went first, the other two are equally likely second.
        _registerCompute(alice, 100e18);
        _registerCompute(bob, 100e18);
        _registerCompute(carol, 800e18);
        uint256 carolFirst;
        uint256 aliceSecond;
        for (uint256 seed; seed < 400; ++seed) {
            address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, seed, 2, _none());
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

    // ------------------------------------------------------------ draw: fuzz

    function testFuzz_draw_returnsDistinctEligibleWorkersOutsideExclude(
        uint256 seed,
        uint256 n,
        uint256 count,
        uint256 stakes,
        uint32 jailMask,
        uint32 excludeMask,
        uint32 verifyMask
    ) public {
        n = bound(n, 1, 24);
        count = bound(count, 0, 30);
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
        assembly ("memory-safe") {
            mstore(exclude, excluded) // shrink to the used prefix
        }
        uint256 eligible;
        for (uint256 i; i < n; ++i) {
            if (workers.isEligible(list[i], MODEL, Roles.COMPUTE) && !_contains(exclude, list[i])) {
                ++eligible;
            }
        }

        address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, seed, count, exclude);

        assertEq(drawn.length, count < eligible ? count : eligible, "min(count, eligible)");
        _assertDistinct(drawn);
        for (uint256 i; i < drawn.length; ++i) {
            assertTrue(workers.isEligible(drawn[i], MODEL, Roles.COMPUTE), "eligible");
            assertFalse(_contains(exclude, drawn[i]), "not excluded");
            assertLe(workers.getWorker(drawn[i]).jailedUntil, block.timestamp, "not jailed");
        }
    }

    function testFuzz_draw_matchesTheReferenceModel(
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
        assembly ("memory-safe") {
            mstore(exclude, excluded) // shrink to the used prefix
        }

        address[] memory drawn = workers.draw(MODEL, Roles.COMPUTE, seed, count, exclude);
        address[] memory expected = _referenceDraw(seed, count, exclude);
        assertEq(keccak256(abi.encode(drawn)), keccak256(abi.encode(expected)));
    }

    // ------------------------------------------------------------ draw: gas

    function test_draw_readsEachWorkerOnce() public {
        _registerMany(16);
        vm.record();
        workers.draw(MODEL, Roles.COMPUTE, 7, 7, _none());
        (bytes32[] memory reads,) = vm.accesses(address(workers));
        // List length, two minimum-stake slots, then each list entry and slot 0 of its worker.
        assertEq(reads.length, 1 + 2 + 2 * 16);
    }

    function test_draw_snapshotsGasWith3Workers() public {
        _registerMany(3);
        vm.cool(address(workers));
        workers.draw(MODEL, Roles.COMPUTE, 99, 3, _one(alice));
        vm.snapshotGasLastCall("draw_3workers_count3");
    }

    function test_draw_snapshotsGasWith16Workers() public {
        _registerMany(16);
        vm.cool(address(workers));
        workers.draw(MODEL, Roles.COMPUTE, 99, 3, _one(alice));
        vm.snapshotGasLastCall("draw_16workers_count3");
        vm.cool(address(workers));
        workers.draw(MODEL, Roles.COMPUTE, 99, 7, _one(alice));
        vm.snapshotGasLastCall("draw_16workers_count7");
    }

    // ------------------------------------------------------------ helpers

    /// @dev `draw(MODEL, COMPUTE, ...)` written out plainly from the interface's description.
    function _referenceDraw(uint256 seed, uint256 count, address[] memory exclude)
        internal
        view
        returns (address[] memory out)
    {
        (address[] memory candidates, uint256[] memory weights, uint256 total) = _referenceCandidates(seed, exclude);
        out = new address[](count < candidates.length ? count : candidates.length);
        for (uint256 i; i < out.length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i))) % total;
            uint256 j;
            while (r >= weights[j]) {
                r -= weights[j];
                ++j;
            }
            out[i] = candidates[j];
            total -= weights[j];
            weights[j] = 0;
        }
    }

    /// @dev The eligible, non-excluded workers of the scan window, in scan order, with their stakes.
    function _referenceCandidates(uint256 seed, address[] memory exclude)
        internal
        view
        returns (address[] memory candidates, uint256[] memory weights, uint256 total)
    {
        address[] memory list = workers.workersOf(MODEL, Roles.COMPUTE);
        uint256 len = list.length;
        uint256 scan = len < 64 ? len : 64;
        candidates = new address[](scan);
        weights = new uint256[](scan);
        uint256 n;
        for (uint256 k; k < scan; ++k) {
            address who = list[(seed % len + k) % len];
            if (workers.isEligible(who, MODEL, Roles.COMPUTE) && !_contains(exclude, who)) {
                candidates[n] = who;
                weights[n] = workers.getWorker(who).stake;
                total += weights[n];
                ++n;
            }
        }
        assembly ("memory-safe") {
            mstore(candidates, n) // shrink to the candidates found
        }
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
