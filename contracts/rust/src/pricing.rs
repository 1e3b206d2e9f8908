//! Prices that follow load: `contracts/libraries/LoadPricing.sol` mirrored bit for bit, so that an
//! off-chain quote (a coordinator, x402, a load generator) agrees with what the chain charges.
//!
//! EIP-4844's blob base fee rule, kept per model release: an excess accumulator that whoever
//! touches it first catches up — the target subtracted for every block elapsed, floored at 0 —
//! before adding new load, normalised to the release's target; the live price of one execution is
//! `fake_exponential(base price, excess, UPDATE_FRACTION)`. `test/vectors/pricing.json` holds the
//! vectors both implementations are tested against.

use alloy::primitives::U256;

/// The pricing rule's constants and pure functions, named as in the Solidity library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadPricing;

impl LoadPricing {
    /// What one block of load at the target adds to the excess: EIP-4844's
    /// `TARGET_BLOB_GAS_PER_BLOCK` (3 blobs of 2^17 blob gas).
    pub const TARGET_PER_BLOCK: u64 = 393_216;
    /// EIP-4844's `BLOB_BASE_FEE_UPDATE_FRACTION`: a block at twice the target (the release's
    /// capacity) raises the price by e^(393 216 / 3 338 477) ≈ 1.125.
    pub const UPDATE_FRACTION: u64 = 3_338_477;
    /// The cap of the excess: 64 blocks of load at the target (a multiplier below ≈ 1 878).
    pub const MAX_EXCESS: u64 = 64 * Self::TARGET_PER_BLOCK;
    /// The stake counted as one worker's capacity: 100 tokens, the default minimum COMPUTE stake.
    pub const STAKE_UNIT: u128 = 100_000_000_000_000_000_000;

    /// The live price of one execution at `excess`: `fake_exponential(base_price, excess,
    /// UPDATE_FRACTION)`, the excess read as at most [`Self::MAX_EXCESS`] and the price saturated
    /// at 2^96 − 1 (a base price above that counts as 2^96 − 1).
    ///
    /// ```
    /// use alloy::primitives::U256;
    /// use verigrad_contracts::LoadPricing;
    ///
    /// let token = U256::from(10u64).pow(U256::from(18));
    /// assert_eq!(LoadPricing::price(token, 0), token, "idle: the base price");
    /// // One block at capacity leaves one target of excess: +12.5 %.
    /// let up = LoadPricing::price(token, LoadPricing::TARGET_PER_BLOCK);
    /// assert_eq!(up, U256::from(1_125_000_014_985_832_539u64));
    /// ```
    pub fn price(base_price: U256, excess: u64) -> U256 {
        let base = base_price.min(u96_max());
        let excess = excess.min(Self::MAX_EXCESS);
        Self::fake_exponential(base, U256::from(excess), U256::from(Self::UPDATE_FRACTION))
            .unwrap_or(U256::MAX) // cannot overflow within these bounds (see the Solidity library)
            .min(u96_max())
    }

    /// EIP-4844's `fake_exponential`: `factor · e^(numerator / denominator)` by its Taylor series in
    /// integers, as the EIP's reference code (and revm's `fake_exponential`) computes it; `None`
    /// where the series overflows 256 bits or the denominator is 0 (where Solidity reverts).
    ///
    /// ```
    /// use alloy::primitives::U256;
    /// use verigrad_contracts::LoadPricing;
    ///
    /// // go-ethereum's and revm's test table: 10 · e^4 ≈ 546, the series gives 542.
    /// let out = LoadPricing::fake_exponential(U256::from(10), U256::from(8), U256::from(2));
    /// assert_eq!(out, Some(U256::from(542)));
    /// ```
    pub fn fake_exponential(factor: U256, numerator: U256, denominator: U256) -> Option<U256> {
        if denominator.is_zero() {
            return None;
        }
        let mut output = U256::ZERO;
        let mut accum = factor.checked_mul(denominator)?;
        let mut i = U256::from(1);
        while !accum.is_zero() {
            output = output.checked_add(accum)?;
            accum = accum.checked_mul(numerator)? / denominator.checked_mul(i)?;
            i += U256::from(1);
        }
        Some(output / denominator)
    }

