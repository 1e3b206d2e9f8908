// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {TaskSeats} from "../contracts/libraries/TaskSeats.sol";
import {EscrowState, Seat, Task} from "../contracts/types/EscrowTypes.sol";
import {TaskId} from "../contracts/types/TaskTypes.sol";

/// @dev Escrow storage with `TaskSeats` on it.
contract TaskSeatsHarness {
    EscrowState internal s;

    function create(TaskId taskId, uint88 fee) external {
        s.tasks[taskId].feeOrSeat = fee;
    }

    function place(TaskId taskId, address[] memory drawn, uint48 termsKey) external {
        Task storage task = s.tasks[taskId];
        // forge-lint: disable-next-line(unsafe-typecast)
        task.redundancy = uint8(drawn.length);
        TaskSeats.place(s, taskId, task, drawn, termsKey);
    }

    function setState(TaskId taskId, uint256 i, ITaskEscrow.SeatState state) external {
        TaskSeats.setState(s, taskId, s.tasks[taskId], i, state);
    }

    function seatOf(TaskId taskId, uint256 i) external view returns (Seat memory) {
        return TaskSeats.seatOf(s, taskId, s.tasks[taskId], i);
    }

    function stateOf(TaskId taskId, uint256 i) external view returns (ITaskEscrow.SeatState) {
        return TaskSeats.stateOf(s, taskId, s.tasks[taskId], i);
    }

    function termsKeyOf(TaskId taskId) external view returns (uint48) {
        return TaskSeats.termsKeyOf(s.tasks[taskId]);
    }

    function escrowedFee(TaskId taskId) external view returns (uint88) {
        return TaskSeats.escrowedFee(s.tasks[taskId]);
    }

    function workerCount() external view returns (uint32) {
        return s.workerCount;
    }
}

/// @notice `TaskSeats`: seat 0 kept in the task's word (worker index, state, terms key) once assigned, the escrowed
///         fee before; seats 1.. in their own slots.
contract TaskSeatsTest is Test {
    TaskSeatsHarness internal h;

    function setUp() public {
        h = new TaskSeatsHarness();
    }

    function _drawn(address a, address b, address c) internal pure returns (address[] memory drawn) {
        drawn = new address[](3);
        (drawn[0], drawn[1], drawn[2]) = (a, b, c);
    }

    function test_unassigned_readsTheEscrowedFeeAndNoSeat() public {
        TaskId t = TaskId.wrap(1);
        h.create(t, type(uint88).max);
        assertEq(h.escrowedFee(t), type(uint88).max);
        assertEq(h.termsKeyOf(t), 0, "no terms before assignment");
        assertEq(h.seatOf(t, 0).worker, address(0));
        assertEq(uint8(h.stateOf(t, 0)), uint8(ITaskEscrow.SeatState.Empty));
    }

    /// @notice Whatever the escrowed fee left in the word, a placed seat 0 reads back exactly — its worker, each
    ///         state it is set to, the terms key — and setting seat 0's state leaves the other seats alone.
    function testFuzz_seatZeroInTheWord_readsBackWhatWasPlaced(
        uint88 fee,
        address a,
        address b,
        address c,
        uint48 termsKey,
        uint8 rawState
    ) public {
        vm.assume(a != address(0) && b != address(0) && c != address(0));
        ITaskEscrow.SeatState state = ITaskEscrow.SeatState(bound(rawState, 1, 5));
        TaskId t = TaskId.wrap(7);
        h.create(t, fee);
        h.place(t, _drawn(a, b, c), termsKey);
        assertEq(h.escrowedFee(t), 0, "the fee charged is the terms' once assigned");
        assertEq(h.termsKeyOf(t), termsKey);
        for (uint256 i; i < 3; ++i) {
            assertEq(h.seatOf(t, i).worker, i == 0 ? a : i == 1 ? b : c);
            assertEq(uint8(h.stateOf(t, i)), uint8(ITaskEscrow.SeatState.Assigned));
        }
        h.setState(t, 0, state);
        assertEq(uint8(h.stateOf(t, 0)), uint8(state));
        assertEq(uint8(h.seatOf(t, 0).state), uint8(state));
        assertEq(h.seatOf(t, 0).worker, a, "the state leaves the worker");
        assertEq(h.termsKeyOf(t), termsKey, "and the terms key");
        assertEq(uint8(h.stateOf(t, 1)), uint8(ITaskEscrow.SeatState.Assigned), "and the other seats");
        h.setState(t, 2, ITaskEscrow.SeatState.Faulty);
        assertEq(uint8(h.stateOf(t, 0)), uint8(state), "another seat's state leaves seat 0's");
    }

    /// @notice A worker is indexed once, at its first seat 0, and keeps its index: tasks seated by many workers in
    ///         any order each name their own.
    function testFuzz_workerIndexes_areGivenOnceAndNeverConfused(uint8 rawOrder) public {
        address[4] memory workers = [address(0xA1), address(0xB2), address(0xC3), address(0xD4)];
        uint256 n = 12;
        address[] memory seated = new address[](n);
        for (uint256 i; i < n; ++i) {
            address w = workers[uint256(keccak256(abi.encode(rawOrder, i))) % 4];
            address[] memory drawn = new address[](1);
            drawn[0] = w;
            h.create(TaskId.wrap(i + 1), 1 ether);
            h.place(TaskId.wrap(i + 1), drawn, uint48(i + 1));
            seated[i] = w;
        }
        uint256 distinct;
        for (uint256 w; w < 4; ++w) {
            for (uint256 i; i < n; ++i) {
                if (seated[i] == workers[w]) {
                    ++distinct;
                    break;
                }
            }
        }
        assertEq(h.workerCount(), distinct, "one index per worker");
        for (uint256 i; i < n; ++i) {
            assertEq(h.seatOf(TaskId.wrap(i + 1), 0).worker, seated[i]);
            assertEq(h.termsKeyOf(TaskId.wrap(i + 1)), i + 1);
        }
    }
}
