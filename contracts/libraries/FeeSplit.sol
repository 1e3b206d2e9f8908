// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FeeSplit
/// @notice How a payment for a model's work is divided: the model owner's royalty, the protocol fee, and the
///         workers' pot, in equal shares. The task escrow and PIPE billing split by the same rule.
library FeeSplit {
    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;

    /// @notice Splits `amount` into the royalty, the protocol fee and the workers' pot, which sum to `amount`.
    /// @dev The royalty is taken first (its rate capped at 10 000 bps); the protocol fee is capped at what the
    ///      royalty leaves, so no pair of rates can take more than `amount`. `amount × 10 000` must fit in 256
    ///      bits (it does for any token amount below 2^242).
    /// @param amount The payment, token wei.
    /// @param royaltyBps The release's royalty rate.
    /// @param protocolFeeBps The protocol fee rate.
    /// @return royalty The model owner's part.
    /// @return protocolFee The treasury's part.
    /// @return pot What is left for the workers.
    function split(uint256 amount, uint256 royaltyBps, uint256 protocolFeeBps)
        internal
        pure
        returns (uint256 royalty, uint256 protocolFee, uint256 pot)
    {
        royalty = amount * (royaltyBps < BPS ? royaltyBps : BPS) / BPS;
        pot = amount - royalty;
        protocolFee = amount * protocolFeeBps / BPS;
        if (protocolFee > pot) {
            protocolFee = pot;
        }
        pot -= protocolFee;
    }

    /// @notice Equal shares of `pot` among `count` workers, and the dust left over (all of it for no worker).
    /// @param pot The workers' pot.
    /// @param count The number of workers.
    /// @return share Each worker's share.
    /// @return dust `pot − share × count`.
    function shares(uint256 pot, uint256 count) internal pure returns (uint256 share, uint256 dust) {
        if (count == 0) {
            return (0, pot);
        }
        share = pot / count;
        dust = pot - share * count;
    }
}
