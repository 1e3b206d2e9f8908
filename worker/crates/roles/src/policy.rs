//! The verification gradient, mirrored bit for bit from `contracts/libraries/VerificationPolicy.sol`.
//!
//! Every constant and every integer operation matches the Solidity library, so an off-chain quote
//! agrees with what `TaskEscrow.assign` decides. `test/vectors/policy.json` holds vectors that both
//! implementations are tested against.

use alloy_primitives::U256;
use verigrad_contracts::Tier;

const VALUE_UNIT: u64 = 10_000_000_000_000_000; // 0.01 token
const POINTS_PER_DOUBLING: u64 = 1_000;
const POINTS_PER_RISK: u64 = 4_000;
const MAX_TRUST_POINTS: u64 = 4_000;
const REDUNDANCY_THRESHOLD: u64 = 12_000;
const PRESSURE_THRESHOLD_SHIFT: u64 = 3_000;
const POINTS_PER_PAIR: u64 = 6_000;
const MAX_REDUNDANCY: u64 = 7;
const MIN_QUORUM: u64 = 3;
const DEEP_THRESHOLD: u64 = 22_000;
const MIN_AUDIT_BPS: u64 = 50;
const MAX_AUDIT_BPS: u64 = 2_500;
const POINTS_PER_AUDIT_BPS: u64 = 6;
const BPS: u64 = 10_000;

/// Inputs of the policy (Solidity `PolicyInputs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyInputs {
    /// Value at risk, token wei.
    pub value: U256,
    /// The model release's risk class (0 LOW … 3 CRITICAL).
    pub risk: u8,
    /// The lowest tier the requester accepts.
    pub floor: Tier,
    /// Reputation of the primary worker, basis points.
    pub reputation_bps: u16,
    /// Verification pressure, basis points.
    pub pressure_bps: u16,
}

/// What the policy decides (Solidity `Decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Protocol path.
    pub tier: Tier,
    /// Number of compute workers.
    pub redundancy: u8,
    /// Audit probability, basis points.
    pub audit_bps: u16,
}

/// Decides tier, redundancy and audit probability, exactly as `VerificationPolicy.decide`.
///
/// ```
/// use alloy_primitives::U256;
/// use verigrad_contracts::Tier;
/// use verigrad_roles::{PolicyInputs, decide};
///
/// let one_token = U256::from(10u64).pow(U256::from(18));
/// let d = decide(&PolicyInputs {
///     value: one_token,
///     risk: 0,
///     floor: Tier::LIGHT,
///     reputation_bps: 0,
///     pressure_bps: 0,
/// });
/// assert_eq!((d.tier, d.redundancy, d.audit_bps), (Tier::LIGHT, 1, 1_146));
/// ```
pub fn decide(inputs: &PolicyInputs) -> Decision {
    let score = exposure_score(inputs.value, inputs.risk, inputs.reputation_bps);
    let pressure = u64::from(inputs.pressure_bps).min(BPS);

    let threshold = REDUNDANCY_THRESHOLD - PRESSURE_THRESHOLD_SHIFT * pressure / BPS;
    let mut k = 1;
    if score >= threshold {
        k = (MIN_QUORUM + 2 * ((score - threshold) / POINTS_PER_PAIR)).min(MAX_REDUNDANCY);
    }
    let deep = score >= DEEP_THRESHOLD || inputs.floor == Tier::DEEP;
    if (deep || inputs.floor == Tier::REDUNDANT) && k < MIN_QUORUM {
        k = MIN_QUORUM;
    }
    let redundancy = k as u8; // k ≤ MAX_REDUNDANCY
    if deep {
        return Decision { tier: Tier::DEEP, redundancy, audit_bps: BPS as u16 };
    }
    let tier = if k > 1 { Tier::REDUNDANT } else { Tier::LIGHT };
    Decision { tier, redundancy, audit_bps: audit_bps(score, k, pressure) }
}

