// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {WorkerRegistry} from "../../contracts/WorkerRegistry.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {MockToken} from "../mocks/MockToken.sol";

/// @notice Drives the worker registry with valid-looking register / addStake / unbond / withdraw / slash / jail /
///         setRoles / serveModel / stopServing / drawAndLock / unlock calls and time and block jumps, keeping ghost
///         totals of every token flow and a plain model of each worker's draw weight per role: the value in force in
///         the current epoch and the live one.
contract WorkerRegistryHandler is CommonBase, StdCheats, StdUtils {
    ModelId public constant MODEL = ModelId.wrap(keccak256("model-a"));
    ModelId public constant OTHER_MODEL = ModelId.wrap(keccak256("model-b"));
    uint256 internal constant ACTORS = 6;

    WorkerRegistry public immutable WORKERS;
    MockToken public immutable TOKEN;
    address public immutable SLASHER;

    address[] internal _actors;
    /// @notice Tokens pulled in by register and addStake.
    uint256 public ghostDeposited;
    /// @notice Tokens paid out by withdraw.
    uint256 public ghostWithdrawn;
    /// @notice Tokens paid out by slash.
    uint256 public ghostSlashed;
    /// @notice Time the next call runs at (kept here: the fuzzer does not carry warps between calls).
    uint256 public ghostTime;
    /// @notice Block the next call runs at (likewise).
    uint256 public ghostBlock;
    /// @notice Draws that broke a promise of `drawAndLock` (duplicate, ineligible or excluded worker, wrong lock).
    uint256 public ghostDrawFaults;
    /// @notice Workers drawn so far (to check that draws happen at all).
    uint256 public ghostDrawn;
    /// @dev Model of each worker's weight per role bit: in force in `_weightEpoch`, and live.
    mapping(address actor => uint256[4]) internal _weightInForce;
    mapping(address actor => uint256[4]) internal _weightLive;
    uint256 internal _weightEpoch;

    constructor(WorkerRegistry workers, MockToken token, address slasher) {
        WORKERS = workers;
        TOKEN = token;
        SLASHER = slasher;
        ghostTime = block.timestamp;
        ghostBlock = block.number;
        for (uint256 i; i < ACTORS; ++i) {
            address actor = makeAddr(string.concat("actor", vm.toString(i)));
            _actors.push(actor);
            vm.prank(actor);
            token.approve(address(workers), type(uint256).max);
        }
    }

    /// @dev Runs at the ghost time and block, then brings the weight model up to date for every actor.
    modifier atGhostTime() {
        vm.warp(ghostTime);
        vm.roll(ghostBlock);
        _rollModel();
        _;
        for (uint256 i; i < ACTORS; ++i) {
            _updateModel(_actors[i]);
        }
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function register(uint256 actorSeed, uint256 rolesSeed, uint96 stake) external atGhostTime {
        address actor = _actor(actorSeed);
        if (WORKERS.getWorker(actor).registered) {
            return;
        }
        uint8 roles = uint8(bound(rolesSeed, 1, Roles.ALL));
        stake = uint96(bound(stake, WORKERS.requiredStake(roles), 1e24));
        TOKEN.mint(actor, stake);
        // Half the actors also serve a second model, so that stake changes move several trees.
        ModelId[] memory models = new ModelId[](1 + (actorSeed / ACTORS) % 2);
        models[0] = MODEL;
        if (models.length == 2) {
            models[1] = OTHER_MODEL;
        }
        vm.prank(actor);
        WORKERS.register(roles, "http://127.0.0.1:9000", models, stake);
        ghostDeposited += stake;
    }

    function addStake(uint256 actorSeed, uint96 amount) external atGhostTime {
        address actor = _actor(actorSeed);
        if (!WORKERS.getWorker(actor).registered) {
            return;
        }
        amount = uint96(bound(amount, 1, 1e24));
        TOKEN.mint(actor, amount);
        vm.prank(actor);
        WORKERS.addStake(amount);
        ghostDeposited += amount;
    }

    function unbond(uint256 actorSeed, uint96 amount) external atGhostTime {
        address actor = _actor(actorSeed);
        IWorkerRegistry.Worker memory w = WORKERS.getWorker(actor);
        if (!w.registered || w.stake == 0) {
            return;
        }
        uint96 free = w.stake - w.locked;
        if (free == 0) {
            return;
        }
        amount = uint96(bound(amount, 1, free));
        uint96 required = WORKERS.requiredStake(w.roles);
        if (w.stake - amount != 0 && w.stake - amount < required) {
            if (w.locked != 0) {
                return; // cannot leave nothing while stake is locked
            }
            amount = w.stake; // leave nothing rather than too little
        }
        vm.prank(actor);
        WORKERS.unbond(amount);
    }

    function withdraw(uint256 actorSeed) external atGhostTime {
        address actor = _actor(actorSeed);
        IWorkerRegistry.Worker memory w = WORKERS.getWorker(actor);
        // forge-lint: disable-next-line(block-timestamp)
        if (w.unbonding == 0 || block.timestamp < w.unbondingUntil) {
            return;
        }
        vm.prank(actor);
        ghostWithdrawn += WORKERS.withdraw();
    }

    function slash(uint256 actorSeed, uint96 amount) external atGhostTime {
        address actor = _actor(actorSeed);
        vm.prank(SLASHER);
        ghostSlashed += WORKERS.slash(actor, amount);
    }

    function jail(uint256 actorSeed, uint256 duration) external atGhostTime {
        address actor = _actor(actorSeed);
        duration = bound(duration, 0, 30 days);
        vm.prank(SLASHER);
        // forge-lint: disable-next-line(unsafe-typecast)
        WORKERS.jail(actor, uint40(block.timestamp + duration)); // ghost time stays far below 2^40
    }

    function setRoles(uint256 actorSeed, uint256 rolesSeed) external atGhostTime {
        address actor = _actor(actorSeed);
        IWorkerRegistry.Worker memory w = WORKERS.getWorker(actor);
        uint8 roles = uint8(bound(rolesSeed, 1, Roles.ALL));
        if (!w.registered || w.stake < WORKERS.requiredStake(roles)) {
            return;
        }
        vm.prank(actor);
        WORKERS.setRoles(roles);
    }

    function toggleServing(uint256 actorSeed) external atGhostTime {
        address actor = _actor(actorSeed);
        if (!WORKERS.getWorker(actor).registered) {
            return;
        }
        bool serving = WORKERS.serves(actor, MODEL);
        vm.prank(actor);
        if (serving) {
            WORKERS.stopServing(MODEL);
        } else {
            WORKERS.serveModel(MODEL);
        }
    }

    function drawAndLock(uint256 seed, uint256 roleSeed, uint256 count, uint96 lockEach, uint256 excludeSeed)
        external
        atGhostTime
    {
        uint8 role = uint8(1 << (roleSeed % 4));
        count = bound(count, 0, ACTORS + 1);
        lockEach = uint96(bound(lockEach, 0, 300e18));
        address[] memory exclude = new address[](1);
        exclude[0] = _actor(excludeSeed);
        bool[] memory eligible = new bool[](ACTORS);
        uint96[] memory lockedBefore = new uint96[](ACTORS);
        for (uint256 i; i < ACTORS; ++i) {
            eligible[i] = WORKERS.isEligible(_actors[i], MODEL, role) && _actors[i] != exclude[0];
            lockedBefore[i] = WORKERS.getWorker(_actors[i]).locked;
        }
        vm.prank(SLASHER);
        address[] memory drawn = WORKERS.drawAndLock(MODEL, role, seed, count, exclude, lockEach);
        ghostDrawn += drawn.length;
        if (drawn.length > count) {
            ++ghostDrawFaults;
        }
        for (uint256 k; k < drawn.length; ++k) {
            uint256 i = _indexOf(drawn[k]);
            if (i == ACTORS || !eligible[i] || WORKERS.getWorker(drawn[k]).locked != lockedBefore[i] + lockEach) {
                ++ghostDrawFaults;
            }
            eligible[i == ACTORS ? 0 : i] = false; // a second appearance is a fault too
        }
    }

    function unlock(uint256 actorSeed, uint96 amount) external atGhostTime {
        address actor = _actor(actorSeed);
        vm.prank(SLASHER);
        WORKERS.unlock(actor, uint96(bound(amount, 0, 400e18)));
    }

    function warp(uint256 seconds_) external {
        ghostTime += bound(seconds_, 1 hours, 3 days);
    }

    function roll(uint256 blocks) external {
        ghostBlock += bound(blocks, 1, 40);
    }

    /// @notice The model's total weight in force for `role` in the current epoch.
    function weightInForce(uint8 role) external view returns (uint256 sum) {
        uint256 bit = _bit(role);
        for (uint256 i; i < ACTORS; ++i) {
            sum += _weightEpoch == _epochOf(block.number)
                ? _weightInForce[_actors[i]][bit]
                : _weightLive[_actors[i]][bit];
        }
    }

    /// @notice The model's live weight for `role`: what will be in force in the next epoch.
    function weightLive(uint8 role) external view returns (uint256 sum) {
        uint256 bit = _bit(role);
        for (uint256 i; i < ACTORS; ++i) {
            sum += _weightLive[_actors[i]][bit];
        }
    }

    /// @dev Starts a new epoch of the model if the block is past the last one: the live weights come into force.
    function _rollModel() internal {
        uint256 epoch = _epochOf(block.number);
        if (epoch != _weightEpoch) {
            for (uint256 i; i < ACTORS; ++i) {
                _weightInForce[_actors[i]] = _weightLive[_actors[i]];
            }
            _weightEpoch = epoch;
        }
    }

    /// @dev The live weight of `actor` per role: its stake while registered, holding the role and serving MODEL.
    function _updateModel(address actor) internal {
        IWorkerRegistry.Worker memory w = WORKERS.getWorker(actor);
        bool serving = WORKERS.serves(actor, MODEL);
        for (uint256 bit; bit < 4; ++bit) {
            _weightLive[actor][bit] = w.registered && serving && (w.roles >> bit) & 1 == 1 ? w.stake : 0;
        }
    }

    function _epochOf(uint256 blockNumber) internal view returns (uint256) {
        return blockNumber / WORKERS.epochBlocks();
    }

    function _bit(uint8 role) internal pure returns (uint256 bit) {
        while ((role >> bit) & 1 == 0) {
            ++bit;
        }
    }

    function _indexOf(address who) internal view returns (uint256 i) {
        while (i < ACTORS && _actors[i] != who) {
            ++i;
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % ACTORS];
    }
}
