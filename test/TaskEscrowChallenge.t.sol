// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice Challenges, committee votes and resolution, parameters.
contract TaskEscrowChallengeTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;
    uint96 internal constant BOND = 10e18;

    function _proposed(bytes32 output) internal returns (TaskId taskId) {
        taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, output, false);
    }

    /// @dev The challenger challenges; the committee is drawn once the anchor is mined.
    function _challenge(TaskId taskId) internal {
        vm.prank(challenger);
        escrow.challenge(taskId);
        _drawCommittee(taskId);
    }

    function test_challenge_takesTheBondAndOpensAReview() public {
        TaskId taskId = _proposed(bad);
        assertEq(escrow.challengeBond(taskId), BOND);
        uint256 before = token.balanceOf(challenger);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.Challenged(taskId, challenger, BOND);
        vm.prank(challenger);
        escrow.challenge(taskId);
        assertEq(token.balanceOf(challenger), before - BOND);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.status), uint8(TaskStatus.Reviewing));
        assertEq(task.committeeSize, 0, "the committee is drawn from a later block");
        assertGt(task.anchor, block.number);
        assertEq(task.challenger, challenger);
        assertEq(task.bond, BOND);
        _assertSolvent();
    }

    function test_challenge_upheldPaysChallengerTheBountyAndRefundsRequester() public {
        TaskId taskId = _proposed(bad);
        address worker = _worker(taskId, 0);
        _challenge(taskId);
        _voteAll(taskId, 0);
        _closeAppealWindow(taskId);

        assertEq(_stake(worker), STAKE - _task(taskId).seatLock);
        assertEq(escrow.claimable(challenger), BOND + _task(taskId).seatLock / 2, "bond back plus half the slash");
        uint96 lock = _task(taskId).seatLock;
        assertEq(escrow.claimable(treasury), lock - lock / 2, "the other half to the treasury");
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        _assertSolvent();
    }

    function test_challenge_frivolousLosesTheBondToTheCommittee() public {
        TaskId taskId = _proposed(good);
        address worker = _worker(taskId, 0);
        _challenge(taskId);
        uint256 fund = escrow.reviewFund();
        _voteAll(taskId, 1);
        _closeAppealWindow(taskId);

        assertEq(_stake(worker), STAKE, "honest worker not slashed");
        assertEq(escrow.claimable(challenger), 0);
        escrow.settle(taskId);
        uint256 pot = PRICE - PRICE * 200 / 10_000 - PRICE * ROYALTY_BPS / 10_000;
        assertEq(escrow.claimable(worker), pot);
        uint256 each = fund < 3 * PRICE ? fund / 3 : PRICE;
        assertEq(escrow.claimable(_member(taskId, 0)), each + BOND / 3, "review pay and a third of the bond");
        _assertSolvent();
    }

    function test_drawCommittee_revertsUntilTheAnchorIsMinedAndOnce() public {
        TaskId taskId = _proposed(bad);
        vm.prank(challenger);
        escrow.challenge(taskId);
        uint256 anchor = _task(taskId).anchor;
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AnchorPending.selector, taskId, anchor));
        escrow.drawCommittee(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Reviewing));
        escrow.resolve(taskId);
        _drawCommittee(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.CommitteeAlreadyDrawn.selector, taskId));
        escrow.drawCommittee(taskId);
    }

    function test_challenge_revertsAfterTheWindow() public {
        TaskId taskId = _proposed(bad);
        uint40 end = _task(taskId).until;
        vm.warp(end);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseClosed.selector, taskId, end));
        escrow.challenge(taskId);
    }

    function test_challenge_revertsIfNotProposed() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Assigned));
        escrow.challenge(taskId);
    }

    function test_challenge_revertsIfNoVerifierIsAvailable() public {
        TaskId taskId = _proposed(bad);
        for (uint256 i; i < verifiers.length; ++i) {
            vm.prank(verifiers[i]);
            workers.stopServing(exactModel);
        }
        _nextEpoch();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NoVerifiersAvailable.selector, taskId));
        escrow.challenge(taskId);
    }

    function test_commitVote_revertsIfNotAMember() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NotAssigned.selector, taskId, requester));
        escrow.commitVote(taskId, keccak256("vote"));
    }

    /// @notice Members are named by the escrow's worker index: the task's own worker, indexed by its seat, is still no
    ///         member, nor is another indexed worker outside the committee.
    function test_attacker_anIndexedWorkerOutsideTheCommitteeCannotVote() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        address seated = _worker(taskId, 0); // holds an index: its seat 0 names it
        vm.prank(seated);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NotAssigned.selector, taskId, seated));
        escrow.commitVote(taskId, keccak256("vote"));
        for (uint256 i; i < 3; ++i) {
            assertTrue(_member(taskId, i) != seated, "a seat never reviews itself");
            assertTrue(_member(taskId, i) != address(0), "every member names a worker");
        }
    }

    function test_commitVote_revertsIfCommittedTwice() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        address member = _member(taskId, 0);
        vm.startPrank(member);
        escrow.commitVote(taskId, keccak256("vote"));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AlreadyActed.selector, taskId, member));
        escrow.commitVote(taskId, keccak256("vote"));
        vm.stopPrank();
    }

    function test_commitVote_revertsAfterTheVoteWindow() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        uint40 end = _task(taskId).until;
        vm.warp(end);
        vm.prank(_member(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseClosed.selector, taskId, end));
        escrow.commitVote(taskId, keccak256("vote"));
    }

    function test_revealVote_revertsUntilEveryMemberCommittedOrTheWindowEnds() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        _commitVote(taskId, 0, 0);
        vm.prank(_member(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.RevealNotOpen.selector, taskId));
        escrow.revealVote(taskId, 0, bytes32(uint256(100)));
        vm.warp(_task(taskId).until); // the vote window ends: reveals open for the committed
        _revealVote(taskId, 0, 0);
    }

    function test_revealVote_revertsIfTheVoteIsNotTheOneCommitted() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        for (uint256 i; i < 3; ++i) {
            _commitVote(taskId, i, 0);
        }
        address member = _member(taskId, 0);
        vm.prank(member);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.CommitmentMismatch.selector, taskId, member));
        escrow.revealVote(taskId, 1, bytes32(uint256(100))); // a copied answer is not what it committed
    }

    function test_revealVote_revertsIfMaskNamesMissingSeats() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        for (uint256 i; i < 3; ++i) {
            _commitVote(taskId, i, 2);
        }
        vm.prank(_member(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.InvalidMask.selector, 2));
        escrow.revealVote(taskId, 2, bytes32(uint256(100)));
    }

    function test_resolve_slashesSilentMembersAndDecidesByTheVotesRevealed() public {
        TaskId taskId = _proposed(bad);
        address worker = _worker(taskId, 0);
        _challenge(taskId);
        _commitVote(taskId, 0, 0);
        _commitVote(taskId, 1, 0);
        vm.warp(_task(taskId).until);
        _revealVote(taskId, 0, 0); // member 1 committed but never reveals; member 2 never committed
        uint40 end = _task(taskId).until + escrow.params().revealWindow;
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseOpen.selector, taskId, end));
        escrow.resolve(taskId);

        vm.warp(end);
        escrow.resolve(taskId);
        _closeAppealWindow(taskId);
        assertEq(_stake(_member(taskId, 1)), STAKE - 10e18, "missed reveal");
        assertEq(_stake(_member(taskId, 2)), STAKE - 10e18, "missed vote");
        assertEq(_stake(_member(taskId, 0)), STAKE);
        assertEq(_stake(worker), STAKE - _task(taskId).seatLock, "one vote of one rejects");
        escrow.settle(taskId);
        _assertSolvent();
    }

    function test_resolve_slashesAVoteOnTheLosingSide() public {
        TaskId taskId = _proposed(good);
        _challenge(taskId);
        uint8[] memory masks = new uint8[](3);
        (masks[0], masks[1], masks[2]) = (1, 1, 0); // member 2 votes the correct result down
        _vote(taskId, masks);
        _closeAppealWindow(taskId);
        assertEq(_stake(_member(taskId, 2)), STAKE - 10e18, "the losing vote is slashed");
        assertEq(_stake(_member(taskId, 0)), STAKE);
        assertEq(_stake(_worker(taskId, 0)), STAKE, "the honest worker keeps its stake");
        escrow.settle(taskId);
        _assertSolvent();
    }

    function test_resolve_paysTheCommitteeFromTheFundWhateverTheOutcome() public {
        TaskId taskId = _proposed(bad);
        _challenge(taskId);
        uint256 fund = escrow.reviewFund();
        assertGt(fund, 0, "the reserves of the tasks so far");
        _voteAll(taskId, 0); // the result falls: the requester gets its fee back, the committee is paid anyway
        _closeAppealWindow(taskId);
        uint256 each = fund < 3 * PRICE ? fund / 3 : PRICE;
        for (uint256 i; i < 3; ++i) {
            assertGe(escrow.claimable(_member(taskId, i)), each, "paid from the fund");
        }
        _assertSolvent();
    }

    function test_resolve_voidReviewRefundsEveryoneAndSlashesNoWorker() public {
        TaskId taskId = _proposed(bad);
        address worker = _worker(taskId, 0);
        _challenge(taskId);
        vm.warp(_task(taskId).until + escrow.params().revealWindow);
        escrow.resolve(taskId);

        assertEq(_stake(worker), STAKE, "nothing proven");
        assertEq(escrow.claimable(challenger), BOND, "bond back");
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        assertEq(escrow.claimable(worker), 0);
        _assertSolvent();
    }

    function test_resolve_revertsIfNotReviewing() public {
        TaskId taskId = _proposed(bad);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Proposed));
        escrow.resolve(taskId);
    }

    function test_committee_excludesTaskWorkersRequesterAndChallenger() public {
        // The challenger and the requester also verify: they must not judge this task.
        address judge = verifiers[0];
        _fund(judge, 1_000e18);
        TaskId taskId = _proposed(bad);
        vm.prank(judge);
        escrow.challenge(taskId);
        _drawCommittee(taskId);
        for (uint256 i; i < _task(taskId).committeeSize; ++i) {
            address member = _member(taskId, i);
            assertTrue(member != judge && member != _worker(taskId, 0) && member != requester);
        }
        assertEq(_task(taskId).committeeSize, 2, "three verifiers minus the challenger");
    }

    // ─── Parameters ──────────────────────────────────────────────────────────────────────────────

    function test_setParams_updatesAndEmits() public {
        ITaskEscrow.Params memory p = defaultParams();
        p.challengeWindow = 2 hours;
        vm.prank(admin);
        escrow.setParams(p);
        assertEq(escrow.params().challengeWindow, 2 hours);
    }

    function test_setParams_revertsIfNotOwner() public {
        ITaskEscrow.Params memory p = defaultParams();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, challenger));
        escrow.setParams(p);
    }

    function test_setParams_revertsIfOutOfRange() public {
        ITaskEscrow.Params memory p = defaultParams();
        p.committeeSize = 8;
        vm.startPrank(admin);
        vm.expectRevert(ITaskEscrow.InvalidParams.selector);
        escrow.setParams(p);
        p = defaultParams();
        p.treasury = address(0);
        vm.expectRevert(ITaskEscrow.InvalidParams.selector);
        escrow.setParams(p);
        p = defaultParams();
        p.bountyBps = 5_001;
        vm.expectRevert(ITaskEscrow.InvalidParams.selector);
        escrow.setParams(p);
        vm.stopPrank();
    }

    /// @notice Collateral sized for less than the whole value at risk would let a wrong answer worth the value
    ///         pay: the deterrence condition breaks, and the escrow refuses the setting.
    function test_setParams_refusesAGainBelowTheValueAtRisk() public {
        ITaskEscrow.Params memory p = defaultParams();
        p.gainBps = 9_999;
        vm.prank(admin);
        vm.expectRevert(ITaskEscrow.InvalidParams.selector);
        escrow.setParams(p);
    }
}
