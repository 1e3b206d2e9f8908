// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {EscrowState, Origin, Task} from "../types/EscrowTypes.sol";
import {ModelId, ReleaseTerms} from "../types/ModelTypes.sol";
import {Roles} from "../types/Roles.sol";
import {Decision, Deterrence, PolicyInputs, TaskId, TaskStatus, Tier} from "../types/TaskTypes.sol";
import {Anchors} from "./Anchors.sol";
import {TaskOrigins} from "./TaskOrigins.sol";
import {TaskPricing} from "./TaskPricing.sol";
import {TaskReview} from "./TaskReview.sol";
import {TaskSeats} from "./TaskSeats.sol";
import {TaskTerms} from "./TaskTerms.sol";

/// @title TaskAssign
/// @notice Assignment, as functions on the escrow's storage (see `ITaskEscrow.assign`, `assignTasks`): the seats are
///         drawn from the task's anchor, their collateral locked, and the tier and fee fixed. Linked (external
///         functions, run by delegatecall) so that TaskEscrow stays under the EIP-170 size limit.
/// @dev `assignTasks` reads once what every task of a call shares — the registry's epoch, the verification pressure
///      (no assignment changes either), each model's terms, the least trusted decision of like tasks (same model,
///      value and floor: a pure function of those and of the first two), each primary's reputation (only
///      finality changes it) — and runs every check of `assign` on each task.
library TaskAssign {
    /// @notice The `Anchors.seed` purpose of the seat draw (the audit roll's is `TaskReview.AUDIT_ROLL`).
    uint256 internal constant SEAT_DRAW = 0;

    /// @dev A primary worker as the tasks of one call alike in model, value and floor see it: its reputation, the
    ///      decision its reputation gives, the fee and review reserve, and (once stored) the key of the terms.
    struct Primary {
        address worker;
        uint16 reputation;
        Decision decision;
        uint256 fee;
        uint64 reserveGwei;
        uint48 termsKey;
    }

    /// @dev What the tasks of one call share, read once: the epoch and pressure, and for the last model and the
    ///      last (value, floor) seen, the terms and the least trusted decision, and the primaries drawn for them.
    struct Context {
        uint32 epochBlocks;
        uint16 pressureBps;
        uint32 modelIndex;
        bool decided;
        uint48 valueMilli;
        Tier floor;
        ModelId modelId;
        ReleaseTerms terms;
        PolicyInputs inputs;
        Deterrence deterrence;
        Decision first;
        uint256 lock;
        Primary[] primaries;
        uint256 known;
    }

    /// @dev Primaries remembered for alike tasks; past that, each is read and priced for every task.
    uint256 private constant KNOWN_PRIMARIES = 16;

    /// @notice Assigns one task (see `ITaskEscrow.assign`): reverts where the task cannot be assigned.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry.
    /// @param taskId The task, created and past its anchor.
    function assign(EscrowState storage s, IWorkerRegistry workers, IModelRegistry models, TaskId taskId) external {
        Task storage task = s.tasks[taskId];
        TaskStatus status = task.status;
        if (status == TaskStatus.None) {
            revert ITaskEscrow.UnknownTask(taskId);
        }
        if (status != TaskStatus.Created) {
            revert ITaskEscrow.WrongStatus(taskId, status);
        }
        if (block.timestamp >= task.until) {
            revert ITaskEscrow.PhaseClosed(taskId, task.until);
        }
        Context memory c = _context(s, workers);
        if (!TaskReview.drawReady(task, taskId, c.epochBlocks)) {
            return;
        }
        _assign(s, workers, models, c, taskId, task, true);
    }

    /// @notice Assigns each task that `assign` would assign now, skipping the others (see
    ///         `ITaskEscrow.assignTasks`).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry.
    /// @param taskIds The tasks.
    /// @return assigned Whether each task was assigned by this call.
    function assignTasks(
        EscrowState storage s,
        IWorkerRegistry workers,
        IModelRegistry models,
        TaskId[] calldata taskIds
    ) external returns (bool[] memory assigned) {
        uint256 n = taskIds.length;
        assigned = new bool[](n);
        Context memory c = _context(s, workers);
        for (uint256 i; i < n; ++i) {
            TaskId taskId = taskIds[i];
            Task storage task = s.tasks[taskId];
            // Taken by another keeper, unknown, or past its deadline (it can only time out now): skipped.
            if (task.status != TaskStatus.Created || block.timestamp >= task.until) {
                continue;
            }
            // Before its anchor nothing can be drawn yet; a stale anchor is re-anchored, as `assign` does.
            if (
                Anchors.drawPhase(task.anchor, c.epochBlocks) == Anchors.Phase.Pending
                    || !TaskReview.drawReady(task, taskId, c.epochBlocks)
            ) {
                continue;
            }
            assigned[i] = _assign(s, workers, models, c, taskId, task, false);
        }
    }

    /// @dev The epoch length and the verification pressure, which no assignment changes.
    function _context(EscrowState storage s, IWorkerRegistry workers) private view returns (Context memory c) {
        c.epochBlocks = workers.epochBlocks();
        c.pressureBps = TaskPricing.pressureBps(s, workers);
        c.primaries = new Primary[](KNOWN_PRIMARIES);
    }

    /// @dev Draws a task's seats, locking each seat's collateral, decides its verification (the primary's
    ///      reputation on the model feeds the policy) and charges its fee. Where the task cannot be assigned —
    ///      no worker can take the lock, fewer eligible workers than seats, the fee above its cap — `strict` reverts
    ///      (`InsufficientWorkers`, `PriceAboveMax`); otherwise it releases what it locked and returns false, leaving
    ///      the task as it was.
    function _assign(
        EscrowState storage s,
        IWorkerRegistry workers,
        IModelRegistry models,
        Context memory c,
        TaskId taskId,
        Task storage task,
        bool strict
    ) private returns (bool) {
        Origin memory origin = TaskOrigins.originOf(s, taskId, task);
        _decideFirst(s, models, c, task, origin);
        // Draw and lock as the least trusted primary would need: reputation only ever lowers k, and the final
        // decision raises its audit probability until the lock taken here deters.
        if (c.lock > uint256(type(uint64).max) * 1 gwei) {
            if (strict) {
                revert ITaskEscrow.InsufficientWorkers(taskId, c.first.redundancy, 0); // more than any stake recorded
            }
            return false;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 seatLock = uint96(c.lock); // < 2^64 gwei < 2^96 wei just above
        address[] memory drawn;
        {
            address[] memory exclude = new address[](1);
            exclude[0] = origin.requester;
            drawn = workers.drawAndLock(
                c.modelId,
                Roles.COMPUTE,
                Anchors.seed(task.anchor, taskId, SEAT_DRAW),
                c.first.redundancy,
                exclude,
                seatLock
            );
        }
        if (drawn.length == 0) {
            if (strict) {
                revert ITaskEscrow.InsufficientWorkers(taskId, 1, 0);
            }
            return false;
        }
        Primary memory primary = _primary(s, c, workers, drawn[0]);
        uint256 k = primary.decision.redundancy;
        if (drawn.length < k) {
            if (strict) {
                revert ITaskEscrow.InsufficientWorkers(taskId, k, drawn.length);
            }
            _release(workers, drawn, 0, seatLock);
            return false;
        }
        uint256 fee = primary.fee;
        uint96 maxFee = TaskSeats.escrowedFee(task);
        if (fee > maxFee) {
            if (strict) {
                revert ITaskEscrow.PriceAboveMax(taskId, fee, maxFee);
            }
            _release(workers, drawn, 0, seatLock);
            return false;
        }
        _release(workers, drawn, k, seatLock);
        // Keep the first k: shrink the array in place.
        assembly ("memory-safe") {
            mstore(drawn, k)
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        _seat(s, c, taskId, task, drawn, primary, uint96(fee)); // fee ≤ maxFee just above
        if (fee < maxFee) {
            TaskReview.credit(s, origin.requester, maxFee - fee);
        }
        return true;
    }

    /// @dev Records an assignment: the tier and seats, the shared terms (the fee charged among them); pays the review
    ///      reserve into the review fund (reviews are paid whatever their outcome).
    function _seat(
        EscrowState storage s,
        Context memory c,
        TaskId taskId,
        Task storage task,
        address[] memory drawn,
        Primary memory primary,
        uint96 price
    ) private {
        Decision memory decision = primary.decision;
        task.anchor = 0;
        task.status = TaskStatus.Assigned;
        task.tier = decision.tier;
        task.redundancy = decision.redundancy;
        task.auditBps = decision.auditBps;
        uint64 reserveGwei = primary.reserveGwei;
        s.reviewFund += uint256(reserveGwei) * 1 gwei;
        if (primary.termsKey == 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 lockGwei = uint64(c.lock / 1 gwei); // whole gwei, < 2^64 (checked in `_assign`)
            primary.termsKey = TaskTerms.intern(s, lockGwei, reserveGwei, uint8(c.terms.determinism), price);
        }
        TaskSeats.place(s, taskId, task, drawn, primary.termsKey);
        emit ITaskEscrow.TaskAssigned(taskId, drawn, decision.tier, decision.auditBps, price);
    }

    /// @dev Sets the terms and the least trusted decision of `task` (of this origin) in `c`, reading them only when
    ///      its model, value or floor differs from the last task's.
    function _decideFirst(
        EscrowState storage s,
        IModelRegistry models,
        Context memory c,
        Task storage task,
        Origin memory origin
    ) private view {
        uint32 modelIndex = task.modelIndex;
        if (modelIndex != c.modelIndex) {
            c.modelIndex = modelIndex;
            c.modelId = s.models[modelIndex - 1];
            c.terms = models.terms(c.modelId);
            c.decided = false;
        }
        uint48 valueMilli = origin.valueMilli;
        Tier floor = origin.floor;
        if (c.decided && valueMilli == c.valueMilli && floor == c.floor) {
            return;
        }
        uint256 value = uint256(valueMilli) * TaskPricing.MILLI;
        c.inputs = PolicyInputs(value, uint8(c.terms.risk), floor, 0, c.pressureBps);
        c.deterrence = TaskPricing.deterrence(s, c.terms, value);
        (c.first, c.lock) = TaskPricing.firstDecision(c.inputs, c.deterrence);
        (c.decided, c.valueMilli, c.floor) = (true, valueMilli, floor);
        c.known = 0; // primaries are priced for these tasks only
    }

    /// @dev The primary `worker` of a task alike to the context's: its reputation on the model (which only finality
    ///      changes), the decision it gives (the policy raises the audit probability until the lock taken deters), and
    ///      the fee at the base price (the load premium was paid at creation) with its review reserve. Read and priced
    ///      once per call for the first `KNOWN_PRIMARIES` primaries.
    function _primary(EscrowState storage s, Context memory c, IWorkerRegistry workers, address worker)
        private
        view
        returns (Primary memory p)
    {
        uint256 known = c.known;
        for (uint256 i; i < known; ++i) {
            if (c.primaries[i].worker == worker) {
                return c.primaries[i];
            }
        }
        p.worker = worker;
        p.reputation = workers.reputationBps(worker, c.modelId);
        c.inputs.reputationBps = p.reputation;
        p.decision = TaskPricing.finalDecision(c.inputs, c.deterrence, c.lock, c.first);
        (p.fee, p.reserveGwei) = TaskPricing.feeOf(s, c.terms.basePrice, c.terms.basePrice, p.decision);
        if (known < KNOWN_PRIMARIES) {
            c.primaries[known] = p;
            c.known = known + 1;
        }
    }

    /// @dev Releases the locks of `drawn[from:]`.
    function _release(IWorkerRegistry workers, address[] memory drawn, uint256 from, uint96 seatLock) private {
        for (uint256 i = from; i < drawn.length; ++i) {
            workers.unlock(drawn[i], seatLock);
        }
    }
}
