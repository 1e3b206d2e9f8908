// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {FeeSplit} from "../../contracts/libraries/FeeSplit.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {SettlementFixture} from "./SettlementFixture.sol";

/// @notice PipeSettlement, function by function: deposits, withdrawal requests, settlement, claims and views.
contract PipeSettlementTest is SettlementFixture {
    /// @dev One RISK call: 10 % royalty, 5 % protocol fee, 85 % to the workers.
    uint256 internal constant ROYALTY = 0.1e18;
    uint256 internal constant FEE = 0.05e18;
    uint256 internal constant POT = 0.85e18;

    // ─── Constructor ─────────────────────────────────────────────────────────────────────────────

    function test_constructor_setsItsImmutables() public view {
        assertEq(address(settlement.TOKEN()), address(token));
        assertEq(address(settlement.MODELS()), address(models));
        assertEq(settlement.TREASURY(), treasury);
        assertEq(settlement.PROTOCOL_FEE_BPS(), FEE_BPS);
        assertEq(settlement.SYSTEM(), SYSTEM);
    }

    function test_constructor_revertsIfAnAddressIsZero() public {
        IERC20 t = IERC20(address(token));
        vm.expectRevert(IPipeSettlement.ZeroAddress.selector);
        new PipeSettlement(IERC20(address(0)), models, treasury, FEE_BPS, NO_TWINS);
        vm.expectRevert(IPipeSettlement.ZeroAddress.selector);
        new PipeSettlement(t, IModelRegistry(address(0)), treasury, FEE_BPS, NO_TWINS);
        vm.expectRevert(IPipeSettlement.ZeroAddress.selector);
        new PipeSettlement(t, models, address(0), FEE_BPS, NO_TWINS);
    }

    function test_constructor_revertsIfTheFeeIsAboveTheWhole() public {
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.ProtocolFeeTooHigh.selector, uint16(10_001)));
        new PipeSettlement(IERC20(address(token)), models, treasury, 10_001, NO_TWINS);
        new PipeSettlement(IERC20(address(token)), models, treasury, 10_000, NO_TWINS); // all of it is allowed
    }

    // ─── Storage layout (read by the node) ───────────────────────────────────────────────────────

    /// @notice The node's precompile reads a payer's balance from `keccak256(abi.encode(payer, uint256(0)))`.
    function test_balanceOf_isStoredAtSlotZero() public {
        address[] memory accounts = _workers(3);
        for (uint256 i; i < accounts.length; ++i) {
            _deposit(accounts[i], (i + 1) * 7e17);
        }
        _deposit(dapp, 3e18);
        _settle(_one(_riskCall(accounts))); // a charge moves the dApp's balance
        for (uint256 i; i < accounts.length; ++i) {
            bytes32 slot = keccak256(abi.encode(accounts[i], uint256(0)));
            assertEq(uint256(vm.load(address(settlement), slot)), settlement.balanceOf(accounts[i]));
        }
        bytes32 dappSlot = keccak256(abi.encode(dapp, uint256(0)));
        assertEq(uint256(vm.load(address(settlement), dappSlot)), 2e18);
        assertEq(settlement.balanceOf(dapp), 2e18);
    }

    // ─── deposit ─────────────────────────────────────────────────────────────────────────────────

    function test_deposit_creditsTheAccountAndPullsTheTokens() public {
        token.mint(sponsor, 5e18);
        vm.startPrank(sponsor);
        token.approve(address(settlement), 5e18);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Deposited(dapp, sponsor, 5e18);
        settlement.deposit(dapp, 5e18);
        vm.stopPrank();
        assertEq(settlement.balanceOf(dapp), 5e18);
        assertEq(settlement.available(dapp), 5e18);
        assertEq(settlement.balanceOf(sponsor), 0, "the sponsor paid for the dApp, not for itself");
        assertEq(token.balanceOf(sponsor), 0);
        assertEq(settlement.liabilities(), 5e18);
        _assertSolvent(_pair(dapp, sponsor));
    }

    function test_deposit_addsToAnExistingBalance() public {
        _deposit(dapp, 1e18);
        _deposit(dapp, 2e18);
        assertEq(settlement.balanceOf(dapp), 3e18);
    }

    function test_deposit_revertsIfTheAccountOrAmountIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.InvalidDeposit.selector, address(0), 1e18));
        settlement.deposit(address(0), 1e18);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.InvalidDeposit.selector, dapp, 0));
        settlement.deposit(dapp, 0);
    }

    function test_deposit_revertsWithoutAllowance() public {
        token.mint(sponsor, 1e18);
        vm.prank(sponsor);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(settlement), 0, 1e18)
        );
        settlement.deposit(dapp, 1e18);
    }

    // ─── requestWithdrawal ───────────────────────────────────────────────────────────────────────

    function test_requestWithdrawal_recordsWithoutMovingTheBalance() public {
        _deposit(dapp, 3e18);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.WithdrawalRequested(dapp, 2e18);
        _requestWithdrawal(dapp, 2e18);
        assertEq(settlement.withdrawalRequest(dapp), 2e18);
        assertEq(settlement.balanceOf(dapp), 3e18, "nothing moves before settlement");
        assertEq(settlement.queuedWithdrawals(), 1);
        assertEq(token.balanceOf(dapp), 0);
    }

    function test_requestWithdrawal_replacesAnEarlierRequestAndQueuesOnce() public {
        _deposit(dapp, 3e18);
        _requestWithdrawal(dapp, 2e18);
        _requestWithdrawal(dapp, 1e18);
        assertEq(settlement.withdrawalRequest(dapp), 1e18);
        assertEq(settlement.queuedWithdrawals(), 1);
        _settle(_none());
        assertEq(token.balanceOf(dapp), 1e18, "the later request counts");
        assertEq(settlement.balanceOf(dapp), 2e18);
    }

    function test_requestWithdrawal_ofZeroCancels() public {
        _deposit(dapp, 3e18);
        _requestWithdrawal(dapp, 2e18);
        _requestWithdrawal(dapp, 0);
        assertEq(settlement.withdrawalRequest(dapp), 0);
        _settle(_none());
        assertEq(settlement.balanceOf(dapp), 3e18);
        assertEq(token.balanceOf(dapp), 0);
        assertEq(settlement.queuedWithdrawals(), 0);
    }

    // ─── settle: charges ─────────────────────────────────────────────────────────────────────────

    function test_settle_revertsIfTheCallerIsNotTheSystem() public {
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.CallerNotSystem.selector, address(this)));
        settlement.settle(_none());
    }

    function test_settle_splitsAChargeBetweenOwnerTreasuryAndWorker() public {
        _deposit(dapp, 5e18);
        address[] memory workers = _workers(1);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(dapp, RISK, PRICE, 0);
        _settle(_one(_riskCall(workers)));
        assertEq(settlement.balanceOf(dapp), 4e18);
        assertEq(settlement.claimable(modelOwner), ROYALTY);
        assertEq(settlement.claimable(treasury), FEE);
        assertEq(settlement.claimable(workers[0]), POT);
        assertEq(settlement.liabilities(), 5e18, "settlement moves money inside the ledger");
        _assertSolvent(_payees(workers));
    }

    function test_settle_givesTheDustOfEqualSharesToTheTreasury() public {
        _deposit(dapp, 5e18);
        address[] memory workers = _workers(3);
        _settle(_one(_riskCall(workers)));
        uint256 share = POT / 3;
        for (uint256 i; i < workers.length; ++i) {
            assertEq(settlement.claimable(workers[i]), share);
        }
        assertEq(settlement.claimable(treasury), FEE + (POT - 3 * share));
        assertEq(POT - 3 * share, 1, "one wei of dust");
        _assertSolvent(_payees(workers));
    }

    function test_settle_paysTheWholePotToTheTreasuryWithoutWorkers() public {
        _deposit(dapp, 5e18);
        _settle(_one(_riskCall(new address[](0))));
        assertEq(settlement.claimable(treasury), FEE + POT);
        assertEq(settlement.claimable(modelOwner), ROYALTY);
    }

    function test_settle_paysAZeroAddressWorkersShareToTheTreasury() public {
        _deposit(dapp, 5e18);
        address[] memory workers = _workers(2);
        workers[1] = address(0);
        _settle(_one(_riskCall(workers)));
        assertEq(settlement.claimable(workers[0]), POT / 2);
        assertEq(settlement.claimable(address(0)), 0, "nothing is stranded where nobody can claim");
        assertEq(settlement.claimable(treasury), FEE + POT / 2);
    }

    function test_settle_chargesAShortBalanceWhatItHasAndRecordsTheShortfall() public {
        _deposit(dapp, 0.4e18);
        address[] memory workers = _workers(1);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(dapp, RISK, 0.4e18, 0.6e18);
        _settle(_one(_riskCall(workers)));
        assertEq(settlement.balanceOf(dapp), 0);
        assertEq(settlement.claimable(modelOwner), 0.04e18, "the split is of what was paid");
        assertEq(settlement.claimable(treasury), 0.02e18);
        assertEq(settlement.claimable(workers[0]), 0.34e18);
        _assertSolvent(_payees(workers));
    }

    function test_settle_chargesAnEmptyBalanceNothing() public {
        address[] memory workers = _workers(1);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(dapp, RISK, 0, PRICE);
        _settle(_one(_riskCall(workers)));
        assertEq(settlement.claimable(workers[0]), 0);
        assertEq(settlement.claimable(treasury), 0);
        assertEq(settlement.liabilities(), 0);
    }

    function test_settle_paysAnUnknownReleasesChargeToTheTreasury() public {
        _deposit(dapp, 5e18);
        address[] memory workers = _workers(2);
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](2);
        charges[0] = _charge(dapp, UNKNOWN, 0.3e18, workers);
        charges[1] = _riskCall(workers); // the block's other charges still settle
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(dapp, UNKNOWN, 0.3e18, 0);
        _settle(charges);
        assertEq(settlement.balanceOf(dapp), 5e18 - 0.3e18 - PRICE);
        assertEq(settlement.claimable(treasury), 0.3e18 + FEE);
        assertEq(settlement.claimable(workers[0]), POT / 2);
        assertEq(settlement.claimable(modelOwner), ROYALTY);
        _assertSolvent(_payees(workers));
    }

    function test_settle_appliesChargesInOrder() public {
        _deposit(dapp, 1.5e18);
        address[] memory workers = _workers(1);
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](2);
        charges[0] = _riskCall(workers);
        charges[1] = _riskCall(workers);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(dapp, RISK, PRICE, 0);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Charged(dapp, RISK, 0.5e18, 0.5e18);
        _settle(charges);
        assertEq(settlement.balanceOf(dapp), 0);
        assertEq(settlement.claimable(workers[0]), POT + POT / 2);
    }

    function test_settle_capsTheProtocolFeeAtWhatTheRoyaltyLeaves() public {
        PipeSettlement greedy = new PipeSettlement(IERC20(address(token)), models, treasury, 10_000, NO_TWINS);
        settlement = greedy;
        _deposit(dapp, 1e18);
        address[] memory workers = _workers(1);
        _settle(_one(_riskCall(workers)));
        assertEq(settlement.claimable(modelOwner), ROYALTY, "the royalty comes first");
        assertEq(settlement.claimable(treasury), PRICE - ROYALTY);
        assertEq(settlement.claimable(workers[0]), 0);
        _assertSolvent(_payees(workers));
    }

    function test_settle_withNothingToDoChangesNothing() public {
        _deposit(dapp, 1e18);
        _settle(_none());
        assertEq(settlement.balanceOf(dapp), 1e18);
        assertEq(settlement.liabilities(), 1e18);
    }

    // ─── settle: withdrawals ─────────────────────────────────────────────────────────────────────

    function test_settle_paysAWithdrawalAfterTheBlocksCharges() public {
        _deposit(dapp, 3e18);
        _requestWithdrawal(dapp, 3e18);
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Withdrawn(dapp, 2e18);
        _settle(_one(_riskCall(_workers(1))));
        assertEq(token.balanceOf(dapp), 2e18, "what the charge left");
        assertEq(settlement.balanceOf(dapp), 0);
        assertEq(settlement.withdrawalRequest(dapp), 0);
        assertEq(settlement.queuedWithdrawals(), 0);
        assertEq(settlement.liabilities(), PRICE, "only the credits are left");
    }

    function test_settle_paysAPartialWithdrawalAndKeepsTheRest() public {
        _deposit(dapp, 3e18);
        _requestWithdrawal(dapp, 1e18);
        _settle(_none());
        assertEq(token.balanceOf(dapp), 1e18);
        assertEq(settlement.balanceOf(dapp), 2e18);
        _assertSolvent(_pair(dapp, sponsor));
    }

    function test_settle_paysEveryQueuedAccount() public {
        address[] memory accounts = _workers(3);
        for (uint256 i; i < accounts.length; ++i) {
            _deposit(accounts[i], 1e18);
            _requestWithdrawal(accounts[i], 1e18);
        }
        _settle(_none());
        for (uint256 i; i < accounts.length; ++i) {
            assertEq(token.balanceOf(accounts[i]), 1e18);
        }
        assertEq(settlement.liabilities(), 0);
        assertEq(token.balanceOf(address(settlement)), 0);
    }

    function test_settle_skipsARequestOfAnEmptyBalance() public {
        _requestWithdrawal(dapp, 1e18);
        _settle(_none());
        assertEq(token.balanceOf(dapp), 0);
        assertEq(settlement.withdrawalRequest(dapp), 0, "the request is spent");
        assertEq(settlement.queuedWithdrawals(), 0);
    }

    // ─── claim ───────────────────────────────────────────────────────────────────────────────────

    function test_claim_paysTheCreditOut() public {
        _deposit(dapp, 5e18);
        address[] memory workers = _workers(1);
        _settle(_one(_riskCall(workers)));
        vm.expectEmit(address(settlement));
        emit IPipeSettlement.Claimed(workers[0], POT);
        vm.prank(workers[0]);
        assertEq(settlement.claim(), POT);
        assertEq(token.balanceOf(workers[0]), POT);
        assertEq(settlement.claimable(workers[0]), 0);
        vm.prank(modelOwner);
        settlement.claim();
        vm.prank(treasury);
        settlement.claim();
        assertEq(settlement.liabilities(), 4e18, "the dApp's balance is left");
        _assertSolvent(_payees(workers));
    }

    function test_claim_revertsIfNothingIsOwed() public {
        vm.prank(dapp);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.NothingClaimable.selector, dapp));
        settlement.claim();
    }

    // ─── Views ───────────────────────────────────────────────────────────────────────────────────

    function test_price_isTheReleasesBasePriceWithoutLoad() public {
        assertEq(settlement.price(RISK), PRICE);
        vm.prank(modelOwner);
        models.setBasePrice(RISK, 3e18);
        assertEq(settlement.price(RISK), 3e18);
    }

    /// @notice PIPE calls pay the registry's live price, as every other door quotes it: under load it is above
    ///         the base price (the registry's own load tests drive the multiplier).
    function test_price_isTheRegistrysLivePrice() public {
        vm.mockCall(address(models), abi.encodeCall(IModelRegistry.price, (RISK)), abi.encode(uint96(7e18)));
        assertEq(settlement.price(RISK), 7e18);
        assertEq(models.terms(RISK).basePrice, PRICE, "the base price is unchanged");
    }

    function test_price_revertsForAnUnknownRelease() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, UNKNOWN));
        settlement.price(UNKNOWN);
    }

    // ─── Fuzz: the split ─────────────────────────────────────────────────────────────────────────

    /// @notice Royalty + protocol fee + worker shares + dust == the amount, for any rates and worker count.
    function testFuzz_split_sumsToTheAmountExactly(uint256 amount, uint16 royaltyBps, uint16 feeBps, uint8 count)
        public
        pure
    {
        amount = bound(amount, 0, type(uint96).max);
        (uint256 royalty, uint256 fee, uint256 pot) = FeeSplit.split(amount, royaltyBps, feeBps);
        (uint256 share, uint256 dust) = FeeSplit.shares(pot, count);
        assertEq(royalty + fee + share * count + dust, amount);
        assertEq(royalty, amount * (royaltyBps > 10_000 ? 10_000 : royaltyBps) / 10_000);
        assertLe(fee, amount * feeBps / 10_000);
        assertLt(dust, count == 0 ? pot + 1 : count, "dust is less than one wei per worker");
    }

    /// @notice One settled charge credits exactly what the payer paid, min(price, balance), split by the rule.
    function testFuzz_settle_creditsExactlyWhatWasPaid(
        uint96 price,
        uint96 balance,
        uint16 royaltyBps,
        uint16 feeBps,
        uint8 count
    ) public {
        royaltyBps = uint16(bound(royaltyBps, 0, models.MAX_ROYALTY_BPS()));
        feeBps = uint16(bound(feeBps, 0, 10_000));
        count = uint8(bound(count, 0, 12));
        ModelId release = ModelId.wrap(keccak256("fuzzed"));
        _publish(release, "fuzzed", price, royaltyBps);
        settlement = new PipeSettlement(IERC20(address(token)), models, treasury, feeBps, NO_TWINS);
        if (balance != 0) {
            _deposit(dapp, balance);
        }
        address[] memory workers = _workers(count);
        _settle(_one(_charge(dapp, release, price, workers)));

        uint256 paid = price < balance ? price : balance;
        assertEq(settlement.balanceOf(dapp), uint256(balance) - paid);
        uint256 credited = settlement.claimable(modelOwner) + settlement.claimable(treasury);
        for (uint256 i; i < count; ++i) {
            credited += settlement.claimable(workers[i]);
        }
        assertEq(credited, paid, "credits == paid");
        assertEq(settlement.claimable(modelOwner), paid * royaltyBps / 10_000);
        _assertSolvent(_payees(workers));
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    function _pair(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        list[0] = a;
        list[1] = b;
    }

    /// @dev Every account a settlement of the dApp's calls can credit: the dApp, the owner, the treasury, workers.
    function _payees(address[] memory workers) internal view returns (address[] memory list) {
        list = new address[](workers.length + 3);
        list[0] = dapp;
        list[1] = modelOwner;
        list[2] = treasury;
        for (uint256 i; i < workers.length; ++i) {
            list[i + 3] = workers[i];
        }
    }
}
