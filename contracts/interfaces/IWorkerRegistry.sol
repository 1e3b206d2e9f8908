// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelId} from "../types/ModelTypes.sol";

/// @title IWorkerRegistry
/// @notice Worker registration, staking, unbonding, slashing, jailing, reputation, and stake-weighted
///         draws of workers for tasks and committees.
/// @dev Stake is the network token. Slashing reaches unbonding stake too, so leaving does not escape a
///      fault. Only holders of SLASHER_ROLE (the task escrow) may slash, jail or record outcomes.
interface IWorkerRegistry {
    /// @notice Seats of one worker on one model closed together (`releaseSeats`).
    struct SeatRelease {
        /// @notice The worker.
        address worker;
        /// @notice The release its tasks ran (counts only where `accepted` is non-zero).
        ModelId modelId;
        /// @notice The collateral its seats locked, summed.
        uint96 lock;
        /// @notice How many of those seats were accepted and earn reputation.
        uint32 accepted;
    }

    /// @notice A worker's record.
    /// @dev The implementation may pack it differently; this is how `getWorker` presents it.
    struct Worker {
        /// @notice Bonded stake, in token wei (locked stake included).
        uint96 stake;
        /// @notice Part of `stake` locked as collateral by open task seats; it cannot be unbonded.
        uint96 locked;
        /// @notice The worker is not drawn for tasks until this time.
        uint40 jailedUntil;
        /// @notice Role bitmask (see `Roles`).
        uint8 roles;
        /// @notice Whether the worker has registered.
        bool registered;
        /// @notice Tasks completed with an accepted result, over all models.
        uint32 tasksDone;
        /// @notice Proven faults (wrong result, missed reveal, missed vote), over all models.
        uint32 faults;
        /// @notice Stake waiting out the unbonding delay (still slashable).
        uint96 unbonding;
        /// @notice When `unbonding` may be withdrawn.
        uint40 unbondingUntil;
        /// @notice Where the worker's API is served (e.g. "http://127.0.0.1:9000").
        string endpoint;
    }

    /// @notice Emitted on registration.
    /// @param worker The worker.
    /// @param roles Its roles.
    /// @param stake The initial stake.
    /// @param endpoint Its endpoint.
    event WorkerRegistered(address indexed worker, uint8 roles, uint96 stake, string endpoint);

    /// @notice Emitted when a worker changes its roles.
    /// @param worker The worker.
    /// @param roles The new roles.
    event RolesChanged(address indexed worker, uint8 roles);

    /// @notice Emitted when a worker changes its endpoint.
    /// @param worker The worker.
    /// @param endpoint The new endpoint.
    event EndpointChanged(address indexed worker, string endpoint);

    /// @notice Emitted when a worker starts or stops serving a model release.
    /// @param worker The worker.
    /// @param modelId The release id.
    /// @param serving Whether it now serves the model.
    event ModelServingChanged(address indexed worker, ModelId indexed modelId, bool serving);

    /// @notice Emitted when stake is added.
    /// @param worker The worker.
    /// @param amount The amount added.
    /// @param stake The new active stake.
    event StakeAdded(address indexed worker, uint96 amount, uint96 stake);

    /// @notice Emitted when stake starts unbonding.
    /// @param worker The worker.
    /// @param amount The amount moved to unbonding.
    /// @param unbondingUntil When it may be withdrawn.
    event Unbonding(address indexed worker, uint96 amount, uint40 unbondingUntil);

    /// @notice Emitted when unbonded stake is withdrawn.
    /// @param worker The worker.
    /// @param amount The amount withdrawn.
    event Withdrawn(address indexed worker, uint96 amount);

    /// @notice Emitted when stake is slashed.
    /// @param worker The worker.
    /// @param amount The amount taken (active first, then unbonding).
    /// @param to Who received the slashed tokens.
    event Slashed(address indexed worker, uint96 amount, address indexed to);

    /// @notice Emitted when a worker is jailed.
    /// @param worker The worker.
    /// @param until The end of the jail time.
    event Jailed(address indexed worker, uint40 until);

    /// @notice Emitted when a task outcome is recorded against a worker for a model (by `releaseSeats`: the last
    ///         of several accepted outcomes, whose counters it carries).
    /// @param worker The worker.
    /// @param modelId The release the task ran.
    /// @param ok Whether its result was accepted.
    /// @param tasksDone Its new count of accepted tasks on this model.
    /// @param faults Its new count of faults on this model.
    event OutcomeRecorded(address indexed worker, ModelId indexed modelId, bool ok, uint32 tasksDone, uint32 faults);

