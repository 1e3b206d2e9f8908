// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPipeDisputes} from "../../contracts/interfaces/IPipeDisputes.sol";
import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {DisputeFixture} from "./DisputeFixture.sol";

/// @notice Disputes of signed PIPE answers, each re-executed by a real DEEP task of the escrow.
contract PipeDisputesTest is DisputeFixture {
    bytes32 internal constant WRONG = keccak256("a wrong output");

    // ─── The shared vector ───────────────────────────────────────────────────────────────────────

    /// @notice `keccak256(abi.encode(output))` equals Rust's `ModelOutput::commitment()`
    ///         (`inference/src/tensor.rs`, `commitment_matches_solidity`): a signed output hash opens on chain.
    function test_commitment_matchesRust() public pure {
        ModelOutput memory output;
        output.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        TensorLib.Number[] memory values = new TensorLib.Number[](2);
        values[0] = TensorLib.Number(-15, 1);
        values[1] = TensorLib.Number(7, 0);
        uint32[] memory shape = new uint32[](1);
        shape[0] = 2;
        output.numbers[0] = TensorLib.MultiDimensionalNumberTensor("y", values, shape);
        output.strings = new TensorLib.StringTensor[](1);
        string[] memory labels = new string[](1);
        labels[0] = "up";
        output.strings[0] = TensorLib.StringTensor("label", labels);
        output.jsons = new TensorLib.JsonScalar[](1);
        output.jsons[0] = TensorLib.JsonScalar("k", "v");
        assertEq(keccak256(abi.encode(output)), 0x74a720359dd8e1d263aa6aace845e5dbc00bf29abebeaf9846d6491ad560154d);
    }

    // ─── Opening ─────────────────────────────────────────────────────────────────────────────────

    function test_dispute_createsADeepTaskOverTheRequest() public {
        uint256 before = token.balanceOf(disputer);
        vm.expectEmit(address(escrow));
        emit ITaskEscrow.TaskCreated(TaskId.wrap(1), address(disputes), exactModel, requestId, MAX_FEE, 0);
        vm.expectEmit(address(disputes));
        emit IPipeDisputes.DisputeOpened(1, signer, disputer, TaskId.wrap(1), requestId, WRONG);
        uint256 id = _dispute(exactModel, WRONG);
        vm.snapshotGasLastCall("PipeDisputes", "dispute");

        IPipeDisputes.Dispute memory d = disputes.disputeOf(id);
        assertEq(d.signer, signer);
        assertEq(d.disputer, disputer);
        assertEq(d.requestId, requestId);
        assertEq(ModelId.unwrap(d.releaseId), ModelId.unwrap(exactModel));
        assertEq(d.outputHash, WRONG);
        assertEq(d.bond, BOND);
        assertEq(d.fee, MAX_FEE);
        assertEq(uint8(d.ruling), uint8(IPipeDisputes.Ruling.Open));
        ITaskEscrow.TaskView memory task = _task(d.taskId);
        assertEq(uint8(task.floor), uint8(Tier.DEEP));
        assertEq(task.value, SLASH + BOND, "the value at risk is what the ruling moves");
        assertEq(task.until, block.timestamp + DISPUTE_TASK_TIME);
        assertEq(token.balanceOf(disputer), before - BOND - MAX_FEE);
        assertEq(disputes.disputeCount(), 1);
        _assertBothSolvent();
    }

    function test_dispute_revertsIfSignatureMalformed() public {
        bytes memory signature = _sign(signerKey, requestId, exactModel, WRONG);
        bytes memory short = new bytes(64);
        vm.prank(disputer);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.InvalidAnswerSignature.selector, short));
        disputes.dispute(requestId, exactModel, WRONG, short, MAX_FEE);
        // The same signature made malleable (s → n − s, v flipped) is refused too.
        bytes32 r;
        bytes32 s;
        assembly ("memory-safe") {
            r := mload(add(signature, 32))
            s := mload(add(signature, 64))
        }
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes memory malleable = abi.encodePacked(r, bytes32(n - uint256(s)), uint8(signature[64]) == 27 ? 28 : 27);
        vm.prank(disputer);
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.InvalidAnswerSignature.selector, malleable));
        disputes.dispute(requestId, exactModel, WRONG, malleable, MAX_FEE);
    }

    /// @notice A forger signs a wrong answer in the worker's name with its own key: the contract recovers the
    ///         forger, so the worker is never at stake, and the forger gains nothing.
    function test_dispute_forgedSignatureNeverReachesTheWorker() public {
        (address forger, uint256 forgerKey) = makeAddrAndKey("forger");
        bytes memory signature = _sign(forgerKey, requestId, exactModel, WRONG);
        vm.prank(disputer);
        uint256 id = disputes.dispute(requestId, exactModel, WRONG, signature, MAX_FEE);
        assertEq(disputes.disputeOf(id).signer, forger);
        _reExecute(id, good);
        _resolve(id);
        assertEq(_stake(signer), STAKE, "the worker is untouched");
        _assertBothSolvent();
    }

    // ─── Rulings ─────────────────────────────────────────────────────────────────────────────────

    /// @notice A worker signs a wrong EXACT answer; a stranger disputes it and the committee re-executes: the
    ///         worker is slashed and jailed, and the disputer ends richer than it started.
    function test_resolve_slashesAWrongExactSigner_andTheDisputerEndsRicher() public {
        uint256 disputerBefore = _worth(disputer);
        uint256 treasuryBefore = _worth(treasury);
        uint256 id = _dispute(exactModel, WRONG);
        _reExecute(id, good);

        vm.expectEmit(address(workers));
        emit IWorkerRegistryEvents.Slashed(signer, SLASH, address(disputes));
        IPipeDisputes.Ruling ruling = _resolve(id);
        vm.snapshotGasLastCall("PipeDisputes", "resolve EXACT upheld");
        assertEq(uint8(ruling), uint8(IPipeDisputes.Ruling.Upheld));
        assertEq(_stake(signer), STAKE - SLASH, "slashed");
        assertGt(workers.getWorker(signer).jailedUntil, block.timestamp, "jailed");
        assertTrue(disputes.slashed(requestId, exactModel, WRONG, signer));

        uint256 spent = _task(_taskOf(id)).fee; // the DEEP task's price, made good out of the slash
        uint256 bounty = spent + (SLASH - spent) * escrow.params().bountyBps / 10_000;
        assertEq(disputes.claimable(disputer), BOND + (MAX_FEE - spent) + bounty);
        assertEq(disputes.claimable(treasury), SLASH - bounty);
        assertGt(_worth(disputer), disputerBefore, "the disputer ends richer");
        assertGt(_worth(treasury), treasuryBefore);
        _assertBothSolvent();

        vm.prank(disputer);
        disputes.claim();
        assertEq(token.balanceOf(disputer), disputerBefore + bounty - spent);
        _assertBothSolvent();
    }

    /// @notice Whatever output an honest signer signed, a dispute that the committee confirms never slashes it:
    ///         the frivolous disputer loses its bond to the signer and the task's price to the network.
    function testFuzz_resolve_neverSlashesAnHonestSigner(bytes32 output, bool tolerance) public {
        vm.assume(output != bytes32(0) && output != escrow.INPUT_REJECTED());
        ModelId releaseId = tolerance ? toleranceModel : exactModel;
        uint256 disputerBefore = _worth(disputer);
        uint256 id = _dispute(releaseId, output);
        _reExecute(id, output);
        assertEq(uint8(_resolve(id)), uint8(IPipeDisputes.Ruling.Dismissed));
        assertEq(_stake(signer), STAKE, "never slashed");
        assertEq(disputes.claimable(signer), BOND, "the bond compensates the signer");
        assertEq(_worth(disputer), disputerBefore - BOND - _task(_taskOf(id)).fee, "the frivolous disputer loses");
        _assertBothSolvent();
    }

    // ─── TOLERANCE ───────────────────────────────────────────────────────────────────────────────

    /// @notice ε = 0.001 (the release's `toleranceE6` is 1 000): 0.5004 against 0.500 agrees, not slashed.
    function test_resolve_dismissesAToleranceAnswerWithinEpsilon() public {
        ModelOutput memory signed = _one(500_400, 6);
        ModelOutput memory result = _one(500, 3);
        uint256 id = _dispute(toleranceModel, _hash(signed));
        _reExecute(id, _hash(result));
        IPipeDisputes.Ruling ruling = disputes.resolve(id, signed, result);
        vm.snapshotGasLastCall("PipeDisputes", "resolve TOLERANCE dismissed");
        assertEq(uint8(ruling), uint8(IPipeDisputes.Ruling.Dismissed));
        assertEq(_stake(signer), STAKE);
        _assertBothSolvent();
    }

    function test_resolve_slashesAToleranceAnswerBeyondEpsilon() public {
        ModelOutput memory signed = _one(501_001, 6);
        ModelOutput memory result = _one(500, 3);
        uint256 id = _dispute(toleranceModel, _hash(signed));
        _reExecute(id, _hash(result));
        assertEq(uint8(disputes.resolve(id, signed, result)), uint8(IPipeDisputes.Ruling.Upheld));
        assertEq(_stake(signer), STAKE - SLASH);
        _assertBothSolvent();
    }

    function test_resolve_revertsIfToleranceOutputsDoNotOpen() public {
        ModelOutput memory signed = _one(501_001, 6);
        ModelOutput memory result = _one(500, 3);
        uint256 id = _dispute(toleranceModel, _hash(signed));
        _reExecute(id, _hash(result));
        ModelOutput memory forged = _one(9, 0);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.OutputMismatch.selector, _hash(signed), _hash(forged)));
        disputes.resolve(id, forged, result);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.OutputMismatch.selector, _hash(result), _hash(forged)));
        disputes.resolve(id, signed, forged);
        // An output of PIPE's simulation phase (is_simulation_result) is never a signed result, even if
        // someone signed its hash.
        ModelOutput memory simulated = _one(501_001, 6);
        simulated.is_simulation_result = true;
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.OutputMismatch.selector, _hash(signed), _hash(simulated)));
        disputes.resolve(id, simulated, result);
    }

    // ─── The disputer withholds the input ────────────────────────────────────────────────────────

    /// @notice Nobody provides the request's bytes: the seats answer INPUT_REJECTED, the committee confirms.
    ///         A dispute cannot slash without a re-execution: the bond goes to the signer.
    function test_resolve_cannotSlashIfTheInputWasWithheld() public {
        uint256 disputerBefore = _worth(disputer);
        uint256 id = _dispute(exactModel, WRONG);
        _reExecute(id, escrow.INPUT_REJECTED());
        assertEq(uint8(_resolve(id)), uint8(IPipeDisputes.Ruling.NoResult));
        assertEq(_stake(signer), STAKE);
        assertEq(disputes.claimable(signer), BOND);
        uint256 reserve = _task(_taskOf(id)).reserve;
        assertEq(disputes.claimable(disputer), MAX_FEE - reserve, "the escrow's refund, not the bond");
        assertEq(_worth(disputer), disputerBefore - BOND - reserve);
        _assertBothSolvent();
    }

    /// @notice The task is never assigned (no draw before its deadline): no result, no slash, the whole fee back.
    function test_resolve_cannotSlashIfTheTaskExpired() public {
        uint256 id = _dispute(exactModel, WRONG);
        TaskId taskId = _taskOf(id);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.TaskNotFinal.selector, taskId, TaskStatus.Created));
        _resolve(id);
        vm.warp(_task(taskId).until);
        escrow.finalize(taskId);
        assertEq(uint8(_resolve(id)), uint8(IPipeDisputes.Ruling.NoResult));
        assertEq(_stake(signer), STAKE);
        assertEq(disputes.claimable(disputer), MAX_FEE);
        assertEq(disputes.claimable(signer), BOND);
        _assertBothSolvent();
    }

    // ─── Twice ───────────────────────────────────────────────────────────────────────────────────

    function test_resolve_revertsIfResolvedTwice() public {
        uint256 id = _dispute(exactModel, WRONG);
        _reExecute(id, good);
        _resolve(id);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.AlreadyResolved.selector, id));
        _resolve(id);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.UnknownDispute.selector, id + 1));
        _resolve(id + 1);
    }

    function test_claim_revertsIfClaimedTwice() public {
        uint256 id = _dispute(exactModel, WRONG);
        _reExecute(id, good);
        _resolve(id);
        vm.startPrank(disputer);
        disputes.claim();
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.NothingOwed.selector, disputer));
        disputes.claim();
        vm.stopPrank();
        _assertBothSolvent();
    }

    /// @notice Two disputes of one wrong answer run side by side: the first upheld slashes, the second is upheld
    ///         without a second slash (its disputer gets its bond and refunds back), and a third is refused.
    function test_resolve_slashesOneSignedAnswerOnce() public {
        address second = makeAddr("second disputer");
        _fundDisputer(second);
        uint256 a = _dispute(exactModel, WRONG);
        bytes memory signature = _sign(signerKey, requestId, exactModel, WRONG);
        vm.prank(second);
        uint256 b = disputes.dispute(requestId, exactModel, WRONG, signature, MAX_FEE);
        _reExecute(a, good);
        _reExecute(b, good);
        _resolve(a);
        assertEq(uint8(_resolve(b)), uint8(IPipeDisputes.Ruling.Upheld));
        assertEq(_stake(signer), STAKE - SLASH, "slashed once");
        // The first dispute's task raised the live price a little: the second paid that premium, never refunded.
        uint96 premium = disputes.disputeOf(b).premium;
        assertGt(premium, 0, "the second task paid a load premium");
        assertEq(disputes.claimable(second), BOND + MAX_FEE - premium - _task(_taskOf(b)).fee);
        bytes32 answer = keccak256(abi.encode(requestId, exactModel, WRONG, signer));
        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.AnswerAlreadySlashed.selector, answer));
        disputes.dispute(requestId, exactModel, WRONG, signature, MAX_FEE);
        _assertBothSolvent();
    }

    // ─── Nobody else moves money ─────────────────────────────────────────────────────────────────

    /// @notice Before the ruling nobody — the disputer, the signer or a stranger — can take anything out.
    function testFuzz_claim_movesNothingBeforeTheRuling(address caller) public {
        _dispute(exactModel, WRONG);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IPipeDisputes.NothingOwed.selector, caller));
        disputes.claim();
        assertEq(token.balanceOf(address(disputes)), BOND);
        _assertBothSolvent();
    }
}

/// @dev The worker registry's `Slashed` event, for `vm.expectEmit`.
interface IWorkerRegistryEvents {
    event Slashed(address indexed worker, uint96 amount, address indexed to);
}
