// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMemoryRegistry
/// @notice MemSync's anchor on chain: an agent's memory lives in a namespace, owned by an address, held by store
///         nodes (its replicas) and summed up by a Merkle root over its active memories that only the owner or a
///         delegate moves, by an EIP-712 `RootUpdate` signature that anyone may relay. Store nodes sign
///         `ServedRoot` attestations of the root they serve; an attestation of a root the chain does not hold at that
///         sequence number slashes the node. See docs/memsync.md, "Namespaces and roots".
/// @dev Sequence numbers only rise, so `rootAt(namespace, seq)` is written at most once and never changes: a seq at
///      or below the latest is final (committed, or a gap that stays empty), a seq above it holds nothing yet. A
///      node that attests only (seq, root) pairs it read from a final block of the chain can therefore never be
///      slashed, whatever the owner commits later; a node that attests a seq before it is committed (say, a root
///      it computed from the owner's signed writes) takes the risk that the owner commits another root there, and
///      that is its own fault. Delegates belong to an owner epoch: `transferNamespace` starts a new epoch, so the
///      old owner's delegates lose their rights with it.
interface IMemoryRegistry {
    /// @notice A namespace as `namespaceInfo` presents it.
    struct NamespaceInfo {
        /// @notice Who owns it: sets delegates and replicas, transfers it, signs roots.
        address owner;
        /// @notice The latest committed sequence number (0: nothing committed since creation).
        uint64 seq;
        /// @notice The root at `seq` (0x00…00: no memories).
        bytes32 root;
        /// @notice The number of active memories under `root`.
        uint32 count;
        /// @notice The owner epoch: 1 at creation, +1 on every transfer; delegates are kept per epoch.
        uint32 epoch;
        /// @notice The store nodes that hold its memories.
        address[] replicas;
    }

    /// @notice A committed root.
    struct Root {
        /// @notice The Merkle root over the namespace's active memories (docs/memsync.md).
        bytes32 root;
        /// @notice The number of active memories under it.
        uint32 count;
        /// @notice The block it was committed in; 0 if nothing was committed at this seq.
        uint64 committedAt;
    }

    /// @notice What a false-root report costs the node, set by the admin.
    struct Penalty {
        /// @notice Stake taken from the node (active first, then unbonding), token wei.
        uint96 slashAmount;
        /// @notice The reporter's share of what was taken, basis points (≤ `MAX_BOUNTY_BPS`); the treasury gets the
        ///         rest.
        uint16 bountyBps;
        /// @notice How long the node is jailed (not drawn for tasks), seconds (≤ `MAX_JAIL_DURATION`); 0: not jailed.
        uint40 jailDuration;
    }

    /// @notice Emitted when a namespace is created.
    /// @param namespace `keccak256(abi.encode(owner, label))`.
    /// @param owner Its owner, the creator.
    /// @param label The owner's label.
    /// @param replicas Its store nodes.
    event NamespaceCreated(bytes32 indexed namespace, address indexed owner, bytes32 label, address[] replicas);

    /// @notice Emitted when the owner adds or removes a delegate.
    /// @param namespace The namespace.
    /// @param epoch The owner epoch the delegation belongs to.
    /// @param delegate The delegate.
    /// @param allowed Whether it may now sign roots.
    event DelegateSet(bytes32 indexed namespace, uint32 epoch, address indexed delegate, bool allowed);

    /// @notice Emitted when the owner replaces the replica set.
    /// @param namespace The namespace.
    /// @param replicas The new store nodes.
    event ReplicasSet(bytes32 indexed namespace, address[] replicas);

    /// @notice Emitted when a namespace changes owner (every delegate of the old owner loses its rights).
    /// @param namespace The namespace.
    /// @param from The old owner.
    /// @param to The new owner.
    /// @param epoch The new owner epoch.
    event NamespaceTransferred(bytes32 indexed namespace, address indexed from, address indexed to, uint32 epoch);

    /// @notice Emitted when a root is committed.
    /// @param namespace The namespace.
    /// @param seq Its new latest sequence number.
    /// @param root The root at `seq`.
    /// @param count The number of active memories under it.
    /// @param signer The owner or delegate that signed it (or called).
    event RootCommitted(bytes32 indexed namespace, uint64 indexed seq, bytes32 root, uint32 count, address signer);

