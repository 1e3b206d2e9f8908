// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelId} from "../types/ModelTypes.sol";

/// @title IPipeSettlement
/// @notice PIPE billing: every PIPE call pays its release's price out of a prepaid balance of the calling
///         contract. Anyone tops up any account's balance (`deposit`); the node charges it, and once per block
///         credits what was paid to the answering workers, the model owner's royalty and the protocol
///         (`settle`); the payees pull their credit (`claim`).
/// @dev Charges are applied at the end of the block in which the calls ran, and survive the calling
///      transaction's revert, like gas. Within a block the node tracks what it has already charged each payer,
///      so a balance must never fall during a block except through settlement: withdrawals are therefore only
///      requested during the block (`requestWithdrawal`) and executed by `settle`, after that block's charges.
///      Otherwise a dApp could call PIPE and withdraw its balance in the same block, and never pay.
///      Solvency invariant, after every call: token balance == `liabilities()` == Σ `balanceOf` + Σ `claimable`.
///      See docs/pipe.md, "Billing".
interface IPipeSettlement {
    /// @notice One PIPE call to be paid, as the node recorded it during the block.
    struct Charge {
        /// @notice The contract that called PIPE, whose balance pays.
        address payer;
        /// @notice The release that answered.
        ModelId releaseId;
        /// @notice The release's price when the call ran (`price(releaseId)` at the head state), token wei.
        uint96 price;
        /// @notice The workers whose answer was used; they share what is left after royalty and protocol fee.
        address[] workers;
        /// @notice The twin the calls invoked (`twin:<id>`), or 0 for calls of the release itself.
        uint256 twinId;
        /// @notice How many calls the node summed into this charge.
        uint64 calls;
    }

    /// @notice Emitted when an account's balance is topped up.
    /// @param account The account credited.
    /// @param from Who paid the tokens in.
    /// @param amount The amount, token wei.
    event Deposited(address indexed account, address indexed from, uint256 amount);

    /// @notice Emitted when an account asks to withdraw; the request replaces any earlier one of the block.
    /// @param account The account.
    /// @param amount The most it will receive at settlement (0 cancels).
    event WithdrawalRequested(address indexed account, uint256 amount);

    /// @notice Emitted when settlement pays out a withdrawal request.
    /// @param account The account paid.
    /// @param amount The amount transferred: the request, capped at the balance left after the block's charges.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Emitted by `settle` for each charge, in order.
    /// @param payer The contract charged.
    /// @param releaseId The release that answered.
    /// @param paid What its balance paid.
    /// @param shortfall What it could not pay (price − paid); non-zero only if the node charged past a balance.
    event Charged(address indexed payer, ModelId indexed releaseId, uint256 paid, uint256 shortfall);

    /// @notice Emitted when an account claims its credit.
    /// @param account The claimant.
    /// @param amount The amount transferred.
    event Claimed(address indexed account, uint256 amount);

    /// @notice Thrown by `settle` if the caller is not the system address: only the node settles.
    /// @param caller The caller.
    error CallerNotSystem(address caller);

    /// @notice Thrown by `deposit` for the zero account or a zero amount.
    /// @param account The account.
    /// @param amount The amount.
    error InvalidDeposit(address account, uint256 amount);

    /// @notice Thrown by `claim` when nothing is owed to the caller.
    /// @param account The caller.
    error NothingClaimable(address account);

    /// @notice Thrown by the constructor if the protocol fee is above 10 000 basis points.
    /// @param protocolFeeBps The fee asked for.
    error ProtocolFeeTooHigh(uint16 protocolFeeBps);

    /// @notice Thrown by the constructor if the token, registry or treasury is the zero address.
    error ZeroAddress();

    /// @notice Thrown by `answerSigner` if a signature is not 65 bytes, does not recover, or is malleable
    ///         (an `s` in the upper half of the curve order).
    /// @param signature The signature.
    error InvalidAnswerSignature(bytes signature);

    /// @notice Tops up `account`'s prepaid balance with `amount` tokens pulled from the caller.
    /// @dev Anyone may top up any account. The balance counts from the next PIPE call on.
    /// @param account The account (typically a dApp contract that calls PIPE).
    /// @param amount The amount, token wei; the caller must have approved it.
    function deposit(address account, uint256 amount) external;

