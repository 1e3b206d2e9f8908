// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {LoadPricing} from "../contracts/libraries/LoadPricing.sol";
import {DeterminismClass, ModelId, RiskClass} from "../contracts/types/ModelTypes.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

/// @notice The model registry's load pricing: who may record load, what it counts, and the live price it gives.
contract ModelRegistryLoadTest is RegistryFixtures {
    uint96 internal constant PRICE = 1e18;
    uint64 internal constant UNITS_PER_WORKER = 1_024;

    address internal recorder = makeAddr("recorder");
    address internal owner = makeAddr("model owner");

    function setUp() public override {
        super.setUp();
        vm.prank(admin);
        models.setLoadParams(IModelRegistry.LoadParams(recorder, UNITS_PER_WORKER));
        vm.startPrank(owner);
        bytes32 repo = models.createRepository("verigrad/volatility");
        models.publishRelease(repo, MODEL, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.LOW, PRICE, 0);
        vm.stopPrank();
        _registerCompute(alice, 300e18); // three minimum stakes: capacity 3 × 1 024, target 1 536 units a block
        _nextEpoch();
    }

    function _record(uint256 executions) internal returns (uint96) {
        vm.prank(recorder);
        return models.recordLoad(MODEL, executions);
    }

    // ─── Parameters ──────────────────────────────────────────────────────────────────────────────

    function test_constructor_setsTheOwnerTheWorkersAndTheDefaultCapacity() public {
        ModelRegistry fresh = new ModelRegistry(bob, workers);
        assertEq(fresh.owner(), bob);
        assertEq(address(fresh.WORKERS()), address(workers));
        assertEq(fresh.loadParams().recorder, address(0), "no recorder until the owner names one");
        assertEq(fresh.loadParams().unitsPerWorker, UNITS_PER_WORKER);
    }

    function test_setLoadParams_setsAndEmits() public {
        IModelRegistry.LoadParams memory params = IModelRegistry.LoadParams(bob, 7);
        vm.expectEmit(address(models));
        emit IModelRegistry.LoadParamsChanged(params);
        vm.prank(admin);
        models.setLoadParams(params);
        assertEq(models.loadParams().recorder, bob);
        assertEq(models.loadParams().unitsPerWorker, 7);
    }

    function test_setLoadParams_revertsIfNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, recorder));
        vm.prank(recorder);
        models.setLoadParams(IModelRegistry.LoadParams(recorder, 1));
    }

    function test_setLoadParams_revertsIfNoCapacity() public {
        vm.expectRevert(IModelRegistry.InvalidLoadParams.selector);
        vm.prank(admin);
        models.setLoadParams(IModelRegistry.LoadParams(recorder, 0));
    }

    function test_publishRelease_startsAtTheBasePriceWithOneCostUnit() public view {
        IModelRegistry.LoadState memory load = models.load(MODEL);
        assertEq(load.excess, 0);
        assertEq(load.costUnits, 1);
        assertEq(load.price, PRICE);
        assertEq(models.price(MODEL), PRICE);
    }

    function test_setCostUnits_setsAndEmits() public {
        vm.expectEmit(address(models));
        emit IModelRegistry.ReleaseCostUnitsChanged(MODEL, 64);
        vm.prank(owner);
        models.setCostUnits(MODEL, 64);
        assertEq(models.load(MODEL).costUnits, 64);
    }

    function test_setCostUnits_revertsIfNotTheReleaseOwner() public {
        bytes32 repo = keccak256(abi.encode(owner, "verigrad/volatility"));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, bob));
        vm.prank(bob);
        models.setCostUnits(MODEL, 1);
    }

    function test_setCostUnits_revertsIfZero() public {
        vm.expectRevert(IModelRegistry.ZeroCostUnits.selector);
        vm.prank(owner);
        models.setCostUnits(MODEL, 0);
    }

    // ─── Recording load ──────────────────────────────────────────────────────────────────────────

    /// @notice Nobody but the recorder moves a price: not a requester, a worker, the model owner or the owner.
    function testFuzz_recordLoad_revertsIfNotTheRecorder(address caller) public {
        vm.assume(caller != recorder);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotLoadRecorder.selector, caller));
        vm.prank(caller);
        models.recordLoad(MODEL, 1);
    }

    function test_recordLoad_revertsIfUnknownRelease() public {
        ModelId unknown = ModelId.wrap(keccak256("nobody published this"));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, unknown));
        vm.prank(recorder);
        models.recordLoad(unknown, 1);
    }

    function test_load_targetIsHalfTheCapacityOfTheComputeStakeServingTheRelease() public {
        assertEq(models.load(MODEL).target, 3 * UNITS_PER_WORKER / 2);
        // A verifier's stake serves reviews, not tasks: it adds no capacity.
        _register(bob, Roles.VERIFY, _one(MODEL), 1_000e18);
        _registerCompute(carol, 100e18);
        assertEq(models.load(MODEL).target, 3 * UNITS_PER_WORKER / 2, "new stake counts from the next epoch");
        _nextEpoch();
        assertEq(models.load(MODEL).target, 4 * UNITS_PER_WORKER / 2);
    }

    /// @notice Each execution is priced at the excess before it, and raises the price of the next one, in the same
    ///         block too.
    function test_recordLoad_pricesEachExecutionBeforeItsLoadAndRaisesTheNext() public {
        vm.prank(owner);
        models.setCostUnits(MODEL, 64);
        assertEq(_record(3), PRICE, "the first task pays the base price");
        uint256 excess = (3 * 64 * LoadPricing.TARGET_PER_BLOCK + 1535) / 1536;
        assertEq(models.load(MODEL).excess, excess);
        uint96 next = models.price(MODEL);
        assertEq(next, LoadPricing.price(PRICE, excess));
        assertGt(next, PRICE);
        assertEq(_record(1), next, "the second pays what the first raised");
    }

    /// @notice `recordLoads` prices and records n like tasks exactly as n `recordLoad` calls would: each at the excess
    ///         its turn sees, the meter ending where theirs does.
    function testFuzz_recordLoads_equalsRecordLoadOneByOne(uint8 tasks, uint8 executions, uint16 costUnits) public {
        tasks = uint8(bound(tasks, 1, 40));
        executions = uint8(bound(executions, 1, 7));
        vm.prank(owner);
        models.setCostUnits(MODEL, uint32(bound(costUnits, 1, 512)));
        uint256 snapshot = vm.snapshotState();
        uint96[] memory oneByOne = new uint96[](tasks);
        for (uint256 i; i < tasks; ++i) {
            oneByOne[i] = _record(executions);
        }
        uint256 excess = models.load(MODEL).excess;
        vm.revertToState(snapshot);
        vm.prank(recorder);
        uint96[] memory together = models.recordLoads(MODEL, executions, tasks);
        assertEq(together.length, tasks);
        for (uint256 i; i < tasks; ++i) {
            assertEq(together[i], oneByOne[i], "each task at the price its turn sees");
        }
        assertEq(models.load(MODEL).excess, excess, "the same meter at the end");
    }

    function testFuzz_recordLoads_revertsIfNotTheRecorder(address caller) public {
        vm.assume(caller != recorder);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotLoadRecorder.selector, caller));
        vm.prank(caller);
        models.recordLoads(MODEL, 1, 3);
    }

    /// @notice After demand stops the price falls back to base without anyone transacting: one target a block.
    function test_price_decaysToTheBasePriceWithoutAnyoneTransacting() public {
        for (uint256 i; i < 40; ++i) {
            _record(1_536 * 2); // twice the target: the capacity
            vm.roll(block.number + 1);
        }
        IModelRegistry.LoadState memory load = models.load(MODEL);
        assertEq(load.excess, 40 * LoadPricing.TARGET_PER_BLOCK, "each block at capacity nets one target");
        assertGt(load.price, 110 * PRICE, "40 blocks at capacity: about 1.125^40");
        vm.roll(block.number + 39);
        assertEq(models.price(MODEL), LoadPricing.price(PRICE, LoadPricing.TARGET_PER_BLOCK), "one block short");
        vm.roll(block.number + 1);
        assertEq(models.price(MODEL), PRICE, "back to base after excess / target idle blocks: 40");
    }
}
