// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A task's id: 1, 2, … in creation order (0 names no task). In the ABI, a `uint256`.
type TaskId is uint256;

/// @notice Named points on the verification gradient. The gradient itself is continuous in
///         redundancy and audit probability; the tier says which protocol path a task takes.
enum Tier {
    /// @notice One worker, optimistic challenge window, random audit.
    LIGHT,
    /// @notice k workers, commit–reveal, agreement by the model's determinism class.
    REDUNDANT,
    /// @notice REDUNDANT plus a mandatory verifier-committee review before finality.
    DEEP
}

/// @notice Lifecycle of a task.
enum TaskStatus {
    None,
    /// @notice Fee escrowed; waiting for `assign` in a later block.
    Created,
    /// @notice Workers drawn; LIGHT waits for `submitResult`, others for commits and reveals.
    Assigned,
    /// @notice A result is proposed; the challenge window runs.
    Proposed,
    /// @notice A verifier committee is re-executing (audit, challenge, DEEP or no quorum).
    Reviewing,
    /// @notice Outcome fixed, faults slashed (consensus point 1).
    Finalized,
    /// @notice Payments and refunds credited (consensus point 2).
    Settled
}

/// @notice What the verification policy decides for one task.
struct Decision {
    /// @notice Protocol path.
    Tier tier;
    /// @notice Number of independent compute workers (odd when > 1).
    uint8 redundancy;
    /// @notice Probability, in basis points, that a proposed result is audited by a committee.
    uint16 auditBps;
}

/// @notice Inputs of the verification policy.
struct PolicyInputs {
    /// @notice Value the requester puts at risk on the answer, in token wei.
    uint256 value;
    /// @notice The model release's risk class.
    uint8 risk;
    /// @notice The lowest tier the requester accepts.
    Tier floor;
    /// @notice Reputation of the primary worker, in basis points (0 = unknown, 10_000 = flawless record).
    uint16 reputationBps;
    /// @notice Current verification pressure, in basis points (open reviews per verifier).
    uint16 pressureBps;
}

/// @notice What a cheating seat weighs against its collateral: the deterrence condition p·(R + S) > C + G.
struct Deterrence {
    /// @notice G: the most a wrong answer can gain its authors, token wei (the value at risk × `gainBps`).
    uint256 gain;
    /// @notice The release's base price, token wei: it bounds both the reward R of a run and the cost C a
    ///         skipped run saves (an honest worker's run costs less than it earns).
    uint256 runPrice;
    /// @notice The least a caught seat loses, token wei.
    uint256 minSlash;
}
