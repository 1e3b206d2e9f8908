// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice One appeal of a review's first decision to a larger committee of strangers.
contract TaskEscrowAppealTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;
    uint96 internal constant BOND = 10e18;
    uint96 internal constant MEMBER_LOCK = 10e18;

    /// @dev Two verifiers one group controls; they vote together on any committee they sit on.
    address[] internal colluders;

    function setUp() public override {
        super.setUp();
        colluders.push(_register("colluder 0", Roles.VERIFY));
        colluders.push(_register("colluder 1", Roles.VERIFY));
        // Enough honest strangers for a full appeal committee of 7 besides the first committee.
        for (uint256 i = 3; i < 8; ++i) {
            verifiers.push(_register(string.concat("verifier", vm.toString(i)), Roles.VERIFY));
        }
        _nextEpoch();
    }

    /// @dev A LIGHT task whose worker submitted `output`, audited, with both colluders on its first committee.
    function _auditedByColluders(bytes32 output) internal returns (TaskId taskId) {
        taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        vm.prank(_worker(taskId, 0));
        escrow.submitResult(taskId, output);
        _aimAudit(taskId, true);
        escrow.audit(taskId);
        _steerCommittee(taskId, colluders);
    }

    /// @dev The first committee votes: colluders `lie`, the honest member `truth`.
    function _firstVote(TaskId taskId, uint8 truth, uint8 lie) internal {
        _vote(taskId, _firstMasks(taskId, truth, lie));
    }

    function _firstMasks(TaskId taskId, uint8 truth, uint8 lie) internal view returns (uint8[] memory masks) {
        masks = new uint8[](3);
        for (uint256 i; i < 3; ++i) {
            address member = _member(taskId, i);
            masks[i] = member == colluders[0] || member == colluders[1] ? lie : truth;
        }
    }

    /// @dev `who` (funded) appeals, and the appeal committee is drawn.
    function _appeal(TaskId taskId, address who) internal {
        vm.prank(who);
        escrow.appeal(taskId);
        _drawCommittee(taskId);
    }

    function _isFirstMember(TaskId taskId, address account) internal view returns (bool member) {
        for (uint256 i; i < _task(taskId).committeeSize; ++i) {
            member = member || _member(taskId, i) == account;
        }
    }

    // ─── The window ──────────────────────────────────────────────────────────────────────────────

    function test_resolve_decisionAgainstAPartyOpensTheAppealWindow() public {
        TaskId taskId = _auditedByColluders(good);
        uint16 pressure = escrow.pressureBps();
        uint8[] memory masks = _firstMasks(taskId, 1, 0);
        for (uint256 i; i < 3; ++i) {
            _commitVote(taskId, i, masks[i]);
        }
        _revealVote(taskId, 0, masks[0]);
        _revealVote(taskId, 1, masks[1]);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.AppealOpened(taskId, uint40(block.timestamp) + escrow.params().challengeWindow);
        _revealVote(taskId, 2, masks[2]);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.status), uint8(TaskStatus.Reviewing), "nothing finalized yet");
        assertEq(uint8(task.appeal), uint8(ITaskEscrow.AppealStage.Open));
        assertEq(_stake(_worker(taskId, 0)), STAKE, "nothing slashed yet");
        assertEq(_stake(colluders[0]), STAKE);
        assertEq(escrow.pressureBps(), pressure, "still one open review");
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseOpen.selector, taskId, task.until));
        escrow.resolve(taskId);
        _assertSolvent();
    }

    function test_resolve_unappealedAfterTheWindowAppliesTheFirstDecision() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, bad, false);
        vm.prank(challenger);
        escrow.challenge(taskId);
        _drawCommittee(taskId);
        _voteAll(taskId, 0);
        _closeAppealWindow(taskId);

        uint96 lock = _task(taskId).seatLock;
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_stake(_worker(taskId, 0)), STAKE - lock, "the wrong result is slashed");
        assertEq(escrow.claimable(challenger), BOND + lock / 2, "bond back plus half the slash");
        assertEq(escrow.claimable(treasury), lock - lock / 2);
        assertEq(escrow.pressureBps(), 0, "the review is closed");
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve);
        _assertSolvent();
    }

    function test_resolve_withoutALosingPartyFinalizesAtOnce() public {
        TaskId taskId = _auditedByColluders(good);
        _voteAll(taskId, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized), "no appeal window");
        assertEq(uint8(_task(taskId).appeal), uint8(ITaskEscrow.AppealStage.None));
        vm.prank(_worker(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Finalized));
        escrow.appeal(taskId);
    }

    function test_votes_refusedInTheAppealWindow() public {
        TaskId taskId = _auditedByColluders(good);
        _commitVote(taskId, 0, 1);
        _commitVote(taskId, 2, 0);
        vm.warp(_task(taskId).until);
        _revealVote(taskId, 2, 0); // one member rejects; member 0 does not reveal in time, member 1 never voted
        vm.warp(_task(taskId).until + escrow.params().revealWindow);
        escrow.resolve(taskId);
        assertEq(uint8(_task(taskId).appeal), uint8(ITaskEscrow.AppealStage.Open));
        vm.prank(_member(taskId, 0));
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.WrongStatus.selector, taskId, TaskStatus.Reviewing));
        escrow.revealVote(taskId, 1, bytes32(uint256(100))); // a late reveal cannot change the decision
    }

    // ─── Appeals ─────────────────────────────────────────────────────────────────────────────────

    /// @notice Two colluders of three vote a correct result down; the worker appeals, seven strangers accept it:
    ///         the worker keeps its stake and gets its bond back, the colluders are slashed.
    function test_appeal_overturnsAColludingMajority() public {
        TaskId taskId = _auditedByColluders(good);
        address worker = _worker(taskId, 0);
        _firstVote(taskId, 1, 0);
        uint256 fund = escrow.reviewFund();

        _fund(worker, 1_000e18);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.Appealed(taskId, worker, BOND);
        _appeal(taskId, worker);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(uint8(task.appeal), uint8(ITaskEscrow.AppealStage.Appealed));
        (address appellant, uint96 bond) = escrow.appealOf(taskId);
        assertEq(appellant, worker);
        assertEq(bond, BOND);
        assertEq(task.appealSize, 7, "2 x 3 + 1");
        _voteAll(taskId, 1);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(escrow.resultOf(taskId), good);
        assertEq(_stake(worker), STAKE, "the honest worker keeps its stake");
        assertEq(_stake(colluders[0]), STAKE - MEMBER_LOCK, "colluder slashed");
        assertEq(_stake(colluders[1]), STAKE - MEMBER_LOCK, "colluder slashed");
        uint256 each = fund < 8 * PRICE ? fund / 8 : PRICE; // one honest first member + seven appeal members
        for (uint256 i; i < 7; ++i) {
            assertEq(escrow.claimable(_member(taskId, 8 + i)), each, "appeal members paid");
        }
        assertEq(escrow.claimable(worker), BOND, "the bond comes back");
        assertEq(escrow.pressureBps(), 0, "the review is closed");
        escrow.settle(taskId);
        assertGt(escrow.claimable(worker), BOND, "and the worker is paid");
        _assertSolvent();
    }

    /// @notice A frivolous appeal: the appeal committee upholds the first decision and shares the bond.
    function test_appeal_upheldLosesTheBondToTheAppealCommittee() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, bad, true);
        _voteAll(taskId, 0);
        uint256 fund = escrow.reviewFund();
        _fund(worker, 1_000e18);
        _appeal(taskId, worker);
        _voteAll(taskId, 0);

        uint96 lock = _task(taskId).seatLock;
        assertEq(_stake(worker), STAKE - lock, "the wrong result is slashed");
        uint256 each = fund < 10 * PRICE ? fund / 10 : PRICE;
        uint256 bounty = lock / 2 / 10; // no challenger: both committees share the bounty of the fault
        for (uint256 i; i < 7; ++i) {
            assertEq(escrow.claimable(_member(taskId, 8 + i)), each + bounty + BOND / 7, "pay, bounty, bond");
        }
        assertEq(escrow.claimable(_member(taskId, 0)), each + bounty, "the first committee shares no bond");
        assertEq(escrow.claimable(worker), 0, "the bond is lost");
        escrow.settle(taskId);
        _assertSolvent();
    }

    /// @notice A failed challenger appeals; the appeal overturns the decision: the challenge is upheld after all.
    function test_appeal_byAFailedChallengerSettlesTheChallengeByTheFinalOutcome() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, bad, false);
        vm.prank(challenger);
        escrow.challenge(taskId);
        _steerCommittee(taskId, colluders);
        _firstVote(taskId, 0, 1); // the colluders accept the wrong result
        _appeal(taskId, challenger); // funded by the fixture
        _voteAll(taskId, 0);

        uint96 lock = _task(taskId).seatLock;
        assertEq(_stake(_worker(taskId, 0)), STAKE - lock, "the wrong result is slashed");
        assertEq(escrow.claimable(challenger), BOND + lock / 2 + BOND, "challenge bond, bounty, appeal bond");
        assertEq(_stake(colluders[0]), STAKE - MEMBER_LOCK);
        escrow.settle(taskId);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "refunded");
        _assertSolvent();
    }

    /// @notice An appeal committee that reveals nothing decides nothing: the first decision stands, the bond
    ///         comes back, the silent members are slashed.
    function test_appeal_withoutAppealVotesKeepsTheFirstDecision() public {
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, bad, true);
        _voteAll(taskId, 0);
        _fund(worker, 1_000e18);
        _appeal(taskId, worker);
        vm.warp(_task(taskId).until + escrow.params().revealWindow);
        escrow.resolve(taskId);

        assertEq(_stake(worker), STAKE - _task(taskId).seatLock, "the first decision stands");
        assertEq(escrow.claimable(worker), BOND, "a void appeal returns the bond");
        assertEq(_stake(_member(taskId, 8)), STAKE - MEMBER_LOCK, "silent appeal member slashed");
        escrow.settle(taskId);
        _assertSolvent();
    }

    // ─── Refusals ────────────────────────────────────────────────────────────────────────────────

    function test_appeal_revertsAfterTheWindow() public {
        TaskId taskId = _auditedByColluders(good);
        _firstVote(taskId, 1, 0);
        uint40 end = _task(taskId).until;
        vm.warp(end);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.PhaseClosed.selector, taskId, end));
        escrow.appeal(taskId);
    }

    function test_appeal_revertsTwice() public {
        TaskId taskId = _auditedByColluders(good);
        _firstVote(taskId, 1, 0);
        address worker = _worker(taskId, 0);
        _fund(worker, 1_000e18);
        _appeal(taskId, worker);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AlreadyAppealed.selector, taskId));
        escrow.appeal(taskId);
    }

    function test_appeal_revertsForTheRequesterAndFirstMembers() public {
        TaskId taskId = _auditedByColluders(good);
        _firstVote(taskId, 1, 0);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.SelfReview.selector, taskId, requester));
        escrow.appeal(taskId);
        address member = _member(taskId, 1);
        vm.prank(member);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.SelfReview.selector, taskId, member));
        escrow.appeal(taskId);
    }

    function test_appeal_revertsWhileTheFirstCommitteeVotes() public {
        TaskId taskId = _auditedByColluders(good);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.NotAppealable.selector, taskId));
        escrow.appeal(taskId);
    }

    /// @notice The appeal committee seats none of the first committee and no party to the task, whatever the
    ///         anchor hashes, even where every party also verifies.
    function testFuzz_appealCommittee_excludesFirstMembersAndEveryParty(bytes32 firstHash, bytes32 appealHash) public {
        address judge = _register("challenging verifier", Roles.VERIFY);
        _fund(judge, 1_000e18);
        for (uint256 i; i < computeWorkers.length; ++i) {
            vm.prank(computeWorkers[i]);
            workers.setRoles(Roles.COMPUTE | Roles.VERIFY);
        }
        _nextEpoch();
        TaskId taskId = _createAssigned(exactModel, VALUE, Tier.LIGHT);
        _submit(taskId, good, false);
        vm.prank(judge);
        escrow.challenge(taskId);
        _pastAnchor(taskId);
        vm.setBlockhash(_task(taskId).anchor, keccak256(abi.encode(firstHash))); // never zero
        escrow.drawCommittee(taskId);
        _voteAll(taskId, 1); // the challenge fails: the challenger may appeal, and so may anyone else
        address appellant = _worker(taskId, 0); // a party that verifies too, and could not sit on the first committee
        _fund(appellant, 1_000e18);
        vm.prank(appellant);
        escrow.appeal(taskId);
        _pastAnchor(taskId);
        vm.setBlockhash(_task(taskId).anchor, keccak256(abi.encode(appealHash)));
        escrow.drawCommittee(taskId);

        ITaskEscrow.TaskView memory task = _task(taskId);
        assertGt(task.appealSize, 0);
        address[3] memory parties = [appellant, requester, judge];
        for (uint256 i = 8; i < 8 + task.appealSize; ++i) {
            address member = _member(taskId, i);
            assertFalse(_isFirstMember(taskId, member), "no first member sits again");
            for (uint256 j; j < parties.length; ++j) {
                assertTrue(member != parties[j], "no party sits on the appeal");
            }
        }
    }
}
