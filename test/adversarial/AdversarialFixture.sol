// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {DeterminismClass, ModelId, RiskClass} from "../../contracts/types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "../utils/EscrowFixture.sol";

/// @notice Helpers for attacks written from the attacker's side: fresh models an attacker controls, anchor hashes
///         that play the part of the chain's randomness, and an attacker's wealth (wallet + stake + claimable).
abstract contract AdversarialFixture is EscrowFixture {
    /// @dev Successive anchor hashes, so that each draw in a test sees a different, fixed "random" block.
    uint256 internal _entropy;

    /// @dev Publishes a fresh EXACT release at `price` in its own repository, owned by `owner`.
    function _publishModel(address owner, string memory name, uint96 price) internal returns (ModelId releaseId) {
        releaseId = ModelId.wrap(keccak256(abi.encode("release", name)));
        vm.startPrank(owner);
        bytes32 repo = models.createRepository(name);
        models.publishRelease(repo, releaseId, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.LOW, price, 0);
        vm.stopPrank();
    }

    /// @dev Gives the next pending draw of `taskId` a fresh anchor hash (as the chain would) and rolls past it.
    function _mineAnchor(TaskId taskId) internal {
        uint256 anchor = escrow.getTask(taskId).anchor;
        _pastAnchor(taskId);
        vm.setBlockhash(anchor, keccak256(abi.encode("block", ++_entropy)));
    }

    /// @dev Assigns `taskId` from a fresh anchor hash.
    function _assignFresh(TaskId taskId) internal {
        _mineAnchor(taskId);
        escrow.assign(taskId);
    }

    /// @dev Draws a proposal's audit lottery from a fresh anchor hash; if it hits, draws the committee too.
    ///      Returns whether it was audited.
    function _auditFresh(TaskId taskId) internal returns (bool audited) {
        _mineAnchor(taskId);
        escrow.audit(taskId);
        audited = _status(taskId) == TaskStatus.Reviewing;
        if (audited) {
            _mineAnchor(taskId);
            escrow.drawCommittee(taskId);
        }
    }

    /// @dev Every member of the current committee of `taskId` votes: `honestMask` unless it is in `liars`, which
    ///      vote `lieMask`.
    function _voteAs(TaskId taskId, uint8 honestMask, address[] memory liars, uint8 lieMask) internal {
        (uint256 base, uint256 size) = _round(taskId);
        uint8[] memory masks = new uint8[](size);
        for (uint256 i; i < size; ++i) {
            address member = _member(taskId, base + i);
            bool lies;
            for (uint256 j; j < liars.length; ++j) {
                lies = lies || liars[j] == member;
            }
            masks[i] = lies ? lieMask : honestMask;
        }
        _vote(taskId, masks);
    }

    /// @dev What `who` owns in the network's token: wallet, stake (bonded + unbonding) and escrow credit.
    function _wealth(address who) internal view returns (uint256) {
        return
            token.balanceOf(who) + workers.getWorker(who).stake + workers.getWorker(who).unbonding
                + escrow.claimable(who);
    }

    /// @dev Summed `_wealth` of a group.
    function _wealth(address[] memory group) internal view returns (uint256 total) {
        for (uint256 i; i < group.length; ++i) {
            total += _wealth(group[i]);
        }
    }

    function _single(ModelId model) internal pure returns (ModelId[] memory list) {
        list = new ModelId[](1);
        list[0] = model;
    }

    /// @dev Creates a task as `who` with a one-hour deadline.
    function _createAs(address who, ModelId model, uint96 value, Tier floor, uint96 maxFee)
        internal
        returns (TaskId taskId)
    {
        vm.prank(who);
        taskId = escrow.createTask(model, input, value, floor, uint40(block.timestamp) + TASK_TIME, maxFee);
    }

    /// @dev Finalizes a proposal whose audit lottery was drawn, after its challenge window, and settles it.
    function _finalizeAndSettle(TaskId taskId) internal {
        vm.warp(escrow.getTask(taskId).until);
        escrow.finalize(taskId);
        escrow.settle(taskId);
    }

    /// @dev The task record.
    function _view(TaskId taskId) internal view returns (ITaskEscrow.TaskView memory) {
        return escrow.getTask(taskId);
    }
}
