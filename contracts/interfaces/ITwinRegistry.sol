// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelId} from "../types/ModelTypes.sol";
import {CheckStatus, DriftCheck, DriftMember, PendingTerms, TwinBinding} from "../types/TwinTypes.sol";

/// @title ITwinRegistry
/// @notice Twins: executable identities that stay stable when models change. A twin is an ERC-8004 identity (an
///         ERC-721 `agentId` with an `agentURI` pointing at its registration file, and on-chain metadata) bound to a
///         model release, a behaviour profile, a MemSync namespace, a probe set and a drift bound. The release moves
///         only through a drift check: the owner proposes a release and escrows a fee, a committee of VERIFY workers
///         drawn from a future block's hash runs both releases on the probe set and commits, then reveals, the drift
///         it measured; the move is applied only if the agreed drift (the median of the reveals) is within the bound.
///         See docs/twins.md.
/// @dev "Operator" below is ERC-8004's: the token's owner, an address approved for it, or an operator approved for
///      all the owner's tokens. A transfer moves control with the token; the binding and its history stay with the
///      `agentId`. Each check is recorded in the validation registry (`ITwinValidation`), this contract being its
///      validator: a passed check answers 100, a refused one 0.
interface ITwinRegistry {
    /// @notice A registration's on-chain metadata entry (ERC-8004 `MetadataEntry`).
    struct MetadataEntry {
        /// @notice The key (not `agentWallet`, which is reserved).
        string metadataKey;
        /// @notice The value.
        bytes metadataValue;
    }

    /// @notice The drift checks' governance parameters.
    struct CheckParams {
        /// @notice Stake locked on each committee member while it sits; what a fault costs it (token wei, whole gwei).
        uint96 memberLock;
        /// @notice The smallest fee a proposal escrows (token wei).
        uint96 minFee;
        /// @notice How far (ppm) a reveal may sit from the agreed drift and still agree: honest measurements differ
        ///         by float noise, never by more than this.
        uint32 tolerancePpm;
        /// @notice Members drawn for a check, 1..7.
        uint8 committeeSize;
        /// @notice Seconds the committee has to commit once drawn.
        uint40 commitWindow;
        /// @notice Seconds it has to reveal once every member committed (or the commit phase ended).
        uint40 revealWindow;
        /// @notice Seconds a widened bound, or a new profile or probe set, waits before `applyTerms` may apply it.
        uint40 termsDelay;
        /// @notice Seconds a faulty member is kept out of draws.
        uint40 jailDuration;
        /// @notice Receives what faulty members are slashed.
        address treasury;
    }

    // ─── ERC-8004 identity ──────────────────────────────────────────────────────────────────────

