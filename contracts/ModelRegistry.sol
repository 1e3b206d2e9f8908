// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {LoadPricing} from "./libraries/LoadPricing.sol";
import {DeterminismClass, ModelId, ReleaseTerms, RiskClass} from "./types/ModelTypes.sol";
import {Roles} from "./types/Roles.sol";

/// @title ModelRegistry
/// @notice The Model Hub on chain. See IModelRegistry.
/// @dev Each repository gets a 1-based sequential index at creation. Releases store that index in their
///      packed hot slot, so `terms` (read by the escrow on every task) costs two SLOADs: the hot slot and
///      the owner of the indexed repository. Index 0 marks "absent" for both repositories and releases.
///      Load pricing (`LoadPricing`): each release's load is one more slot, written at publication (so that the
///      recorder's updates rewrite a non-zero slot); the owner sets the recorder and the capacity per worker.
contract ModelRegistry is IModelRegistry, Ownable {
    using LoadPricing for LoadPricing.Load;

    /// @notice Largest royalty a release may set, in basis points (50%).
    uint16 public constant MAX_ROYALTY_BPS = 5_000;
    /// @notice Compute units a block a minimum-stake worker (100 tokens) counts for until the owner says otherwise:
    ///         16 runs of the volatility model (64 units), about what one worker finalizes per 1-second block in the
    ///         LIGHT bench (docs/performance.md).
    uint64 public constant DEFAULT_UNITS_PER_WORKER = 1_024;
    /// @notice Longest capability tag, in bytes.
    uint256 public constant MAX_TAG_LENGTH = 64;
    /// @notice Most capability tags one release may carry (bounds `tagsOf`).
    uint256 public constant MAX_TAGS = 16;

    /// @inheritdoc IModelRegistry
    IWorkerRegistry public immutable WORKERS;

    /// @notice The fields of a release that `terms` needs, packed into one slot (256 bits exactly).
    struct Hot {
        /// @dev Bits 0..95: price of one execution, in token wei.
        uint96 basePrice;
        /// @dev Bits 96..111: owner royalty, in basis points (≤ MAX_ROYALTY_BPS).
        uint16 royaltyBps;
        /// @dev Bits 112..119: how outputs are compared.
        DeterminismClass determinism;
        /// @dev Bits 120..127: risk class.
        RiskClass risk;
        /// @dev Bits 128..135: whether new tasks are refused.
        bool deprecated;
        /// @dev Bits 136..167: TOLERANCE tolerance in millionths (0 for EXACT).
        uint32 toleranceE6;
        /// @dev Bits 168..207: publication time.
        uint40 publishedAt;
        /// @dev Bits 208..255: index of the owning repository in `_repos`; 0 if the release does not exist.
        uint48 repoIndex;
    }

    /// @notice A release as stored.
    struct StoredRelease {
        /// @dev Slot 0: everything `terms` reads.
        Hot hot;
        /// @dev Slot 1 onwards: the human-readable version (cold; only `release` reads it).
        string version;
    }

    /// @notice A repository as stored, keyed by its index.
    struct Repository {
        /// @dev Slot 0: the owner, who earns royalties and manages releases.
        address owner;
        /// @dev Slot 1: `keccak256(abi.encode(creator, name))`.
        bytes32 id;
    }

    /// @dev Number of repositories created; the last index handed out.
    uint48 private _repoCount;
    /// @dev Repository index by id (0 if absent).
    mapping(bytes32 repoId => uint48 index) private _repoIndex;
    /// @dev Repositories by index (1-based).
    mapping(uint256 index => Repository) private _repos;
    /// @dev Release ids of each repository, oldest first.
    mapping(bytes32 repoId => ModelId[] releaseIds) private _releasesOf;
    /// @dev Releases by content hash.
    mapping(ModelId releaseId => StoredRelease) private _releases;
    /// @dev Load of each release (one slot each).
    mapping(ModelId releaseId => LoadPricing.Load) private _loads;
    /// @dev Load pricing parameters (one slot: recorder | units per worker).
    LoadParams private _loadParams;
    /// @dev Releases carrying each capability tag, by `keccak256(bytes(tag))`.
    mapping(bytes32 tagHash => ModelId[] releaseIds) private _tagged;
    /// @dev Capability tags of each release.
    mapping(ModelId releaseId => string[] tags) private _tagsOf;

    /// @param owner_ May set the load pricing parameters.
    /// @param workers The worker registry whose COMPUTE stake sets each release's capacity.
    constructor(address owner_, IWorkerRegistry workers) Ownable(owner_) {
        WORKERS = workers;
        _setLoadParams(LoadParams(address(0), DEFAULT_UNITS_PER_WORKER));
    }

    /// @inheritdoc IModelRegistry
    function createRepository(string calldata name) external returns (bytes32 repoId) {
        if (bytes(name).length == 0) {
            revert EmptyValue();
        }
        repoId = keccak256(abi.encode(msg.sender, name));
        if (_repoIndex[repoId] != 0) {
            revert RepositoryExists(repoId);
        }
        uint48 index = ++_repoCount;
        _repoIndex[repoId] = index;
        _repos[index] = Repository(msg.sender, repoId);
        emit RepositoryCreated(repoId, msg.sender, name);
    }

    /// @inheritdoc IModelRegistry
    function transferRepository(bytes32 repoId, address newOwner) external {
        (, Repository storage repo) = _ownedRepository(repoId);
        if (newOwner == address(0)) {
            revert EmptyValue();
        }
        repo.owner = newOwner;
        emit RepositoryTransferred(repoId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function publishRelease(
        bytes32 repoId,
        ModelId releaseId,
        string calldata version,
        DeterminismClass determinism,
        uint32 toleranceE6,
        RiskClass risk,
        uint96 basePrice,
        uint16 royaltyBps
    ) external {
        (uint48 repoIndex,) = _ownedRepository(repoId);
        if (ModelId.unwrap(releaseId) == 0) {
            revert EmptyValue();
        }
        StoredRelease storage stored = _releases[releaseId];
        if (stored.hot.repoIndex != 0) {
            revert ReleaseExists(releaseId);
        }
        if (royaltyBps > MAX_ROYALTY_BPS) {
            revert RoyaltyTooHigh(royaltyBps);
        }
        if ((determinism == DeterminismClass.EXACT) != (toleranceE6 == 0)) {
            revert InvalidTolerance(determinism, toleranceE6);
        }
        stored.hot = Hot({
            basePrice: basePrice,
            royaltyBps: royaltyBps,
            determinism: determinism,
            risk: risk,
            deprecated: false,
            toleranceE6: toleranceE6,
            publishedAt: uint40(block.timestamp),
            repoIndex: repoIndex
        });
        stored.version = version;
        _loads[releaseId] = LoadPricing.Load({excess: 0, updated: uint64(block.number), costUnits: 1});
        _releasesOf[repoId].push(releaseId);
        emit ReleasePublished(repoId, releaseId, version, determinism, risk, basePrice, royaltyBps);
    }

    /// @inheritdoc IModelRegistry
    function setBasePrice(ModelId releaseId, uint96 basePrice) external {
        Hot storage hot = _ownedRelease(releaseId);
        hot.basePrice = basePrice;
        emit ReleasePriceChanged(releaseId, basePrice);
    }

    /// @inheritdoc IModelRegistry
    function setCostUnits(ModelId releaseId, uint32 costUnits) external {
        _ownedRelease(releaseId);
        if (costUnits == 0) {
            revert ZeroCostUnits();
        }
        _loads[releaseId].costUnits = costUnits;
        emit ReleaseCostUnitsChanged(releaseId, costUnits);
    }

    /// @inheritdoc IModelRegistry
    function setLoadParams(LoadParams calldata params) external onlyOwner {
        _setLoadParams(params);
    }

    /// @inheritdoc IModelRegistry
    /// @dev No event: the excess is a running meter like EIP-4844's `excess_blob_gas`, updated by every task the
    ///      escrow admits; `load` reads it, and the escrow's events carry what each task paid.
    function recordLoad(ModelId releaseId, uint256 executions) external returns (uint96) {
        (uint96 basePrice, LoadPricing.Load storage stored, uint256 target) = _meter(releaseId);
        return LoadPricing.price(basePrice, stored.record(executions * stored.costUnits, target));
    }

    /// @inheritdoc IModelRegistry
    function recordLoads(ModelId releaseId, uint256 executions, uint256 tasks)
        external
        returns (uint96[] memory prices)
    {
        (uint96 basePrice, LoadPricing.Load storage stored, uint256 target) = _meter(releaseId);
        uint256 units = executions * stored.costUnits;
        prices = new uint96[](tasks);
        for (uint256 i; i < tasks; ++i) {
            prices[i] = LoadPricing.price(basePrice, stored.record(units, target));
        }
    }

    /// @dev What recording load on a release needs, for the escrow (the recorder) only: its base price, its load
    ///      meter and the target utilisation of the COMPUTE stake serving it.
    function _meter(ModelId releaseId)
        private
        view
        returns (uint96 basePrice, LoadPricing.Load storage stored, uint256 target)
    {
        LoadParams memory params = _loadParams;
        if (msg.sender != params.recorder) {
            revert NotLoadRecorder(msg.sender);
        }
        basePrice = _hot(releaseId).basePrice;
        stored = _loads[releaseId];
        target = LoadPricing.targetOf(WORKERS.drawWeight(releaseId, Roles.COMPUTE), params.unitsPerWorker);
    }

    /// @inheritdoc IModelRegistry
    function deprecate(ModelId releaseId) external {
        Hot storage hot = _ownedRelease(releaseId);
        if (hot.deprecated) {
            revert ReleaseAlreadyDeprecated(releaseId);
        }
        hot.deprecated = true;
        emit ReleaseDeprecated(releaseId);
    }

    /// @inheritdoc IModelRegistry
    function tagRelease(ModelId releaseId, string calldata tag) external {
        _ownedRelease(releaseId);
        if (!_validTag(bytes(tag))) {
            revert InvalidTag(tag);
        }
        bytes32 tagHash = keccak256(bytes(tag));
        string[] storage tags = _tagsOf[releaseId];
        uint256 count = tags.length;
        if (count == MAX_TAGS) {
            revert TagRefused(releaseId, tag);
        }
        for (uint256 i; i < count; ++i) {
            if (keccak256(bytes(tags[i])) == tagHash) {
                revert TagRefused(releaseId, tag);
            }
        }
        tags.push(tag);
        _tagged[tagHash].push(releaseId);
        emit ReleaseTagged(releaseId, tagHash, tag);
    }

    /// @inheritdoc IModelRegistry
    function releasesTagged(string calldata tag) external view returns (ModelId[] memory) {
        return _tagged[keccak256(bytes(tag))];
    }

    /// @inheritdoc IModelRegistry
    function tagsOf(ModelId releaseId) external view returns (string[] memory) {
        return _tagsOf[releaseId];
    }

    /// @inheritdoc IModelRegistry
    function repositoryOwner(bytes32 repoId) external view returns (address) {
        return _repos[_repoIndex[repoId]].owner;
    }

    /// @inheritdoc IModelRegistry
    function releasesOf(bytes32 repoId) external view returns (ModelId[] memory) {
        return _releasesOf[repoId];
    }

    /// @inheritdoc IModelRegistry
    function release(ModelId releaseId) external view returns (Release memory) {
        StoredRelease storage stored = _releases[releaseId];
        Hot memory hot = _hot(releaseId);
        return Release({
            repoId: _repos[hot.repoIndex].id,
            basePrice: hot.basePrice,
            royaltyBps: hot.royaltyBps,
            determinism: hot.determinism,
            risk: hot.risk,
            deprecated: hot.deprecated,
            toleranceE6: hot.toleranceE6,
            publishedAt: hot.publishedAt,
            version: stored.version
        });
    }

    /// @inheritdoc IModelRegistry
    function terms(ModelId releaseId) external view returns (ReleaseTerms memory) {
        Hot memory hot = _hot(releaseId);
        return ReleaseTerms({
            owner: _repos[hot.repoIndex].owner,
            basePrice: hot.basePrice,
            royaltyBps: hot.royaltyBps,
            determinism: hot.determinism,
            risk: hot.risk,
            deprecated: hot.deprecated
        });
    }

    /// @inheritdoc IModelRegistry
    function price(ModelId releaseId) external view returns (uint96) {
        return LoadPricing.price(_hot(releaseId).basePrice, _loads[releaseId].current());
    }

    /// @inheritdoc IModelRegistry
    function load(ModelId releaseId) external view returns (LoadState memory state) {
        uint96 basePrice = _hot(releaseId).basePrice;
        LoadPricing.Load memory stored = _loads[releaseId];
        state.excess = stored.current();
        state.target = LoadPricing.targetOf(WORKERS.drawWeight(releaseId, Roles.COMPUTE), _loadParams.unitsPerWorker);
        state.costUnits = stored.costUnits;
        state.price = LoadPricing.price(basePrice, state.excess);
    }

    /// @inheritdoc IModelRegistry
    function loadParams() external view returns (LoadParams memory) {
        return _loadParams;
    }

    /// @inheritdoc IModelRegistry
    function isDeprecated(ModelId releaseId) external view returns (bool) {
        return _hot(releaseId).deprecated;
    }

    /// @dev Decodes a release's hot slot with one SLOAD; reverts `UnknownRelease` if absent. The shifts follow
    ///      the bit ranges documented on `Hot`; the round-trip tests check them against the compiler's layout.
    function _hot(ModelId releaseId) private view returns (Hot memory hot) {
        Hot storage stored = _releases[releaseId].hot;
        uint256 word;
        // One read of the whole slot: copying the struct to memory makes the legacy code generator SLOAD it
        // once per field.
        assembly ("memory-safe") {
            word := sload(stored.slot)
        }
        // forge-lint: disable-start(unsafe-typecast)
        // Each cast keeps exactly one field's bit range.
        hot = Hot({
            basePrice: uint96(word),
            royaltyBps: uint16(word >> 96),
            determinism: DeterminismClass(uint8(word >> 112)),
            risk: RiskClass(uint8(word >> 120)),
            deprecated: uint8(word >> 128) != 0,
            toleranceE6: uint32(word >> 136),
            publishedAt: uint40(word >> 168),
            repoIndex: uint48(word >> 208)
        });
        // forge-lint: disable-end(unsafe-typecast)
        if (hot.repoIndex == 0) {
            revert UnknownRelease(releaseId);
        }
    }

    /// @dev Whether `tag` is 1 to `MAX_TAG_LENGTH` bytes of `a-z`, `0-9`, `/`, `-`, `_` or `.`: one spelling per
    ///      capability, so that two owners' tags for the same thing hash alike.
    function _validTag(bytes calldata tag) private pure returns (bool) {
        uint256 length = tag.length;
        if (length == 0 || length > MAX_TAG_LENGTH) {
            return false;
        }
        for (uint256 i; i < length; ++i) {
            bytes1 c = tag[i];
            bool allowed =
                (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "/" || c == "-" || c == "_" || c == ".";
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    function _setLoadParams(LoadParams memory params) private {
        if (params.unitsPerWorker == 0) {
            revert InvalidLoadParams();
        }
        _loadParams = params;
        emit LoadParamsChanged(params);
    }

    /// @dev The repository `repoId`; reverts unless it exists and the caller owns it.
    function _ownedRepository(bytes32 repoId) private view returns (uint48 index, Repository storage repo) {
        index = _repoIndex[repoId];
        if (index == 0) {
            revert UnknownRepository(repoId);
        }
        repo = _repos[index];
        if (repo.owner != msg.sender) {
            revert NotRepositoryOwner(repoId, msg.sender);
        }
    }

    /// @dev The hot slot of release `releaseId`; reverts unless it exists and the caller owns its repository.
    function _ownedRelease(ModelId releaseId) private view returns (Hot storage hot) {
        hot = _releases[releaseId].hot;
        uint48 index = hot.repoIndex;
        if (index == 0) {
            revert UnknownRelease(releaseId);
        }
        Repository storage repo = _repos[index];
        if (repo.owner != msg.sender) {
            revert NotRepositoryOwner(repo.id, msg.sender);
        }
    }
}
