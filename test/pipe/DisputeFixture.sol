// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPipeDisputes} from "../../contracts/interfaces/IPipeDisputes.sol";
import {ITwinReputation} from "../../contracts/interfaces/ITwinReputation.sol";
import {PipeDisputes} from "../../contracts/pipe/PipeDisputes.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {Tensors} from "../../contracts/pipe/Tensors.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "../adversarial/AdversarialFixture.sol";

/// @notice The core (five compute workers, three verifiers, an EXACT and a TOLERANCE release) plus PIPE billing
///         and PipeDisputes with the worker registry's SLASHER_ROLE; a staked `signer` whose key signs answers
///         (it serves no release, so it never sits on its own dispute's task), and a funded `disputer`. Disputes'
///         tasks run their real lifecycle in the escrow: assignment, commit–reveal, the DEEP committee.
abstract contract DisputeFixture is AdversarialFixture {
    uint96 internal constant BOND = 10e18;
    uint96 internal constant SLASH = 100e18;
    uint40 internal constant DISPUTE_TASK_TIME = 1 hours;
    uint96 internal constant MAX_FEE = 100 * PRICE;

    PipeSettlement internal settlement;
    PipeDisputes internal disputes;

    address internal signer;
    uint256 internal signerKey;
    address internal disputer = makeAddr("disputer");
    bytes32 internal requestId = keccak256(abi.encode(uint8(0), "verigrad/volatility", "an input"));

    function setUp() public virtual override {
        super.setUp();
        settlement = new PipeSettlement(token, models, treasury, 500, ITwinReputation(address(0)));
        disputes = new PipeDisputes(token, escrow, workers, models, settlement, BOND, SLASH, DISPUTE_TASK_TIME);
        vm.startPrank(admin);
        workers.grantRole(workers.SLASHER_ROLE(), address(disputes));
        vm.stopPrank();
        (signer, signerKey) = makeAddrAndKey("signer");
        _registerWith("signer", Roles.COMPUTE, new ModelId[](0), STAKE);
        _fundDisputer(disputer);
        _nextEpoch();
    }

    function _fundDisputer(address who) internal {
        vm.prank(admin);
        token.mint(who, 1_000e18);
        vm.prank(who);
        token.approve(address(disputes), type(uint256).max);
    }

    /// @dev `key`'s EIP-712 signature of a PIPE answer, `r ‖ s ‖ v`.
    function _sign(uint256 key, bytes32 request, ModelId releaseId, bytes32 outputHash)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.answerDigest(request, releaseId, outputHash));
        return abi.encodePacked(r, s, v);
    }

    /// @dev The disputer disputes the signer's answer `outputHash` of `releaseId`.
    function _dispute(ModelId releaseId, bytes32 outputHash) internal returns (uint256 disputeId) {
        bytes memory signature = _sign(signerKey, requestId, releaseId, outputHash);
        vm.prank(disputer);
        disputeId = disputes.dispute(requestId, releaseId, outputHash, signature, MAX_FEE);
    }

    function _taskOf(uint256 disputeId) internal view returns (TaskId) {
        return disputes.disputeOf(disputeId).taskId;
    }

    /// @dev Runs a dispute's DEEP task to finality: every seat reveals `result`, the committee accepts them all.
    function _reExecute(uint256 disputeId, bytes32 result) internal {
        TaskId taskId = _taskOf(disputeId);
        _assign(taskId);
        uint256 k = _task(taskId).redundancy;
        _commitReveal(taskId, _outputs(k, result));
        _voteAll(taskId, uint8((1 << k) - 1));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized), "re-executed");
    }

    function _resolve(uint256 disputeId) internal returns (IPipeDisputes.Ruling) {
        ModelOutput memory none;
        return disputes.resolve(disputeId, none, none);
    }

    /// @dev An output of one `[1, n]` tensor "y" of numbers with `decimals` places.
    function _output(int128[] memory values, int128 decimals) internal pure returns (ModelOutput memory output) {
        TensorLib.Number[] memory numbers = new TensorLib.Number[](values.length);
        for (uint256 i; i < values.length; ++i) {
            numbers[i] = Tensors.number(values[i], decimals);
        }
        output.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        output.numbers[0] = Tensors.row("y", numbers);
    }

    function _one(int128 value, int128 decimals) internal pure returns (ModelOutput memory) {
        int128[] memory values = new int128[](1);
        values[0] = value;
        return _output(values, decimals);
    }

    function _hash(ModelOutput memory output) internal pure returns (bytes32) {
        return keccak256(abi.encode(output));
    }

    /// @dev PipeDisputes' and the escrow's solvency: each token balance equals its liabilities.
    function _assertBothSolvent() internal view {
        assertEq(token.balanceOf(address(disputes)), disputes.liabilities(), "disputes balance == liabilities");
        _assertSolvent();
    }

    /// @dev What `who` owns: wallet, stake, and credit in the escrow and in PipeDisputes.
    function _worth(address who) internal view returns (uint256) {
        return _wealth(who) + disputes.claimable(who);
    }
}