    /// @notice Emitted when an identity is minted (ERC-8004).
    /// @param agentId The new identity.
    /// @param agentURI Its registration file's URI ("" if set later).
    /// @param owner Its owner.
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);

    /// @notice Emitted when an on-chain metadata entry is set (ERC-8004).
    /// @param agentId The identity.
    /// @param indexedMetadataKey The key, indexed.
    /// @param metadataKey The key.
    /// @param metadataValue The value.
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );

    /// @notice Emitted when the registration file's URI changes (ERC-8004).
    /// @param agentId The identity.
    /// @param newURI The new URI.
    /// @param updatedBy The operator that changed it.
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);

    // ─── Binding ────────────────────────────────────────────────────────────────────────────────

    /// @notice Emitted when a twin's binding gains a version (the first binding, new terms, a new namespace, a
    ///         release moved by a passed check).
    /// @param agentId The twin.
    /// @param version The version's index in `bindingAt` (0 for the first binding).
    /// @param binding The binding from now on.
    event BindingChanged(uint256 indexed agentId, uint256 indexed version, TwinBinding binding);

    /// @notice Emitted when terms that loosen the twin's promise (a wider bound, another profile or probe set) are
    ///         queued: `applyTerms` applies them from `effectiveAt` on.
    /// @param agentId The twin.
    /// @param pending The queued terms.
    event TermsQueued(uint256 indexed agentId, PendingTerms pending);

    /// @notice Emitted when queued terms are dropped by an immediate change (a narrower bound or the same terms).
    /// @param agentId The twin.
    event QueuedTermsDropped(uint256 indexed agentId);

    // ─── Drift checks ───────────────────────────────────────────────────────────────────────────

    /// @notice Emitted when an operator proposes moving a twin to another release.
    /// @param checkId The check.
    /// @param agentId The twin.
    /// @param fromRelease Its release now.
    /// @param toRelease The release proposed.
    /// @param proposer Who escrowed the fee.
    /// @param fee The fee.
    /// @param anchor The block whose hash draws the committee.
    event UpgradeProposed(
        uint256 indexed checkId,
        uint256 indexed agentId,
        ModelId fromRelease,
        ModelId toRelease,
        address proposer,
        uint96 fee,
        uint32 anchor
    );

    /// @notice Emitted when a check's anchor went stale (its hash or its epoch passed) and a new one was fixed.
    /// @param checkId The check.
    /// @param anchor The new anchor block.
    event CheckAnchored(uint256 indexed checkId, uint32 anchor);

    /// @notice Emitted when a check's committee is drawn; its members commit until `until`.
    /// @param checkId The check.
    /// @param members The verifiers drawn (each locked `memberLock`).
    /// @param until End of the commit phase.
    event CommitteeDrawn(uint256 indexed checkId, address[] members, uint40 until);

    /// @notice Emitted when a member commits to its measurement.
    /// @param checkId The check.
    /// @param member The member.
    /// @param commitment Its commitment.
    event DriftCommitted(uint256 indexed checkId, address indexed member, bytes32 commitment);

    /// @notice Emitted when a member reveals its measurement.
    /// @param checkId The check.
    /// @param member The member.
    /// @param driftPpm The drift it measured, ppm.
    event DriftRevealed(uint256 indexed checkId, address indexed member, uint32 driftPpm);

    /// @notice Emitted when a check is resolved.
    /// @param checkId The check.
    /// @param agentId The twin.
    /// @param status Passed (the release moved), Refused (it did not) or Void (nothing decided).
    /// @param agreedPpm The median of the reveals (0 if none).
    /// @param agreeing Members whose reveal was within the tolerance of it.
    event CheckResolved(
        uint256 indexed checkId, uint256 indexed agentId, CheckStatus status, uint32 agreedPpm, uint8 agreeing
    );

    /// @notice Emitted when a member that did not reveal, or revealed a drift the committee did not agree on, is
    ///         slashed and jailed.
    /// @param checkId The check.
    /// @param member The member.
    /// @param taken The stake taken (credited to the treasury).
    /// @param revealed Whether it had revealed (a disagreeing figure) or not.
    event MemberSlashed(uint256 indexed checkId, address indexed member, uint96 taken, bool revealed);

    /// @notice Emitted when an account's claimable balance grows.
    /// @param account The account.
    /// @param amount The amount credited.
    event Credited(address indexed account, uint256 amount);

    /// @notice Emitted when an account claims its balance.
    /// @param account The account.
    /// @param amount The amount sent.
    event Claimed(address indexed account, uint256 amount);

    /// @notice Emitted when the admin sets the check parameters.
    /// @param params The new parameters.
    event CheckParamsSet(CheckParams params);

    /// @notice Emitted when the admin sets the validation registry that records checks.
    /// @param validation The registry (zero: none).
    event ValidationRegistrySet(address validation);

    // ─── Errors ─────────────────────────────────────────────────────────────────────────────────

    /// @notice Thrown by every function that names a twin if no identity `agentId` was minted.
    /// @param agentId The identity.
    error UnknownTwin(uint256 agentId);

    /// @notice Thrown by the operator's functions if the caller is not the owner or an approved operator.
    /// @param agentId The identity.
    /// @param caller The caller.
    error NotTwinOperator(uint256 agentId, address caller);

    /// @notice Thrown by `register` and `setMetadata` for the key `agentWallet`, which ERC-8004 reserves.
    /// @param metadataKey The key.
    error ReservedMetadataKey(string metadataKey);

    /// @notice Thrown by `bind` if the twin is bound already (its release moves only through a drift check).
    /// @param agentId The twin.
    error AlreadyBound(uint256 agentId);

    /// @notice Thrown by the binding's and the checks' functions if the twin has no binding yet.
    /// @param agentId The twin.
    error NotBound(uint256 agentId);

    /// @notice Thrown by `bind` and `proposeUpgrade` for a deprecated release (an unknown one reverts with
    ///         `IModelRegistry.UnknownRelease`).
    /// @param release The release.
    error ReleaseDeprecated(ModelId release);

    /// @notice Thrown by `proposeUpgrade` if the twin runs that release already.
    /// @param release The release.
    error SameRelease(ModelId release);

    /// @notice Thrown by `bind` and `setMemoryNamespace` if the namespace's owner is not the twin's owner.
    /// @param namespace The namespace.
    /// @param namespaceOwner Its owner.
    error NamespaceNotOwned(bytes32 namespace, address namespaceOwner);

    /// @notice Thrown by `bind` and `proposeTerms` for a zero profile or probe set hash.
    error EmptyTerms();

    /// @notice Thrown by `proposeUpgrade`, `proposeTerms` and `applyTerms` while a check of the twin is open.
    /// @param agentId The twin.
    /// @param checkId The open check.
    error CheckOpen(uint256 agentId, uint256 checkId);

    /// @notice Thrown by `applyTerms` if nothing is queued.
    /// @param agentId The twin.
    error NoQueuedTerms(uint256 agentId);

    /// @notice Thrown by `applyTerms` before the queued terms' effective time.
    /// @param agentId The twin.
    /// @param effectiveAt When they may be applied.
    error TermsNotEffective(uint256 agentId, uint40 effectiveAt);

    /// @notice Thrown by `proposeUpgrade` if the fee is below `minFee`.
    /// @param fee The fee offered.
    /// @param minFee The minimum.
    error FeeTooLow(uint96 fee, uint96 minFee);

    /// @notice Thrown by the check functions for an id no proposal created.
    /// @param checkId The check.
    error UnknownCheck(uint256 checkId);

    /// @notice Thrown by the check functions if the check is not in the status they need.
    /// @param checkId The check.
    /// @param status Its status.
    error WrongCheckStatus(uint256 checkId, CheckStatus status);

    /// @notice Thrown by `drawCommittee` before the anchor block is mined.
    /// @param checkId The check.
    /// @param anchor The anchor block.
    error AnchorPending(uint256 checkId, uint32 anchor);

    /// @notice Thrown by `commitDrift` and `revealDrift` if the caller has no seat on the committee.
    /// @param checkId The check.
    /// @param caller The caller.
    error NotMember(uint256 checkId, address caller);

    /// @notice Thrown by `commitDrift` and `revealDrift` if the member already did that step.
    /// @param checkId The check.
    /// @param member The member.
    error AlreadyVoted(uint256 checkId, address member);

    /// @notice Thrown by `commitDrift` and `revealDrift` after their phase closed.
    /// @param checkId The check.
    /// @param end When it closed.
    error DriftPhaseClosed(uint256 checkId, uint40 end);

    /// @notice Thrown by `resolveCheck` while the committee may still reveal.
    /// @param checkId The check.
    /// @param end When the reveals close.
    error DriftPhaseOpen(uint256 checkId, uint40 end);

    /// @notice Thrown by `revealDrift` before reveals open (some member has not committed and the commit phase runs).
    /// @param checkId The check.
    error DriftRevealNotOpen(uint256 checkId);

    /// @notice Thrown by `commitDrift` for a zero commitment.
    error ZeroCommitment();

    /// @notice Thrown by `revealDrift` if the reveal does not match the member's commitment.
    /// @param checkId The check.
    /// @param member The member.
    error DriftCommitmentMismatch(uint256 checkId, address member);

    /// @notice Thrown by `revealDrift` if the member measured on another probe set than the binding's.
    /// @param checkId The check.
    /// @param expected The binding's probe set hash.
    /// @param reported The one revealed.
    error ProbeSetMismatch(uint256 checkId, bytes32 expected, bytes32 reported);

    /// @notice Thrown by the constructor and `setCheckParams` for a committee outside 1..7, a member lock that is not
    ///         whole gwei, zero windows, or a zero treasury.
    error InvalidCheckParams();

    /// @notice Thrown by the constructor for a zero registry address (named apart from `IMemoryRegistry.UnsetAddress`,
    ///         so that a revert decodes to one contract, as are the `Drift…` and `Twin…` errors below and above).
    error TwinUnsetAddress();

    /// @notice Thrown by `claim` if the caller has nothing to claim.
    /// @param account The caller.
    error TwinNothingToClaim(address account);

    // ─── ERC-8004 identity ──────────────────────────────────────────────────────────────────────

    /// @notice Mints an identity to the caller, with no registration file yet (ERC-8004).
    /// @return agentId The new identity.
    function register() external returns (uint256 agentId);

    /// @notice Mints an identity to the caller with its registration file's URI (ERC-8004).
    /// @param agentURI The registration file (ERC-8004 `registration-v1` JSON: name, description, image,
    ///        endpoints, registrations, supportedTrust).
    /// @return agentId The new identity.
    function register(string calldata agentURI) external returns (uint256 agentId);

    /// @notice Mints an identity to the caller with its registration file's URI and on-chain metadata (ERC-8004).
    /// @dev Emits `Registered`, one `MetadataSet` an entry, and ERC-721's `Transfer`. Reverts
    ///      `ReservedMetadataKey` for `agentWallet`.
    /// @param agentURI The registration file.
    /// @param metadata The entries.
    /// @return agentId The new identity.
    function register(string calldata agentURI, MetadataEntry[] calldata metadata) external returns (uint256 agentId);

    /// @notice Points the identity at a new registration file (ERC-8004).
    /// @dev Operators only.
    /// @param agentId The identity.
    /// @param newURI The new URI.
    function setAgentURI(uint256 agentId, string calldata newURI) external;

    /// @notice Sets an on-chain metadata entry (ERC-8004).
    /// @dev Operators only; `agentWallet` is reserved (`ReservedMetadataKey`).
    /// @param agentId The identity.
    /// @param metadataKey The key.
    /// @param metadataValue The value.
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external;

    /// @notice An on-chain metadata entry (ERC-8004); `agentWallet` reads the twin's wallet, 20 bytes packed.
    /// @param agentId The identity.
    /// @param metadataKey The key.
    /// @return The value (empty if unset).
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory);

    /// @notice Where the twin receives payments (ERC-8004 `agentWallet`): its owner at registration, cleared by a
    ///         transfer.
    /// @param agentId The identity.
    /// @return The wallet (zero after a transfer).
    function getAgentWallet(uint256 agentId) external view returns (address);

    // ─── Binding ────────────────────────────────────────────────────────────────────────────────

    /// @notice Binds a twin for the first time: its release, behaviour profile, memory, probe set and drift bound.
    /// @dev Operators only, once (`AlreadyBound`). The release must exist and not be deprecated; a nonzero namespace
    ///      must exist in the memory registry and belong to the twin's owner; the hashes must be nonzero
    ///      (`EmptyTerms`). A zero bound is allowed: only a release measured identical may then replace this one.
    /// @param agentId The twin.
    /// @param release The model release.
    /// @param profileHash keccak-256 of the behaviour profile.
    /// @param memoryNamespace The MemSync namespace (zero for none).
    /// @param probeSetHash keccak-256 of the probe set.
    /// @param driftBoundPpm The largest drift a release move may show, ppm.
    function bind(
        uint256 agentId,
        ModelId release,
        bytes32 profileHash,
        bytes32 memoryNamespace,
        bytes32 probeSetHash,
        uint32 driftBoundPpm
    ) external;

    /// @notice Changes a twin's profile, probe set or drift bound. Narrowing the bound with the same profile and probe
    ///         set applies at once (and drops anything queued); anything else loosens the twin's promise and is
    ///         queued for `termsDelay` (`TermsQueued`), replacing what was queued.
    /// @dev Operators only; not while a check is open.
    /// @param agentId The twin.
    /// @param profileHash The behaviour profile's hash.
    /// @param probeSetHash The probe set's hash.
    /// @param driftBoundPpm The drift bound, ppm.
    function proposeTerms(uint256 agentId, bytes32 profileHash, bytes32 probeSetHash, uint32 driftBoundPpm) external;

    /// @notice Applies queued terms once their effective time has come.
    /// @dev Anyone; not while a check is open (`CheckOpen`).
    /// @param agentId The twin.
    function applyTerms(uint256 agentId) external;

    /// @notice Moves the twin's memory to another MemSync namespace (or none), at once.
    /// @dev Operators only; the namespace must belong to the twin's owner.
    /// @param agentId The twin.
    /// @param memoryNamespace The namespace (zero for none).
    function setMemoryNamespace(uint256 agentId, bytes32 memoryNamespace) external;

    /// @notice The twin's binding now.
    /// @param agentId The twin.
    /// @return The latest version (reverts `NotBound` if unbound).
    function binding(uint256 agentId) external view returns (TwinBinding memory);

    /// @notice One version of the twin's binding.
    /// @param agentId The twin.
    /// @param version From 0 (the first binding) to `bindingVersions - 1`.
    /// @return The version (reverts with a panic past the last).
    function bindingAt(uint256 agentId, uint256 version) external view returns (TwinBinding memory);

    /// @notice How many versions the twin's binding has had.
    /// @param agentId The twin.
    /// @return The count (0 if unbound).
    function bindingVersions(uint256 agentId) external view returns (uint256);

    /// @notice The twin's queued terms.
    /// @param agentId The twin.
    /// @return The terms (`effectiveAt` 0: none).
    function queuedTerms(uint256 agentId) external view returns (PendingTerms memory);

    // ─── Drift checks ───────────────────────────────────────────────────────────────────────────

    /// @notice Proposes moving the twin to another release and escrows `fee`; a committee is drawn from a future
    ///         block's hash.
    /// @dev Operators only. Pulls `fee` (≥ `minFee`) from the caller with `transferFrom`. One open check a twin; the
    ///      twin's terms are frozen until it resolves. Opens a validation request, this contract the validator.
    /// @param agentId The twin.
    /// @param toRelease The release proposed (known, not deprecated, not the current one).
    /// @param fee The fee: paid to the members that agree, the rest back to the caller.
    /// @return checkId The check.
    function proposeUpgrade(uint256 agentId, ModelId toRelease, uint96 fee) external returns (uint256 checkId);

    /// @notice Draws the check's committee from its anchor's hash: `committeeSize` VERIFY workers serving the
    ///         twin's current release (not the proposed one, whose verifier stake may be new and thin),
    ///         stake-weighted, each locking `memberLock`, none of them the twin's owner, the proposer or the
    ///         proposed release's owner.
    /// @dev Anyone. Reverts `AnchorPending` before the anchor is mined; past its hash horizon or epoch it re-anchors
    ///      (`CheckAnchored`) and returns. With nobody to draw the check is void and the fee returned.
    /// @param checkId The check.
    function drawCommittee(uint256 checkId) external;

    /// @notice Commits the caller's measurement: `driftCommitment(checkId, driftPpm, probeSetHash, salt, caller)`.
    /// @dev Members only, once, before the commit phase ends. The last commitment opens the reveals for
    ///      `revealWindow`.
    /// @param checkId The check.
    /// @param commitment The commitment (nonzero).
    function commitDrift(uint256 checkId, bytes32 commitment) external;

    /// @notice Reveals the caller's measurement; the last reveal resolves the check.
    /// @dev Members that committed only, while reveals are open. Reverts `ProbeSetMismatch` if `probeSetHash` is not
    ///      the binding's, `DriftCommitmentMismatch` if it does not open the commitment.
    /// @param checkId The check.
    /// @param driftPpm The drift measured between the releases on the probe set, ppm (docs/twins.md, "The metric").
    /// @param probeSetHash The probe set measured on.
    /// @param salt The commitment's salt.
    function revealDrift(uint256 checkId, uint32 driftPpm, bytes32 probeSetHash, bytes32 salt) external;

    /// @notice Resolves a check whose reveals closed: the agreed drift is the median of the reveals; if a strict
    ///         majority of the committee revealed within `tolerancePpm` of it, the check passes (the release moves)
    ///         when it is within the bound and is refused otherwise; members that did not reveal, or disagreed, are
    ///         slashed `memberLock` and jailed; the agreeing members share the fee, the rest goes back to the
    ///         proposer. Without such a majority the check is void: only the silent are slashed and the fee returns.
    /// @dev Anyone, after the reveal phase.
    /// @param checkId The check.
    function resolveCheck(uint256 checkId) external;

    /// @notice Sends the caller its claimable balance (fee shares, refunds, slashes for the treasury).
    /// @return amount The amount sent.
    function claim() external returns (uint256 amount);

    /// @notice Sets the check parameters: `memberLock` and `minFee` bind checks proposed from now on,
    ///         `committeeSize` draws from now on, the windows, `tolerancePpm`, `jailDuration` and `treasury` are read
    ///         when used (a check in its vote sees the new ones).
    /// @dev The owner only.
    /// @param params The parameters.
    function setCheckParams(CheckParams calldata params) external;

    /// @notice Sets the validation registry that records checks (zero: none).
    /// @dev The owner only.
    /// @param validation The registry; it must accept requests from this contract.
    function setValidationRegistry(address validation) external;

    /// @notice A check.
    /// @param checkId The check.
    /// @return The check (status None if unknown).
    function getCheck(uint256 checkId) external view returns (DriftCheck memory);

    /// @notice A check's committee.
    /// @param checkId The check.
    /// @return The members, in draw order.
    function committeeOf(uint256 checkId) external view returns (DriftMember[] memory);

    /// @notice The twin's open check.
    /// @param agentId The twin.
    /// @return The check (0: none).
    function openCheckOf(uint256 agentId) external view returns (uint256);

    /// @notice The commitment a member sends to `commitDrift`.
    /// @param checkId The check.
    /// @param driftPpm The drift measured, ppm.
    /// @param probeSetHash The probe set measured on.
    /// @param salt A secret salt.
    /// @param member The member.
    /// @return `keccak256(abi.encode(checkId, driftPpm, probeSetHash, salt, member))`.
    function driftCommitment(uint256 checkId, uint32 driftPpm, bytes32 probeSetHash, bytes32 salt, address member)
        external
        pure
        returns (bytes32);

    /// @notice The request hash under which a check is recorded in the validation registry.
    /// @param checkId The check.
    /// @return `keccak256(abi.encode(address(this), checkId))`.
    function validationRequestHash(uint256 checkId) external view returns (bytes32);

    /// @notice What an account may claim.
    /// @param account The account.
    /// @return The amount, token wei.
    function claimable(address account) external view returns (uint256);

    /// @notice What this contract owes: fees of open checks plus every claimable balance. Equals its token balance.
    /// @return The amount, token wei.
    function liabilities() external view returns (uint256);

    /// @notice Checks proposed so far (ids run from 1).
    /// @return The count.
    function checkCount() external view returns (uint256);

    /// @notice Identities minted so far (ids run from 1).
    /// @return The count.
    function twinCount() external view returns (uint256);

    /// @notice The check parameters.
    /// @return The parameters.
    function checkParams() external view returns (CheckParams memory);

    /// @notice The validation registry that records checks (zero: none).
    /// @return The registry.
    function validationRegistry() external view returns (address);
}
