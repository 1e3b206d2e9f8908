// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Vm} from "forge-std/Vm.sol";

import {IPipeDisputes} from "../../contracts/interfaces/IPipeDisputes.sol";
import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {PipeDisputes} from "../../contracts/pipe/PipeDisputes.sol";
import {ModelOutput} from "../../contracts/pipe/PipeTypes.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {DisputeTaskDriver} from "./DisputeTaskDriver.sol";
import {SignedAnswers} from "./SignedAnswers.sol";

/// @notice Drives PipeDisputes with signed PIPE answers (right and wrong, EXACT and TOLERANCE) by honest
///         signers, a liar and an attacker; disputes of them (frivolous, duplicate, by the attacker's sybil or the
///         attacker itself, some withholding the input, some underpaying the task); the disputes' DEEP tasks run
///         by their honest seats and committee, or left to expire; rulings, claims, unbonding and time.
/// @dev Every ruling and payout is checked against a model of the rule built from the escrow's and the registry's
///      own events (a task's refunds from `TaskAssigned` and `TaskSettled`, a slash from `Slashed`), not from
///      PipeDisputes' arithmetic; anything that breaks it counts in `violations`. The attacker's answers are
///      disputed only by the attacker and its sybil, so that the pair plays against itself alone.
contract PipeDisputesHandler is DisputeTaskDriver, SignedAnswers {
    /// @dev A dispute as the handler opened it (index = dispute id − 1).
    struct Case {
        uint256 answer;
        address disputer;
        TaskId taskId;
        uint96 fee;
        /// @dev The load premium the escrow took of `fee` at creation (to the treasury, never refunded).
        uint96 premium;
        bool withheld;
        bool resolved;
    }

    /// @dev What a ruling may change, read before it: the answer's key, whether it is unslashed, the signer's
    ///      slashable stake, and the credits of the disputer, the signer and the treasury (in that order).
    struct Before {
        bytes32 key;
        bool first;
        uint256 stake;
        address[3] who;
        uint256[3] credit;
    }

    uint256 internal constant BPS = 10_000;

    PipeDisputes internal immutable DISPUTES;
    IERC20 internal immutable TOKEN;
    IWorkerRegistry internal immutable WORKERS;
    address internal immutable TREASURY;
    address internal immutable SYBIL;
    bytes32 internal immutable INPUT_REJECTED;
    uint96 internal immutable BOND;

    address[] internal disputerList;
    /// @dev Everyone PipeDisputes may credit.
    address[] internal accountList;
    Case[] internal cases;
    mapping(TaskId taskId => uint256) internal _caseOf; // index + 1

    // ─── Ghosts ──────────────────────────────────────────────────────────────────────────────────

    /// @notice Σ bonds posted; Σ the escrow credited PipeDisputes; Σ stake PipeDisputes slashed; Σ claimed.
    uint256 public ghostBonds;
    uint256 public ghostEscrowCredited;
    uint256 public ghostSlashed;
    uint256 public ghostClaimed;
    /// @notice Σ escrow refunds of the resolved disputes' tasks (each attributed to its disputer).
    uint256 public ghostRefundsAttributed;
    /// @notice The escrow's refunds of a dispute's task (unused max fee at assignment, fee at a result-less
    ///         settlement), from its events.
    mapping(TaskId taskId => uint256) public refundOf;
    /// @notice Stake the registry paid PipeDisputes out of each signer (its `Slashed` events), and per answer.
    mapping(address signer => uint256) public slashedFrom;
    mapping(bytes32 answerKey => uint256) public slashEvents;
    /// @notice Upheld rulings per answer.
    mapping(bytes32 answerKey => uint256) public upheld;
    /// @notice What each signer withdrew from its own unbonding stake.
    mapping(address signer => uint256) public withdrawn;
    /// @notice What the attacker's slashes left the treasury (slash − bounty): the least the attacker and its
    ///         sybil, its only disputers, must have lost.
    uint256 public attackerForfeit;

    /// @notice Paths reached (so that the invariants cannot hold vacuously).
    uint256 public disputesOpened;
    uint256 public duplicateDisputes;
    uint256 public attackerDisputes;
    uint256 public refusedAsSlashed;
    /// @notice Disputes refused at once because their max fee was below the live price (`FeeBelowQuote`).
    uint256 public refusedBelowQuote;
    uint256 public upheldFirst;
    uint256 public upheldAgain;
    uint256 public upheldTolerance;
    uint256 public dismissed;
    uint256 public dismissedTolerance;
    uint256 public noResults;
    uint256 public forgedOpeningsRefused;
    uint256 public claims;
    /// @notice Handler-level calls into PipeDisputes and the registry that reverted (escrow steps are counted by
    ///         the driver); a run where most calls revert tests little.
    uint256 public calls;
    uint256 public refusals;
    /// @notice Broken rules (must stay 0), and the first one.
    uint256 public violations;
    string public firstViolation;

    /// @dev The answer being resolved (a registry `Slashed` to PipeDisputes outside `resolve` is a violation).
    bytes32 private _resolving;
    bool private _claiming;

    constructor(
        PipeDisputes disputes,
        ModelId exact,
        ModelId tolerance,
        Signer[] memory signers_,
        address[] memory disputers_,
        address sybil
    ) DisputeTaskDriver(disputes.ESCROW()) SignedAnswers(disputes.SETTLEMENT(), exact, tolerance) {
        DISPUTES = disputes;
        TOKEN = disputes.TOKEN();
        WORKERS = disputes.WORKERS();
        TREASURY = ESCROW.params().treasury;
        SYBIL = sybil;
        INPUT_REJECTED = ESCROW.INPUT_REJECTED();
        BOND = disputes.disputeBond();
        for (uint256 i; i < signers_.length; ++i) {
            signerList.push(signers_[i]);
            accountList.push(signers_[i].account);
        }
        disputerList = disputers_;
        for (uint256 i; i < disputers_.length; ++i) {
            accountList.push(disputers_[i]);
        }
        accountList.push(sybil);
        accountList.push(TREASURY);
    }

    /// @dev Records the escrow's refunds, its credits to PipeDisputes and the registry's slashes of each action;
    ///      PipeDisputes' token balance only ever grows outside `claim`.
    modifier recorded() {
        uint256 held = TOKEN.balanceOf(address(DISPUTES));
        vm.recordLogs();
        _;
        _record();
        if (!_claiming && TOKEN.balanceOf(address(DISPUTES)) < held) {
            _violation("PipeDisputes' balance fell outside claim");
        }
        _claiming = false;
    }

    // ─── Actions ─────────────────────────────────────────────────────────────────────────────────

    /// @notice A signer signs an answer: honest signers the truth (EXACT), or any output within ε of it
    ///         (TOLERANCE); the liar a wrong one half of the time, the attacker three times in four.
    function sign(uint256 signerSeed, uint256 seed) external recorded {
        _sign(signerList[signerSeed % signerList.length], seed);
    }

    /// @notice Someone disputes a signed answer (a fresh one, one in eight): the attacker's answers by the
    ///         attacker or its sybil, the others' by any disputer, right or wrong, again and again. One in five
    ///         withholds the input; one in eight offers less than the task's price (it is never assigned).
    function dispute(uint256 answerSeed, uint256 disputerSeed, uint256 feeSeed) external recorded {
        if (answerList.length == 0 || answerSeed % 8 == 0) {
            _sign(signerList[(answerSeed >> 8) % signerList.length], answerSeed >> 16);
        }
        uint256 index = answerSeed % answerList.length;
        Answer storage a = answerList[index];
        address disputer;
        if (a.kind == Kind.Attacker) {
            disputer = disputerSeed % 2 == 0 ? SYBIL : a.signer;
        } else {
            disputer = disputerList[disputerSeed % disputerList.length];
        }
        (,, ModelId releaseId,,) = answerKey(index);
        uint96 price = _quote(releaseId);
        uint96 maxFee = feeSeed % 8 == 0
            ? uint96(bound(feeSeed >> 8, 1, price - 1))
            : uint96(bound(feeSeed >> 8, price, 2 * uint256(price)));
        _dispute(index, disputer, maxFee, (feeSeed >> 128) % 5 == 0);
    }

    /// @notice A keeper moves an open dispute's task on by 1 to 8 phases (four take a task from creation to its
    ///         end); a dispute nobody drives is abandoned: its task expires unassigned, or waits for its committee.
    function drive(uint256 caseSeed, uint256 phases) external recorded {
        (bool found, uint256 id) = _pickOpen(caseSeed, false);
        if (!found) {
            return;
        }
        phases = bound(phases, 1, 8);
        for (uint256 i; i < phases && !_step(cases[id].taskId, _taskOutput(cases[id])); ++i) {}
    }

    /// @notice Anyone resolves a dispute (preferring one whose task is final), opening TOLERANCE outputs
    ///         honestly; for a TOLERANCE answer the task disagrees with, a forged opening is tried first.
    function resolve(uint256 caseSeed) external recorded {
        (bool found, uint256 id) = _pickOpen(caseSeed, true);
        if (found) {
            _resolve(id, caseSeed >> 128);
        }
    }

    /// @notice Someone PipeDisputes may owe claims: exactly its credit arrives; with none, the claim reverts.
    function claim(uint256 accountSeed) external recorded {
        address account = accountList[accountSeed % accountList.length];
        for (uint256 i; i < accountList.length && accountSeed % 4 != 0; ++i) {
            // Three times in four, the first account from the seed on that is owed something.
            address next = accountList[(accountSeed % accountList.length + i) % accountList.length];
            if (DISPUTES.claimable(next) != 0) {
                account = next;
                break;
            }
        }
        uint256 owed = DISPUTES.claimable(account);
        uint256 held = TOKEN.balanceOf(account);
        _claiming = true;
        ++calls;
        vm.prank(account);
        try DISPUTES.claim() returns (uint256 amount) {
            if (amount != owed || owed == 0 || TOKEN.balanceOf(account) != held + owed) {
                _violation("a claim paid other than the credit");
            }
            ghostClaimed += amount;
            ++claims;
        } catch {
            ++refusals;
            if (owed != 0) {
                _violation("a claim of a credit refused");
            }
        }
    }

    /// @notice Time passes, mostly up to half an hour, one time in four up to three hours (past tasks' deadlines,
    ///         vote and appeal windows); first the seats and committees do what they owe, as workers watching the
    ///         chain would.
    function warp(uint256 secondsAhead) external recorded {
        _allDuties();
        vm.warp(block.timestamp + bound(secondsAhead >> 2, 1 minutes, secondsAhead % 4 == 0 ? 3 hours : 30 minutes));
        vm.roll(block.number + 1);
    }

    /// @notice A signer unbonds part of its free stake (still slashable for the registry's unbonding delay).
    function unbond(uint256 signerSeed, uint256 amount) external recorded {
        address account = signerList[signerSeed % signerList.length].account;
        uint256 free = WORKERS.freeStake(account);
        if (free == 0) {
            return;
        }
        ++calls;
        vm.prank(account);
        try WORKERS.unbond(uint96(bound(amount, 1, free))) {}
        catch {
            ++refusals; // what is left must be zero or cover the role's minimum stake
        }
    }

    /// @notice A signer withdraws its unbonding stake (refused before the registry's delay has passed).
    function withdraw(uint256 signerSeed) external recorded {
        address account = signerList[signerSeed % signerList.length].account;
        if (WORKERS.getWorker(account).unbonding == 0) {
            return;
        }
        ++calls;
        vm.prank(account);
        try WORKERS.withdraw() returns (uint96 amount) {
            withdrawn[account] += amount;
        } catch {
            ++refusals;
        }
    }

    /// @notice Ends every open dispute: its task driven to its end (time passing as needed), then resolved. Not a
    ///         fuzzed action: the test's `afterInvariant` calls it.
    function finishAll() external recorded {
        for (uint256 round; round < 24; ++round) {
            bool open;
            for (uint256 id; id < cases.length; ++id) {
                if (cases[id].resolved) {
                    continue;
                }
                for (uint256 i; i < 4 && !_step(cases[id].taskId, _taskOutput(cases[id])); ++i) {}
                if (ESCROW.getTask(cases[id].taskId).status >= TaskStatus.Finalized) {
                    _resolve(id, round);
                }
                open = open || !cases[id].resolved;
            }
            if (!open) {
                break;
            }
            _allDuties();
            vm.warp(block.timestamp + 1 hours);
            vm.roll(block.number + 1);
        }
    }

    /// @notice Everyone owed something claims it. Not a fuzzed action: the test's `afterInvariant` calls it.
    function claimAll() external recorded {
        _claiming = true;
        for (uint256 i; i < accountList.length; ++i) {
            uint256 owed = DISPUTES.claimable(accountList[i]);
            if (owed == 0) {
                continue;
            }
            vm.prank(accountList[i]);
            try DISPUTES.claim() returns (uint256 amount) {
                if (amount != owed) {
                    _violation("a claim paid other than the credit");
                }
                ghostClaimed += amount;
            } catch {
                _violation("a claim of a credit refused");
            }
        }
    }

    // ─── Views for the invariants ────────────────────────────────────────────────────────────────

    function accounts() external view returns (address[] memory) {
        return accountList;
    }

    function caseCount() external view returns (uint256) {
        return cases.length;
    }

    function resolvedCount() external view returns (uint256 count) {
        for (uint256 i; i < cases.length; ++i) {
            count += cases[i].resolved ? 1 : 0;
        }
    }

    function taskOf(uint256 index) external view returns (TaskId) {
        return cases[index].taskId;
    }

    /// @notice Σ bonds of the open disputes.
    function openBonds() external view returns (uint256 total) {
        for (uint256 i; i < cases.length; ++i) {
            total += cases[i].resolved ? 0 : BOND;
        }
    }

    /// @notice Escrow refunds PipeDisputes holds but has not yet credited to a disputer: all it pulled from the
    ///         escrow, less the refunds of the resolved disputes.
    function unattributed() external view returns (uint256) {
        return ghostEscrowCredited - ESCROW.claimable(address(DISPUTES)) - ghostRefundsAttributed;
    }

    // ─── Internals ───────────────────────────────────────────────────────────────────────────────

    /// @dev `disputer` disputes answer `index`; checks what it paid and the dispute stored.
    function _dispute(uint256 index, address disputer, uint96 maxFee, bool withheld) internal {
        Answer storage a = answerList[index];
        (, bytes32 requestId, ModelId releaseId,,) = answerKey(index);
        bool wasSlashed = DISPUTES.slashed(requestId, releaseId, a.outputHash, a.signer);
        uint256 held = TOKEN.balanceOf(disputer);
        ++calls;
        vm.prank(disputer);
        try DISPUTES.dispute(requestId, releaseId, a.outputHash, a.signature, maxFee) returns (uint256 id) {
            IPipeDisputes.Dispute memory d = DISPUTES.disputeOf(id);
            if (
                wasSlashed || id != cases.length + 1 || TOKEN.balanceOf(disputer) != held - BOND - maxFee
                    || d.signer != a.signer || d.disputer != disputer || d.bond != BOND || d.fee != maxFee
            ) {
                _violation("a dispute's payment or record is off");
            }
            for (uint256 i; i < cases.length; ++i) {
                if (cases[i].answer == index) {
                    ++duplicateDisputes;
                    break;
                }
            }
            cases.push(Case(index, disputer, d.taskId, maxFee, d.premium, withheld, false));
            _caseOf[d.taskId] = cases.length;
            ghostBonds += BOND;
            ++disputesOpened;
            attackerDisputes += a.kind == Kind.Attacker ? 1 : 0;
        } catch (bytes memory reason) {
            ++refusals;
            // The one refusal a well-formed, paid-for dispute meets: the answer was slashed already (bytes4 keeps
            // the revert's selector).
            // forge-lint: disable-next-line(unsafe-typecast)
            if (wasSlashed && bytes4(reason) == IPipeDisputes.AnswerAlreadySlashed.selector) {
                ++refusedAsSlashed;
            } else if (maxFee < _quote(releaseId) && bytes4(reason) == ITaskEscrow.FeeBelowQuote.selector) {
                ++refusedBelowQuote; // a cap below the live price: refused at once, nothing paid
                if (TOKEN.balanceOf(disputer) != held) {
                    _violation("a refused dispute took tokens");
                }
            } else {
                _violation("a dispute refused");
            }
        }
    }

    /// @dev Resolves dispute `id + 1` and checks the ruling, the slash and every credit against the model.
    function _resolve(uint256 id, uint256 seed) internal {
        Case storage c = cases[id];
        Answer storage a = answerList[c.answer];
        (ModelOutput memory signedOutput, ModelOutput memory resultOutput) = _openings(a);
        bytes32 result = ESCROW.resultOf(c.taskId);
        if (a.tolerance && !c.withheld && seed % 2 == 0 && result == _taskOutput(c) && result != a.outputHash) {
            _tryForgedOpening(id + 1, a, resultOutput);
        }
        Before memory before = _before(c, a);
        _resolving = before.key;
        ++calls;
        try DISPUTES.resolve(id + 1, signedOutput, resultOutput) returns (IPipeDisputes.Ruling ruling) {
            _record(); // the task's settlement (its refund) and the slash
            _resolving = bytes32(0);
            c.resolved = true;
            _checkRuling(c, a, ruling, before);
        } catch {
            _resolving = bytes32(0);
            ++refusals;
            // Only an unfinished task keeps a dispute open.
            if (ESCROW.getTask(c.taskId).status >= TaskStatus.Finalized) {
                _violation("a finished task's dispute does not resolve");
            }
        }
    }

    /// @dev What a ruling may change, read before it.
    function _before(Case storage c, Answer storage a) internal view returns (Before memory b) {
        bytes32 requestId;
        ModelId releaseId;
        (b.key, requestId, releaseId,,) = answerKey(c.answer);
        b.first = !DISPUTES.slashed(requestId, releaseId, a.outputHash, a.signer);
        b.stake = _slashable(a.signer);
        b.who = [c.disputer, a.signer, TREASURY];
        for (uint256 i; i < 3; ++i) {
            b.credit[i] = DISPUTES.claimable(b.who[i]);
        }
    }

    /// @dev Checks a ruling against the model: the expected ruling, the slash, and the credits of the disputer, the
    ///      signer and the treasury.
    function _checkRuling(Case storage c, Answer storage a, IPipeDisputes.Ruling ruling, Before memory b) internal {
        uint256 refund = refundOf[c.taskId];
        ghostRefundsAttributed += refund;
        uint256 taken = b.stake - _slashable(a.signer);
        if (ruling != _expectedRuling(c, a)) {
            _violation("the ruling breaks the rule");
        }
        uint256[3] memory add;
        if (ruling == IPipeDisputes.Ruling.Upheld) {
            ++upheld[b.key];
            upheldTolerance += a.tolerance ? 1 : 0;
            uint256 bounty = b.first ? _bounty(c.fee - refund, taken) : 0;
            _add(b.who, add, c.disputer, BOND + refund + bounty);
            _add(b.who, add, TREASURY, taken - bounty);
            _checkPunished(a.signer, b.first, b.stake, taken);
            if (a.kind == Kind.Attacker) {
                attackerForfeit += taken - bounty;
            }
        } else {
            _add(b.who, add, a.signer, BOND);
            _add(b.who, add, c.disputer, refund);
            if (taken != 0) {
                _violation("a dismissed or result-less dispute slashed");
            }
            if (ruling == IPipeDisputes.Ruling.Dismissed) {
                ++dismissed;
                dismissedTolerance += a.tolerance && a.outputHash != ESCROW.resultOf(c.taskId) ? 1 : 0;
            } else {
                ++noResults;
            }
        }
        for (uint256 i; i < 3; ++i) {
            if (!_seenBefore(b.who, i) && DISPUTES.claimable(b.who[i]) != b.credit[i] + add[i]) {
                _violation("a credit of a ruling is off");
            }
        }
    }

    /// @dev An upheld ruling's first slash of an answer takes `slashAmount` (as far as the stake goes) and jails
    ///      the signer; any later one takes nothing.
    function _checkPunished(address signer, bool first, uint256 stakeBefore, uint256 taken) internal {
        if (!first) {
            ++upheldAgain;
            if (taken != 0) {
                _violation("a second slash of one answer");
            }
            return;
        }
        ++upheldFirst;
        uint256 slash = DISPUTES.slashAmount();
        if (taken != (stakeBefore < slash ? stakeBefore : slash)) {
            _violation("the slash is not the slash amount");
        }
        if (WORKERS.getWorker(signer).jailedUntil < block.timestamp + ESCROW.params().jailDuration) {
            _violation("an upheld signer not jailed");
        }
    }

    /// @dev A TOLERANCE ruling opened with an output other than the signed one must revert.
    function _tryForgedOpening(uint256 disputeId, Answer storage a, ModelOutput memory resultOutput) internal {
        ModelOutput memory forged = _one(a.value + 7, a.decimals);
        ++calls;
        try DISPUTES.resolve(disputeId, forged, resultOutput) {
            _violation("a forged TOLERANCE opening passed");
        } catch (bytes memory reason) {
            ++refusals;
            // bytes4 keeps the revert's selector.
            // forge-lint: disable-next-line(unsafe-typecast)
            if (bytes4(reason) != IPipeDisputes.OutputMismatch.selector) {
                _violation("a forged TOLERANCE opening refused for another reason");
            }
            ++forgedOpeningsRefused;
        }
    }

    function _violation(string memory what) internal {
        if (violations++ == 0) {
            firstViolation = what;
        }
    }

    /// @dev The rule: no usable result (none, or INPUT_REJECTED): NoResult; else a right answer is dismissed and
    ///      a wrong one upheld. Honest seats and committee only ever produce the task's true output.
    function _expectedRuling(Case storage c, Answer storage a) internal returns (IPipeDisputes.Ruling) {
        bytes32 result = ESCROW.resultOf(c.taskId);
        if (result == bytes32(0) || result == INPUT_REJECTED) {
            return IPipeDisputes.Ruling.NoResult;
        }
        if (result != _taskOutput(c)) {
            _violation("the committee process picked an output no honest seat computed");
        }
        return a.correct ? IPipeDisputes.Ruling.Dismissed : IPipeDisputes.Ruling.Upheld;
    }

    /// @dev The disputer's bounty: the fee the task spent, as far as the slash goes, then `bountyBps` of the rest.
    function _bounty(uint256 spent, uint256 taken) internal view returns (uint256) {
        uint256 compensation = spent < taken ? spent : taken;
        return compensation + (taken - compensation) * ESCROW.params().bountyBps / BPS;
    }

    /// @dev Adds `amount` to the first entry of `who` that is `account`.
    function _add(address[3] memory who, uint256[3] memory add, address account, uint256 amount) internal pure {
        for (uint256 i; i < 3; ++i) {
            if (who[i] == account) {
                add[i] += amount;
                return;
            }
        }
    }

    function _seenBefore(address[3] memory who, uint256 i) internal pure returns (bool seen) {
        for (uint256 j; j < i; ++j) {
            seen = seen || who[j] == who[i];
        }
    }

    /// @dev The duties of every open dispute's seats and committee.
    function _allDuties() internal {
        for (uint256 id; id < cases.length; ++id) {
            if (!cases[id].resolved) {
                _duties(cases[id].taskId, _taskOutput(cases[id]));
            }
        }
    }

    /// @dev The first dispute from `seed` on (cyclically) that is open — and, if `finalOnly`, whose task is final
    ///      (else the first open one).
    function _pickOpen(uint256 seed, bool finalOnly) internal view returns (bool found, uint256 id) {
        uint256 n = cases.length;
        for (uint256 i; i < n; ++i) {
            uint256 j = (seed % n + i) % n;
            if (cases[j].resolved) {
                continue;
            }
            if (!finalOnly || ESCROW.getTask(cases[j].taskId).status >= TaskStatus.Finalized) {
                return (true, j);
            }
            if (!found) {
                (found, id) = (true, j);
            }
        }
    }

    /// @dev Adds the logs since the last call to the ghosts: the escrow's credits to PipeDisputes, each dispute
    ///      task's refunds (`TaskAssigned`: max fee − price; `TaskSettled`: the result-less refund), and the
    ///      registry's slashes paid to PipeDisputes, each to the answer being resolved.
    function _record() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(ESCROW)) {
                if (
                    topic == ITaskEscrow.Credited.selector
                        && address(uint160(uint256(log.topics[1]))) == address(DISPUTES)
                ) {
                    ghostEscrowCredited += abi.decode(log.data, (uint256));
                } else if (topic == ITaskEscrow.TaskAssigned.selector) {
                    TaskId taskId = TaskId.wrap(uint256(log.topics[1]));
                    (,,, uint96 price) = abi.decode(log.data, (address[], Tier, uint16, uint96));
                    refundOf[taskId] += _maxFeeOf(taskId) - price;
                } else if (topic == ITaskEscrow.TaskSettled.selector) {
                    (,,, uint96 refund) = abi.decode(log.data, (uint96, uint96, uint96, uint96));
                    refundOf[TaskId.wrap(uint256(log.topics[1]))] += refund;
                }
            } else if (
                log.emitter == address(WORKERS) && topic == IWorkerRegistry.Slashed.selector
                    && address(uint160(uint256(log.topics[2]))) == address(DISPUTES)
            ) {
                (uint96 amount) = abi.decode(log.data, (uint96));
                slashedFrom[address(uint160(uint256(log.topics[1])))] += amount;
                ghostSlashed += amount;
                if (_resolving == bytes32(0)) {
                    _violation("PipeDisputes slashed outside a ruling");
                } else {
                    ++slashEvents[_resolving];
                }
            }
        }
    }

    /// @dev The max fee of the dispute whose task is `taskId` (every task in this escrow is a dispute's).
    function _maxFeeOf(TaskId taskId) internal view returns (uint96) {
        Case storage c = cases[_caseOf[taskId] - 1];
        return c.fee - c.premium; // what the escrow holds of the max fee after taking the load premium
    }

    /// @dev The live DEEP price of a dispute's task of `releaseId` (what `createTask` will charge now).
    function _quote(ModelId releaseId) internal view returns (uint96 fee) {
        (, fee,) = ESCROW.quote(releaseId, DISPUTES.slashAmount() + BOND, Tier.DEEP, address(0));
    }

    /// @dev Bonded + unbonding stake: what a slash can reach.
    function _slashable(address account) internal view returns (uint256) {
        IWorkerRegistry.Worker memory w = WORKERS.getWorker(account);
        return uint256(w.stake) + w.unbonding;
    }

    /// @dev What the task's honest seats answer: the request's output, or INPUT_REJECTED without the input.
    function _taskOutput(Case storage c) internal view returns (bytes32) {
        return c.withheld ? INPUT_REJECTED : _truth(answerList[c.answer]);
    }
}
