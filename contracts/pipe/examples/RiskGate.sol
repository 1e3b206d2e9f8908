// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PipeConsumer} from "../PipeConsumer.sol";
import {ModelInferenceMode, ModelOutput, TensorLib} from "../PipeTypes.sol";
import {Tensors} from "../Tensors.sol";

/// @title RiskGate
/// @notice Example PIPE dApp: opening a loan position is allowed only if the `verigrad/risk` model, run
///         inside the same transaction, scores its liquidation risk at most `maxRisk`.
/// @dev The risk model is TOLERANCE-class; TEE mode asks for a result backed by a staked worker quorum.
contract RiskGate is PipeConsumer {
    /// @notice Features the model reads.
    uint256 public constant FEATURES = 8;

    /// @notice The risk model (package id as hex).
    string public modelCID;
    /// @notice Highest acceptable liquidation probability, 6 decimals (e.g. 200000 = 20 %).
    int256 public immutable MAX_RISK;

    /// @notice A position as recorded.
    struct Position {
        address owner;
        uint96 collateral;
        uint96 debt;
        int64 risk;
    }

    Position[] private _positions;

    /// @notice Emitted when a position opens.
    /// @param id The position.
    /// @param owner Its owner.
    /// @param risk The model's liquidation probability, 6 decimals.
    event PositionOpened(uint256 indexed id, address indexed owner, int256 risk);

    /// @notice Thrown if the model scores the position above `MAX_RISK`.
    /// @param risk The score, 6 decimals.
    /// @param maxRisk The limit.
    error RiskTooHigh(int256 risk, int256 maxRisk);

    /// @notice Thrown if the feature vector is not 8 long.
    /// @param length The length given.
    error WrongFeatures(uint256 length);

    /// @param modelCID_ The risk model's package id as hex.
    /// @param maxRisk Highest acceptable probability, 6 decimals.
    constructor(string memory modelCID_, int256 maxRisk) {
        modelCID = modelCID_;
        MAX_RISK = maxRisk;
    }

    /// @notice Opens a position if the model finds it safe enough.
    /// @param collateral Collateral amount.
    /// @param debt Debt amount.
    /// @param features Collateral ratio, volatility, utilisation, log10 depth, age (years), past
    ///        liquidations, oracle deviation, leverage.
    /// @return id The position id (0 in PIPE's simulation phase, which records nothing).
    function openPosition(uint96 collateral, uint96 debt, TensorLib.Number[] calldata features)
        external
        returns (uint256 id)
    {
        if (features.length != FEATURES) {
            revert WrongFeatures(features.length);
        }
        ModelOutput memory output =
            _infer(ModelInferenceMode.TEE, modelCID, Tensors.single(Tensors.row("features", features)));
        if (_simulated(output)) {
            return 0;
        }
        int256 risk = Tensors.toFixed(Tensors.valueOf(output, "risk", 0), 6);
        if (risk > MAX_RISK) {
            revert RiskTooHigh(risk, MAX_RISK);
        }
        id = _positions.length + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        _positions.push(Position(msg.sender, collateral, debt, int64(risk))); // risk ≤ MAX_RISK, a probability
        emit PositionOpened(id, msg.sender, risk);
    }

    /// @notice A position.
    /// @param id The position id (from 1).
    /// @return The position.
    function position(uint256 id) external view returns (Position memory) {
        return _positions[id - 1];
    }

    /// @notice Number of positions opened.
    /// @return The count.
    function positionCount() external view returns (uint256) {
        return _positions.length;
    }
}