    /// @notice Emitted when a node is slashed for attesting a root the chain does not hold.
    /// @param namespace The namespace.
    /// @param seq The attested sequence number.
    /// @param node The node that signed the attestation.
    /// @param claimedRoot The root it attested.
    /// @param reporter Who reported it (paid the bounty).
    /// @param slashed The stake taken (at most the penalty: what the node had).
    /// @param bounty The reporter's share of it; the rest went to the treasury.
    event FalseRootReported(
        bytes32 indexed namespace,
        uint64 indexed seq,
        address indexed node,
        bytes32 claimedRoot,
        address reporter,
        uint256 slashed,
        uint256 bounty
    );

    /// @notice Emitted when the admin sets the false-root penalty.
    /// @param penalty The new penalty.
    event FalseRootPenaltySet(Penalty penalty);

    /// @notice Emitted when the admin sets the treasury.
    /// @param treasury The new treasury.
    event TreasurySet(address treasury);

    /// @notice Thrown by the constructor if the worker registry is unset, and by the constructor and `setTreasury` if
    ///         the treasury is (named apart from `IPipeSettlement.ZeroAddress`, so that a revert decodes to one
    ///         contract).
    error UnsetAddress();

    /// @notice Thrown by the constructor and `setFalseRootPenalty` if the bounty share is above `MAX_BOUNTY_BPS` or the
    ///         jail above `MAX_JAIL_DURATION`.
    /// @param bountyBps The share asked for.
    /// @param jailDuration The jail asked for.
    error InvalidPenalty(uint16 bountyBps, uint40 jailDuration);

    /// @notice Thrown by `createNamespace` if the caller already has a namespace with this label.
    /// @param namespace The namespace.
    error NamespaceExists(bytes32 namespace);

    /// @notice Thrown by the owner's functions, `commitRoot` and `namespaceInfo` for a namespace nobody created.
    /// @param namespace The namespace.
    error UnknownNamespace(bytes32 namespace);

    /// @notice Thrown by `setDelegate`, `setReplicas` and `transferNamespace` if the caller is not the owner.
    /// @param namespace The namespace.
    /// @param caller The caller.
    error NotNamespaceOwner(bytes32 namespace, address caller);

    /// @notice Thrown by `createNamespace` and `setReplicas` for fewer than `MIN_REPLICAS` or more than
    ///         `MAX_REPLICAS` replicas.
    /// @param count The number given.
    error InvalidReplicaCount(uint256 count);

    /// @notice Thrown by `createNamespace` and `setReplicas` if a replica is listed twice.
    /// @param replica The replica.
    error DuplicateReplica(address replica);

    /// @notice Thrown by `createNamespace` and `setReplicas` if a replica is not a registered worker with the STORE
    ///         role.
    /// @param replica The replica.
    error NotStoreNode(address replica);

    /// @notice Thrown by `setDelegate` for the zero address, and by `transferNamespace` for a zero new owner.
    /// @param account The account.
    error InvalidAccount(address account);

    /// @notice Thrown by `commitRoot` if `seq` is not above the latest sequence number.
    /// @param latest The latest sequence number.
    error StaleSequence(uint64 latest);

    /// @notice Thrown by `commitRoot` after the update's deadline.
    /// @param deadline The deadline (unix seconds).
    error UpdateExpired(uint256 deadline);

    /// @notice Thrown by `commitRoot` unless the signature (or, with no signature, the caller) is the owner's or a
    ///         current delegate's.
    /// @param namespace The namespace.
    /// @param account The caller, or the address the signature recovers to (0 if it recovers to none).
    error NotAuthorized(bytes32 namespace, address account);

    /// @notice Thrown by `reportFalseRoot` if no root was committed at `seq` (above the latest, or a gap): the
    ///         attestation cannot be judged, and an honest node never signs one.
    /// @param namespace The namespace.
    /// @param seq The sequence number.
    error NoRootAt(bytes32 namespace, uint64 seq);

    /// @notice Thrown by `reportFalseRoot` if the attested root is the chain's root at `seq`: the attestation is true.
    /// @param namespace The namespace.
    /// @param seq The sequence number.
    error RootMatches(bytes32 namespace, uint64 seq);

    /// @notice Thrown by `reportFalseRoot` if the signature is not `node`'s (EOA or ERC-1271).
    /// @param node The node named.
    error InvalidAttestation(address node);