    /// @notice Asks to withdraw up to `amount` of the caller's balance at the end of this block.
    /// @dev Nothing moves now: the next `settle` first applies the block's charges, then transfers
    ///      min(amount, balance left) to the caller. A later request before settlement replaces this one;
    ///      0 cancels it.
    /// @param amount The most to withdraw, token wei.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Applies a block's PIPE charges, then executes the withdrawal requests queued since the last
    ///         settlement.
    /// @dev Only the system address (`SYSTEM`), in the node's system call at the end of every block with
    ///      charges or queued withdrawals. Never reverts for a payer's shortfall or an unknown release, so it
    ///      can never make a block invalid: each charge pays min(price, balance) (the `Charged` event records
    ///      any shortfall); of that, the release owner gets its royalty, the treasury the protocol fee (capped
    ///      at what the royalty leaves), the workers equal shares of the rest, and the treasury the dust (all
    ///      of the rest if there are no workers; the share of a zero-address worker). A release the registry
    ///      does not know pays everything to the treasury.
    /// @param charges The block's charges, in the order the calls ran.
    function settle(Charge[] calldata charges) external;

    /// @notice Transfers the caller's credit (worker shares, royalties, protocol fees) to it.
    /// @return amount The amount transferred.
    function claim() external returns (uint256 amount);

    /// @notice The address allowed to settle: EIP-4788's system address, the sender of a node's system calls.
    /// @return The system address.
    function SYSTEM() external view returns (address);

    /// @notice `account`'s prepaid balance.
    /// @dev Stored at slot 0 as `mapping(address => uint256)`: the node's precompile reads
    ///      `keccak256(abi.encode(account, uint256(0)))` from state to check a caller's balance.
    /// @param account The account.
    /// @return The balance, token wei.
    function balanceOf(address account) external view returns (uint256);

    /// @notice What `payer` can spend on PIPE calls, at the state read.
    /// @dev Equal to `balanceOf`: within a block the node subtracts what the block has already charged the payer.
    /// @param payer The payer.
    /// @return The balance, token wei.
    function available(address payer) external view returns (uint256);

    /// @notice The price of one PIPE call of a release: its live price in the model registry (base price × the
    ///         load multiplier), the same every other door quotes.
    /// @dev What the node reads on the state a block builds on to charge a call (replay reads it on the same
    ///      state). Reverts with the registry's `UnknownRelease` for an unknown release.
    /// @param releaseId The release.
    /// @return The price, token wei.
    function price(ModelId releaseId) external view returns (uint96);

    /// @notice `account`'s unclaimed credit.
    /// @param account The account.
    /// @return The credit, token wei.
    function claimable(address account) external view returns (uint256);

    /// @notice `account`'s queued withdrawal request (0 if none).
    /// @param account The account.
    /// @return The most it will withdraw at the next settlement, token wei.
    function withdrawalRequest(address account) external view returns (uint256);

    /// @notice How many withdrawal requests wait for the next settlement (a replaced or cancelled request may
    ///         count twice or still count): non-zero means the node must settle at the end of the block.
    /// @return The queue length.
    function queuedWithdrawals() external view returns (uint256);

    /// @notice What the contract owes: every balance and every unclaimed credit. Its token balance equals it.
    /// @return The liabilities, token wei.
    function liabilities() external view returns (uint256);

    /// @notice The EIP-712 digest of a network PIPE answer, which the answering workers sign.
    /// @dev Domain: name "verigrad PIPE", version "1", the chain id, this contract. Type:
    ///      `PipeAnswer(bytes32 requestId,bytes32 releaseId,bytes32 outputHash)`.
    /// @param requestId The PIPE request id.
    /// @param releaseId The release that answered.
    /// @param outputHash keccak-256 of the answer's canonical encoding.
    /// @return The digest.
    function answerDigest(bytes32 requestId, ModelId releaseId, bytes32 outputHash) external view returns (bytes32);

    /// @notice Who signed a network PIPE answer.
    /// @dev Reverts `InvalidAnswerSignature` for a signature that is not 65 bytes (`r ‖ s ‖ v`), does not
    ///      recover, or is malleable.
    /// @param requestId The PIPE request id.
    /// @param releaseId The release that answered.
    /// @param outputHash keccak-256 of the answer's canonical encoding.
    /// @param signature The signature.
    /// @return The signer.
    function answerSigner(bytes32 requestId, ModelId releaseId, bytes32 outputHash, bytes calldata signature)
        external
        view
        returns (address);
}
