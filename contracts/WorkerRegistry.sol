// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {SumTree} from "./libraries/SumTree.sol";
import {ModelId} from "./types/ModelTypes.sol";
import {Roles} from "./types/Roles.sol";

/// @title WorkerRegistry
/// @notice Worker registration, staking, stake locks and stake-weighted draws. See IWorkerRegistry.
/// @dev Token accounting: the registry's token balance equals the sum over workers of `stake + unbonding`.
///      Tokens enter only in `register` and `addStake` and leave only in `withdraw` and `slash`.
///      A worker never deregisters (it is registered while its role mask is non-zero); its reputation counters
///      and jail live on its address.
///      Draws: each (model, role bit) pair has a `SumTree` with one leaf per worker that has ever served the model
///      in the role. A leaf's weight is the worker's stake while it is registered, holds the role and serves the
///      model, and 0 otherwise; leaves never move, so a worker that comes back reuses its leaf. Tree weights and
///      locks are epoch-lagged: a draw reads the values in force at the start of the current epoch, and every
///      change counts from the next one, except that the candidate check also applies the live values when
///      they are lower.
///      Epochs: epoch = block.number / `_epochBlocks` + `_epochShift`. A change of `_epochBlocks` moves the shift
///      so that a new epoch starts at once (every pending change takes effect) and epoch numbers never decrease,
///      which the lagged words require.
contract WorkerRegistry is IWorkerRegistry, AccessControl {
    using SafeERC20 for IERC20;
    using SumTree for SumTree.Tree;

    /// @notice Role that may slash, jail, record outcomes, draw and lock, and unlock (the task escrow).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice Number of defined role bits.
    uint256 internal constant ROLE_BITS = 4;
    /// @dev Picks a draw may make beyond `count` when it passes workers over; bounds its gas.
    uint256 private constant _EXTRA_TRIES = 16;
    /// @dev Epoch length bounds (a draw's anchor block hash must stay readable within an epoch).
    uint32 private constant _MIN_EPOCH_BLOCKS = 4;
    uint32 private constant _MAX_EPOCH_BLOCKS = 256;

    /// @dev A worker's record, in storage.
    struct Record {
        // Slot 0: everything the candidate check of a draw reads, unless `lockDipped`.
        /// @dev Bonded stake (locked stake included). Bits 0..95.
        uint96 stake;
        /// @dev Locked stake now, <= stake. Bits 96..191.
        uint96 locked;
        /// @dev Not drawn before this time. Bits 192..231.
        uint40 jailedUntil;
        /// @dev Role bitmask; non-zero exactly when registered. Bits 232..239.
        uint8 roles;
        /// @dev `lockedStart > locked`: locked fell during `lockEpoch` below its value at that epoch's start, so
        ///      a draw in `lockEpoch` must read slot 1. Bits 240..247.
        bool lockDipped;
        // Slot 1.
        /// @dev Locked stake at the start of `lockEpoch`.
        uint96 lockedStart;
        /// @dev Epoch of the last change of `locked`.
        uint32 lockEpoch;
        /// @dev Accepted tasks, over all models.
        uint32 tasksDone;
        /// @dev Faults, over all models.
        uint32 faults;
        // Slot 2.
        /// @dev Stake waiting out the unbonding delay.
        uint96 unbonding;
        /// @dev When `unbonding` may be withdrawn.
        uint40 unbondingUntil;
        // Slot 3.
        /// @dev API endpoint.
        string endpoint;
    }

    /// @dev A worker's outcomes on one model.
    struct Outcomes {
        /// @dev Accepted tasks.
        uint32 done;
        /// @dev Faults.
        uint32 faults;
    }

    /// @dev What a draw carries from pick to pick (kept in memory: the stack is too small for it).
    struct Draw {
        /// @dev The current epoch.
        uint256 epoch;
        /// @dev Weight in `epoch` not yet drawn or passed over.
        uint256 remaining;
        /// @dev Number of leaves of the tree.
        uint256 size;
        /// @dev The role bit drawn for.
        uint8 role;
        /// @dev Stake to lock on each accepted worker.
        uint96 lockEach;
        /// @dev The `_minStake` slots read so far (bit 0: COMPUTE and VERIFY, bit 1: COORDINATE and STORE).
        uint256 minsRead;
        /// @dev The first `_minStake` slot, once read.
        uint256 minsLow;
        /// @dev The second `_minStake` slot, once read.
        uint256 minsHigh;
    }

    /// @notice The staked token.
    IERC20 private immutable _TOKEN;

    /// @dev Minimum stake per role, indexed by bit position (two per slot).
    uint96[ROLE_BITS] private _minStake;
    /// @dev Registered workers per role, indexed by bit position.
    uint256[ROLE_BITS] private _roleCount;
    /// @dev Seconds between `unbond` and `withdraw`.
    uint40 private _unbondingDelay;
    /// @dev Blocks per epoch (shares the slot above).
    uint32 private _epochBlocks;
    /// @dev Added to `block.number / _epochBlocks` to number epochs (shares the slot above).
    uint64 private _epochShift;
    /// @dev Worker records.
    mapping(address worker => Record) private _workers;
    /// @dev Draw trees, by model and role bit position.
    mapping(ModelId modelId => mapping(uint256 roleBit => SumTree.Tree)) private _trees;
    /// @dev Models each worker serves (a handful: scanned linearly).
    mapping(address worker => ModelId[] models) private _served;
    /// @dev Outcome counters per worker and model.
    mapping(address worker => mapping(ModelId modelId => Outcomes)) private _outcomes;

    /// @param stakeToken_ The token staked by workers.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (parameters and granting SLASHER_ROLE).
    constructor(address stakeToken_, address admin) {
        _TOKEN = IERC20(stakeToken_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setMinStake(Roles.COMPUTE, 100e18);
        _setMinStake(Roles.VERIFY, 100e18);
        _setMinStake(Roles.COORDINATE, 50e18);
        _setMinStake(Roles.STORE, 50e18);
        _setUnbondingDelay(7 days);
        _epochBlocks = 16;
        _epochShift = 1; // epochs are numbered from 1, so a stored epoch is never 0 (see `register`)
        emit EpochBlocksChanged(16);
    }

    // ---------------------------------------------------------------- workers

    /// @inheritdoc IWorkerRegistry
    function register(uint8 roles, string calldata endpoint, ModelId[] calldata models, uint96 stake) external {
        Record storage w = _workers[msg.sender];
        if (w.roles != 0) {
            revert AlreadyRegistered(msg.sender);
        }
        _checkRoles(roles);
        if (stake == 0) {
            revert ZeroAmount();
        }
        _checkCovered(stake, roles);

        // Jail and counters are left as they are: they belong to the address, not the registration.
        uint256 epoch = _epoch();
        w.stake = stake;
        w.roles = roles;
        // Nothing is locked (an address registers once), so this records that truly; it also makes slot 1
        // non-zero, so that the first lock pays for a change of it, not for its creation.
        // forge-lint: disable-next-line(unsafe-typecast)
        w.lockEpoch = uint32(epoch); // see `_epoch`
        w.endpoint = endpoint;
        _countRoles(roles, true);
        emit WorkerRegistered(msg.sender, roles, stake, endpoint);

        for (uint256 i; i < models.length; ++i) {
            _serve(models[i], roles, stake, epoch);
        }
        _TOKEN.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc IWorkerRegistry
    function addStake(uint96 amount) external {
        Record storage w = _registered();
        if (amount == 0) {
            revert ZeroAmount();
        }
        uint96 stake = w.stake + amount;
        w.stake = stake;
        _reweigh(msg.sender, w.roles, stake);
        emit StakeAdded(msg.sender, amount, stake);
        _TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IWorkerRegistry
    function setRoles(uint8 roles) external {
        Record storage w = _registered();
        _checkRoles(roles);
        uint96 stake = w.stake;
        _checkCovered(stake, roles);
        uint8 old = w.roles;
        _countRoles(old, false);
        _countRoles(roles, true);
        ModelId[] storage models = _served[msg.sender];
        uint256 epoch = _epoch();
        for (uint256 i; i < models.length; ++i) {
            _setWeights(msg.sender, models[i], old & ~roles, 0, epoch);
            _setWeights(msg.sender, models[i], roles & ~old, stake, epoch);
        }
        w.roles = roles;
        emit RolesChanged(msg.sender, roles);
    }

    /// @inheritdoc IWorkerRegistry
    function setEndpoint(string calldata endpoint) external {
        _registered().endpoint = endpoint;
        emit EndpointChanged(msg.sender, endpoint);
    }

    /// @inheritdoc IWorkerRegistry
    function serveModel(ModelId modelId) external {
        Record storage w = _registered();
        _serve(modelId, w.roles, w.stake, _epoch());
    }

    /// @inheritdoc IWorkerRegistry
    function stopServing(ModelId modelId) external {
        Record storage w = _registered();
        ModelId[] storage models = _served[msg.sender];
        uint256 at = _find(models, modelId);
        if (at == models.length) {
            revert ServingUnchanged(modelId);
        }
        models[at] = models[models.length - 1];
        models.pop();
        _setWeights(msg.sender, modelId, w.roles, 0, _epoch());
        emit ModelServingChanged(msg.sender, modelId, false);
    }

    /// @inheritdoc IWorkerRegistry
    function unbond(uint96 amount) external {
        Record storage w = _registered();
        if (amount == 0) {
            revert ZeroAmount();
        }
        uint96 stake = w.stake;
        // Cannot underflow: locked <= stake always holds.
        uint96 free;
        unchecked {
            free = stake - w.locked;
        }
        if (amount > free) {
            revert UnbondExceedsStake(amount, free);
        }
        // Cannot underflow: amount <= free <= stake was checked above.
        unchecked {
            stake -= amount;
        }
        uint8 roles = w.roles;
        if (stake != 0) {
            _checkCovered(stake, roles);
        }
        uint40 until = uint40(block.timestamp) + _unbondingDelay;
        w.stake = stake;
        w.unbonding += amount;
        w.unbondingUntil = until;
        _reweigh(msg.sender, roles, stake);
        emit Unbonding(msg.sender, amount, until);
    }

    /// @inheritdoc IWorkerRegistry
    function withdraw() external returns (uint96 amount) {
        Record storage w = _workers[msg.sender];
        amount = w.unbonding;
        if (amount == 0) {
            revert NothingToWithdraw(0);
        }
        uint40 until = w.unbondingUntil;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < until) {
            revert NothingToWithdraw(until);
        }
        w.unbonding = 0;
        w.unbondingUntil = 0;
        emit Withdrawn(msg.sender, amount);
        _TOKEN.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- slasher

    /// @inheritdoc IWorkerRegistry
    function slash(address worker, uint96 amount) external onlyRole(SLASHER_ROLE) returns (uint96 taken) {
        Record storage w = _workers[worker];
        uint96 stake = w.stake;
        uint96 unbonding = w.unbonding;
        uint96 fromUnbonding;
        // Cannot underflow: each subtraction takes at most what the left side holds.
        unchecked {
            taken = amount < stake ? amount : stake;
            uint96 rest = amount - taken;
            fromUnbonding = rest < unbonding ? rest : unbonding;
            stake -= taken;
            w.unbonding = unbonding - fromUnbonding;
        }
        if (taken != 0) {
            w.stake = stake;
            if (w.locked > stake) {
                _setLocked(w, stake, _epoch());
            }
            _reweigh(worker, w.roles, stake);
        }
        // Cannot overflow in uint96 terms: taken + fromUnbonding <= amount.
        taken += fromUnbonding;
        if (taken != 0) {
            emit Slashed(worker, taken, msg.sender);
            _TOKEN.safeTransfer(msg.sender, taken);
        }
    }

    /// @inheritdoc IWorkerRegistry
    function jail(address worker, uint40 until) external onlyRole(SLASHER_ROLE) {
        Record storage w = _workers[worker];
        if (until > w.jailedUntil) {
            w.jailedUntil = until;
            emit Jailed(worker, until);
        }
    }

    /// @inheritdoc IWorkerRegistry
    function closeSeat(address worker, ModelId modelId, uint96 lock, bool ok) external onlyRole(SLASHER_ROLE) {
        Record storage w = _workers[worker];
        _unlock(worker, w, lock);
        Outcomes storage o = _outcomes[worker][modelId];
        uint32 done = o.done;
        uint32 faults = o.faults;
        if (ok) {
            o.done = ++done;
            ++w.tasksDone;
        } else {
            o.faults = ++faults;
            ++w.faults;
        }
        emit OutcomeRecorded(worker, modelId, ok, done, faults);
    }

    /// @inheritdoc IWorkerRegistry
    function unlock(address worker, uint96 amount) external onlyRole(SLASHER_ROLE) {
        _unlock(worker, _workers[worker], amount);
    }

    /// @inheritdoc IWorkerRegistry
    function releaseSeats(SeatRelease[] calldata releases) external onlyRole(SLASHER_ROLE) {
        uint256 n = releases.length;
        for (uint256 i; i < n; ++i) {
            SeatRelease calldata r = releases[i];
            address worker = r.worker;
            Record storage w = _workers[worker];
            _unlock(worker, w, r.lock);
            uint32 accepted = r.accepted;
            if (accepted != 0) {
                Outcomes storage o = _outcomes[worker][r.modelId];
                uint32 done = o.done + accepted;
                o.done = done;
                w.tasksDone += accepted;
                emit OutcomeRecorded(worker, r.modelId, true, done, o.faults);
            }
        }
    }

    /// @inheritdoc IWorkerRegistry
    function drawAndLock(
        ModelId modelId,
        uint8 role,
        uint256 seed,
        uint256 count,
        address[] calldata exclude,
        uint96 lockEach
    ) external onlyRole(SLASHER_ROLE) returns (address[] memory drawn) {
        SumTree.Tree storage tree = _trees[modelId][_bitIndex(role)];
        Draw memory d;
        d.epoch = _epoch();
        (d.remaining, d.size) = tree.totalAt(d.epoch);
        d.role = role;
        d.lockEach = lockEach;
        return _draw(tree, seed, count < d.size ? count : d.size, exclude, d);
    }

    // ---------------------------------------------------------------- admin

    /// @inheritdoc IWorkerRegistry
    function setMinStake(uint8 role, uint96 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStake(role, amount);
    }

    /// @inheritdoc IWorkerRegistry
    function setUnbondingDelay(uint40 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingDelay(delay);
    }

    /// @inheritdoc IWorkerRegistry
    function setEpochBlocks(uint32 blocks) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (blocks < _MIN_EPOCH_BLOCKS || blocks > _MAX_EPOCH_BLOCKS) {
            revert InvalidEpochBlocks(blocks);
        }
        // The next epoch starts now: the new numbering continues from the current epoch + 1 (or higher, if the
        // plain quotient is already past it), so epoch numbers never decrease.
        uint256 next = _epoch() + 1;
        uint256 base = block.number / blocks;
        _epochBlocks = blocks;
        _epochShift = SafeCast.toUint64(next > base ? next - base : 0);
        emit EpochBlocksChanged(blocks);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IWorkerRegistry
    function isEligible(address worker, ModelId modelId, uint8 role) external view returns (bool) {
        if (!_isRole(role)) {
            return false;
        }
        SumTree.Tree storage tree = _trees[modelId][_bitIndex(role)];
        uint256 index = tree.indexOf[worker];
        if (index == 0) {
            return false;
        }
        uint256 leaf = tree.leaves[index];
        Draw memory d;
        d.epoch = _epoch();
        d.role = role;
        return _accepts(worker, leaf, SumTree.valueAt(leaf, d.epoch), d);
    }

    /// @inheritdoc IWorkerRegistry
    function reputationBps(address worker, ModelId modelId) external view returns (uint16) {
        Outcomes storage o = _outcomes[worker][modelId];
        uint256 done = o.done;
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint16(done * 10_000 / (done + 10 * uint256(o.faults) + 10)); // ≤ 10_000: done < denominator
    }

    /// @inheritdoc IWorkerRegistry
    function freeStake(address worker) external view returns (uint96) {
        Record storage w = _workers[worker];
        return w.stake - w.locked;
    }

    /// @inheritdoc IWorkerRegistry
    function drawWeight(ModelId modelId, uint8 role) external view returns (uint256 total) {
        (total,) = _trees[modelId][_bitIndex(role)].totalAt(_epoch());
    }

    /// @inheritdoc IWorkerRegistry
    function epochBlocks() external view returns (uint32) {
        return _epochBlocks;
    }

    /// @inheritdoc IWorkerRegistry
    function epochAndWeight(ModelId modelId, uint8 role) external view returns (uint32 blocks, uint256 weight) {
        blocks = _epochBlocks;
        (weight,) = _trees[modelId][_bitIndex(role)].totalAt(_epoch());
    }

    /// @inheritdoc IWorkerRegistry
    function requiredStake(uint8 roles) external view returns (uint96) {
        return _saturate(_required(roles, _minStakes()));
    }

    /// @inheritdoc IWorkerRegistry
    function roleCount(uint8 role) external view returns (uint256) {
        return _roleCount[_bitIndex(role)];
    }

    /// @inheritdoc IWorkerRegistry
    function unbondingDelay() external view returns (uint40) {
        return _unbondingDelay;
    }

    /// @inheritdoc IWorkerRegistry
    function getWorker(address worker) external view returns (Worker memory) {
        Record storage w = _workers[worker];
        return Worker({
            stake: w.stake,
            locked: w.locked,
            jailedUntil: w.jailedUntil,
            roles: w.roles,
            registered: w.roles != 0,
            tasksDone: w.tasksDone,
            faults: w.faults,
            unbonding: w.unbonding,
            unbondingUntil: w.unbondingUntil,
            endpoint: w.endpoint
        });
    }

    /// @inheritdoc IWorkerRegistry
    function serves(address worker, ModelId modelId) external view returns (bool) {
        ModelId[] storage models = _served[worker];
        return _find(models, modelId) != models.length;
    }

    /// @inheritdoc IWorkerRegistry
    function workersOf(ModelId modelId, uint8 role) external view returns (address[] memory list) {
        SumTree.Tree storage tree = _trees[modelId][_bitIndex(role)];
        uint256 size = tree.size();
        list = new address[](size);
        uint256 n;
        for (uint256 i = 1; i <= size; ++i) {
            address worker = tree.accountAt[i];
            ModelId[] storage models = _served[worker];
            if (_workers[worker].roles & role != 0 && _find(models, modelId) != models.length) {
                list[n++] = worker;
            }
        }
        assembly ("memory-safe") {
            mstore(list, n) // shrink to the workers that serve the model in the role now
        }
    }

    /// @inheritdoc IWorkerRegistry
    function modelsOf(address worker) external view returns (ModelId[] memory) {
        return _served[worker];
    }

    /// @inheritdoc IWorkerRegistry
    function stakeToken() external view returns (address) {
        return address(_TOKEN);
    }

    // ---------------------------------------------------------------- internals

    /// @dev The caller's record; reverts `NotRegistered` if it has none.
    function _registered() private view returns (Record storage w) {
        w = _workers[msg.sender];
        if (w.roles == 0) {
            revert NotRegistered(msg.sender);
        }
    }

    /// @dev The current epoch. Lagged words store epochs in 32 bits: at 4 blocks an epoch that lasts past block
    ///      2^34; the cast makes sure.
    function _epoch() private view returns (uint256) {
        return SafeCast.toUint32(block.number / _epochBlocks + _epochShift);
    }

    /// @dev The body of `drawAndLock`, for `count` <= the number of leaves: picks until `count` workers are
    ///      accepted, `count + _EXTRA_TRIES` picks are made, or no weight remains, and locks `d.lockEach` on each
    ///      accepted worker.
    function _draw(SumTree.Tree storage tree, uint256 seed, uint256 count, address[] calldata exclude, Draw memory d)
        private
        returns (address[] memory drawn)
    {
        uint256 tries;
        // Cannot overflow: count <= size < 2^32.
        unchecked {
            tries = count + _EXTRA_TRIES < d.size ? count + _EXTRA_TRIES : d.size;
        }
        drawn = new address[](count);
        // Drawn or passed-over leaves, as `index << 96 | weight in the epoch`.
        uint256[] memory removed = new uint256[](tries);
        uint256 n;
        for (uint256 i; i < tries && n < count && d.remaining != 0; ++i) {
            (address worker, uint256 leaf, uint256 weight) = _pick(tree, seed, i, d, removed);
            if (!_contains(exclude, worker) && _accepts(worker, leaf, weight, d)) {
                drawn[n] = worker;
                // Cannot overflow: n < count.
                unchecked {
                    ++n;
                }
                if (d.lockEach != 0) {
                    Record storage w = _workers[worker];
                    uint96 locked = w.locked + d.lockEach;
                    _setLocked(w, locked, d.epoch);
                    emit StakeLocked(worker, d.lockEach, locked);
                }
            }
        }
        assembly ("memory-safe") {
            mstore(drawn, n) // shrink to the accepted workers
        }
    }

    /// @dev Pick `i` of a draw: the leaf at `keccak256(abi.encode(seed, i)) % d.remaining` of the weight not yet
    ///      removed, which it then removes (records in `removed[i]` and takes off `d.remaining`).
    /// @return worker The leaf's worker.
    /// @return leaf The leaf's lagged word.
    /// @return weight The leaf's weight in the epoch.
    function _pick(SumTree.Tree storage tree, uint256 seed, uint256 i, Draw memory d, uint256[] memory removed)
        private
        view
        returns (address worker, uint256 leaf, uint256 weight)
    {
        uint256 r = d.remaining;
        // r = uint256(keccak256(abi.encode(seed, i))) % remaining, hashed in scratch space.
        assembly ("memory-safe") {
            mstore(0, seed)
            mstore(0x20, i)
            r := mod(keccak256(0, 0x40), r)
        }
        uint256 index = tree.find(r, d.size, d.epoch, removed, i);
        leaf = tree.leaves[index];
        weight = SumTree.valueAt(leaf, d.epoch);
        removed[i] = index << 96 | weight;
        // Cannot underflow: the leaf found is one of those `remaining` still counts.
        unchecked {
            d.remaining -= weight;
        }
        worker = tree.accountAt[index];
    }

    /// @dev Whether a draw accepts `worker`, picked at a leaf whose word is `leaf` and whose weight in the epoch
    ///      is `weight` (non-zero for a leaf a draw picks): still serving the model in the role with stake (the leaf's live weight is then its stake),
    ///      not jailed, covering its roles, and with free stake of at least `d.lockEach`, where
    ///      free = min(stake now, `weight`) - max(locked now, locked at the epoch's start). `exclude` is the
    ///      caller's to check.
    function _accepts(address worker, uint256 leaf, uint256 weight, Draw memory d) private view returns (bool) {
        if (weight == 0 || SumTree.nextOf(leaf) == 0) {
            return false;
        }
        Record storage w = _workers[worker];
        uint256 word0;
        // Whole-slot read: field by field, the legacy code generator would SLOAD slot 0 once per field.
        assembly ("memory-safe") {
            word0 := sload(w.slot)
        }
        // forge-lint: disable-start(unsafe-typecast)
        // Slot 0 as `Record` documents it; each cast keeps exactly one field's bits.
        uint256 stake = uint96(word0);
        uint256 locked = uint96(word0 >> 96);
        uint256 jailedUntil = uint40(word0 >> 192);
        uint8 roles = uint8(word0 >> 232);
        bool dipped = uint8(word0 >> 240) != 0;
        // forge-lint: disable-end(unsafe-typecast)
        // forge-lint: disable-next-line(block-timestamp)
        if (roles & d.role == 0 || jailedUntil > block.timestamp || stake < _requiredOnce(roles, d)) {
            return false;
        }
        if (dipped && w.lockEpoch == d.epoch) {
            locked = w.lockedStart; // > locked, as `dipped` says
        }
        uint256 cap = stake < weight ? stake : weight;
        return cap >= locked + d.lockEach;
    }

    /// @dev `_required(roles)` for a draw: reads each `_minStake` slot at most once per call, and only if a worker
    ///      holds a role whose minimum lives there (a COMPUTE-only draw never reads the second).
    function _requiredOnce(uint8 roles, Draw memory d) private view returns (uint256) {
        if (roles & (Roles.COMPUTE | Roles.VERIFY) != 0 && d.minsRead & 1 == 0) {
            d.minsLow = _minStakeSlot(0);
            d.minsRead |= 1;
        }
        if (roles & (Roles.COORDINATE | Roles.STORE) != 0 && d.minsRead & 2 == 0) {
            d.minsHigh = _minStakeSlot(1);
            d.minsRead |= 2;
        }
        // forge-lint: disable-start(unsafe-typecast)
        // Two uint96 per slot, lower index in the low bits; a slot not read is not needed by `roles`.
        return
            _required(roles, [uint96(d.minsLow), uint96(d.minsLow >> 96), uint96(d.minsHigh), uint96(d.minsHigh >> 96)]);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Slot `i` (0 or 1) of `_minStake`.
    function _minStakeSlot(uint256 i) private view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(add(_minStake.slot, i))
        }
    }

    /// @dev Releases up to `amount` of `w`'s locked stake.
    function _unlock(address worker, Record storage w, uint96 amount) private {
        uint96 locked = w.locked;
        if (amount > locked) {
            amount = locked;
        }
        // Cannot underflow: amount <= locked.
        unchecked {
            locked -= amount;
        }
        _setLocked(w, locked, _epoch());
        emit StakeUnlocked(worker, amount, locked);
    }

    /// @dev Sets `w.locked` in epoch `epoch`, first recording the value at the epoch's start if this is the
    ///      first change in it.
    function _setLocked(Record storage w, uint96 locked, uint256 epoch) private {
        uint96 start = w.lockedStart;
        if (epoch != w.lockEpoch) {
            start = w.locked;
            w.lockedStart = start;
            // forge-lint: disable-next-line(unsafe-typecast)
            w.lockEpoch = uint32(epoch); // see `_epoch`
        }
        w.locked = locked;
        w.lockDipped = start > locked;
    }

    /// @dev Adds `modelId` to the caller's models and gives it weight `stake` in the model's tree of each role it
    ///      holds; reverts `ServingUnchanged` if it serves the model already.
    function _serve(ModelId modelId, uint8 roles, uint96 stake, uint256 epoch) private {
        ModelId[] storage models = _served[msg.sender];
        if (_find(models, modelId) != models.length) {
            revert ServingUnchanged(modelId);
        }
        models.push(modelId);
        _setWeights(msg.sender, modelId, roles, stake, epoch);
        emit ModelServingChanged(msg.sender, modelId, true);
    }

    /// @dev Sets `worker`'s weight to `stake` in every tree it has weight in: each model it serves, in each role.
    function _reweigh(address worker, uint8 roles, uint96 stake) private {
        ModelId[] storage models = _served[worker];
        uint256 n = models.length;
        if (n == 0) {
            return;
        }
        uint256 epoch = _epoch();
        for (uint256 i; i < n; ++i) {
            _setWeights(worker, models[i], roles, stake, epoch);
        }
    }

    /// @dev Sets `worker`'s leaf weight to `weight` in `modelId`'s tree of each role in `roles`, appending a leaf
    ///      where it has none.
    function _setWeights(address worker, ModelId modelId, uint8 roles, uint256 weight, uint256 epoch) private {
        for (uint256 bit; bit < ROLE_BITS; ++bit) {
            if ((roles >> bit) & 1 == 0) {
                continue;
            }
            SumTree.Tree storage tree = _trees[modelId][bit];
            uint256 index = tree.indexOf[worker];
            if (index == 0) {
                tree.insert(worker, weight, epoch);
            } else {
                tree.update(index, weight, epoch);
            }
        }
    }

    /// @dev Index of `modelId` in `models`, or `models.length` if absent.
    function _find(ModelId[] storage models, ModelId modelId) private view returns (uint256 i) {
        uint256 n = models.length;
        while (i < n && models[i] != modelId) {
            ++i;
        }
    }

    /// @dev Adds (or removes) one to the count of each role in `roles`.
    function _countRoles(uint8 roles, bool add) private {
        for (uint256 i; i < ROLE_BITS; ++i) {
            if ((roles >> i) & 1 != 0) {
                if (add) {
                    ++_roleCount[i];
                } else {
                    --_roleCount[i];
                }
            }
        }
    }

    function _setMinStake(uint8 role, uint96 amount) private {
        _minStake[_bitIndex(role)] = amount;
        emit MinStakeChanged(role, amount);
    }

    function _setUnbondingDelay(uint40 delay) private {
        _unbondingDelay = delay;
        emit UnbondingDelayChanged(delay);
    }

    /// @dev Reverts `InsufficientStake` unless `stake` covers `roles`.
    function _checkCovered(uint96 stake, uint8 roles) private view {
        uint256 required = _required(roles, _minStakes());
        if (stake < required) {
            revert InsufficientStake(stake, _saturate(required));
        }
    }

    /// @dev `_minStake` in memory, with one SLOAD per slot (copying the array reads each slot once per element).
    function _minStakes() private view returns (uint96[ROLE_BITS] memory mins) {
        uint256 low = _minStakeSlot(0);
        uint256 high = _minStakeSlot(1);
        // forge-lint: disable-start(unsafe-typecast)
        // Two uint96 per slot, lower index in the low bits.
        mins[0] = uint96(low);
        mins[1] = uint96(low >> 96);
        mins[2] = uint96(high);
        mins[3] = uint96(high >> 96);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Sum of the minimum stakes of the roles in `roles`, from a memory copy of `_minStake`.
    function _required(uint8 roles, uint96[ROLE_BITS] memory mins) private pure returns (uint256 sum) {
        // Cannot overflow: four uint96 values.
        unchecked {
            if (roles & Roles.COMPUTE != 0) {
                sum = mins[0];
            }
            if (roles & Roles.VERIFY != 0) {
                sum += mins[1];
            }
            if (roles & Roles.COORDINATE != 0) {
                sum += mins[2];
            }
            if (roles & Roles.STORE != 0) {
                sum += mins[3];
            }
        }
    }

    /// @dev `value` capped at the largest uint96, for reporting a minimum; no uint96 stake meets a larger one,
    ///      and the checks themselves compare the uncapped sum.
    function _saturate(uint256 value) private pure returns (uint96) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return value > type(uint96).max ? type(uint96).max : uint96(value); // checked just before
    }

    /// @dev Whether `worker` is in `list`.
    function _contains(address[] calldata list, address worker) private pure returns (bool found) {
        // A plain word scan: Solidity's `list[i]` adds a bounds check and an address-cleanliness check per
        // element. An entry with dirty upper bits is not a valid address and simply never matches.
        assembly ("memory-safe") {
            let end := add(list.offset, shl(5, list.length))
            for { let p := list.offset } lt(p, end) { p := add(p, 0x20) } {
                if eq(calldataload(p), worker) {
                    found := 1
                    break
                }
            }
        }
    }

    /// @dev Reverts `InvalidRoles` unless `roles` is a non-empty subset of `Roles.ALL`.
    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) {
            revert InvalidRoles(roles);
        }
    }

    /// @dev Whether `role` is exactly one defined role bit.
    function _isRole(uint8 role) private pure returns (bool) {
        return role != 0 && role & (role - 1) == 0 && role & ~Roles.ALL == 0;
    }

    /// @dev Bit position of a single defined role; reverts `InvalidRole` otherwise.
    function _bitIndex(uint8 role) private pure returns (uint256 i) {
        if (!_isRole(role)) {
            revert InvalidRole(role);
        }
        while ((role >> i) & 1 == 0) {
            ++i;
        }
    }
}
