// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IPipeDisputes} from "../interfaces/IPipeDisputes.sol";
import {IPipeSettlement} from "../interfaces/IPipeSettlement.sol";
import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {FeeSplit} from "../libraries/FeeSplit.sol";
import {DeterminismClass, ModelId} from "../types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../types/TaskTypes.sol";
import {ModelOutput} from "./PipeTypes.sol";
import {Tensors} from "./Tensors.sol";

/// @title PipeDisputes
/// @notice Disputes of signed PIPE answers, re-executed by the task market's committee process. See IPipeDisputes.
/// @dev Holds SLASHER_ROLE on the worker registry. Tokens enter by `dispute` (the bond; the fee passes straight on
///      to the escrow), by the escrow's refunds of a dispute's fee (pulled in `resolve`) and by slashes; they leave
///      only by `claim`. `_liabilities` changes exactly where tokens move, so the token balance always equals it.
contract PipeDisputes is IPipeDisputes {
    using SafeERC20 for IERC20;

    /// @notice The network token: bonds, fees, slashes.
    IERC20 public immutable TOKEN;
    /// @notice The task market whose DEEP tasks re-execute disputed requests.
    ITaskEscrow public immutable ESCROW;
    /// @notice Slashes and jails wrong signers.
    IWorkerRegistry public immutable WORKERS;
    /// @notice Each release's determinism class and tolerance.
    IModelRegistry public immutable MODELS;
    /// @notice Recovers the signers of PIPE answers (its EIP-712 domain is the one workers sign in).
    IPipeSettlement public immutable SETTLEMENT;

    /// @dev The parameters (see the interface's getters of the same names).
    uint96 private immutable _DISPUTE_BOND;
    uint96 private immutable _SLASH_AMOUNT;
    uint40 private immutable _TASK_TIME;

    /// @dev Disputes by id, 1-based.
    mapping(uint256 disputeId => Dispute) private _disputes;
    uint256 private _count;
    /// @dev Signed answers slashed already, by `_answerKey`.
    mapping(bytes32 answer => bool) private _slashed;
    mapping(address account => uint256) private _claimable;
    /// @dev Tokens owed: open bonds + Σ claimable + `_unattributed`.
    uint256 private _liabilities;
    /// @dev Escrow refunds pulled in but not yet credited to their dispute's disputer (another dispute's `resolve`
    ///      may claim a refund the escrow credited at an earlier assignment).
    uint256 private _unattributed;

    /// @param token The network token.
    /// @param escrow The task market.
    /// @param workers The worker registry (this contract needs its SLASHER_ROLE).
    /// @param models The model registry.
    /// @param settlement PIPE billing, whose domain answers are signed in.
    /// @param disputeBond_ The bond a dispute posts.
    /// @param slashAmount_ What an upheld dispute slashes (≥ the escrow's `minSlash`).
    /// @param taskTime_ A dispute task's deadline from creation (≤ the escrow's `MAX_DEADLINE`, or every dispute
    ///        reverts `InvalidDeadline`).
    constructor(
        IERC20 token,
        ITaskEscrow escrow,
        IWorkerRegistry workers,
        IModelRegistry models,
        IPipeSettlement settlement,
        uint96 disputeBond_,
        uint96 slashAmount_,
        uint40 taskTime_
    ) {
        if (
            address(token) == address(0) || address(escrow) == address(0) || address(workers) == address(0)
                || address(models) == address(0) || address(settlement) == address(0)
        ) {
            revert UnsetDependency();
        }
        if (slashAmount_ < escrow.params().minSlash || taskTime_ == 0) {
            revert InvalidParams(slashAmount_, taskTime_);
        }
        TOKEN = token;
        ESCROW = escrow;
        WORKERS = workers;
        MODELS = models;
        SETTLEMENT = settlement;
        _DISPUTE_BOND = disputeBond_;
        _SLASH_AMOUNT = slashAmount_;
        _TASK_TIME = taskTime_;
        token.forceApprove(address(escrow), type(uint256).max);
    }

    /// @inheritdoc IPipeDisputes
    function dispute(bytes32 requestId, ModelId releaseId, bytes32 outputHash, bytes calldata signature, uint96 maxFee)
        external
        returns (uint256 disputeId)
    {
        address signer = SETTLEMENT.answerSigner(requestId, releaseId, outputHash, signature);
        bytes32 answer = _answerKey(requestId, releaseId, outputHash, signer);
        if (_slashed[answer]) {
            revert AnswerAlreadySlashed(answer);
        }
        uint96 bond = _DISPUTE_BOND;
        TOKEN.safeTransferFrom(msg.sender, address(this), uint256(bond) + maxFee);
        _liabilities += bond;
        TaskId taskId = ESCROW.createTask(
            releaseId, requestId, _SLASH_AMOUNT + bond, Tier.DEEP, uint40(block.timestamp) + _TASK_TIME, maxFee
        );
        disputeId = ++_count;
        _disputes[disputeId] =
            Dispute(requestId, releaseId, outputHash, signer, 0, msg.sender, taskId, bond, maxFee, Ruling.Open);
        // The escrow keeps the max fee less the load premium it took at creation.
        _disputes[disputeId].premium = maxFee - ESCROW.getTask(taskId).fee;
        emit DisputeOpened(disputeId, signer, msg.sender, taskId, requestId, outputHash);
    }

    /// @inheritdoc IPipeDisputes
    function resolve(uint256 disputeId, ModelOutput calldata signedOutput, ModelOutput calldata resultOutput)
        external
        returns (Ruling ruling)
    {
        Dispute storage d = _existing(disputeId);
        if (d.ruling != Ruling.Open) {
            revert AlreadyResolved(disputeId);
        }
        TaskId taskId = d.taskId;
        ITaskEscrow.TaskView memory task = ESCROW.getTask(taskId);
        if (task.status == TaskStatus.Finalized) {
            ESCROW.settle(taskId);
        } else if (task.status != TaskStatus.Settled) {
            revert TaskNotFinal(taskId, task.status);
        }
        bytes32 result = ESCROW.resultOf(taskId);
        bool noResult = result == bytes32(0) || result == ESCROW.INPUT_REJECTED();
        ruling = noResult
            ? Ruling.NoResult
            : _agrees(d.releaseId, d.outputHash, result, signedOutput, resultOutput) ? Ruling.Dismissed : Ruling.Upheld;
        d.ruling = ruling;

        // What the escrow gave back of the fee: the unused max fee at assignment (the load premium was never
        // escrowed), and the fee less the review reserve when the task ended without a result (all of it if never
        // assigned).
        uint256 refund = d.fee - d.premium - task.fee + (noResult ? task.fee - task.reserve : 0);
        _pullEscrowCredit();
        _unattributed -= refund; // every refund of this task was credited by now, and pulled in above or before
        address disputer = d.disputer;
        uint256 bond = d.bond;
        uint256 taken;
        uint256 bounty;
        if (ruling == Ruling.Upheld) {
            (taken, bounty) = _punish(d, refund);
        } else {
            _credit(d.signer, bond);
            bond = 0;
        }
        _credit(disputer, bond + refund + bounty);
        emit DisputeResolved(disputeId, ruling, taken, bounty);
    }

    /// @inheritdoc IPipeDisputes
    function claim() external returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) {
            revert NothingOwed(msg.sender);
        }
        _claimable[msg.sender] = 0;
        _liabilities -= amount;
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPipeDisputes
    function disputeOf(uint256 disputeId) external view returns (Dispute memory) {
        return _existing(disputeId);
    }

    /// @inheritdoc IPipeDisputes
    function disputeCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IPipeDisputes
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc IPipeDisputes
    function liabilities() external view returns (uint256) {
        return _liabilities;
    }

    /// @inheritdoc IPipeDisputes
    function slashed(bytes32 requestId, ModelId releaseId, bytes32 outputHash, address signer)
        external
        view
        returns (bool)
    {
        return _slashed[_answerKey(requestId, releaseId, outputHash, signer)];
    }

    /// @inheritdoc IPipeDisputes
    function disputeBond() external view returns (uint96) {
        return _DISPUTE_BOND;
    }

    /// @inheritdoc IPipeDisputes
    function slashAmount() external view returns (uint96) {
        return _SLASH_AMOUNT;
    }

    /// @inheritdoc IPipeDisputes
    function taskTime() external view returns (uint40) {
        return _TASK_TIME;
    }

    // ─── Internal ────────────────────────────────────────────────────────────────────────────────

    /// @dev Whether the signed answer agrees with the task's result by the release's determinism class.
    function _agrees(
        ModelId releaseId,
        bytes32 outputHash,
        bytes32 result,
        ModelOutput calldata signedOutput,
        ModelOutput calldata resultOutput
    ) private view returns (bool) {
        if (result == outputHash) {
            return true;
        }
        IModelRegistry.Release memory release = MODELS.release(releaseId);
        if (release.determinism == DeterminismClass.EXACT) {
            return false;
        }
        _open(signedOutput, outputHash);
        _open(resultOutput, result);
        return Tensors.withinTolerance(signedOutput, resultOutput, release.toleranceE6);
    }

    /// @dev Reverts `OutputMismatch` unless `output` is a final result committing to `commitment`.
    function _open(ModelOutput calldata output, bytes32 commitment) private pure {
        bytes32 actual = keccak256(abi.encode(output));
        if (actual != commitment || output.is_simulation_result) {
            revert OutputMismatch(commitment, actual);
        }
    }

    /// @dev Slashes and jails the signer of an upheld dispute (once per signed answer) and credits the treasury
    ///      its part; returns what was taken and the disputer's bounty. Out of the slash the disputer is first
    ///      made whole for the fee the task spent, then gets `bountyBps` of the rest (≤ 50 %: disputing one's own
    ///      wrong answer through a sybil still loses at least half of what the slash leaves after that fee).
    function _punish(Dispute storage d, uint256 refund) private returns (uint256 taken, uint256 bounty) {
        bytes32 answer = _answerKey(d.requestId, d.releaseId, d.outputHash, d.signer);
        if (_slashed[answer]) {
            return (0, 0); // a concurrent dispute of the same answer slashed it first
        }
        _slashed[answer] = true;
        ITaskEscrow.Params memory p = ESCROW.params();
        taken = WORKERS.slash(d.signer, _SLASH_AMOUNT);
        _liabilities += taken;
        WORKERS.jail(d.signer, uint40(block.timestamp) + p.jailDuration);
        uint256 spent = d.fee - refund;
        uint256 compensation = spent < taken ? spent : taken;
        bounty = compensation + (taken - compensation) * p.bountyBps / FeeSplit.BPS;
        _credit(p.treasury, taken - bounty);
    }

    /// @dev Claims whatever the escrow credited this contract (refunds of dispute fees) into `_unattributed`.
    function _pullEscrowCredit() private {
        if (ESCROW.claimable(address(this)) != 0) {
            uint256 pulled = ESCROW.claim();
            _unattributed += pulled;
            _liabilities += pulled;
        }
    }

    /// @dev Adds to an account's credit; the amount is already in `_liabilities`.
    function _credit(address account, uint256 amount) private {
        if (amount != 0) {
            _claimable[account] += amount;
            emit Credited(account, amount);
        }
    }

    function _existing(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.disputer == address(0)) {
            revert UnknownDispute(disputeId);
        }
    }

    /// @dev The key of a signed answer: one slash per (request, release, output, signer).
    function _answerKey(bytes32 requestId, ModelId releaseId, bytes32 outputHash, address signer)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(requestId, releaseId, outputHash, signer));
    }
}
