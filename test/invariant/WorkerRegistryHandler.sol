// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {WorkerRegistry} from "../../contracts/WorkerRegistry.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {MockToken} from "../mocks/MockToken.sol";

/// @notice Drives the worker registry with valid-looking register / addStake / unbond / withdraw / slash / jail
///         calls and time jumps, keeping ghost totals of every token flow.
contract WorkerRegistryHandler is CommonBase, StdCheats, StdUtils {
    bytes32 public constant MODEL = keccak256("model-a");
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

    constructor(WorkerRegistry workers, MockToken token, address slasher) {
        WORKERS = workers;
        TOKEN = token;
        SLASHER = slasher;
        ghostTime = block.timestamp;
        for (uint256 i; i < ACTORS; ++i) {
            address actor = makeAddr(string.concat("actor", vm.toString(i)));
            _actors.push(actor);
            vm.prank(actor);
            token.approve(address(workers), type(uint256).max);
        }
    }

    modifier atGhostTime() {
        vm.warp(ghostTime);
        _;
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
        bytes32[] memory models = new bytes32[](1);
        models[0] = MODEL;
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
        amount = uint96(bound(amount, 1, w.stake));
        uint96 required = WORKERS.requiredStake(w.roles);
        if (w.stake - amount != 0 && w.stake - amount < required) {
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

    function warp(uint256 seconds_) external {
        ghostTime += bound(seconds_, 1 hours, 3 days);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % ACTORS];
    }
}
