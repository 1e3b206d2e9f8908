// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {LoadPricing} from "../../contracts/libraries/LoadPricing.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice Attacks on the live price, from the attacker's side: flooding a release to pump its price, pumping it to
///         keep others out and dumping, front-running a victim's cap, and trying to move the meter directly. Each
///         attacker ends poorer, and nobody buys below the live price.
/// @dev One unit a block per 100 VGD of stake (a target of 25 units a block for the fixture's 5 000 VGD), and the
///      exact model costs 8 units a run: each LIGHT task moves the price about 3.8 %.
contract LoadPumpingTest is AdversarialFixture {
    uint96 internal constant VALUE = 1e18;

    address internal attacker = makeAddr("attacker");
    address internal victim = makeAddr("victim");

    function setUp() public override {
        super.setUp();
        vm.prank(admin);
        models.setLoadParams(IModelRegistry.LoadParams(address(escrow), 1));
        vm.prank(modelOwner);
        models.setCostUnits(exactModel, 8);
        _fund(attacker, 1_000_000e18);
        _fund(victim, 1_000_000e18);
    }

    function _quote() internal view returns (uint96 fee) {
        (, fee,) = escrow.quote(exactModel, VALUE, Tier.LIGHT, address(0));
    }

    /// @dev `who` creates a LIGHT task at `maxFee`; returns it and the premium it paid at once.
    function _pump(address who, uint96 maxFee) internal returns (TaskId taskId, uint256 premium) {
        taskId = _createAs(who, exactModel, VALUE, Tier.LIGHT, maxFee);
        premium = maxFee - _view(taskId).fee;
    }

    /// @dev Lets every task in `ids` time out unassigned and settles it: the requester gets back all it escrowed.
    function _expireAll(TaskId[] memory ids) internal {
        vm.warp(block.timestamp + TASK_TIME);
        for (uint256 i; i < ids.length; ++i) {
            escrow.finalize(ids[i]);
            escrow.settle(ids[i]);
        }
    }

    /// @notice A flood in one block pays a rising price: each task pays the premium the ones before it raised, and
    ///         the premiums are the flooder's to lose even when none of its tasks ever runs.
    function test_flooder_paysTheRisingPriceItselfAndEndsPoorer() public {
        uint256 before = _wealth(attacker);
        uint256 treasuryBefore = escrow.claimable(treasury);
        TaskId[] memory ids = new TaskId[](40);
        uint256 lastPremium;
        uint256 premiums;
        for (uint256 i; i < ids.length; ++i) {
            uint256 premium;
            (ids[i], premium) = _pump(attacker, 100e18);
            assertTrue(i == 0 ? premium == 0 : premium > lastPremium, "each task pays more than the one before");
            lastPremium = premium;
            premiums += premium;
        }
        assertGt(models.price(exactModel), 4 * PRICE, "the flood quadrupled the price");
        // The cheapest way out for the flooder: none of its tasks runs, and all it escrowed comes back.
        _expireAll(ids);
        assertEq(before - _wealth(attacker), premiums, "the flooder loses every premium it paid");
        assertGt(premiums, 30e18, "which is most of a base-price task for each task of the flood");
        assertEq(escrow.claimable(treasury) - treasuryBefore, premiums, "to the treasury: no worker or owner earns it");
        _assertSolvent();
    }

    /// @notice Pump to keep others out, then dump: the victim refused during the pump loses nothing; the premium of
    ///         the victim's later task goes to the treasury, not to the attacker's workers or model; once the attacker
    ///         stops, the price falls back by itself, the same for everyone, and the attacker never buys below the
    ///         victim.
    function test_pumpAndDump_cannotUnderpriceOthersAndEndsPoorer() public {
        // The attacker serves the model too (a compute worker) and owns a stake in its royalties (the model owner).
        address[] memory group = new address[](3);
        group[0] = attacker;
        group[1] = computeWorkers[0];
        group[2] = modelOwner;
        uint256 groupBefore = _wealth(group);
        uint96 idleQuote = _quote();

        // Pump: twenty tasks that never run.
        TaskId[] memory pumped = new TaskId[](20);
        uint256 premiums;
        for (uint256 i; i < pumped.length; ++i) {
            uint256 premium;
            (pumped[i], premium) = _pump(attacker, 100e18);
            premiums += premium;
        }
        // The victim, capped at the idle quote, is refused at once with the pumped quote, and loses nothing.
        uint256 victimBefore = _wealth(victim);
        uint96 pumpedQuote = _quote();
        vm.prank(victim);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.FeeBelowQuote.selector, pumpedQuote, idleQuote));
        escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, idleQuote);
        assertEq(_wealth(victim), victimBefore, "refused, nothing locked");

        // The victim pays the pumped price; its premium goes to the treasury only.
        uint256 treasuryBefore = escrow.claimable(treasury);
        (TaskId paid, uint256 victimPremium) = _pump(victim, pumpedQuote);
        assertEq(escrow.claimable(treasury) - treasuryBefore, victimPremium);

        // Dump: the attacker stops. Nobody transacts; the price is back at base when the excess has drained.
        uint256 excess = models.load(exactModel).excess;
        vm.roll(block.number + (excess + LoadPricing.TARGET_PER_BLOCK - 1) / LoadPricing.TARGET_PER_BLOCK);
        assertEq(models.price(exactModel), PRICE, "drained without anyone transacting");
        // The same price for everyone: the attacker buys at the victim's quote, never below it.
        uint96 quote = _quote();
        assertEq(quote, idleQuote);
        (, uint256 attackerPremium) = _pump(attacker, quote);
        (, uint256 nextPremium) = _pump(victim, _quote());
        assertEq(attackerPremium, 0);
        assertGe(nextPremium, attackerPremium, "whoever comes first pays the lower price, attacker or not");

        // The victim's task runs; what its worker and the model owner earn is what they earn at the base price.
        _assign(paid);
        assertEq(_view(paid).fee, idleQuote, "the fee behind the premium is the base-price fee");
        _expireAll(pumped);
        assertLt(_wealth(group), groupBefore, "the attacker group ends poorer");
        assertGe(groupBefore - _wealth(group), premiums, "by at least the premiums of its pump");
        _assertSolvent();
    }

    /// @notice A front-runner raises the price just before a victim's exact-quote task: the victim is refused with the
    ///         new quote and locks nothing; the front-runner pays for the load it brought.
    function test_frontRunner_getsAVictimRefusedButPaysForIt() public {
        uint96 victimCap = _quote();
        uint256 attackerBefore = _wealth(attacker);
        TaskId[] memory ids = new TaskId[](3);
        uint256 premiums;
        for (uint256 i; i < ids.length; ++i) {
            uint256 premium;
            (ids[i], premium) = _pump(attacker, 100e18);
            premiums += premium;
        }
        uint256 victimBefore = _wealth(victim);
        vm.prank(victim);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.FeeBelowQuote.selector, _quote(), victimCap));
        escrow.createTask(exactModel, input, VALUE, Tier.LIGHT, uint40(block.timestamp) + TASK_TIME, victimCap);
        assertEq(_wealth(victim), victimBefore, "the victim keeps everything");
        _expireAll(ids);
        assertEq(attackerBefore - _wealth(attacker), premiums, "the front-runner pays the premiums");
        assertGt(premiums, 0);
    }

    /// @notice Nobody moves the meter but the escrow: not the attacker, a worker, the model owner or the escrow's
    ///         owner; and nobody but the registry's owner changes the capacity.
    function test_meter_cannotBeMovedDirectly() public {
        _pump(attacker, 100e18);
        uint256 excess = models.load(exactModel).excess;
        address[4] memory callers = [attacker, computeWorkers[0], modelOwner, treasury];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotLoadRecorder.selector, callers[i]));
            models.recordLoad(exactModel, 1_000);
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, callers[i]));
            models.setLoadParams(IModelRegistry.LoadParams(callers[i], type(uint64).max));
        }
        assertEq(models.load(exactModel).excess, excess);
    }

    /// @notice Sybil stake does not buy cheap prices for long: new COMPUTE stake raises the capacity (and lowers the
    ///         premium of future load) only from the next registry epoch, and only by what it stakes — the excess
    ///         already built up still has to drain.
    function test_stakeAddedDuringAPump_countsFromTheNextEpochOnly() public {
        for (uint256 i; i < 10; ++i) {
            _pump(attacker, 100e18);
        }
        uint256 target = models.load(exactModel).target;
        uint96 price = models.price(exactModel);
        ModelId[] memory served = _single(exactModel);
        _registerWith("sybil", Roles.COMPUTE, served, 10_000e18);
        assertEq(models.load(exactModel).target, target, "frozen for the epoch");
        assertEq(models.price(exactModel), price, "the excess, and so the price, stays");
        _nextEpoch();
        assertGt(models.load(exactModel).target, target, "counts from the next epoch");
    }
}
