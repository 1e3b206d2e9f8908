// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Roles
/// @notice Worker role bits. A worker holds a set of roles (a bitmask), not a single class.
library Roles {
    /// @notice Runs models for tasks and PIPE requests.
    uint8 internal constant COMPUTE = 1 << 0;
    /// @notice Re-executes audits and sits on verifier committees.
    uint8 internal constant VERIFY = 1 << 1;
    /// @notice Routes requests and acts as the x402 facilitator.
    uint8 internal constant COORDINATE = 1 << 2;
    /// @notice Serves the content-addressed store.
    uint8 internal constant STORE = 1 << 3;
    /// @notice Every defined role bit.
    uint8 internal constant ALL = COMPUTE | VERIFY | COORDINATE | STORE;
}