    /// The excess after `blocks` blocks without load: the target per block less, floored at 0.
    ///
    /// ```
    /// use verigrad_contracts::LoadPricing;
    ///
    /// let t = LoadPricing::TARGET_PER_BLOCK;
    /// assert_eq!(LoadPricing::decay(3 * t, 1), 2 * t);
    /// assert_eq!(LoadPricing::decay(3 * t, 5), 0);
    /// ```
    pub fn decay(excess: u64, blocks: u64) -> u64 {
        excess.saturating_sub(blocks.saturating_mul(Self::TARGET_PER_BLOCK))
    }

    /// The excess once `units` compute units are added against a target of `target` units per
    /// block: `excess + ⌈units · TARGET_PER_BLOCK / target⌉`, at most [`Self::MAX_EXCESS`]; a target
    /// of 0 counts as 1.
    ///
    /// ```
    /// use alloy::primitives::U256;
    /// use verigrad_contracts::LoadPricing;
    ///
    /// // A block's worth of load at the target adds exactly one target of excess.
    /// let added = LoadPricing::grow(0, U256::from(25_600), U256::from(25_600));
    /// assert_eq!(added, LoadPricing::TARGET_PER_BLOCK);
    /// ```
    pub fn grow(excess: u64, units: U256, target: U256) -> u64 {
        let target = target.max(U256::from(1));
        let added = match units.checked_mul(U256::from(Self::TARGET_PER_BLOCK)) {
            Some(scaled) => scaled.div_ceil(target),
            None => U256::MAX,
        };
        let room = Self::MAX_EXCESS.saturating_sub(excess);
        if added >= U256::from(room) { Self::MAX_EXCESS } else { excess + added.to::<u64>() }
    }

    /// The target of a release served by `stake` of COMPUTE stake: half its capacity, where each
    /// [`Self::STAKE_UNIT`] of stake serves `units_per_worker` compute units a block; at least 1.
    ///
    /// ```
    /// use alloy::primitives::U256;
    /// use verigrad_contracts::LoadPricing;
    ///
    /// // Five workers of 1 000 tokens at 1 024 units each: a capacity of 51 200 a block.
    /// let stake = U256::from(5_000u64) * U256::from(10u64).pow(U256::from(18));
    /// assert_eq!(LoadPricing::target_of(stake, 1_024), U256::from(25_600));
    /// ```
    pub fn target_of(stake: U256, units_per_worker: u64) -> U256 {
        let half =
            stake * U256::from(units_per_worker) / U256::from(Self::STAKE_UNIT) / U256::from(2);
        half.max(U256::from(1))
    }
}

/// A release's load as the model registry stores it (`LoadPricing.Load`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// The excess as of block `updated`.
    pub excess: u64,
    /// The block of the last update.
    pub updated: u64,
    /// Compute units of one execution of the release.
    pub cost_units: u32,
}

impl Load {
    /// The excess caught up to `block`.
    pub fn excess_at(&self, block: u64) -> u64 {
        LoadPricing::decay(self.excess, block.saturating_sub(self.updated))
    }

    /// The live price of one execution at `block`, with nothing added in between.
    ///
    /// ```
    /// use alloy::primitives::U256;
    /// use verigrad_contracts::{Load, LoadPricing};
    ///
    /// let load = Load { excess: 2 * LoadPricing::TARGET_PER_BLOCK, updated: 100, cost_units: 64 };
    /// let base = U256::from(1_000_000u64);
    /// assert!(load.price_at(base, 100) > load.price_at(base, 101), "it decays by itself");
    /// assert_eq!(load.price_at(base, 102), base, "back at base after two idle blocks");
    /// ```
    pub fn price_at(&self, base_price: U256, block: u64) -> U256 {
        LoadPricing::price(base_price, self.excess_at(block))
    }

    /// Catches the accumulator up to `block` and adds `units` of load against `target`; returns
    /// the excess the load is priced at (before it), as the registry's `recordLoad` does.
    ///
    /// ```
    /// use alloy::primitives::U256;
    /// use verigrad_contracts::{Load, LoadPricing};
    ///
    /// let mut load = Load { excess: 0, updated: 7, cost_units: 1 };
    /// assert_eq!(load.record(7, U256::from(2), U256::from(1)), 0, "priced before its own load");
    /// assert_eq!(load.excess, 2 * LoadPricing::TARGET_PER_BLOCK);
    /// ```
    pub fn record(&mut self, block: u64, units: U256, target: U256) -> u64 {
        let before = self.excess_at(block);
        self.excess = LoadPricing::grow(before, units, target);
        self.updated = block;
        before
    }
}

