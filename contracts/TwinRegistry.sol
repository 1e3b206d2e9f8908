// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

import {IMemoryRegistry} from "./interfaces/IMemoryRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";
import {ITwinValidation} from "./interfaces/ITwinValidation.sol";
import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {Anchors} from "./libraries/Anchors.sol";
import {DriftTally} from "./libraries/DriftTally.sol";
import {DriftVoting} from "./libraries/DriftVoting.sol";
import {ModelId} from "./types/ModelTypes.sol";
import {Roles} from "./types/Roles.sol";
import {TaskId} from "./types/TaskTypes.sol";
import {
    BindingChange,
    CheckStatus,
    DriftCheck,
    DriftMember,
    DriftVote,
    PendingTerms,
    TwinBinding
} from "./types/TwinTypes.sol";

/// @title TwinRegistry
/// @notice Twins' identities (ERC-8004's identity registry, ERC-721), their bindings with every version kept, and the
///         drift checks that alone move a twin to another release. See ITwinRegistry and docs/twins.md.
/// @dev Holds SLASHER_ROLE on the worker registry: it draws committees and locks, unlocks, slashes and jails their
///      members with the escrow's own calls (`drawAndLock`, `unlock`, `closeSeat`, `slash`, `jail`), from an anchor
///      fixed by `Anchors` as the escrow's committees are. Money moves only by crediting claimable balances and by
///      `claim`: the token balance always equals `liabilities()` = fees of open checks + unclaimed balances.
contract TwinRegistry is ITwinRegistry, ERC721URIStorage, Ownable {
    using SafeERC20 for IERC20;

    /// @notice The `Anchors.seed` purpose of a drift committee draw: apart from the escrow's purposes (0..2).
    uint256 public constant DRIFT_DRAW = uint256(keccak256("verigrad.twins.drift-committee"));
    /// @notice The largest committee.
    uint8 public constant MAX_COMMITTEE = 7;
    /// @notice The longest jail a fault imposes (keeps `now + jailDuration` far inside a uint40).
    uint40 public constant MAX_JAIL_DURATION = 365 days;
    /// @notice The validation registry's response for a passed check.
    uint8 public constant PASSED_RESPONSE = 100;
    /// @notice The validation request's URI: the request names the check by its hash (`validationRequestHash`), and
    ///         the check's record is on chain (`getCheck`, `committeeOf`).
    string public constant VALIDATION_REQUEST_URI = "verigrad:drift-check";
    /// @notice The validation registry's tag of a drift check's response.
    string public constant VALIDATION_TAG = "drift";

    /// @dev keccak256("agentWallet"): ERC-8004's reserved metadata key.
    bytes32 private constant AGENT_WALLET_KEY = keccak256("agentWallet");

    /// @notice Draws, locks, slashes and jails committee members.
    IWorkerRegistry public immutable WORKERS;
    /// @notice Where releases are known and deprecated.
    IModelRegistry public immutable MODELS;
    /// @notice Where MemSync namespaces are owned.
    IMemoryRegistry public immutable MEMORY;
    /// @notice The staked token: fees, slashes.
    IERC20 public immutable TOKEN;

    uint256 private _twinCount;
    uint256 private _checkCount;
    uint256 private _liabilities;
    CheckParams private _params;
    address private _validation;

    mapping(uint256 agentId => mapping(string metadataKey => bytes)) private _metadata;
    mapping(uint256 agentId => address) private _agentWallet;
    /// @dev Version i of a twin's binding; only ever appended to.
    mapping(uint256 agentId => TwinBinding[]) private _history;
    mapping(uint256 agentId => PendingTerms) private _queued;
    mapping(uint256 agentId => uint256 checkId) private _openCheck;
    mapping(uint256 checkId => DriftCheck) private _checks;
    mapping(uint256 checkId => DriftMember[]) private _committees;
    mapping(address account => uint256) private _claimable;

    /// @param workers The worker registry (this contract needs its SLASHER_ROLE).
    /// @param models The model registry.
    /// @param memory_ The memory registry.
    /// @param admin The owner (the parameters and the validation registry).
    /// @param params The check parameters.
    constructor(
        IWorkerRegistry workers,
        IModelRegistry models,
        IMemoryRegistry memory_,
        address admin,
        CheckParams memory params
    ) ERC721("verigrad Twin", "TWIN") Ownable(admin) {
        if (address(workers) == address(0) || address(models) == address(0) || address(memory_) == address(0)) {
            revert TwinUnsetAddress();
        }
        WORKERS = workers;
        MODELS = models;
        MEMORY = memory_;
        TOKEN = IERC20(workers.stakeToken());
        _setCheckParams(params);
    }

    // ─── ERC-8004 identity ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITwinRegistry
    function register() external returns (uint256 agentId) {
        agentId = _mintTwin("", new MetadataEntry[](0));
    }

    /// @inheritdoc ITwinRegistry
    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _mintTwin(agentURI, new MetadataEntry[](0));
    }

    /// @inheritdoc ITwinRegistry
    function register(string calldata agentURI, MetadataEntry[] calldata metadata) external returns (uint256 agentId) {
        agentId = _mintTwin(agentURI, metadata);
    }

    /// @inheritdoc ITwinRegistry
    function setAgentURI(uint256 agentId, string calldata newURI) external {
        _operator(agentId);
        _setTokenURI(agentId, newURI);
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    /// @inheritdoc ITwinRegistry
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external {
        _operator(agentId);
        _setMetadata(agentId, metadataKey, metadataValue);
    }

    /// @inheritdoc ITwinRegistry
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory) {
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY) {
            address wallet = _agentWallet[agentId];
            return wallet == address(0) ? bytes("") : abi.encodePacked(wallet);
        }
        return _metadata[agentId][metadataKey];
    }

    /// @inheritdoc ITwinRegistry
    function getAgentWallet(uint256 agentId) external view returns (address) {
        _existing(agentId);
        return _agentWallet[agentId];
    }

    // ─── Binding ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITwinRegistry
    function bind(
        uint256 agentId,
        ModelId release,
        bytes32 profileHash,
        bytes32 memoryNamespace,
        bytes32 probeSetHash,
        uint32 driftBoundPpm
    ) external {
        address owner = _operator(agentId);
        if (_history[agentId].length != 0) {
            revert AlreadyBound(agentId);
        }
        if (profileHash == bytes32(0) || probeSetHash == bytes32(0)) {
            revert EmptyTerms();
        }
        _checkRelease(release);
        _checkNamespace(memoryNamespace, owner);
        _push(
            agentId,
            TwinBinding(
                release,
                profileHash,
                memoryNamespace,
                probeSetHash,
                driftBoundPpm,
                uint40(block.timestamp),
                0,
                BindingChange.Bound
            )
        );
    }

    /// @inheritdoc ITwinRegistry
    function proposeTerms(uint256 agentId, bytes32 profileHash, bytes32 probeSetHash, uint32 driftBoundPpm) external {
        _operator(agentId);
        TwinBinding memory current = _latest(agentId);
        _requireNoOpenCheck(agentId);
        if (profileHash == bytes32(0) || probeSetHash == bytes32(0)) {
            revert EmptyTerms();
        }
        if (
            profileHash == current.profileHash && probeSetHash == current.probeSetHash
                && driftBoundPpm <= current.driftBoundPpm
        ) {
            // Narrower (or the same): the promise only tightens, so it holds at once.
            if (_queued[agentId].effectiveAt != 0) {
                delete _queued[agentId];
                emit QueuedTermsDropped(agentId);
            }
            if (driftBoundPpm != current.driftBoundPpm) {
                current.driftBoundPpm = driftBoundPpm;
                _pushVersion(agentId, current, BindingChange.Terms, 0);
            }
            return;
        }
        PendingTerms memory queued =
            PendingTerms(profileHash, probeSetHash, driftBoundPpm, uint40(block.timestamp) + _params.termsDelay);
        _queued[agentId] = queued;
        emit TermsQueued(agentId, queued);
    }

    /// @inheritdoc ITwinRegistry
    function applyTerms(uint256 agentId) external {
        _existing(agentId);
        TwinBinding memory current = _latest(agentId);
        _requireNoOpenCheck(agentId);
        PendingTerms memory queued = _queued[agentId];
        if (queued.effectiveAt == 0) {
            revert NoQueuedTerms(agentId);
        }
        if (block.timestamp < queued.effectiveAt) {
            revert TermsNotEffective(agentId, queued.effectiveAt);
        }
        delete _queued[agentId];
        current.profileHash = queued.profileHash;
        current.probeSetHash = queued.probeSetHash;
        current.driftBoundPpm = queued.driftBoundPpm;
        _pushVersion(agentId, current, BindingChange.Terms, 0);
    }

    /// @inheritdoc ITwinRegistry
    function setMemoryNamespace(uint256 agentId, bytes32 memoryNamespace) external {
        address owner = _operator(agentId);
        TwinBinding memory current = _latest(agentId);
        _checkNamespace(memoryNamespace, owner);
        current.memoryNamespace = memoryNamespace;
        _pushVersion(agentId, current, BindingChange.Memory, 0);
    }

    /// @inheritdoc ITwinRegistry
    function binding(uint256 agentId) external view returns (TwinBinding memory) {
        return _latest(agentId);
    }

    /// @inheritdoc ITwinRegistry
    function bindingAt(uint256 agentId, uint256 version) external view returns (TwinBinding memory) {
        return _history[agentId][version];
    }

    /// @inheritdoc ITwinRegistry
    function bindingVersions(uint256 agentId) external view returns (uint256) {
        return _history[agentId].length;
    }

    /// @inheritdoc ITwinRegistry
    function queuedTerms(uint256 agentId) external view returns (PendingTerms memory) {
        return _queued[agentId];
    }

    // ─── Drift checks ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITwinRegistry
    function proposeUpgrade(uint256 agentId, ModelId toRelease, uint96 fee) external returns (uint256 checkId) {
        _operator(agentId);
        TwinBinding memory current = _latest(agentId);
        _requireNoOpenCheck(agentId);
        if (toRelease == current.release) {
            revert SameRelease(toRelease);
        }
        _checkRelease(toRelease);
        CheckParams memory p = _params;
        if (fee < p.minFee) {
            revert FeeTooLow(fee, p.minFee);
        }
        checkId = ++_checkCount;
        uint32 anchor = Anchors.forDraw(WORKERS.epochBlocks());
        DriftCheck storage c = _checks[checkId];
        c.agentId = agentId;
        c.fromRelease = current.release;
        c.toRelease = toRelease;
        c.probeSetHash = current.probeSetHash;
        c.proposer = msg.sender;
        c.fee = fee;
        c.driftBoundPpm = current.driftBoundPpm;
        c.anchor = anchor;
        c.status = CheckStatus.Anchored;
        c.memberLockGwei = uint64(p.memberLock / 1 gwei); // < 2^96 / 1e9 < 2^64
        _openCheck[agentId] = checkId;
        _liabilities += fee;
        emit UpgradeProposed(checkId, agentId, current.release, toRelease, msg.sender, fee, anchor);
        TOKEN.safeTransferFrom(msg.sender, address(this), fee);
        _requestValidation(checkId, agentId);
    }

    /// @inheritdoc ITwinRegistry
    function drawCommittee(uint256 checkId) external {
        DriftCheck storage c = _check(checkId, CheckStatus.Anchored);
        uint256 epochBlocks = WORKERS.epochBlocks();
        uint32 anchor = c.anchor;
        Anchors.Phase phase = Anchors.drawPhase(anchor, epochBlocks);
        if (phase == Anchors.Phase.Pending) {
            revert AnchorPending(checkId, anchor);
        }
        if (phase == Anchors.Phase.Stale) {
            anchor = Anchors.forDraw(epochBlocks);
            c.anchor = anchor;
            emit CheckAnchored(checkId, anchor);
            return;
        }
        // Nobody who gains from the move measures it: the twin's owner, the proposer, the release's owner.
        address[] memory parties = new address[](3);
        parties[0] = ownerOf(c.agentId);
        parties[1] = c.proposer;
        parties[2] = MODELS.terms(c.toRelease).owner;
        // Drawn from the verifiers of the release the twin runs now, not of the proposed one: a new
        // release's VERIFY stake is thin, and whoever wants the move could stake sybil verifiers for it.
        // Members fetch the proposed release from the store by its content hash.
        address[] memory members = WORKERS.drawAndLock(
            c.fromRelease,
            Roles.VERIFY,
            Anchors.seed(anchor, TaskId.wrap(checkId), DRIFT_DRAW),
            _params.committeeSize,
            parties,
            uint96(c.memberLockGwei) * 1 gwei // whole gwei, as stored
        );
        c.anchor = 0;
        uint256 size = members.length;
        if (size == 0) {
            _close(checkId, c, CheckStatus.Void, 0, 0, 0);
            return;
        }
        DriftMember[] storage committee = _committees[checkId];
        for (uint256 i; i < size; ++i) {
            committee.push(DriftMember(members[i], DriftVote.None, 0, bytes32(0)));
        }
        uint40 until = uint40(block.timestamp) + _params.commitWindow;
        // forge-lint: disable-next-line(unsafe-typecast)
        c.size = uint8(size); // size ≤ committeeSize ≤ 7
        c.until = until;
        c.status = CheckStatus.Voting;
        emit CommitteeDrawn(checkId, members, until);
    }

    /// @inheritdoc ITwinRegistry
    function commitDrift(uint256 checkId, bytes32 commitment) external {
        DriftVoting.commit(
            _check(checkId, CheckStatus.Voting), _committees[checkId], checkId, commitment, _params.revealWindow
        );
    }

    /// @inheritdoc ITwinRegistry
    function revealDrift(uint256 checkId, uint32 driftPpm, bytes32 probeSetHash, bytes32 salt) external {
        DriftCheck storage c = _check(checkId, CheckStatus.Voting);
        if (DriftVoting.reveal(c, _committees[checkId], checkId, driftPpm, probeSetHash, salt, _params.revealWindow)) {
            _resolve(checkId, c);
        }
    }

    /// @inheritdoc ITwinRegistry
    function resolveCheck(uint256 checkId) external {
        DriftCheck storage c = _check(checkId, CheckStatus.Voting);
        uint40 end = DriftVoting.revealEnd(c, _params.revealWindow);
        if (block.timestamp < end) {
            revert DriftPhaseOpen(checkId, end);
        }
        _resolve(checkId, c);
    }

    /// @inheritdoc ITwinRegistry
    function claim() external returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) {
            revert TwinNothingToClaim(msg.sender);
        }
        _claimable[msg.sender] = 0;
        _liabilities -= amount;
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    // ─── Admin ──────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITwinRegistry
    function setCheckParams(CheckParams calldata params) external onlyOwner {
        _setCheckParams(params);
    }

    /// @inheritdoc ITwinRegistry
    function setValidationRegistry(address validation) external onlyOwner {
        _validation = validation;
        emit ValidationRegistrySet(validation);
    }

    // ─── Views ──────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ITwinRegistry
    function getCheck(uint256 checkId) external view returns (DriftCheck memory) {
        return _checks[checkId];
    }

    /// @inheritdoc ITwinRegistry
    function committeeOf(uint256 checkId) external view returns (DriftMember[] memory) {
        return _committees[checkId];
    }

    /// @inheritdoc ITwinRegistry
    function openCheckOf(uint256 agentId) external view returns (uint256) {
        return _openCheck[agentId];
    }

    /// @inheritdoc ITwinRegistry
    function driftCommitment(uint256 checkId, uint32 driftPpm, bytes32 probeSetHash, bytes32 salt, address member)
        public
        pure
        returns (bytes32)
    {
        return DriftVoting.commitmentOf(checkId, driftPpm, probeSetHash, salt, member);
    }

    /// @inheritdoc ITwinRegistry
    function validationRequestHash(uint256 checkId) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), checkId));
    }

    /// @inheritdoc ITwinRegistry
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc ITwinRegistry
    function liabilities() external view returns (uint256) {
        return _liabilities;
    }

    /// @inheritdoc ITwinRegistry
    function checkCount() external view returns (uint256) {
        return _checkCount;
    }

    /// @inheritdoc ITwinRegistry
    function twinCount() external view returns (uint256) {
        return _twinCount;
    }

    /// @inheritdoc ITwinRegistry
    function checkParams() external view returns (CheckParams memory) {
        return _params;
    }

    /// @inheritdoc ITwinRegistry
    function validationRegistry() external view returns (address) {
        return _validation;
    }

    // ─── Internals ──────────────────────────────────────────────────────────────────────────────

    /// @dev Mints the next identity to the caller; its wallet is the caller until a transfer (ERC-8004).
    function _mintTwin(string memory agentURI, MetadataEntry[] memory metadata) private returns (uint256 agentId) {
        agentId = ++_twinCount;
        if (bytes(agentURI).length != 0) {
            _setTokenURI(agentId, agentURI);
        }
        _agentWallet[agentId] = msg.sender;
        emit Registered(agentId, agentURI, msg.sender);
        for (uint256 i; i < metadata.length; ++i) {
            _setMetadata(agentId, metadata[i].metadataKey, metadata[i].metadataValue);
        }
        _safeMint(msg.sender, agentId);
    }

    function _setMetadata(uint256 agentId, string memory metadataKey, bytes memory metadataValue) private {
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY) {
            revert ReservedMetadataKey(metadataKey);
        }
        _metadata[agentId][metadataKey] = metadataValue;
        emit MetadataSet(agentId, metadataKey, metadataKey, metadataValue);
    }

    /// @dev A transfer clears the twin's wallet (ERC-8004): the new owner names its own.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0) && _agentWallet[tokenId] != address(0)) {
            delete _agentWallet[tokenId];
            emit MetadataSet(tokenId, "agentWallet", "agentWallet", "");
        }
    }

    /// @dev Tallies the reveals, settles every member and applies the verdict.
    function _resolve(uint256 checkId, DriftCheck storage c) private {
        (uint32 agreed, uint256 agreeing) = DriftVoting.tally(_committees[checkId], c.reveals, _params.tolerancePpm);
        // A strict majority of the drawn committee must agree; else nothing is proven about anyone's figure.
        bool decided = agreeing * 2 > c.size;
        uint256 paid = _settleMembers(checkId, c, agreed, decided);
        CheckStatus status =
            !decided ? CheckStatus.Void : agreed <= c.driftBoundPpm ? CheckStatus.Passed : CheckStatus.Refused;
        // forge-lint: disable-next-line(unsafe-typecast)
        _close(checkId, c, status, agreed, uint8(agreeing), paid); // agreeing ≤ size ≤ 7
    }

    /// @dev Pays each agreeing member an equal share of the fee (once decided) and releases its lock; slashes and
    ///      jails the members that did not reveal, or (once decided) disagree. Returns what was paid.
    function _settleMembers(uint256 checkId, DriftCheck storage c, uint32 agreed, bool decided)
        private
        returns (uint256 paid)
    {
        DriftMember[] storage committee = _committees[checkId];
        uint256 size = committee.length;
        uint256 share = decided ? c.fee / size : 0;
        uint32 tolerance = _params.tolerancePpm;
        for (uint256 i; i < size; ++i) {
            DriftMember storage m = committee[i];
            bool revealed = m.vote == DriftVote.Revealed;
            if (revealed && (!decided || DriftTally.agrees(m.driftPpm, agreed, tolerance))) {
                WORKERS.unlock(m.verifier, _memberLock(c));
                _credit(m.verifier, share);
                paid += share;
            } else {
                _penalize(checkId, c, m.verifier, revealed);
            }
        }
    }

    /// @dev Records the verdict, refunds the unpaid fee, frees the twin's terms, moves the release if it passed and
    ///      answers the validation request.
    function _close(
        uint256 checkId,
        DriftCheck storage c,
        CheckStatus status,
        uint32 agreed,
        uint8 agreeing,
        uint256 paid
    ) private {
        uint256 agentId = c.agentId;
        c.status = status;
        c.agreedPpm = agreed;
        delete _openCheck[agentId];
        _credit(c.proposer, c.fee - paid);
        if (status == CheckStatus.Passed) {
            TwinBinding memory moved = _latest(agentId);
            moved.release = c.toRelease;
            _pushVersion(agentId, moved, BindingChange.Release, checkId);
        }
        emit CheckResolved(checkId, agentId, status, agreed, agreeing);
        if (status != CheckStatus.Void) {
            _respondValidation(checkId, status == CheckStatus.Passed ? PASSED_RESPONSE : 0, agreed);
        }
    }

    /// @dev Records a fault on the release, releases the member's lock, slashes it (to the treasury) and jails it.
    function _penalize(uint256 checkId, DriftCheck storage c, address member, bool revealed) private {
        uint96 lock = _memberLock(c);
        WORKERS.closeSeat(member, c.fromRelease, lock, false);
        uint96 taken = WORKERS.slash(member, lock);
        WORKERS.jail(member, uint40(block.timestamp) + _params.jailDuration);
        _liabilities += taken;
        _credit(_params.treasury, taken);
        emit MemberSlashed(checkId, member, taken, revealed);
    }

    function _memberLock(DriftCheck storage c) private view returns (uint96) {
        return uint96(c.memberLockGwei) * 1 gwei; // < 2^64 gwei < 2^96 wei
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) {
            return;
        }
        _claimable[account] += amount;
        emit Credited(account, amount);
    }

    /// @dev Opens the check's validation request (this contract the validator). A registry that refuses it (unset
    ///      at first, or replaced) must not block the check, so a failure is ignored.
    function _requestValidation(uint256 checkId, uint256 agentId) private {
        address validation = _validation;
        if (validation == address(0)) {
            return;
        }
        try ITwinValidation(validation)
            .validationRequest(address(this), agentId, VALIDATION_REQUEST_URI, validationRequestHash(checkId)) {}
            catch {}
    }

    /// @dev Answers the check's validation request; the agreed drift is the response hash. Ignored if the registry
    ///      refuses it (say, it never saw the request), as in `_requestValidation`.
    function _respondValidation(uint256 checkId, uint8 response, uint32 agreed) private {
        address validation = _validation;
        if (validation == address(0)) {
            return;
        }
        try ITwinValidation(validation)
            .validationResponse(
                validationRequestHash(checkId), response, "", bytes32(uint256(agreed)), VALIDATION_TAG
            ) {}
            catch {}
    }

    function _pushVersion(uint256 agentId, TwinBinding memory b, BindingChange change, uint256 checkId) private {
        b.since = uint40(block.timestamp);
        b.change = change;
        // forge-lint: disable-next-line(unsafe-typecast)
        b.checkId = uint64(checkId); // checks are counted one by one: far below 2^64
        _push(agentId, b);
    }

    function _push(uint256 agentId, TwinBinding memory b) private {
        TwinBinding[] storage history = _history[agentId];
        history.push(b);
        emit BindingChanged(agentId, history.length - 1, b);
    }

    function _setCheckParams(CheckParams memory params) private {
        if (
            params.committeeSize == 0 || params.committeeSize > MAX_COMMITTEE || params.memberLock % 1 gwei != 0
                || params.commitWindow == 0 || params.revealWindow == 0 || params.treasury == address(0)
                || params.jailDuration > MAX_JAIL_DURATION
        ) {
            revert InvalidCheckParams();
        }
        _params = params;
        emit CheckParamsSet(params);
    }

    /// @dev Reverts unless the caller is the twin's owner or an approved operator; returns the owner.
    function _operator(uint256 agentId) private view returns (address owner) {
        owner = _existing(agentId);
        if (!_isAuthorized(owner, msg.sender, agentId)) {
            revert NotTwinOperator(agentId, msg.sender);
        }
    }

    function _existing(uint256 agentId) private view returns (address owner) {
        owner = _ownerOf(agentId);
        if (owner == address(0)) {
            revert UnknownTwin(agentId);
        }
    }

    function _latest(uint256 agentId) private view returns (TwinBinding memory) {
        TwinBinding[] storage history = _history[agentId];
        uint256 n = history.length;
        if (n == 0) {
            revert NotBound(agentId);
        }
        return history[n - 1];
    }

    function _requireNoOpenCheck(uint256 agentId) private view {
        uint256 open = _openCheck[agentId];
        if (open != 0) {
            revert CheckOpen(agentId, open);
        }
    }

    /// @dev A known, undeprecated release (`IModelRegistry.UnknownRelease` bubbles up for an unknown one).
    function _checkRelease(ModelId release) private view {
        if (MODELS.isDeprecated(release)) {
            revert ReleaseDeprecated(release);
        }
    }

    /// @dev None, or a namespace the twin's owner owns (`IMemoryRegistry.UnknownNamespace` for an unknown one).
    function _checkNamespace(bytes32 namespace, address owner) private view {
        if (namespace == bytes32(0)) {
            return;
        }
        address namespaceOwner = MEMORY.namespaceInfo(namespace).owner;
        if (namespaceOwner != owner) {
            revert NamespaceNotOwned(namespace, namespaceOwner);
        }
    }

    function _check(uint256 checkId, CheckStatus expected) private view returns (DriftCheck storage c) {
        c = _checks[checkId];
        CheckStatus status = c.status;
        if (status == CheckStatus.None) {
            revert UnknownCheck(checkId);
        }
        if (status != expected) {
            revert WrongCheckStatus(checkId, status);
        }
    }
}
