// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {WorkerRegistry} from "../../contracts/WorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {MockToken} from "../mocks/MockToken.sol";

/// @notice Shared setup: a token, both registries, an admin and a slasher, and helpers to fund and register
///         workers, move to the next epoch and draw.
abstract contract RegistryFixtures is Test {
    uint96 internal constant MIN_COMPUTE = 100e18;
    uint96 internal constant MIN_VERIFY = 100e18;
    uint96 internal constant MIN_COORDINATE = 50e18;
    uint96 internal constant MIN_STORE = 50e18;
    uint40 internal constant UNBONDING_DELAY = 7 days;
    ModelId internal constant MODEL = ModelId.wrap(keccak256("model-a"));
    ModelId internal constant OTHER_MODEL = ModelId.wrap(keccak256("model-b"));

    MockToken internal token;
    WorkerRegistry internal workers;
    ModelRegistry internal models;

    address internal admin = makeAddr("admin");
    address internal slasher = makeAddr("slasher");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new MockToken();
        workers = new WorkerRegistry(address(token), admin);
        models = new ModelRegistry(admin, workers);
        bytes32 slasherRole = workers.SLASHER_ROLE();
        vm.prank(admin);
        workers.grantRole(slasherRole, slasher);
    }

    /// @dev Mints `amount` to `who` and approves the worker registry for it.
    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(workers), type(uint256).max);
    }

    /// @dev Funds and registers `who` with an endpoint derived from its address.
    function _register(address who, uint8 roles, ModelId[] memory served, uint96 stake) internal {
        _fund(who, stake);
        vm.prank(who);
        workers.register(roles, "http://127.0.0.1:9000", served, stake);
    }

    /// @dev Registers `who` as a COMPUTE worker serving MODEL.
    function _registerCompute(address who, uint96 stake) internal {
        _register(who, Roles.COMPUTE, _one(MODEL), stake);
    }

    /// @dev Registers `n` COMPUTE workers serving MODEL, with stakes MIN_COMPUTE, 2 * MIN_COMPUTE, ..., then rolls
    ///      to the next epoch so that their stakes count in draws.
    function _registerMany(uint256 n) internal returns (address[] memory list) {
        list = new address[](n);
        for (uint256 i; i < n; ++i) {
            list[i] = makeAddr(string.concat("worker", vm.toString(i)));
            _registerCompute(list[i], uint96(MIN_COMPUTE * (i + 1)));
        }
        _nextEpoch();
    }

    /// @dev Rolls to the first block of the next epoch, where every change made so far counts in draws.
    function _nextEpoch() internal {
        uint256 blocks = workers.epochBlocks();
        vm.roll((block.number / blocks + 1) * blocks);
    }

    /// @dev `drawAndLock(MODEL, COMPUTE, ...)` as the slasher.
    function _draw(uint256 seed, uint256 count, address[] memory exclude, uint96 lockEach)
        internal
        returns (address[] memory)
    {
        vm.prank(slasher);
        return workers.drawAndLock(MODEL, Roles.COMPUTE, seed, count, exclude, lockEach);
    }

    /// @dev `drawAndLock(MODEL, COMPUTE, seed, count, none, 0)` as the slasher: a draw that locks nothing.
    function _draw(uint256 seed, uint256 count) internal returns (address[] memory) {
        return _draw(seed, count, _none(), 0);
    }

    /// @dev Storage slot of `_workers[who]` in the worker registry (the mapping is at slot 8; `forge inspect
    ///      WorkerRegistry storageLayout`).
    function _workerSlot(address who) internal pure returns (bytes32) {
        return keccak256(abi.encode(who, uint256(8)));
    }

    function _one(ModelId id) internal pure returns (ModelId[] memory ids) {
        ids = new ModelId[](1);
        ids[0] = id;
    }

    function _none() internal pure returns (address[] memory) {
        return new address[](0);
    }

    function _one(address who) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = who;
    }
}
