// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {SettlementFixture} from "../pipe/SettlementFixture.sol";
import {SettlementHandler} from "./SettlementHandler.sol";

/// @notice PIPE billing's solvency and payment rule under random deposits, withdrawal requests, settlements,
///         claims and forged settlements.
contract SettlementInvariantTest is SettlementFixture {
    /// @dev A second release, at the largest royalty the registry allows.
    ModelId internal constant GREEDY = ModelId.wrap(keccak256("verigrad/greedy"));

    SettlementHandler internal handler;

    function setUp() public override {
        super.setUp();
        _publish(GREEDY, "verigrad/greedy", 3e17, models.MAX_ROYALTY_BPS());
        ModelId[] memory releases = new ModelId[](3);
        releases[0] = RISK;
        releases[1] = GREEDY;
        releases[2] = UNKNOWN;
        address[] memory payers = new address[](4);
        for (uint256 i; i < payers.length; ++i) {
            payers[i] = makeAddr(string.concat("dapp", vm.toString(i)));
        }
        address[] memory workers = _workers(3);
        address[] memory payees = new address[](workers.length + 2);
        for (uint256 i; i < workers.length; ++i) {
            payees[i] = workers[i];
        }
        payees[workers.length] = modelOwner;
        payees[workers.length + 1] = treasury;
        handler = new SettlementHandler(settlement, token, releases, UNKNOWN, payers, payees, workers);
        targetContract(address(handler));
    }

    /// @notice The handler reaches every path the invariants speak about.
    function test_handler_reachesEveryPath() public {
        for (uint256 i; i < 300; ++i) {
            uint256 r = uint256(keccak256(abi.encode("step", i)));
            uint256 action = (r >> 248) % 5; // the top byte: the low bits draw the inputs
            if (action == 0) {
                handler.deposit(r, r >> 64);
            } else if (action == 1) {
                handler.requestWithdrawal(r, r >> 64);
            } else if (action == 2) {
                handler.settle(r);
            } else if (action == 3) {
                handler.claim(r);
            } else {
                // forge-lint: disable-next-line(unsafe-typecast)
                handler.forgeSettlement(r, address(uint160(r >> 8))); // truncation draws the caller
            }
        }
        assertGt(handler.settlements(), 20, "blocks settle");
        assertGt(handler.ghostPaid(), 0, "charges are paid");
        assertGt(handler.shortfalls(), 0, "oversize charges meet short balances");
        assertGt(handler.unknownCharges(), 0, "unknown releases are charged");
        assertGt(handler.withdrawals(), 0, "withdrawals are paid");
        assertGt(handler.claims(), 0, "credits are claimed");
        invariant_tokenBalanceEqualsBalancesPlusCredits();
        invariant_everySettlementFollowsTheRuleAndNoAttackPasses();
    }

    /// @notice Solvency: token balance == liabilities == Σ balances + Σ credits == deposits − withdrawals − claims.
    function invariant_tokenBalanceEqualsBalancesPlusCredits() public view {
        uint256 owed;
        address[] memory payers = handler.payers();
        for (uint256 i; i < payers.length; ++i) {
            owed += settlement.balanceOf(payers[i]) + settlement.claimable(payers[i]);
        }
        address[] memory payees = handler.payees();
        for (uint256 i; i < payees.length; ++i) {
            owed += settlement.balanceOf(payees[i]) + settlement.claimable(payees[i]);
        }
        uint256 held = token.balanceOf(address(settlement));
        assertEq(held, settlement.liabilities(), "token balance == liabilities");
        assertEq(held, owed, "token balance == balances + credits");
        assertEq(
            held,
            handler.ghostDeposited() - handler.ghostWithdrawn() - handler.ghostClaimed(),
            "token balance == deposits - withdrawals - claims"
        );
        assertEq(settlement.claimable(address(0)), 0, "nothing is credited where nobody can claim");
    }

    /// @notice Every settlement charged and paid out by the rule (checked against the handler's model), never
    ///         reverted, and paid plus shortfall is what was charged; no forged settlement or double claim passed.
    function invariant_everySettlementFollowsTheRuleAndNoAttackPasses() public view {
        assertEq(handler.violations(), 0, "violations");
        assertEq(handler.ghostPaid() + handler.ghostShortfall(), handler.ghostCharged(), "paid + shortfall == price");
    }
}
