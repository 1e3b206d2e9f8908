// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StdInvariant} from "forge-std/StdInvariant.sol";

import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskStatus} from "../../contracts/types/TaskTypes.sol";
import {DisputeFixture} from "../pipe/DisputeFixture.sol";
import {PipeDisputesHandler} from "./PipeDisputesHandler.sol";
import {SignedAnswers} from "./SignedAnswers.sol";

/// @notice PipeDisputes under random signed answers, disputes (frivolous, duplicate, by the signer's own sybil),
///         dispute tasks run or abandoned in the real escrow, rulings, claims, unbonding and time.
/// @dev Signers: two honest ones, the fixture's `signer` as a liar (right or wrong at random), and an attacker whose
///      answers only it and its sybil dispute. Every run ends (`afterInvariant`) by finishing every dispute and
///      paying everyone out, so that the invariants are checked at the end of each sequence as well.
contract PipeDisputesInvariantTest is DisputeFixture {
    uint256 internal constant FUNDS = 100_000e18;

    PipeDisputesHandler internal handler;
    address internal attacker;
    address internal sybil = makeAddr("sybil");
    address[] internal honest;
    /// @dev Everyone the escrow may credit (for its solvency decomposition).
    address[] internal escrowAccounts;
    /// @dev What the attacker and its sybil owned at the start.
    uint256 internal attackerStart;

    function setUp() public override {
        super.setUp();
        SignedAnswers.Signer[] memory signers = new SignedAnswers.Signer[](4);
        for (uint256 i; i < 2; ++i) {
            signers[i] = _signer(string.concat("honest signer ", vm.toString(i)), SignedAnswers.Kind.Honest);
            honest.push(signers[i].account);
        }
        signers[2] = SignedAnswers.Signer(signer, signerKey, SignedAnswers.Kind.Liar);
        signers[3] = _signer("attacker", SignedAnswers.Kind.Attacker);
        attacker = signers[3].account;
        _nextEpoch();

        address[] memory disputers = new address[](3);
        disputers[0] = disputer;
        disputers[1] = makeAddr("second disputer");
        disputers[2] = makeAddr("third disputer");
        for (uint256 i; i < disputers.length; ++i) {
            _fundDisputer(disputers[i], FUNDS);
        }
        _fundDisputer(sybil, FUNDS);
        _fundDisputer(attacker, FUNDS);

        handler = new PipeDisputesHandler(disputes, exactModel, toleranceModel, signers, disputers, sybil);
        attackerStart = _worth(attacker) + _worth(sybil);
        escrowAccounts = [address(disputes), treasury, modelOwner];
        for (uint256 i; i < computeWorkers.length; ++i) {
            escrowAccounts.push(computeWorkers[i]);
        }
        for (uint256 i; i < verifiers.length; ++i) {
            escrowAccounts.push(verifiers[i]);
        }
        targetContract(address(handler));
        bytes4[] memory drain = new bytes4[](2);
        drain[0] = PipeDisputesHandler.finishAll.selector;
        drain[1] = PipeDisputesHandler.claimAll.selector;
        excludeSelector(StdInvariant.FuzzSelector(address(handler), drain));
    }

    /// @notice Every sequence ends with every dispute resolved and every credit claimed: PipeDisputes then owes
    ///         nothing and holds nothing (no refund is left unattributed, nothing is stranded), and every invariant
    ///         still holds.
    function afterInvariant() public {
        handler.finishAll();
        assertEq(handler.resolvedCount(), handler.caseCount(), "every dispute resolved");
        invariant_disputes();
        handler.claimAll();
        assertEq(disputes.liabilities(), 0, "nothing owed at the end");
        assertEq(token.balanceOf(address(disputes)), 0, "nothing held at the end");
        invariant_disputes();
    }

    /// @notice The handler reaches every path the invariants speak about (otherwise they could hold vacuously).
    function test_handler_reachesEveryPath() public {
        for (uint256 i; i < 400; ++i) {
            uint256 r = uint256(keccak256(abi.encode("move", i)));
            uint256 action = (r >> 248) % 8; // the top byte: the low bits draw the inputs
            if (action == 0) {
                handler.sign(r, r >> 64);
            } else if (action == 1 || action == 2) {
                handler.dispute(r, r >> 64, r >> 96);
            } else if (action == 3 || action == 4) {
                handler.drive(r, r >> 128);
            } else if (action == 5) {
                handler.resolve(r);
            } else if (action == 6 && (r >> 8) % 4 == 0) {
                handler.warp(r >> 16);
            } else if (action == 6) {
                handler.claim(r >> 16);
            } else if ((r >> 8) % 2 == 0) {
                handler.unbond(r >> 16, r >> 64);
            } else {
                handler.withdraw(r >> 16);
            }
            if (i % 50 == 0) {
                invariant_disputes();
            }
        }
        afterInvariant();
        assertGt(handler.upheldFirst(), 3, "wrong answers are slashed");
        assertGt(handler.upheldAgain(), 0, "duplicate disputes are upheld without a second slash");
        assertGt(handler.upheldTolerance(), 0, "TOLERANCE answers beyond epsilon are slashed");
        assertGt(handler.refusedAsSlashed(), 0, "disputes of a slashed answer are refused");
        assertGt(handler.refusedBelowQuote(), 0, "disputes capped below the live price are refused");
        assertGt(handler.dismissed(), 3, "right answers are dismissed");
        assertGt(handler.dismissedTolerance(), 0, "TOLERANCE answers within epsilon are dismissed");
        assertGt(handler.noResults(), 3, "withheld inputs and expired tasks end without a result");
        assertGt(handler.forgedOpeningsRefused(), 0, "forged TOLERANCE openings are refused");
        assertGt(handler.attackerDisputes(), 3, "the attacker disputes itself");
        assertGt(handler.duplicateDisputes(), 3, "answers are disputed again");
        assertGt(handler.claims(), 3, "credits are claimed");
        assertLt(_worth(attacker) + _worth(sybil), attackerStart, "the attacker ends strictly poorer");
        assertLt(handler.refusals() * 4, handler.calls(), "most calls go through");
        assertLt(handler.escrowRefusals() * 4, handler.escrowCalls(), "most task steps go through");
    }

    // ─── Invariants ──────────────────────────────────────────────────────────────────────────────

    /// @notice After every call: solvency, no honest slash, one slash per answer, conservation, and the attacker
    ///         never ahead (each below). One campaign checks all five: as separate `invariant_` functions each
    ///         would run its own campaign of the very same calls (the seed is fixed), at five times the cost.
    function invariant_disputes() public view {
        _checkSolvency();
        _checkNoHonestSlash();
        _checkEachAnswerSlashedOnce();
        _checkConservation();
        _checkAttackerEndsPoorer();
    }

    /// @notice Solvency: PipeDisputes' token balance equals its liabilities, and the escrow's equals its locked
    ///         fees and bonds, the review fund and everyone's payouts (its own invariant, with PipeDisputes as the
    ///         only requester).
    function _checkSolvency() internal view {
        assertEq(token.balanceOf(address(disputes)), disputes.liabilities(), "disputes balance == liabilities");
        uint256 owed = escrow.reviewFund();
        for (uint256 i; i < handler.caseCount(); ++i) {
            ITaskEscrow.TaskView memory task = escrow.getTask(handler.taskOf(i));
            if (task.status != TaskStatus.Settled) {
                owed += uint256(task.fee) - task.reserve; // the reserve is in the review fund
            }
            if (task.status < TaskStatus.Finalized) {
                (, uint96 appealBond) = escrow.appealOf(handler.taskOf(i));
                owed += task.bond + appealBond;
            }
        }
        for (uint256 i; i < escrowAccounts.length; ++i) {
            owed += escrow.claimable(escrowAccounts[i]);
        }
        assertEq(token.balanceOf(address(escrow)), owed, "escrow balance == fees + bonds + fund + payouts");
        _assertSolvent();
    }

    /// @notice No honest slash: a signer whose answers were all right keeps its stake but for what it unbonded
    ///         and withdrew itself; no right answer of anyone is ever slashed or upheld.
    function _checkNoHonestSlash() internal view {
        for (uint256 i; i < honest.length; ++i) {
            IWorkerRegistry.Worker memory w = workers.getWorker(honest[i]);
            assertEq(w.stake + w.unbonding + handler.withdrawn(honest[i]), STAKE, "honest stake moves by itself");
            assertEq(handler.slashedFrom(honest[i]), 0, "honest signer never slashed");
        }
        for (uint256 i; i < handler.answerCount(); ++i) {
            if (!handler.answer(i).correct) {
                continue;
            }
            (bytes32 key, bytes32 requestId, ModelId releaseId, bytes32 outputHash, address signer_) =
                handler.answerKey(i);
            assertFalse(disputes.slashed(requestId, releaseId, outputHash, signer_), "a right answer slashed");
            assertEq(handler.upheld(key), 0, "a dispute of a right answer upheld");
        }
    }

    /// @notice Once: each signed answer is slashed at most once, `slashed` says so exactly when a dispute of it
    ///         was upheld, and each signer's stake history is its own unbonding and withdrawals plus these slashes.
    function _checkEachAnswerSlashedOnce() internal view {
        for (uint256 i; i < handler.answerCount(); ++i) {
            (bytes32 key, bytes32 requestId, ModelId releaseId, bytes32 outputHash, address signer_) =
                handler.answerKey(i);
            assertLe(handler.slashEvents(key), 1, "one answer, one slash");
            assertEq(
                disputes.slashed(requestId, releaseId, outputHash, signer_),
                handler.upheld(key) > 0,
                "slashed == some dispute of it upheld"
            );
        }
        SignedAnswers.Signer[] memory signers = handler.signers();
        for (uint256 i; i < signers.length; ++i) {
            address account = signers[i].account;
            IWorkerRegistry.Worker memory w = workers.getWorker(account);
            assertEq(
                uint256(w.stake) + w.unbonding + handler.withdrawn(account) + handler.slashedFrom(account),
                STAKE,
                "stake == start - withdrawn - slashed by disputes"
            );
        }
    }

    /// @notice Conservation: liabilities == Σ claimable + open bonds + escrow refunds pulled in but not yet
    ///         attributed; the balance is exactly bonds + refunds pulled + slashes − claims (tokens leave only by
    ///         `claim`); and every dispute, ruling and claim moved exactly what the rule says (the handler's model,
    ///         checked call by call).
    function _checkConservation() internal view {
        assertEq(handler.violations(), 0, handler.firstViolation());
        uint256 credits;
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            credits += disputes.claimable(accounts[i]);
        }
        uint256 liabilities = disputes.liabilities();
        assertEq(credits + handler.openBonds() + handler.unattributed(), liabilities, "liabilities decomposed");
        uint256 pulled = handler.ghostEscrowCredited() - escrow.claimable(address(disputes));
        assertEq(
            token.balanceOf(address(disputes)),
            handler.ghostBonds() + pulled + handler.ghostSlashed() - handler.ghostClaimed(),
            "balance == bonds + refunds + slashes - claims"
        );
    }

    /// @notice A worker that signs wrong answers and disputes them itself, directly or through a sybil, never ends
    ///         with more than it started with (wallet, stake, unbonding stake and credits of both): it is down at
    ///         least what its slashes left the treasury, (1 − bountyBps) of each slash beyond the task's fee.
    function _checkAttackerEndsPoorer() internal view {
        uint256 worth = _worth(attacker) + _worth(sybil);
        assertLe(worth, attackerStart, "the attacker never profits");
        assertGe(
            attackerStart - worth, handler.attackerForfeit(), "it loses at least the treasury's share of its slashes"
        );
    }

    // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

    /// @dev A staked signer that serves no release (it never sits on a dispute's task).
    function _signer(string memory name, SignedAnswers.Kind kind) internal returns (SignedAnswers.Signer memory s) {
        (s.account, s.key) = makeAddrAndKey(name);
        _registerWith(name, Roles.COMPUTE, new ModelId[](0), STAKE);
        s.kind = kind;
    }

    /// @dev Funds `who` for many disputes (the fixture's amount plus `amount`).
    function _fundDisputer(address who, uint256 amount) internal {
        _fundDisputer(who);
        vm.prank(admin);
        token.mint(who, amount);
    }
}
