// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title DriftTally
/// @notice How a drift committee's reveals become one figure: the median, and who agrees with it.
/// @dev The median resists a minority: with a strict majority of honest reveals within `tolerance` of one another,
///      the median lies between two honest reveals, so every honest reveal is within `tolerance` of it whatever
///      the others reveal.
library DriftTally {
    /// @notice The median of `values` (at most a committee's 7); the mean of the two middle values, rounded down,
    ///         for an even count; 0 for none. Sorts `values` in place.
    /// @param values The reveals.
    /// @return The median.
    function median(uint32[] memory values) internal pure returns (uint32) {
        uint256 n = values.length;
        if (n == 0) {
            return 0;
        }
        for (uint256 i = 1; i < n; ++i) {
            uint32 v = values[i];
            uint256 j = i;
            for (; j > 0 && values[j - 1] > v; --j) {
                values[j] = values[j - 1];
            }
            values[j] = v;
        }
        if (n % 2 == 1) {
            return values[n / 2];
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32((uint256(values[n / 2 - 1]) + values[n / 2]) / 2); // the mean of two uint32 fits one
    }

    /// @notice Whether a reveal agrees with the agreed figure: within `tolerance` of it, either side.
    /// @param value The reveal.
    /// @param agreed The agreed figure.
    /// @param tolerance The tolerance.
    /// @return True if `|value - agreed| <= tolerance`.
    function agrees(uint32 value, uint32 agreed, uint32 tolerance) internal pure returns (bool) {
        return value > agreed ? value - agreed <= tolerance : agreed - value <= tolerance;
    }
}
