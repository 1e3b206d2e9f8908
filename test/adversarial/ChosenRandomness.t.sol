// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice A compute worker that is a contract: it reads everything the chain shows in the transaction that
///         submits its answer and lies only when its best prediction says the audit lottery will miss.
contract AuditDodger {
    ITaskEscrow internal immutable ESCROW;

    constructor(ITaskEscrow escrow) {
        ESCROW = escrow;
    }

    /// @notice Joins the network as a compute worker of `model`.
    function join(IWorkerRegistry workers, IERC20 token, ModelId model, uint96 stake) external {
        token.approve(address(workers), stake);
        ModelId[] memory served = new ModelId[](1);
        served[0] = model;
        workers.register(Roles.COMPUTE, "http://127.0.0.1:9100", served, stake);
    }

    /// @notice Answers `wrong` unless it predicts an audit; returns whether it lied.
    function answer(TaskId taskId, bytes32 right, bytes32 wrong) external returns (bool lied) {
        uint16 auditBps = ESCROW.getTask(taskId).auditBps;
        // The roll of the old escrow, computable in this very transaction.
        uint256 oldRoll = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), taskId))) % 10_000;
        // The roll of this escrow reads the hash of a block this submission anchors in the future: all it can
        // read of it now is zero.
        uint256 anchor = block.number + 2;
        uint256 newRoll = uint256(keccak256(abi.encode(blockhash(anchor), taskId, uint256(1)))) % 10_000;
        lied = oldRoll >= auditBps && newRoll >= auditBps;
        ESCROW.submitResult(taskId, lied ? wrong : right);
    }

    /// @notice Claims its payouts.
    function claim() external {
        if (ESCROW.claimable(address(this)) != 0) {
            ESCROW.claim();
        }
    }
}

