// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelOutput} from "../pipe/PipeTypes.sol";
import {ModelId} from "../types/ModelTypes.sol";
import {TaskId, TaskStatus} from "../types/TaskTypes.sol";

/// @title IPipeDisputes
/// @notice Accountable PIPE answers: anyone holding a worker's signed answer (`PipeAnswer`, see
///         `IPipeSettlement.answerDigest`) may dispute it. The dispute posts a bond and pays for a DEEP task in the
///         task market whose input commitment is the request id itself, so the escrow's committee process
///         (three seats commit–reveal, then a verifier committee) re-executes exactly the signed request. Once the
///         task is final, anyone resolves the dispute: a signer whose answer disagrees with the task's result (EXACT:
///         by hash; TOLERANCE: element-wise beyond the release's ε) is slashed and jailed, and the disputer is paid
///         back with a bounty; otherwise — or if the task ended without a result, or with the escrow's
///         `INPUT_REJECTED` because nobody provided the input — the bond goes to the signer.
/// @dev Every payout is credited and pulled (`claim`). Solvency invariant, after every call: token balance ==
///      `liabilities()` == Σ bonds of open disputes + Σ `claimable` + escrow refunds received but not yet
///      attributed to their dispute. See docs/pipe.md, "Disputes", and docs/soundness.md, "PIPE disputes".
interface IPipeDisputes {
    /// @notice How a dispute ended.
    enum Ruling {
        /// @notice Not resolved yet.
        Open,
        /// @notice The signed answer disagrees with the re-execution: the signer was slashed.
        Upheld,
        /// @notice The signed answer agrees with the re-execution: the bond went to the signer.
        Dismissed,
        /// @notice The task ended without a usable result (expired, or the input was rejected): the bond went to
        ///         the signer, nobody was slashed.
        NoResult
    }

    /// @notice A dispute as stored.
    struct Dispute {
        /// @notice The disputed request: `keccak256(abi.encode(mode, modelCID, input))`, the task's input hash.
        bytes32 requestId;
        /// @notice The release the answer was signed for, and the task ran.
        ModelId releaseId;
        /// @notice The signed output commitment: `keccak256(abi.encode(output))`, `is_simulation_result` false.
        bytes32 outputHash;
        /// @notice Who signed the answer; slashed if it was wrong.
        address signer;
        /// @notice The load premium the escrow took of `fee` when it created the task (the release's live price over
        ///         its base price, paid at once to the treasury): part of what the task spent, never refunded.
        uint96 premium;
        /// @notice Who opened the dispute and paid for it.
        address disputer;
        /// @notice The re-execution in the task market.
        TaskId taskId;
        /// @notice The disputer's bond.
        uint96 bond;
        /// @notice The most the disputer paid for the task (`maxFee`); what the escrow refunds goes back to it.
        uint96 fee;
        /// @notice Where the dispute stands.
        Ruling ruling;
    }

    /// @notice Emitted when a dispute opens.
    /// @param disputeId The new dispute.
    /// @param signer The signer of the disputed answer.
    /// @param disputer Who disputes.
    /// @param taskId The DEEP task that re-executes the request.
    /// @param requestId The request.
    /// @param outputHash The signed output commitment.
    event DisputeOpened(
        uint256 indexed disputeId,
        address indexed signer,
        address indexed disputer,
        TaskId taskId,
        bytes32 requestId,
        bytes32 outputHash
    );

    /// @notice Emitted when a dispute is resolved.
    /// @param disputeId The dispute.
    /// @param ruling How it ended.
    /// @param slashed The stake taken from the signer (0 unless upheld; capped by what it had).
    /// @param bounty What the disputer gets out of the slash, on top of its bond and the escrow's refunds: the fee
    ///        the task spent, then the escrow's `bountyBps` of the rest.
    event DisputeResolved(uint256 indexed disputeId, Ruling ruling, uint256 slashed, uint256 bounty);

    /// @notice Emitted when an account is credited.
    /// @param account Who may claim it.
    /// @param amount The amount, token wei.
    event Credited(address indexed account, uint256 amount);

    /// @notice Emitted when an account claims its credit.
    /// @param account The claimant.
    /// @param amount The amount transferred.
    event Claimed(address indexed account, uint256 amount);

    /// @notice Thrown by the constructor if the token or a contract it depends on is the zero address (named
    ///         apart from `IPipeSettlement.ZeroAddress`, so that a revert decodes to one contract).
    error UnsetDependency();

    /// @notice Thrown by the constructor if the slash is below the escrow's `minSlash`, or the task time is zero.
    /// @param slashAmount The slash asked for.
    /// @param taskTime The task time asked for.
    error InvalidParams(uint96 slashAmount, uint40 taskTime);

    /// @notice Thrown by `dispute` if this signed answer was already slashed once.
    /// @param answer `keccak256(abi.encode(requestId, releaseId, outputHash, signer))`.
    error AnswerAlreadySlashed(bytes32 answer);

    /// @notice Thrown by `resolve` and `disputeOf` for an id no dispute has.
    /// @param disputeId The id.
    error UnknownDispute(uint256 disputeId);

    /// @notice Thrown by `resolve` if the dispute was resolved already.
    /// @param disputeId The dispute.
    error AlreadyResolved(uint256 disputeId);

