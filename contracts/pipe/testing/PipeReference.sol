// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPipeInference} from "../IPipeInference.sol";
import {ModelInferenceRequest, ModelOutput} from "../PipeTypes.sol";
import {Tensors} from "../Tensors.sol";

/// @title PipeReference
/// @notice A Solidity stand-in for the PIPE precompile, for forge tests of PIPE consumers: etch its code at
///         `PIPE_ADDRESS` (`vm.etch(PIPE_ADDRESS, address(new PipeReference()).code)`), register the output
///         each model should give, and switch the simulation phase on or off.
/// @dev Mirrors the precompile's contract: unknown models and mis-shaped tensors revert with the same
///      errors, the simulation phase answers placeholders (zeros) with `is_simulation_result = true`, and
///      every answer emits `ModelInferenceEvent` with `inferenceID = keccak256(abi.encode(mode, modelCID,
///      input))` as hex. It does not run models: answers are what the test registered.
contract PipeReference is IPipeInference {
    mapping(bytes32 cid => bytes output) private _outputs;
    bool private _simulation;
    uint256 private _calls;

    /// @notice Registers the answer of a model.
    /// @param modelCID The model.
    /// @param encodedOutput `abi.encode(output)` of its answer to any input.
    function setOutput(string calldata modelCID, bytes calldata encodedOutput) external {
        _outputs[keccak256(bytes(modelCID))] = encodedOutput;
    }

    /// @notice Switches PIPE's simulation phase on or off.
    /// @param on Whether answers are placeholders.
    function setSimulation(bool on) external {
        _simulation = on;
    }

    /// @notice Number of inferences served.
    /// @return The count.
    function calls() external view returns (uint256) {
        return _calls;
    }

    /// @inheritdoc IPipeInference
    function runModelInference(ModelInferenceRequest memory request) external returns (ModelOutput memory out) {
        bytes memory encoded = _outputs[keccak256(bytes(request.modelCID))];
        if (encoded.length == 0) {
            revert PipeUnknownModel(request.modelCID);
        }
        for (uint256 i; i < request.input.numbers.length; ++i) {
            uint256 elements = 1;
            uint32[] memory shape = request.input.numbers[i].shape;
            for (uint256 d; d < shape.length; ++d) {
                elements *= shape[d];
            }
            if (elements != request.input.numbers[i].values.length) {
                revert PipeMalformedTensor(string.concat("tensor '", request.input.numbers[i].name, "' shape"));
            }
        }
        out = Tensors.decodeOutput(encoded);
        if (_simulation) {
            for (uint256 i; i < out.numbers.length; ++i) {
                for (uint256 j; j < out.numbers[i].values.length; ++j) {
                    out.numbers[i].values[j].value = 0;
                }
            }
            out.is_simulation_result = true;
        }
        ++_calls;
        bytes32 id = keccak256(abi.encode(request.mode, request.modelCID, request.input));
        emit ModelInferenceEvent(_hex(id), request, out);
    }

    function _hex(bytes32 value) private pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory out = new bytes(66);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < 32; ++i) {
            out[2 + 2 * i] = digits[uint8(value[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(value[i]) & 0x0f];
        }
        return string(out);
    }
}
