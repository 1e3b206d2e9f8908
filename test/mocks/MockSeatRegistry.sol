// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";

/// @notice Records the seat releases it is sent, as the worker registry's `closeSeat`, `unlock` and `releaseSeats`.
contract MockSeatRegistry {
    /// @dev One release as received: a `releaseSeats` entry, or a single call (`accepted` 1 for `closeSeat`).
    struct Received {
        uint256 call;
        address worker;
        ModelId modelId;
        uint96 lock;
        uint32 accepted;
    }

    Received[] internal _received;
    uint256 public calls;

    function closeSeat(address worker, ModelId modelId, uint96 lock, bool ok) external {
        _received.push(Received(++calls, worker, modelId, lock, ok ? 1 : 0));
    }

    function unlock(address worker, uint96 amount) external {
        _received.push(Received(++calls, worker, ModelId.wrap(0), amount, 0));
    }

    function releaseSeats(IWorkerRegistry.SeatRelease[] calldata releases) external {
        uint256 call = ++calls;
        for (uint256 i; i < releases.length; ++i) {
            IWorkerRegistry.SeatRelease calldata r = releases[i];
            _received.push(Received(call, r.worker, r.modelId, r.lock, r.accepted));
        }
    }

    function received() external view returns (Received[] memory) {
        return _received;
    }
}