/// @notice Attacks on the randomness of draws: picking the block a draw happens in, predicting the audit
///         lottery, and a challenger waiting for a committee of its own sybils. Each must fail to profit.
contract ChosenRandomnessTest is AdversarialFixture {
    /// @notice A draw of seats is fixed once its anchor is mined: whoever calls `assign`, in whichever block of
    ///         the window and with whatever prevrandao, the same workers are drawn.
    function test_assign_drawsTheSameSeatsWhicheverBlockItLandsIn() public {
        TaskId taskId = _create(exactModel, 100e18, Tier.REDUNDANT);
        uint256 anchor = _view(taskId).anchor;
        address[3] memory first;
        for (uint256 delay; delay < 3; ++delay) {
            uint256 snapshot = vm.snapshotState();
            vm.roll(anchor + 1 + delay);
            vm.setBlockhash(anchor, keccak256("the anchor block"));
            vm.prevrandao(bytes32(delay * 7 + 1));
            vm.prank(makeAddr(string.concat("caller ", vm.toString(delay))));
            escrow.assign(taskId);
            for (uint256 i; i < 3; ++i) {
                if (delay == 0) {
                    first[i] = _worker(taskId, i);
                } else {
                    assertEq(_worker(taskId, i), first[i], "the same seat whatever the block");
                }
            }
            vm.revertToState(snapshot);
        }
    }

    /// @notice The requester cannot see the draw when it creates the task: the anchor lies ahead, its hash is
    ///         zero to every contract in the creation transaction.
    function test_createTask_anchorsTheDrawInAFutureBlock() public {
        TaskId taskId = _create(exactModel, 1e18, Tier.LIGHT);
        uint256 anchor = _view(taskId).anchor;
        assertGt(anchor, block.number, "anchored ahead");
        assertEq(blockhash(anchor), bytes32(0), "unknowable when the task is created");
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.AnchorPending.selector, taskId, anchor));
        escrow.assign(taskId);
    }

    /// @notice A stale anchor is re-anchored, never drawn from a hash that is gone (which would read as zero).
    function test_assign_reanchorsAStaleAnchor() public {
        TaskId taskId = _create(exactModel, 1e18, Tier.LIGHT);
        uint256 anchor = _view(taskId).anchor;
        vm.roll(anchor + workers.epochBlocks() + 1); // past the anchor's epoch
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.Anchored(taskId, uint32(block.number + 2));
        escrow.assign(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Created), "nothing drawn");
        _assign(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Assigned));
    }

    /// @notice An audit lottery nobody drew within 256 blocks audits: waiting out the hash horizon escapes nothing.
    function test_audit_ofAStaleAnchorAudits() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        vm.prank(_worker(taskId, 0));
        escrow.submitResult(taskId, bad);
        vm.roll(_view(taskId).anchor + 257);
        vm.expectEmit(true, false, false, false, address(escrow)); // the task; the anchor is fresh
        emit ITaskEscrow.ReviewRequested(taskId, ITaskEscrow.ReviewReason.Audit, 0);
        escrow.audit(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Reviewing));
    }

    /// @notice The issue's attack: a contract worker that lies only when the audit roll misses (it got 0 audits
    ///         in 20 tasks at an 18.75 % nominal rate). It can no longer see the roll, is audited at about the
    ///         nominal rate, and ends poorer than it started.
    function test_auditDodger_isAuditedAndEndsPoorer() public {
        ModelId model = _publishModel(modelOwner, "attacker/dodged", PRICE);
        AuditDodger dodger = new AuditDodger(escrow);
        uint96 stake = 10_000e18; // a 40-token LIGHT seat locks about 200
        vm.prank(admin);
        token.mint(address(dodger), stake);
        dodger.join(workers, token, model, stake);
        for (uint256 i; i < verifiers.length; ++i) {
            vm.prank(verifiers[i]);
            workers.serveModel(model);
        }
        _nextEpoch();
        uint256 before = _wealth(address(dodger));

        uint256 lies;
        uint256 audits;
        for (uint256 n; n < 40; ++n) {
            TaskId taskId = _createAs(requester, model, 40e18, Tier.LIGHT, 100 * PRICE);
            _assignFresh(taskId);
            bool lied = dodger.answer(taskId, good, bad);
            lies += lied ? 1 : 0;
            if (_auditFresh(taskId)) {
                ++audits;
                _voteAll(taskId, lied ? 0 : 1);
                _closeAppealWindow(taskId);
                escrow.settle(taskId);
                vm.warp(block.timestamp + 1 days); // out of jail for the next task
            } else {
                _finalizeAndSettle(taskId);
            }
        }
        dodger.claim();
        assertGt(lies, 20, "it lied on most tasks");
        assertGt(audits, 3, "and was audited at about the nominal ~20 %");
        assertLt(_wealth(address(dodger)), before, "the dodger ends poorer");
        _assertSolvent();
    }

    /// @notice The issue's attack: a challenger with two sybil verifiers challenges correct results, hoping for a
    ///         committee its sybils control. The committee is drawn from a block after the challenge, from the
    ///         weights of the epoch: over twenty challenges the attacker group ends poorer.
    function test_challengeGrinder_endsPoorer() public {
        (address[] memory group, uint256 before) = _challengeCorrectResultsWithSybils(0); // sybils reject them
        assertLt(_wealth(group), before, "challenging correct results costs the attacker");
        _assertSolvent();
    }

    /// @notice A review-fund drainer: the same group challenges correct results only to sit its sybils on the
    ///         committees, where they vote honestly to collect the review pay and a share of the lost bond.
    ///         The bond it loses on every challenge is worth more than what its sybils collect.
    function test_reviewFundDrainer_endsPoorer() public {
        (address[] memory group, uint256 before) = _challengeCorrectResultsWithSybils(1); // sybils accept them
        assertLt(_wealth(group), before, "draining the review fund costs the attacker");
        _assertSolvent();
    }

    /// @dev A challenger and two sybil verifiers (stake like the three honest ones): twenty correct LIGHT results
    ///      challenged, the sybils voting `sybilVote` and the honest members accepting; returns the group and its
    ///      wealth before, after everyone claimed.
    function _challengeCorrectResultsWithSybils(uint8 sybilVote)
        internal
        returns (address[] memory group, uint256 before)
    {
        group = new address[](3);
        group[0] = challenger;
        group[1] = _registerWith("sybil verifier 1", Roles.VERIFY, _single(exactModel), STAKE);
        group[2] = _registerWith("sybil verifier 2", Roles.VERIFY, _single(exactModel), STAKE);
        address[] memory sybils = new address[](2);
        (sybils[0], sybils[1]) = (group[1], group[2]);
        _nextEpoch();
        before = _wealth(group);

        for (uint256 n; n < 20; ++n) {
            TaskId taskId = _createAs(requester, exactModel, 1e18, Tier.LIGHT, 100 * PRICE);
            _assignFresh(taskId);
            vm.prank(_worker(taskId, 0));
            escrow.submitResult(taskId, good);
            vm.prank(challenger);
            escrow.challenge(taskId);
            _mineAnchor(taskId);
            escrow.drawCommittee(taskId);
            _voteAs(taskId, 1, sybils, sybilVote); // honest members accept the correct result
            _closeAppealWindow(taskId);
            escrow.settle(taskId);
            vm.warp(block.timestamp + 1 days); // any slashed worker or member is out of jail again
        }
        for (uint256 i; i < group.length; ++i) {
            if (escrow.claimable(group[i]) != 0) {
                vm.prank(group[i]);
                escrow.claim();
            }
        }
    }
}
