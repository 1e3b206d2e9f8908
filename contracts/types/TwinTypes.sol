// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelId} from "./ModelTypes.sol";

/// @notice Why a twin's binding gained a version.
enum BindingChange {
    /// @notice The first binding, set by `bind`.
    Bound,
    /// @notice The behaviour profile, the probe set or the drift bound changed (`proposeTerms`, `applyTerms`).
    Terms,
    /// @notice The MemSync namespace changed (`setMemoryNamespace`).
    Memory,
    /// @notice The release moved, after a drift check passed (`resolveCheck`).
    Release
}

/// @notice What a twin is bound to: one version of its binding. Every version stays readable (`bindingAt`).
/// @dev Five slots: release; profile; namespace; probe set; bound | when | check | reason.
struct TwinBinding {
    /// @notice The model release the twin runs (a `ModelRegistry` release id).
    ModelId release;
    /// @notice keccak-256 of the behaviour profile (system prompt, parameters, tools: the twin's manifest).
    bytes32 profileHash;
    /// @notice The MemSync namespace the twin remembers in (`MemoryRegistry`); zero for none.
    bytes32 memoryNamespace;
    /// @notice keccak-256 of the probe set, `abi.encode(ModelInput[])`: the inputs a drift check runs on both releases.
    bytes32 probeSetHash;
    /// @notice The largest drift a release move may show, in parts per million of the metric's unit.
    uint32 driftBoundPpm;
    /// @notice When this version took effect (unix seconds).
    uint40 since;
    /// @notice The drift check that moved the release (`BindingChange.Release`), else 0.
    uint64 checkId;
    /// @notice Why this version exists.
    BindingChange change;
}

/// @notice A change of a twin's terms waiting out the delay (`proposeTerms`); nothing pending when `effectiveAt` is 0.
struct PendingTerms {
    /// @notice The new behaviour profile hash.
    bytes32 profileHash;
    /// @notice The new probe set hash.
    bytes32 probeSetHash;
    /// @notice The new drift bound.
    uint32 driftBoundPpm;
    /// @notice When `applyTerms` may apply it (unix seconds).
    uint40 effectiveAt;
}

/// @notice Where a drift check stands.
enum CheckStatus {
    /// @notice No such check.
    None,
    /// @notice Proposed; its committee is drawn from the anchor block's hash once it is mined.
    Anchored,
    /// @notice The committee commits, then reveals, its measured drift.
    Voting,
    /// @notice The agreed drift was within the bound: the twin's release moved.
    Passed,
    /// @notice The agreed drift was above the bound: the twin kept its release.
    Refused,
    /// @notice Nothing was decided (no committee, or no majority agreed): the fee went back.
    Void
}

/// @notice A proposed move of a twin to a new release and its committee's verdict.
/// @dev Five slots: agent; from; to; probe set; proposer | fee; then bound | anchor | until | sizes | status |
///      agreed drift | member lock (gwei).
struct DriftCheck {
    /// @notice The twin.
    uint256 agentId;
    /// @notice The release it ran when the check was proposed.
    ModelId fromRelease;
    /// @notice The release proposed.
    ModelId toRelease;
    /// @notice The binding's probe set: every reveal must name it.
    bytes32 probeSetHash;
    /// @notice Who proposed it and escrowed the fee.
    address proposer;
    /// @notice The fee escrowed, token wei: paid to the members that agree, the rest back to the proposer.
    uint96 fee;
    /// @notice The binding's drift bound when the check was proposed (terms cannot change while it is open).
    uint32 driftBoundPpm;
    /// @notice The block whose hash draws the committee (0 once drawn).
    uint32 anchor;
    /// @notice End of the commit phase; once every member committed, end of the reveal phase.
    uint40 until;
    /// @notice Members drawn.
    uint8 size;
    /// @notice Commitments made.
    uint8 commits;
    /// @notice Reveals made.
    uint8 reveals;
    /// @notice Where the check stands.
    CheckStatus status;
    /// @notice The agreed drift (the median of the reveals), once resolved.
    uint32 agreedPpm;
    /// @notice Stake locked on each member while it sits, in whole gwei (what a fault costs it).
    uint64 memberLockGwei;
}

/// @notice Where a committee member's vote stands.
enum DriftVote {
    /// @notice Drawn, nothing sent.
    None,
    /// @notice Committed to a measurement.
    Committed,
    /// @notice Revealed it.
    Revealed
}

/// @notice A drift check's committee seat.
struct DriftMember {
    /// @notice The verifier.
    address verifier;
    /// @notice Its vote's state.
    DriftVote vote;
    /// @notice The drift it revealed, ppm.
    uint32 driftPpm;
    /// @notice `keccak256(abi.encode(checkId, driftPpm, probeSetHash, salt, verifier))`.
    bytes32 commitment;
}
