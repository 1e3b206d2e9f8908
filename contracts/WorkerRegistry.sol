// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IWorkerRegistry} from "./interfaces/IWorkerRegistry.sol";
import {Roles} from "./types/Roles.sol";

/// @title WorkerRegistry
/// @notice Worker registration, staking and stake-weighted draws. See IWorkerRegistry.
/// @dev Token accounting: the registry's token balance equals the sum over workers of `stake + unbonding`.
///      Tokens enter only in `register` and `addStake` and leave only in `withdraw` and `slash`.
///      A worker never deregisters; its reputation counters and jail live on its address.
///      Each (model, role) pair keeps the list of workers that serve the model and hold the role, with a
///      1-based position index for O(1) removal, so a draw for a role scans only workers holding it. Each
///      worker keeps the list of models it serves, which `setRoles` walks to move it between role lists.
contract WorkerRegistry is IWorkerRegistry, AccessControl {
    using SafeERC20 for IERC20;

    /// @notice Role that may slash, jail and record outcomes (the task escrow).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice Most entries of a model's worker list that one `draw` scans.
    uint256 public constant MAX_CANDIDATES = 64;
    /// @notice Number of defined role bits.
    uint256 internal constant ROLE_BITS = 4;

    /// @notice The staked token.
    IERC20 private immutable _TOKEN;

    /// @dev Minimum stake per role, indexed by bit position (two per slot).
    uint96[ROLE_BITS] private _minStake;
    /// @dev Registered workers per role, indexed by bit position.
    uint256[ROLE_BITS] private _roleCount;
    /// @dev Seconds between `unbond` and `withdraw`.
    uint40 private _unbondingDelay;
    /// @dev Worker records, laid out as `IWorkerRegistry.Worker` documents (draw reads slot 0 only).
    mapping(address worker => Worker) private _workers;
    /// @dev Workers serving each model in each role (by role bit position).
    mapping(bytes32 modelId => mapping(uint256 roleBit => address[] workers)) private _roleLists;
    /// @dev 1-based position of a worker in `_roleLists[modelId][roleBit]`; 0 if absent.
    mapping(bytes32 modelId => mapping(uint256 roleBit => mapping(address worker => uint256))) private _rolePosition;
    /// @dev Models each worker serves (a handful: scanned linearly).
    mapping(address worker => bytes32[] models) private _served;

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
    }

    // ---------------------------------------------------------------- workers

    /// @inheritdoc IWorkerRegistry
    function register(uint8 roles, string calldata endpoint, bytes32[] calldata models, uint96 stake) external {
        Worker storage w = _workers[msg.sender];
        if (w.registered) {
            revert AlreadyRegistered(msg.sender);
        }
        _checkRoles(roles);
        if (stake == 0) {
            revert ZeroAmount();
        }
        _checkCovered(stake, roles);

        // Jail and counters are left as they are: they belong to the address, not the registration.
        w.stake = stake;
        w.roles = roles;
        w.registered = true;
        w.endpoint = endpoint;
        _countRoles(roles, true);
        emit WorkerRegistered(msg.sender, roles, stake, endpoint);

        for (uint256 i; i < models.length; ++i) {
            _serve(models[i]);
        }
        _TOKEN.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc IWorkerRegistry
    function addStake(uint96 amount) external {
        Worker storage w = _registered();
        if (amount == 0) {
            revert ZeroAmount();
        }
        uint96 stake = w.stake + amount;
        w.stake = stake;
        emit StakeAdded(msg.sender, amount, stake);
        _TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IWorkerRegistry
    function setRoles(uint8 roles) external {
        Worker storage w = _registered();
        _checkRoles(roles);
        _checkCovered(w.stake, roles);
        uint8 old = w.roles;
        _countRoles(old, false);
        _countRoles(roles, true);
        bytes32[] storage models = _served[msg.sender];
        for (uint256 i; i < models.length; ++i) {
            _listRoles(models[i], old & ~roles, false);
            _listRoles(models[i], roles & ~old, true);
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
    function serveModel(bytes32 modelId) external {
        _registered();
        _serve(modelId);
    }

    /// @inheritdoc IWorkerRegistry
    function stopServing(bytes32 modelId) external {
        Worker storage w = _registered();
        bytes32[] storage models = _served[msg.sender];
        uint256 at = _find(models, modelId);
        if (at == models.length) {
            revert ServingUnchanged(modelId);
        }
        models[at] = models[models.length - 1];
        models.pop();
        _listRoles(modelId, w.roles, false);
        emit ModelServingChanged(msg.sender, modelId, false);
    }

    /// @inheritdoc IWorkerRegistry
    function unbond(uint96 amount) external {
        Worker storage w = _registered();
        if (amount == 0) {
            revert ZeroAmount();
        }
        uint96 stake = w.stake;
        if (amount > stake) {
            revert UnbondExceedsStake(amount, stake);
        }
        // Cannot underflow: amount <= stake was checked above.
        unchecked {
            stake -= amount;
        }
        if (stake != 0) {
            _checkCovered(stake, w.roles);
        }
        uint40 until = uint40(block.timestamp) + _unbondingDelay;
        w.stake = stake;
        w.unbonding += amount;
        w.unbondingUntil = until;
        emit Unbonding(msg.sender, amount, until);
    }

    /// @inheritdoc IWorkerRegistry
    function withdraw() external returns (uint96 amount) {
        Worker storage w = _workers[msg.sender];
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
        Worker storage w = _workers[worker];
        uint96 stake = w.stake;
        uint96 unbonding = w.unbonding;
        uint96 fromUnbonding;
        // Cannot underflow: each subtraction takes at most what the left side holds.
        unchecked {
            taken = amount < stake ? amount : stake;
            uint96 rest = amount - taken;
            fromUnbonding = rest < unbonding ? rest : unbonding;
            w.stake = stake - taken;
            w.unbonding = unbonding - fromUnbonding;
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
        Worker storage w = _workers[worker];
        if (until > w.jailedUntil) {
            w.jailedUntil = until;
            emit Jailed(worker, until);
        }
    }

    /// @inheritdoc IWorkerRegistry
    function recordOutcome(address worker, bool ok) external onlyRole(SLASHER_ROLE) {
        Worker storage w = _workers[worker];
        uint32 done = w.tasksDone;
        uint32 faults = w.faults;
        if (ok) {
            w.tasksDone = ++done;
        } else {
            w.faults = ++faults;
        }
        emit OutcomeRecorded(worker, ok, done, faults);
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

    // ---------------------------------------------------------------- draws

    /// @inheritdoc IWorkerRegistry
    function draw(bytes32 modelId, uint8 role, uint256 seed, uint256 count, address[] calldata exclude)
        external
        view
        returns (address[] memory drawn)
    {
        if (!_isRole(role)) {
            revert InvalidRole(role);
        }
        address[] storage list = _roleLists[modelId][_bitIndex(role)];
        uint256 len = list.length;
        if (len == 0 || count == 0) {
            return drawn;
        }
        (uint256[] memory pool, uint256 n, uint256 total) = _pool(list, len, seed % len, role, exclude);
        if (count > n) {
            count = n;
        }
        drawn = new address[](count);
        for (uint256 i; i < count; ++i) {
            uint256 r;
            // r = uint256(keccak256(abi.encode(seed, i))) % total, hashed in scratch space.
            assembly ("memory-safe") {
                mstore(0, seed)
                mstore(0x20, i)
                r := mod(keccak256(0, 0x40), total)
            }
            uint256 j;
            uint256 entry = pool[0];
            // Cannot underflow: r < total = the sum of the remaining weights, so the walk stops at a live entry
            // before passing the last one, and total shrinks by exactly the weight it still counts.
            unchecked {
                while (r >= entry >> 160) {
                    r -= entry >> 160;
                    entry = pool[++j];
                }
                total -= entry >> 160;
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            drawn[i] = address(uint160(entry)); // the low 160 bits are the address
            // Without replacement: a zero weight is never picked again, and the scan order is kept.
            pool[j] = 0;
        }
    }

    /// @inheritdoc IWorkerRegistry
    function isEligible(address worker, bytes32 modelId, uint8 role) external view returns (bool) {
        if (!_isRole(role) || _rolePosition[modelId][_bitIndex(role)][worker] == 0) {
            return false;
        }
        return _weight(worker, role, _minStakes()) != 0;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IWorkerRegistry
    function reputationBps(address worker) external view returns (uint16) {
        Worker storage w = _workers[worker];
        uint256 done = w.tasksDone;
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint16(done * 10_000 / (done + 10 * uint256(w.faults) + 10)); // ≤ 10_000: done < denominator
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
        return _workers[worker];
    }

    /// @inheritdoc IWorkerRegistry
    function serves(address worker, bytes32 modelId) external view returns (bool) {
        bytes32[] storage models = _served[worker];
        return _find(models, modelId) != models.length;
    }

    /// @inheritdoc IWorkerRegistry
    function workersOf(bytes32 modelId, uint8 role) external view returns (address[] memory) {
        return _roleLists[modelId][_bitIndex(role)];
    }

    /// @inheritdoc IWorkerRegistry
    function modelsOf(address worker) external view returns (bytes32[] memory) {
        return _served[worker];
    }

    /// @inheritdoc IWorkerRegistry
    function stakeToken() external view returns (address) {
        return address(_TOKEN);
    }

    // ---------------------------------------------------------------- internals

    /// @dev The caller's record; reverts `NotRegistered` if it has none.
    function _registered() private view returns (Worker storage w) {
        w = _workers[msg.sender];
        if (!w.registered) {
            revert NotRegistered(msg.sender);
        }
    }

    /// @dev Adds `modelId` to the caller's models and the caller to the model's list of each role it holds;
    ///      reverts `ServingUnchanged` if it serves the model already.
    function _serve(bytes32 modelId) private {
        bytes32[] storage models = _served[msg.sender];
        if (_find(models, modelId) != models.length) {
            revert ServingUnchanged(modelId);
        }
        models.push(modelId);
        _listRoles(modelId, _workers[msg.sender].roles, true);
        emit ModelServingChanged(msg.sender, modelId, true);
    }

    /// @dev Adds the caller to (or removes it from) `modelId`'s list of each role in `roles`.
    function _listRoles(bytes32 modelId, uint8 roles, bool add) private {
        for (uint256 bit; bit < ROLE_BITS; ++bit) {
            if ((roles >> bit) & 1 == 0) {
                continue;
            }
            address[] storage list = _roleLists[modelId][bit];
            mapping(address => uint256) storage position = _rolePosition[modelId][bit];
            if (add) {
                list.push(msg.sender);
                position[msg.sender] = list.length;
            } else {
                _removeAt(list, position, position[msg.sender]);
            }
        }
    }

    /// @dev Removes the entry at 1-based `at` from a list with a position index, moving the last entry into
    ///      its place.
    function _removeAt(address[] storage list, mapping(address => uint256) storage position, uint256 at) private {
        uint256 last = list.length;
        address removed = list[at - 1];
        if (at != last) {
            address moved = list[last - 1];
            list[at - 1] = moved;
            position[moved] = at;
        }
        list.pop();
        delete position[removed];
    }

    /// @dev Index of `modelId` in `models`, or `models.length` if absent.
    function _find(bytes32[] storage models, bytes32 modelId) private view returns (uint256 i) {
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

    /// @dev The draw weight of `worker` for `role`: its active stake if it is registered, holds `role`, has
    ///      stake, covers its roles and is not jailed; otherwise 0. Model membership and `exclude` are the
    ///      caller's to check. One SLOAD: slot 0 of the record holds every field it needs.
    function _weight(address worker, uint8 role, uint96[ROLE_BITS] memory mins) private view returns (uint256) {
        Worker storage w = _workers[worker];
        uint256 word0;
        // Whole-slot read: field by field, the legacy code generator would SLOAD slot 0 once per field.
        assembly ("memory-safe") {
            word0 := sload(w.slot)
        }
        // forge-lint: disable-start(unsafe-typecast)
        // Slot 0 as `Worker` documents it; each cast keeps exactly one field's bits.
        uint96 stake = uint96(word0); // bits 0..95
        uint40 jailedUntil = uint40(word0 >> 96); // bits 96..135
        uint8 roles = uint8(word0 >> 136); // bits 136..143
        bool registered = uint8(word0 >> 144) != 0; // bits 144..151
        // forge-lint: disable-end(unsafe-typecast)
        if (!registered || roles & role == 0 || stake == 0 || stake < _required(roles, mins)) {
            return 0;
        }
        // forge-lint: disable-next-line(block-timestamp)
        if (jailedUntil > block.timestamp) {
            return 0;
        }
        return stake;
    }

    /// @dev Loads the draw candidates: up to `MAX_CANDIDATES` entries of `list` (of length `len`) from index
    ///      `start`, wrapping, that are not in `exclude` and have a non-zero `_weight`. Each worker's record is
    ///      read at most once, and not at all if it is excluded.
    /// @return pool `n` entries packed as `stake << 160 | address` (stake fits in 96 bits), then unused space.
    /// @return n The number of candidates.
    /// @return total The sum of their stakes.
    function _pool(address[] storage list, uint256 len, uint256 start, uint8 role, address[] calldata exclude)
        private
        view
        returns (uint256[] memory pool, uint256 n, uint256 total)
    {
        pool = new uint256[](len < MAX_CANDIDATES ? len : MAX_CANDIDATES);
        uint96[ROLE_BITS] memory mins = _minStakes();
        uint256 data;
        // The array's elements start at keccak256(slot); reading them directly skips the length SLOAD that
        // `list[i]` repeats for its bounds check (every index below is < len).
        assembly ("memory-safe") {
            mstore(0, list.slot)
            data := keccak256(0, 0x20)
        }
        uint256 index = start;
        uint256 scan = pool.length;
        // Cannot overflow: k, index and n stay below 64 or len, and total is at most 64 stakes of 96 bits.
        unchecked {
            for (uint256 k; k < scan; ++k) {
                address worker;
                assembly ("memory-safe") {
                    worker := sload(add(data, index))
                }
                if (++index == len) {
                    index = 0;
                }
                if (_contains(exclude, worker)) {
                    continue;
                }
                uint256 weight = _weight(worker, role, mins);
                if (weight != 0) {
                    pool[n++] = weight << 160 | uint160(worker);
                    total += weight;
                }
            }
        }
    }

    /// @dev `_minStake` in memory, with one SLOAD per slot (copying the array reads each slot once per element).
    function _minStakes() private view returns (uint96[ROLE_BITS] memory mins) {
        uint256 low;
        uint256 high;
        assembly ("memory-safe") {
            low := sload(_minStake.slot)
            high := sload(add(_minStake.slot, 1))
        }
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
