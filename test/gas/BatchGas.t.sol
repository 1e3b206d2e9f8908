// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {TaskId, Tier} from "../../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "../utils/EscrowFixture.sol";

/// @notice Amortised gas of a LIGHT task run through its lifecycle in batches of n, as the bench's parties send
///         them: the requester's `createTasks`, a keeper's `assignTasks`, each worker's `submitResults` (one
///         transaction per worker, a block apart), and a keeper's `finalizeAndSettle`.
/// @dev Run with `--isolate` (scripts/gas-report) so every transaction pays its 21k intrinsic gas, calldata and
///      cold accesses: the "per task" figure is everything the chain charges, divided by n.
contract BatchGasTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;

    uint256 internal total;

    function setUp() public override {
        super.setUp();
        _run(20, "warmup");
        assertTrue(_seatedEveryWorker(1, 20), "every worker seated once"); // indexed: the steady state
    }

    function _ids(uint256 first, uint256 n) internal pure returns (TaskId[] memory ids) {
        ids = new TaskId[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = TaskId.wrap(first + i);
        }
    }

    function _run(uint256 n, string memory group) internal returns (uint256) {
        total = 0;
        uint256 first = escrow.taskCount() + 1;
        bytes32[] memory inputs = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            inputs[i] = keccak256(abi.encode(i));
        }
        vm.prank(requester);
        escrow.createTasks(exactModel, inputs, VALUE, Tier.LIGHT, uint40(block.timestamp + 1 hours), 2 * PRICE);
        total += vm.snapshotGasLastCall(group, "1 createTasks");
        TaskId[] memory ids = _ids(first, n);
        _pastAnchor(ids[0]);
        escrow.assignTasks(ids);
        total += vm.snapshotGasLastCall(group, "2 assign");
        uint256 submitted;
        for (uint256 w; w < computeWorkers.length; ++w) {
            address worker = computeWorkers[w];
            uint256 count;
            for (uint256 i; i < n; ++i) {
                if (_worker(ids[i], 0) == worker) {
                    ++count;
                }
            }
            if (count == 0) {
                continue;
            }
            bytes32[] memory outputs = new bytes32[](count);
            TaskId[] memory mineIds = new TaskId[](count);
            uint256 j;
            for (uint256 i; i < n; ++i) {
                if (_worker(ids[i], 0) == worker) {
                    mineIds[j] = ids[i];
                    outputs[j++] = good;
                }
            }
            vm.prank(worker);
            escrow.submitResults(mineIds, outputs);
            submitted += vm.snapshotGasLastCall(group, string.concat("3 answers of worker ", vm.toString(w)));
            _missAudits(mineIds);
            vm.roll(block.number + 1);
        }
        total += submitted;
        _passChallengeWindow(ids[n - 1]);
        escrow.finalizeAndSettle(ids);
        total += vm.snapshotGasLastCall(group, "4 finalize + settle");
        vm.snapshotValue(group, "total", total);
        vm.snapshotValue(group, "per task", total / n);
        return total / n;
    }

    /// @dev Sets the hash of the (shared) audit anchor of `ids` so that every lottery misses.
    function _missAudits(TaskId[] memory ids) internal {
        ITaskEscrow.TaskView memory t = escrow.getTask(ids[0]);
        vm.roll(t.anchor + 1);
        for (uint256 r = 1;; ++r) {
            bool allMiss = true;
            for (uint256 i; i < ids.length && allMiss; ++i) {
                uint256 roll = uint256(keccak256(abi.encode(bytes32(r), ids[i], uint256(1)))) % 10_000;
                allMiss = roll >= escrow.getTask(ids[i]).auditBps;
            }
            if (allMiss) {
                vm.setBlockhash(t.anchor, bytes32(r));
                return;
            }
        }
    }

    function test_gas_batch1() public {
        _run(1, _group("1"));
    }

    function test_gas_batch10() public {
        _run(10, _group("10"));
    }

    function test_gas_batch50() public {
        _run(50, _group("50"));
    }

    function test_gas_batch100() public {
        _run(100, _group("100"));
    }

    /// @dev As in LifecycleGas: scripts/gas-report sets VERIGRAD_GAS_ISOLATED=1 with `--isolate`.
    function _group(string memory n) internal view returns (string memory) {
        return string.concat("batch-", n, vm.envOr("VERIGRAD_GAS_ISOLATED", false) ? "-isolated" : "");
    }
}
