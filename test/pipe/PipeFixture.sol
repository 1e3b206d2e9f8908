// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {PIPE_ADDRESS} from "../../contracts/pipe/IPipeInference.sol";
import {ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {Tensors} from "../../contracts/pipe/Tensors.sol";
import {PipeReference} from "../../contracts/pipe/testing/PipeReference.sol";

/// @notice Etches the PIPE reference implementation at 0xF4 and builds model outputs.
abstract contract PipeFixture is Test {
    /// @dev The package ids of the shipped models (models/*/manifest.json; see inference/tests/it).
    string internal constant VOLATILITY = "0x648ee22ace40e4c738072a7948bcf78afcfd8e9037dac481078bb9a35c79abc7";
    string internal constant RISK = "0x4b861a6b19eade6edd3c36a6c0451f0f192ef9d16c75ff0f6afab2e1c56cc031";

    PipeReference internal pipe = PipeReference(PIPE_ADDRESS);

    function setUp() public virtual {
        vm.etch(PIPE_ADDRESS, address(new PipeReference()).code);
    }

    /// @dev Registers a one-number output tensor as the model's answer.
    function _answer(string memory modelCID, string memory name, int128 value, int128 decimals) internal {
        TensorLib.Number[] memory values = new TensorLib.Number[](1);
        values[0] = Tensors.number(value, decimals);
        ModelOutput memory out;
        out.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        out.numbers[0] = Tensors.row(name, values);
        pipe.setOutput(modelCID, abi.encode(out));
    }

    function _numbers(uint256 n, int128 value, int128 decimals) internal pure returns (TensorLib.Number[] memory xs) {
        xs = new TensorLib.Number[](n);
        for (uint256 i; i < n; ++i) {
            xs[i] = TensorLib.Number(i % 2 == 0 ? value : -value, decimals);
        }
    }
}
