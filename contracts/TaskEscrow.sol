// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "./interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {Anchors} from "./libraries/Anchors.sol";
import {TaskPricing} from "./libraries/TaskPricing.sol";
import {TaskReview} from "./libraries/TaskReview.sol";
import {EscrowState, Member, Seat, Task} from "./types/EscrowTypes.sol";
import {DeterminismClass, ModelId, ReleaseTerms} from "./types/ModelTypes.sol";
import {Roles} from "./types/Roles.sol";
import {Decision, Deterrence, PolicyInputs, TaskId, TaskStatus, Tier} from "./types/TaskTypes.sol";

/// @title TaskEscrow
/// @notice The verigrad task market. See ITaskEscrow for the lifecycle.
/// @dev The task lifecycle up to a proposal lives here; committee reviews, finality and settlement live in the
///      linked `TaskReview` library, which works on the same `EscrowState`. Money moves only through
///      `TaskReview.credit` (internal ledger) and `claim` (the one outbound transfer).
///      Seats: a task has `redundancy` compute seats (index 0..k-1), up to `committeeSize` committee seats
///      (0..6) and, if appealed, up to `MAX_COMMITTEE` appeal committee seats (8..14).
contract TaskEscrow is ITaskEscrow, Ownable {
    using SafeERC20 for IERC20;

    /// @notice Longest allowed time between creation and the result deadline.
    uint40 public constant MAX_DEADLINE = 30 days;
    /// @inheritdoc ITaskEscrow
    bytes32 public constant INPUT_REJECTED = TaskReview.INPUT_REJECTED;
    /// @notice Largest committee.
    uint8 public constant MAX_COMMITTEE = TaskReview.MAX_COMMITTEE;
    /// @notice Largest share of a slash a challenger may earn: a self-challenge never breaks even.
    uint16 public constant MAX_BOUNTY_BPS = 5_000;
    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice The `Anchors.seed` purposes of the seat draw and the audit roll.
    uint256 internal constant SEAT_DRAW = 0;
    uint256 internal constant AUDIT_ROLL = 1;
    /// @notice The unit a task's value is stored in: 0.001 token.
    uint256 internal constant MILLI = 1e15;

    /// @notice The network token: fees, bonds, payouts.
    IERC20 public immutable TOKEN;
    /// @notice Worker registry (draws, locks, slashing, reputation).
    IWorkerRegistry public immutable WORKERS;
    /// @notice Model registry (prices, risk, determinism, royalties).
    IModelRegistry public immutable MODELS;

    EscrowState private _s;

    /// @param token The network token.
    /// @param workers The worker registry; this contract needs its SLASHER_ROLE.
    /// @param models The model registry.
    /// @param initialParams Protocol parameters.
    /// @param owner_ May change parameters.
    constructor(
        IERC20 token,
        IWorkerRegistry workers,
        IModelRegistry models,
        Params memory initialParams,
        address owner_
    ) Ownable(owner_) {
        TOKEN = token;
        WORKERS = workers;
        MODELS = models;
        _setParams(initialParams);
    }

    // ─── Requester ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function createTask(ModelId modelId, bytes32 inputHash, uint96 value, Tier floor, uint40 deadline, uint96 maxFee)
        external
        returns (TaskId taskId)
    {
        if (maxFee == 0) {
            revert InvalidFee(maxFee);
        }
        if (deadline <= block.timestamp || deadline > block.timestamp + MAX_DEADLINE) {
            revert InvalidDeadline(deadline);
        }
        ReleaseTerms memory terms = MODELS.terms(modelId);
        if (terms.deprecated) {
            revert ModelDeprecated(modelId);
        }
        (uint32 epochBlocks, uint256 verifiers) = WORKERS.epochAndWeight(modelId, Roles.VERIFY);
        if (verifiers == 0) {
            revert NoVerifiers(modelId); // its audits could never be drawn
        }
        uint48 valueMilli = _toMilli(value);
        uint256 premium = _admit(modelId, terms, uint256(valueMilli) * MILLI, floor, maxFee);
        taskId = TaskId.wrap(++_s.counters.tasks);
        _s.counters.liabilities += maxFee;
        Task storage task = _s.tasks[taskId];
        task.requester = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.fee = uint96(maxFee - premium); // premium ≤ maxFee (`_admit`)
        task.valueMilli = valueMilli;
        task.modelIndex = _indexOf(modelId);
        task.until = deadline;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.createdBlock = uint32(block.number); // 2^32 blocks is centuries at L1 block times
        task.anchor = Anchors.forDraw(epochBlocks);
        task.status = TaskStatus.Created;
        task.floor = floor;
        task.winner = TaskReview.NO_WINNER;
        // forge-lint: disable-next-line(unsafe-typecast)
        emit TaskCreated(taskId, msg.sender, modelId, inputHash, maxFee, uint96(premium)); // premium ≤ maxFee
        TaskReview.credit(_s, _s.params.treasury, premium);
        TOKEN.safeTransferFrom(msg.sender, address(this), maxFee);
    }

    /// @inheritdoc ITaskEscrow
    function assign(TaskId taskId) external {
        Task storage task = _task(taskId, TaskStatus.Created);
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        if (!TaskReview.drawReady(task, taskId, WORKERS.epochBlocks())) {
            return;
        }
        ReleaseTerms memory terms = MODELS.terms(_modelOf(task));
        (address[] memory workers, Decision memory decision, uint64 lockGwei) = _drawSeats(taskId, task, terms);
        // The load premium was paid at creation: what is left is priced at the base price.
        (uint256 fee, uint64 reserveGwei) = TaskPricing.feeOf(_s, terms.basePrice, terms.basePrice, decision);
        uint96 maxFee = task.fee;
        if (fee > maxFee) {
            revert PriceAboveMax(taskId, fee, maxFee);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 price = uint96(fee); // ≤ maxFee just above

        task.fee = price;
        task.anchor = 0;
        task.status = TaskStatus.Assigned;
        task.tier = decision.tier;
        task.redundancy = decision.redundancy;
        task.auditBps = decision.auditBps;
        task.determinism = uint8(terms.determinism);
        task.seatLockGwei = lockGwei;
        task.reserveGwei = reserveGwei;
        // The review reserve pays into the fund now: reviews are paid whatever their outcome.
        _s.reviewFund += uint256(reserveGwei) * 1 gwei;
        for (uint256 i; i < workers.length; ++i) {
            _s.seats[taskId][i] = Seat(workers[i], SeatState.Assigned);
        }
        emit TaskAssigned(taskId, workers, decision.tier, decision.auditBps, price);
        if (price < maxFee) {
            TaskReview.credit(_s, task.requester, maxFee - price);
        }
    }

    // ─── Compute workers ─────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function submitResult(TaskId taskId, bytes32 outputHash) external {
        Task storage task = _task(taskId, TaskStatus.Assigned);
        if (task.tier != Tier.LIGHT) {
            revert WrongTier(taskId, task.tier);
        }
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        if (outputHash == bytes32(0)) {
            revert ZeroOutput();
        }
        Seat storage s = _s.seats[taskId][0];
        if (s.worker != msg.sender) {
            revert NotAssigned(taskId, msg.sender);
        }
        s.state = SeatState.Revealed;
        _s.seatHashes[taskId][0] = outputHash;
        emit ResultRevealed(taskId, msg.sender, outputHash);
        task.winner = 0;
        _propose(taskId, task);
    }

    /// @inheritdoc ITaskEscrow
    function commit(TaskId taskId, bytes32 commitment) external {
        Task storage task = _redundantTask(taskId);
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        if (commitment == bytes32(0)) {
            revert ZeroOutput();
        }
        uint256 index = _seatOf(taskId, task.redundancy, msg.sender);
        Seat storage s = _s.seats[taskId][index];
        if (s.state != SeatState.Assigned) {
            revert AlreadyActed(taskId, msg.sender);
        }
        s.state = SeatState.Committed;
        _s.seatHashes[taskId][index] = commitment;
        uint8 commits = task.commits + 1;
        task.commits = commits;
        if (commits == task.redundancy) {
            // Everyone is bound: reveals open now and must land within the reveal window.
            task.until = uint40(block.timestamp) + _s.params.revealWindow;
        }
        emit ResultCommitted(taskId, msg.sender, commitment);
    }

    /// @inheritdoc ITaskEscrow
    function reveal(TaskId taskId, bytes32 outputHash, bytes32 salt) external {
        Task storage task = _redundantTask(taskId);
        (bool open, uint40 end) = _revealPhase(task);
        if (!open) {
            revert RevealNotOpen(taskId);
        }
        if (block.timestamp >= end) {
            revert PhaseClosed(taskId, end);
        }
        if (outputHash == bytes32(0)) {
            revert ZeroOutput();
        }
        uint256 index = _seatOf(taskId, task.redundancy, msg.sender);
        Seat storage s = _s.seats[taskId][index];
        if (s.state != SeatState.Committed) {
            revert AlreadyActed(taskId, msg.sender);
        }
        if (keccak256(abi.encode(outputHash, salt, msg.sender)) != _s.seatHashes[taskId][index]) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        s.state = SeatState.Revealed;
        _s.seatHashes[taskId][index] = outputHash;
        uint8 reveals = task.reveals + 1;
        task.reveals = reveals;
        emit ResultRevealed(taskId, msg.sender, outputHash);
        if (reveals == task.commits && (reveals == task.redundancy || block.timestamp >= task.until)) {
            _tally(taskId, task);
        }
    }

    /// @inheritdoc ITaskEscrow
    function closeReveal(TaskId taskId) external {
        Task storage task = _redundantTask(taskId);
        (, uint40 end) = _revealPhase(task);
        if (block.timestamp < end) {
            revert PhaseOpen(taskId, end);
        }
        _tally(taskId, task);
    }

    // ─── Audits, challenges and committees ───────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function audit(TaskId taskId) external {
        Task storage task = _task(taskId, TaskStatus.Proposed);
        if (task.anchor == 0) {
            revert NoAuditPending(taskId);
        }
        _rollAudit(taskId, task);
    }

    /// @inheritdoc ITaskEscrow
    function challenge(TaskId taskId) external {
        TOKEN.safeTransferFrom(msg.sender, address(this), TaskReview.challenge(_s, WORKERS, taskId));
    }

    /// @inheritdoc ITaskEscrow
    function drawCommittee(TaskId taskId) external {
        TaskReview.drawCommittee(_s, WORKERS, MODELS, taskId);
    }

    /// @inheritdoc ITaskEscrow
    function appeal(TaskId taskId) external {
        TOKEN.safeTransferFrom(msg.sender, address(this), TaskReview.appeal(_s, WORKERS, taskId));
    }

    /// @inheritdoc ITaskEscrow
    function commitVote(TaskId taskId, bytes32 commitment) external {
        TaskReview.commitVote(_s, taskId, commitment);
    }

    /// @inheritdoc ITaskEscrow
    function revealVote(TaskId taskId, uint8 acceptMask, bytes32 salt) external {
        TaskReview.revealVote(_s, WORKERS, MODELS, taskId, acceptMask, salt);
    }

    /// @inheritdoc ITaskEscrow
    function resolve(TaskId taskId) external {
        TaskReview.resolve(_s, WORKERS, MODELS, taskId);
    }

    // ─── Finality and money ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function finalize(TaskId taskId) external {
        Task storage task = _existing(taskId);
        TaskStatus status = task.status;
        bool timedOut = status == TaskStatus.Created || (status == TaskStatus.Assigned && task.tier == Tier.LIGHT);
        if (status != TaskStatus.Proposed && !timedOut) {
            revert WrongStatus(taskId, status);
        }
        if (block.timestamp < task.until) {
            revert PhaseOpen(taskId, task.until);
        }
        if (timedOut) {
            task.winner = TaskReview.NO_WINNER;
        } else {
            // The audit lottery is drawn before finality, by whoever comes first.
            if (task.anchor != 0 && _rollAudit(taskId, task)) {
                return;
            }
            _acceptRevealed(taskId, task.redundancy);
        }
        _closeToTreasury(taskId);
    }

    /// @inheritdoc ITaskEscrow
    function settle(TaskId taskId) external {
        TaskReview.settle(_s, MODELS, taskId);
    }

    /// @inheritdoc ITaskEscrow
    function batch(bytes[] calldata calls) external returns (bool[] memory ok, bytes[] memory results) {
        uint256 n = calls.length;
        ok = new bool[](n);
        results = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            (ok[i], results[i]) = address(this).delegatecall(calls[i]);
        }
    }

    /// @inheritdoc ITaskEscrow
    function claim() external returns (uint256 amount) {
        amount = _s.claimable[msg.sender];
        if (amount == 0) {
            revert NothingToClaim(msg.sender);
        }
        _s.claimable[msg.sender] = 0;
        // forge-lint: disable-next-line(unsafe-typecast)
        _s.counters.liabilities -= uint128(amount); // amount ≤ liabilities: every credit is backed
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ITaskEscrow
    function setParams(Params calldata newParams) external onlyOwner {
        _setParams(newParams);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function quote(ModelId modelId, uint96 value, Tier floor, address worker)
        external
        view
        returns (Decision memory decision, uint96 fee, uint96 seatLock)
    {
        return TaskPricing.quote(_s, WORKERS, MODELS, modelId, value, floor, worker);
    }

    /// @inheritdoc ITaskEscrow
    function getTask(TaskId taskId) external view returns (TaskView memory view_) {
        Task storage t = _s.tasks[taskId];
        view_.requester = t.requester;
        view_.fee = t.fee;
        view_.modelId = t.modelIndex == 0 ? ModelId.wrap(0) : _modelOf(t);
        // forge-lint: disable-next-line(unsafe-typecast)
        view_.value = uint96(Math.min(_valueOf(t), type(uint96).max)); // rounded up to a milli-token
        view_.until = t.until;
        view_.createdBlock = t.createdBlock;
        view_.anchor = t.anchor;
        view_.status = t.status;
        view_.floor = t.floor;
        view_.tier = t.tier;
        view_.redundancy = t.redundancy;
        view_.commits = t.commits;
        view_.reveals = t.reveals;
        view_.auditBps = t.auditBps;
        view_.winner = t.winner;
        view_.committeeSize = t.committeeSize;
        view_.determinism = t.determinism;
        view_.challenger = t.challenger;
        view_.bond = t.bond;
        view_.seatLock = uint96(t.seatLockGwei) * 1 gwei; // < 2^64 gwei < 2^96 wei
        view_.reserve = uint96(t.reserveGwei) * 1 gwei; // as above
        view_.voteCommits = t.voteCommits;
        view_.appeal = t.appeal;
        view_.appealSize = t.appealSize;
    }

    /// @inheritdoc ITaskEscrow
    function appealOf(TaskId taskId) external view returns (address appellant, uint96 bond) {
        Task storage t = _s.tasks[taskId];
        return (t.appellant, t.appealBond);
    }

    /// @inheritdoc ITaskEscrow
    function seat(TaskId taskId, uint256 index) external view returns (address worker, SeatState state, bytes32 hash) {
        Seat memory s = _s.seats[taskId][index];
        return (s.worker, s.state, _s.seatHashes[taskId][index]);
    }

    /// @inheritdoc ITaskEscrow
    function committeeSeat(TaskId taskId, uint256 index)
        external
        view
        returns (address verifier, VoteState state, uint8 acceptMask)
    {
        Member memory m = _s.committees[taskId][index];
        return (m.verifier, m.state, m.acceptMask);
    }

    /// @inheritdoc ITaskEscrow
    function reviewFund() external view returns (uint256) {
        return _s.reviewFund;
    }

    /// @inheritdoc ITaskEscrow
    function resultOf(TaskId taskId) external view returns (bytes32) {
        Task storage task = _s.tasks[taskId];
        if (task.status < TaskStatus.Finalized || task.winner == TaskReview.NO_WINNER) {
            return bytes32(0);
        }
        return _s.seatHashes[taskId][task.winner];
    }

    /// @inheritdoc ITaskEscrow
    function challengeBond(TaskId taskId) external view returns (uint96) {
        return TaskReview.challengeBond(_s, _existing(taskId).fee);
    }

    /// @inheritdoc ITaskEscrow
    function claimable(address account) external view returns (uint256) {
        return _s.claimable[account];
    }

    /// @inheritdoc ITaskEscrow
    function liabilities() external view returns (uint256) {
        return _s.counters.liabilities;
    }

    /// @inheritdoc ITaskEscrow
    function pressureBps() external view returns (uint16) {
        return TaskPricing.pressureBps(_s, WORKERS);
    }

    /// @inheritdoc ITaskEscrow
    function taskCount() external view returns (uint256) {
        return _s.counters.tasks;
    }

    /// @inheritdoc ITaskEscrow
    function params() external view returns (Params memory) {
        return _s.params;
    }

    // ─── Protocol steps ──────────────────────────────────────────────────────────────────────────

    /// @dev Decides the outcome of a REDUNDANT/DEEP task from its reveals. Seats that never revealed
    ///      are faulty. EXACT models agree by hash with a strict majority of k; TOLERANCE models need
    ///      every reveal to match (a mismatch may be honest float noise, so a committee decides).
    function _tally(TaskId taskId, Task storage task) private {
        uint256 k = task.redundancy;
        bytes32[] memory hashes = new bytes32[](k);
        for (uint256 i; i < k; ++i) {
            if (_s.seats[taskId][i].state == SeatState.Revealed) {
                hashes[i] = _s.seatHashes[taskId][i];
            }
        }
        if (task.reveals == 0) {
            task.winner = TaskReview.NO_WINNER;
            _closeToTreasury(taskId);
            return;
        }
        (uint256 best, uint256 bestCount) = _plurality(hashes);
        bool quorum =
            bestCount * 2 > k && (task.determinism == uint8(DeterminismClass.EXACT) || bestCount == task.reveals);
        if (!quorum) {
            _requestReview(taskId, task, ReviewReason.NoQuorum);
            return;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        task.winner = uint8(best); // best < k ≤ 7
        for (uint256 i; i < k; ++i) {
            if (hashes[i] != bytes32(0) && hashes[i] != hashes[best]) {
                _s.seats[taskId][i].state = SeatState.Faulty;
            }
        }
        if (task.tier == Tier.DEEP) {
            _requestReview(taskId, task, ReviewReason.Deep);
            return;
        }
        _propose(taskId, task);
    }

    /// @dev Proposes the winner's output and opens the challenge window; the audit lottery is anchored now
    ///      and drawn later (`audit`, or `finalize`), so the proposer cannot see it when it submits.
    function _propose(TaskId taskId, Task storage task) private {
        uint40 end = uint40(block.timestamp) + _s.params.challengeWindow;
        task.status = TaskStatus.Proposed;
        task.until = end;
        task.anchor = Anchors.forRoll();
        emit ResultProposed(taskId, _s.seatHashes[taskId][task.winner], end);
    }

    /// @dev Draws the audit lottery of a proposed result; returns whether it is audited (a review is then
    ///      requested). Reverts `AnchorPending` before the anchor; past the hash horizon it audits.
    function _rollAudit(TaskId taskId, Task storage task) private returns (bool audited) {
        uint32 anchor = task.anchor;
        Anchors.Phase phase = Anchors.rollPhase(anchor);
        if (phase == Anchors.Phase.Pending) {
            revert AnchorPending(taskId, anchor);
        }
        audited = phase == Anchors.Phase.Stale || Anchors.seed(anchor, taskId, AUDIT_ROLL) % BPS < task.auditBps;
        task.anchor = 0;
        if (audited) {
            _requestReview(taskId, task, ReviewReason.Audit);
        }
    }

    /// @dev Moves a task to review; its committee is drawn from a future anchor by `drawCommittee`.
    function _requestReview(TaskId taskId, Task storage task, ReviewReason reason) private {
        uint32 anchor = Anchors.forDraw(WORKERS.epochBlocks());
        task.status = TaskStatus.Reviewing;
        task.anchor = anchor;
        ++_s.counters.openReviews;
        emit ReviewRequested(taskId, reason, anchor);
    }

    /// @dev Finalizes a task without a review: its slashes go to the treasury.
    function _closeToTreasury(TaskId taskId) private {
        TaskReview.credit(_s, _s.params.treasury, TaskReview.close(_s, WORKERS, taskId));
    }

    function _acceptRevealed(TaskId taskId, uint256 k) private {
        for (uint256 i; i < k; ++i) {
            Seat storage s = _s.seats[taskId][i];
            if (s.state == SeatState.Revealed) {
                s.state = SeatState.Accepted;
            }
        }
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    /// @dev Admits a task at the live price, or refuses it with the quote (`FeeBelowQuote`): the least trusted
    ///      primary's seats are the load the task brings, and it pays the price from before that load. Returns the
    ///      load premium, k × (live − base price), ≤ the fee ≤ `maxFee`.
    function _admit(ModelId modelId, ReleaseTerms memory terms, uint256 value, Tier floor, uint96 maxFee)
        private
        returns (uint256)
    {
        (Decision memory decision,) = TaskPricing.firstDecision(
            TaskPricing.policyInputs(_s, WORKERS, terms, value, floor), TaskPricing.deterrence(_s, terms, value)
        );
        uint96 live = MODELS.recordLoad(modelId, decision.redundancy);
        (uint256 fee,) = TaskPricing.feeOf(_s, live, terms.basePrice, decision);
        if (fee > maxFee) {
            revert FeeBelowQuote(fee, maxFee);
        }
        return uint256(live - terms.basePrice) * decision.redundancy;
    }

    /// @dev Draws the compute workers of a task, locking each seat's collateral, and decides its verification:
    ///      the primary (first drawn) worker's reputation on this model feeds the policy. Returns exactly
    ///      `decision.redundancy` workers; extra draws are released.
    function _drawSeats(TaskId taskId, Task storage task, ReleaseTerms memory terms)
        private
        returns (address[] memory workers, Decision memory decision, uint64 lockGwei)
    {
        uint256 value = _valueOf(task);
        PolicyInputs memory inputs = TaskPricing.policyInputs(_s, WORKERS, terms, value, task.floor);
        Deterrence memory deterrence = TaskPricing.deterrence(_s, terms, value);
        // Draw and lock as the least trusted primary would need: reputation only ever lowers k, and the final
        // decision raises its audit probability until the lock taken here deters.
        (Decision memory first, uint256 lock) = TaskPricing.firstDecision(inputs, deterrence);
        if (lock > uint256(type(uint64).max) * 1 gwei) {
            revert InsufficientWorkers(taskId, first.redundancy, 0); // more than any stake the escrow can record
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        lockGwei = uint64(lock / 1 gwei); // whole gwei, < 2^64 just above
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 seatLock = uint96(lock); // < 2^64 gwei < 2^96 wei
        ModelId modelId = _modelOf(task);
        workers = _drawLocked(taskId, task, modelId, first.redundancy, seatLock);
        if (workers.length == 0) {
            revert InsufficientWorkers(taskId, 1, 0);
        }
        inputs.reputationBps = WORKERS.reputationBps(workers[0], modelId);
        decision = TaskPricing.finalDecision(inputs, deterrence, lock, first);
        uint256 k = decision.redundancy;
        if (workers.length < k) {
            revert InsufficientWorkers(taskId, k, workers.length);
        }
        for (uint256 i = k; i < workers.length; ++i) {
            WORKERS.unlock(workers[i], seatLock);
        }
        // Keep the first k: shrink the array in place.
        assembly ("memory-safe") {
            mstore(workers, k)
        }
    }

    /// @dev Draws `count` compute workers for a task from its anchor (never its requester), locking `lock` each.
    function _drawLocked(TaskId taskId, Task storage task, ModelId modelId, uint256 count, uint96 lock)
        private
        returns (address[] memory)
    {
        address[] memory exclude = new address[](1);
        exclude[0] = task.requester;
        uint256 seed = Anchors.seed(task.anchor, taskId, SEAT_DRAW);
        return WORKERS.drawAndLock(modelId, Roles.COMPUTE, seed, count, exclude, lock);
    }

    /// @dev Whether the task's compute reveals are open, and when they close.
    function _revealPhase(Task storage task) private view returns (bool open, uint40 end) {
        return TaskReview.revealPhase(task.commits, task.redundancy, task.until, _s.params.revealWindow);
    }

    /// @dev The caller's seat; reverts `NotAssigned` if it holds none.
    function _seatOf(TaskId taskId, uint256 k, address worker) private view returns (uint256 index) {
        index = _seatIndex(taskId, k, worker);
        if (index == k) {
            revert NotAssigned(taskId, worker);
        }
    }

    /// @dev The seat `account` holds among the first `k`, or `k` if none.
    function _seatIndex(TaskId taskId, uint256 k, address account) private view returns (uint256 i) {
        while (i < k && _s.seats[taskId][i].worker != account) {
            ++i;
        }
    }

    /// @dev The most frequent non-zero hash (lowest index on ties) and its count.
    function _plurality(bytes32[] memory hashes) private pure returns (uint256 best, uint256 bestCount) {
        uint256 n = hashes.length;
        for (uint256 i; i < n; ++i) {
            if (hashes[i] == bytes32(0)) {
                continue;
            }
            uint256 count;
            for (uint256 j; j < n; ++j) {
                if (hashes[j] == hashes[i]) {
                    ++count;
                }
            }
            if (count > bestCount) {
                (best, bestCount) = (i, count);
            }
        }
    }

    function _modelOf(Task storage task) private view returns (ModelId) {
        return _s.models[task.modelIndex - 1];
    }

    function _valueOf(Task storage task) private view returns (uint256) {
        return uint256(task.valueMilli) * MILLI;
    }

    /// @dev `value` in whole milli-tokens, rounded up: < 2^96 / 1e15 + 1 < 2^48.
    function _toMilli(uint96 value) private pure returns (uint48) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint48(Math.ceilDiv(value, MILLI));
    }

    /// @dev The model's index + 1 in `models`, registering it on first use.
    function _indexOf(ModelId modelId) private returns (uint32 index) {
        index = _s.modelIndex[modelId];
        if (index == 0) {
            _s.models.push(modelId);
            // forge-lint: disable-next-line(unsafe-typecast)
            index = uint32(_s.models.length); // 2^32 models is out of reach
            _s.modelIndex[modelId] = index;
        }
    }

    function _existing(TaskId taskId) private view returns (Task storage task) {
        task = _s.tasks[taskId];
        if (task.status == TaskStatus.None) {
            revert UnknownTask(taskId);
        }
    }

    function _task(TaskId taskId, TaskStatus status) private view returns (Task storage task) {
        task = _existing(taskId);
        if (task.status != status) {
            revert WrongStatus(taskId, task.status);
        }
    }

    function _redundantTask(TaskId taskId) private view returns (Task storage task) {
        task = _task(taskId, TaskStatus.Assigned);
        if (task.tier == Tier.LIGHT) {
            revert WrongTier(taskId, task.tier);
        }
    }

    function _setParams(Params memory p) private {
        if (
            p.committeeSize == 0 || p.committeeSize > MAX_COMMITTEE || p.protocolFeeBps > 2_000
                || p.bountyBps > MAX_BOUNTY_BPS || p.treasury == address(0) || p.challengeWindow == 0
                || p.revealWindow == 0 || p.voteWindow == 0 || p.minSlash == 0 || p.gainBps < BPS
        ) {
            revert InvalidParams();
        }
        _s.params = p;
        emit ParamsChanged(p);
    }
}
