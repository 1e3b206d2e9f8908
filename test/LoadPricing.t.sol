// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {LoadPricing} from "../contracts/libraries/LoadPricing.sol";

/// @notice One release's load in storage, driven by the tests.
contract LoadHarness {
    using LoadPricing for LoadPricing.Load;

    LoadPricing.Load public load;

    function set(uint256 excess, uint256 updated) external {
        // The tests pass an excess ≤ MAX_EXCESS < 2^32 and a block number.
        // forge-lint: disable-next-line(unsafe-typecast)
        load = LoadPricing.Load(uint32(excess), uint64(updated), 1);
    }

    function record(uint256 units, uint256 target) external returns (uint256) {
        return load.record(units, target);
    }

    function current() external view returns (uint256) {
        return LoadPricing.current(load);
    }
}

/// @notice `LoadPricing`: EIP-4844's rule per release. The shared vectors (`test/vectors/pricing.json`, written by
///         `test/vectors/pricing.py` from the EIP's own Python) pin it, and its Rust mirror
///         (`verigrad_contracts::LoadPricing`) is checked against the same file.
contract LoadPricingTest is Test {
    uint256 internal constant TOKEN = 1e18;
    uint256 internal constant T = LoadPricing.TARGET_PER_BLOCK;
    uint256 internal constant MAX = LoadPricing.MAX_EXCESS;

    string internal json;
    LoadHarness internal harness;

    function setUp() public {
        json = vm.readFile("test/vectors/pricing.json");
        harness = new LoadHarness();
        vm.roll(1_000);
    }

    // ─── Shared vectors ──────────────────────────────────────────────────────────────────────────

    function test_constants_matchTheSharedVectors() public view {
        assertEq(LoadPricing.TARGET_PER_BLOCK, vm.parseJsonUint(json, ".constants.targetPerBlock"));
        assertEq(LoadPricing.UPDATE_FRACTION, vm.parseJsonUint(json, ".constants.updateFraction"));
        assertEq(LoadPricing.MAX_EXCESS, vm.parseJsonUint(json, ".constants.maxExcess"));
        assertEq(LoadPricing.STAKE_UNIT, vm.parseUint(vm.parseJsonString(json, ".constants.stakeUnit")));
    }

    function test_fakeExponential_matchesTheSharedVectors() public view {
        uint256 n = _count(".fakeExponential");
        assertGe(n, 16, "go-ethereum's table and more");
        for (uint256 i; i < n; ++i) {
            string memory at = string.concat(".fakeExponential[", vm.toString(i), "]");
            assertEq(
                LoadPricing.fakeExponential(_uint(at, ".factor"), _uint(at, ".numerator"), _uint(at, ".denominator")),
                _uint(at, ".output"),
                _name(at)
            );
        }
    }

    function test_price_matchesTheSharedVectors() public view {
        uint256 n = _count(".price");
        assertGe(n, 12);
        for (uint256 i; i < n; ++i) {
            string memory at = string.concat(".price[", vm.toString(i), "]");
            assertEq(LoadPricing.price(_uint(at, ".basePrice"), _uint(at, ".excess")), _uint(at, ".price"), _name(at));
        }
    }

    /// @notice Each vector sets a release's load, lets `blocks` pass and records `units` against `target`: the
    ///         excess the units are priced at, and the one stored after.
    function test_record_matchesTheSharedVectors() public {
        uint256 n = _count(".load");
        assertGe(n, 10);
        for (uint256 i; i < n; ++i) {
            string memory at = string.concat(".load[", vm.toString(i), "]");
            harness.set(_uint(at, ".excess"), block.number);
            vm.roll(block.number + _uint(at, ".blocks"));
            assertEq(harness.current(), _uint(at, ".excessBefore"), string.concat(_name(at), ": caught up"));
            assertEq(harness.record(_uint(at, ".units"), _uint(at, ".target")), _uint(at, ".excessBefore"), _name(at));
            (uint32 excess, uint64 updated,) = harness.load();
            assertEq(excess, _uint(at, ".excessAfter"), string.concat(_name(at), ": stored"));
            assertEq(updated, block.number, string.concat(_name(at), ": updated now"));
        }
    }

    function test_targetOf_matchesTheSharedVectors() public view {
        uint256 n = _count(".target");
        for (uint256 i; i < n; ++i) {
            string memory at = string.concat(".target[", vm.toString(i), "]");
            assertEq(
                LoadPricing.targetOf(_uint(at, ".stake"), _uint(at, ".unitsPerWorker")), _uint(at, ".target"), _name(at)
            );
        }
    }

    // ─── The rule ────────────────────────────────────────────────────────────────────────────────

    /// @notice EIP-4844's constants carry over: one block at capacity (twice the target) raises the price by 12.5 %,
    ///         an idle block takes it back.
    function test_price_movesTwelveAndAHalfPercentABlockAtCapacity() public pure {
        uint256 up = LoadPricing.price(TOKEN, T);
        assertApproxEqRel(up, 1.125e18, 1e12, "x 1.125 per block at capacity");
        assertEq(LoadPricing.price(TOKEN, LoadPricing.decay(T, 1)), TOKEN, "one idle block: back to base");
        assertApproxEqRel(LoadPricing.price(TOKEN, MAX), 1878.3e18, 1e14, "capped at about 1 878 x");
    }

    function test_record_decaysWithoutAnyoneTransacting() public {
        harness.set(MAX, block.number);
        vm.roll(block.number + 63);
        assertEq(harness.current(), T, "one target left after 63 idle blocks");
        vm.roll(block.number + 1);
        assertEq(harness.current(), 0, "64 idle blocks take the cap back to base");
    }

    // ─── Fuzz ────────────────────────────────────────────────────────────────────────────────────

    /// @notice `price` runs EIP-4844's series unchecked for gas: it equals the checked `fakeExponential`, saturated.
    function testFuzz_price_isFakeExponentialSaturated(uint96 basePrice, uint256 excess) public pure {
        uint256 expected =
            LoadPricing.fakeExponential(basePrice, excess > MAX ? MAX : excess, LoadPricing.UPDATE_FRACTION);
        assertEq(LoadPricing.price(basePrice, excess), expected > type(uint96).max ? type(uint96).max : expected);
    }

    function testFuzz_price_isNeverBelowTheBasePrice(uint96 basePrice, uint256 excess) public pure {
        assertGe(LoadPricing.price(basePrice, excess), basePrice);
    }

    function testFuzz_price_isMonotonicInExcess(uint96 basePrice, uint256 a, uint256 b) public pure {
        a = bound(a, 0, MAX + 1);
        b = bound(b, a, MAX + 1);
        assertLe(LoadPricing.price(basePrice, a), LoadPricing.price(basePrice, b));
    }

    /// @notice No input overflows: any base price and any excess give a price, saturated at 2^96 − 1 and capped at
    ///         the multiplier of `MAX_EXCESS`.
    function testFuzz_price_neverOverflowsAndIsCapped(uint96 basePrice, uint256 excess) public pure {
        uint96 p = LoadPricing.price(basePrice, excess);
        assertEq(p, LoadPricing.price(basePrice, excess > MAX ? MAX : excess), "excess above the cap reads as the cap");
        assertLe(uint256(p), uint256(basePrice) * 1879, "the multiplier stays below 1 879");
    }

    function testFuzz_fakeExponential_staysWithinTheExponential(uint64 factor, uint256 numerator) public pure {
        numerator = bound(numerator, 0, MAX);
        uint256 out = LoadPricing.fakeExponential(factor, numerator, LoadPricing.UPDATE_FRACTION);
        assertGe(out, factor, "e^x >= 1");
        // 1 + x <= e^x: the series' first two terms are a lower bound (less one wei for each floor).
        assertGe(out + 2, factor + uint256(factor) * numerator / LoadPricing.UPDATE_FRACTION);
    }

    function testFuzz_grow_isCappedAndCountsEveryUnit(uint256 excess, uint256 units, uint256 target) public pure {
        excess = bound(excess, 0, MAX);
        units = bound(units, 0, 2 ** 128);
        target = bound(target, 0, 2 ** 128);
        uint256 next = LoadPricing.grow(excess, units, target);
        assertLe(next, MAX);
        assertGe(next, excess);
        if (units > 0 && excess < MAX) {
            assertGt(next, excess, "a task always adds to the excess, however large the capacity");
        }
    }

    function testFuzz_decay_takesTheTargetEachBlock(uint256 excess, uint256 blocks) public pure {
        excess = bound(excess, 0, MAX);
        uint256 left = LoadPricing.decay(excess, blocks);
        assertLe(left, excess);
        if (blocks <= excess / T) {
            assertEq(left, excess - blocks * T);
        } else {
            assertEq(left, 0);
        }
    }

    /// @notice A release at its target keeps its price: each block's load (one target) replaces what decayed.
    function testFuzz_record_atTheTargetHoldsThePrice(uint256 excess, uint256 target, uint8 blocks) public {
        excess = bound(excess, T, MAX);
        target = bound(target, 1, 1e12);
        harness.set(excess, block.number);
        for (uint256 i; i < blocks; ++i) {
            vm.roll(block.number + 1);
            harness.record(target, target);
        }
        assertEq(harness.current(), excess);
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    function _count(string memory key) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, string.concat(key, "[", vm.toString(n), "]"))) {
            ++n;
        }
    }

    function _uint(string memory at, string memory field) internal view returns (uint256) {
        return vm.parseUint(vm.parseJsonString(json, string.concat(at, field)));
    }

    function _name(string memory at) internal view returns (string memory) {
        return vm.parseJsonString(json, string.concat(at, ".name"));
    }
}