/// The exposure score in points (`VerificationPolicy.exposureScore`).
pub fn exposure_score(value: U256, risk: u8, reputation_bps: u16) -> u64 {
    let rep = u64::from(reputation_bps).min(BPS);
    let gross = value_points(value) + POINTS_PER_RISK * u64::from(risk);
    let trust = MAX_TRUST_POINTS * rep / BPS;
    gross.saturating_sub(trust)
}

/// `1000 · log2(1 + value / 0.01 token)`, linear between powers of two (`VerificationPolicy.valuePoints`).
pub fn value_points(value: U256) -> u64 {
    let x = U256::from(1) + value / U256::from(VALUE_UNIT);
    let n = x.bit_len() - 1;
    let base = U256::from(1) << n;
    let fraction = U256::from(POINTS_PER_DOUBLING) * (x - base) / base;
    // n ≤ 203 and fraction < 1000: both fit in u64.
    POINTS_PER_DOUBLING * n as u64 + fraction.to::<u64>()
}

fn audit_bps(score: u64, k: u64, pressure: u64) -> u16 {
    let p = (MIN_AUDIT_BPS + score / POINTS_PER_AUDIT_BPS).min(MAX_AUDIT_BPS) / k;
    let p = p * (2 * BPS - pressure) / (2 * BPS);
    p.max(MIN_AUDIT_BPS) as u16 // ≤ MAX_AUDIT_BPS
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Case {
        name: String,
        value: String,
        risk: u8,
        floor: u8,
        reputation_bps: u16,
        pressure_bps: u16,
        tier: u8,
        redundancy: u8,
        audit_bps: u16,
    }

    #[derive(Debug, Deserialize)]
    struct Vectors {
        cases: Vec<Case>,
    }

    fn token(amount: u64) -> U256 {
        U256::from(amount) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn value_points_is_piecewise_linear_log2() {
        let unit = U256::from(VALUE_UNIT);
        for (name, value, points) in [
            ("zero", U256::ZERO, 0),
            ("one unit", unit, 1_000),
            ("two units", unit * U256::from(2), 1_500),
            ("three units", unit * U256::from(3), 2_000),
            ("1023 units", unit * U256::from(1023), 10_000),
        ] {
            assert_eq!(value_points(value), points, "{name}");
        }
        let max = value_points(U256::MAX);
        assert!((202_000..203_000).contains(&max), "largest value: {max}");
    }

    #[test]
    fn agrees_with_the_solidity_vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../test/vectors/policy.json");
        let text = std::fs::read_to_string(path).expect("test/vectors/policy.json");
        let vectors: Vectors = serde_json::from_str(&text).expect("vectors parse");
        assert!(vectors.cases.len() >= 30, "a full table of vectors");
        for case in vectors.cases {
            let inputs = PolicyInputs {
                value: case.value.parse().expect("decimal value"),
                risk: case.risk,
                floor: Tier::try_from(case.floor).expect("floor"),
                reputation_bps: case.reputation_bps,
                pressure_bps: case.pressure_bps,
            };
            let expected = Decision {
                tier: Tier::try_from(case.tier).expect("tier"),
                redundancy: case.redundancy,
                audit_bps: case.audit_bps,
            };
            assert_eq!(decide(&inputs), expected, "{}", case.name);
        }
    }

    #[test]
    fn floor_only_raises() {
        for floor in [Tier::LIGHT, Tier::REDUNDANT, Tier::DEEP] {
            for value in [0, 1, 100, 10_000] {
                let inputs = PolicyInputs {
                    value: token(value),
                    risk: 1,
                    floor,
                    reputation_bps: 5_000,
                    pressure_bps: 0,
                };
                let d = decide(&inputs);
                assert!(u8::from(d.tier) >= u8::from(floor), "{floor:?} {value}: {d:?}");
                let unconstrained = decide(&PolicyInputs { floor: Tier::LIGHT, ..inputs });
                assert!(d.redundancy >= unconstrained.redundancy);
            }
        }
    }
}
