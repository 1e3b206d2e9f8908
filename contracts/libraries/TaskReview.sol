// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {EscrowState, Member, Seat, Task} from "../types/EscrowTypes.sol";
import {ReleaseTerms} from "../types/ModelTypes.sol";
import {Roles} from "../types/Roles.sol";
import {TaskStatus, Tier} from "../types/TaskTypes.sol";
import {Anchors} from "./Anchors.sol";

/// @title TaskReview
/// @notice The escrow's committee reviews, finality and settlement, as functions on its storage. Linked
///         (external functions, run by delegatecall) so that TaskEscrow stays under the EIP-170 size limit.
/// @dev Money moves only through `credit`: every credit is backed by tokens the escrow holds, so the
///      escrow's `liabilities` changes only where tokens enter (fees, bonds, slashes) or leave (claims).
library TaskReview {
    /// @notice Marks "no winner" in `Task.winner`.
    uint8 internal constant NO_WINNER = type(uint8).max;
    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice The `Anchors.seed` purpose of a committee draw.
    uint256 internal constant COMMITTEE_DRAW = 2;
    /// @notice `keccak256("verigrad.input-rejected")`, as `ITaskEscrow.INPUT_REJECTED`.
    bytes32 internal constant INPUT_REJECTED = keccak256("verigrad.input-rejected");

    // ─── Committees ──────────────────────────────────────────────────────────────────────────────

    /// @notice Draws the committee of a requested review from its anchor and opens the vote (see
    ///         `ITaskEscrow.drawCommittee`). Members are verifiers of the model with no stake in the outcome.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task, in `Reviewing` with no committee yet.
    function drawCommittee(EscrowState storage s, IWorkerRegistry workers, uint256 taskId) external {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Reviewing) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (task.anchor == 0) {
            revert ITaskEscrow.CommitteeAlreadyDrawn(taskId);
        }
        Anchors.Phase phase = Anchors.drawPhase(task.anchor, workers.epochBlocks());
        if (phase == Anchors.Phase.Pending) {
            revert ITaskEscrow.AnchorPending(taskId, task.anchor);
        }
        if (phase == Anchors.Phase.Stale) {
            uint32 anchor = Anchors.forDraw(workers.epochBlocks());
            task.anchor = anchor;
            emit ITaskEscrow.Anchored(taskId, anchor);
            return;
        }
        uint256 k = task.redundancy;
        address[] memory exclude = new address[](k + 2);
        for (uint256 i; i < k; ++i) {
            exclude[i] = s.seats[taskId][i].worker;
        }
        exclude[k] = task.requester;
        exclude[k + 1] = task.challenger;
        uint96 memberLock = s.params.minSlash;
        address[] memory committee = workers.drawAndLock(
            _modelOf(s, task),
            Roles.VERIFY,
            Anchors.seed(task.anchor, taskId, COMMITTEE_DRAW),
            s.params.committeeSize,
            exclude,
            memberLock
        );
        task.anchor = 0;
        uint256 size = committee.length;
        if (size == 0) {
            // Nobody can review: the review is void (nothing proven either way).
            _resolve(s, workers, taskId, task);
            return;
        }
        for (uint256 i; i < size; ++i) {
            s.committees[taskId][i] = Member(committee[i], false, 0);
        }
        uint40 end = uint40(block.timestamp) + s.params.voteWindow;
        task.memberLock = memberLock;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.committeeSize = uint8(size); // size ≤ committeeSize ≤ 7
        task.until = end;
        emit ITaskEscrow.ReviewOpened(taskId, reasonOf(task), committee, end);
    }

    /// @notice Records a member's vote; the last vote resolves the review (see `ITaskEscrow.vote`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    /// @param acceptMask Bit i set: seat i's output is correct.
    function vote(EscrowState storage s, IWorkerRegistry workers, uint256 taskId, uint8 acceptMask) external {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Reviewing || task.committeeSize == 0) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (block.timestamp >= task.until) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        if (acceptMask >> task.redundancy != 0) {
            revert ITaskEscrow.InvalidMask(acceptMask);
        }
        uint256 size = task.committeeSize;
        uint256 votes;
        bool found;
        for (uint256 i; i < size; ++i) {
            Member storage m = s.committees[taskId][i];
            if (m.verifier == msg.sender) {
                if (m.voted) {
                    revert ITaskEscrow.AlreadyActed(taskId, msg.sender);
                }
                m.voted = true;
                m.acceptMask = acceptMask;
                found = true;
            }
            if (m.voted) {
                ++votes;
            }
        }
        if (!found) {
            revert ITaskEscrow.NotAssigned(taskId, msg.sender);
        }
        emit ITaskEscrow.Voted(taskId, msg.sender, acceptMask);
        if (votes == size) {
            _resolve(s, workers, taskId, task);
        }
    }

    /// @notice Closes a review whose vote window ended (see `ITaskEscrow.resolve`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    function resolve(EscrowState storage s, IWorkerRegistry workers, uint256 taskId) external {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Reviewing || task.committeeSize == 0) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (block.timestamp < task.until) {
            revert ITaskEscrow.PhaseOpen(taskId, task.until);
        }
        _resolve(s, workers, taskId, task);
    }

    /// @notice Finalizes a task: accepted seats gain reputation, faulty and silent seats are slashed and jailed,
    ///         every seat's collateral is released. The bounty share of the slashes goes to `beneficiary` (an
    ///         upheld challenger), the rest to the treasury.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    /// @param beneficiary Who proved the fault, or zero.
    function close(EscrowState storage s, IWorkerRegistry workers, uint256 taskId, address beneficiary) public {
        Task storage task = s.tasks[taskId];
        task.status = TaskStatus.Finalized;
        bytes32 modelId = _modelOf(s, task);
        bytes32 result = task.winner == NO_WINNER ? bytes32(0) : s.seatHashes[taskId][task.winner];
        // Reputation is earned only from work someone else paid for, and never from a rejected input.
        bool earns = task.fee != 0 && result != INPUT_REJECTED;
        uint96 lock = task.seatLock;
        uint256 k = task.redundancy;
        uint256 slashed;
        for (uint256 i; i < k; ++i) {
            Seat storage seat = s.seats[taskId][i];
            ITaskEscrow.SeatState state = seat.state;
            if (state == ITaskEscrow.SeatState.Assigned || state == ITaskEscrow.SeatState.Committed) {
                seat.state = ITaskEscrow.SeatState.Faulty;
                slashed += _penalize(s, workers, taskId, seat.worker, lock, ITaskEscrow.Fault.MissedResult);
            } else if (state == ITaskEscrow.SeatState.Faulty) {
                slashed += _penalize(s, workers, taskId, seat.worker, lock, ITaskEscrow.Fault.WrongResult);
            } else {
                // Accepted, or Revealed after a void review (neither proven right nor wrong).
                workers.unlock(seat.worker, lock);
                if (state == ITaskEscrow.SeatState.Accepted && earns && seat.worker != task.requester) {
                    workers.recordOutcome(seat.worker, modelId, true);
                }
            }
        }
        uint256 bounty = beneficiary == address(0) ? 0 : slashed * s.params.bountyBps / BPS;
        credit(s, beneficiary, bounty);
        credit(s, s.params.treasury, slashed - bounty);
        emit ITaskEscrow.TaskFinalized(taskId, result);
    }

    // ─── Settlement ──────────────────────────────────────────────────────────────────────────────

    /// @notice Credits a finalized task's payments (see `ITaskEscrow.settle`).
    /// @param s The escrow's storage.
    /// @param models The model registry (royalties).
    /// @param taskId The task.
    function settle(EscrowState storage s, IModelRegistry models, uint256 taskId) external {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Finalized) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        task.status = TaskStatus.Settled;
        uint96 fee = task.fee;
        if (task.winner == NO_WINNER || s.seatHashes[taskId][task.winner] == INPUT_REJECTED) {
            credit(s, task.requester, fee);
            // A frivolous challenge of a rightful rejection still pays the committee that disproved it.
            uint96 bond = task.bond;
            credit(s, s.params.treasury, bond - _payCommittee(s, taskId, task, bond));
            emit ITaskEscrow.TaskSettled(taskId, 0, 0, 0, fee);
            return;
        }
        ReleaseTerms memory terms = models.terms(_modelOf(s, task));
        uint256 protocolFee = fee * s.params.protocolFeeBps / BPS;
        uint256 royalty = fee * terms.royaltyBps / BPS;
        uint256 pot = fee - protocolFee - royalty;
        uint256 dust = protocolFee;
        if (task.committeeSize > 0) {
            uint256 committeePot = pot * s.params.committeeShareBps / BPS;
            // A frivolous challenger's bond pays the committee that disproved it.
            uint256 paid = _payCommittee(s, taskId, task, committeePot + task.bond);
            dust += committeePot + task.bond - paid;
            pot -= committeePot;
        }
        dust += pot - _payAccepted(s, taskId, task.redundancy, pot);
        credit(s, terms.owner, royalty);
        credit(s, s.params.treasury, dust);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ITaskEscrow.TaskSettled(taskId, uint96(pot), uint96(royalty), uint96(protocolFee), 0); // all ≤ fee
    }

    /// @notice Credits `amount` to `account`'s claimable balance (nothing for zero).
    /// @param s The escrow's storage.
    /// @param account Who may claim it.
    /// @param amount The amount, already held by the escrow.
    function credit(EscrowState storage s, address account, uint256 amount) internal {
        if (amount == 0) {
            return;
        }
        s.claimable[account] += amount;
        emit ITaskEscrow.Credited(account, amount);
    }

    /// @notice Why a review of `task` happens, from its state: a challenger, no quorum (no proposed seat), a
    ///         DEEP task, or else an audit.
    /// @param task The task, in `Reviewing`.
    /// @return The reason.
    function reasonOf(Task storage task) internal view returns (ITaskEscrow.ReviewReason) {
        if (task.challenger != address(0)) {
            return ITaskEscrow.ReviewReason.Challenge;
        }
        if (task.winner == NO_WINNER) {
            return ITaskEscrow.ReviewReason.NoQuorum;
        }
        if (task.tier == Tier.DEEP) {
            return ITaskEscrow.ReviewReason.Deep;
        }
        return ITaskEscrow.ReviewReason.Audit;
    }

    // ─── Internals ───────────────────────────────────────────────────────────────────────────────

    /// @dev Applies the committee's votes: a revealed seat is accepted when a strict majority of the votes
    ///      cast accept it. With no votes nothing is proven: no result, no wrong-result slash. Members that did
    ///      not vote are slashed; every member's collateral is released. A challenger whose target fell (or
    ///      whose review was void) gets the bond back and, if it fell, the bounty.
    function _resolve(EscrowState storage s, IWorkerRegistry workers, uint256 taskId, Task storage task) private {
        (uint256[] memory accepts, uint256 votes) = _countVotes(s, workers, taskId, task);
        uint8 proposed = task.winner;
        _judgeSeats(s, taskId, task, accepts, votes);
        --s.counters.openReviews;

        address challenger = task.challenger;
        address beneficiary;
        if (challenger != address(0)) {
            bool upheld = votes > 0 && s.seats[taskId][proposed].state == ITaskEscrow.SeatState.Faulty;
            if (upheld || votes == 0) {
                credit(s, challenger, task.bond);
                task.bond = 0;
            }
            if (upheld) {
                beneficiary = challenger;
            }
        }
        close(s, workers, taskId, beneficiary);
    }

    /// @dev Counts the accepting votes per seat; slashes members that did not vote (to the treasury) and
    ///      releases the collateral of those that did.
    function _countVotes(EscrowState storage s, IWorkerRegistry workers, uint256 taskId, Task storage task)
        private
        returns (uint256[] memory accepts, uint256 votes)
    {
        uint256 k = task.redundancy;
        uint256 size = task.committeeSize;
        accepts = new uint256[](k);
        uint256 slashed;
        uint96 memberLock = task.memberLock;
        for (uint256 i; i < size; ++i) {
            Member memory m = s.committees[taskId][i];
            if (!m.voted) {
                slashed += _penalize(s, workers, taskId, m.verifier, memberLock, ITaskEscrow.Fault.MissedVote);
                continue;
            }
            workers.unlock(m.verifier, memberLock);
            ++votes;
            for (uint256 j; j < k; ++j) {
                if (m.acceptMask & (1 << j) != 0) {
                    ++accepts[j];
                }
            }
        }
        credit(s, s.params.treasury, slashed);
    }

    /// @dev Marks each revealed seat accepted or faulty by the votes and sets the winner (the first accepted).
    function _judgeSeats(
        EscrowState storage s,
        uint256 taskId,
        Task storage task,
        uint256[] memory accepts,
        uint256 votes
    ) private {
        uint256 k = task.redundancy;
        uint8 winner = NO_WINNER;
        uint8 acceptedMask;
        if (votes > 0) {
            for (uint256 j; j < k; ++j) {
                Seat storage seat = s.seats[taskId][j];
                if (seat.state != ITaskEscrow.SeatState.Revealed && seat.state != ITaskEscrow.SeatState.Faulty) {
                    continue; // never revealed: faulty at close whatever the votes say
                }
                if (accepts[j] * 2 > votes) {
                    seat.state = ITaskEscrow.SeatState.Accepted;
                    acceptedMask |= _bit(j);
                    if (winner == NO_WINNER) {
                        // forge-lint: disable-next-line(unsafe-typecast)
                        winner = uint8(j); // j < k ≤ 7
                    }
                } else {
                    seat.state = ITaskEscrow.SeatState.Faulty;
                }
            }
        }
        task.winner = winner;
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ITaskEscrow.ReviewResolved(taskId, acceptedMask, uint8(votes)); // votes ≤ 7
    }

    /// @dev Releases a seat's collateral, then slashes it and jails the worker for a fault; returns what was
    ///      taken (now held by the escrow).
    function _penalize(
        EscrowState storage s,
        IWorkerRegistry workers,
        uint256 taskId,
        address worker,
        uint96 amount,
        ITaskEscrow.Fault fault
    ) private returns (uint256 taken) {
        workers.unlock(worker, amount);
        taken = workers.slash(worker, amount);
        workers.jail(worker, uint40(block.timestamp) + s.params.jailDuration);
        workers.recordOutcome(worker, _modelOf(s, s.tasks[taskId]), false);
        // forge-lint: disable-next-line(unsafe-typecast)
        s.counters.liabilities += uint128(taken); // taken < 2^96
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ITaskEscrow.WorkerSlashed(taskId, worker, uint96(taken), fault); // taken ≤ amount
    }

    /// @dev Splits `pot` evenly among accepted seats; returns the amount credited.
    function _payAccepted(EscrowState storage s, uint256 taskId, uint256 k, uint256 pot)
        private
        returns (uint256 paid)
    {
        uint256 accepted;
        for (uint256 i; i < k; ++i) {
            if (s.seats[taskId][i].state == ITaskEscrow.SeatState.Accepted) {
                ++accepted;
            }
        }
        uint256 share = pot / accepted; // a settled task with a winner has ≥ 1 accepted seat
        for (uint256 i; i < k; ++i) {
            Seat memory seat = s.seats[taskId][i];
            if (seat.state == ITaskEscrow.SeatState.Accepted) {
                credit(s, seat.worker, share);
                paid += share;
            }
        }
    }

    /// @dev Splits `pot` evenly among committee members whose vote matches the outcome; returns the amount credited.
    function _payCommittee(EscrowState storage s, uint256 taskId, Task storage task, uint256 pot)
        private
        returns (uint256 paid)
    {
        uint256 k = task.redundancy;
        uint8 outcome;
        for (uint256 j; j < k; ++j) {
            if (s.seats[taskId][j].state == ITaskEscrow.SeatState.Accepted) {
                outcome |= _bit(j);
            }
        }
        uint256 size = task.committeeSize;
        uint256 agreeing;
        for (uint256 i; i < size; ++i) {
            Member memory m = s.committees[taskId][i];
            if (m.voted && m.acceptMask == outcome) {
                ++agreeing;
            }
        }
        if (agreeing == 0) {
            return 0;
        }
        uint256 share = pot / agreeing;
        for (uint256 i; i < size; ++i) {
            Member memory m = s.committees[taskId][i];
            if (m.voted && m.acceptMask == outcome) {
                credit(s, m.verifier, share);
                paid += share;
            }
        }
    }

    function _modelOf(EscrowState storage s, Task storage task) private view returns (bytes32) {
        return s.models[task.modelIndex - 1];
    }

    function _bit(uint256 index) private pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint8(1 << index); // seat indexes are < 8
    }
}
