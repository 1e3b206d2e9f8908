// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskId} from "../types/TaskTypes.sol";

/// @title Anchors
/// @notice Randomness nobody can choose: a step that needs a draw fixes an anchor block in the future, and a
///         later transaction draws from that block's hash. No transaction can read the hash of a block that
///         does not exist yet, so whoever triggers a step cannot compute its draw, and whoever draws cannot
///         change it: the hash is fixed once the anchor is mined, and each draw reads it exactly once.
/// @dev Draws of workers must also happen inside the anchor's epoch of the worker registry: the registry
///      freezes draw weights for an epoch, so nothing done after the anchor's hash became known (a new stake,
///      a new sybil) changes the draw. Anchors are placed so that at least half an epoch remains to draw in.
///      What a block proposer can still do is documented in docs/soundness.md: the proposer of the anchor
///      block chooses its hash among the blocks it could build.
library Anchors {
    /// @notice Blocks between the transaction that fixes an anchor and the anchor itself.
    uint256 internal constant DELAY = 2;
    /// @notice How far back `blockhash` sees.
    uint256 internal constant HASH_HORIZON = 256;

    /// @notice Where a draw stands.
    enum Phase {
        /// @notice The anchor is not yet mined: nothing can be drawn.
        Pending,
        /// @notice The anchor's hash is readable (and, for draws of workers, still in its epoch).
        Ready,
        /// @notice Too late: the hash is gone or the epoch is over.
        Stale
    }

    /// @notice An anchor for a draw of workers: `DELAY` blocks ahead, or the first block of the next epoch
    ///         when less than half an epoch would be left to draw in.
    /// @param epochBlocks The registry's epoch length (≥ 4).
    /// @return The anchor block.
    function forDraw(uint256 epochBlocks) internal view returns (uint32) {
        uint256 anchor = block.number + DELAY;
        uint256 offset = anchor % epochBlocks;
        if (offset > epochBlocks / 2) {
            anchor += epochBlocks - offset;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(anchor); // 2^32 blocks is centuries at L1 block times
    }

    /// @notice An anchor for a lottery that draws no workers (the audit roll): `DELAY` blocks ahead.
    /// @return The anchor block.
    function forRoll() internal view returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(block.number + DELAY); // as above
    }

    /// @notice Where a draw of workers from `anchor` stands now.
    /// @param anchor The anchor block.
    /// @param epochBlocks The registry's epoch length.
    /// @return The phase.
    function drawPhase(uint256 anchor, uint256 epochBlocks) internal view returns (Phase) {
        if (block.number <= anchor) {
            return Phase.Pending;
        }
        if (block.number / epochBlocks != anchor / epochBlocks || block.number - anchor > HASH_HORIZON) {
            return Phase.Stale;
        }
        return Phase.Ready;
    }

    /// @notice Where a lottery from `anchor` stands now (only the hash's horizon matters).
    /// @param anchor The anchor block.
    /// @return The phase.
    function rollPhase(uint256 anchor) internal view returns (Phase) {
        if (block.number <= anchor) {
            return Phase.Pending;
        }
        return block.number - anchor > HASH_HORIZON ? Phase.Stale : Phase.Ready;
    }

    /// @notice The seed of one draw: the anchor's hash bound to the task and the draw's purpose.
    /// @param anchor A mined block within the last 256.
    /// @param taskId The task.
    /// @param purpose Which draw of the task (seats, audit, committee).
    /// @return The seed.
    function seed(uint256 anchor, TaskId taskId, uint256 purpose) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(blockhash(anchor), taskId, purpose)));
    }
}
