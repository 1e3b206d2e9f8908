// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {PipeConsumer} from "../PipeConsumer.sol";
import {ModelInferenceMode, ModelOutput, TensorLib} from "../PipeTypes.sol";
import {Tensors} from "../Tensors.sol";

/// @title VolatilityFeeVault
/// @notice Example PIPE dApp: a vault whose deposit fee follows the market's forecast volatility, computed
///         by the exact `verigrad/volatility` model inside the deposit transaction itself.
/// @dev fee (bps) = BASE_FEE_BPS + forecast volatility in bps / 4, at most MAX_FEE_BPS. Uses ZKML mode: the
///      model is EXACT, so every validator recomputes the forecast bit for bit.
contract VolatilityFeeVault is PipeConsumer {
    using SafeERC20 for IERC20;

    /// @notice Fee with no volatility, bps.
    uint256 public constant BASE_FEE_BPS = 5;
    /// @notice Highest fee, bps.
    uint256 public constant MAX_FEE_BPS = 300;
    /// @notice Log-returns the model reads.
    uint256 public constant WINDOW = 16;

    /// @notice The deposited asset.
    IERC20 public immutable ASSET;
    /// @notice The volatility model (package id as hex).
    string public modelCID;

    mapping(address account => uint256) private _balances;
    uint256 private _fees;

    /// @notice Emitted on every deposit with the forecast that priced it.
    /// @param account The depositor.
    /// @param amount Amount transferred in.
    /// @param fee Part kept as fee.
    /// @param volatility Forecast volatility, 8 decimals.
    /// @param feeBps The fee rate applied.
    event Deposited(address indexed account, uint256 amount, uint256 fee, int256 volatility, uint256 feeBps);

    /// @notice Emitted on a withdrawal.
    /// @param account The account.
    /// @param amount The amount.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Thrown by `deposit` if the window is not 16 returns.
    /// @param length The length given.
    error WrongWindow(uint256 length);

    /// @notice Thrown by `withdraw` if the balance is short.
    /// @param balance The balance.
    /// @param amount The amount asked for.
    error InsufficientBalance(uint256 balance, uint256 amount);

    /// @param asset The deposited asset.
    /// @param modelCID_ The volatility model's package id as hex.
    constructor(IERC20 asset, string memory modelCID_) {
        ASSET = asset;
        modelCID = modelCID_;
    }

    /// @notice Deposits `amount`, charging a fee priced by the forecast volatility of the given window.
    /// @param amount Amount to transfer in.
    /// @param recentReturns The last 16 log-returns of the market.
    /// @return fee The fee charged (0 in PIPE's simulation phase, which changes nothing).
    function deposit(uint256 amount, TensorLib.Number[] calldata recentReturns) external returns (uint256 fee) {
        if (recentReturns.length != WINDOW) {
            revert WrongWindow(recentReturns.length);
        }
        ModelOutput memory output =
            _infer(ModelInferenceMode.ZKML, modelCID, Tensors.single(Tensors.row("returns", recentReturns)));
        if (_simulated(output)) {
            return 0;
        }
        int256 volatility = Tensors.toFixed(Tensors.valueOf(output, "volatility", 0), 8);
        uint256 feeBps = feeFor(volatility);
        fee = amount * feeBps / 10_000;
        _balances[msg.sender] += amount - fee;
        _fees += fee;
        emit Deposited(msg.sender, amount, fee, volatility, feeBps);
        ASSET.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws from the caller's balance.
    /// @param amount The amount.
    function withdraw(uint256 amount) external {
        uint256 balance = _balances[msg.sender];
        if (balance < amount) {
            revert InsufficientBalance(balance, amount);
        }
        _balances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        ASSET.safeTransfer(msg.sender, amount);
    }

    /// @notice The fee rate for a forecast volatility.
    /// @param volatility Forecast volatility, 8 decimals.
    /// @return The fee, bps.
    function feeFor(int256 volatility) public pure returns (uint256) {
        if (volatility <= 0) {
            return BASE_FEE_BPS;
        }
        // 8 decimals → bps: divide by 1e4; then a quarter of it.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 fee = BASE_FEE_BPS + uint256(volatility) / 4e4; // volatility > 0 here
        return fee > MAX_FEE_BPS ? MAX_FEE_BPS : fee;
    }

    /// @notice A depositor's balance.
    /// @param account The account.
    /// @return The balance.
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @notice Fees collected.
    /// @return The fees.
    function fees() external view returns (uint256) {
        return _fees;
    }
}
