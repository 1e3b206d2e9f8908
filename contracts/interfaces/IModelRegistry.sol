// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DeterminismClass, ModelId, ReleaseTerms, RiskClass} from "../types/ModelTypes.sol";

/// @title IModelRegistry
/// @notice The Model Hub on chain: model repositories with pinned releases.
/// @dev A release is identified by its content hash: keccak-256 of the canonical package bytes
///      (manifest, weights, tokenizer). Workers check a package against it before serving it.
interface IModelRegistry {
    /// @notice Full record of a release.
    struct Release {
        /// @notice Repository the release belongs to.
        bytes32 repoId;
        /// @notice Price of one execution, in token wei.
        uint96 basePrice;
        /// @notice Royalty share of each task fee, in basis points.
        uint16 royaltyBps;
        /// @notice How outputs are compared.
        DeterminismClass determinism;
        /// @notice Risk class for the verification gradient.
        RiskClass risk;
        /// @notice Whether new tasks are refused.
        bool deprecated;
        /// @notice For TOLERANCE models: the element-wise tolerance, in millionths.
        uint32 toleranceE6;
        /// @notice Publication time.
        uint40 publishedAt;
        /// @notice Human-readable version, e.g. "1.0.0".
        string version;
    }

    /// @notice Emitted when a repository is created.
    /// @param repoId `keccak256(abi.encode(owner, name))`.
    /// @param owner The repository owner.
    /// @param name The repository name.
    event RepositoryCreated(bytes32 indexed repoId, address indexed owner, string name);

    /// @notice Emitted when repository ownership moves.
    /// @param repoId The repository.
    /// @param previousOwner The old owner.
    /// @param newOwner The new owner.
    event RepositoryTransferred(bytes32 indexed repoId, address indexed previousOwner, address indexed newOwner);

    /// @notice Emitted when a release is published.
    /// @param repoId The repository.
    /// @param releaseId The package content hash.
    /// @param version Human-readable version.
    /// @param determinism How outputs are compared.
    /// @param risk The risk class.
    /// @param basePrice Price per execution.
    /// @param royaltyBps Royalty share.
    event ReleasePublished(
        bytes32 indexed repoId,
        ModelId indexed releaseId,
        string version,
        DeterminismClass determinism,
        RiskClass risk,
        uint96 basePrice,
        uint16 royaltyBps
    );

    /// @notice Emitted when a release's price changes.
    /// @param releaseId The release.
    /// @param basePrice The new price per execution.
    event ReleasePriceChanged(ModelId indexed releaseId, uint96 basePrice);

    /// @notice Emitted when a release is deprecated.
    /// @param releaseId The release.
    event ReleaseDeprecated(ModelId indexed releaseId);

    /// @notice Thrown by `createRepository` if the caller already created a repository of that name
    ///         (even if it has since been transferred: the id is fixed at creation).
    /// @param repoId The existing repository.
    error RepositoryExists(bytes32 repoId);

    /// @notice Thrown if a repository does not exist.
    /// @param repoId The unknown id.
    error UnknownRepository(bytes32 repoId);

    /// @notice Thrown if the caller does not own the repository.
    /// @param repoId The repository.
    /// @param caller The caller.
    error NotRepositoryOwner(bytes32 repoId, address caller);

    /// @notice Thrown by `publishRelease` if a release with this content hash exists.
    /// @param releaseId The content hash.
    error ReleaseExists(ModelId releaseId);

    /// @notice Thrown if a release does not exist.
    /// @param releaseId The unknown id.
    error UnknownRelease(ModelId releaseId);

    /// @notice Thrown by `deprecate` if the release is already deprecated.
    /// @param releaseId The release.
    error ReleaseAlreadyDeprecated(ModelId releaseId);

    /// @notice Thrown if a royalty exceeds `MAX_ROYALTY_BPS`.
    /// @param royaltyBps The requested royalty.
    error RoyaltyTooHigh(uint16 royaltyBps);

    /// @notice Thrown if a content hash or name is empty, or by `transferRepository` if the new owner is zero.
    error EmptyValue();

    /// @notice Thrown if a TOLERANCE release has zero tolerance or an EXACT release a non-zero one.
    /// @param determinism The class.
    /// @param toleranceE6 The tolerance.
    error InvalidTolerance(DeterminismClass determinism, uint32 toleranceE6);

    /// @notice Creates a model repository owned by the caller.
    /// @param name Repository name, unique per owner.
    /// @return repoId `keccak256(abi.encode(msg.sender, name))`.
    function createRepository(string calldata name) external returns (bytes32 repoId);

    /// @notice Moves a repository (and its royalties) to a new owner.
    /// @param repoId The repository.
    /// @param newOwner The new owner.
    function transferRepository(bytes32 repoId, address newOwner) external;

    /// @notice Publishes a release pinned to a package content hash.
    /// @param repoId The repository; caller must own it.
    /// @param releaseId keccak-256 of the canonical package bytes.
    /// @param version Human-readable version.
    /// @param determinism How outputs are compared.
    /// @param toleranceE6 Element-wise tolerance in millionths (TOLERANCE only; 0 for EXACT).
    /// @param risk Risk class.
    /// @param basePrice Price per execution in token wei.
    /// @param royaltyBps Owner royalty in basis points.
    function publishRelease(
        bytes32 repoId,
        ModelId releaseId,
        string calldata version,
        DeterminismClass determinism,
        uint32 toleranceE6,
        RiskClass risk,
        uint96 basePrice,
        uint16 royaltyBps
    ) external;

    /// @notice Changes a release's base price.
    /// @param releaseId The release; caller must own its repository.
    /// @param basePrice The new price.
    function setBasePrice(ModelId releaseId, uint96 basePrice) external;

    /// @notice Deprecates a release: no new tasks may use it.
    /// @param releaseId The release; caller must own its repository.
    function deprecate(ModelId releaseId) external;

    /// @notice The owner of a repository.
    /// @param repoId The repository.
    /// @return The owner, or zero if it does not exist.
    function repositoryOwner(bytes32 repoId) external view returns (address);

    /// @notice All release ids of a repository, oldest first.
    /// @param repoId The repository.
    /// @return The release ids.
    function releasesOf(bytes32 repoId) external view returns (ModelId[] memory);

    /// @notice The full record of a release.
    /// @param releaseId The release.
    /// @return The release; reverts `UnknownRelease` if absent.
    function release(ModelId releaseId) external view returns (Release memory);

    /// @notice Whether a release is deprecated (one storage read: what task creation checks).
    /// @param releaseId The release.
    /// @return True if deprecated; reverts `UnknownRelease` if absent.
    function isDeprecated(ModelId releaseId) external view returns (bool);

    /// @notice The pricing and verification terms of a release, in one call.
    /// @param releaseId The release.
    /// @return The terms; reverts `UnknownRelease` if absent.
    function terms(ModelId releaseId) external view returns (ReleaseTerms memory);
}
