// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {DeterminismClass, ModelId, ReleaseTerms, RiskClass} from "./types/ModelTypes.sol";

/// @title ModelRegistry
/// @notice The Model Hub on chain. See IModelRegistry.
/// @dev Each repository gets a 1-based sequential index at creation. Releases store that index in their
///      packed hot slot, so `terms` (read by the escrow on every task) costs two SLOADs: the hot slot and
///      the owner of the indexed repository. Index 0 marks "absent" for both repositories and releases.
contract ModelRegistry is IModelRegistry {
    /// @notice Largest royalty a release may set, in basis points (50%).
    uint16 public constant MAX_ROYALTY_BPS = 5_000;

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
    function deprecate(ModelId releaseId) external {
        Hot storage hot = _ownedRelease(releaseId);
        if (hot.deprecated) {
            revert ReleaseAlreadyDeprecated(releaseId);
        }
        hot.deprecated = true;
        emit ReleaseDeprecated(releaseId);
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
