//! Gas limits: the node's estimate plus headroom.

use serde::{Deserialize, Serialize};

/// How much gas to allow beyond `eth_estimateGas`.
///
/// An estimate is made against the pending block, but some calls spend gas that depends on the block
/// they land in: `TaskEscrow.assign` draws workers from a seed fixed by that block, and the draw may
/// scan more candidates than it did in the estimate. Too tight a limit makes such a transaction run
/// out of gas (and still pay for it); 25 % covers every draw the demo makes.
///
/// ```
/// let gas = verigrad_contracts::GasPolicy { headroom_percent: 25 };
/// assert_eq!(gas.limit(100_000), 125_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GasPolicy {
    /// Percent added to the estimate.
    pub headroom_percent: u64,
}

impl Default for GasPolicy {
    fn default() -> Self {
        Self { headroom_percent: 25 }
    }
}

impl GasPolicy {
    /// The gas limit for a transaction estimated at `estimate`.
    pub fn limit(&self, estimate: u64) -> u64 {
        let limit = u128::from(estimate) * (100 + u128::from(self.headroom_percent)) / 100;
        u64::try_from(limit).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_headroom_without_overflow() {
        let cases = [
            ("default quarter", 25, 89_228, 111_535),
            ("none", 0, 21_000, 21_000),
            ("double", 100, 50_000, 100_000),
            ("saturates", 50, u64::MAX, u64::MAX),
        ];
        for (name, headroom_percent, estimate, expected) in cases {
            assert_eq!(GasPolicy { headroom_percent }.limit(estimate), expected, "{name}");
        }
    }
}
