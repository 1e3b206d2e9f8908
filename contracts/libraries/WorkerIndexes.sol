// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowState} from "../types/EscrowTypes.sol";

/// @title WorkerIndexes
/// @notice The escrow's own 32-bit index of each worker that held a compute seat 0 or a committee seat: 1, 2, … in
///         the order of their first seat, kept for good and never reused, so a stored index always names the worker it
///         was given. A task's word and a committee seat name their worker by it, which is what lets each fit one slot.
library WorkerIndexes {
    /// @notice The worker's index, given now if it has none (once in its life: two mapping slots and the counter).
    /// @param s The escrow's storage.
    /// @param worker The worker.
    /// @return index Its index (never 0).
    function indexOf(EscrowState storage s, address worker) internal returns (uint32 index) {
        index = s.workerIndex[worker];
        if (index == 0) {
            index = ++s.workerCount;
            s.workerIndex[worker] = index;
            s.workerAt[index] = worker;
        }
    }

    /// @notice The worker an index names.
    /// @param s The escrow's storage.
    /// @param index The index.
    /// @return The worker (zero for index 0 or one not given).
    function workerAt(EscrowState storage s, uint32 index) internal view returns (address) {
        return s.workerAt[index];
    }

    /// @notice The index of `worker`, 0 if it has none: no seat names 0, so it matches nothing.
    /// @param s The escrow's storage.
    /// @param worker The worker.
    /// @return Its index, or 0.
    function find(EscrowState storage s, address worker) internal view returns (uint32) {
        return s.workerIndex[worker];
    }
}
