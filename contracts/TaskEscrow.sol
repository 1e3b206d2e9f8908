// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "./interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {Anchors} from "./libraries/Anchors.sol";
import {Deferred} from "./libraries/Deferred.sol";
import {TaskAssign} from "./libraries/TaskAssign.sol";
import {TaskOrigins} from "./libraries/TaskOrigins.sol";
import {TaskPricing} from "./libraries/TaskPricing.sol";
import {TaskReveal} from "./libraries/TaskReveal.sol";
import {TaskReview} from "./libraries/TaskReview.sol";
import {TaskSeats} from "./libraries/TaskSeats.sol";
import {TaskTerms} from "./libraries/TaskTerms.sol";
import {WorkerIndexes} from "./libraries/WorkerIndexes.sol";
import {EscrowState, Member, Origin, Seat, SeatTerms, Task} from "./types/EscrowTypes.sol";
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

    /// @notice The network token: fees, bonds, payouts.
    IERC20 public immutable TOKEN;
    /// @notice Worker registry (draws, locks, slashing, reputation).
    IWorkerRegistry public immutable WORKERS;
    /// @notice Model registry (prices, risk, determinism, royalties).
    IModelRegistry public immutable MODELS;

    /// @dev What the tasks of one creation call share.
    struct Creation {
        ModelId modelId;
        uint32 modelIndex;
        uint32 epochBlocks;
        uint48 valueMilli;
        Tier floor;
        uint40 deadline;
        uint96 maxFee;
    }

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
        (ReleaseTerms memory terms, uint32 epochBlocks) = _checkCreate(modelId, deadline, maxFee);
        Creation memory c = Creation(modelId, _indexOf(modelId), epochBlocks, _toMilli(value), floor, deadline, maxFee);
        taskId = _create(c, inputHash, _admit(c, terms), 0);
        _pull(maxFee);
    }

    /// @inheritdoc ITaskEscrow
    function createTasks(
        ModelId modelId,
        bytes32[] calldata inputHashes,
        uint96 value,
        Tier floor,
        uint40 deadline,
        uint96 maxFee
    ) external returns (TaskId first) {
        uint256 n = inputHashes.length;
        if (n == 0) {
            revert EmptyBatch();
        }
        // The checks that depend only on the shared terms hold for every task alike, and so does the least trusted
        // decision (nothing it reads changes as tasks are created); each task is still priced at the live price its
        // turn sees, recorded as load and refused one by one, exactly as `createTask` would.
        (ReleaseTerms memory terms, uint32 epochBlocks) = _checkCreate(modelId, deadline, maxFee);
        bool outermost = Deferred.open();
        Creation memory c = Creation(modelId, _indexOf(modelId), epochBlocks, _toMilli(value), floor, deadline, maxFee);
        first = _createAll(c, terms, inputHashes);
        Deferred.pull(uint256(maxFee) * n);
        _closeBatch(outermost);
    }

    /// @inheritdoc ITaskEscrow
    function assign(TaskId taskId) external {
        TaskAssign.assign(_s, WORKERS, MODELS, taskId);
    }

    /// @inheritdoc ITaskEscrow
    function assignTasks(TaskId[] calldata taskIds) external returns (bool[] memory assigned) {
        bool outermost = Deferred.open();
        assigned = TaskAssign.assignTasks(_s, WORKERS, MODELS, taskIds);
        _closeBatch(outermost);
    }

    // ─── Compute workers ─────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function submitResult(TaskId taskId, bytes32 outputHash) external {
        TaskReveal.submitResult(_s, taskId, outputHash);
    }

    /// @inheritdoc ITaskEscrow
    function submitResults(TaskId[] calldata taskIds, bytes32[] calldata outputHashes)
        external
        returns (bool[] memory submitted)
    {
        return TaskReveal.submitResults(_s, taskIds, outputHashes);
    }

    /// @inheritdoc ITaskEscrow
    function commit(TaskId taskId, bytes32 commitment) external {
        TaskReveal.commit(_s, taskId, commitment);
    }

    /// @inheritdoc ITaskEscrow
    function reveal(TaskId taskId, bytes32 outputHash, bytes32 salt) external {
        TaskReveal.reveal(_s, WORKERS, taskId, outputHash, salt);
    }

    /// @inheritdoc ITaskEscrow
    function closeReveal(TaskId taskId) external {
        TaskReveal.closeReveal(_s, WORKERS, taskId);
    }

    // ─── Audits, challenges and committees ───────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function audit(TaskId taskId) external {
        TaskReview.audit(_s, WORKERS, taskId);
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
        TaskReview.finalize(_s, WORKERS, taskId);
    }

    /// @inheritdoc ITaskEscrow
    function settle(TaskId taskId) external {
        TaskReview.settle(_s, MODELS, taskId);
    }

    /// @inheritdoc ITaskEscrow
    function finalizeAndSettle(TaskId[] calldata taskIds) external returns (bool[] memory settled) {
        bool outermost = Deferred.open();
        settled = TaskReview.finalizeAndSettle(_s, WORKERS, MODELS, taskIds);
        _closeBatch(outermost);
    }

    /// @inheritdoc ITaskEscrow
    function batch(bytes[] calldata calls)
        external
        returns (bool[] memory ok, bytes[] memory results, uint256 gasUsed)
    {
        uint256 gasAtStart = gasleft();
        bool outermost = Deferred.open();
        uint256 n = calls.length;
        ok = new bool[](n);
        results = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            (ok[i], results[i]) = address(this).delegatecall(calls[i]);
        }
        _closeBatch(outermost);
        gasUsed = gasAtStart - gasleft();
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
        Origin memory origin = TaskOrigins.originOf(_s, taskId, t); // all zero for an unknown task
        view_.requester = origin.requester;
        view_.modelId = t.modelIndex == 0 ? ModelId.wrap(0) : _modelOf(t);
        // forge-lint: disable-next-line(unsafe-typecast)
        view_.value = uint96(Math.min(uint256(origin.valueMilli) * TaskPricing.MILLI, type(uint96).max)); // rounded up
        view_.until = t.until;
        view_.createdBlock = origin.createdBlock;
        view_.anchor = t.anchor;
        view_.status = t.status;
        view_.floor = origin.floor;
        view_.tier = t.tier;
        view_.redundancy = t.redundancy;
        view_.commits = t.commits;
        view_.reveals = t.reveals;
        view_.auditBps = t.auditBps;
        view_.winner = t.winner;
        view_.committeeSize = t.committeeSize;
        SeatTerms memory terms = TaskTerms.termsOf(_s, taskId);
        view_.fee = TaskTerms.feeOf(terms, t);
        view_.determinism = terms.determinism;
        view_.challenger = t.challenger;
        view_.bond = t.bond;
        view_.seatLock = uint96(terms.seatLockGwei) * 1 gwei; // < 2^64 gwei < 2^96 wei
        view_.reserve = uint96(terms.reserveGwei) * 1 gwei; // as above
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
        Seat memory s = TaskSeats.seatOf(_s, taskId, _s.tasks[taskId], index);
        return (s.worker, s.state, _s.seatHashes[taskId][index]);
    }

    /// @inheritdoc ITaskEscrow
    function committeeSeat(TaskId taskId, uint256 index)
        external
        view
        returns (address verifier, VoteState state, uint8 acceptMask)
    {
        Member memory m = _s.committees[taskId][index];
        return (WorkerIndexes.workerAt(_s, m.verifierIndex), m.state, m.acceptMask);
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
        return TaskReview.challengeBond(_s, TaskTerms.feeOf(_s, taskId, _existing(taskId)));
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

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    /// @dev The checks of a creation that depend only on its model, deadline and cap; returns the release's terms
    ///      and the registry's epoch length.
    function _checkCreate(ModelId modelId, uint40 deadline, uint96 maxFee)
        private
        view
        returns (ReleaseTerms memory terms, uint32 epochBlocks)
    {
        if (maxFee == 0 || maxFee > type(uint88).max) {
            revert InvalidFee(maxFee); // a task keeps its escrowed fee in 88 bits
        }
        if (deadline <= block.timestamp || deadline > block.timestamp + MAX_DEADLINE) {
            revert InvalidDeadline(deadline);
        }
        terms = MODELS.terms(modelId);
        if (terms.deprecated) {
            revert ModelDeprecated(modelId);
        }
        uint256 verifiers;
        (epochBlocks, verifiers) = WORKERS.epochAndWeight(modelId, Roles.VERIFY);
        if (verifiers == 0) {
            revert NoVerifiers(modelId); // its audits could never be drawn
        }
    }

    /// @dev Creates one task whose `_checkCreate` passed and that was admitted with this load premium: records it
    ///      and its liability, and credits the premium. The caller pulls `maxFee` (`_pull`). The task is the
    ///      `offset`-th of its origin: the first (0) stores the origin its followers share.
    function _create(Creation memory c, bytes32 inputHash, uint256 premium, uint256 offset)
        private
        returns (TaskId taskId)
    {
        uint96 maxFee = c.maxFee;
        taskId = TaskId.wrap(++_s.counters.tasks);
        _s.counters.liabilities += maxFee;
        if (offset == 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            _s.origins[taskId] = Origin(msg.sender, c.valueMilli, uint32(block.number), c.floor); // 2^32 blocks is centuries
        }
        Task storage task = _s.tasks[taskId];
        // forge-lint: disable-next-line(unsafe-typecast)
        task.feeOrSeat = uint88(maxFee - premium); // premium ≤ maxFee ≤ 2^88 − 1 (`_admit`, `_checkCreate`)
        task.modelIndex = c.modelIndex;
        task.until = SafeCast.toUint32(c.deadline); // checked against `MAX_DEADLINE`: fits until 2106
        task.anchor = Anchors.forDraw(c.epochBlocks);
        task.status = TaskStatus.Created;
        task.winner = TaskReview.NO_WINNER;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.originOffset = uint8(offset); // < TaskOrigins.SPAN
        // forge-lint: disable-next-line(unsafe-typecast)
        emit TaskCreated(taskId, msg.sender, c.modelId, inputHash, maxFee, uint96(premium)); // premium ≤ maxFee
        TaskReview.credit(_s, _s.params.treasury, premium);
    }

    /// @dev Creates one task per input hash on the terms `c`, each admitted at the live price its turn sees; every
    ///      `TaskOrigins.SPAN` of them share one origin.
    function _createAll(Creation memory c, ReleaseTerms memory terms, bytes32[] calldata inputHashes)
        private
        returns (TaskId first)
    {
        uint256 n = inputHashes.length;
        Decision memory decision = _firstDecision(terms, uint256(c.valueMilli) * TaskPricing.MILLI, c.floor);
        uint96[] memory live = MODELS.recordLoads(c.modelId, decision.redundancy, n);
        first = TaskId.wrap(_s.counters.tasks + 1);
        for (uint256 i; i < n; ++i) {
            _create(c, inputHashes[i], _premium(live[i], terms, decision, c.maxFee), i % TaskOrigins.SPAN);
        }
    }

    /// @dev Takes `amount` from the caller: at once, or inside a batch with the batch's other pulls, at its end.
    function _pull(uint256 amount) private {
        if (Deferred.active()) {
            Deferred.pull(amount);
        } else {
            TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        }
    }

    /// @dev Ends a batch. The outermost writes each account's summed credit once and pulls what the caller owes in
    ///      one transfer; if the caller cannot pay it, the whole batch reverts.
    function _closeBatch(bool outermost) private {
        if (!outermost) {
            Deferred.close();
            return;
        }
        (address[] memory accounts, uint256[] memory amounts, uint256 owed) = Deferred.drain();
        for (uint256 i; i < accounts.length; ++i) {
            _s.claimable[accounts[i]] += amounts[i];
            emit Credited(accounts[i], amounts[i]);
        }
        if (owed != 0) {
            TOKEN.safeTransferFrom(msg.sender, address(this), owed);
        }
    }

    /// @dev Admits a task at the live price, or refuses it with the quote (`FeeBelowQuote`): the least trusted
    ///      primary's seats are the load the task brings, and it pays the price from before that load. Returns the
    ///      load premium, k × (live − base price), ≤ the fee ≤ `maxFee`.
    function _admit(Creation memory c, ReleaseTerms memory terms) private returns (uint256) {
        Decision memory decision = _firstDecision(terms, uint256(c.valueMilli) * TaskPricing.MILLI, c.floor);
        return _premium(MODELS.recordLoad(c.modelId, decision.redundancy), terms, decision, c.maxFee);
    }

    /// @dev The least trusted primary's decision for a task: what admission prices and records as load.
    function _firstDecision(ReleaseTerms memory terms, uint256 value, Tier floor)
        private
        view
        returns (Decision memory decision)
    {
        (decision,) = TaskPricing.firstDecision(
            TaskPricing.policyInputs(_s, WORKERS, terms, value, floor), TaskPricing.deterrence(_s, terms, value)
        );
    }

    /// @dev The load premium of a task admitted at `live` (see `_admit`), or `FeeBelowQuote` if `maxFee` misses it.
    function _premium(uint96 live, ReleaseTerms memory terms, Decision memory decision, uint96 maxFee)
        private
        view
        returns (uint256)
    {
        (uint256 fee,) = TaskPricing.feeOf(_s, live, terms.basePrice, decision);
        if (fee > maxFee) {
            revert FeeBelowQuote(fee, maxFee);
        }
        return uint256(live - terms.basePrice) * decision.redundancy;
    }

    function _modelOf(Task storage task) private view returns (ModelId) {
        return _s.models[task.modelIndex - 1];
    }

    /// @dev `value` in whole milli-tokens, rounded up: < 2^96 / 1e15 + 1 < 2^48.
    function _toMilli(uint96 value) private pure returns (uint48) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint48(Math.ceilDiv(value, TaskPricing.MILLI));
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