    /// @notice Emitted when stake is locked as a seat's collateral.
    /// @param worker The worker.
    /// @param amount The amount locked.
    /// @param locked The worker's total locked stake.
    event StakeLocked(address indexed worker, uint96 amount, uint96 locked);

    /// @notice Emitted when locked stake is released.
    /// @param worker The worker.
    /// @param amount The amount released.
    /// @param locked The worker's total locked stake.
    event StakeUnlocked(address indexed worker, uint96 amount, uint96 locked);

    /// @notice Emitted when the epoch length changes.
    /// @param blocks The new epoch length in blocks.
    event EpochBlocksChanged(uint32 blocks);

    /// @notice Emitted when the minimum stake for a role changes.
    /// @param role The role bit.
    /// @param amount The new minimum.
    event MinStakeChanged(uint8 role, uint96 amount);

    /// @notice Emitted when the unbonding delay changes.
    /// @param delay The new delay in seconds.
    event UnbondingDelayChanged(uint40 delay);

    /// @notice Thrown by `register` if the caller is already registered.
    /// @param worker The caller.
    error AlreadyRegistered(address worker);

    /// @notice Thrown if the caller is not registered.
    /// @param worker The caller.
    error NotRegistered(address worker);

    /// @notice Thrown if a role mask is empty or has undefined bits.
    /// @param roles The mask.
    error InvalidRoles(uint8 roles);

    /// @notice Thrown if stake would fall below the minimum for the worker's roles.
    /// @param stake The resulting stake.
    /// @param required The minimum.
    error InsufficientStake(uint96 stake, uint96 required);

    /// @notice Thrown by `register`, `addStake` and `unbond` if the amount is zero.
    error ZeroAmount();

    /// @notice Thrown by `unbond` if the amount exceeds the stake that is not locked.
    /// @param amount The requested amount.
    /// @param free The stake not locked by open seats.
    error UnbondExceedsStake(uint96 amount, uint96 free);

    /// @notice Thrown by `setEpochBlocks` if the length is outside 4..256 (a draw must see its anchor's hash).
    /// @param blocks The value.
    error InvalidEpochBlocks(uint32 blocks);

    /// @notice Thrown by `withdraw` if nothing is unbonding or the delay has not passed.
    /// @param unbondingUntil When withdrawal opens (0 if nothing is unbonding).
    error NothingToWithdraw(uint40 unbondingUntil);

    /// @notice Thrown by `serveModel` if the worker already serves the model, or by `stopServing` if it does not.
    /// @param modelId The release id.
    error ServingUnchanged(ModelId modelId);

    /// @notice Thrown by `setMinStake`, `roleCount` and `drawAndLock` if `role` is not a single defined role bit.
    /// @param role The value.
    error InvalidRole(uint8 role);

    /// @notice Registers the caller with roles, an endpoint, served models and an initial stake.
    /// @dev Pulls `stake` with `transferFrom`; the stake must be non-zero and cover `requiredStake(roles)`.
    ///      Reverts `ServingUnchanged` if `models` lists a release twice. Jail and reputation counters belong
    ///      to the address and are kept.
    /// @param roles Role bitmask.
    /// @param endpoint API endpoint.
    /// @param models Release ids served.
    /// @param stake Initial stake.
    function register(uint8 roles, string calldata endpoint, ModelId[] calldata models, uint96 stake) external;

    /// @notice Adds stake.
    /// @param amount Amount pulled with `transferFrom`.
    function addStake(uint96 amount) external;

    /// @notice Changes the caller's roles; the active stake must cover the new roles.
    /// @param roles The new role bitmask.
    function setRoles(uint8 roles) external;

    /// @notice Changes the caller's endpoint.
    /// @param endpoint The new endpoint.
    function setEndpoint(string calldata endpoint) external;

    /// @notice Starts serving a model release.
    /// @param modelId The release id.
    function serveModel(ModelId modelId) external;

    /// @notice Stops serving a model release.
    /// @param modelId The release id.
    function stopServing(ModelId modelId) external;

    /// @notice Moves stake to unbonding; it may be withdrawn after the delay and stays slashable until then.
    /// @dev Locked stake cannot be unbonded (`UnbondExceedsStake`). The remaining stake must be zero or cover the
    ///      worker's roles. Unbonding more restarts the delay.
    /// @param amount Amount to unbond.
    function unbond(uint96 amount) external;

