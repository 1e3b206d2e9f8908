// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A model release's id: the keccak-256 content hash of its package. In the ABI, a `bytes32`.
type ModelId is bytes32;

using {_sameModel as ==, _otherModel as !=} for ModelId global;

/// @dev `a == b` for model ids.
function _sameModel(ModelId a, ModelId b) pure returns (bool) {
    return ModelId.unwrap(a) == ModelId.unwrap(b);
}

/// @dev `a != b` for model ids.
function _otherModel(ModelId a, ModelId b) pure returns (bool) {
    return ModelId.unwrap(a) != ModelId.unwrap(b);
}

/// @notice How two executions of a model are compared.
/// @dev EXACT: fixed-point/integer models, outputs compared by hash. TOLERANCE: floating point,
///      outputs compared element-wise within the release's tolerance (off chain, by committees).
enum DeterminismClass {
    EXACT,
    TOLERANCE
}

/// @notice How much harm a wrong answer from this model can do; an input of the verification gradient.
enum RiskClass {
    LOW,
    MEDIUM,
    HIGH,
    CRITICAL
}

/// @notice What the escrow needs to know about a release to price and verify a task.
/// @dev ModelRegistry serves it with two SLOADs: the release's packed hot slot and the repository owner.
struct ReleaseTerms {
    /// @notice Owner of the model repository; earns the royalty.
    address owner;
    /// @notice Price of one execution, in token wei.
    uint96 basePrice;
    /// @notice Share of each task fee paid to the owner, in basis points.
    uint16 royaltyBps;
    /// @notice How outputs are compared.
    DeterminismClass determinism;
    /// @notice Risk class used by the verification gradient.
    RiskClass risk;
    /// @notice Deprecated releases accept no new tasks.
    bool deprecated;
}
