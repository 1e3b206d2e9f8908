// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../interfaces/IWorkerRegistry.sol";
import {EscrowState} from "../types/EscrowTypes.sol";
import {ModelId, ReleaseTerms} from "../types/ModelTypes.sol";
import {Roles} from "../types/Roles.sol";
import {Decision, Deterrence, PolicyInputs, Tier} from "../types/TaskTypes.sol";
import {TaskReview} from "./TaskReview.sol";
import {VerificationPolicy} from "./VerificationPolicy.sol";

/// @title TaskPricing
/// @notice What a task costs and what it decides: the verification policy's inputs and decisions for a task, the
///         deterrence each seat's collateral is sized for, and the fee — k executions at a unit price (the release's
///         live price at creation, the base price at assignment) plus the review reserve.
/// @dev Internal functions, shared by the escrow's `createTask`, `assign` and `quote`; `quote` itself is public, so
///      that its code lives in this linked library and not in the escrow (EIP-170).
library TaskPricing {
    /// @dev What `quote` reads of the registries.
    struct Query {
        ReleaseTerms terms;
        uint16 reputationBps;
        uint96 livePrice;
    }

    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice Open reviews per registered verifier that count as full pressure.
    uint256 internal constant REVIEWS_PER_VERIFIER = 4;
    /// @notice The unit a task's value is stored in: 0.001 token.
    uint256 internal constant MILLI = 1e15;

    /// @notice The escrow's `quote`: what `assign` would decide for a task with these inputs if `worker` were its
    ///         primary, at the live price. With `worker` zero, the least `maxFee` that `createTask` accepts now.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param models The model registry.
    /// @param modelId The model release.
    /// @param value Value at risk (rounded up to a milli-token, as `createTask` stores it).
    /// @param floor Tier floor.
    /// @param worker The primary worker (its reputation counts).
    /// @return decision The policy decision.
    /// @return fee The fee, capped at 2^96 − 1.
    /// @return seatLock The collateral each compute seat would lock, capped at 2^96 − 1.
    function quote(
        EscrowState storage s,
        IWorkerRegistry workers,
        IModelRegistry models,
        ModelId modelId,
        uint96 value,
        Tier floor,
        address worker
    ) public view returns (Decision memory decision, uint96 fee, uint96 seatLock) {
        if (workers.drawWeight(modelId, Roles.VERIFY) == 0) {
            revert ITaskEscrow.NoVerifiers(modelId);
        }
        Query memory q = Query(models.terms(modelId), workers.reputationBps(worker, modelId), models.price(modelId));
        PolicyInputs memory inputs = policyInputs(s, workers, q.terms, Math.ceilDiv(value, MILLI) * MILLI, floor);
        return _quote(s, q, inputs);
    }

    /// @notice Verification pressure in basis points: open reviews per registered verifier, 4 per verifier = 10_000.
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @return The pressure.
    function pressureBps(EscrowState storage s, IWorkerRegistry workers) internal view returns (uint16) {
        if (s.counters.openReviews == 0) {
            return 0; // the common case, without a call to the registry
        }
        uint256 verifiers = workers.roleCount(Roles.VERIFY);
        uint256 pressure =
            uint256(s.counters.openReviews) * BPS / (REVIEWS_PER_VERIFIER * (verifiers == 0 ? 1 : verifiers));
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint16(pressure > BPS ? BPS : pressure); // capped at 10_000 just above
    }

    /// @notice The policy's inputs for a task, reputation still 0 (the least trusted case).
    /// @param s The escrow's storage.
    /// @param workers The worker registry.
    /// @param terms The release's terms.
    /// @param value Value at risk, token wei.
    /// @param floor Tier floor.
    /// @return The inputs.
    function policyInputs(
        EscrowState storage s,
        IWorkerRegistry workers,
        ReleaseTerms memory terms,
        uint256 value,
        Tier floor
    ) internal view returns (PolicyInputs memory) {
        return PolicyInputs(value, uint8(terms.risk), floor, 0, pressureBps(s, workers));
    }

    /// @notice What a wrong answer on a task can gain (the value at risk × gainBps), what a run is worth (the base
    ///         price: the live price's premium only raises a seat's reward R, never the cost C a skipped run saves),
    ///         and the least a caught seat loses.
    /// @param s The escrow's storage.
    /// @param terms The release's terms.
    /// @param value Value at risk, token wei.
    /// @return The deterrence terms.
    function deterrence(EscrowState storage s, ReleaseTerms memory terms, uint256 value)
        internal
        view
        returns (Deterrence memory)
    {
        return Deterrence(value * s.params.gainBps / BPS, terms.basePrice, s.params.minSlash);
    }

    /// @notice The policy's decision for the least trusted primary, with its audit probability raised so that a
    ///         skipped run never pays, and the collateral each seat then locks (whole gwei).
    /// @param inputs The policy inputs.
    /// @param deter The deterrence terms.
    /// @return decision The decision.
    /// @return lock The collateral per seat.
    function firstDecision(PolicyInputs memory inputs, Deterrence memory deter)
        internal
        pure
        returns (Decision memory decision, uint256 lock)
    {
        decision = VerificationPolicy.decide(inputs);
        VerificationPolicy.deterSkippedRun(decision, deter);
        lock = VerificationPolicy.collateral(decision, deter);
    }

    /// @notice The policy's decision with the primary's reputation, its audit probability raised until `lock`
    ///         deters: p·(R + lock) ≥ C + G ÷ coalition. Without reputation that is `first`, which `lock` deters;
    ///         so is it when no audit probability makes `lock` deter the reputed decision (fewer seats, each liar's
    ///         share of the gain larger): reputation never buys less deterrence.
    /// @param inputs The policy inputs, with the primary's reputation.
    /// @param deter The deterrence terms.
    /// @param lock The collateral the seats locked.
    /// @param first The least trusted decision.
    /// @return decision The decision.
    function finalDecision(PolicyInputs memory inputs, Deterrence memory deter, uint256 lock, Decision memory first)
        internal
        pure
        returns (Decision memory decision)
    {
        if (inputs.reputationBps == 0) {
            return first;
        }
        decision = VerificationPolicy.decide(inputs);
        if (!VerificationPolicy.deter(decision, deter, lock)) {
            return first;
        }
    }

    /// @notice The fee: k executions at `unitPrice` (the live price at creation, the base price at assignment, when
    ///         the load premium is paid already), plus the review reserve — each committee seat's review pay
    ///         (`TaskReview.reviewPay`, from the base price) times the audit probability (10_000 bps for DEEP), in
    ///         whole gwei.
    /// @param s The escrow's storage.
    /// @param unitPrice The price of one execution, token wei.
    /// @param basePrice The release's base price, token wei.
    /// @param decision The decision.
    /// @return price The fee, token wei (at most 7 × 2^96 + 2^64 gwei: no overflow).
    /// @return reserveGwei The review reserve, whole gwei.
    function feeOf(EscrowState storage s, uint96 unitPrice, uint96 basePrice, Decision memory decision)
        internal
        view
        returns (uint256 price, uint64 reserveGwei)
    {
        uint256 reserve =
            TaskReview.reviewPay(s, basePrice) * s.params.committeeSize * decision.auditBps / BPS / 1 gwei;
        // forge-lint: disable-next-line(unsafe-typecast)
        reserveGwei = reserve > type(uint64).max ? type(uint64).max : uint64(reserve); // capped
        price = uint256(unitPrice) * decision.redundancy + uint256(reserveGwei) * 1 gwei;
    }

    /// @dev `assign`'s decision for `q`, the collateral each seat locks and the fee at the live price, both capped at
    ///      2^96 − 1 (no stake, and no max fee, covers more).
    function _quote(EscrowState storage s, Query memory q, PolicyInputs memory inputs)
        private
        view
        returns (Decision memory decision, uint96 fee, uint96 seatLock)
    {
        Deterrence memory deter = deterrence(s, q.terms, inputs.value);
        uint256 lock;
        (decision, lock) = firstDecision(inputs, deter);
        seatLock = _saturate(lock);
        inputs.reputationBps = q.reputationBps;
        decision = finalDecision(inputs, deter, lock, decision);
        (uint256 price,) = feeOf(s, q.livePrice, q.terms.basePrice, decision);
        fee = _saturate(price);
    }

    function _saturate(uint256 amount) private pure returns (uint96) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return amount > type(uint96).max ? type(uint96).max : uint96(amount); // capped just above
    }
}