    /// @notice Withdraws all unbonding stake once its delay has passed (at `unbondingUntil` or later).
    /// @return amount The amount transferred to the caller.
    function withdraw() external returns (uint96 amount);

    /// @notice Takes up to `amount` of a worker's stake (bonded first, then unbonding) and sends it to the caller.
    /// @dev SLASHER_ROLE only. Never reverts for lack of stake; emits `Slashed` only if something is taken.
    ///      Locked stake is slashable; `locked` is capped at the remaining stake afterwards.
    /// @param worker The worker.
    /// @param amount The amount to take.
    /// @return taken The amount actually taken (capped by what the worker has).
    function slash(address worker, uint96 amount) external returns (uint96 taken);

    /// @notice Excludes a worker from draws until `until` (never shortens an existing jail).
    /// @dev SLASHER_ROLE only. Emits `Jailed` only if the jail is extended.
    /// @param worker The worker.
    /// @param until End of the jail time.
    function jail(address worker, uint40 until) external;

    /// @notice Closes a task seat: releases its collateral (capped at what is locked) and records its outcome in
    ///         the worker's reputation counters for one model.
    /// @dev SLASHER_ROLE only. The caller decides what earns reputation (the escrow: only tasks paid for by
    ///      someone else; a seat that earns nothing is only `unlock`ed); the registry just counts.
    /// @param worker The worker.
    /// @param modelId The release the task ran.
    /// @param lock The collateral the seat locked.
    /// @param ok True for an accepted result, false for a fault.
    function closeSeat(address worker, ModelId modelId, uint96 lock, bool ok) external;

    /// @notice Releases stake locked by `drawAndLock` (capped at what is locked).
    /// @dev SLASHER_ROLE only.
    /// @param worker The worker.
    /// @param amount The amount to release.
    function unlock(address worker, uint96 amount) external;

    /// @notice Closes many task seats at once: for each entry, releases its summed collateral (capped at what is
    ///         locked, as `unlock`) and adds its accepted results to the worker's counters on the model (as that
    ///         many `closeSeat(..., true)`), with one `StakeUnlocked` and, if any accepted, one `OutcomeRecorded`.
    /// @dev SLASHER_ROLE only. Releases commute with one another, so summing them reaches the state the single
    ///      calls reach one by one; the caller must release before it slashes the same worker (a slash caps the
    ///      lock at the stake left, so a release after it would take off too much).
    /// @param releases What to release, a worker and model per entry.
    function releaseSeats(SeatRelease[] calldata releases) external;

    /// @notice Sets the minimum stake for one role.
    /// @dev DEFAULT_ADMIN_ROLE only.
    /// @param role A single role bit.
    /// @param amount The minimum.
    function setMinStake(uint8 role, uint96 amount) external;

    /// @notice Sets the unbonding delay.
    /// @dev DEFAULT_ADMIN_ROLE only.
    /// @param delay Seconds.
    function setUnbondingDelay(uint40 delay) external;

    /// @notice Sets the epoch length. Draw weights are those in force at the start of the current epoch.
    /// @dev DEFAULT_ADMIN_ROLE only. Reverts `InvalidEpochBlocks` outside 4..256. A new epoch starts at once (every
    ///      change made so far takes effect in draws), then at each block number that is a multiple of `blocks`.
    /// @param blocks Blocks per epoch.
    function setEpochBlocks(uint32 blocks) external;

    /// @notice Draws up to `count` distinct eligible workers, stake-weighted over every worker serving the
    ///         model in the role, and locks `lockEach` of each drawn worker's stake as collateral.
    /// @dev SLASHER_ROLE only. Weights live in a sum tree per (model, role), so each pick costs O(log n)
    ///      storage reads whatever the number of workers: there is no window for sybils to crowd.
    ///      Weights are epoch-lagged: a pick sees each worker's bonded stake as it stood at the start of the
    ///      current epoch (epochs start at block numbers that are multiples of `epochBlocks()`, and when it
    ///      changes); stake added, registered or served during the epoch counts from the next one. A drawn worker is passed over (and not drawn again in this call) if it
    ///      is in `exclude`, jailed, no longer holds the role or covers its roles' minimum, or its free stake
    ///      is below `lockEach`, where free = min(stake now, stake at the epoch's start) - max(locked now,
    ///      locked at the epoch's start). Nothing done after the epoch began can therefore raise a worker's
    ///      chance or make it eligible; it can only lower them.
    ///      Pick `i` uses `r = uint256(keccak256(abi.encode(seed, i))) % remaining`, where `remaining` is the
    ///      total weight not yet drawn or passed over. The caller must supply a seed nobody could know when
    ///      the epoch's weights could still change (the escrow uses a future block's hash, drawn in its epoch).
    ///      Reverts `InvalidRole` if `role` is not a single defined role bit.
    /// @param modelId The release id.
    /// @param role The role bit required.
    /// @param seed Randomness; the caller is responsible for its unpredictability.
    /// @param count How many to draw.
    /// @param exclude Addresses that may not be drawn.
    /// @param lockEach Stake to lock on each drawn worker (0 locks nothing).
    /// @return drawn The drawn workers, in draw order (fewer than `count` if not enough are eligible).
    function drawAndLock(
        ModelId modelId,
        uint8 role,
        uint256 seed,
        uint256 count,
        address[] calldata exclude,
        uint96 lockEach
    ) external returns (address[] memory drawn);

