// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PipeConsumer} from "../../contracts/pipe/PipeConsumer.sol";
import {ModelInferenceMode, ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {Tensors} from "../../contracts/pipe/Tensors.sol";

/// @notice A consumer whose second request depends on its first answer: it forecasts volatility, then
///         scores a position with that forecast as a feature. PIPE discovers the second request only by
///         re-simulating once the first answer is known. Used by the engine's Rust tests.
contract ChainedConsumer is PipeConsumer {
    string public volatilityModel;
    string public riskModel;
    int256 public lastRisk;

    event Scored(int256 volatility, int256 risk);

    constructor(string memory volatilityModel_, string memory riskModel_) {
        volatilityModel = volatilityModel_;
        riskModel = riskModel_;
    }

    function score(TensorLib.Number[] calldata returns_) external returns (int256 risk) {
        ModelOutput memory forecast =
            _infer(ModelInferenceMode.VANILLA, volatilityModel, Tensors.single(Tensors.row("returns", returns_)));
        if (_simulated(forecast)) {
            return 0;
        }
        TensorLib.Number memory volatility = Tensors.valueOf(forecast, "volatility", 0);
        TensorLib.Number[] memory features = new TensorLib.Number[](8);
        features[0] = Tensors.number(150, 2);
        features[1] = Tensors.number(volatility.value * 16, volatility.decimals); // daily → ~annual
        features[2] = Tensors.number(60, 2);
        features[3] = Tensors.number(55, 1);
        features[4] = Tensors.number(10, 1);
        features[5] = Tensors.number(0, 0);
        features[6] = Tensors.number(5, 3);
        features[7] = Tensors.number(3, 0);
        ModelOutput memory scored =
            _infer(ModelInferenceMode.VANILLA, riskModel, Tensors.single(Tensors.row("features", features)));
        if (_simulated(scored)) {
            return 0;
        }
        risk = Tensors.toFixed(Tensors.valueOf(scored, "risk", 0), 6);
        lastRisk = risk;
        emit Scored(Tensors.toFixed(volatility, 8), risk);
    }
}
