//! How much a memory is worth keeping when a namespace is over capacity.

use serde::{Deserialize, Serialize};

/// The retention score's parameters:
///
/// `score = importance × 2^(−age / half_life) + reinforcement_weight × ln(1 + reinforcements)`
///
/// where `age` is the time since the memory's last access (creation, reinforcement or change). An
/// unused memory's importance halves every half-life; each restatement adds a bonus that grows ever
/// more slowly and does not decay, so a fact the user keeps repeating outlives a one-off remark of
/// the same importance. Over capacity, the lowest scores go first (ties: the older last access,
/// then the smaller id, so eviction is deterministic across replicas).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Seconds after which an untouched memory's importance counts half.
    pub half_life_secs: u64,
    /// The weight of `ln(1 + reinforcements)`.
    pub reinforcement_weight: f32,
}

impl Default for RetentionPolicy {
    /// A 30-day half-life; ten reinforcements (≈ 2.4 × 0.1) are worth about a quarter of full
    /// importance.
    fn default() -> Self {
        Self { half_life_secs: 30 * 24 * 3600, reinforcement_weight: 0.1 }
    }
}

impl RetentionPolicy {
    /// The score of a memory with this ranking state at `now`.
    pub fn score(&self, importance: f32, reinforcements: u32, last_access: u64, now: u64) -> f64 {
        let age = now.saturating_sub(last_access) as f64;
        let half_life = self.half_life_secs.max(1) as f64;
        f64::from(importance) * (-age / half_life).exp2()
            + f64::from(self.reinforcement_weight) * f64::from(reinforcements).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decays_and_rewards_reinforcement() {
        let policy = RetentionPolicy { half_life_secs: 100, reinforcement_weight: 0.1 };
        let cases = [
            ("fresh", 0.8, 0, 1000, 0.8),
            ("one half-life", 0.8, 0, 900, 0.4),
            ("two half-lives", 0.8, 0, 800, 0.2),
            ("reinforced once", 0.0, 1, 0, 0.1 * 2f64.ln()),
            ("future access counts as fresh", 0.5, 0, 2000, 0.5),
        ];
        for (name, importance, reinforcements, last_access, expected) in cases {
            let score = policy.score(importance, reinforcements, last_access, 1000);
            assert!((score - expected).abs() < 1e-6, "{name}: {score} vs {expected}");
        }
    }
}