    /// @notice Whether a worker could be drawn now (with nothing to lock).
    /// @dev Registered, holds `role`, serves `modelId`, has draw weight in the current epoch, its stake is
    ///      non-zero and covers `requiredStake` of all its roles, and `jailedUntil <= block.timestamp`. False for
    ///      an invalid role.
    /// @param worker The worker.
    /// @param modelId The release id.
    /// @param role The role bit.
    /// @return True if eligible.
    function isEligible(address worker, ModelId modelId, uint8 role) external view returns (bool);

    /// @notice Reputation on one model in basis points: `done * 10_000 / (done + 10 * faults + 10)`, counted
    ///         from that model's outcomes only.
    /// @dev New workers start at 0; one fault costs as much as ten successes.
    /// @param worker The worker.
    /// @param modelId The release.
    /// @return The reputation, 0..10_000.
    function reputationBps(address worker, ModelId modelId) external view returns (uint16);

    /// @notice Stake a worker could lock now: bonded stake minus locked stake.
    /// @param worker The worker.
    /// @return The free stake.
    function freeStake(address worker) external view returns (uint96);

    /// @notice Total draw weight of a (model, role) pair in the current epoch.
    /// @param modelId The release id.
    /// @param role A single role bit.
    /// @return The sum of the epoch-lagged weights (jailed or fully locked workers included).
    function drawWeight(ModelId modelId, uint8 role) external view returns (uint256);

    /// @notice Blocks per epoch.
    /// @return The epoch length.
    function epochBlocks() external view returns (uint32);

    /// @notice `epochBlocks` and `drawWeight(modelId, role)` in one call (what a new task needs: an anchor and
    ///         someone to audit it).
    /// @param modelId The release id.
    /// @param role A single role bit.
    /// @return blocks The epoch length.
    /// @return weight The total draw weight of the pair in the current epoch.
    function epochAndWeight(ModelId modelId, uint8 role) external view returns (uint32 blocks, uint256 weight);

    /// @notice Minimum active stake for a role set: the sum of each held role's minimum.
    /// @param roles Role bitmask.
    /// @return The minimum.
    function requiredStake(uint8 roles) external view returns (uint96);

    /// @notice Number of registered workers holding a role (whatever their stake or jail).
    /// @dev Reverts `InvalidRole` if `role` is not a single defined role bit.
    /// @param role A single role bit.
    /// @return The count.
    function roleCount(uint8 role) external view returns (uint256);

    /// @notice The delay between `unbond` and `withdraw`.
    /// @return The delay in seconds.
    function unbondingDelay() external view returns (uint40);

    /// @notice A worker's record.
    /// @param worker The worker.
    /// @return The record (zeroed if not registered).
    function getWorker(address worker) external view returns (Worker memory);

    /// @notice Whether a worker serves a model release.
    /// @param worker The worker.
    /// @param modelId The release id.
    /// @return True if served.
    function serves(address worker, ModelId modelId) external view returns (bool);

    /// @notice Workers serving a model release in a role (the leaves of its draw tree; order not meaningful).
    /// @param modelId The release id.
    /// @param role A single role bit.
    /// @return The workers.
    function workersOf(ModelId modelId, uint8 role) external view returns (address[] memory);

    /// @notice Model releases a worker serves.
    /// @param worker The worker.
    /// @return The release ids.
    function modelsOf(address worker) external view returns (ModelId[] memory);

    /// @notice The token staked.
    /// @return The token address.
    function stakeToken() external view returns (address);
}
