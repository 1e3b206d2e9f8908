// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {TwinRegistry} from "../../contracts/TwinRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {CheckStatus, DriftCheck, DriftMember, DriftVote} from "../../contracts/types/TwinTypes.sol";

/// @notice Drives one twin through random proposals, draws, votes (honest members measure within the tolerance of
///         one another; one liar reveals anything or stays silent), resolutions, term changes, claims and time, and
///         keeps ghost totals of the fees escrowed, paid to members and refunded.
contract TwinRegistryHandler is CommonBase, StdUtils {
    TwinRegistry internal immutable TWINS;
    uint256 internal immutable AGENT;
    address internal immutable OWNER;
    address internal immutable LIAR;
    ModelId[2] internal releases;
    bytes32 internal immutable PROBES;
    bytes32 internal immutable PROFILE;
    uint32 internal immutable TOLERANCE;

    uint256 public ghostEscrowed;
    uint256 public ghostPaid;
    uint256 public ghostRefunded;
    uint256 public ghostPassed;
    address[] internal _members;

    constructor(
        TwinRegistry twins,
        uint256 agentId,
        address owner,
        address liar,
        ModelId[2] memory releases_,
        bytes32 profile,
        bytes32 probes
    ) {
        TWINS = twins;
        AGENT = agentId;
        OWNER = owner;
        LIAR = liar;
        releases = releases_;
        PROFILE = profile;
        PROBES = probes;
        TOLERANCE = twins.checkParams().tolerancePpm;
    }

    /// @notice The owner proposes the other release with a fee (refused while a check is open).
    function propose(uint96 fee) external {
        if (TWINS.openCheckOf(AGENT) != 0) {
            return;
        }
        fee = uint96(bound(fee, TWINS.checkParams().minFee, 10e18));
        ModelId current = TWINS.binding(AGENT).release;
        ModelId next = ModelId.unwrap(current) == ModelId.unwrap(releases[0]) ? releases[1] : releases[0];
        vm.prank(OWNER);
        TWINS.proposeUpgrade(AGENT, next, fee);
        ghostEscrowed += fee;
    }

    /// @notice Draws the open check's committee (re-anchoring as needed).
    function draw() external {
        uint256 checkId = TWINS.openCheckOf(AGENT);
        if (checkId == 0 || TWINS.getCheck(checkId).status != CheckStatus.Anchored) {
            return;
        }
        for (uint256 tries; tries < 3 && TWINS.getCheck(checkId).status == CheckStatus.Anchored; ++tries) {
            vm.roll(uint256(TWINS.getCheck(checkId).anchor) + 1);
            _settling(checkId);
            TWINS.drawCommittee(checkId);
            _settled(checkId);
        }
    }

    /// @notice Every member commits; honest ones reveal `truth` plus noise within half the tolerance, the liar
    ///         reveals `lie` or (if `silent`) nothing, then the check is resolved.
    function vote(uint32 truth, uint32 noise, uint32 lie, bool silent) external {
        uint256 checkId = TWINS.openCheckOf(AGENT);
        if (checkId == 0 || TWINS.getCheck(checkId).status != CheckStatus.Voting) {
            return;
        }
        truth = uint32(bound(truth, 0, 200_000));
        DriftMember[] memory committee = TWINS.committeeOf(checkId);
        uint32[] memory figures = new uint32[](committee.length);
        for (uint256 i; i < committee.length; ++i) {
            address member = committee[i].verifier;
            // forge-lint: disable-next-line(unsafe-typecast)
            figures[i] =
                member == LIAR ? lie : truth + uint32(uint256(keccak256(abi.encode(noise, i))) % (TOLERANCE / 2));
            if (committee[i].vote == DriftVote.None) {
                bytes32 commitment = TWINS.driftCommitment(checkId, figures[i], PROBES, bytes32(i), member);
                vm.prank(member);
                TWINS.commitDrift(checkId, commitment);
            }
        }
        _settling(checkId);
        for (uint256 i; i < committee.length; ++i) {
            if (committee[i].verifier == LIAR && silent) {
                continue;
            }
            vm.prank(committee[i].verifier);
            TWINS.revealDrift(checkId, figures[i], PROBES, bytes32(i));
        }
        if (TWINS.getCheck(checkId).status == CheckStatus.Voting) {
            vm.warp(block.timestamp + TWINS.checkParams().revealWindow);
            TWINS.resolveCheck(checkId);
        }
        _settled(checkId);
    }

    /// @notice The owner proposes terms: the current profile and probe set with a bound (narrower: at once).
    function terms(uint32 driftBound) external {
        if (TWINS.openCheckOf(AGENT) != 0) {
            return;
        }
        vm.prank(OWNER);
        TWINS.proposeTerms(AGENT, PROFILE, PROBES, uint32(bound(driftBound, 0, 200_000)));
    }

    /// @notice Anyone applies queued terms if they are due.
    function applyTerms() external {
        if (TWINS.openCheckOf(AGENT) != 0) {
            return;
        }
        uint40 at = TWINS.queuedTerms(AGENT).effectiveAt;
        if (at == 0 || block.timestamp < at) {
            return;
        }
        TWINS.applyTerms(AGENT);
    }

    /// @notice Someone claims.
    function claim(uint256 who) external {
        DriftMember[] memory committee = TWINS.committeeOf(TWINS.checkCount());
        address account = OWNER;
        if (committee.length != 0 && who % 2 == 1) {
            account = committee[who % committee.length].verifier;
        }
        if (TWINS.claimable(account) == 0) {
            return;
        }
        vm.prank(account);
        TWINS.claim();
    }

    /// @notice Time passes (not while a committee votes: honest members vote at once, `vote` covers the windows).
    function wait(uint256 seconds_) external {
        uint256 open = TWINS.openCheckOf(AGENT);
        if (open != 0 && TWINS.getCheck(open).status == CheckStatus.Voting) {
            return;
        }
        seconds_ = bound(seconds_, 1, 3 days);
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + seconds_ / 12 + 1);
    }

    // ─── Ghost bookkeeping ──────────────────────────────────────────────────────────────────────

    uint256 internal _ownerBefore;
    uint256 internal _membersBefore;

    function _settling(uint256 checkId) internal {
        _ownerBefore = TWINS.claimable(OWNER);
        _membersBefore = _memberTotal(checkId);
    }

    function _settled(uint256 checkId) internal {
        DriftCheck memory c = TWINS.getCheck(checkId);
        if (c.status == CheckStatus.Anchored || c.status == CheckStatus.Voting) {
            return;
        }
        ghostRefunded += TWINS.claimable(OWNER) - _ownerBefore;
        ghostPaid += _memberTotal(checkId) - _membersBefore;
        if (c.status == CheckStatus.Passed) {
            ++ghostPassed;
        }
    }

    function _memberTotal(uint256 checkId) internal view returns (uint256 total) {
        DriftMember[] memory committee = TWINS.committeeOf(checkId);
        for (uint256 i; i < committee.length; ++i) {
            total += TWINS.claimable(committee[i].verifier);
        }
    }
}
