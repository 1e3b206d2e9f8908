// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEIP3009} from "./IEIP3009.sol";

/// @title IToken
/// @notice The verigrad network token (VGD): stake, fees and bonds. ERC-20 with EIP-2612 `permit` and
///         EIP-3009 transfers with authorization; EIP-712 domain name "Verigrad", version "1".
interface IToken is IEIP3009 {
    /// @notice Mints new tokens.
    /// @dev Owner only. On a devnet the owner is the deployer, who funds workers and requesters from it.
    /// @param to Recipient.
    /// @param amount Amount in token wei.
    function mint(address to, uint256 amount) external;
}
