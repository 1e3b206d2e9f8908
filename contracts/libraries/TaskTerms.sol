// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowState, SeatTerms} from "../types/EscrowTypes.sol";
import {TaskId} from "../types/TaskTypes.sol";

/// @title TaskTerms
/// @notice The assignment terms of tasks (each seat's collateral, the review reserve, the determinism class), kept
///         once for all the tasks that share them and named by seat 0's `termsKey`: an assignment writes its seat,
///         not a slot of terms that its batch already wrote.
/// @dev Terms are written once and never change, so a key read later always gives what its task was assigned with.
library TaskTerms {
    /// @notice The key of these terms, storing them under it the first time: the first 88 bits of their hash
    ///         (never 0, which names no terms), probed upward past a key that holds other terms.
    /// @param s The escrow's storage.
    /// @param seatLockGwei Each compute seat's collateral, gwei.
    /// @param reserveGwei The review reserve, gwei.
    /// @param determinism The model's determinism class.
    /// @return key The key that names exactly these terms.
    function intern(EscrowState storage s, uint64 seatLockGwei, uint64 reserveGwei, uint8 determinism)
        internal
        returns (uint88 key)
    {
        // forge-lint: disable-next-line(unsafe-typecast)
        key = uint88(uint256(keccak256(abi.encode(seatLockGwei, reserveGwei, determinism)))); // the first 88 bits
        while (true) {
            if (key == 0) {
                key = 1;
            }
            SeatTerms memory t = s.seatTerms[key];
            if (!t.set) {
                s.seatTerms[key] = SeatTerms(seatLockGwei, reserveGwei, determinism, true);
                return key;
            }
            if (t.seatLockGwei == seatLockGwei && t.reserveGwei == reserveGwei && t.determinism == determinism) {
                return key;
            }
            // Another's terms share these 88 bits: try the next key (wrapping past 2^88 − 1 to 1).
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
        return s.seatTerms[s.seats[taskId][0].termsKey];
    }
}