fn u96_max() -> U256 {
    (U256::from(1) << 96) - U256::from(1)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Constants {
        target_per_block: u64,
        update_fraction: u64,
        max_excess: u64,
        stake_unit: String,
    }

    #[derive(Debug, Deserialize)]
    struct FakeExponential {
        name: String,
        factor: String,
        numerator: String,
        denominator: String,
        output: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Price {
        name: String,
        base_price: String,
        excess: String,
        price: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct LoadCase {
        name: String,
        excess: String,
        blocks: String,
        units: String,
        target: String,
        excess_before: String,
        excess_after: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Target {
        name: String,
        stake: String,
        units_per_worker: String,
        target: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Vectors {
        constants: Constants,
        fake_exponential: Vec<FakeExponential>,
        price: Vec<Price>,
        load: Vec<LoadCase>,
        target: Vec<Target>,
    }

    fn vectors() -> Vectors {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test/vectors/pricing.json");
        let text = std::fs::read_to_string(path).expect("test/vectors/pricing.json");
        serde_json::from_str(&text).expect("vectors parse")
    }

    fn u256(decimal: &str) -> U256 {
        decimal.parse().expect("a decimal number")
    }

    fn u64_of(decimal: &str) -> u64 {
        decimal.parse().expect("a decimal u64")
    }

    #[test]
    fn constants_agree_with_the_solidity_vectors() {
        let c = vectors().constants;
        assert_eq!(c.target_per_block, LoadPricing::TARGET_PER_BLOCK);
        assert_eq!(c.update_fraction, LoadPricing::UPDATE_FRACTION);
        assert_eq!(c.max_excess, LoadPricing::MAX_EXCESS);
        assert_eq!(u256(&c.stake_unit), U256::from(LoadPricing::STAKE_UNIT));
    }

    #[test]
    fn fake_exponential_agrees_with_the_solidity_vectors() {
        let cases = vectors().fake_exponential;
        assert!(cases.len() >= 16, "go-ethereum's table and more");
        for case in cases {
            let out = LoadPricing::fake_exponential(
                u256(&case.factor),
                u256(&case.numerator),
                u256(&case.denominator),
            );
            assert_eq!(out, Some(u256(&case.output)), "{}", case.name);
        }
    }

    #[test]
    fn price_agrees_with_the_solidity_vectors() {
        for case in vectors().price {
            // The Solidity library takes any uint256 excess; above the cap it reads the cap.
            let excess = u256(&case.excess).min(U256::from(u64::MAX)).to::<u64>();
            let price = LoadPricing::price(u256(&case.base_price), excess);
            assert_eq!(price, u256(&case.price), "{}", case.name);
        }
    }

    #[test]
    fn record_agrees_with_the_solidity_vectors() {
        for case in vectors().load {
            let start = 1_000;
            let mut load = Load { excess: u64_of(&case.excess), updated: start, cost_units: 1 };
            let block = start + u64_of(&case.blocks);
            assert_eq!(load.excess_at(block), u64_of(&case.excess_before), "{}", case.name);
            let before = load.record(block, u256(&case.units), u256(&case.target));
            assert_eq!(before, u64_of(&case.excess_before), "{}", case.name);
            assert_eq!(load.excess, u64_of(&case.excess_after), "{}: stored", case.name);
            assert_eq!(load.updated, block, "{}", case.name);
        }
    }

    #[test]
    fn target_agrees_with_the_solidity_vectors() {
        for case in vectors().target {
            let target = LoadPricing::target_of(u256(&case.stake), u64_of(&case.units_per_worker));
            assert_eq!(target, u256(&case.target), "{}", case.name);
        }
    }

    #[test]
    fn price_is_monotonic_never_below_base_and_capped() {
        let bases = [U256::ZERO, U256::from(7), U256::from(10u64).pow(U256::from(18)), u96_max()];
        for base in bases {
            let mut last = LoadPricing::price(base, 0);
            assert_eq!(last, base);
            for excess in (0..=LoadPricing::MAX_EXCESS + 10).step_by(99_991) {
                let price = LoadPricing::price(base, excess);
                assert!(price >= last && price >= base, "{base} at {excess}");
                last = price;
            }
            assert_eq!(
                LoadPricing::price(base, u64::MAX),
                LoadPricing::price(base, LoadPricing::MAX_EXCESS)
            );
        }
    }
}
