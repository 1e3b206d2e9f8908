// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPipeInference} from "../../contracts/pipe/IPipeInference.sol";
import {ModelInferenceMode, ModelInferenceRequest, ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {RiskGate} from "../../contracts/pipe/examples/RiskGate.sol";
import {VolatilityFeeVault} from "../../contracts/pipe/examples/VolatilityFeeVault.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {PipeFixture} from "./PipeFixture.sol";

/// @notice The example PIPE dApps against the reference implementation etched at 0xF4.
contract PipeExamplesTest is PipeFixture {
    MockToken internal asset;
    VolatilityFeeVault internal vault;
    RiskGate internal gate;
    address internal user = makeAddr("user");

    function setUp() public override {
        super.setUp();
        asset = new MockToken();
        vault = new VolatilityFeeVault(asset, VOLATILITY);
        gate = new RiskGate(RISK, 200_000); // at most 20 % liquidation probability
        asset.mint(user, 1_000e18);
        vm.prank(user);
        asset.approve(address(vault), type(uint256).max);
    }

    // ─── VolatilityFeeVault ──────────────────────────────────────────────────────────────────────

    function test_deposit_pricesTheFeeFromTheForecastInTheSameTransaction() public {
        _answer(VOLATILITY, "volatility", 1_571_655, 8); // 1.57 % forecast daily volatility
        vm.expectEmit(address(vault));
        emit VolatilityFeeVault.Deposited(user, 100e18, 100e18 * 44 / 10_000, 1_571_655, 44);
        vm.prank(user);
        uint256 fee = vault.deposit(100e18, _numbers(16, 150, 4));
        assertEq(fee, 100e18 * 44 / 10_000, "5 bps + 157 bps / 4");
        assertEq(vault.balanceOf(user), 100e18 - fee);
        assertEq(asset.balanceOf(address(vault)), 100e18);
        assertEq(pipe.calls(), 1);
    }

    function test_deposit_feeRisesWithVolatilityUpToTheCap() public {
        _answer(VOLATILITY, "volatility", 5_000_000, 8); // 5 %
        vm.prank(user);
        uint256 stormy = vault.deposit(100e18, _numbers(16, 500, 4));
        assertEq(stormy, 100e18 * 130 / 10_000);
        assertEq(vault.feeFor(1e8), vault.MAX_FEE_BPS(), "100 % volatility hits the cap");
        assertEq(vault.feeFor(-1), vault.BASE_FEE_BPS());
    }

    function test_deposit_changesNothingInTheSimulationPhase() public {
        _answer(VOLATILITY, "volatility", 1_571_655, 8);
        pipe.setSimulation(true);
        vm.prank(user);
        assertEq(vault.deposit(100e18, _numbers(16, 150, 4)), 0);
        assertEq(vault.balanceOf(user), 0);
        assertEq(asset.balanceOf(address(vault)), 0);
        assertEq(pipe.calls(), 1, "the request was still made, so PIPE records it");
    }

    function test_deposit_revertsWithThePrecompileReasonForAnUnknownModel() public {
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(IPipeInference.PipeUnknownModel.selector, VOLATILITY));
        vault.deposit(1e18, _numbers(16, 150, 4));
    }

    function test_deposit_revertsIfTheWindowIsWrong() public {
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeeVault.WrongWindow.selector, 15));
        vault.deposit(1e18, _numbers(15, 150, 4));
    }

    function test_withdraw_paysOutAndRevertsIfShort() public {
        _answer(VOLATILITY, "volatility", 0, 8);
        vm.startPrank(user);
        vault.deposit(100e18, _numbers(16, 1, 4));
        uint256 balance = vault.balanceOf(user);
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeeVault.InsufficientBalance.selector, balance, balance + 1));
        vault.withdraw(balance + 1);
        vault.withdraw(balance);
        vm.stopPrank();
        assertEq(asset.balanceOf(user), 1_000e18 - 100e18 + balance);
        assertEq(vault.fees(), 100e18 - balance);
    }

    // ─── RiskGate ────────────────────────────────────────────────────────────────────────────────

    function test_openPosition_admitsALowRiskPosition() public {
        _answer(RISK, "risk", 31_250, 6); // 3.1 %
        vm.expectEmit(address(gate));
        emit RiskGate.PositionOpened(1, user, 31_250);
        vm.prank(user);
        uint256 id = gate.openPosition(300e18, 100e18, _numbers(8, 12, 1));
        assertEq(id, 1);
        RiskGate.Position memory p = gate.position(1);
        assertEq(p.owner, user);
        assertEq(p.risk, 31_250);
    }

    function test_openPosition_revertsIfTheModelFindsItTooRisky() public {
        _answer(RISK, "risk", 999_857, 6);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(RiskGate.RiskTooHigh.selector, int256(999_857), int256(200_000)));
        gate.openPosition(115e18, 100e18, _numbers(8, 12, 1));
        assertEq(gate.positionCount(), 0);
    }

    function test_openPosition_recordsNothingInTheSimulationPhase() public {
        _answer(RISK, "risk", 999_857, 6);
        pipe.setSimulation(true);
        vm.prank(user);
        assertEq(gate.openPosition(115e18, 100e18, _numbers(8, 12, 1)), 0, "no revert on placeholders");
        assertEq(gate.positionCount(), 0);
    }

    function test_openPosition_revertsOnAMalformedTensor() public {
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(RiskGate.WrongFeatures.selector, 7));
        gate.openPosition(1, 1, _numbers(7, 12, 1));
    }

    // ─── The reference implementation ────────────────────────────────────────────────────────────

    function test_reference_emitsTheInferenceEvent() public {
        _answer(RISK, "risk", 1, 6);
        vm.recordLogs();
        vm.prank(user);
        gate.openPosition(300e18, 100e18, _numbers(8, 12, 1));
        bytes32 topic = IPipeInference.ModelInferenceEvent.selector;
        assertEq(vm.getRecordedLogs()[0].topics[0], topic);
    }

    /// @notice The inference id is `keccak256(abi.encode(mode, modelCID, input))`; the Rust precompile's unit
    ///         test (`pipe-precompile/src/request.rs`) pins the same vector.
    function test_inferenceId_matchesTheRustPrecompile() public pure {
        TensorLib.Number[] memory values = new TensorLib.Number[](1);
        values[0] = TensorLib.Number(-5, 1);
        uint32[] memory shape = new uint32[](2);
        shape[0] = 1;
        shape[1] = 1;
        ModelInferenceRequest memory request;
        request.mode = ModelInferenceMode.TEE;
        request.modelCID = "verigrad/risk";
        request.input.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        request.input.numbers[0] = TensorLib.MultiDimensionalNumberTensor("x", values, shape);
        bytes32 id = keccak256(abi.encode(request.mode, request.modelCID, request.input));
        assertEq(id, 0x20f206d6f1de74379b859f0e19ee17fe09ea9ea4fcf38d7facbee39f0c0a7f6e);
    }

    function test_reference_revertsOnAMisshapenTensor() public {
        _answer(RISK, "risk", 1, 6);
        ModelInferenceRequest memory request;
        request.mode = ModelInferenceMode.VANILLA;
        request.modelCID = RISK;
        request.input.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        request.input.numbers[0].name = "features";
        request.input.numbers[0].values = _numbers(3, 1, 0);
        request.input.numbers[0].shape = new uint32[](1);
        request.input.numbers[0].shape[0] = 4;
        (bool ok, bytes memory reason) = address(pipe).call(abi.encodeCall(IPipeInference.runModelInference, (request)));
        assertFalse(ok);
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(reason), IPipeInference.PipeMalformedTensor.selector); // the selector: first 4 bytes
    }
}
