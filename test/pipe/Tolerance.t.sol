// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {Tensors} from "../../contracts/pipe/Tensors.sol";

/// @dev Calls `Tensors.withinTolerance`, which reads calldata.
contract ToleranceHarness {
    function agree(ModelOutput calldata a, ModelOutput calldata b, uint256 toleranceE6) external pure returns (bool) {
        return Tensors.withinTolerance(a, b, toleranceE6);
    }
}

/// @notice The TOLERANCE ruling of disputes: the same rule as the workers' runtime (`inference/src/compare.rs`),
///         decided exactly.
contract ToleranceTest is Test {
    ToleranceHarness internal harness = new ToleranceHarness();

    function _one(int128 value, int128 decimals) internal pure returns (ModelOutput memory output) {
        TensorLib.Number[] memory values = new TensorLib.Number[](1);
        values[0] = TensorLib.Number(value, decimals);
        output.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        output.numbers[0] = Tensors.row("y", values);
    }

    /// @notice The table of `compare.rs` (ε = 1e-5), plus the structure checks.
    function test_withinTolerance_followsTheRuntimesRule() public view {
        assertTrue(harness.agree(_one(500_000, 6), _one(500_009, 6), 10), "noise within e");
        assertTrue(harness.agree(_one(500_000, 6), _one(5, 1), 10), "other decimals, same value");
        assertTrue(harness.agree(_one(500_000, 6), _one(500_010, 6), 10), "exactly e");
        assertFalse(harness.agree(_one(500_000, 6), _one(500_020, 6), 10), "beyond e");
        assertFalse(harness.agree(_one(500_000, 6), _one(500_011, 6), 10), "one millionth beyond e");

        ModelOutput memory renamed = _one(500_000, 6);
        renamed.numbers[0].name = "z";
        assertFalse(harness.agree(_one(500_000, 6), renamed, 10), "other tensor name");
        ModelOutput memory reshaped = _one(500_000, 6);
        reshaped.numbers[0].shape[0] = 2;
        assertFalse(harness.agree(_one(500_000, 6), reshaped, 10), "other shape");
        ModelOutput memory longer = _one(500_000, 6);
        longer.numbers[0].values = new TensorLib.Number[](2);
        longer.numbers[0].values[0] = TensorLib.Number(500_000, 6);
        assertFalse(harness.agree(_one(500_000, 6), longer, 10), "other length");
        ModelOutput memory labelled = _one(500_000, 6);
        labelled.jsons = new TensorLib.JsonScalar[](1);
        labelled.jsons[0] = TensorLib.JsonScalar("k", "v");
        assertFalse(harness.agree(_one(500_000, 6), labelled, 10), "other JSON scalars");
        ModelOutput memory none;
        assertFalse(harness.agree(_one(500_000, 6), none, 10), "other tensor count");
        assertFalse(harness.agree(_one(5, -1), _one(5, -1), 10), "negative decimals agree with nothing");
        assertFalse(harness.agree(_one(5, 39), _one(5, 39), 10), "decimals beyond 38 agree with nothing");
    }

    /// @notice The extremes do not overflow: the largest magnitudes at 0 and 38 places compare without reverting.
    function test_withinTolerance_extremesDoNotOverflow() public view {
        int128 max = type(int128).max;
        int128 min = type(int128).min;
        assertFalse(harness.agree(_one(max, 0), _one(min, 0), type(uint32).max));
        assertFalse(harness.agree(_one(max, 38), _one(min, 0), type(uint32).max));
        assertTrue(harness.agree(_one(min, 38), _one(min, 38), 0));
    }

    /// @notice A number and its rescaling to more places are the same number, at any ε.
    function testFuzz_withinTolerance_rescalingIsTheSameNumber(int96 value, uint8 decimals, uint8 more) public view {
        decimals = uint8(bound(decimals, 0, 20));
        more = uint8(bound(more, 0, 9)); // |value| < 2^95, so value × 10^9 < 2^125
        int128 scaled = int128(value) * int128(int256(10 ** more));
        assertTrue(
            harness.agree(_one(value, int128(uint128(decimals))), _one(scaled, int128(uint128(decimals + more))), 0)
        );
    }

    /// @notice Two values `gap` millionths apart agree iff the gap is at most ε.
    function testFuzz_withinTolerance_agreesIffTheGapIsWithinEpsilon(int96 value, uint32 gap, uint32 toleranceE6)
        public
        view
    {
        assertEq(
            harness.agree(_one(value, 6), _one(int128(value) + int128(uint128(gap)), 6), toleranceE6),
            gap <= toleranceE6
        );
    }
}
