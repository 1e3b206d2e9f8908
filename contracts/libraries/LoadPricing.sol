// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title LoadPricing
/// @notice Prices that follow load: EIP-4844's blob base fee rule, kept per model release. Each release has an
///         excess accumulator, `excess' = max(0, excess − TARGET_PER_BLOCK · blocks elapsed) + load`, and its live
///         price of one execution is `fake_exponential(basePrice, excess, UPDATE_FRACTION)` ≈ basePrice ·
///         e^(excess / UPDATE_FRACTION): the base price while the release runs at or below its target, rising by
///         12.5 % for every block at twice the target (its capacity), falling back by the same factor for every
///         idle block, and holding in a block at the target.
/// @dev Load is normalised to the release's target: `units` compute units against a target of `target` units per
///      block add `units · TARGET_PER_BLOCK / target` (rounded up) to the excess, so a release at its target adds
///      exactly what a block at EIP-4844's target adds to `excess_blob_gas`, and the EIP's constants carry over
///      unchanged whatever the release's capacity. The accumulator is caught up lazily: whoever touches it
///      first subtracts the target for every block elapsed since its last update, so the price decays after a
///      surge without anyone transacting. Load is added as it arrives, not at the end of its block: the second
///      task of a block pays the price that the first one raised. The excess is capped at `MAX_EXCESS`, which
///      caps the multiplier at e^(64 · 393 216 / 3 338 477) ≈ 1 878 and bounds every intermediate of
///      `fakeExponential` far below 2^256. Mirrored bit for bit in Rust (`verigrad_contracts::LoadPricing`);
///      both are checked against `test/vectors/pricing.json`.
library LoadPricing {
    /// @notice What one block of load at the target adds to the excess: EIP-4844's `TARGET_BLOB_GAS_PER_BLOCK`
    ///         (3 blobs of 2^17 blob gas).
    uint256 internal constant TARGET_PER_BLOCK = 393_216;
    /// @notice EIP-4844's `BLOB_BASE_FEE_UPDATE_FRACTION`: a block at twice the target (EIP-4844's maximum of 6
    ///         blobs; here the release's capacity) raises the price by e^(393 216 / 3 338 477) ≈ 1.125, an idle
    ///         block lowers it by the same factor.
    uint256 internal constant UPDATE_FRACTION = 3_338_477;
    /// @notice The cap of the excess: 64 blocks of load at the target. The multiplier stays below ≈ 1 878, and a
    ///         capped release is back at its base price after 64 idle blocks.
    uint256 internal constant MAX_EXCESS = 64 * TARGET_PER_BLOCK;
    /// @notice The stake counted as one worker's capacity: the worker registry's default minimum COMPUTE stake.
    uint256 internal constant STAKE_UNIT = 100e18;

    /// @notice A release's load, in one slot.
    struct Load {
        /// @dev Bits 0..31: the excess as of block `updated` (≤ MAX_EXCESS < 2^26).
        uint32 excess;
        /// @dev Bits 32..95: the block of the last update.
        uint64 updated;
        /// @dev Bits 96..127: compute units of one execution of the release (≥ 1; its manifest's `cost_units`).
        uint32 costUnits;
    }

    /// @notice Catches the accumulator up to this block and adds `units` of load; returns the excess before the
    ///         load was added (the one the load is priced at).
    /// @param self The release's load.
    /// @param units Compute units arriving now.
    /// @param target The release's target, compute units per block (≥ 1).
    /// @return excess The caught-up excess, before `units`.
    function record(Load storage self, uint256 units, uint256 target) internal returns (uint256 excess) {
        excess = decay(self.excess, block.number - self.updated);
        // Both fit their fields: grow caps at MAX_EXCESS < 2^32, and block numbers stay below 2^64.
        // forge-lint: disable-next-line(unsafe-typecast)
        self.excess = uint32(grow(excess, units, target));
        // forge-lint: disable-next-line(unsafe-typecast)
        self.updated = uint64(block.number);
    }

    /// @notice The excess of `load` caught up to this block.
    /// @param load The release's load.
    /// @return The excess now.
    function current(Load memory load) internal view returns (uint256) {
        return decay(load.excess, block.number - load.updated);
    }

    /// @notice The excess after `blocks` blocks without load: `target` per block less, floored at 0.
    /// @param excess The excess.
    /// @param blocks Blocks elapsed.
    /// @return The decayed excess.
    function decay(uint256 excess, uint256 blocks) internal pure returns (uint256) {
        if (blocks >= excess) {
            return 0; // the target is ≥ 1 per block: nothing is left (and `blocks · TARGET` cannot overflow below)
        }
        uint256 drop = blocks * TARGET_PER_BLOCK;
        return drop >= excess ? 0 : excess - drop;
    }

    /// @notice The excess once `units` compute units are added against a target of `target` units per block:
    ///         `excess + ⌈units · TARGET_PER_BLOCK / target⌉`, at most `MAX_EXCESS`. Rounding up makes every task
    ///         count, however large the capacity.
    /// @param excess The current excess (≤ MAX_EXCESS).
    /// @param units Compute units added.
    /// @param target The release's target (a target of 0 counts as 1).
    /// @return The new excess.
    function grow(uint256 excess, uint256 units, uint256 target) internal pure returns (uint256) {
        uint256 added = Math.mulDiv(units, TARGET_PER_BLOCK, target == 0 ? 1 : target, Math.Rounding.Ceil);
        return added >= MAX_EXCESS - excess ? MAX_EXCESS : excess + added;
    }

    /// @notice The target of a release served by `stake` of COMPUTE stake: half its capacity (EIP-4844's target is
    ///         half its maximum), where each `STAKE_UNIT` of stake serves `unitsPerWorker` compute units a block;
    ///         at least 1.
    /// @param stake COMPUTE stake serving the release (the registry's draw weight, frozen for the epoch).
    /// @param unitsPerWorker Compute units a block that one `STAKE_UNIT` of stake serves.
    /// @return The target, compute units per block.
    function targetOf(uint256 stake, uint256 unitsPerWorker) internal pure returns (uint256) {
        uint256 half = stake * unitsPerWorker / STAKE_UNIT / 2;
        return half == 0 ? 1 : half;
    }

    /// @notice The live price of one execution at `excess`: `fakeExponential(basePrice, excess, UPDATE_FRACTION)`,
    ///         saturated at 2^96 − 1. Never below `basePrice`, non-decreasing in `excess`.
    /// @param basePrice The release's base price, token wei.
    /// @param excess The excess (≤ MAX_EXCESS; more is read as MAX_EXCESS).
    /// @return The price, token wei.
    function price(uint256 basePrice, uint256 excess) internal pure returns (uint96) {
        if (basePrice > type(uint96).max) {
            basePrice = type(uint96).max; // a base price is a uint96: keeps the series below inside its bounds
        }
        if (excess > MAX_EXCESS) {
            excess = MAX_EXCESS;
        }
        // `fakeExponential(basePrice, excess, UPDATE_FRACTION)`, unchecked: with basePrice < 2^96, excess ≤ 2^25 and
        // UPDATE_FRACTION < 2^22, every term is below 2^96 · 2^22 · max_i(x^i / i!) < 2^127 (x = excess /
        // UPDATE_FRACTION ≤ 7.54), a term times `excess` below 2^152, and the sum below 2^96 · 2^22 · e^7.54 < 2^130.
        uint256 p;
        unchecked {
            uint256 accum = basePrice * UPDATE_FRACTION;
            for (uint256 i = 1; accum > 0; ++i) {
                p += accum;
                accum = accum * excess / (UPDATE_FRACTION * i);
            }
            p /= UPDATE_FRACTION;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        return p > type(uint96).max ? type(uint96).max : uint96(p); // saturated just above
    }

    /// @notice EIP-4844's `fake_exponential`: `factor · e^(numerator / denominator)` by its Taylor series in integers,
    ///         exactly as the EIP's reference code (and revm's `fake_exponential`) computes it.
    /// @dev Checked arithmetic: reverts rather than wraps on inputs whose series overflows 256 bits. `price` runs the
    ///      same series unchecked, inside bounds that cannot overflow; the shared vectors check both.
    /// @param factor The factor.
    /// @param numerator The exponent's numerator.
    /// @param denominator The exponent's denominator (non-zero).
    /// @return output ⌊factor · e^(numerator / denominator)⌋, approximately.
    function fakeExponential(uint256 factor, uint256 numerator, uint256 denominator)
        internal
        pure
        returns (uint256 output)
    {
        uint256 accum = factor * denominator;
        for (uint256 i = 1; accum > 0; ++i) {
            output += accum;
            accum = accum * numerator / (denominator * i);
        }
        output /= denominator;
    }
}
