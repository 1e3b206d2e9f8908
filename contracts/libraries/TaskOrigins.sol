// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowState, Origin, Task} from "../types/EscrowTypes.sol";
import {TaskId} from "../types/TaskTypes.sol";

/// @title TaskOrigins
/// @notice What the tasks of one creation call share — requester, value, floor, creation block — kept once in an
///         `Origin` for up to `SPAN` consecutive tasks: a task of a batch writes one fresh slot at creation, not two.
/// @dev An origin is stored under the id of the first task it serves, and each task keeps how far back that is
///      (`Task.originOffset`). Origins are written once and never change.
library TaskOrigins {
    /// @notice How many consecutive tasks one origin serves: the offset is 8 bits.
    uint256 internal constant SPAN = 256;

    /// @notice A task's origin.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @return Its origin (all zero for an unknown task).
    function originOf(EscrowState storage s, TaskId taskId, Task storage task) internal view returns (Origin storage) {
        return s.origins[TaskId.wrap(TaskId.unwrap(taskId) - task.originOffset)];
    }

    /// @notice A task's requester.
    /// @param s The escrow's storage.
    /// @param taskId The task.
    /// @param task Its storage.
    /// @return The requester.
    function requesterOf(EscrowState storage s, TaskId taskId, Task storage task) internal view returns (address) {
        return originOf(s, taskId, task).requester;
    }
}
