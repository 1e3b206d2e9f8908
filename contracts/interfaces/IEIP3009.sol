// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IEIP3009
/// @notice Transfer with authorization (EIP-3009): a holder signs an EIP-712 message and anyone may
///         submit it. x402's `exact` scheme on EVM settles payments this way.
/// @dev Nonces are random 32-byte values chosen by the signer, not a counter, so authorizations can be
///      created in parallel and used in any order. An authorization is valid while
///      `validAfter < block.timestamp < validBefore` (both bounds exclusive).
interface IEIP3009 {
    /// @notice Emitted when an authorization nonce is used.
    /// @param authorizer The signer of the authorization.
    /// @param nonce The unique 32-byte nonce.
    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);

    /// @notice Emitted when an authorization is cancelled before use.
    /// @param authorizer The signer of the authorization.
    /// @param nonce The cancelled nonce.
    event AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce);

    /// @notice Thrown by `transferWithAuthorization` and `receiveWithAuthorization` if
    ///         `block.timestamp <= validAfter`.
    /// @param validAfter The earliest valid time.
    /// @param nowTime The current block timestamp.
    error AuthorizationNotYetValid(uint256 validAfter, uint256 nowTime);

    /// @notice Thrown by `transferWithAuthorization` and `receiveWithAuthorization` if
    ///         `block.timestamp >= validBefore`.
    /// @param validBefore The expiry time.
    /// @param nowTime The current block timestamp.
    error AuthorizationExpired(uint256 validBefore, uint256 nowTime);

    /// @notice Thrown by any authorization function if the nonce was already used or cancelled.
    /// @param authorizer The signer.
    /// @param nonce The nonce.
    error AuthorizationAlreadyUsed(address authorizer, bytes32 nonce);

    /// @notice Thrown by any authorization function if the signature is not `from`'s (or `authorizer`'s):
    ///         a wrong or malleable (high-s) ECDSA signature, or one the ERC-1271 wallet rejects.
    error InvalidAuthorizationSignature();

    /// @notice Thrown by `receiveWithAuthorization` if the caller is not the payee.
    /// @param caller The caller.
    /// @param payee The `to` of the authorization.
    error CallerMustBePayee(address caller, address payee);

    /// @notice Whether an authorization nonce has been used or cancelled.
    /// @param authorizer The signer.
    /// @param nonce The nonce.
    /// @return True if used or cancelled.
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool);

    /// @notice Executes a transfer signed by `from`.
    /// @param from Payer (signer).
    /// @param to Payee.
    /// @param value Amount.
    /// @param validAfter The time after which this is valid (unix seconds).
    /// @param validBefore The time before which this is valid (unix seconds).
    /// @param nonce Unique nonce.
    /// @param v Signature v.
    /// @param r Signature r.
    /// @param s Signature s.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Executes a transfer signed by `from`; the signature is packed bytes (EOA) or ERC-1271 data.
    /// @param from Payer (signer).
    /// @param to Payee.
    /// @param value Amount.
    /// @param validAfter The time after which this is valid (unix seconds).
    /// @param validBefore The time before which this is valid (unix seconds).
    /// @param nonce Unique nonce.
    /// @param signature The signature.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;

    /// @notice Like `transferWithAuthorization`, but only the payee may submit it (front-running safe).
    /// @param from Payer (signer).
    /// @param to Payee, must be the caller.
    /// @param value Amount.
    /// @param validAfter The time after which this is valid (unix seconds).
    /// @param validBefore The time before which this is valid (unix seconds).
    /// @param nonce Unique nonce.
    /// @param v Signature v.
    /// @param r Signature r.
    /// @param s Signature s.
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Like `receiveWithAuthorization`, with a bytes signature.
    /// @param from Payer (signer).
    /// @param to Payee, must be the caller.
    /// @param value Amount.
    /// @param validAfter The time after which this is valid (unix seconds).
    /// @param validBefore The time before which this is valid (unix seconds).
    /// @param nonce Unique nonce.
    /// @param signature The signature.
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;

    /// @notice Cancels an unused authorization.
    /// @param authorizer The signer of the authorization being cancelled.
    /// @param nonce The nonce to cancel.
    /// @param v Signature v.
    /// @param r Signature r.
    /// @param s Signature s.
    function cancelAuthorization(address authorizer, bytes32 nonce, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Cancels an unused authorization, with a bytes signature.
    /// @param authorizer The signer of the authorization being cancelled.
    /// @param nonce The nonce to cancel.
    /// @param signature The signature.
    function cancelAuthorization(address authorizer, bytes32 nonce, bytes calldata signature) external;
}