    /// @notice Thrown by `reportFalseRoot` if this attestation (node, namespace, seq, root) was slashed already.
    /// @param attestation `keccak256(abi.encode(node, namespace, seq, claimedRoot))`.
    error AlreadyReported(bytes32 attestation);

    /// @notice Thrown by `reportFalseRoot` if the node has no stake left to slash (the attestation stays reportable).
    /// @param node The node.
    error NothingToSlash(address node);

    /// @notice Creates the namespace `keccak256(abi.encode(msg.sender, label))`, owned by the caller, with root
    ///         0x00…00 (no memories) committed at seq 0.
    /// @dev Replicas: `MIN_REPLICAS`..`MAX_REPLICAS` distinct registered workers holding the STORE role.
    /// @param label The caller's label for it.
    /// @param replicas Its store nodes.
    /// @return namespace The new namespace.
    function createNamespace(bytes32 label, address[] calldata replicas) external returns (bytes32 namespace);

    /// @notice Lets `delegate` sign (or commit) roots of the namespace, or stops it.
    /// @dev Owner only. The delegation belongs to the current owner epoch and ends with a transfer.
    /// @param namespace The namespace.
    /// @param delegate The delegate (not the zero address).
    /// @param allowed Whether it may.
    function setDelegate(bytes32 namespace, address delegate, bool allowed) external;

    /// @notice Replaces the namespace's replica set.
    /// @dev Owner only; the same rules as at creation.
    /// @param namespace The namespace.
    /// @param replicas The new store nodes.
    function setReplicas(bytes32 namespace, address[] calldata replicas) external;

    /// @notice Hands the namespace to `newOwner` and starts a new owner epoch: the old owner and its delegates can
    ///         no longer sign roots, including updates they signed before.
    /// @dev Owner only. The namespace id does not change (it names the creator and label, not the owner).
    /// @param namespace The namespace.
    /// @param newOwner The new owner (not the zero address).
    function transferNamespace(bytes32 namespace, address newOwner) external;

