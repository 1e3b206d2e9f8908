// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IPipeSettlement} from "../interfaces/IPipeSettlement.sol";
import {ITwinReputation} from "../interfaces/ITwinReputation.sol";
import {FeeSplit} from "../libraries/FeeSplit.sol";
import {ModelId, ReleaseTerms} from "../types/ModelTypes.sol";

/// @title PipeSettlement
/// @notice PIPE billing: prepaid balances, settled once per block by the node. See IPipeSettlement.
/// @dev Tokens enter only through `deposit` and leave only through `settle`'s withdrawals and `claim`; settlement
///      moves balances to credits. `_liabilities` changes exactly where tokens move, so the token balance always
///      equals it, and it equals Σ balances + Σ credits.
///      The EIP-712 domain is built here rather than by inheriting OpenZeppelin's `EIP712`, whose storage
///      (its name and version fallbacks) would take slot 0, which the node reads as the balances.
contract PipeSettlement is IPipeSettlement {
    using SafeERC20 for IERC20;

    /// @inheritdoc IPipeSettlement
    address public constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    /// @notice The EIP-712 typehash of the domain.
    bytes32 public constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @notice The EIP-712 typehash of `PipeAnswer(bytes32 requestId,bytes32 releaseId,bytes32 outputHash)`.
    bytes32 public constant ANSWER_TYPEHASH =
        keccak256("PipeAnswer(bytes32 requestId,bytes32 releaseId,bytes32 outputHash)");

    /// @notice The network token: deposits, payouts.
    IERC20 public immutable TOKEN;
    /// @notice The model registry: prices, release owners and their royalties.
    IModelRegistry public immutable MODELS;
    /// @notice Receives the protocol fee, the dust of each split and every payment for an unknown release.
    address public immutable TREASURY;
    /// @notice The protocol's share of each payment, basis points.
    uint16 public immutable PROTOCOL_FEE_BPS;
    /// @notice The twins' reputation registry, told of every twin call paid in full (zero: not recorded).
    ITwinReputation public immutable TWIN_REPUTATION;

    /// @dev The domain separator at deployment, and the chain and address it was built for.
    bytes32 private immutable _DOMAIN_SEPARATOR;
    uint256 private immutable _DOMAIN_CHAIN_ID;
    address private immutable _DOMAIN_ADDRESS;

    /// @dev Slot 0, fixed: the node's precompile reads `keccak256(abi.encode(account, uint256(0)))` to check a
    ///      caller's balance. Keep this the first state variable, and inherit nothing with storage.
    mapping(address account => uint256) private _balances;
    /// @dev Credit to claim: worker shares, royalties, protocol fees.
    mapping(address account => uint256) private _claimable;
    /// @dev Withdrawal requests waiting for the next settlement.
    mapping(address account => uint256) private _requested;
    /// @dev Who requested since the last settlement. An account is pushed when its request goes from 0 to
    ///      non-zero, so an account appears twice only after cancelling and requesting again; its second entry
    ///      then finds the request already paid and skips. Cleared by every settlement, so its length is bounded
    ///      by the requests of one block, each paid for by its sender's gas.
    address[] private _requesters;
    /// @dev Σ balances + Σ credits: what the contract owes.
    uint256 private _liabilities;

    /// @param token The network token.
    /// @param models The model registry.
    /// @param treasury Receives protocol fees.
    /// @param protocolFeeBps The protocol's share of each payment (≤ 10 000).
    /// @param twinReputation Records paid twin calls, so their payers may give feedback; this contract needs its
    ///        PAYER_RECORDER_ROLE (zero: twin calls are paid but not recorded).
    constructor(
        IERC20 token,
        IModelRegistry models,
        address treasury,
        uint16 protocolFeeBps,
        ITwinReputation twinReputation
    ) {
        if (address(token) == address(0) || address(models) == address(0) || treasury == address(0)) {
            revert ZeroAddress();
        }
        if (protocolFeeBps > FeeSplit.BPS) {
            revert ProtocolFeeTooHigh(protocolFeeBps);
        }
        TOKEN = token;
        MODELS = models;
        TREASURY = treasury;
        PROTOCOL_FEE_BPS = protocolFeeBps;
        TWIN_REPUTATION = twinReputation;
        _DOMAIN_SEPARATOR = _buildDomainSeparator();
        _DOMAIN_CHAIN_ID = block.chainid;
        _DOMAIN_ADDRESS = address(this);
    }

    // ─── Payers ──────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPipeSettlement
    function deposit(address account, uint256 amount) external {
        if (account == address(0) || amount == 0) {
            revert InvalidDeposit(account, amount);
        }
        _balances[account] += amount;
        _liabilities += amount;
        emit Deposited(account, msg.sender, amount);
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IPipeSettlement
    function requestWithdrawal(uint256 amount) external {
        if (_requested[msg.sender] == 0 && amount != 0) {
            _requesters.push(msg.sender);
        }
        _requested[msg.sender] = amount;
        emit WithdrawalRequested(msg.sender, amount);
    }

    // ─── The node ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPipeSettlement
    function settle(Charge[] calldata charges) external {
        if (msg.sender != SYSTEM) {
            revert CallerNotSystem(msg.sender);
        }
        uint256 toTreasury;
        for (uint256 i; i < charges.length; ++i) {
            toTreasury += _charge(charges[i]);
        }
        _credit(TREASURY, toTreasury);
        _withdrawQueued();
    }

    // ─── Payees ──────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPipeSettlement
    function claim() external returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) {
            revert NothingClaimable(msg.sender);
        }
        _claimable[msg.sender] = 0;
        _liabilities -= amount;
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPipeSettlement
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IPipeSettlement
    function available(address payer) external view returns (uint256) {
        return _balances[payer];
    }

    /// @inheritdoc IPipeSettlement
    function price(ModelId releaseId) external view returns (uint96) {
        return MODELS.price(releaseId);
    }

    /// @inheritdoc IPipeSettlement
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc IPipeSettlement
    function withdrawalRequest(address account) external view returns (uint256) {
        return _requested[account];
    }

    /// @inheritdoc IPipeSettlement
    function queuedWithdrawals() external view returns (uint256) {
        return _requesters.length;
    }

    /// @inheritdoc IPipeSettlement
    function liabilities() external view returns (uint256) {
        return _liabilities;
    }

    /// @inheritdoc IPipeSettlement
    function answerDigest(bytes32 requestId, ModelId releaseId, bytes32 outputHash) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(ANSWER_TYPEHASH, requestId, releaseId, outputHash));
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    /// @inheritdoc IPipeSettlement
    function answerSigner(bytes32 requestId, ModelId releaseId, bytes32 outputHash, bytes calldata signature)
        external
        view
        returns (address signer)
    {
        ECDSA.RecoverError error;
        (signer, error,) = ECDSA.tryRecover(answerDigest(requestId, releaseId, outputHash), signature);
        if (error != ECDSA.RecoverError.NoError) {
            revert InvalidAnswerSignature(signature);
        }
    }

    // ─── Internal ────────────────────────────────────────────────────────────────────────────────

    /// @dev Takes min(price, balance) from the payer and credits it to the release owner and the workers;
    ///      returns the treasury's part (protocol fee and dust, or everything for an unknown release), which
    ///      `settle` credits once for the whole block.
    function _charge(Charge calldata c) private returns (uint256 toTreasury) {
        uint256 balance = _balances[c.payer];
        uint256 paid = c.price < balance ? c.price : balance;
        unchecked {
            _balances[c.payer] = balance - paid; // paid ≤ balance
        }
        emit Charged(c.payer, c.releaseId, paid, c.price - paid);
        if (paid == 0) {
            return 0;
        }
        if (c.twinId != 0 && paid == c.price) {
            _recordTwinCalls(c);
        }
        try MODELS.terms(c.releaseId) returns (ReleaseTerms memory terms) {
            (uint256 royalty, uint256 protocolFee, uint256 pot) =
                FeeSplit.split(paid, terms.royaltyBps, PROTOCOL_FEE_BPS);
            (uint256 share, uint256 dust) = FeeSplit.shares(pot, c.workers.length);
            _credit(terms.owner, royalty);
            for (uint256 i; i < c.workers.length; ++i) {
                address worker = c.workers[i];
                if (worker == address(0)) {
                    dust += share; // nobody could claim it
                } else {
                    _credit(worker, share);
                }
            }
            return protocolFee + dust;
        } catch {
            return paid; // unknown to the registry: nobody to pay but the protocol
        }
    }

    /// @dev Tells the twins' reputation registry that `c.payer` paid for `c.calls` calls of twin `c.twinId`. A
    ///      registry that refuses (no role granted, a burned twin) leaves the payment settled and the calls
    ///      unrecorded: a block must always settle.
    function _recordTwinCalls(Charge calldata c) private {
        if (address(TWIN_REPUTATION) == address(0)) {
            return;
        }
        try TWIN_REPUTATION.recordInvocations(c.twinId, c.payer, c.calls) {} catch {} // refused: not recorded
    }

    /// @dev Pays every queued request, min(request, balance), and empties the queue.
    function _withdrawQueued() private {
        uint256 n = _requesters.length;
        for (uint256 i; i < n; ++i) {
            address account = _requesters[i];
            uint256 requested = _requested[account];
            if (requested == 0) {
                continue; // cancelled, or already paid through an earlier entry
            }
            _requested[account] = 0;
            uint256 balance = _balances[account];
            uint256 amount = requested < balance ? requested : balance;
            if (amount == 0) {
                continue;
            }
            unchecked {
                _balances[account] = balance - amount; // amount ≤ balance
            }
            _liabilities -= amount;
            emit Withdrawn(account, amount);
            TOKEN.safeTransfer(account, amount);
        }
        delete _requesters;
    }

    /// @dev Adds `amount` to `account`'s credit; liabilities are unchanged, as the amount came out of a balance.
    function _credit(address account, uint256 amount) private {
        if (amount != 0) {
            _claimable[account] += amount;
        }
    }

    /// @dev The domain separator, rebuilt if the chain forked or the code runs at another address.
    function _domainSeparator() private view returns (bytes32) {
        if (block.chainid == _DOMAIN_CHAIN_ID && address(this) == _DOMAIN_ADDRESS) {
            return _DOMAIN_SEPARATOR;
        }
        return _buildDomainSeparator();
    }

    /// @dev keccak256(abi.encode(DOMAIN_TYPEHASH, "verigrad PIPE", "1", chain id, this contract)), names hashed.
    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("verigrad PIPE"), keccak256("1"), block.chainid, address(this))
        );
    }
}
