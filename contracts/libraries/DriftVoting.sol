// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";
import {DriftCheck, DriftMember, DriftVote} from "../types/TwinTypes.sol";
import {DriftTally} from "./DriftTally.sol";
import {TaskReview} from "./TaskReview.sol";

/// @title DriftVoting
/// @notice A drift committee's commit–reveal vote, as functions on the twin registry's storage. Linked (external
///         functions, run by delegatecall) so that TwinRegistry stays under the EIP-170 size limit; events and errors
///         are ITwinRegistry's. The phases are the escrow's (`TaskReview.revealPhase`): commits until `until`; once
///         every member committed, reveals for `revealWindow` from the last commitment, else from `until`.
library DriftVoting {
    /// @notice Records the caller's commitment (see `ITwinRegistry.commitDrift`).
    /// @param c The check, in `Voting`.
    /// @param committee Its committee.
    /// @param checkId Its id.
    /// @param commitment The commitment.
    /// @param revealWindow The reveal window, seconds.
    function commit(
        DriftCheck storage c,
        DriftMember[] storage committee,
        uint256 checkId,
        bytes32 commitment,
        uint40 revealWindow
    ) external {
        if (block.timestamp >= c.until || c.commits == c.size) {
            revert ITwinRegistry.DriftPhaseClosed(checkId, c.until);
        }
        if (commitment == bytes32(0)) {
            revert ITwinRegistry.ZeroCommitment();
        }
        DriftMember storage m = _memberOf(committee, checkId);
        if (m.vote != DriftVote.None) {
            revert ITwinRegistry.AlreadyVoted(checkId, msg.sender);
        }
        m.vote = DriftVote.Committed;
        m.commitment = commitment;
        uint8 commits = c.commits + 1;
        c.commits = commits;
        if (commits == c.size) {
            // Everyone is bound: reveals open now, for the reveal window.
            c.until = uint40(block.timestamp) + revealWindow;
        }
        emit ITwinRegistry.DriftCommitted(checkId, msg.sender, commitment);
    }

    /// @notice Records the caller's reveal (see `ITwinRegistry.revealDrift`); says whether it was the last one.
    /// @param c The check, in `Voting`.
    /// @param committee Its committee.
    /// @param checkId Its id.
    /// @param driftPpm The drift measured.
    /// @param probeSetHash The probe set measured on (must be the check's).
    /// @param salt The commitment's salt.
    /// @param revealWindow The reveal window, seconds.
    /// @return last Whether every member that committed has now revealed and the check can resolve.
    function reveal(
        DriftCheck storage c,
        DriftMember[] storage committee,
        uint256 checkId,
        uint32 driftPpm,
        bytes32 probeSetHash,
        bytes32 salt,
        uint40 revealWindow
    ) external returns (bool last) {
        (bool open, uint40 end) = TaskReview.revealPhase(c.commits, c.size, c.until, revealWindow);
        if (!open) {
            revert ITwinRegistry.DriftRevealNotOpen(checkId);
        }
        if (block.timestamp >= end) {
            revert ITwinRegistry.DriftPhaseClosed(checkId, end);
        }
        DriftMember storage m = _memberOf(committee, checkId);
        if (m.vote != DriftVote.Committed) {
            revert ITwinRegistry.AlreadyVoted(checkId, msg.sender);
        }
        if (probeSetHash != c.probeSetHash) {
            revert ITwinRegistry.ProbeSetMismatch(checkId, c.probeSetHash, probeSetHash);
        }
        if (commitmentOf(checkId, driftPpm, probeSetHash, salt, msg.sender) != m.commitment) {
            revert ITwinRegistry.DriftCommitmentMismatch(checkId, msg.sender);
        }
        m.vote = DriftVote.Revealed;
        m.driftPpm = driftPpm;
        uint8 reveals = c.reveals + 1;
        c.reveals = reveals;
        emit ITwinRegistry.DriftRevealed(checkId, msg.sender, driftPpm);
        last = reveals == c.commits && (reveals == c.size || block.timestamp >= c.until);
    }

    /// @notice When the check's reveals close.
    /// @param c The check, in `Voting`.
    /// @param revealWindow The reveal window, seconds.
    /// @return end The end of the reveal phase.
    function revealEnd(DriftCheck storage c, uint40 revealWindow) external view returns (uint40 end) {
        (, end) = TaskReview.revealPhase(c.commits, c.size, c.until, revealWindow);
    }

    /// @notice The median of the committee's reveals and how many reveals are within `tolerance` of it.
    /// @param committee The committee.
    /// @param revealCount How many revealed.
    /// @param tolerance The tolerance, ppm.
    /// @return agreed The median.
    /// @return agreeing The reveals within `tolerance` of it.
    function tally(DriftMember[] storage committee, uint256 revealCount, uint32 tolerance)
        external
        view
        returns (uint32 agreed, uint256 agreeing)
    {
        uint32[] memory reveals = new uint32[](revealCount);
        uint256 n;
        for (uint256 i; i < committee.length; ++i) {
            if (committee[i].vote == DriftVote.Revealed) {
                reveals[n++] = committee[i].driftPpm;
            }
        }
        agreed = DriftTally.median(reveals);
        for (uint256 i; i < n; ++i) {
            if (DriftTally.agrees(reveals[i], agreed, tolerance)) {
                ++agreeing;
            }
        }
    }

    /// @notice A member's commitment (see `ITwinRegistry.driftCommitment`).
    /// @param checkId The check.
    /// @param driftPpm The drift measured.
    /// @param probeSetHash The probe set measured on.
    /// @param salt A secret salt.
    /// @param member The member.
    /// @return The commitment.
    function commitmentOf(uint256 checkId, uint32 driftPpm, bytes32 probeSetHash, bytes32 salt, address member)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(checkId, driftPpm, probeSetHash, salt, member));
    }

    function _memberOf(DriftMember[] storage committee, uint256 checkId) private view returns (DriftMember storage) {
        for (uint256 i; i < committee.length; ++i) {
            if (committee[i].verifier == msg.sender) {
                return committee[i];
            }
        }
        revert ITwinRegistry.NotMember(checkId, msg.sender);
    }
}
