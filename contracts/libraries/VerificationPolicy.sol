// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Decision, Deterrence, PolicyInputs, Tier} from "../types/TaskTypes.sol";

/// @title VerificationPolicy
/// @notice The verification gradient: a pure function from a task's value, its model's risk class, the
///         requester's floor, the primary worker's reputation and the network's verification pressure to
///         a protocol path, a redundancy k and an audit probability.
/// @dev Everything is computed from one exposure score, in points:
///
///        score = valuePoints(value) + 4_000 * risk - 4_000 * reputationBps / 10_000   (floored at 0)
///        valuePoints(v) = 1_000 * log2(1 + v / 0.01 token), piecewise linear between powers of two
///
///      - Redundancy slides with the score: k = 1 below the redundancy threshold, then 3, 5, 7 every
///        6_000 points. The threshold (12_000) drops by up to 3_000 points under verification pressure:
///        when verifiers are busy, assurance shifts from after-the-fact audits to up-front redundancy.
///      - Audit probability slides with the score: 0.5 % + score / 6 bps, at most 25 %; divided by k for
///        redundant tasks (a quorum already cross-checks); reduced by up to half under pressure, never
///        below 0.5 %.
///      - DEEP (mandatory committee review) from 22_000 points, or when the floor asks for it.
///      - The floor only raises: REDUNDANT forces k ≥ 3, DEEP forces k ≥ 3 and a review.
///      Every function is monotone: more value or risk never lowers k or the audit rate; more reputation
///      never raises them.
///
///      Deterrence then ties the decision to money (`deter`, `collateral`): a seat that cheats is caught with
///      probability p (the audit probability; certain for DEEP), loses its reward R and collateral S, and saves
///      at most the run's cost C ≤ R and gains at most G, shared by the coalition of seats that must lie
///      together. The escrow locks S = minSlash + G·coalition⁻¹ ÷ p and raises p to at least
///      R ÷ (R + minSlash) and to what the locked S needs, so p·(R + S) ≥ C + G/coalition on every task.
library VerificationPolicy {
    /// @notice One value unit: 0.01 token (18 decimals).
    uint256 internal constant VALUE_UNIT = 1e16;
    /// @notice Points per doubling of the value.
    uint256 internal constant POINTS_PER_DOUBLING = 1_000;
    /// @notice Points per risk class step.
    uint256 internal constant POINTS_PER_RISK = 4_000;
    /// @notice Points a flawless reputation removes.
    uint256 internal constant MAX_TRUST_POINTS = 4_000;
    /// @notice Score from which tasks are redundant, with no pressure.
    uint256 internal constant REDUNDANCY_THRESHOLD = 12_000;
    /// @notice How far full pressure lowers the redundancy threshold.
    uint256 internal constant PRESSURE_THRESHOLD_SHIFT = 3_000;
    /// @notice Score per extra pair of redundant workers.
    uint256 internal constant POINTS_PER_PAIR = 6_000;
    /// @notice Largest redundancy.
    uint8 internal constant MAX_REDUNDANCY = 7;
    /// @notice Redundancy a REDUNDANT or DEEP floor guarantees.
    uint8 internal constant MIN_QUORUM = 3;
    /// @notice Score from which tasks are DEEP.
    uint256 internal constant DEEP_THRESHOLD = 22_000;
    /// @notice Lowest audit probability, bps.
    uint16 internal constant MIN_AUDIT_BPS = 50;
    /// @notice Highest audit probability short of DEEP, bps.
    uint16 internal constant MAX_AUDIT_BPS = 2_500;
    /// @notice Score points per audit bps.
    uint256 internal constant POINTS_PER_AUDIT_BPS = 6;
    /// @notice Basis points denominator.
    uint256 internal constant BPS = 10_000;

    /// @notice Decides tier, redundancy and audit probability for a task.
    /// @param inputs The policy inputs.
    /// @return decision The decision.
    function decide(PolicyInputs memory inputs) internal pure returns (Decision memory decision) {
        uint256 score = exposureScore(inputs.value, inputs.risk, inputs.reputationBps);
        uint256 pressure = inputs.pressureBps > BPS ? BPS : inputs.pressureBps;

        uint256 threshold = REDUNDANCY_THRESHOLD - PRESSURE_THRESHOLD_SHIFT * pressure / BPS;
        uint256 k = 1;
        if (score >= threshold) {
            k = MIN_QUORUM + 2 * ((score - threshold) / POINTS_PER_PAIR);
            if (k > MAX_REDUNDANCY) {
                k = MAX_REDUNDANCY;
            }
        }
        bool deep = score >= DEEP_THRESHOLD || inputs.floor == Tier.DEEP;
        if ((deep || inputs.floor == Tier.REDUNDANT) && k < MIN_QUORUM) {
            k = MIN_QUORUM;
        }

        // forge-lint: disable-next-line(unsafe-typecast)
        decision.redundancy = uint8(k); // k ≤ MAX_REDUNDANCY
        if (deep) {
            decision.tier = Tier.DEEP;
            // forge-lint: disable-next-line(unsafe-typecast)
            decision.auditBps = uint16(BPS); // 10_000 fits
        } else {
            decision.tier = k > 1 ? Tier.REDUNDANT : Tier.LIGHT;
            decision.auditBps = auditBps(score, k, pressure);
        }
    }

    /// @notice The exposure score in points.
    /// @param value Value at risk, token wei.
    /// @param risk Risk class (0..3).
    /// @param reputationBps Primary worker's reputation, bps.
    /// @return The score.
    function exposureScore(uint256 value, uint8 risk, uint16 reputationBps) internal pure returns (uint256) {
        uint256 rep = reputationBps > BPS ? BPS : reputationBps;
        uint256 gross = valuePoints(value) + POINTS_PER_RISK * risk;
        uint256 trust = MAX_TRUST_POINTS * rep / BPS;
        return gross > trust ? gross - trust : 0;
    }

    /// @notice `1_000 * log2(1 + value / VALUE_UNIT)`, linear between powers of two (continuous, monotone).
    /// @param value Value at risk, token wei.
    /// @return The value points.
    function valuePoints(uint256 value) internal pure returns (uint256) {
        // x ≥ 1 and x ≤ 2^256/1e16 + 1 < 2^203, so neither the shift nor the products overflow.
        unchecked {
            uint256 x = 1 + value / VALUE_UNIT;
            uint256 n = _floorLog2(x);
            uint256 base = uint256(1) << n;
            return POINTS_PER_DOUBLING * n + POINTS_PER_DOUBLING * (x - base) / base;
        }
    }

    /// @notice Audit probability for a non-DEEP task.
    /// @param score Exposure score.
    /// @param k Redundancy.
    /// @param pressure Verification pressure, bps (≤ 10_000).
    /// @return The audit probability, bps.
    function auditBps(uint256 score, uint256 k, uint256 pressure) internal pure returns (uint16) {
        uint256 p = MIN_AUDIT_BPS + score / POINTS_PER_AUDIT_BPS;
        if (p > MAX_AUDIT_BPS) {
            p = MAX_AUDIT_BPS;
        }
        p = p / k;
        p = p * (2 * BPS - pressure) / (2 * BPS);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint16(p < MIN_AUDIT_BPS ? MIN_AUDIT_BPS : p); // p ≤ MAX_AUDIT_BPS
    }

    /// @notice Raises a decision's audit probability until a skipped run never pays, whatever the
    ///         collateral: p ≥ R ÷ (R + minSlash), so p·(R + minSlash) ≥ R ≥ C. DEEP is already certain.
    /// @param decision The decision, changed in place.
    /// @param terms The task's gain, run price and minimum slash.
    function deterSkippedRun(Decision memory decision, Deterrence memory terms) internal pure {
        _raiseAudit(decision, _ceilDiv(terms.runPrice * BPS, terms.runPrice + terms.minSlash));
    }

    /// @notice Raises a decision's audit probability until the deterrence condition holds with collateral
    ///         `lock` per seat: a skipped run never pays (`deterSkippedRun`), and neither does a wrong answer,
    ///         p ≥ G ÷ (coalition × (lock − minSlash)). Then p·(R + lock) ≥ C + G ÷ coalition — unless that
    ///         takes p above 1 (a smaller coalition, each liar's share of the gain larger than the lock covers).
    /// @param decision The decision, changed in place.
    /// @param terms The task's gain, run price and minimum slash.
    /// @param lock Collateral each seat locks, token wei.
    /// @return Whether the condition holds: if not, the decision must not be used with this lock.
    function deter(Decision memory decision, Deterrence memory terms, uint256 lock) internal pure returns (bool) {
        deterSkippedRun(decision, terms);
        uint256 gain = terms.gain;
        if (gain == 0) {
            return true;
        }
        uint256 minSlash = terms.minSlash;
        uint256 cover = lock > minSlash ? coalition(decision) * (lock - minSlash) : 0;
        if (cover == 0) {
            return false;
        }
        // Values are token amounts (< 2^96) times bps: nothing here overflows.
        uint256 floorBps;
        unchecked {
            floorBps = _ceilDiv(gain * BPS, cover);
        }
        _raiseAudit(decision, floorBps);
        return floorBps <= BPS;
    }

    /// @notice Collateral per seat that makes a wrong answer lose money at the decision's audit probability:
    ///         minSlash + G ÷ (coalition × p), rounded up to whole gwei (the escrow stores gwei).
    /// @param decision The decision (audit probability > 0).
    /// @param terms The task's gain, run price and minimum slash.
    /// @return The collateral, token wei.
    function collateral(Decision memory decision, Deterrence memory terms) internal pure returns (uint256) {
        uint256 share = _ceilDiv(terms.gain * BPS, coalition(decision) * decision.auditBps);
        return _ceilDiv(terms.minSlash + share, 1 gwei) * 1 gwei;
    }

    /// @notice The seats that must give the same wrong answer for it to stand: one for LIGHT, a strict
    ///         majority of k otherwise. They share the gain, and each loses its collateral when caught.
    /// @param decision The decision.
    /// @return The coalition size.
    function coalition(Decision memory decision) internal pure returns (uint256) {
        return decision.tier == Tier.LIGHT ? 1 : uint256(decision.redundancy) / 2 + 1;
    }

    /// @dev Raises the audit probability to at least `floorBps`, at most 10_000.
    function _raiseAudit(Decision memory decision, uint256 floorBps) private pure {
        uint256 p = floorBps > BPS ? BPS : floorBps;
        if (decision.auditBps < p) {
            // forge-lint: disable-next-line(unsafe-typecast)
            decision.auditBps = uint16(p); // ≤ 10_000
        }
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            return a == 0 ? 0 : (a - 1) / b + 1; // a ≥ 1 in the subtraction
        }
    }

    function _floorLog2(uint256 x) private pure returns (uint256 n) {
        // Binary search on the bit length; x > 0, n < 256.
        unchecked {
            for (uint256 step = 128; step > 0; step >>= 1) {
                if (x >= uint256(1) << step) {
                    x >>= step;
                    n += step;
                }
            }
        }
    }
}
