// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {SettlementFixture} from "../pipe/SettlementFixture.sol";

/// @notice Gas of PIPE billing, written to `snapshots/PipeSettlementGas.json` by `vm.snapshotGasLastCall`: what
///         the node's end-of-block `settle` costs per charge (the node sizes its system call's gas by it), and the
///         payers' and payees' own calls. `setUp` settles one block first, so each measured call meets accounts
///         that already hold a balance or a credit, as all but the first block do.
/// @dev Execution gas only (no 21k intrinsic cost; the system call pays none); each test starts cold.
contract PipeSettlementGasTest is SettlementFixture {
    string internal constant GROUP = "PipeSettlementGas";

    address[] internal workers;

    function setUp() public override {
        super.setUp();
        workers = _workers(3);
        _deposit(dapp, 100e18);
        _settle(_one(_riskCall(workers)));
    }

    function test_gas_settleOneChargeOneWorker() public {
        _measureSettle(1, 1, "settle: 1 charge, 1 worker");
    }

    function test_gas_settleOneChargeThreeWorkers() public {
        _measureSettle(1, 3, "settle: 1 charge, 3 workers");
    }

    function test_gas_settleTenChargesThreeWorkers() public {
        _measureSettle(10, 3, "settle: 10 charges, 3 workers");
    }

    function test_gas_settleOneWithdrawal() public {
        _requestWithdrawal(dapp, 1e18);
        _settle(_none());
        vm.snapshotGasLastCall(GROUP, "settle: 1 withdrawal, no charge");
    }

    function test_gas_deposit() public {
        _deposit(dapp, 1e18);
        vm.snapshotGasLastCall(GROUP, "deposit");
    }

    function test_gas_requestWithdrawal() public {
        _requestWithdrawal(dapp, 1e18);
        vm.snapshotGasLastCall(GROUP, "requestWithdrawal");
    }

    function test_gas_claim() public {
        vm.prank(workers[0]);
        settlement.claim();
        vm.snapshotGasLastCall(GROUP, "claim");
    }

    /// @dev Settles `charges` calls of the dApp, each answered by the first `count` workers.
    function _measureSettle(uint256 charges, uint256 count, string memory name) internal {
        address[] memory answered = new address[](count);
        for (uint256 i; i < count; ++i) {
            answered[i] = workers[i];
        }
        IPipeSettlement.Charge[] memory list = new IPipeSettlement.Charge[](charges);
        for (uint256 i; i < charges; ++i) {
            list[i] = _riskCall(answered);
        }
        _settle(list);
        vm.snapshotGasLastCall(GROUP, name);
    }
}
