// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPipeInference, PIPE_ADDRESS} from "./IPipeInference.sol";
import {ModelInferenceMode, ModelInferenceRequest, ModelInput, ModelOutput} from "./PipeTypes.sol";
import {Tensors} from "./Tensors.sol";

/// @title PipeConsumer
/// @notice Base for contracts that call models through PIPE.
/// @dev PIPE runs a transaction twice. In the simulation phase the precompile only records the request and
///      answers with placeholders (`is_simulation_result == true`); the simulation's state is thrown away.
///      In the execution phase the real answer, computed in between, is injected. A consumer should treat a
///      simulated answer as "not known yet" — return early rather than revert or branch on it — so the
///      simulation reaches every request the real execution will make. Requests that only appear once an
///      earlier answer is known are found by re-simulation, within a bounded number of rounds.
abstract contract PipeConsumer {
    /// @notice Runs a model through the PIPE precompile; a failure reverts with the precompile's reason
    ///         (`PipeUnknownModel`, `PipeMalformedTensor`, `PipeInferenceFailed`).
    /// @param mode The verification mode.
    /// @param modelCID The model (package id as hex).
    /// @param input The input.
    /// @return output The output; check `_simulated(output)` before acting on it.
    function _infer(ModelInferenceMode mode, string memory modelCID, ModelInput memory input)
        internal
        returns (ModelOutput memory output)
    {
        bytes memory call =
            abi.encodeCall(IPipeInference.runModelInference, (ModelInferenceRequest(mode, modelCID, input)));
        (bool ok, bytes memory result) = PIPE_ADDRESS.call(call);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result)) // bubble the precompile's reason up unchanged
            }
        }
        return Tensors.decodeOutput(result);
    }

    /// @notice Whether an output is PIPE's simulation placeholder.
    /// @param output The output.
    /// @return True during the simulation phase.
    function _simulated(ModelOutput memory output) internal pure returns (bool) {
        return output.is_simulation_result;
    }
}
