// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {LoadPricing} from "../contracts/libraries/LoadPricing.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";

/// @notice The escrow at the live price: `quote`, the refusal of a cap below it, the load premium, and the rest of
///         the fee charged at assignment.
/// @dev The model registry counts one unit a block per 100 VGD here (the five compute workers' 5 000 VGD give a
///      capacity of 50 and a target of 25 units a block) and the exact model costs 8 units a run, so that a few tasks
///      move the price: each run adds 8 × 393 216 / 25 to the excess, about 3.8 % on the price.
contract TaskEscrowPricingTest is EscrowFixture {
    uint96 internal constant VALUE = 1e18;
    uint32 internal constant COST_UNITS = 8;
    uint256 internal constant TARGET = 25;

    function setUp() public override {
        super.setUp();
        vm.prank(admin);
        models.setLoadParams(IModelRegistry.LoadParams(address(escrow), 1));
        vm.prank(modelOwner);
        models.setCostUnits(exactModel, COST_UNITS);
    }

    function _quote(Tier floor) internal view returns (uint96 fee) {
        (, fee,) = escrow.quote(exactModel, VALUE, floor, address(0));
    }

    function _createAt(uint96 maxFee, Tier floor) internal returns (TaskId) {
        vm.prank(requester);
        return escrow.createTask(exactModel, input, VALUE, floor, uint40(block.timestamp) + TASK_TIME, maxFee);
    }

    /// @dev Loads the exact model with `tasks` LIGHT tasks, each at its quote.
    function _load(uint256 tasks) internal {
        for (uint256 i; i < tasks; ++i) {
            _createAt(_quote(Tier.LIGHT), Tier.LIGHT);
        }
    }

    // ─── quote ───────────────────────────────────────────────────────────────────────────────────

    function test_quote_isTheLivePriceForEachExecutionPlusTheReviewReserve() public {
        (, uint96 idle,) = escrow.quote(exactModel, VALUE, Tier.REDUNDANT, address(0));
        _load(5);
        (, uint96 loaded,) = escrow.quote(exactModel, VALUE, Tier.REDUNDANT, address(0));
        uint96 live = models.price(exactModel);
        assertGt(live, PRICE, "the load raised the price");
        assertEq(loaded - idle, 3 * (live - PRICE), "three executions at the live price; the reserve stays at base");
    }

    /// @notice `quote(…, address(0))` is exactly the least cap `createTask` accepts now.
    function test_createTask_acceptsACapAtTheQuoteAndRefusesOneWeiLess() public {
        _load(3);
        uint96 quote = _quote(Tier.REDUNDANT);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.FeeBelowQuote.selector, quote, quote - 1));
        _createAt(quote - 1, Tier.REDUNDANT);
        TaskId taskId = _createAt(quote, Tier.REDUNDANT);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Created));
    }

    /// @notice A refused task locks nothing and moves nothing: no token, no liability, no task, no load.
    function testFuzz_createTask_belowTheQuoteIsRefusedAtOnceAndLocksNothing(uint256 tasks, uint96 short) public {
        _load(bound(tasks, 0, 20));
        uint96 quote = _quote(Tier.LIGHT);
        short = uint96(bound(short, 1, quote - 1));
        uint256 wallet = token.balanceOf(requester);
        uint256 held = token.balanceOf(address(escrow));
        uint256 liabilities = escrow.liabilities();
        uint256 count = escrow.taskCount();
        uint256 excess = models.load(exactModel).excess;
        uint256 treasuryCredit = escrow.claimable(treasury);
        vm.expectRevert(abi.encodeWithSelector(ITaskEscrow.FeeBelowQuote.selector, quote, quote - short));
        _createAt(quote - short, Tier.LIGHT);
        assertEq(token.balanceOf(requester), wallet, "nothing taken");
        assertEq(token.balanceOf(address(escrow)), held, "nothing held");
        assertEq(escrow.liabilities(), liabilities, "nothing owed");
        assertEq(escrow.taskCount(), count, "no task");
        assertEq(models.load(exactModel).excess, excess, "no load");
        assertEq(escrow.claimable(treasury), treasuryCredit, "no premium");
    }

    // ─── The premium, then the rest at assignment ────────────────────────────────────────────────

    /// @notice The premium over the base price goes to the treasury at creation; assignment charges the rest at
    ///         the base price and refunds what is left of the cap: the requester pays exactly its quote.
    function test_createTask_takesThePremiumAtOnceAndAssignTheRestAtBase() public {
        _load(6);
        uint96 live = models.price(exactModel);
        uint96 quote = _quote(Tier.LIGHT);
        uint96 maxFee = quote + 5e18;
        uint96 premium = live - PRICE;
        uint256 treasuryBefore = escrow.claimable(treasury);
        uint256 wallet = token.balanceOf(requester);

        vm.expectEmit(address(escrow));
        emit ITaskEscrow.TaskCreated(TaskId.wrap(escrow.taskCount() + 1), requester, exactModel, input, maxFee, premium);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.Credited(treasury, premium);
        TaskId taskId = _createAt(maxFee, Tier.LIGHT);
        assertEq(escrow.claimable(treasury) - treasuryBefore, premium, "the premium, at once");
        assertEq(_task(taskId).fee, maxFee - premium, "the rest of the cap is escrowed");

        _assign(taskId);
        ITaskEscrow.TaskView memory task = _task(taskId);
        assertEq(task.fee, quote - premium, "the fee at the base price");
        assertEq(escrow.claimable(requester), maxFee - quote, "the unused cap comes back");
        vm.prank(requester);
        escrow.claim();
        assertEq(wallet - token.balanceOf(requester), quote, "paid the quote, no more");
    }

    /// @notice The price is fixed at admission: a task created at its quote is assigned however much the price
    ///         rose since (the premium is paid; the rest is at the base price).
    function test_assign_holdsTheAdmissionPriceWhenThePriceRisesAfter() public {
        uint96 quote = _quote(Tier.REDUNDANT);
        TaskId taskId = _createAt(quote, Tier.REDUNDANT);
        _load(30);
        assertGt(_quote(Tier.REDUNDANT), quote + 1e18, "the price rose a lot");
        _assign(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Assigned));
        assertEq(_task(taskId).fee, quote, "charged its admission quote (no premium then)");
    }

    /// @notice The fee charged at assignment lives in the task's shared terms, its escrowed cap stays in its first
    ///         slot: a requester that escrows a huge cap raises neither the challenge bond of its task (it would
    ///         price challengers out) nor what its worker is paid, and gets the unused cap back at assignment.
    function test_assign_chargesTheFeeOfItsTermsNotTheCapEscrowed() public {
        uint96 quote = _quote(Tier.LIGHT);
        ITaskEscrow.Params memory p = escrow.params();
        uint96 cap = p.minChallengeBond + 100e18; // a bond sized by the cap would be this
        TaskId huge = _createAt(cap, Tier.LIGHT);
        assertEq(_task(huge).fee, cap, "before assignment: the escrow");
        _assign(huge);
        uint96 fee = _task(huge).fee;
        assertLe(fee, quote, "charged at most the quote");
        assertEq(escrow.claimable(requester), cap - fee, "the unused cap comes back");
        assertEq(escrow.challengeBond(huge), fee > p.minChallengeBond ? fee : p.minChallengeBond, "bond: the fee");
        _submit(huge, good, false);
        _passChallengeWindow(huge);
        escrow.finalize(huge);
        uint256 before = escrow.claimable(_worker(huge, 0));
        escrow.settle(huge);
        uint256 net = fee - _task(huge).reserve;
        uint256 pay = net - net * ROYALTY_BPS / 10_000 - net * p.protocolFeeBps / 10_000;
        assertEq(escrow.claimable(_worker(huge, 0)) - before, pay, "paid from the fee charged");
        _assertSolvent();
    }

    /// @notice A task that never runs (here: nobody assigns it) refunds its escrow, not its premium.
    function test_settle_refundsAnExpiredTaskButNotItsPremium() public {
        _load(6);
        uint96 quote = _quote(Tier.LIGHT);
        uint256 premium = models.price(exactModel) - PRICE;
        uint256 wallet = token.balanceOf(requester);
        TaskId taskId = _createAt(quote, Tier.LIGHT);
        vm.warp(block.timestamp + TASK_TIME);
        escrow.finalize(taskId);
        escrow.settle(taskId);
        vm.prank(requester);
        escrow.claim();
        assertEq(wallet - token.balanceOf(requester), premium, "the premium paid for the load it brought");
        _assertSolvent();
    }

    // ─── Prices follow load ──────────────────────────────────────────────────────────────────────

    /// @notice Sustained demand above the target raises the price block after block; once it stops, the price
    ///         falls back to base by itself, one target of excess a block, without anyone transacting.
    function test_createTask_raisesThePriceUnderSustainedDemandWhichDecaysAfter() public {
        uint96 idleQuote = _quote(Tier.LIGHT);
        uint96 last = models.price(exactModel);
        // Six runs a block (48 units) against a target of 25: nearly twice the target, each block.
        for (uint256 b; b < 10; ++b) {
            _load(6);
            uint96 now_ = models.price(exactModel);
            assertGt(now_, last, "rises block after block");
            last = now_;
            vm.roll(block.number + 1);
        }
        assertGt(last, 2 * PRICE, "more than doubled");
        uint256 excess = models.load(exactModel).excess;
        uint256 blocks = (excess + LoadPricing.TARGET_PER_BLOCK - 1) / LoadPricing.TARGET_PER_BLOCK;
        vm.roll(block.number + blocks - 1);
        assertGt(models.price(exactModel), PRICE, "still above base a block early");
        vm.roll(block.number + 1);
        assertEq(models.price(exactModel), PRICE, "back to base");
        assertEq(_quote(Tier.LIGHT), idleQuote, "and so is the quote");
    }

    /// @notice A release's price follows its own load only.
    function test_createTask_leavesTheOtherReleasesPricesAlone() public {
        _load(20);
        assertGt(models.price(exactModel), PRICE);
        assertEq(models.price(toleranceModel), PRICE);
    }
}
