// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowState, SeatTerms, Task} from "../types/EscrowTypes.sol";
import {TaskId} from "../types/TaskTypes.sol";
import {TaskSeats} from "./TaskSeats.sol";

/// @title TaskTerms
/// @notice The assignment terms of tasks (each seat's collateral, the review reserve, the determinism class, the fee
///         charged), kept once for all the tasks that share them and named by a key in each task's word
///         (`TaskSeats`): an assignment writes no slot of terms that its batch already wrote.
/// @dev Terms are written once and never change, so a key read later always gives what its task was assigned with.
library TaskTerms {
    /// @notice The key of these terms, storing them under it the first time: the first 48 bits of their hash
    ///         (never 0, which names no terms), probed upward past a key that holds other terms.
    /// @param s The escrow's storage.
    /// @param seatLockGwei Each compute seat's collateral, gwei.
    /// @param reserveGwei The review reserve, gwei.
    /// @param determinism The model's determinism class.
    /// @param fee The fee charged, token wei.
    /// @return key The key that names exactly these terms.
    function intern(EscrowState storage s, uint64 seatLockGwei, uint64 reserveGwei, uint8 determinism, uint96 fee)
        internal
        returns (uint48 key)
    {
        // forge-lint: disable-next-line(unsafe-typecast)
        key = uint48(uint256(keccak256(abi.encode(seatLockGwei, reserveGwei, determinism, fee)))); // the first 48 bits
        while (true) {
            if (key == 0) {
                key = 1;
            }
            SeatTerms memory t = s.seatTerms[key];
            if (!t.set) {
                s.seatTerms[key] = SeatTerms(seatLockGwei, reserveGwei, determinism, true, fee);
                return key;
            }
            if (
                t.seatLockGwei == seatLockGwei && t.reserveGwei == reserveGwei && t.determinism == determinism
                    && t.fee == fee
            ) {
                return key;
            }
            // Another's terms share these 48 bits: try the next key (wrapping past 2^48 − 1 to 1).
            unchecked {
                ++key;
            }
        }
    }

    /// @notice A task's assignment terms (all zero before it is assigned).
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @return The terms.
    function termsOf(EscrowState storage s, TaskId taskId) internal view returns (SeatTerms memory) {
        return s.seatTerms[TaskSeats.termsKeyOf(s.tasks[taskId])];
    }

    /// @notice A task's fee: once assigned, what its terms charged; before, what was escrowed at creation.
    /// @param terms The task's terms (`termsOf`).
    /// @param task The task.
    /// @return The fee, token wei.
    function feeOf(SeatTerms memory terms, Task storage task) internal view returns (uint96) {
        return terms.set ? terms.fee : TaskSeats.escrowedFee(task);
    }

    /// @notice A task's fee, as `feeOf` with its terms read here.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @return The fee, token wei.
    function feeOf(EscrowState storage s, TaskId taskId, Task storage task) internal view returns (uint96) {
        return feeOf(termsOf(s, taskId), task);
    }
}
