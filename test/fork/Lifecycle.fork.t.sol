// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {TaskEscrow} from "../../contracts/TaskEscrow.sol";
import {Token} from "../../contracts/Token.sol";
import {WorkerRegistry} from "../../contracts/WorkerRegistry.sol";
import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {PipeDisputes} from "../../contracts/pipe/PipeDisputes.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "../utils/EscrowFixture.sol";

/// @notice Real lifecycles on the contracts deployed to a live chain by `scripts/Deploy.s.sol`.
/// @dev Run with `forge test --fork-url $RPC --match-path 'test/fork/*'` and VERIGRAD_DEPLOYMENTS set to the
///      addresses file the deploy wrote. Each test forks the chain as deployed: the deployer's roles and the
///      escrow's parameters are the live ones.
contract LifecycleForkTest is EscrowFixture {
    PipeSettlement internal settlement;

    function _deployCore() internal override {
        string memory json = vm.readFile(vm.envString("VERIGRAD_DEPLOYMENTS"));
        assertEq(vm.parseJsonUint(json, ".chainId"), block.chainid, "addresses file is for this chain");
        token = Token(vm.parseJsonAddress(json, ".token"));
        models = ModelRegistry(vm.parseJsonAddress(json, ".modelRegistry"));
        workers = WorkerRegistry(vm.parseJsonAddress(json, ".workerRegistry"));
        escrow = TaskEscrow(vm.parseJsonAddress(json, ".taskEscrow"));
        admin = vm.parseJsonAddress(json, ".deployer");
        treasury = escrow.params().treasury;
        settlement = PipeSettlement(vm.parseJsonAddress(json, ".pipeSettlement"));
        assertTrue(address(escrow).code.length > 0, "escrow deployed");
        assertTrue(workers.hasRole(workers.SLASHER_ROLE(), address(escrow)), "escrow may slash");
        assertEq(address(settlement.TOKEN()), address(token), "PIPE billing takes the network token");
        assertEq(address(settlement.MODELS()), address(models), "and prices by the registry");
        assertEq(settlement.TREASURY(), treasury, "and pays the escrow's treasury");
        PipeDisputes disputes = PipeDisputes(vm.parseJsonAddress(json, ".pipeDisputes"));
        assertTrue(workers.hasRole(workers.SLASHER_ROLE(), address(disputes)), "PIPE disputes may slash");
        assertEq(address(disputes.ESCROW()), address(escrow), "and re-execute in the escrow");
        assertEq(address(disputes.SETTLEMENT()), address(settlement), "answers signed in billing's domain");
        assertGe(disputes.slashAmount(), escrow.params().minSlash);
    }

    function test_fork_lightLifecycleFinalizesAndPays() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, good, false);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        escrow.settle(taskId);
        assertEq(escrow.resultOf(taskId), good);
        assertGt(escrow.claimable(worker), 0);
        vm.prank(worker);
        escrow.claim();
        _assertSolvent();
    }

    function test_fork_redundantLifecycleSlashesTheMinority() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.REDUNDANT);
        bytes32[] memory outputs = _outputs(3, good);
        outputs[2] = bad;
        _commitReveal(taskId, outputs);
        _passChallengeWindow(taskId);
        escrow.finalize(taskId);
        escrow.settle(taskId);
        assertEq(_stake(_worker(taskId, 2)), STAKE - _task(taskId).seatLock);
        assertEq(_stake(_worker(taskId, 0)), STAKE);
        _assertSolvent();
    }

    function test_fork_deepLifecycleIsReviewedByACommittee() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.DEEP);
        _commitReveal(taskId, _outputs(3, good));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Reviewing));
        _voteAll(taskId, 7);
        escrow.settle(taskId);
        assertGt(escrow.claimable(_member(taskId, 0)), 0);
        _assertSolvent();
    }

    function test_fork_challengeSlashesAWrongLightResult() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        _submit(taskId, bad, false);
        vm.prank(challenger);
        escrow.challenge(taskId);
        _drawCommittee(taskId);
        _voteAll(taskId, 0);
        _closeAppealWindow(taskId);
        escrow.settle(taskId);
        uint96 lock = _task(taskId).seatLock;
        assertEq(_stake(worker), STAKE - lock);
        assertEq(escrow.claimable(challenger), 10e18 + lock / 2, "bond back plus the bounty: half the slash");
        _assertSolvent();
    }

    function test_fork_noShowIsSlashedAndRequesterRefunded() public {
        TaskId taskId = _createAssigned(exactModel, 1e18, Tier.LIGHT);
        address worker = _worker(taskId, 0);
        vm.warp(_task(taskId).until);
        escrow.finalize(taskId);
        escrow.settle(taskId);
        assertEq(_stake(worker), STAKE - _task(taskId).seatLock);
        assertEq(escrow.claimable(requester), 100 * PRICE - _task(taskId).reserve, "all but the review reserve");
        _assertSolvent();
    }

    /// @notice PIPE billing as deployed: a sponsor tops up a dApp, the node's end-of-block system call charges
    ///         one call, and the payees claim.
    function test_fork_pipeCallIsPaidAtSettlement() public {
        address dapp = makeAddr("dapp");
        vm.prank(admin);
        token.mint(requester, 5 * PRICE);
        vm.startPrank(requester);
        token.approve(address(settlement), 5 * PRICE);
        settlement.deposit(dapp, 5 * PRICE);
        vm.stopPrank();
        uint256 liabilities = settlement.liabilities();
        uint256 treasuryCredit = settlement.claimable(treasury);

        address[] memory answered = new address[](2);
        answered[0] = computeWorkers[0];
        answered[1] = computeWorkers[1];
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](1);
        charges[0] = IPipeSettlement.Charge(dapp, exactModel, settlement.price(exactModel), answered, 0, 1);
        vm.prank(settlement.SYSTEM());
        settlement.settle(charges);

        uint256 royalty = PRICE * ROYALTY_BPS / 10_000;
        uint256 fee = PRICE * settlement.PROTOCOL_FEE_BPS() / 10_000;
        uint256 share = (PRICE - royalty - fee) / 2;
        assertEq(settlement.balanceOf(dapp), 4 * PRICE);
        assertEq(settlement.claimable(modelOwner), royalty);
        assertEq(settlement.claimable(treasury) - treasuryCredit, PRICE - royalty - 2 * share);
        vm.prank(computeWorkers[0]);
        assertEq(settlement.claim(), share);
        assertEq(settlement.liabilities(), liabilities - share);
        assertEq(token.balanceOf(address(settlement)), settlement.liabilities(), "PIPE billing is solvent");
    }
}
