// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IWorkerRegistry} from "../contracts/interfaces/IWorkerRegistry.sol";
import {SeatReleases} from "../contracts/libraries/SeatReleases.sol";
import {ModelId} from "../contracts/types/ModelTypes.sol";
import {MockSeatRegistry} from "./mocks/MockSeatRegistry.sol";

/// @notice `SeatReleases`: a `finalizeAndSettle`'s seat releases, summed per worker and model and sent together.
contract SeatReleasesTest is Test {
    ModelId internal constant MODEL = ModelId.wrap(keccak256("model-a"));
    ModelId internal constant OTHER_MODEL = ModelId.wrap(keccak256("model-b"));

    MockSeatRegistry internal registry;
    IWorkerRegistry internal workers;

    function setUp() public {
        registry = new MockSeatRegistry();
        workers = IWorkerRegistry(address(registry));
    }

    function _worker(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function test_release_sumsPerWorkerAndModelUntilFlushed() public {
        SeatReleases.Pending memory p = SeatReleases.deferred();
        SeatReleases.release(p, workers, _worker(1), MODEL, 10, true);
        SeatReleases.release(p, workers, _worker(2), MODEL, 7, false);
        SeatReleases.release(p, workers, _worker(1), MODEL, 5, false);
        SeatReleases.release(p, workers, _worker(1), OTHER_MODEL, 3, true);
        SeatReleases.release(p, workers, _worker(1), MODEL, 2, true);
        assertEq(registry.calls(), 0, "nothing sent before the flush");
        SeatReleases.flush(p, workers);
        SeatReleases.flush(p, workers); // empty: no call
        MockSeatRegistry.Received[] memory got = registry.received();
        assertEq(registry.calls(), 1, "one call");
        assertEq(got.length, 3, "one entry per worker and model");
        _assertEntry(got[0], 1, _worker(1), MODEL, 17, 2);
        _assertEntry(got[1], 1, _worker(2), MODEL, 7, 0);
        _assertEntry(got[2], 1, _worker(1), OTHER_MODEL, 3, 1);
    }

    /// @notice Past `CAPACITY` workers the entries are sent and the buffer starts again: nothing is lost or counted
    ///         twice.
    function test_release_flushesWhenFull() public {
        SeatReleases.Pending memory p = SeatReleases.deferred();
        uint256 n = SeatReleases.CAPACITY + 4;
        for (uint256 i; i < n; ++i) {
            SeatReleases.release(p, workers, _worker(i), MODEL, uint96(i + 1), true);
        }
        SeatReleases.release(p, workers, _worker(0), MODEL, 100, true); // sent already: a new entry
        SeatReleases.flush(p, workers);
        MockSeatRegistry.Received[] memory got = registry.received();
        assertEq(registry.calls(), 2);
        assertEq(got.length, n + 1);
        for (uint256 i; i < SeatReleases.CAPACITY; ++i) {
            _assertEntry(got[i], 1, _worker(i), MODEL, uint96(i + 1), 1);
        }
        for (uint256 i = SeatReleases.CAPACITY; i < n; ++i) {
            _assertEntry(got[i], 2, _worker(i), MODEL, uint96(i + 1), 1);
        }
        _assertEntry(got[n], 2, _worker(0), MODEL, 100, 1);
    }

    /// @notice A sum beyond 96 bits saturates: the registry caps a release at what is locked (below 2^96).
    function test_release_saturatesTheSummedLock() public {
        SeatReleases.Pending memory p = SeatReleases.deferred();
        SeatReleases.release(p, workers, _worker(1), MODEL, type(uint96).max, false);
        SeatReleases.release(p, workers, _worker(1), MODEL, 5, false);
        SeatReleases.flush(p, workers);
        _assertEntry(registry.received()[0], 1, _worker(1), MODEL, type(uint96).max, 0);
    }

    /// @notice With no buffer (`none`, a single `finalize`) each seat is released at once, as before.
    function test_release_withNoneReleasesEachSeatAtOnce() public {
        SeatReleases.Pending memory p = SeatReleases.none();
        SeatReleases.release(p, workers, _worker(1), MODEL, 10, true);
        SeatReleases.release(p, workers, _worker(1), MODEL, 4, false);
        SeatReleases.flush(p, workers); // nothing pending
        MockSeatRegistry.Received[] memory got = registry.received();
        assertEq(registry.calls(), 2, "closeSeat, then unlock");
        _assertEntry(got[0], 1, _worker(1), MODEL, 10, 1);
        _assertEntry(got[1], 2, _worker(1), ModelId.wrap(0), 4, 0);
    }

    function _assertEntry(
        MockSeatRegistry.Received memory r,
        uint256 call,
        address worker,
        ModelId modelId,
        uint96 lock,
        uint32 accepted
    ) internal pure {
        assertEq(r.call, call, "call");
        assertEq(r.worker, worker, "worker");
        assertEq(ModelId.unwrap(r.modelId), ModelId.unwrap(modelId), "model");
        assertEq(r.lock, lock, "lock");
        assertEq(r.accepted, accepted, "accepted");
    }
}
