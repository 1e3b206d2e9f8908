// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "./interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {VerificationPolicy} from "./libraries/VerificationPolicy.sol";
import {DeterminismClass, ReleaseTerms} from "./types/ModelTypes.sol";
import {Roles} from "./types/Roles.sol";
import {Decision, PolicyInputs, TaskStatus, Tier} from "./types/TaskTypes.sol";

/// @title TaskEscrow
/// @notice The verigrad task market. See ITaskEscrow for the lifecycle.
/// @dev Money moves only through `_credit` (internal ledger) and `claim` (the one outbound transfer), so
///      `liabilities` changes only where tokens enter (fees, bonds, slashes) or leave (claims).
///      Seats: a task has `redundancy` compute seats (index 0..k-1) and up to `committeeSize` committee seats.
contract TaskEscrow is ITaskEscrow, Ownable {
    using SafeERC20 for IERC20;

    /// @notice A task as stored: three slots; `getTask` presents it as a `TaskView`.
    /// @dev Slot 0: requester | fee. Slot 1: the lifecycle word, fields as in `TaskView`, except that the value
    ///      is kept in gwei (ample precision: the policy counts in units of 0.01 token) and the model as an
    ///      index into `_models`, so the whole record of a task without a challenge fits two slots.
    ///      Slot 2: challenger | bond, written only by `challenge`.
    struct Task {
        address requester;
        uint96 fee;
        uint64 valueGwei;
        uint40 until;
        uint32 createdBlock;
        uint32 modelIndex;
        TaskStatus status;
        Tier floor;
        Tier tier;
        uint8 redundancy;
        uint8 commits;
        uint8 reveals;
        uint16 auditBps;
        uint8 winner;
        uint8 committeeSize;
        uint8 determinism;
        address challenger;
        uint96 bond;
    }

    /// @notice Task counters, packed in one slot.
    struct Counters {
        uint64 tasks;
        uint64 openReviews;
        uint128 liabilities;
    }

    /// @notice A compute seat: one slot.
    struct Seat {
        address worker;
        SeatState state;
    }

    /// @notice A committee seat: one slot.
    struct Member {
        address verifier;
        bool voted;
        uint8 acceptMask;
    }

    /// @notice Longest allowed time between creation and the result deadline.
    uint40 public constant MAX_DEADLINE = 30 days;
    /// @inheritdoc ITaskEscrow
    bytes32 public constant INPUT_REJECTED = keccak256("verigrad.input-rejected");
    /// @notice Largest committee.
    uint8 public constant MAX_COMMITTEE = 7;
    /// @notice Marks "no winner" in `Task.winner`.
    uint8 internal constant NO_WINNER = type(uint8).max;
    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice Open reviews per registered verifier that count as full pressure.
    uint256 internal constant REVIEWS_PER_VERIFIER = 4;

    /// @notice The network token: fees, bonds, payouts.
    IERC20 public immutable TOKEN;
    /// @notice Worker registry (draws, slashing, reputation).
    IWorkerRegistry public immutable WORKERS;
    /// @notice Model registry (prices, risk, determinism, royalties).
    IModelRegistry public immutable MODELS;

    Params private _params;
    Counters private _counters;
    /// @dev Model ids by index + 1; a task stores the 32-bit index instead of the 32-byte id.
    bytes32[] private _models;
    mapping(bytes32 modelId => uint32 indexPlusOne) private _modelIndex;
    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => mapping(uint256 index => Seat)) private _seats;
    mapping(uint256 taskId => mapping(uint256 index => bytes32)) private _seatHashes;
    mapping(uint256 taskId => mapping(uint256 index => Member)) private _committees;
    mapping(address account => uint256) private _claimable;

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
    function createTask(bytes32 modelId, bytes32 inputHash, uint96 value, Tier floor, uint40 deadline, uint96 maxFee)
        external
        returns (uint256 taskId)
    {
        if (maxFee == 0) {
            revert InvalidFee(maxFee);
        }
        if (deadline <= block.timestamp || deadline > block.timestamp + MAX_DEADLINE) {
            revert InvalidDeadline(deadline);
        }
        if (MODELS.isDeprecated(modelId)) {
            revert ModelDeprecated(modelId);
        }
        Counters memory counters = _counters;
        taskId = ++counters.tasks;
        counters.liabilities += maxFee;
        _counters = counters;
        Task storage task = _tasks[taskId];
        task.requester = msg.sender;
        task.fee = maxFee;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.valueGwei = uint64(value / 1 gwei); // < 2^96 / 1e9 < 2^64
        task.modelIndex = _indexOf(modelId);
        task.until = deadline;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.createdBlock = uint32(block.number); // 2^32 blocks is centuries at L1 block times
        task.status = TaskStatus.Created;
        task.floor = floor;
        task.winner = NO_WINNER;
        emit TaskCreated(taskId, msg.sender, modelId, inputHash, value, floor, deadline, maxFee);
        TOKEN.safeTransferFrom(msg.sender, address(this), maxFee);
    }

    /// @inheritdoc ITaskEscrow
    function assign(uint256 taskId) external {
        Task storage task = _task(taskId, TaskStatus.Created);
        if (block.number <= task.createdBlock) {
            revert AssignTooEarly(taskId, task.createdBlock);
        }
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        ReleaseTerms memory terms = MODELS.terms(_modelOf(task));
        (address[] memory workers, Decision memory decision) = _drawSeats(taskId, task, terms);
        uint96 price = _price(terms.basePrice, decision);
        uint96 maxFee = task.fee;
        if (price > maxFee) {
            revert PriceAboveMax(taskId, price, maxFee);
        }

        task.fee = price;
        task.status = TaskStatus.Assigned;
        task.tier = decision.tier;
        task.redundancy = decision.redundancy;
        task.auditBps = decision.auditBps;
        task.determinism = uint8(terms.determinism);
        for (uint256 i; i < workers.length; ++i) {
            _seats[taskId][i] = Seat(workers[i], SeatState.Assigned);
        }
        emit TaskAssigned(taskId, workers, decision.tier, decision.auditBps, price);
        if (price < maxFee) {
            _credit(task.requester, maxFee - price);
        }
    }

    // ─── Compute workers ─────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function submitResult(uint256 taskId, bytes32 outputHash) external {
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
        Seat storage s = _seats[taskId][0];
        if (s.worker != msg.sender) {
            revert NotAssigned(taskId, msg.sender);
        }
        s.state = SeatState.Revealed;
        _seatHashes[taskId][0] = outputHash;
        emit ResultRevealed(taskId, msg.sender, outputHash);
        task.winner = 0;
        _proposeOrAudit(taskId, task);
    }

    /// @inheritdoc ITaskEscrow
    function commit(uint256 taskId, bytes32 commitment) external {
        Task storage task = _redundantTask(taskId);
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        if (commitment == bytes32(0)) {
            revert ZeroOutput();
        }
        uint256 index = _seatOf(taskId, task.redundancy, msg.sender);
        Seat storage s = _seats[taskId][index];
        if (s.state != SeatState.Assigned) {
            revert AlreadyActed(taskId, msg.sender);
        }
        s.state = SeatState.Committed;
        _seatHashes[taskId][index] = commitment;
        uint8 commits = task.commits + 1;
        task.commits = commits;
        if (commits == task.redundancy) {
            // Everyone is bound: reveals open now and must land within the reveal window.
            task.until = uint40(block.timestamp) + _params.revealWindow;
        }
        emit ResultCommitted(taskId, msg.sender, commitment);
    }

    /// @inheritdoc ITaskEscrow
    function reveal(uint256 taskId, bytes32 outputHash, bytes32 salt) external {
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
        Seat storage s = _seats[taskId][index];
        if (s.state != SeatState.Committed) {
            revert AlreadyActed(taskId, msg.sender);
        }
        if (keccak256(abi.encode(outputHash, salt, msg.sender)) != _seatHashes[taskId][index]) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        s.state = SeatState.Revealed;
        _seatHashes[taskId][index] = outputHash;
        uint8 reveals = task.reveals + 1;
        task.reveals = reveals;
        emit ResultRevealed(taskId, msg.sender, outputHash);
        if (reveals == task.commits && (reveals == task.redundancy || block.timestamp >= task.until)) {
            _tally(taskId, task);
        }
    }

    /// @inheritdoc ITaskEscrow
    function closeReveal(uint256 taskId) external {
        Task storage task = _redundantTask(taskId);
        (, uint40 end) = _revealPhase(task);
        if (block.timestamp < end) {
            revert PhaseOpen(taskId, end);
        }
        _tally(taskId, task);
    }

    // ─── Challenges and committees ───────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function challenge(uint256 taskId) external {
        Task storage task = _task(taskId, TaskStatus.Proposed);
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        uint96 bond = _challengeBond(task.fee);
        task.challenger = msg.sender;
        task.bond = bond;
        if (!_openReview(taskId, task, ReviewReason.Challenge)) {
            revert NoVerifiersAvailable(taskId);
        }
        _counters.liabilities += bond;
        emit Challenged(taskId, msg.sender, bond);
        TOKEN.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc ITaskEscrow
    function vote(uint256 taskId, uint8 acceptMask) external {
        Task storage task = _task(taskId, TaskStatus.Reviewing);
        if (block.timestamp >= task.until) {
            revert PhaseClosed(taskId, task.until);
        }
        if (acceptMask >> task.redundancy != 0) {
            revert InvalidMask(acceptMask);
        }
        uint256 size = task.committeeSize;
        uint256 votes;
        bool found;
        for (uint256 i; i < size; ++i) {
            Member storage m = _committees[taskId][i];
            if (m.verifier == msg.sender) {
                if (m.voted) {
                    revert AlreadyActed(taskId, msg.sender);
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
            revert NotAssigned(taskId, msg.sender);
        }
        emit Voted(taskId, msg.sender, acceptMask);
        if (votes == size) {
            _resolve(taskId, task);
        }
    }

    /// @inheritdoc ITaskEscrow
    function resolve(uint256 taskId) external {
        Task storage task = _task(taskId, TaskStatus.Reviewing);
        if (block.timestamp < task.until) {
            revert PhaseOpen(taskId, task.until);
        }
        _resolve(taskId, task);
    }

    // ─── Finality and money ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function finalize(uint256 taskId) external {
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
            task.winner = NO_WINNER;
        } else {
            _acceptRevealed(taskId, task.redundancy);
        }
        _close(taskId, task, address(0));
    }

    /// @inheritdoc ITaskEscrow
    function settle(uint256 taskId) external {
        Task storage task = _task(taskId, TaskStatus.Finalized);
        task.status = TaskStatus.Settled;
        uint96 fee = task.fee;
        if (task.winner == NO_WINNER || _seatHashes[taskId][task.winner] == INPUT_REJECTED) {
            _credit(task.requester, fee);
            // A frivolous challenge of a rightful rejection still pays the committee that disproved it.
            uint96 bond = task.bond;
            _credit(_params.treasury, bond - _payCommittee(taskId, task, bond));
            emit TaskSettled(taskId, 0, 0, 0, fee);
            return;
        }
        ReleaseTerms memory terms = MODELS.terms(_modelOf(task));
        uint256 protocolFee = fee * _params.protocolFeeBps / BPS;
        uint256 royalty = fee * terms.royaltyBps / BPS;
        uint256 pot = fee - protocolFee - royalty;
        uint256 dust = protocolFee;
        if (task.committeeSize > 0) {
            uint256 committeePot = pot * _params.committeeShareBps / BPS;
            // A frivolous challenger's bond pays the committee that disproved it.
            uint256 paid = _payCommittee(taskId, task, committeePot + task.bond);
            dust += committeePot + task.bond - paid;
            pot -= committeePot;
        }
        dust += pot - _payAccepted(taskId, task.redundancy, pot);
        _credit(terms.owner, royalty);
        _credit(_params.treasury, dust);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit TaskSettled(taskId, uint96(pot), uint96(royalty), uint96(protocolFee), 0); // all ≤ fee (uint96)
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
        amount = _claimable[msg.sender];
        if (amount == 0) {
            revert NothingToClaim(msg.sender);
        }
        _claimable[msg.sender] = 0;
        // forge-lint: disable-next-line(unsafe-typecast)
        _counters.liabilities -= uint128(amount); // amount ≤ liabilities: every credit is backed
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ITaskEscrow
    function setParams(Params calldata newParams) external onlyOwner {
        _setParams(newParams);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITaskEscrow
    function quote(bytes32 modelId, uint96 value, Tier floor, address worker)
        external
        view
        returns (Decision memory decision, uint96 fee)
    {
        ReleaseTerms memory terms = MODELS.terms(modelId);
        PolicyInputs memory inputs = _policyInputs(terms, value, floor);
        inputs.reputationBps = WORKERS.reputationBps(worker);
        decision = VerificationPolicy.decide(inputs);
        fee = _price(terms.basePrice, decision);
    }

    /// @inheritdoc ITaskEscrow
    function getTask(uint256 taskId) external view returns (TaskView memory view_) {
        Task storage t = _tasks[taskId];
        view_.requester = t.requester;
        view_.fee = t.fee;
        view_.modelId = t.modelIndex == 0 ? bytes32(0) : _modelOf(t);
        // forge-lint: disable-next-line(unsafe-typecast)
        view_.value = uint96(_valueOf(t)); // gwei × 1e9 < 2^96
        view_.until = t.until;
        view_.createdBlock = t.createdBlock;
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
    }

    /// @inheritdoc ITaskEscrow
    function seat(uint256 taskId, uint256 index) external view returns (address worker, SeatState state, bytes32 hash) {
        Seat memory s = _seats[taskId][index];
        return (s.worker, s.state, _seatHashes[taskId][index]);
    }

    /// @inheritdoc ITaskEscrow
    function committeeSeat(uint256 taskId, uint256 index)
        external
        view
        returns (address verifier, bool voted, uint8 acceptMask)
    {
        Member memory m = _committees[taskId][index];
        return (m.verifier, m.voted, m.acceptMask);
    }

    /// @inheritdoc ITaskEscrow
    function resultOf(uint256 taskId) external view returns (bytes32) {
        Task storage task = _tasks[taskId];
        if (task.status < TaskStatus.Finalized || task.winner == NO_WINNER) {
            return bytes32(0);
        }
        return _seatHashes[taskId][task.winner];
    }

    /// @inheritdoc ITaskEscrow
    function challengeBond(uint256 taskId) external view returns (uint96) {
        return _challengeBond(_existing(taskId).fee);
    }

    /// @inheritdoc ITaskEscrow
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc ITaskEscrow
    function liabilities() external view returns (uint256) {
        return _counters.liabilities;
    }

    /// @inheritdoc ITaskEscrow
    function pressureBps() public view returns (uint16) {
        if (_counters.openReviews == 0) {
            return 0; // the common case, without a call to the registry
        }
        uint256 verifiers = WORKERS.roleCount(Roles.VERIFY);
        uint256 pressure =
            uint256(_counters.openReviews) * BPS / (REVIEWS_PER_VERIFIER * (verifiers == 0 ? 1 : verifiers));
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint16(pressure > BPS ? BPS : pressure); // capped at 10_000 just above
    }

    /// @inheritdoc ITaskEscrow
    function taskCount() external view returns (uint256) {
        return _counters.tasks;
    }

    /// @inheritdoc ITaskEscrow
    function params() external view returns (Params memory) {
        return _params;
    }

    // ─── Protocol steps ──────────────────────────────────────────────────────────────────────────

    /// @dev Decides the outcome of a REDUNDANT/DEEP task from its reveals. Seats that never revealed
    ///      are faulty. EXACT models agree by hash with a strict majority of k; TOLERANCE models need
    ///      every reveal to match (a mismatch may be honest float noise, so a committee decides).
    function _tally(uint256 taskId, Task storage task) private {
        uint256 k = task.redundancy;
        bytes32[] memory hashes = new bytes32[](k);
        for (uint256 i; i < k; ++i) {
            if (_seats[taskId][i].state == SeatState.Revealed) {
                hashes[i] = _seatHashes[taskId][i];
            }
        }
        (uint256 best, uint256 bestCount) = _plurality(hashes);
        bool quorum =
            bestCount * 2 > k && (task.determinism == uint8(DeterminismClass.EXACT) || bestCount == task.reveals);
        if (task.reveals == 0) {
            task.winner = NO_WINNER;
            _close(taskId, task, address(0));
            return;
        }
        if (!quorum) {
            if (!_openReview(taskId, task, ReviewReason.NoQuorum)) {
                // No verifier can break the tie: nobody is proven wrong, the requester is refunded.
                task.winner = NO_WINNER;
                _close(taskId, task, address(0));
            }
            return;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        task.winner = uint8(best); // best < k ≤ 7
        for (uint256 i; i < k; ++i) {
            if (hashes[i] != bytes32(0) && hashes[i] != hashes[best]) {
                _seats[taskId][i].state = SeatState.Faulty;
            }
        }
        if (task.tier == Tier.DEEP) {
            if (!_openReview(taskId, task, ReviewReason.Deep)) {
                task.winner = NO_WINNER;
                _close(taskId, task, address(0));
            }
            return;
        }
        _proposeOrAudit(taskId, task);
    }

    /// @dev Proposes the winner's output, unless the audit lottery sends it to a committee first.
    function _proposeOrAudit(uint256 taskId, Task storage task) private {
        // The worker cannot know prevrandao of the block its result lands in (unless it proposes that block).
        uint256 roll = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), taskId))) % BPS;
        if (roll < task.auditBps && _openReview(taskId, task, ReviewReason.Audit)) {
            return;
        }
        uint40 end = uint40(block.timestamp) + _params.challengeWindow;
        task.status = TaskStatus.Proposed;
        task.until = end;
        emit ResultProposed(taskId, _seatHashes[taskId][task.winner], end);
    }

    /// @dev Draws a committee of verifiers that serve the model and have no stake in the outcome.
    ///      Returns false (changing nothing) if none is eligible.
    function _openReview(uint256 taskId, Task storage task, ReviewReason reason) private returns (bool) {
        uint256 k = task.redundancy;
        address[] memory exclude = new address[](k + 2);
        for (uint256 i; i < k; ++i) {
            exclude[i] = _seats[taskId][i].worker;
        }
        exclude[k] = task.requester;
        exclude[k + 1] = task.challenger;
        uint256 seed = uint256(keccak256(abi.encode(blockhash(block.number - 1), block.prevrandao, taskId, reason)));
        address[] memory committee = WORKERS.draw(_modelOf(task), Roles.VERIFY, seed, _params.committeeSize, exclude);
        uint256 size = committee.length;
        if (size == 0) {
            return false;
        }
        for (uint256 i; i < size; ++i) {
            _committees[taskId][i] = Member(committee[i], false, 0);
        }
        uint40 end = uint40(block.timestamp) + _params.voteWindow;
        task.status = TaskStatus.Reviewing;
        // forge-lint: disable-next-line(unsafe-typecast)
        task.committeeSize = uint8(size); // size ≤ committeeSize ≤ 7
        task.until = end;
        ++_counters.openReviews;
        emit ReviewOpened(taskId, reason, committee, end);
        return true;
    }

    /// @dev Applies the committee's votes: a revealed seat is accepted when a strict majority of the votes
    ///      cast accept it. With no votes nothing is proven: no result, no wrong-result slash. Members that
    ///      did not vote are slashed. A challenger whose target fell (or whose review was void) gets the bond back.
    function _resolve(uint256 taskId, Task storage task) private {
        uint256 k = task.redundancy;
        uint256 size = task.committeeSize;
        uint256[] memory accepts = new uint256[](k);
        uint256 votes;
        uint256 slashedToTreasury;
        for (uint256 i; i < size; ++i) {
            Member memory m = _committees[taskId][i];
            if (!m.voted) {
                slashedToTreasury += _penalize(taskId, m.verifier, task.fee, Fault.MissedVote);
                continue;
            }
            ++votes;
            for (uint256 j; j < k; ++j) {
                if (m.acceptMask & (1 << j) != 0) {
                    ++accepts[j];
                }
            }
        }
        uint8 proposed = task.winner;
        uint8 winner = NO_WINNER;
        uint8 acceptedMask;
        if (votes > 0) {
            for (uint256 j; j < k; ++j) {
                Seat storage s = _seats[taskId][j];
                if (s.state != SeatState.Revealed && s.state != SeatState.Faulty) {
                    continue; // never revealed: faulty at close whatever the votes say
                }
                if (accepts[j] * 2 > votes) {
                    s.state = SeatState.Accepted;
                    acceptedMask |= _bit(j);
                    if (winner == NO_WINNER) {
                        // forge-lint: disable-next-line(unsafe-typecast)
                        winner = uint8(j); // j < k ≤ 7
                    }
                } else {
                    s.state = SeatState.Faulty;
                }
            }
        }
        task.winner = winner;
        --_counters.openReviews;
        // forge-lint: disable-next-line(unsafe-typecast)
        emit ReviewResolved(taskId, acceptedMask, uint8(votes)); // votes ≤ 7

        address challenger = task.challenger;
        address slashBeneficiary;
        if (challenger != address(0)) {
            bool upheld = votes > 0 && _seats[taskId][proposed].state == SeatState.Faulty;
            if (upheld || votes == 0) {
                _credit(challenger, task.bond);
                task.bond = 0;
            }
            if (upheld) {
                slashBeneficiary = challenger;
            }
        }
        _credit(_params.treasury, slashedToTreasury);
        _close(taskId, task, slashBeneficiary);
    }

    /// @dev Finalizes: accepted seats gain reputation; faulty and silent seats are slashed and jailed.
    ///      Slashed stake goes to `beneficiary` (an upheld challenger) or the treasury.
    function _close(uint256 taskId, Task storage task, address beneficiary) private {
        task.status = TaskStatus.Finalized;
        uint256 k = task.redundancy;
        uint256 slashed;
        for (uint256 i; i < k; ++i) {
            Seat storage s = _seats[taskId][i];
            SeatState state = s.state;
            if (state == SeatState.Accepted) {
                WORKERS.recordOutcome(s.worker, true);
            } else if (state == SeatState.Faulty) {
                slashed += _penalize(taskId, s.worker, task.fee, Fault.WrongResult);
            } else if (state == SeatState.Assigned || state == SeatState.Committed) {
                s.state = SeatState.Faulty;
                slashed += _penalize(taskId, s.worker, task.fee, Fault.MissedResult);
            }
            // Revealed here means a void review: neither proven right nor wrong.
        }
        _credit(beneficiary == address(0) ? _params.treasury : beneficiary, slashed);
        emit TaskFinalized(taskId, task.winner == NO_WINNER ? bytes32(0) : _seatHashes[taskId][task.winner]);
    }

    /// @dev Slashes and jails one worker for a fault; returns what was taken (now held here).
    function _penalize(uint256 taskId, address worker, uint96 fee, Fault fault) private returns (uint256 taken) {
        uint256 amount = uint256(fee) * _params.slashFeeMultiple;
        if (amount < _params.minSlash) {
            amount = _params.minSlash;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        taken = WORKERS.slash(worker, amount > type(uint96).max ? type(uint96).max : uint96(amount)); // capped
        WORKERS.jail(worker, uint40(block.timestamp) + _params.jailDuration);
        WORKERS.recordOutcome(worker, false);
        // forge-lint: disable-next-line(unsafe-typecast)
        _counters.liabilities += uint128(taken); // taken < 2^96
        // forge-lint: disable-next-line(unsafe-typecast)
        emit WorkerSlashed(taskId, worker, uint96(taken), fault); // taken ≤ requested ≤ uint96 max
    }

    function _acceptRevealed(uint256 taskId, uint256 k) private {
        for (uint256 i; i < k; ++i) {
            Seat storage s = _seats[taskId][i];
            if (s.state == SeatState.Revealed) {
                s.state = SeatState.Accepted;
            }
        }
    }

    /// @dev Splits `pot` evenly among accepted seats; returns the amount credited.
    function _payAccepted(uint256 taskId, uint256 k, uint256 pot) private returns (uint256 paid) {
        uint256 accepted;
        for (uint256 i; i < k; ++i) {
            if (_seats[taskId][i].state == SeatState.Accepted) {
                ++accepted;
            }
        }
        uint256 share = pot / accepted; // a settled task with a winner has ≥ 1 accepted seat
        for (uint256 i; i < k; ++i) {
            Seat memory s = _seats[taskId][i];
            if (s.state == SeatState.Accepted) {
                _credit(s.worker, share);
                paid += share;
            }
        }
    }

    /// @dev Splits `pot` evenly among committee members whose vote matches the outcome; returns the amount credited.
    function _payCommittee(uint256 taskId, Task storage task, uint256 pot) private returns (uint256 paid) {
        uint256 k = task.redundancy;
        uint8 outcome;
        for (uint256 j; j < k; ++j) {
            if (_seats[taskId][j].state == SeatState.Accepted) {
                outcome |= _bit(j);
            }
        }
        uint256 size = task.committeeSize;
        uint256 agreeing;
        for (uint256 i; i < size; ++i) {
            Member memory m = _committees[taskId][i];
            if (m.voted && m.acceptMask == outcome) {
                ++agreeing;
            }
        }
        if (agreeing == 0) {
            return 0;
        }
        uint256 share = pot / agreeing;
        for (uint256 i; i < size; ++i) {
            Member memory m = _committees[taskId][i];
            if (m.voted && m.acceptMask == outcome) {
                _credit(m.verifier, share);
                paid += share;
            }
        }
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) {
            return;
        }
        _claimable[account] += amount;
        emit Credited(account, amount);
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    /// @dev Draws the compute workers of a task and decides its verification: the primary (first drawn)
    ///      worker's reputation feeds the policy. Returns exactly `decision.redundancy` workers.
    function _drawSeats(uint256 taskId, Task storage task, ReleaseTerms memory terms)
        private
        view
        returns (address[] memory workers, Decision memory decision)
    {
        PolicyInputs memory inputs = _policyInputs(terms, _valueOf(task), task.floor);
        // Draw as many workers as the least trusted primary could need: reputation only ever lowers k.
        uint256 most = VerificationPolicy.decide(inputs).redundancy;
        address[] memory exclude = new address[](1);
        exclude[0] = task.requester;
        // blockhash(createdBlock) did not exist when the requester signed; prevrandao is fresh per block.
        uint256 seed = uint256(keccak256(abi.encode(blockhash(task.createdBlock), block.prevrandao, taskId)));
        workers = WORKERS.draw(_modelOf(task), Roles.COMPUTE, seed, most, exclude);
        if (workers.length == 0) {
            revert InsufficientWorkers(taskId, 1, 0);
        }
        inputs.reputationBps = WORKERS.reputationBps(workers[0]);
        decision = VerificationPolicy.decide(inputs);
        uint256 k = decision.redundancy;
        if (workers.length < k) {
            revert InsufficientWorkers(taskId, k, workers.length);
        }
        // Keep the first k: shrink the array in place.
        assembly ("memory-safe") {
            mstore(workers, k)
        }
    }

    /// @dev The policy's inputs for a task, reputation still 0 (the least trusted case).
    function _policyInputs(ReleaseTerms memory terms, uint256 value, Tier floor)
        private
        view
        returns (PolicyInputs memory)
    {
        return PolicyInputs(value, uint8(terms.risk), floor, 0, pressureBps());
    }

    /// @dev k executions, plus one per committee seat for DEEP tasks, at the release's base price.
    function _price(uint96 basePrice, Decision memory decision) private view returns (uint96) {
        uint256 units = decision.redundancy;
        if (decision.tier == Tier.DEEP) {
            units += _params.committeeSize;
        }
        uint256 price = uint256(basePrice) * units;
        // forge-lint: disable-next-line(unsafe-typecast)
        return price > type(uint96).max ? type(uint96).max : uint96(price); // capped just above
    }

    function _challengeBond(uint96 fee) private view returns (uint96) {
        return fee > _params.minChallengeBond ? fee : _params.minChallengeBond;
    }

    /// @dev Whether reveals are open, and when they close. Reveals open once every seat committed (the
    ///      window then runs from the last commit) or once the commit deadline passed.
    function _revealPhase(Task storage task) private view returns (bool open, uint40 end) {
        if (task.commits == task.redundancy) {
            return (true, task.until);
        }
        return (block.timestamp >= task.until, task.until + _params.revealWindow);
    }

    function _seatOf(uint256 taskId, uint256 k, address worker) private view returns (uint256) {
        for (uint256 i; i < k; ++i) {
            if (_seats[taskId][i].worker == worker) {
                return i;
            }
        }
        revert NotAssigned(taskId, worker);
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

    function _bit(uint256 index) private pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint8(1 << index); // seat indexes are < 8
    }

    function _modelOf(Task storage task) private view returns (bytes32) {
        return _models[task.modelIndex - 1];
    }

    function _valueOf(Task storage task) private view returns (uint256) {
        return uint256(task.valueGwei) * 1 gwei;
    }

    /// @dev The model's index + 1 in `_models`, registering it on first use.
    function _indexOf(bytes32 modelId) private returns (uint32 index) {
        index = _modelIndex[modelId];
        if (index == 0) {
            _models.push(modelId);
            // forge-lint: disable-next-line(unsafe-typecast)
            index = uint32(_models.length); // 2^32 models is out of reach
            _modelIndex[modelId] = index;
        }
    }

    function _existing(uint256 taskId) private view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.status == TaskStatus.None) {
            revert UnknownTask(taskId);
        }
    }

    function _task(uint256 taskId, TaskStatus status) private view returns (Task storage task) {
        task = _existing(taskId);
        if (task.status != status) {
            revert WrongStatus(taskId, task.status);
        }
    }

    function _redundantTask(uint256 taskId) private view returns (Task storage task) {
        task = _task(taskId, TaskStatus.Assigned);
        if (task.tier == Tier.LIGHT) {
            revert WrongTier(taskId, task.tier);
        }
    }

    function _setParams(Params memory p) private {
        if (
            p.committeeSize == 0 || p.committeeSize > MAX_COMMITTEE || p.protocolFeeBps > 2_000
                || p.committeeShareBps > 5_000 || p.treasury == address(0) || p.challengeWindow == 0
                || p.revealWindow == 0 || p.voteWindow == 0
        ) {
            revert InvalidParams();
        }
        _params = p;
        emit ParamsChanged(p);
    }
}
