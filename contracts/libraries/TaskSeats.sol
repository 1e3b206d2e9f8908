// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {EscrowState, Seat, Task} from "../types/EscrowTypes.sol";
import {TaskId} from "../types/TaskTypes.sol";
import {WorkerIndexes} from "./WorkerIndexes.sol";

/// @title TaskSeats
/// @notice A task's compute seats. Seat 0 lives in the task's own word: once a task is assigned, the 88 bits that held
///         the fee escrowed at creation (the fee charged is in the shared terms, the rest was refunded at assignment)
///         hold seat 0's worker, by a 32-bit index, its state and the task's terms key. A LIGHT task, whose only seat
///         is seat 0, writes no slot of its own at assignment. Seats 1.. of REDUNDANT and DEEP tasks have a slot each.
/// @dev `Task.feeOrSeat` is the escrowed fee while `redundancy` is 0 (before assignment) and, after,
///      `termsKey << 40 | workerIndex << 8 | state`, the index being the escrow's own (`WorkerIndexes`).
library TaskSeats {
    uint256 private constant STATE_BITS = 8;
    uint256 private constant INDEX_BITS = 32;
    uint256 private constant KEY_SHIFT = STATE_BITS + INDEX_BITS;

    /// @notice Whether the task's seats were drawn.
    /// @param task The task.
    /// @return True once assigned.
    function assigned(Task storage task) internal view returns (bool) {
        return task.redundancy != 0;
    }

    /// @notice The fee escrowed at creation, while the task is unassigned (zero after: it is the terms' then).
    /// @param task The task.
    /// @return The escrowed fee, token wei.
    function escrowedFee(Task storage task) internal view returns (uint88) {
        return assigned(task) ? 0 : task.feeOrSeat;
    }

    /// @notice The key of the task's assignment terms (0 before assignment: no terms).
    /// @param task The task.
    /// @return The key in `EscrowState.seatTerms`.
    function termsKeyOf(Task storage task) internal view returns (uint48) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return assigned(task) ? uint48(task.feeOrSeat >> KEY_SHIFT) : 0; // 88 − 40 = 48 bits
    }

    /// @notice Seat `i` of a task (zero for a seat that does not exist).
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @param i The seat index.
    /// @return The seat's worker and state.
    function seatOf(EscrowState storage s, TaskId taskId, Task storage task, uint256 i)
        internal
        view
        returns (Seat memory)
    {
        if (i != 0) {
            return s.seats[taskId][i];
        }
        if (!assigned(task)) {
            return Seat(address(0), ITaskEscrow.SeatState.Empty);
        }
        uint88 word = task.feeOrSeat;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 index = uint32(word >> STATE_BITS); // the next 32 bits
        // forge-lint: disable-next-line(unsafe-typecast)
        return Seat(WorkerIndexes.workerAt(s, index), ITaskEscrow.SeatState(uint8(word))); // low 8 bits: a state
    }

    /// @notice The worker of seat `i`.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @param i The seat index.
    /// @return The worker (zero for no seat).
    function workerOf(EscrowState storage s, TaskId taskId, Task storage task, uint256 i)
        internal
        view
        returns (address)
    {
        return seatOf(s, taskId, task, i).worker;
    }

    /// @notice The state of seat `i`.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @param i The seat index.
    /// @return The state (`Empty` for no seat).
    function stateOf(EscrowState storage s, TaskId taskId, Task storage task, uint256 i)
        internal
        view
        returns (ITaskEscrow.SeatState)
    {
        if (i != 0) {
            return s.seats[taskId][i].state;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        return assigned(task) ? ITaskEscrow.SeatState(uint8(task.feeOrSeat)) : ITaskEscrow.SeatState.Empty;
    }

    /// @notice Sets the state of an existing seat `i`.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @param i The seat index.
    /// @param state The new state.
    function setState(EscrowState storage s, TaskId taskId, Task storage task, uint256 i, ITaskEscrow.SeatState state)
        internal
    {
        if (i != 0) {
            s.seats[taskId][i].state = state;
            return;
        }
        task.feeOrSeat = (task.feeOrSeat & ~uint88(type(uint8).max)) | uint88(state);
    }

    /// @notice Seats the drawn workers, each `Assigned`, and names the task's terms. Call once `task.redundancy` is
    ///         set (the word reads as seat 0 from then on).
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @param drawn The workers, in seat order.
    /// @param termsKey The key of the task's terms (`TaskTerms.intern`).
    function place(EscrowState storage s, TaskId taskId, Task storage task, address[] memory drawn, uint48 termsKey)
        internal
    {
        task.feeOrSeat = uint88(termsKey) << KEY_SHIFT | uint88(WorkerIndexes.indexOf(s, drawn[0])) << STATE_BITS
            | uint88(ITaskEscrow.SeatState.Assigned);
        for (uint256 i = 1; i < drawn.length; ++i) {
            s.seats[taskId][i] = Seat(drawn[i], ITaskEscrow.SeatState.Assigned);
        }
    }
}
