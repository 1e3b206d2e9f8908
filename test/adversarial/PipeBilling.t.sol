// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {SettlementFixture} from "../pipe/SettlementFixture.sol";

/// @notice A dApp that calls PIPE and tries not to pay for it, reading its balance from the chain and picking
///         its moment.
contract FreeRider {
    IPipeSettlement internal immutable SETTLEMENT;

    constructor(IPipeSettlement settlement) {
        SETTLEMENT = settlement;
    }

    /// @notice Right after a PIPE call (which the node charges at the end of the block), asks for everything
    ///         this contract holds.
    /// @return left What the contract still holds after asking: all of it, until settlement.
    function withdrawAllAfterACall() external returns (uint256 left) {
        SETTLEMENT.requestWithdrawal(SETTLEMENT.available(address(this)));
        return SETTLEMENT.available(address(this));
    }

    /// @notice Queues itself twice for the same balance: request, cancel, request again.
    /// @param amount The amount asked for each time.
    function requestTwice(uint256 amount) external {
        SETTLEMENT.requestWithdrawal(amount);
        SETTLEMENT.requestWithdrawal(0);
        SETTLEMENT.requestWithdrawal(amount);
    }

    /// @notice Settles a forged charge of `victim` that pays this contract as its only worker.
    /// @param victim A payer with a balance.
    /// @param releaseId A release.
    /// @param amount The price to charge.
    function forgeSettlement(address victim, ModelId releaseId, uint96 amount) external {
        address[] memory me = new address[](1);
        me[0] = address(this);
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](1);
        charges[0] = IPipeSettlement.Charge(victim, releaseId, amount, me, 0, 1);
        SETTLEMENT.settle(charges);
    }

    /// @notice Claims its credit.
    /// @return The amount.
    function claim() external returns (uint256) {
        return SETTLEMENT.claim();
    }
}

/// @notice PIPE billing from the attacker's side: every call is paid, by its caller only, and no more than
///         the contract holds ever leaves it.
contract PipeBillingTest is SettlementFixture {
    FreeRider internal rider;
    address internal victim = makeAddr("victim dApp");

    function setUp() public override {
        super.setUp();
        rider = new FreeRider(settlement);
        _deposit(address(rider), 3e18);
        _deposit(victim, 10e18);
    }

    /// @notice The issue's attack: call PIPE and withdraw in the same block. The request moves nothing, so the
    ///         node's balance check held for the call; settlement charges first and pays out only what is left.
    function test_freeRider_withdrawingInTheBlockOfItsCall_stillPays() public {
        assertEq(rider.withdrawAllAfterACall(), 3e18, "nothing leaves before settlement");
        address[] memory workers = _workers(1);
        _settle(_one(_charge(address(rider), RISK, PRICE, workers)));
        assertEq(token.balanceOf(address(rider)), 3e18 - PRICE, "the rider got back all but the price");
        assertEq(settlement.balanceOf(address(rider)), 0);
        assertEq(
            settlement.claimable(workers[0]) + settlement.claimable(modelOwner) + settlement.claimable(treasury),
            PRICE,
            "the call was paid in full"
        );
        _assertSolvent(_accounts(workers));
    }

    /// @notice A request, a cancel and a second request queue the rider twice; it is paid once.
    function test_freeRider_queuedTwice_isPaidOnce() public {
        rider.requestTwice(3e18);
        assertEq(settlement.queuedWithdrawals(), 2);
        _settle(_none());
        assertEq(token.balanceOf(address(rider)), 3e18);
        assertEq(settlement.balanceOf(victim), 10e18, "nobody else's balance paid the second entry");
        assertEq(token.balanceOf(address(settlement)), 10e18);
        _assertSolvent(_accounts(new address[](0)));
    }

    /// @notice Only the node's system call settles: a forged settlement cannot charge a victim for the forger.
    function testFuzz_settle_refusesEveryCallerButTheSystem(address caller) public {
        vm.assume(caller != SYSTEM);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.CallerNotSystem.selector, caller));
        settlement.settle(_one(_charge(victim, RISK, 10e18, _workers(1))));
    }

    function test_forgedSettlement_isRefused() public {
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.CallerNotSystem.selector, address(rider)));
        rider.forgeSettlement(victim, RISK, 10e18);
        assertEq(settlement.balanceOf(victim), 10e18);
        assertEq(settlement.claimable(address(rider)), 0);
    }

    /// @notice Charges past a payer's balance take the balance and no more: not below zero, not from anyone
    ///         else, and the contract stays solvent.
    function test_overcharge_takesTheBalanceAndNothingElse() public {
        address[] memory workers = _workers(2);
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](3);
        charges[0] = _charge(address(rider), RISK, 2e18, workers);
        charges[1] = _charge(address(rider), RISK, type(uint96).max, workers);
        charges[2] = _charge(address(rider), UNKNOWN, 5e18, workers);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(address(rider), RISK, 2e18, 0);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(address(rider), RISK, 1e18, type(uint96).max - 1e18);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(address(rider), UNKNOWN, 0, 5e18);
        _settle(charges);
        assertEq(settlement.balanceOf(address(rider)), 0);
        assertEq(settlement.balanceOf(victim), 10e18, "the victim pays nothing of the rider's calls");
        assertEq(settlement.liabilities(), 13e18);
        _assertSolvent(_accounts(workers));
    }

    /// @notice A worker paid once claims once.
    function test_worker_cannotClaimTwice() public {
        address[] memory workers = new address[](1);
        workers[0] = address(rider);
        _settle(_one(_charge(victim, RISK, PRICE, workers)));
        uint256 owed = settlement.claimable(address(rider));
        assertEq(rider.claim(), owed);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.NothingClaimable.selector, address(rider)));
        rider.claim();
        assertEq(token.balanceOf(address(rider)), owed);
        _assertSolvent(_accounts(new address[](0))); // the rider is among them
    }

    /// @notice Whoever tops up a balance cannot take it back: only the account itself can ask for it.
    function test_sponsor_cannotWithdrawWhatItDepositedForAnother() public {
        vm.prank(sponsor);
        settlement.requestWithdrawal(10e18);
        _settle(_none());
        assertEq(token.balanceOf(sponsor), 0);
        assertEq(settlement.balanceOf(victim), 10e18);
    }

    /// @dev The rider, the victim, the owner, the treasury and `workers`.
    function _accounts(address[] memory workers) internal view returns (address[] memory list) {
        list = new address[](workers.length + 4);
        list[0] = address(rider);
        list[1] = victim;
        list[2] = modelOwner;
        list[3] = treasury;
        for (uint256 i; i < workers.length; ++i) {
            list[i + 4] = workers[i];
        }
    }
}
