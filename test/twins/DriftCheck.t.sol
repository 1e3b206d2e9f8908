// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {ITwinRegistry} from "../../contracts/interfaces/ITwinRegistry.sol";
import {DeterminismClass, ModelId, RiskClass} from "../../contracts/types/ModelTypes.sol";
import {BindingChange, CheckStatus, DriftCheck, DriftMember, DriftVote} from "../../contracts/types/TwinTypes.sol";
import {TwinFixture} from "./TwinFixture.sol";

/// @notice The drift check: proposal, anchored draw, commit–reveal, the verdict within or beyond the bound, and the
///         refusals of bad input.
contract DriftCheckTest is TwinFixture {
    function test_proposeUpgrade_escrowsTheFeeAndAnchors() public {
        uint256 before = token.balanceOf(owner);
        vm.expectEmit(address(twins));
        emit ITwinRegistry.UpgradeProposed(1, agentId, V1, V2, owner, FEE, uint32(block.number + 2));
        uint256 checkId = _propose();
        assertEq(checkId, 1);
        assertEq(token.balanceOf(owner), before - FEE);
        assertEq(token.balanceOf(address(twins)), FEE);
        assertEq(twins.liabilities(), FEE);
        assertEq(twins.openCheckOf(agentId), checkId);
        DriftCheck memory c = twins.getCheck(checkId);
        assertTrue(c.status == CheckStatus.Anchored);
        assertEq(c.probeSetHash, PROBES);
        assertEq(c.driftBoundPpm, BOUND);
        (address validator, uint256 agent,,,,) = validation.getValidationStatus(twins.validationRequestHash(checkId));
        assertEq(validator, address(twins));
        assertEq(agent, agentId);
    }

    function test_drawCommittee_revertsIfAnchorPending() public {
        uint256 checkId = _propose();
        uint32 anchor = twins.getCheck(checkId).anchor;
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.AnchorPending.selector, checkId, anchor));
        twins.drawCommittee(checkId);
    }

    function test_drawCommittee_drawsVerifiersAndLocksTheirStake() public {
        uint256 checkId = _propose();
        address[] memory members = _draw(checkId);
        assertEq(members.length, COMMITTEE);
        for (uint256 i; i < members.length; ++i) {
            assertEq(workers.getWorker(members[i]).locked, MEMBER_LOCK);
            assertTrue(members[i] != owner);
        }
        DriftCheck memory c = twins.getCheck(checkId);
        assertTrue(c.status == CheckStatus.Voting);
        assertEq(c.size, COMMITTEE);
        assertEq(c.until, block.timestamp + COMMIT_WINDOW);
    }

    function test_drawCommittee_reanchorsIfStale() public {
        uint256 checkId = _propose();
        vm.roll(block.number + 300);
        vm.expectEmit(true, false, false, false, address(twins));
        emit ITwinRegistry.CheckAnchored(checkId, 0);
        twins.drawCommittee(checkId);
        assertGt(twins.getCheck(checkId).anchor, block.number);
        assertTrue(twins.getCheck(checkId).status == CheckStatus.Anchored);
        assertEq(_draw(checkId).length, COMMITTEE);
    }

    /// @notice The committee comes from the verifiers of the twin's current release: a twin on a release nobody
    ///         verifies cannot move (the check is void, the fee returned) however many verify the proposed one.
    function test_drawCommittee_voidsAndRefundsIfNobodyVerifiesTheCurrentRelease() public {
        ModelId lonely = ModelId.wrap(keccak256("twin-model v4, nobody verifies it"));
        bytes32 repo = models.release(V1).repoId;
        vm.prank(modelOwner);
        models.publishRelease(repo, lonely, "4.0.0", DeterminismClass.TOLERANCE, 1_000, RiskClass.LOW, 1e17, 0);
        vm.startPrank(owner);
        uint256 loner = twins.register("ipfs://loner");
        twins.bind(loner, lonely, PROFILE, bytes32(0), PROBES, BOUND);
        uint256 before = token.balanceOf(owner);
        uint256 checkId = twins.proposeUpgrade(loner, V2, FEE);
        vm.stopPrank();
        vm.roll(block.number + 3);
        twins.drawCommittee(checkId);
        assertTrue(twins.getCheck(checkId).status == CheckStatus.Void);
        assertEq(twins.openCheckOf(loner), 0);
        vm.prank(owner);
        twins.claim();
        assertEq(token.balanceOf(owner), before);
        assertEq(ModelId.unwrap(twins.binding(loner).release), ModelId.unwrap(lonely));
    }

    // ─── Verdicts ───────────────────────────────────────────────────────────────────────────────

    function test_check_appliesAnUpgradeWithinTheBound() public {
        (uint256 checkId, address[] memory members) = _check([uint32(30_000), 30_500, 29_800]);

        DriftCheck memory c = twins.getCheck(checkId);
        assertTrue(c.status == CheckStatus.Passed);
        assertEq(c.agreedPpm, 30_000);
        assertEq(twins.openCheckOf(agentId), 0);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V2));
        assertEq(twins.bindingVersions(agentId), 2);
        assertTrue(twins.bindingAt(agentId, 1).change == BindingChange.Release);
        assertEq(twins.bindingAt(agentId, 1).checkId, checkId);
        assertEq(ModelId.unwrap(twins.bindingAt(agentId, 0).release), ModelId.unwrap(V1));
        assertEq(twins.binding(agentId).profileHash, PROFILE); // only the release moved
        for (uint256 i; i < members.length; ++i) {
            assertEq(twins.claimable(members[i]), FEE / COMMITTEE);
            assertEq(workers.getWorker(members[i]).locked, 0);
            assertEq(_stake(members[i]), VERIFIER_STAKE);
        }
        (,, uint8 response, bytes32 responseHash, string memory tag,) =
            validation.getValidationStatus(twins.validationRequestHash(checkId));
        assertEq(response, 100);
        assertEq(uint256(responseHash), 30_000);
        assertEq(tag, "drift");
        (uint64 count, uint8 avg) = validation.getSummary(agentId, new address[](0), "drift");
        assertEq(count, 1);
        assertEq(avg, 100);
    }

    function test_check_refusesAnUpgradeBeyondTheBound() public {
        (uint256 checkId, address[] memory members) = _check([uint32(80_000), 80_400, 79_900]);

        DriftCheck memory c = twins.getCheck(checkId);
        assertTrue(c.status == CheckStatus.Refused);
        assertEq(c.agreedPpm, 80_000);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V1)); // the twin keeps its release
        assertEq(twins.bindingVersions(agentId), 1);
        for (uint256 i; i < members.length; ++i) {
            assertEq(twins.claimable(members[i]), FEE / COMMITTEE); // paid to verify, not to agree with the owner
        }
        (,, uint8 response,,,) = validation.getValidationStatus(twins.validationRequestHash(checkId));
        assertEq(response, 0);
        // The owner may try again (another check, another fee).
        assertEq(_propose(), checkId + 1);
    }

    function test_check_atTheBoundPasses() public {
        (uint256 checkId,) = _check([uint32(BOUND), BOUND, BOUND]);
        assertTrue(twins.getCheck(checkId).status == CheckStatus.Passed);
    }

    function test_resolveCheck_slashesASilentMember() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        _commit(checkId, m[0], 30_000);
        _commit(checkId, m[1], 30_100);
        _commit(checkId, m[2], 30_050);
        _reveal(checkId, m[0], 30_000);
        _reveal(checkId, m[1], 30_100);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITwinRegistry.DriftPhaseOpen.selector, checkId, uint40(block.timestamp) + REVEAL_WINDOW
            )
        );
        twins.resolveCheck(checkId);
        skip(REVEAL_WINDOW);
        twins.resolveCheck(checkId);

        assertTrue(twins.getCheck(checkId).status == CheckStatus.Passed);
        assertEq(twins.getCheck(checkId).agreedPpm, 30_050); // the mean of the two middle reveals
        assertEq(_stake(m[2]), VERIFIER_STAKE - MEMBER_LOCK);
        assertEq(workers.getWorker(m[2]).jailedUntil, block.timestamp + JAIL);
        assertEq(twins.claimable(m[2]), 0);
        assertEq(twins.claimable(treasury), MEMBER_LOCK);
        assertEq(twins.claimable(m[0]), FEE / COMMITTEE);
        assertEq(twins.claimable(owner), FEE - 2 * (FEE / COMMITTEE)); // the silent member's share comes back
    }

    function test_resolveCheck_voidWithoutAMajority() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        _commit(checkId, m[0], 30_000);
        skip(COMMIT_WINDOW);
        _reveal(checkId, m[0], 30_000); // the only commitment: resolves at once
        DriftCheck memory c = twins.getCheck(checkId);
        assertTrue(c.status == CheckStatus.Void);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V1));
        assertEq(twins.claimable(owner), FEE); // refunded whole
        assertEq(twins.claimable(m[0]), 0); // nothing proven: unpaid, not slashed
        assertEq(_stake(m[0]), VERIFIER_STAKE);
        assertEq(workers.getWorker(m[0]).locked, 0);
        assertEq(_stake(m[1]), VERIFIER_STAKE - MEMBER_LOCK); // silent members are slashed
        assertEq(_stake(m[2]), VERIFIER_STAKE - MEMBER_LOCK);
    }

    function test_claim_paysMembers() public {
        (, address[] memory members) = _check([uint32(30_000), 30_000, 30_000]);
        vm.prank(members[0]);
        uint256 paid = twins.claim();
        assertEq(paid, FEE / COMMITTEE);
        assertEq(token.balanceOf(members[0]), FEE / COMMITTEE);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TwinNothingToClaim.selector, members[0]));
        vm.prank(members[0]);
        twins.claim();
    }

    // ─── Refusals ───────────────────────────────────────────────────────────────────────────────

    function test_proposeUpgrade_revertsIfUnknownTwin() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.UnknownTwin.selector, 7));
        vm.prank(owner);
        twins.proposeUpgrade(7, V2, FEE);
    }

    function test_proposeUpgrade_revertsIfNotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, agentId, bob));
        vm.prank(bob);
        twins.proposeUpgrade(agentId, V2, FEE);
    }

    function test_proposeUpgrade_revertsIfNotBound() public {
        vm.prank(owner);
        uint256 unbound = twins.register();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotBound.selector, unbound));
        vm.prank(owner);
        twins.proposeUpgrade(unbound, V2, FEE);
    }

    function test_proposeUpgrade_revertsIfUnknownRelease() public {
        ModelId unknown = ModelId.wrap(keccak256("unpublished"));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, unknown));
        vm.prank(owner);
        twins.proposeUpgrade(agentId, unknown, FEE);
    }

    function test_proposeUpgrade_revertsIfDeprecatedRelease() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.ReleaseDeprecated.selector, V3));
        vm.prank(owner);
        twins.proposeUpgrade(agentId, V3, FEE);
    }

    function test_proposeUpgrade_revertsIfSameRelease() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.SameRelease.selector, V1));
        vm.prank(owner);
        twins.proposeUpgrade(agentId, V1, FEE);
    }

    function test_proposeUpgrade_revertsIfFeeTooLow() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.FeeTooLow.selector, MIN_FEE - 1, MIN_FEE));
        vm.prank(owner);
        twins.proposeUpgrade(agentId, V2, MIN_FEE - 1);
    }

    function test_proposeUpgrade_revertsIfCheckOpen() public {
        uint256 checkId = _propose();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.CheckOpen.selector, agentId, checkId));
        vm.prank(owner);
        twins.proposeUpgrade(agentId, V2, FEE);
    }

    function test_drawCommittee_revertsIfUnknownCheck() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.UnknownCheck.selector, 5));
        twins.drawCommittee(5);
    }

    function test_drawCommittee_revertsIfDrawnAlready() public {
        uint256 checkId = _propose();
        _draw(checkId);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.WrongCheckStatus.selector, checkId, CheckStatus.Voting));
        twins.drawCommittee(checkId);
    }

    function test_revealDrift_revertsIfProbeSetMismatch() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        bytes32 other = keccak256("a probe set the twin never committed to");
        bytes32 commitment = twins.driftCommitment(checkId, 1_000, other, _salt(m[0]), m[0]);
        vm.prank(m[0]);
        twins.commitDrift(checkId, commitment);
        _commit(checkId, m[1], 30_000);
        _commit(checkId, m[2], 30_000);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.ProbeSetMismatch.selector, checkId, PROBES, other));
        vm.prank(m[0]);
        twins.revealDrift(checkId, 1_000, other, _salt(m[0]));
    }

    function test_revealDrift_revertsIfCommitmentMismatch() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        for (uint256 i; i < m.length; ++i) {
            _commit(checkId, m[i], 30_000);
        }
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.DriftCommitmentMismatch.selector, checkId, m[0]));
        vm.prank(m[0]);
        twins.revealDrift(checkId, 1_000, PROBES, _salt(m[0]));
    }

    function test_revealDrift_revertsIfRevealNotOpen() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        _commit(checkId, m[0], 30_000);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.DriftRevealNotOpen.selector, checkId));
        _reveal(checkId, m[0], 30_000);
    }

    function test_commitDrift_revertsIfNotMember() public {
        uint256 checkId = _propose();
        _draw(checkId);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotMember.selector, checkId, bob));
        vm.prank(bob);
        twins.commitDrift(checkId, keccak256("x"));
    }

    function test_commitDrift_revertsIfTwice() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        _commit(checkId, m[0], 30_000);
        bytes32 again = twins.driftCommitment(checkId, 31_000, PROBES, _salt(m[0]), m[0]);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.AlreadyVoted.selector, checkId, m[0]));
        vm.prank(m[0]);
        twins.commitDrift(checkId, again);
    }

    function test_commitDrift_revertsIfClosed() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        uint40 until = twins.getCheck(checkId).until;
        skip(COMMIT_WINDOW);
        bytes32 late = twins.driftCommitment(checkId, 30_000, PROBES, _salt(m[0]), m[0]);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.DriftPhaseClosed.selector, checkId, until));
        vm.prank(m[0]);
        twins.commitDrift(checkId, late);
    }

    function test_commitDrift_revertsIfZero() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        vm.expectRevert(ITwinRegistry.ZeroCommitment.selector);
        vm.prank(m[0]);
        twins.commitDrift(checkId, bytes32(0));
    }

    function test_committeeOf_recordsVotes() public {
        (uint256 checkId, address[] memory members) = _check([uint32(1), 2, 3]);
        DriftMember[] memory committee = twins.committeeOf(checkId);
        for (uint256 i; i < committee.length; ++i) {
            assertEq(committee[i].verifier, members[i]);
            assertTrue(committee[i].vote == DriftVote.Revealed);
            assertEq(committee[i].driftPpm, i + 1);
        }
    }
}
