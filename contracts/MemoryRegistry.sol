// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IMemoryRegistry} from "./interfaces/IMemoryRegistry.sol";
import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {FeeSplit} from "./libraries/FeeSplit.sol";
import {Roles} from "./types/Roles.sol";

/// @title MemoryRegistry
/// @notice MemSync's namespaces, their owners, delegates and replicas, their roots by sequence number, and the
///         slashing of store nodes that attest a false root. See IMemoryRegistry.
/// @dev Holds SLASHER_ROLE on the worker registry. Tokens enter only from `WorkerRegistry.slash` inside
///      `reportFalseRoot` and leave in the same call (bounty to the reporter, the rest to the treasury), so the
///      registry's token balance is always zero. EIP-712 domain: name "verigrad MemSync", version "1".
contract MemoryRegistry is IMemoryRegistry, AccessControl, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice The EIP-712 typehash of a root update, signed by a namespace's owner or delegate.
    bytes32 public constant ROOT_UPDATE_TYPEHASH =
        keccak256("RootUpdate(bytes32 namespace,uint64 seq,bytes32 root,uint32 count,uint256 deadline)");
    /// @notice The EIP-712 typehash of a store node's attestation of the root it serves.
    bytes32 public constant SERVED_ROOT_TYPEHASH = keccak256("ServedRoot(bytes32 namespace,uint64 seq,bytes32 root)");
    /// @notice The fewest replicas a namespace may have.
    uint256 public constant MIN_REPLICAS = 2;
    /// @notice The most replicas a namespace may have (bounds the cost of `isReplica` and of checking a set).
    uint256 public constant MAX_REPLICAS = 16;
    /// @notice The largest bounty share: a node that reports its own lie through a sybil still loses half.
    uint16 public constant MAX_BOUNTY_BPS = 5_000;
    /// @notice The longest jail a report may impose (keeps `now + jailDuration` far inside a uint40).
    uint40 public constant MAX_JAIL_DURATION = 365 days;

    /// @dev A namespace in storage, one slot. Its latest root is `_roots[namespace][seq]`.
    struct Space {
        /// @dev The owner; zero for a namespace nobody created. Bits 0..159.
        address owner;
        /// @dev The latest committed sequence number. Bits 160..223.
        uint64 seq;
        /// @dev The owner epoch, from 1; delegates are kept under it. Bits 224..255.
        uint32 epoch;
    }

    /// @notice Slashes and jails lying nodes; tells store nodes.
    IWorkerRegistry public immutable WORKERS;
    /// @notice The staked token, paid out of slashes.
    IERC20 public immutable TOKEN;

    mapping(bytes32 namespace => Space) private _spaces;
    mapping(bytes32 namespace => address[]) private _replicas;
    /// @dev Written once per (namespace, seq): a seq is written only above the latest, which it then becomes.
    mapping(bytes32 namespace => mapping(uint64 seq => Root)) private _roots;
    mapping(bytes32 namespace => mapping(uint32 epoch => mapping(address delegate => bool))) private _delegates;
    /// @dev Attestations slashed already, by `_attestationKey`.
    mapping(bytes32 attestation => bool) private _reported;
    Penalty private _penalty;
    address private _treasury;

    /// @param workers The worker registry (this contract needs its SLASHER_ROLE).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the penalty and the treasury).
    /// @param treasury_ Receives what a slash does not pay the reporter.
    /// @param penalty_ What a false-root report costs the node.
    constructor(IWorkerRegistry workers, address admin, address treasury_, Penalty memory penalty_)
        EIP712("verigrad MemSync", "1")
    {
        if (address(workers) == address(0)) {
            revert UnsetAddress();
        }
        WORKERS = workers;
        TOKEN = IERC20(workers.stakeToken());
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(treasury_);
        _setPenalty(penalty_);
    }

    // ─── Owners ──────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMemoryRegistry
    function createNamespace(bytes32 label, address[] calldata replicas) external returns (bytes32 namespace) {
        namespace = keccak256(abi.encode(msg.sender, label));
        if (_spaces[namespace].owner != address(0)) {
            revert NamespaceExists(namespace);
        }
        _checkReplicas(replicas);
        _spaces[namespace] = Space(msg.sender, 0, 1);
        _replicas[namespace] = replicas;
        _roots[namespace][0] = Root(bytes32(0), 0, uint64(block.number));
        emit NamespaceCreated(namespace, msg.sender, label, replicas);
    }

    /// @inheritdoc IMemoryRegistry
    function setDelegate(bytes32 namespace, address delegate, bool allowed) external {
        Space storage space = _owned(namespace);
        if (delegate == address(0)) {
            revert InvalidAccount(delegate);
        }
        uint32 epoch = space.epoch;
        _delegates[namespace][epoch][delegate] = allowed;
        emit DelegateSet(namespace, epoch, delegate, allowed);
    }

    /// @inheritdoc IMemoryRegistry
    function setReplicas(bytes32 namespace, address[] calldata replicas) external {
        _owned(namespace);
        _checkReplicas(replicas);
        _replicas[namespace] = replicas;
        emit ReplicasSet(namespace, replicas);
    }

    /// @inheritdoc IMemoryRegistry
    function transferNamespace(bytes32 namespace, address newOwner) external {
        Space storage space = _owned(namespace);
        if (newOwner == address(0)) {
            revert InvalidAccount(newOwner);
        }
        uint32 epoch = space.epoch + 1;
        space.owner = newOwner;
        space.epoch = epoch;
        emit NamespaceTransferred(namespace, msg.sender, newOwner, epoch);
    }

    // ─── Roots ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMemoryRegistry
    function commitRoot(
        bytes32 namespace,
        uint64 seq,
        bytes32 root,
        uint32 count,
        uint256 deadline,
        bytes calldata signature
    ) external {
        Space storage space = _existing(namespace);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) {
            revert UpdateExpired(deadline);
        }
        uint64 latest = space.seq;
        if (seq <= latest) {
            revert StaleSequence(latest);
        }
        address signer = _rootSigner(namespace, space, seq, root, count, deadline, signature);
        space.seq = seq;
        _roots[namespace][seq] = Root(root, count, uint64(block.number));
        emit RootCommitted(namespace, seq, root, count, signer);
    }

    // ─── Reports ─────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMemoryRegistry
    function reportFalseRoot(bytes32 namespace, uint64 seq, bytes32 claimedRoot, address node, bytes calldata signature)
        external
        returns (uint256 slashed, uint256 bounty)
    {
        Root storage committed = _roots[namespace][seq];
        if (committed.committedAt == 0) {
            revert NoRootAt(namespace, seq);
        }
        if (committed.root == claimedRoot) {
            revert RootMatches(namespace, seq);
        }
        if (!SignatureChecker.isValidSignatureNow(node, servedRootDigest(namespace, seq, claimedRoot), signature)) {
            revert InvalidAttestation(node);
        }
        bytes32 attestation = _attestationKey(node, namespace, seq, claimedRoot);
        if (_reported[attestation]) {
            revert AlreadyReported(attestation);
        }
        _reported[attestation] = true;
        Penalty memory p = _penalty;
        slashed = WORKERS.slash(node, p.slashAmount);
        if (slashed == 0) {
            revert NothingToSlash(node);
        }
        if (p.jailDuration != 0) {
            WORKERS.jail(node, uint40(block.timestamp) + p.jailDuration);
        }
        bounty = slashed * p.bountyBps / FeeSplit.BPS;
        emit FalseRootReported(namespace, seq, node, claimedRoot, msg.sender, slashed, bounty);
        TOKEN.safeTransfer(msg.sender, bounty);
        TOKEN.safeTransfer(_treasury, slashed - bounty);
    }

    // ─── Admin ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMemoryRegistry
    function setFalseRootPenalty(Penalty calldata penalty) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPenalty(penalty);
    }

    /// @inheritdoc IMemoryRegistry
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMemoryRegistry
    function namespaceInfo(bytes32 namespace) external view returns (NamespaceInfo memory) {
        Space memory space = _existing(namespace);
        Root memory latest = _roots[namespace][space.seq];
        return NamespaceInfo(space.owner, space.seq, latest.root, latest.count, space.epoch, _replicas[namespace]);
    }

    /// @inheritdoc IMemoryRegistry
    function rootAt(bytes32 namespace, uint64 seq) external view returns (Root memory) {
        return _roots[namespace][seq];
    }

    /// @inheritdoc IMemoryRegistry
    function isAuthorized(bytes32 namespace, address account) public view returns (bool) {
        Space storage space = _spaces[namespace];
        return account != address(0) && (account == space.owner || _delegates[namespace][space.epoch][account]);
    }

    /// @inheritdoc IMemoryRegistry
    function isReplica(bytes32 namespace, address node) external view returns (bool) {
        address[] storage replicas = _replicas[namespace];
        uint256 n = replicas.length;
        for (uint256 i; i < n; ++i) {
            if (replicas[i] == node) {
                return true;
            }
        }
        return false;
    }

    /// @inheritdoc IMemoryRegistry
    function reported(address node, bytes32 namespace, uint64 seq, bytes32 claimedRoot) external view returns (bool) {
        return _reported[_attestationKey(node, namespace, seq, claimedRoot)];
    }

    /// @inheritdoc IMemoryRegistry
    function leafHash(bytes32 id, uint64 version, bytes32 contentHash, bytes32 attributesHash)
        external
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(id, version, contentHash, attributesHash))));
    }

    /// @inheritdoc IMemoryRegistry
    function verifyMemory(bytes32 namespace, uint64 seq, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Root storage committed = _roots[namespace][seq];
        bytes32 root = committed.root;
        return committed.committedAt != 0 && root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IMemoryRegistry
    function rootUpdateDigest(bytes32 namespace, uint64 seq, bytes32 root, uint32 count, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(ROOT_UPDATE_TYPEHASH, namespace, seq, root, count, deadline)));
    }

    /// @inheritdoc IMemoryRegistry
    function servedRootDigest(bytes32 namespace, uint64 seq, bytes32 root) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(SERVED_ROOT_TYPEHASH, namespace, seq, root)));
    }

    /// @inheritdoc IMemoryRegistry
    function falseRootPenalty() external view returns (Penalty memory) {
        return _penalty;
    }

    /// @inheritdoc IMemoryRegistry
    function treasury() external view returns (address) {
        return _treasury;
    }

    // ─── Internal ────────────────────────────────────────────────────────────────────────────────

    /// @dev Who authorised a root update: the caller when there is no signature, else the EOA the signature
    ///      recovers to, else the owner if it is an ERC-1271 wallet that accepts the signature. Reverts
    ///      `NotAuthorized` unless that is the owner or a delegate of the current epoch.
    function _rootSigner(
        bytes32 namespace,
        Space storage space,
        uint64 seq,
        bytes32 root,
        uint32 count,
        uint256 deadline,
        bytes calldata signature
    ) private view returns (address signer) {
        if (signature.length == 0) {
            signer = msg.sender;
        } else {
            bytes32 digest = rootUpdateDigest(namespace, seq, root, count, deadline);
            ECDSA.RecoverError error;
            (signer, error,) = ECDSA.tryRecover(digest, signature);
            if (error != ECDSA.RecoverError.NoError || !isAuthorized(namespace, signer)) {
                address owner = space.owner;
                if (SignatureChecker.isValidERC1271SignatureNow(owner, digest, signature)) {
                    return owner;
                }
            }
        }
        if (!isAuthorized(namespace, signer)) {
            revert NotAuthorized(namespace, signer);
        }
    }

    /// @dev Reverts unless `replicas` are `MIN_REPLICAS`..`MAX_REPLICAS` distinct registered STORE workers.
    function _checkReplicas(address[] calldata replicas) private view {
        uint256 n = replicas.length;
        if (n < MIN_REPLICAS || n > MAX_REPLICAS) {
            revert InvalidReplicaCount(n);
        }
        for (uint256 i; i < n; ++i) {
            address replica = replicas[i];
            for (uint256 j; j < i; ++j) {
                if (replicas[j] == replica) {
                    revert DuplicateReplica(replica);
                }
            }
            IWorkerRegistry.Worker memory w = WORKERS.getWorker(replica);
            if (!w.registered || w.roles & Roles.STORE == 0) {
                revert NotStoreNode(replica);
            }
        }
    }

    function _existing(bytes32 namespace) private view returns (Space storage space) {
        space = _spaces[namespace];
        if (space.owner == address(0)) {
            revert UnknownNamespace(namespace);
        }
    }

    function _owned(bytes32 namespace) private view returns (Space storage space) {
        space = _existing(namespace);
        if (space.owner != msg.sender) {
            revert NotNamespaceOwner(namespace, msg.sender);
        }
    }

    function _setPenalty(Penalty memory penalty) private {
        if (penalty.bountyBps > MAX_BOUNTY_BPS || penalty.jailDuration > MAX_JAIL_DURATION) {
            revert InvalidPenalty(penalty.bountyBps, penalty.jailDuration);
        }
        _penalty = penalty;
        emit FalseRootPenaltySet(penalty);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) {
            revert UnsetAddress();
        }
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @dev The key of an attestation: one slash per (node, namespace, seq, root).
    function _attestationKey(address node, bytes32 namespace, uint64 seq, bytes32 claimedRoot)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(node, namespace, seq, claimedRoot));
    }
}
