// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {ModelId} from "../types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "./TaskTypes.sol";

/// @notice A task as stored: four slots; `getTask` presents it with its `Origin` as an `ITaskEscrow.TaskView`.
/// @dev Slot 0: the lifecycle word, fields as in `TaskView`, except that the fee escrowed at creation is kept in 88
///      bits (`createTask` refuses a larger cap) until assignment, when those bits take seat 0 (`TaskSeats`), the deadline in 32 bits (seconds, to 2106), the model as an index
///      into `EscrowState.models`, and what the tasks of one creation call share — requester, value, floor, creation
///      block — in their `Origin`, `originOffset` task ids back. `createTask` writes only slot 0 (and the origin once
///      per call). Slot 1: challenger | bond, written only by `challenge`. Slot 2, written only by reviews: the
///      collateral each committee member locked (in gwei), fixed when they were drawn, the current committee's vote
///      counts, the appeal's stage, the appeal committee's size and the first committee's size. Slot 3: appellant |
///      appeal bond, written only by `appeal`. What assignment fixes besides slot 0 — each compute seat's collateral,
///      the review reserve, the model's determinism class and the fee charged — is kept once for every task that
///      shares it (`SeatTerms`), named by the key in seat 0: a LIGHT task writes no slot of its own at assignment.
struct Task {
    /// @dev The fee escrowed at creation until assigned; then seat 0 (`TaskSeats`).
    uint88 feeOrSeat;
    uint32 until;
    uint32 anchor;
    uint32 modelIndex;
    TaskStatus status;
    Tier tier;
    uint8 redundancy;
    uint8 commits;
    uint8 reveals;
    uint16 auditBps;
    uint8 winner;
    uint8 originOffset;
    address challenger;
    uint96 bond;
    uint64 memberLockGwei;
    uint8 voteCommits;
    uint8 voteReveals;
    ITaskEscrow.AppealStage appeal;
    uint8 appealSize;
    uint8 committeeSize;
    address appellant;
    uint96 appealBond;
}

/// @notice What the tasks of one creation call share, written once for up to `TaskOrigins.SPAN` of them: one slot,
///         never changed. The value is kept in whole milli-tokens, rounded up (the policy counts in units of 0.01
///         token; rounding up never lowers verification or collateral).
struct Origin {
    address requester;
    uint48 valueMilli;
    uint32 createdBlock;
    Tier floor;
}

/// @notice Task counters, packed in one slot.
struct Counters {
    uint64 tasks;
    uint64 openReviews;
    uint128 liabilities;
}

/// @notice A compute seat: its worker and state. Seat 0 is kept in the task's word, the others a slot each
///         (`TaskSeats`).
struct Seat {
    address worker;
    ITaskEscrow.SeatState state;
}

/// @notice What assignment fixes for a task besides its lifecycle word and seats, stored once for every task that shares it
///         (a batch of like tasks shares one, or a few by the primaries' reputations): one slot, written once.
/// @dev Keyed by the first 48 bits of `keccak256(abi.encode(seatLockGwei, reserveGwei, determinism, fee))`, probed
///      upward past a key held by other terms (`TaskTerms.intern`), so a key always names the terms it was given.
struct SeatTerms {
    /// @notice The collateral each compute seat locked, in gwei.
    uint64 seatLockGwei;
    /// @notice The review reserve paid into the review fund at assignment, in gwei.
    uint64 reserveGwei;
    /// @notice The model's determinism class at assignment.
    uint8 determinism;
    /// @notice Whether this key is taken.
    bool set;
    /// @notice The fee charged at assignment (token wei; the task's own `fee` keeps what was escrowed at creation).
    uint96 fee;
}

/// @notice A committee seat: one slot, its vote commitment included.
/// @dev The verifier is named by its escrow index (`WorkerIndexes`), which leaves 208 bits for the commitment: its first
///      26 bytes. Changing a committed vote would take two openings that agree in those 208 bits, about 2^104 hashes.
struct Member {
    uint32 verifierIndex;
    ITaskEscrow.VoteState state;
    uint8 acceptMask;
    bytes26 voteHash;
}

/// @notice Everything the escrow stores, in one struct so that its libraries can work on it.
struct EscrowState {
    ITaskEscrow.Params params;
    Counters counters;
    /// @dev Model ids by index + 1; a task stores the 32-bit index instead of the 32-byte id.
    ModelId[] models;
    mapping(ModelId modelId => uint32 indexPlusOne) modelIndex;
    mapping(TaskId taskId => Task) tasks;
    /// @dev Seats 1.. (seat 0 is in the task's word).
    mapping(TaskId taskId => mapping(uint256 index => Seat)) seats;
    /// @dev A seat's commitment, then its output hash once revealed.
    mapping(TaskId taskId => mapping(uint256 index => bytes32)) seatHashes;
    /// @dev The first committee at 0..6, an appeal's at `TaskReview.APPEAL_BASE` (8) on.
    mapping(TaskId taskId => mapping(uint256 index => Member)) committees;
    mapping(address account => uint256) claimable;
    /// @dev Review reserves paid in at assignment, less review pay paid out; part of the liabilities.
    uint256 reviewFund;
    /// @dev Assignment terms shared by tasks, by the key each task's word names.
    mapping(uint48 key => SeatTerms) seatTerms;
    /// @dev What the tasks of a creation call share, by the id of the first task it serves.
    mapping(TaskId firstTaskId => Origin) origins;
    /// @dev The escrow's index of each worker that held a compute seat 0 or a committee seat, and its inverse
    ///      (`WorkerIndexes`).
    mapping(address worker => uint32 index) workerIndex;
    mapping(uint32 index => address worker) workerAt;
    uint32 workerCount;
}
