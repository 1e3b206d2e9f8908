// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelInferenceRequest, ModelOutput} from "./PipeTypes.sol";

/// @dev Address of the PIPE precompile.
address constant PIPE_ADDRESS = 0x00000000000000000000000000000000000000F4;

/// @title IPipeInference
/// @notice The PIPE precompile: run a model inside a transaction and get the answer in that transaction.
/// @dev The answer was computed before the block was built (pre-execution) and is committed in the block's
///      PIPE root. ABI-compatible with OpenGradient's SolidML `runModelInference` (selector 0x7289e9c2).
interface IPipeInference {
    /// @notice Emitted for every inference served.
    /// @param inferenceID Hex id of the request: keccak-256 of (mode, modelCID, input).
    /// @param request The request.
    /// @param response The output.
    event ModelInferenceEvent(string inferenceID, ModelInferenceRequest request, ModelOutput response);

    /// @notice Thrown if no model answers to `modelCID`.
    /// @param modelCID The model asked for.
    error PipeUnknownModel(string modelCID);

    /// @notice Thrown if an input tensor is missing, mis-shaped, or out of the model's range.
    /// @param reason What is wrong.
    error PipeMalformedTensor(string reason);

    /// @notice Thrown if the model failed or timed out, or a mode's requirement is not met.
    /// @param reason What happened.
    error PipeInferenceFailed(string reason);

    /// @notice Thrown if the calling contract's prepaid balance in the PIPE settlement contract
    ///         (`IPipeSettlement.available`, less what this block has already charged it) cannot pay the release's
    ///         price. Top it up with `IPipeSettlement.deposit`.
    /// @param payer The calling contract.
    /// @param price The release's price, token wei.
    /// @param available What the payer has left to spend in this block, token wei.
    error PipeInsufficientBalance(address payer, uint256 price, uint256 available);

    /// @notice Runs a model.
    /// @dev Reverts with a reason for an unknown model, a malformed tensor, an inference error or timeout,
    ///      a caller that cannot pay the release's price, or out of gas. Gas: a base cost, plus a cost per input
    ///      element, plus the model's cost units. The price is charged to the caller's prepaid balance at the end
    ///      of the block, even if the calling transaction reverts (see IPipeSettlement).
    /// @param request The mode, model and input.
    /// @return The model's output.
    function runModelInference(ModelInferenceRequest memory request) external returns (ModelOutput memory);
}
