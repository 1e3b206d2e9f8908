// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {ModelId} from "../types/ModelTypes.sol";

/// @title SeatReleases
/// @notice The seats a `finalizeAndSettle` closes, summed per worker and model in memory and released in one
///         `IWorkerRegistry.releaseSeats` call, instead of a `closeSeat` or `unlock` call per seat.
/// @dev Releases commute with one another (each is capped at what is locked, so their sum is), but not with a
///      slash of the same worker, which caps the lock at the stake left: whoever slashes must `flush` first. A
///      `Pending` with no room (`none`) releases each seat at once, as the single calls do.
library SeatReleases {
    /// @notice Entries kept before a flush (a batch's seats fall on a handful of workers).
    uint256 internal constant CAPACITY = 16;

    /// @notice Releases not yet sent to the registry.
    struct Pending {
        /// @dev `CAPACITY` entries, the first `count` in use; none at all: release at once.
        IWorkerRegistry.SeatRelease[] items;
        /// @dev Entries in use.
        uint256 count;
    }

    /// @notice Pending releases that are summed until `flush`.
    function deferred() internal pure returns (Pending memory p) {
        p.items = new IWorkerRegistry.SeatRelease[](CAPACITY);
    }

    /// @notice Pending releases that are sent at once, seat by seat.
    function none() internal pure returns (Pending memory p) {}

    /// @notice Releases a seat's collateral and, if `accepted`, counts an accepted result for its worker.
    /// @param p The pending releases.
    /// @param workers The worker registry.
    /// @param worker The seat's worker.
    /// @param modelId The release its task ran.
    /// @param lock The collateral the seat locked.
    /// @param accepted Whether the seat earns an accepted result.
    function release(
        Pending memory p,
        IWorkerRegistry workers,
        address worker,
        ModelId modelId,
        uint96 lock,
        bool accepted
    ) internal {
        if (p.items.length == 0) {
            if (accepted) {
                workers.closeSeat(worker, modelId, lock, true);
            } else {
                workers.unlock(worker, lock);
            }
            return;
        }
        uint256 n = p.count;
        IWorkerRegistry.SeatRelease memory r;
        uint256 i;
        for (; i < n; ++i) {
            r = p.items[i];
            if (r.worker == worker && ModelId.unwrap(r.modelId) == ModelId.unwrap(modelId)) {
                break;
            }
        }
        if (i == n) {
            if (n == CAPACITY) {
                flush(p, workers);
                n = 0;
            }
            r = p.items[n];
            (r.worker, r.modelId, r.lock, r.accepted) = (worker, modelId, 0, 0);
            p.count = n + 1;
        }
        // Saturates: the registry caps a release at what is locked (< 2^96), so the sum releases the same.
        uint256 sum = uint256(r.lock) + lock;
        // forge-lint: disable-next-line(unsafe-typecast)
        r.lock = sum > type(uint96).max ? type(uint96).max : uint96(sum); // ≤ type(uint96).max
        if (accepted) {
            ++r.accepted;
        }
    }

    /// @notice Sends the pending releases to the registry in one call and empties them.
    /// @param p The pending releases.
    /// @param workers The worker registry.
    function flush(Pending memory p, IWorkerRegistry workers) internal {
        uint256 n = p.count;
        if (n == 0) {
            return;
        }
        IWorkerRegistry.SeatRelease[] memory items = p.items;
        uint256 capacity = items.length;
        assembly ("memory-safe") {
            mstore(items, n) // send only the entries in use
        }
        workers.releaseSeats(items);
        assembly ("memory-safe") {
            mstore(items, capacity) // the entries stay allocated for the next ones
        }
        p.count = 0;
    }
}