    /// @notice Thrown by `resolve` while the dispute's task is not finalized.
    /// @param taskId The task.
    /// @param status Its status.
    error TaskNotFinal(TaskId taskId, TaskStatus status);

    /// @notice Thrown by `resolve` (TOLERANCE releases) if an output does not open its commitment, or is a
    ///         simulation result.
    /// @param expected The commitment.
    /// @param actual `keccak256(abi.encode(output))` of the output given.
    error OutputMismatch(bytes32 expected, bytes32 actual);

    /// @notice Thrown by `claim` when nothing is owed to the caller (not `NothingClaimable`, which is PipeSettlement's
    ///         selector).
    /// @param account The caller.
    error NothingOwed(address account);

    /// @notice Disputes a signed PIPE answer: takes `disputeBond()` + `maxFee` from the caller and creates a DEEP
    ///         task in the task market that re-executes the request.
    /// @dev The task's input hash is `requestId`: whoever wants it to run must put the request's ABI bytes,
    ///      `abi.encode(mode, modelCID, input)` (whose keccak is the request id), in the store; withheld, the seats
    ///      answer `INPUT_REJECTED` and the dispute fails. Its value at risk is `slashAmount()` + `disputeBond()`
    ///      (what the ruling moves), its floor DEEP, its deadline `taskTime()` from now. Reverts with
    ///      `IPipeSettlement.InvalidAnswerSignature` for a bad signature, and with the escrow's errors if the task
    ///      cannot be created (no verifier for the release, deprecated release, zero fee). A signed answer may be
    ///      disputed by many at once; it is slashed at most once. The caller must approve the token.
    /// @param requestId The request id the worker signed.
    /// @param releaseId The release it signed.
    /// @param outputHash The output commitment it signed.
    /// @param signature Its EIP-712 signature.
    /// @param maxFee The most to pay for the task (see `ITaskEscrow.quote` at floor DEEP); what the escrow does not
    ///        use comes back.
    /// @return disputeId The new dispute's id (1, 2, …).
    function dispute(bytes32 requestId, ModelId releaseId, bytes32 outputHash, bytes calldata signature, uint96 maxFee)
        external
        returns (uint256 disputeId);

    /// @notice Rules on a dispute once its task is finalized (settling the task if nobody has), and credits the
    ///         payouts.
    /// @dev Permissionless. No result, or `INPUT_REJECTED`: `NoResult`, the bond to the signer. EXACT: the signer is
    ///      wrong iff the result differs from the signed hash. TOLERANCE: the result equal to the signed hash
    ///      agrees; otherwise both outputs must open their commitments (`OutputMismatch`), and agree iff they have
    ///      the same tensor names, shapes, value counts, strings and JSON scalars, and every pair of numbers
    ///      (decimals in 0..=38) differs by at most `toleranceE6` millionths; anything else disagrees. Upheld: the
    ///      signer is slashed `slashAmount()` (at most what it has) and jailed for the escrow's `jailDuration`; the
    ///      disputer is credited its bond, the escrow's refunds of the fee, the rest of the fee out of the slash,
    ///      and the escrow's `bountyBps` of what is left of the slash; the treasury the remainder. Otherwise: the
    ///      disputer is credited the escrow's refunds, the signer the bond.
    /// @param disputeId The dispute.
    /// @param signedOutput TOLERANCE only: the output the signer committed to (ignored for EXACT).
    /// @param resultOutput TOLERANCE only: the task's accepted output (ignored for EXACT).
    /// @return ruling How it ended.
    function resolve(uint256 disputeId, ModelOutput calldata signedOutput, ModelOutput calldata resultOutput)
        external
        returns (Ruling ruling);

    /// @notice Transfers the caller's credit to it.
    /// @return amount The amount transferred.
    function claim() external returns (uint256 amount);

    /// @notice A dispute.
    /// @param disputeId The dispute.
    /// @return The stored dispute.
    function disputeOf(uint256 disputeId) external view returns (Dispute memory);

    /// @notice How many disputes were opened; ids run from 1 to this.
    /// @return The count.
    function disputeCount() external view returns (uint256);

    /// @notice `account`'s unclaimed credit.
    /// @param account The account.
    /// @return The credit, token wei.
    function claimable(address account) external view returns (uint256);

    /// @notice What the contract owes: open bonds, unclaimed credit, and escrow refunds not yet attributed. Its
    ///         token balance equals it.
    /// @return The liabilities, token wei.
    function liabilities() external view returns (uint256);

    /// @notice Whether a signed answer was slashed already (it cannot be disputed again).
    /// @param requestId The request id.
    /// @param releaseId The release.
    /// @param outputHash The signed output commitment.
    /// @param signer The signer.
    /// @return Whether it was slashed.
    function slashed(bytes32 requestId, ModelId releaseId, bytes32 outputHash, address signer)
        external
        view
        returns (bool);

    /// @notice The bond a dispute posts, token wei.
    /// @return The bond.
    function disputeBond() external view returns (uint96);

    /// @notice What an upheld dispute takes from the signer's stake, token wei (≥ the escrow's `minSlash`).
    /// @return The slash.
    function slashAmount() external view returns (uint96);

    /// @notice How long a dispute's task has to be answered (its deadline from creation), seconds.
    /// @return The time.
    function taskTime() external view returns (uint40);
}
