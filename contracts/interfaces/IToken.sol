// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEIP3009} from "./IEIP3009.sol";

/// @title IToken
/// @notice The Verigrad network token (VGD): ERC-20 with EIP-2612 `permit` and EIP-3009 transfer with
///         authorization. Fees and stake are paid in it.
/// @dev EIP-712 domain: name "Verigrad", version "1", the chain id and the token's address.
interface IToken is IEIP3009 {
    /// @notice The EIP-712 typehash of
    ///         `TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)`.
    /// @return The typehash.
    function TRANSFER_WITH_AUTHORIZATION_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 typehash of
    ///         `ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)`.
    /// @return The typehash.
    function RECEIVE_WITH_AUTHORIZATION_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 typehash of `CancelAuthorization(address authorizer,bytes32 nonce)`.
    /// @return The typehash.
    function CANCEL_AUTHORIZATION_TYPEHASH() external view returns (bytes32);

    /// @notice Creates `amount` new tokens for `to`. This is the devnet faucet.
    /// @dev Only the owner may mint. Supply is uncapped while an owner exists; a production deployment
    ///      renounces ownership once the initial supply is minted, which fixes the supply for good.
    /// @param to The recipient (not the zero address).
    /// @param amount The amount to mint, in token wei.
    function mint(address to, uint256 amount) external;
}