    /// @notice Commits `root` at `seq`: the owner or a delegate signed the EIP-712
    ///         `RootUpdate(bytes32 namespace,uint64 seq,bytes32 root,uint32 count,uint256 deadline)`, and anyone relays
    ///         it; or the owner or a delegate calls with an empty signature.
    /// @dev The signature is an EOA's (it must recover to the owner or a current delegate) or the owner's ERC-1271
    ///      wallet's; a contract delegate commits by calling. `seq` must be above the latest (replays and reorders
    ///      fail with `StaleSequence`); gaps are allowed and stay empty for good.
    /// @param namespace The namespace.
    /// @param seq The new sequence number.
    /// @param root The Merkle root over the active memories.
    /// @param count The number of active memories.
    /// @param deadline The last second (unix) the update may be committed.
    /// @param signature The EIP-712 signature, or empty when the caller commits for itself.
    function commitRoot(
        bytes32 namespace,
        uint64 seq,
        bytes32 root,
        uint32 count,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Slashes a store node that attested a root the chain does not hold: `node` signed the EIP-712
    ///         `ServedRoot(bytes32 namespace,uint64 seq,bytes32 root)` for `claimedRoot`, a root was committed at
    ///         `seq`, and it is another one. The caller earns the penalty's bounty share; the treasury gets the rest.
    /// @dev Permissionless. `node` need not be a replica, nor hold the STORE role any more (dropping the role after
    ///      lying would otherwise escape the slash): what is slashed is its stake, active then unbonding, up to
    ///      `falseRootPenalty().slashAmount`; it is also jailed for `jailDuration`. Each attestation (node,
    ///      namespace, seq, root) slashes once. A root committed at `seq` never changes, so an attestation of a
    ///      committed (seq, root) read from the chain can never be reported; one of an uncommitted seq cannot be
    ///      reported until a root is committed there (`NoRootAt`). Payouts are transferred at once.
    /// @param namespace The namespace.
    /// @param seq The attested sequence number.
    /// @param claimedRoot The attested root.
    /// @param node The node that signed.
    /// @param signature Its signature (EOA, or ERC-1271 if `node` is a contract).
    /// @return slashed The stake taken.
    /// @return bounty The caller's share of it.
    function reportFalseRoot(bytes32 namespace, uint64 seq, bytes32 claimedRoot, address node, bytes calldata signature)
        external
        returns (uint256 slashed, uint256 bounty);

    /// @notice Sets what a false-root report costs the node.
    /// @dev DEFAULT_ADMIN_ROLE only. Applies to reports from now on.
    /// @param penalty The penalty (`bountyBps` ≤ `MAX_BOUNTY_BPS`, `jailDuration` ≤ `MAX_JAIL_DURATION`).
    function setFalseRootPenalty(Penalty calldata penalty) external;

    /// @notice Sets who receives the slashed stake the reporter does not.
    /// @dev DEFAULT_ADMIN_ROLE only.
    /// @param treasury The treasury (not the zero address).
    function setTreasury(address treasury) external;

    /// @notice A namespace's owner, latest root and replicas.
    /// @dev Reverts `UnknownNamespace` for a namespace nobody created.
    /// @param namespace The namespace.
    /// @return The namespace.
    function namespaceInfo(bytes32 namespace) external view returns (NamespaceInfo memory);

    /// @notice The root committed at `seq` (all zero if none: above the latest, a gap, or an unknown namespace).
    /// @param namespace The namespace.
    /// @param seq The sequence number.
    /// @return The root, its count and the block it was committed in.
    function rootAt(bytes32 namespace, uint64 seq) external view returns (Root memory);

    /// @notice Whether `account` may sign roots of the namespace now: its owner or a delegate of the current epoch.
    /// @param namespace The namespace.
    /// @param account The account.
    /// @return Whether it may.
    function isAuthorized(bytes32 namespace, address account) external view returns (bool);

    /// @notice Whether `node` is one of the namespace's replicas.
    /// @param namespace The namespace.
    /// @param node The node.
    /// @return Whether it is.
    function isReplica(bytes32 namespace, address node) external view returns (bool);

    /// @notice Whether this attestation was slashed already.
    /// @param node The node.
    /// @param namespace The namespace.
    /// @param seq The attested sequence number.
    /// @param claimedRoot The attested root.
    /// @return Whether it was.
    function reported(address node, bytes32 namespace, uint64 seq, bytes32 claimedRoot) external view returns (bool);

    /// @notice A memory's leaf: `keccak256(bytes.concat(keccak256(abi.encode(id, version, contentHash,
    ///         attributesHash))))`, hashed twice as OpenZeppelin's `MerkleProof` expects.
    /// @param id The memory's id.
    /// @param version Its version.
    /// @param contentHash `keccak256` of its UTF-8 text.
    /// @param attributesHash The hash of its committed attributes (docs/memsync.md).
    /// @return The leaf.
    function leafHash(bytes32 id, uint64 version, bytes32 contentHash, bytes32 attributesHash)
        external
        pure
        returns (bytes32);

    /// @notice Whether `leaf` is under the root committed at `seq`, by a proof of siblings hashed commutatively
    ///         (OpenZeppelin's `MerkleProof`; an odd last node carried up simply has one sibling fewer).
    /// @dev False if nothing was committed at `seq`, and for a root of no memories (0x00…00).
    /// @param namespace The namespace.
    /// @param seq The sequence number.
    /// @param leaf The memory's leaf (`leafHash`).
    /// @param proof Its siblings, leaf level first.
    /// @return Whether it is included.
    function verifyMemory(bytes32 namespace, uint64 seq, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The EIP-712 digest an owner or delegate signs to commit a root.
    /// @param namespace The namespace.
    /// @param seq The sequence number.
    /// @param root The root.
    /// @param count The number of active memories.
    /// @param deadline The deadline (unix seconds).
    /// @return The digest.
    function rootUpdateDigest(bytes32 namespace, uint64 seq, bytes32 root, uint32 count, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest a store node signs to attest the root it serves.
    /// @param namespace The namespace.
    /// @param seq The sequence number.
    /// @param root The root.
    /// @return The digest.
    function servedRootDigest(bytes32 namespace, uint64 seq, bytes32 root) external view returns (bytes32);

    /// @notice The current false-root penalty.
    /// @return The penalty.
    function falseRootPenalty() external view returns (Penalty memory);

    /// @notice Who receives the slashed stake the reporter does not.
    /// @return The treasury.
    function treasury() external view returns (address);
}
