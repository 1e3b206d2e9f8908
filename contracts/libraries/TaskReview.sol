// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {EscrowState, Member, Seat, SeatTerms, Task} from "../types/EscrowTypes.sol";
import {ModelId, ReleaseTerms} from "../types/ModelTypes.sol";
import {Roles} from "../types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../types/TaskTypes.sol";
import {Anchors} from "./Anchors.sol";
import {Deferred} from "./Deferred.sol";
import {FeeSplit} from "./FeeSplit.sol";
import {SeatReleases} from "./SeatReleases.sol";
import {TaskOrigins} from "./TaskOrigins.sol";
import {TaskSeats} from "./TaskSeats.sol";
import {TaskTerms} from "./TaskTerms.sol";
import {WorkerIndexes} from "./WorkerIndexes.sol";

/// @title TaskReview
/// @notice The escrow's committee reviews, finality and settlement, as functions on its storage. Linked
///         (external functions, run by delegatecall) so that TaskEscrow stays under the EIP-170 size limit.
/// @dev Money moves only through `credit`: every credit is backed by tokens the escrow holds, so the
///      escrow's `liabilities` changes only where tokens enter (fees, bonds, slashes) or leave (claims).
library TaskReview {
    /// @dev A model's terms, kept across the tasks of one call (`modelIndex` 0: none yet).
    struct TermsCache {
        uint32 modelIndex;
        ReleaseTerms terms;
    }

    /// @notice Marks "no winner" in `Task.winner`.
    uint8 internal constant NO_WINNER = type(uint8).max;
    /// @notice Marks a review that decided nothing (no revealed vote): no member voted against anything.
    uint256 internal constant NO_OUTCOME = type(uint256).max;
    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice The `Anchors.seed` purpose of the audit roll (the escrow's seat draw is 0).
    uint256 internal constant AUDIT_ROLL = 1;
    /// @notice The `Anchors.seed` purpose of a committee draw.
    uint256 internal constant COMMITTEE_DRAW = 2;
    /// @notice Largest committee.
    uint8 internal constant MAX_COMMITTEE = 7;
    /// @notice Index of an appeal committee's first member in `committees` (the first committee's are 0..6).
    uint256 internal constant APPEAL_BASE = 8;
    /// @notice `keccak256("verigrad.input-rejected")`, as `ITaskEscrow.INPUT_REJECTED`.
    bytes32 internal constant INPUT_REJECTED = keccak256("verigrad.input-rejected");

    // ─── Committees ──────────────────────────────────────────────────────────────────────────────

    /// @notice Draws the committee of a requested review or an appeal from its anchor and opens the vote (see
    ///         `ITaskEscrow.drawCommittee`). Members are verifiers of the model with no stake in the outcome; an
    ///         appeal's are also none of the first committee, and 2 × committeeSize + 1 of them (at most 7).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry (the review pay, should an appeal find no member).
    /// @param taskId The task, in `Reviewing` with no committee yet for the current round.
    function drawCommittee(EscrowState storage s, IWorkerRegistry workers, IModelRegistry models, TaskId taskId)
        external
    {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Reviewing) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (task.anchor == 0) {
            revert ITaskEscrow.CommitteeAlreadyDrawn(taskId);
        }
        if (!drawReady(task, taskId, workers.epochBlocks())) {
            return;
        }
        bool appealed = task.appeal == ITaskEscrow.AppealStage.Appealed;
        uint256 count = s.params.committeeSize;
        uint64 memberLockGwei = uint64(s.params.minSlash / 1 gwei); // < 2^96 / 1e9 < 2^64
        if (appealed) {
            count = count * 2 + 1 > MAX_COMMITTEE ? MAX_COMMITTEE : count * 2 + 1;
            memberLockGwei = task.memberLockGwei; // what the first committee locked: one lock judges both
        }
        address[] memory committee = workers.drawAndLock(
            _modelOf(s, task),
            Roles.VERIFY,
            Anchors.seed(task.anchor, taskId, COMMITTEE_DRAW),
            count,
            _parties(s, taskId, task),
            uint96(memberLockGwei) * 1 gwei // whole gwei, as stored
        );
        task.anchor = 0;
        uint256 size = committee.length;
        if (size == 0) {
            // Nobody can review: the round is void (nothing proven either way).
            _resolve(s, workers, appealed ? _reviewPay(s, models, task) : 0, taskId, task);
            return;
        }
        uint256 base = appealed ? APPEAL_BASE : 0;
        for (uint256 i; i < size; ++i) {
            s.committees[taskId][base + i] =
                Member(WorkerIndexes.indexOf(s, committee[i]), ITaskEscrow.VoteState.None, 0, bytes26(0));
        }
        uint40 end = uint40(block.timestamp) + s.params.voteWindow;
        if (appealed) {
            // forge-lint: disable-next-line(unsafe-typecast)
            task.appealSize = uint8(size); // size ≤ 7
            (task.voteCommits, task.voteReveals) = (0, 0); // the first committee's votes stay in its seats
        } else {
            task.memberLockGwei = memberLockGwei;
            // forge-lint: disable-next-line(unsafe-typecast)
            task.committeeSize = uint8(size); // size ≤ committeeSize ≤ 7
        }
        task.until = SafeCast.toUint32(end); // timestamps fit 32 bits until 2106
        emit ITaskEscrow.ReviewOpened(taskId, reasonOf(task), committee, end);
    }

    /// @notice Appeals a review's first decision (see `ITaskEscrow.appeal`); the caller takes the bond in.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task, with an open appeal window.
    /// @return bond The appeal bond, now owed by the escrow.
    function appeal(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) external returns (uint96 bond) {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Reviewing) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (task.appeal == ITaskEscrow.AppealStage.Appealed) {
            revert ITaskEscrow.AlreadyAppealed(taskId);
        }
        if (task.appeal != ITaskEscrow.AppealStage.Open) {
            revert ITaskEscrow.NotAppealable(taskId);
        }
        if (block.timestamp >= task.until) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        // The requester and the first committee would appeal their own decision: only strangers review it.
        bool party = msg.sender == TaskOrigins.requesterOf(s, taskId, task);
        uint32 caller = WorkerIndexes.find(s, msg.sender); // 0, which no member has, if it never held a seat
        for (uint256 i; i < task.committeeSize; ++i) {
            party = party || s.committees[taskId][i].verifierIndex == caller;
        }
        if (party) {
            revert ITaskEscrow.SelfReview(taskId, msg.sender);
        }
        bond = challengeBond(s, TaskTerms.feeOf(s, taskId, task));
        uint32 anchor = Anchors.forDraw(workers.epochBlocks());
        task.appeal = ITaskEscrow.AppealStage.Appealed;
        task.appellant = msg.sender;
        task.appealBond = bond;
        task.anchor = anchor;
        s.counters.liabilities += bond;
        emit ITaskEscrow.Appealed(taskId, msg.sender, bond);
        emit ITaskEscrow.ReviewRequested(taskId, ITaskEscrow.ReviewReason.Appeal, anchor);
    }

    /// @notice Challenges a proposed result (see `ITaskEscrow.challenge`) and requests its review; the caller takes
    ///         the bond in.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task, proposed and inside its challenge window.
    /// @return bond The challenge bond, now owed by the escrow.
    function challenge(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) external returns (uint96 bond) {
        Task storage task = s.tasks[taskId];
        TaskStatus status = task.status;
        if (status == TaskStatus.None) {
            revert ITaskEscrow.UnknownTask(taskId);
        }
        if (status != TaskStatus.Proposed) {
            revert ITaskEscrow.WrongStatus(taskId, status);
        }
        if (block.timestamp >= task.until) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        bool party = msg.sender == TaskOrigins.requesterOf(s, taskId, task);
        for (uint256 i; i < task.redundancy; ++i) {
            party = party || TaskSeats.workerOf(s, taskId, task, i) == msg.sender;
        }
        if (party) {
            revert ITaskEscrow.SelfReview(taskId, msg.sender);
        }
        if (workers.drawWeight(_modelOf(s, task), Roles.VERIFY) == 0) {
            revert ITaskEscrow.NoVerifiersAvailable(taskId);
        }
        bond = challengeBond(s, TaskTerms.feeOf(s, taskId, task));
        task.challenger = msg.sender;
        task.bond = bond;
        s.counters.liabilities += bond;
        emit ITaskEscrow.Challenged(taskId, msg.sender, bond);
        uint32 anchor = Anchors.forDraw(workers.epochBlocks());
        task.status = TaskStatus.Reviewing;
        task.anchor = anchor;
        ++s.counters.openReviews;
        emit ITaskEscrow.ReviewRequested(taskId, ITaskEscrow.ReviewReason.Challenge, anchor);
    }

    /// @notice Records a member's vote commitment (see `ITaskEscrow.commitVote`).
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param commitment `keccak256(abi.encode(acceptMask, salt, member))`.
    function commitVote(EscrowState storage s, TaskId taskId, bytes32 commitment) external {
        (Task storage task, uint256 base, uint256 size) = _voting(s, taskId);
        if (block.timestamp >= task.until || task.voteCommits == size) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        if (commitment == bytes32(0)) {
            revert ITaskEscrow.ZeroOutput();
        }
        uint256 index = _memberOf(s, taskId, base, size);
        Member storage m = s.committees[taskId][index];
        if (m.state != ITaskEscrow.VoteState.None) {
            revert ITaskEscrow.AlreadyActed(taskId, msg.sender);
        }
        m.state = ITaskEscrow.VoteState.Committed;
        m.voteHash = bytes26(commitment); // its first 26 bytes (see `Member`)
        uint8 commits = task.voteCommits + 1;
        task.voteCommits = commits;
        if (commits == size) {
            // Everyone is bound: reveals open now, for the reveal window.
            task.until = SafeCast.toUint32(block.timestamp + s.params.revealWindow);
        }
        emit ITaskEscrow.VoteCommitted(taskId, msg.sender, commitment);
    }

    /// @notice Reveals a member's vote; the last reveal resolves the review (see `ITaskEscrow.revealVote`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry (the review pay is the release's base price).
    /// @param taskId The task.
    /// @param acceptMask Bit i set: seat i's output is correct.
    /// @param salt The salt committed to.
    function revealVote(
        EscrowState storage s,
        IWorkerRegistry workers,
        IModelRegistry models,
        TaskId taskId,
        uint8 acceptMask,
        bytes32 salt
    ) external {
        (Task storage task, uint256 base, uint256 size) = _voting(s, taskId);
        {
            (bool open, uint40 end) = revealPhase(task.voteCommits, size, task.until, s.params.revealWindow);
            if (!open) {
                revert ITaskEscrow.RevealNotOpen(taskId);
            }
            if (block.timestamp >= end) {
                revert ITaskEscrow.PhaseClosed(taskId, end);
            }
        }
        if (acceptMask >> task.redundancy != 0) {
            revert ITaskEscrow.InvalidMask(acceptMask);
        }
        uint256 index = _memberOf(s, taskId, base, size);
        Member storage m = s.committees[taskId][index];
        if (m.state != ITaskEscrow.VoteState.Committed) {
            revert ITaskEscrow.AlreadyActed(taskId, msg.sender);
        }
        if (bytes26(keccak256(abi.encode(acceptMask, salt, msg.sender))) != m.voteHash) {
            revert ITaskEscrow.CommitmentMismatch(taskId, msg.sender);
        }
        m.state = ITaskEscrow.VoteState.Revealed;
        m.acceptMask = acceptMask;
        uint8 reveals = task.voteReveals + 1;
        task.voteReveals = reveals;
        emit ITaskEscrow.VoteRevealed(taskId, msg.sender, acceptMask);
        if (reveals == task.voteCommits && (reveals == size || block.timestamp >= task.until)) {
            _resolve(s, workers, _reviewPay(s, models, task), taskId, task);
        }
    }

    /// @notice Closes a committee's vote whose reveals ended, or a review whose appeal window passed unappealed
    ///         (see `ITaskEscrow.resolve`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry (the review pay is the release's base price).
    /// @param taskId The task.
    function resolve(EscrowState storage s, IWorkerRegistry workers, IModelRegistry models, TaskId taskId) external {
        Task storage task = s.tasks[taskId];
        if (task.status == TaskStatus.Reviewing && task.appeal == ITaskEscrow.AppealStage.Open) {
            if (block.timestamp < task.until) {
                revert ITaskEscrow.PhaseOpen(taskId, task.until);
            }
            (uint8 first,) = _count(s, taskId, task, 0, task.committeeSize);
            _finish(s, workers, _reviewPay(s, models, task), taskId, task, first, NO_OUTCOME);
            return;
        }
        (,, uint256 size) = _voting(s, taskId);
        (, uint40 end) = revealPhase(task.voteCommits, size, task.until, s.params.revealWindow);
        if (block.timestamp < end) {
            revert ITaskEscrow.PhaseOpen(taskId, end);
        }
        _resolve(s, workers, _reviewPay(s, models, task), taskId, task);
    }

    /// @notice Draws a proposed result's audit lottery (see `ITaskEscrow.audit`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry (an audit requests a review).
    /// @param taskId The task.
    function audit(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) external {
        Task storage task = _existing(s, taskId);
        if (task.status != TaskStatus.Proposed) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        if (task.anchor == 0) {
            revert ITaskEscrow.NoAuditPending(taskId);
        }
        _rollAudit(s, workers, taskId, task);
    }

    /// @notice Finalizes a task after its challenge window or a missed deadline (see `ITaskEscrow.finalize`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    function finalize(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) external {
        Task storage task = _existing(s, taskId);
        TaskStatus status = task.status;
        bool timedOut = status == TaskStatus.Created || (status == TaskStatus.Assigned && task.tier == Tier.LIGHT);
        if (status != TaskStatus.Proposed && !timedOut) {
            revert ITaskEscrow.WrongStatus(taskId, status);
        }
        if (block.timestamp < task.until) {
            revert ITaskEscrow.PhaseOpen(taskId, task.until);
        }
        _finalize(s, workers, taskId, task, timedOut, SeatReleases.none());
    }

    /// @notice Finalizes and settles each task that `finalize` would finalize now, settles each that is finalized
    ///         already, and skips the others (see `ITaskEscrow.finalizeAndSettle`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry (royalties).
    /// @param taskIds The tasks.
    /// @return settled Whether each task was settled by this call.
    function finalizeAndSettle(
        EscrowState storage s,
        IWorkerRegistry workers,
        IModelRegistry models,
        TaskId[] calldata taskIds
    ) external returns (bool[] memory settled) {
        uint256 n = taskIds.length;
        settled = new bool[](n);
        TermsCache memory cache;
        // The seats' releases are summed per worker and sent once, after the last task (or before a slash).
        SeatReleases.Pending memory releases = SeatReleases.deferred();
        for (uint256 i; i < n; ++i) {
            TaskId taskId = taskIds[i];
            Task storage task = s.tasks[taskId];
            TaskStatus status = task.status;
            if (status != TaskStatus.Finalized) {
                // Every check of `finalize`; a task it would refuse is skipped, untouched.
                bool timedOut =
                    status == TaskStatus.Created || (status == TaskStatus.Assigned && task.tier == Tier.LIGHT);
                if (
                    (status != TaskStatus.Proposed && !timedOut) || block.timestamp < task.until
                        || (!timedOut && task.anchor != 0 && Anchors.rollPhase(task.anchor) == Anchors.Phase.Pending)
                ) {
                    continue;
                }
                _finalize(s, workers, taskId, task, timedOut, releases);
                if (task.status != TaskStatus.Finalized) {
                    continue; // audited: under review now
                }
            }
            _settle(s, models, cache, taskId, task);
            settled[i] = true;
        }
        SeatReleases.flush(releases, workers);
    }

    /// @dev Finalizes a task that `finalize`'s checks passed: a proposed result's audit lottery is drawn first (by
    ///      whoever comes first), and an audit requests a review instead.
    function _finalize(
        EscrowState storage s,
        IWorkerRegistry workers,
        TaskId taskId,
        Task storage task,
        bool timedOut,
        SeatReleases.Pending memory releases
    ) private {
        if (timedOut) {
            task.winner = NO_WINNER;
        } else {
            if (task.anchor != 0 && _rollAudit(s, workers, taskId, task)) {
                return;
            }
            uint256 k = task.redundancy;
            for (uint256 i; i < k; ++i) {
                if (TaskSeats.stateOf(s, taskId, task, i) == ITaskEscrow.SeatState.Revealed) {
                    TaskSeats.setState(s, taskId, task, i, ITaskEscrow.SeatState.Accepted);
                }
            }
        }
        credit(s, s.params.treasury, _close(s, workers, taskId, releases));
    }

    /// @notice Finalizes a task: accepted seats gain reputation, faulty and silent seats are slashed and jailed,
    ///         every seat's collateral is released. The caller credits what was slashed.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    /// @return slashed The stake taken from the task's seats, now held by the escrow.
    function close(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) public returns (uint256 slashed) {
        return _close(s, workers, taskId, SeatReleases.none());
    }

    /// @dev `close`, with the seats' releases summed in `releases` (flushed before a slash: see `SeatReleases`).
    function _close(EscrowState storage s, IWorkerRegistry workers, TaskId taskId, SeatReleases.Pending memory releases)
        private
        returns (uint256 slashed)
    {
        Task storage task = s.tasks[taskId];
        task.status = TaskStatus.Finalized;
        ModelId modelId = _modelOf(s, task);
        bool earns;
        uint96 lock;
        address requester = TaskOrigins.requesterOf(s, taskId, task);
        {
            SeatTerms memory terms = TaskTerms.termsOf(s, taskId);
            // Reputation is earned only from work someone else paid for (a fee beyond the review reserve), and never
            // from a rejected input.
            earns = TaskTerms.feeOf(terms, task) > uint96(terms.reserveGwei) * 1 gwei
                && _result(s, taskId, task) != INPUT_REJECTED;
            lock = uint96(terms.seatLockGwei) * 1 gwei; // < 2^64 gwei < 2^96 wei
        }
        uint256 k = task.redundancy;
        for (uint256 i; i < k; ++i) {
            Seat memory seat = TaskSeats.seatOf(s, taskId, task, i);
            ITaskEscrow.SeatState state = seat.state;
            if (state == ITaskEscrow.SeatState.Assigned || state == ITaskEscrow.SeatState.Committed) {
                TaskSeats.setState(s, taskId, task, i, ITaskEscrow.SeatState.Faulty);
                SeatReleases.flush(releases, workers); // a slash caps the lock: every release goes first
                slashed += _penalize(s, workers, taskId, seat.worker, lock, ITaskEscrow.Fault.MissedResult);
            } else if (state == ITaskEscrow.SeatState.Faulty) {
                SeatReleases.flush(releases, workers);
                slashed += _penalize(s, workers, taskId, seat.worker, lock, ITaskEscrow.Fault.WrongResult);
            } else {
                // Accepted, or Revealed after a void review (neither proven right nor wrong).
                SeatReleases.release(
                    releases,
                    workers,
                    seat.worker,
                    modelId,
                    lock,
                    state == ITaskEscrow.SeatState.Accepted && earns && seat.worker != requester
                );
            }
        }
        emit ITaskEscrow.TaskFinalized(taskId, _result(s, taskId, task));
    }

    /// @dev A task's winning output hash, or zero without a winner.
    function _result(EscrowState storage s, TaskId taskId, Task storage task) private view returns (bytes32) {
        return task.winner == NO_WINNER ? bytes32(0) : s.seatHashes[taskId][task.winner];
    }

    // ─── Settlement ──────────────────────────────────────────────────────────────────────────────

    /// @notice Credits a finalized task's payments (see `ITaskEscrow.settle`).
    /// @param s The escrow's storage.
    /// @param models The model registry (royalties).
    /// @param taskId The task.
    function settle(EscrowState storage s, IModelRegistry models, TaskId taskId) external {
        Task storage task = s.tasks[taskId];
        if (task.status != TaskStatus.Finalized) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
        TermsCache memory cache;
        _settle(s, models, cache, taskId, task);
    }

    /// @dev Settles a finalized task; `cache` keeps the last model's terms across the tasks of one call.
    function _settle(
        EscrowState storage s,
        IModelRegistry models,
        TermsCache memory cache,
        TaskId taskId,
        Task storage task
    ) private {
        task.status = TaskStatus.Settled;
        // The review reserve went to the review fund at assignment; the rest of the fee is settled here.
        uint96 fee;
        {
            SeatTerms memory terms = TaskTerms.termsOf(s, taskId);
            fee = TaskTerms.feeOf(terms, task) - uint96(terms.reserveGwei) * 1 gwei; // reserve ≤ fee: part of the price
        }
        if (task.winner == NO_WINNER || s.seatHashes[taskId][task.winner] == INPUT_REJECTED) {
            credit(s, TaskOrigins.requesterOf(s, taskId, task), fee);
            emit ITaskEscrow.TaskSettled(taskId, 0, 0, 0, fee);
            return;
        }
        uint32 modelIndex = task.modelIndex;
        if (cache.modelIndex != modelIndex) {
            cache.terms = models.terms(_modelOf(s, task));
            cache.modelIndex = modelIndex;
        }
        (uint256 royalty, uint256 protocolFee, uint256 pot) =
            FeeSplit.split(fee, cache.terms.royaltyBps, s.params.protocolFeeBps);
        uint256 dust = protocolFee + pot - _payAccepted(s, taskId, task, pot);
        credit(s, cache.terms.owner, royalty);
        credit(s, s.params.treasury, dust);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ITaskEscrow.TaskSettled(taskId, uint96(pot), uint96(royalty), uint96(protocolFee), 0); // all ≤ fee
    }

    /// @notice What each committee member whose vote matches the outcome is paid: the release's base price, at
    ///         least `minReviewPay` (so that no review is free to request).
    /// @param s The escrow's storage.
    /// @param basePrice The release's base price.
    /// @return The review pay, token wei.
    function reviewPay(EscrowState storage s, uint256 basePrice) internal view returns (uint256) {
        uint256 floor = s.params.minReviewPay;
        return basePrice > floor ? basePrice : floor;
    }

    /// @notice Whether a draw of workers from the task's anchor can happen now; re-anchors it (returning false,
    ///         emitting `Anchored`) if the anchor went stale; reverts `AnchorPending` before it is mined.
    /// @param task The task.
    /// @param taskId Its id.
    /// @param epochBlocks The registry's epoch length.
    /// @return Whether to draw now.
    function drawReady(Task storage task, TaskId taskId, uint256 epochBlocks) internal returns (bool) {
        uint32 anchor = task.anchor;
        Anchors.Phase phase = Anchors.drawPhase(anchor, epochBlocks);
        if (phase == Anchors.Phase.Pending) {
            revert ITaskEscrow.AnchorPending(taskId, anchor);
        }
        if (phase == Anchors.Phase.Stale) {
            anchor = Anchors.forDraw(epochBlocks);
            task.anchor = anchor;
            emit ITaskEscrow.Anchored(taskId, anchor);
            return false;
        }
        return true;
    }

    /// @notice Whether the reveals of a commit–reveal phase (compute seats or committee votes) are open, and when
    ///         they close: once all `seats` committed (the window then runs from the last commit, and `until` is
    ///         its end), or once the commit deadline `until` passed (then for `window` more).
    /// @param commits Commitments made.
    /// @param seats Seats that must commit.
    /// @param until The phase's stored deadline.
    /// @param window The reveal window.
    /// @return open Whether reveals are open.
    /// @return end When they close.
    function revealPhase(uint8 commits, uint256 seats, uint40 until, uint40 window)
        internal
        view
        returns (bool open, uint40 end)
    {
        if (commits == seats) {
            return (true, until);
        }
        return (block.timestamp >= until, until + window);
    }

    /// @notice Proposes the winner's output and opens the challenge window; the audit lottery is anchored now and
    ///         drawn later (`audit`, or `finalize`), so the proposer cannot see it when it submits.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its record, with `winner` set.
    function propose(EscrowState storage s, TaskId taskId, Task storage task) internal {
        uint40 end = uint40(block.timestamp) + s.params.challengeWindow;
        task.status = TaskStatus.Proposed;
        task.until = SafeCast.toUint32(end); // timestamps fit 32 bits until 2106
        task.anchor = Anchors.forRoll();
        emit ITaskEscrow.ResultProposed(taskId, s.seatHashes[taskId][task.winner], end);
    }

    /// @notice Moves a task to review; its committee is drawn from a future anchor by `drawCommittee`.
    /// @param s The escrow's storage.
    /// @param workers The worker registry (its epoch length).
    /// @param taskId The task.
    /// @param task Its record.
    /// @param reason Why it is reviewed.
    function requestReview(
        EscrowState storage s,
        IWorkerRegistry workers,
        TaskId taskId,
        Task storage task,
        ITaskEscrow.ReviewReason reason
    ) internal {
        uint32 anchor = Anchors.forDraw(workers.epochBlocks());
        task.status = TaskStatus.Reviewing;
        task.anchor = anchor;
        ++s.counters.openReviews;
        emit ITaskEscrow.ReviewRequested(taskId, reason, anchor);
    }

    /// @notice Finalizes a task without a review: its slashes go to the treasury.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param taskId The task.
    function closeToTreasury(EscrowState storage s, IWorkerRegistry workers, TaskId taskId) internal {
        credit(s, s.params.treasury, close(s, workers, taskId));
    }

    /// @notice Credits `amount` to `account`'s claimable balance (nothing for zero); inside a batch, at its end.
    /// @param s The escrow's storage.
    /// @param account Who may claim it.
    /// @param amount The amount, already held by the escrow.
    function credit(EscrowState storage s, address account, uint256 amount) internal {
        if (amount == 0) {
            return;
        }
        if (Deferred.active()) {
            Deferred.credit(account, amount); // written once per account when the batch ends
            return;
        }
        s.claimable[account] += amount;
        emit ITaskEscrow.Credited(account, amount);
    }

    /// @notice The bond a challenge or an appeal of a task with this fee needs: max(minChallengeBond, fee).
    /// @param s The escrow's storage.
    /// @param fee The task's fee.
    /// @return The bond.
    function challengeBond(EscrowState storage s, uint96 fee) internal view returns (uint96) {
        return fee > s.params.minChallengeBond ? fee : s.params.minChallengeBond;
    }

    /// @notice Why a review of `task` happens, from its state: an appeal, a challenger, no quorum (no proposed
    ///         seat), a DEEP task, or else an audit.
    /// @param task The task, in `Reviewing`.
    /// @return The reason.
    function reasonOf(Task storage task) internal view returns (ITaskEscrow.ReviewReason) {
        if (task.appeal == ITaskEscrow.AppealStage.Appealed) {
            return ITaskEscrow.ReviewReason.Appeal;
        }
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

    /// @dev Decides the current committee's vote: a revealed seat is accepted when a strict majority of the revealed
    ///      votes accept it; with no votes nothing is proven. A first decision against a party (a revealed seat
    ///      judged faulty, or any challenger: upheld, the seat lost; failed, the challenger) opens the appeal window
    ///      instead of finalizing. An appeal's decision is final; without a revealed vote the first one stands.
    function _resolve(EscrowState storage s, IWorkerRegistry workers, uint256 pay, TaskId taskId, Task storage task)
        private
    {
        bool appealed = task.appeal == ITaskEscrow.AppealStage.Appealed;
        (uint8 mask, uint256 votes) = appealed
            ? _count(s, taskId, task, APPEAL_BASE, task.appealSize)
            : _count(s, taskId, task, 0, task.committeeSize);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ITaskEscrow.ReviewResolved(taskId, mask, uint8(votes)); // votes ≤ 7
        uint256 outcome = votes == 0 ? NO_OUTCOME : mask;
        if (appealed) {
            (uint8 first,) = _count(s, taskId, task, 0, task.committeeSize);
            _finish(s, workers, pay, taskId, task, first, outcome);
        } else if (outcome != NO_OUTCOME && _contested(s, taskId, task, mask)) {
            uint40 end = uint40(block.timestamp) + s.params.challengeWindow;
            task.appeal = ITaskEscrow.AppealStage.Open;
            task.until = SafeCast.toUint32(end); // timestamps fit 32 bits until 2106
            emit ITaskEscrow.AppealOpened(taskId, end);
        } else {
            _finish(s, workers, pay, taskId, task, outcome, NO_OUTCOME);
        }
    }

    /// @dev Judges the seats by the final outcome (the appeal's, `second`, unless it is `NO_OUTCOME`; else the first
    ///      committee's, `first`), finalizes the task, then settles the bonds and both committees: members that
    ///      did not reveal, or revealed a vote other than the outcome, are slashed their collateral (to the
    ///      treasury); the others get their collateral back, `pay` each from the review fund (as far as it goes),
    ///      and equal shares of a failed challenger's bond and of the bounty of a fault the review proved; the
    ///      appeal members among them share a frivolous appeal's bond.
    function _finish(
        EscrowState storage s,
        IWorkerRegistry workers,
        uint256 pay,
        TaskId taskId,
        Task storage task,
        uint256 first,
        uint256 second
    ) private {
        uint256 outcome = second == NO_OUTCOME ? first : second;
        uint8 proposed = task.winner;
        _judgeSeats(s, taskId, task, outcome);
        --s.counters.openReviews;
        uint256 slashed = close(s, workers, taskId);
        (uint256 bounty, uint256 forMembers) = _settleChallenge(s, taskId, task, proposed, outcome, slashed);
        uint256 forAppeal = _settleAppeal(s, task, first, second);
        uint256 rest = _settleCommittees(s, workers, pay, taskId, task, outcome, forMembers, forAppeal);
        credit(s, s.params.treasury, slashed - bounty + rest);
    }

    /// @dev Whether a first decision `mask` has a losing party: a challenger, or a revealed seat it rejects.
    function _contested(EscrowState storage s, TaskId taskId, Task storage task, uint8 mask)
        private
        view
        returns (bool)
    {
        if (task.challenger != address(0)) {
            return true;
        }
        uint256 k = task.redundancy;
        for (uint256 j; j < k; ++j) {
            if (_revealed(TaskSeats.stateOf(s, taskId, task, j)) && mask & _bit(j) == 0) {
                return true;
            }
        }
        return false;
    }

    /// @dev Settles an appeal's bond: back to the appellant if the appeal overturned the first decision or
    ///      decided nothing; else returns it, for the appeal members who upheld the decision.
    function _settleAppeal(EscrowState storage s, Task storage task, uint256 first, uint256 second)
        private
        returns (uint256 forAppealMembers)
    {
        address appellant = task.appellant;
        if (appellant == address(0)) {
            return 0;
        }
        if (second == NO_OUTCOME || second != first) {
            credit(s, appellant, task.appealBond);
            return 0;
        }
        return task.appealBond;
    }

    /// @dev Judges both committees against `outcome` and pays the members who matched it: `pay` and an equal share
    ///      of `forMembers` each, and the appeal's among them an equal share of `forAppeal`. Returns what was
    ///      slashed or left unpaid, for the treasury.
    function _settleCommittees(
        EscrowState storage s,
        IWorkerRegistry workers,
        uint256 pay,
        TaskId taskId,
        Task storage task,
        uint256 outcome,
        uint256 forMembers,
        uint256 forAppeal
    ) private returns (uint256 rest) {
        (address[] memory winners, uint256 firstWinners, uint256 slashed) =
            _judgeCommittees(s, workers, taskId, task, outcome);
        rest =
            slashed + _payMembers(s, winners, 0, pay, forMembers) + _payMembers(s, winners, firstWinners, 0, forAppeal);
    }

    /// @dev Judges the first committee, then the appeal's; returns the members who matched `outcome` (the first
    ///      committee's before `firstWinners`) and what was slashed.
    function _judgeCommittees(
        EscrowState storage s,
        IWorkerRegistry workers,
        TaskId taskId,
        Task storage task,
        uint256 outcome
    ) private returns (address[] memory winners, uint256 firstWinners, uint256 slashed) {
        winners = new address[](task.committeeSize + task.appealSize);
        uint96 lock = uint96(task.memberLockGwei) * 1 gwei; // < 2^64 gwei < 2^96 wei: one lock judges both
        (firstWinners, slashed) = _judgeMembers(s, workers, taskId, outcome, 0, task.committeeSize, lock, winners, 0);
        (uint256 n, uint256 more) = _judgeMembers(
            s, workers, taskId, outcome, APPEAL_BASE, APPEAL_BASE + task.appealSize, lock, winners, firstWinners
        );
        slashed += more;
        // Keep the first n: shrink the array in place.
        assembly ("memory-safe") {
            mstore(winners, n)
        }
    }

    /// @dev Settles a challenge's bond: back to an upheld challenger with the bounty (its share of `slashed`),
    ///      back on a void review, else to the committee. Returns the part of `slashed` given away as a bounty
    ///      (to the challenger, or to the committee when no one challenged) and what the committee shares (a
    ///      failed challenger's bond, or the bounty of a fault its review proved).
    function _settleChallenge(
        EscrowState storage s,
        TaskId taskId,
        Task storage task,
        uint8 proposed,
        uint256 outcome,
        uint256 slashed
    ) private returns (uint256 bounty, uint256 forMembers) {
        if (outcome == NO_OUTCOME) {
            if (task.challenger != address(0)) {
                credit(s, task.challenger, task.bond);
            }
            return (0, 0);
        }
        bounty = slashed * s.params.bountyBps / BPS;
        if (task.challenger == address(0)) {
            return (bounty, bounty);
        }
        if (TaskSeats.stateOf(s, taskId, task, proposed) == ITaskEscrow.SeatState.Faulty) {
            credit(s, task.challenger, task.bond + bounty);
            return (bounty, 0);
        }
        return (0, task.bond); // a frivolous challenge pays the committee that disproved it
    }

    /// @dev Counts the revealed votes of the committee at `base`..`base + size`; returns the seats that revealed
    ///      and a strict majority of the votes accepts, as a mask (the outcome every honest vote matches).
    function _count(EscrowState storage s, TaskId taskId, Task storage task, uint256 base, uint256 size)
        private
        view
        returns (uint8 mask, uint256 votes)
    {
        uint256 k = task.redundancy;
        uint256[] memory accepts = new uint256[](k);
        for (uint256 i = base; i < base + size; ++i) {
            Member memory m = s.committees[taskId][i];
            if (m.state != ITaskEscrow.VoteState.Revealed) {
                continue;
            }
            ++votes;
            for (uint256 j; j < k; ++j) {
                if (m.acceptMask & _bit(j) != 0) {
                    ++accepts[j];
                }
            }
        }
        for (uint256 j; j < k; ++j) {
            if (accepts[j] * 2 > votes && _revealed(TaskSeats.stateOf(s, taskId, task, j))) {
                mask |= _bit(j);
            }
        }
    }

    /// @dev Marks each revealed seat accepted or faulty by `outcome` and sets the winner (the first accepted);
    ///      `NO_OUTCOME` proves nothing: no winner, seats left as they are.
    function _judgeSeats(EscrowState storage s, TaskId taskId, Task storage task, uint256 outcome) private {
        uint256 k = task.redundancy;
        uint8 winner = NO_WINNER;
        if (outcome != NO_OUTCOME) {
            for (uint256 j; j < k; ++j) {
                if (!_revealed(TaskSeats.stateOf(s, taskId, task, j))) {
                    continue; // never revealed: faulty at close whatever the votes say
                }
                if (outcome & _bit(j) != 0) {
                    TaskSeats.setState(s, taskId, task, j, ITaskEscrow.SeatState.Accepted);
                    if (winner == NO_WINNER) {
                        // forge-lint: disable-next-line(unsafe-typecast)
                        winner = uint8(j); // j < k ≤ 7
                    }
                } else {
                    TaskSeats.setState(s, taskId, task, j, ITaskEscrow.SeatState.Faulty);
                }
            }
        }
        task.winner = winner;
    }

    /// @dev Slashes the members at `base`..`end` (the first or the appeal committee) that did not reveal, or voted
    ///      against `outcome` (unless it is `NO_OUTCOME`), and releases the others' `lock`, writing them to `winners`
    ///      from index `n` on; returns the new count and what was slashed.
    function _judgeMembers(
        EscrowState storage s,
        IWorkerRegistry workers,
        TaskId taskId,
        uint256 outcome,
        uint256 base,
        uint256 end,
        uint96 lock,
        address[] memory winners,
        uint256 n
    ) private returns (uint256, uint256 slashed) {
        for (uint256 i = base; i < end; ++i) {
            Member memory m = s.committees[taskId][i];
            if (m.state != ITaskEscrow.VoteState.Revealed) {
                slashed += _penalizeMember(s, workers, taskId, m.verifierIndex, lock, ITaskEscrow.Fault.MissedVote);
            } else if (outcome != NO_OUTCOME && m.acceptMask != outcome) {
                slashed += _penalizeMember(s, workers, taskId, m.verifierIndex, lock, ITaskEscrow.Fault.WrongVote);
            } else {
                address verifier = WorkerIndexes.workerAt(s, m.verifierIndex);
                workers.unlock(verifier, lock);
                winners[n++] = verifier;
            }
        }
        return (n, slashed);
    }

    /// @dev `_penalize` of the verifier a member's index names.
    function _penalizeMember(
        EscrowState storage s,
        IWorkerRegistry workers,
        TaskId taskId,
        uint32 verifierIndex,
        uint96 amount,
        ITaskEscrow.Fault fault
    ) private returns (uint256) {
        return _penalize(s, workers, taskId, WorkerIndexes.workerAt(s, verifierIndex), amount, fault);
    }

    /// @dev Pays each of `winners[from:]` `pay` from the review fund (an equal part of what is left, if it runs
    ///      short) and an equal share of `shared`; returns what no one took, for the treasury.
    function _payMembers(EscrowState storage s, address[] memory winners, uint256 from, uint256 pay, uint256 shared)
        private
        returns (uint256 unpaid)
    {
        uint256 n = winners.length - from;
        if (n == 0) {
            return shared;
        }
        uint256 fund = s.reviewFund;
        uint256 each = pay * n <= fund ? pay : fund / n;
        s.reviewFund = fund - each * n;
        uint256 share = shared / n;
        for (uint256 i = from; i < winners.length; ++i) {
            credit(s, winners[i], each + share);
        }
        unpaid = shared - share * n;
    }

    /// @dev Releases a seat's collateral, then slashes it and jails the worker for a fault; returns what was
    ///      taken (now held by the escrow).
    function _penalize(
        EscrowState storage s,
        IWorkerRegistry workers,
        TaskId taskId,
        address worker,
        uint96 amount,
        ITaskEscrow.Fault fault
    ) private returns (uint256 taken) {
        workers.closeSeat(worker, _modelOf(s, s.tasks[taskId]), amount, false);
        taken = workers.slash(worker, amount);
        workers.jail(worker, uint40(block.timestamp) + s.params.jailDuration);
        // forge-lint: disable-next-line(unsafe-typecast)
        s.counters.liabilities += uint128(taken); // taken < 2^96
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ITaskEscrow.WorkerSlashed(taskId, worker, uint96(taken), fault); // taken ≤ amount
    }

    /// @dev Splits `pot` evenly among accepted seats; returns the amount credited.
    function _payAccepted(EscrowState storage s, TaskId taskId, Task storage task, uint256 pot)
        private
        returns (uint256 paid)
    {
        uint256 k = task.redundancy;
        uint256 accepted;
        for (uint256 i; i < k; ++i) {
            if (TaskSeats.stateOf(s, taskId, task, i) == ITaskEscrow.SeatState.Accepted) {
                ++accepted;
            }
        }
        uint256 share = pot / accepted; // a settled task with a winner has ≥ 1 accepted seat
        for (uint256 i; i < k; ++i) {
            Seat memory seat = TaskSeats.seatOf(s, taskId, task, i);
            if (seat.state == ITaskEscrow.SeatState.Accepted) {
                credit(s, seat.worker, share);
                paid += share;
            }
        }
    }

    /// @dev Draws the audit lottery of a proposed result; returns whether it is audited (a review is then
    ///      requested). Reverts `AnchorPending` before the anchor; past the hash horizon it audits.
    function _rollAudit(EscrowState storage s, IWorkerRegistry workers, TaskId taskId, Task storage task)
        private
        returns (bool audited)
    {
        uint32 anchor = task.anchor;
        Anchors.Phase phase = Anchors.rollPhase(anchor);
        if (phase == Anchors.Phase.Pending) {
            revert ITaskEscrow.AnchorPending(taskId, anchor);
        }
        audited = phase == Anchors.Phase.Stale || Anchors.seed(anchor, taskId, AUDIT_ROLL) % BPS < task.auditBps;
        task.anchor = 0;
        if (audited) {
            requestReview(s, workers, taskId, task, ITaskEscrow.ReviewReason.Audit);
        }
    }

    function _existing(EscrowState storage s, TaskId taskId) private view returns (Task storage task) {
        task = s.tasks[taskId];
        if (task.status == TaskStatus.None) {
            revert ITaskEscrow.UnknownTask(taskId);
        }
    }

    /// @dev The task in `Reviewing` with its current committee (the appeal's, once appealed) drawn and voting,
    ///      and that committee's first index and size; reverts `WrongStatus` otherwise (also in an appeal window).
    function _voting(EscrowState storage s, TaskId taskId)
        private
        view
        returns (Task storage task, uint256 base, uint256 size)
    {
        task = s.tasks[taskId];
        (base, size) = task.appeal == ITaskEscrow.AppealStage.Appealed
            ? (APPEAL_BASE, uint256(task.appealSize))
            : (0, uint256(task.committeeSize));
        if (task.status != TaskStatus.Reviewing || task.appeal == ITaskEscrow.AppealStage.Open || size == 0) {
            revert ITaskEscrow.WrongStatus(taskId, task.status);
        }
    }

    /// @dev The caller's seat in the committee at `base`..`base + size`; reverts `NotAssigned` if it has none.
    function _memberOf(EscrowState storage s, TaskId taskId, uint256 base, uint256 size)
        private
        view
        returns (uint256)
    {
        uint32 caller = WorkerIndexes.find(s, msg.sender); // 0, which no member has, if it never held a seat
        for (uint256 i = base; i < base + size; ++i) {
            if (s.committees[taskId][i].verifierIndex == caller) {
                return i;
            }
        }
        revert ITaskEscrow.NotAssigned(taskId, msg.sender);
    }

    /// @dev Everyone a committee of the task must not seat: its seats, requester, challenger and appellant, and
    ///      (drawing an appeal's) the first committee.
    function _parties(EscrowState storage s, TaskId taskId, Task storage task)
        private
        view
        returns (address[] memory parties)
    {
        uint256 k = task.redundancy;
        uint256 members = task.committeeSize; // 0 until the first committee is drawn
        parties = new address[](k + 3 + members);
        for (uint256 i; i < k; ++i) {
            parties[i] = TaskSeats.workerOf(s, taskId, task, i);
        }
        parties[k] = TaskOrigins.requesterOf(s, taskId, task);
        parties[k + 1] = task.challenger;
        parties[k + 2] = task.appellant;
        for (uint256 i; i < members; ++i) {
            parties[k + 3 + i] = WorkerIndexes.workerAt(s, s.committees[taskId][i].verifierIndex);
        }
    }

    /// @dev What each member whose vote matches the outcome is paid, for this task's release.
    function _reviewPay(EscrowState storage s, IModelRegistry models, Task storage task)
        private
        view
        returns (uint256)
    {
        return reviewPay(s, models.terms(_modelOf(s, task)).basePrice);
    }

    function _modelOf(EscrowState storage s, Task storage task) private view returns (ModelId) {
        return s.models[task.modelIndex - 1];
    }

    /// @dev Whether a seat in `state` revealed an output (later judged or not); the others never did.
    function _revealed(ITaskEscrow.SeatState state) private pure returns (bool) {
        return state != ITaskEscrow.SeatState.Assigned && state != ITaskEscrow.SeatState.Committed;
    }

    function _bit(uint256 index) private pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint8(1 << index); // seat indexes are < 8
    }
}
