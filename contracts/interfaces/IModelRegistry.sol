// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DeterminismClass, ModelId, ReleaseTerms, RiskClass} from "../types/ModelTypes.sol";
import {IWorkerRegistry} from "./IWorkerRegistry.sol";

/// @title IModelRegistry
/// @notice The Model Hub on chain: model repositories with pinned releases.
/// @dev A release is identified by its content hash: keccak-256 of the canonical package bytes
///      (manifest, weights, tokenizer). Workers check a package against it before serving it.
///      Prices follow load (`LoadPricing`, EIP-4844's rule): each release keeps an excess accumulator fed by the
///      load recorder (the task escrow) with the compute units of each task it admits, measured against the
///      release's target — half the capacity of the COMPUTE stake serving it — and drained by the target every
///      block. `price` is the live price of one execution: the base price × fake_exponential(excess).
interface IModelRegistry {
    /// @notice The governance parameters of load pricing.
    struct LoadParams {
        /// @notice The one contract whose `recordLoad` calls count as load (the task escrow); zero: none.
        address recorder;
        /// @notice Compute units a block that each 100 tokens (`LoadPricing.STAKE_UNIT`, a minimum-stake worker)
        ///         of COMPUTE stake serving a release can run: its capacity. The target is half the capacity.
        uint64 unitsPerWorker;
    }

    /// @notice Where a release's load stands now.
    struct LoadState {
        /// @notice The excess accumulator, caught up to this block (0 at or below the target).
        uint256 excess;
        /// @notice The target, compute units per block: half the capacity of the COMPUTE stake serving it now.
        uint256 target;
        /// @notice Compute units of one execution.
        uint32 costUnits;
        /// @notice The live price of one execution, token wei.
        uint96 price;
    }

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

    /// @notice Emitted when a release's compute units per execution change.
    /// @param releaseId The release.
    /// @param costUnits The new compute units of one execution.
    event ReleaseCostUnitsChanged(ModelId indexed releaseId, uint32 costUnits);

    /// @notice Emitted when the load pricing parameters change.
    /// @param params The new parameters.
    event LoadParamsChanged(LoadParams params);

    /// @notice Emitted when a release is deprecated.
    /// @param releaseId The release.
    event ReleaseDeprecated(ModelId indexed releaseId);

    /// @notice Emitted when a release's owner publishes a capability tag for it.
    /// @param releaseId The release.
    /// @param tagHash `keccak256(bytes(tag))`, to filter by.
    /// @param tag The tag, e.g. "embedding/384".
    event ReleaseTagged(ModelId indexed releaseId, bytes32 indexed tagHash, string tag);

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

    /// @notice Thrown by `recordLoad` if the caller is not the load recorder.
    /// @param caller The caller.
    error NotLoadRecorder(address caller);

    /// @notice Thrown by `setCostUnits` if the compute units are zero.
    error ZeroCostUnits();

    /// @notice Thrown by `setLoadParams` if `unitsPerWorker` is zero.
    error InvalidLoadParams();

    /// @notice A capability tag must be 1 to `MAX_TAG_LENGTH` bytes of `a-z`, `0-9`, `/`, `-`, `_` or `.`.
    /// @param tag The tag refused.
    error InvalidTag(string tag);

    /// @notice The release already carries this tag, or carries `MAX_TAGS` tags.
    /// @param releaseId The release.
    /// @param tag The tag refused.
    error TagRefused(ModelId releaseId, string tag);

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

    /// @notice Sets the compute units of one execution of a release (its manifest's `cost_units`; 1 until set): the
    ///         load each execution brings, against the capacity of the stake serving the release.
    /// @param releaseId The release; caller must own its repository.
    /// @param costUnits The compute units (non-zero).
    function setCostUnits(ModelId releaseId, uint32 costUnits) external;

    /// @notice Sets the load pricing parameters.
    /// @dev Owner only.
    /// @param params The parameters; `unitsPerWorker` non-zero.
    function setLoadParams(LoadParams calldata params) external;

    /// @notice Adds the load of `executions` runs of a release (× its cost units) to its excess, and returns the
    ///         live price of one execution before that load: what the task that brings it pays.
    /// @dev Load recorder only. The excess is first caught up (the target subtracted for every block since the last
    ///      update, floored at 0); the target is read from the worker registry's COMPUTE draw weight of the release.
    /// @param releaseId The release; reverts `UnknownRelease` if absent.
    /// @param executions Executions arriving now.
    /// @return price The live price of one execution, token wei.
    function recordLoad(ModelId releaseId, uint256 executions) external returns (uint96 price);

    /// @notice Records `tasks` arrivals of `executions` runs each, one after the other, as that many `recordLoad` calls
    ///         would in this block, and returns the live price each arrival saw before its own load.
    /// @dev Load recorder only. The target is read once: no arrival changes the draw weight it comes from.
    /// @param releaseId The release; reverts `UnknownRelease` if absent.
    /// @param executions Executions each arrival brings.
    /// @param tasks Arrivals.
    /// @return prices The live price of one execution before each arrival, token wei, in order.
    function recordLoads(ModelId releaseId, uint256 executions, uint256 tasks) external returns (uint96[] memory prices);

    /// @notice Deprecates a release: no new tasks may use it.
    /// @param releaseId The release; caller must own its repository.
    function deprecate(ModelId releaseId) external;

    /// @notice Publishes a capability tag for a release (e.g. "embedding/384", "forecast/volatility"), so that a
    ///         router can send a request naming the capability to any live release that has it.
    /// @dev Tags are never removed: deprecating the release is how it stops being routed to.
    /// @param releaseId The release; caller must own its repository.
    /// @param tag 1 to `MAX_TAG_LENGTH` bytes of `a-z`, `0-9`, `/`, `-`, `_` or `.`.
    function tagRelease(ModelId releaseId, string calldata tag) external;

    /// @notice Releases carrying a capability tag, in tagging order, deprecated ones included.
    /// @param tag The tag.
    /// @return releaseIds The releases.
    function releasesTagged(string calldata tag) external view returns (ModelId[] memory releaseIds);

    /// @notice Capability tags of a release, in tagging order.
    /// @param releaseId The release.
    /// @return tags Its tags.
    function tagsOf(ModelId releaseId) external view returns (string[] memory tags);

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

    /// @notice The live price of one execution of a release: its base price × the load multiplier, ≥ the base price.
    /// @param releaseId The release.
    /// @return The price, token wei; reverts `UnknownRelease` if absent.
    function price(ModelId releaseId) external view returns (uint96);

    /// @notice Where a release's load stands now: excess, target, cost units and live price.
    /// @param releaseId The release.
    /// @return The load; reverts `UnknownRelease` if absent.
    function load(ModelId releaseId) external view returns (LoadState memory);

    /// @notice The load pricing parameters.
    /// @return The parameters.
    function loadParams() external view returns (LoadParams memory);

    /// @notice The worker registry whose COMPUTE stake sets each release's capacity.
    /// @return The registry.
    function WORKERS() external view returns (IWorkerRegistry);

    /// @notice The pricing and verification terms of a release, in one call.
    /// @param releaseId The release.
    /// @return The terms; reverts `UnknownRelease` if absent.
    function terms(ModelId releaseId) external view returns (ReleaseTerms memory);
}
