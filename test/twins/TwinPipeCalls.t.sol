// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {ITwinReputation} from "../../contracts/interfaces/ITwinReputation.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {TwinFixture} from "./TwinFixture.sol";

/// @notice PIPE calls of a twin (`twin:<id>`) feed its reputation: settlement records the calls a payer paid for in
///         full, so that payer — and nobody whose calls went unpaid — may give the twin feedback; a registry that
///         refuses never stops a block from settling.
contract TwinPipeCallsTest is TwinFixture {
    /// @dev EIP-4788's system address: the sender of the node's end-of-block call.
    address internal constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    uint96 internal constant PRICE = 0.1e18; // V1's price

    PipeSettlement internal settlement;
    address internal dapp = makeAddr("dapp");
    address internal worker = makeAddr("answering worker");

    function setUp() public override {
        super.setUp();
        settlement = new PipeSettlement(IERC20(address(token)), models, treasury, 500, reputation);
        bytes32 role = reputation.PAYER_RECORDER_ROLE();
        vm.prank(admin);
        reputation.grantRole(role, address(settlement));
        _deposit(dapp, 1e18);
    }

    function _deposit(address account, uint256 amount) internal {
        token.mint(address(this), amount);
        token.approve(address(settlement), amount);
        settlement.deposit(account, amount);
    }

    /// @dev One charge of `calls` calls of twin `twin` by `payer`, at `price` each, answered by `worker`.
    function _settle(address payer, uint256 twin, uint64 calls, uint96 price) internal {
        address[] memory workers = new address[](1);
        workers[0] = worker;
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](1);
        charges[0] = IPipeSettlement.Charge(payer, V1, price * calls, workers, twin, calls);
        vm.prank(SYSTEM);
        settlement.settle(charges);
    }

    function _feedback(address client) internal {
        vm.prank(client);
        reputation.giveFeedback(agentId, 80, "pipe", "", "", "", bytes32(0));
    }

    function test_settle_recordsPaidTwinCalls() public {
        vm.expectEmit(address(reputation));
        emit ITwinReputation.InvocationPaid(agentId, dapp, 3);
        _settle(dapp, agentId, 3, PRICE);

        assertEq(reputation.paidInvocations(agentId, dapp), 3);
        assertEq(settlement.balanceOf(dapp), 1e18 - 3 * PRICE, "paid as any PIPE call");
        for (uint256 i; i < 3; ++i) {
            _feedback(dapp);
        }
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.FeedbackNotPaidFor.selector, agentId, dapp, 3));
        _feedback(dapp);
    }

    function test_settle_recordsNothingForCallsOfTheReleaseItself() public {
        _settle(dapp, 0, 2, PRICE);
        assertEq(reputation.paidInvocations(agentId, dapp), 0);
        assertEq(settlement.balanceOf(dapp), 1e18 - 2 * PRICE);
    }

    /// @dev An attacker whose balance cannot pay still has its calls charged (the node charged past its balance):
    ///      what it did not pay buys it no say in the twin's reputation.
    function test_attack_underpaidTwinCallsGiveNoFeedback() public {
        address attacker = makeAddr("attacker");
        _deposit(attacker, PRICE); // pays one of its two calls
        _settle(attacker, agentId, 2, PRICE);
        assertEq(settlement.balanceOf(attacker), 0, "charged what it had");
        assertEq(reputation.paidInvocations(agentId, attacker), 0, "a shortfall records nothing");

        address broke = makeAddr("broke");
        _settle(broke, agentId, 1, PRICE);
        assertEq(reputation.paidInvocations(agentId, broke), 0, "nothing paid, nothing recorded");

        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.FeedbackNotPaidFor.selector, agentId, attacker, 0));
        _feedback(attacker);
    }

    /// @dev A free call (a release priced at zero is never charged by the node; a zero charge pays nothing)
    ///      records nothing either.
    function test_attack_freeTwinCallsGiveNoFeedback() public {
        _settle(dapp, agentId, 5, 0);
        assertEq(reputation.paidInvocations(agentId, dapp), 0);
    }

    /// @dev Only the node settles, so nobody records calls it did not pay for through settlement.
    function test_attack_onlyTheNodeRecords() public {
        address attacker = makeAddr("attacker");
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](1);
        charges[0] = IPipeSettlement.Charge(attacker, V1, 0, new address[](0), agentId, 100);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.CallerNotSystem.selector, attacker));
        vm.prank(attacker);
        settlement.settle(charges);
        assertEq(reputation.paidInvocations(agentId, attacker), 0);
    }

    function test_settle_settlesWhenTheRegistryRefuses() public {
        // An unknown twin: the registry reverts, the payment still settles.
        _settle(dapp, 77, 1, PRICE);
        assertEq(settlement.balanceOf(dapp), 1e18 - PRICE);
        assertGt(settlement.claimable(worker), 0, "the worker is paid");

        // No recorder role: the same.
        PipeSettlement unrecorded =
            new PipeSettlement(IERC20(address(token)), models, treasury, 500, ITwinReputation(address(0)));
        settlement = unrecorded;
        _deposit(dapp, 1e18);
        _settle(dapp, agentId, 1, PRICE);
        assertEq(settlement.balanceOf(dapp), 1e18 - PRICE);
        assertEq(reputation.paidInvocations(agentId, dapp), 0);
    }
}
