//! Training data the project generates: seeded, and bit-reproducible on every machine (the random
//! source is SplitMix64 and the math is `libm`, never the platform's `ln`/`exp`).

/// Returns in a volatility window.
pub const WINDOW: usize = 16;
/// Features of a loan position.
pub const RISK_FEATURES: usize = 8;

/// SplitMix64: a tiny, well-mixed deterministic generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform(); // (0, 1]
        let v = self.uniform();
        libm::sqrt(-2.0 * libm::log(u)) * libm::cos(2.0 * core::f64::consts::PI * v)
    }
}

/// Volatility samples: a window of `WINDOW` log-returns from a GARCH(1,1) path, and the realised
/// volatility (root mean square) of the next `WINDOW` returns. Each path draws its own long-run level,
/// so windows span calm and stormy markets.
pub fn volatility(seed: u64, samples: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let mut xs = Vec::with_capacity(samples);
    let mut ys = Vec::with_capacity(samples);
    for _ in 0..samples {
        let long_run = libm::pow(10.0, rng.range(-2.4, -1.6)); // daily vol 0.4 % … 2.5 %
        let (alpha, beta) = (rng.range(0.05, 0.2), rng.range(0.6, 0.78)); // α + β < 1: stationary
        let omega = long_run * long_run * (1.0 - alpha - beta);
        let mut variance = long_run * long_run;
        let mut returns = Vec::with_capacity(3 * WINDOW);
        for _ in 0..3 * WINDOW {
            let r = libm::sqrt(variance) * rng.normal();
            returns.push(r);
            variance = omega + alpha * r * r + beta * variance;
        }
        let future = &returns[2 * WINDOW..];
        let realised = libm::sqrt(future.iter().map(|r| r * r).sum::<f64>() / WINDOW as f64);
        xs.push(returns[WINDOW..2 * WINDOW].to_vec());
        ys.push(realised);
    }
    (xs, ys)
}

/// Loan positions and whether each was liquidated: collateral ratio, asset volatility, pool
/// utilisation, log10 liquidity depth, account age in years, past liquidations, oracle deviation and
/// leverage; the label follows a logistic ground truth with interactions.
pub fn risk(seed: u64, samples: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let mut xs = Vec::with_capacity(samples);
    let mut ys = Vec::with_capacity(samples);
    for _ in 0..samples {
        let collateral = rng.range(1.05, 3.0);
        let volatility = rng.range(0.01, 1.2);
        let utilisation = rng.range(0.0, 1.0);
        let depth = rng.range(3.0, 8.0);
        let age = rng.range(0.0, 5.0);
        let liquidations = (rng.uniform() * rng.uniform() * 6.0).floor();
        let deviation = rng.range(0.0, 0.05);
        let leverage = rng.range(1.0, 10.0);
        let logit = -1.0 + 2.5 * volatility * leverage / collateral - 3.0 * (collateral - 1.0)
            + 1.5 * utilisation * utilisation
            - 0.6 * (depth - 5.5)
            - 0.3 * age
            + 0.5 * liquidations
            + 40.0 * deviation;
        let p = 1.0 / (1.0 + libm::exp(-logit));
        xs.push(vec![
            collateral,
            volatility,
            utilisation,
            depth,
            age,
            liquidations,
            deviation,
            leverage,
        ]);
        ys.push(if rng.uniform() < p { 1.0 } else { 0.0 });
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_seeded_and_plausible() {
        assert_eq!(volatility(7, 50), volatility(7, 50));
        assert_ne!(volatility(7, 50).1, volatility(8, 50).1);
        let (xs, ys) = volatility(1, 500);
        assert!(xs.iter().all(|w| w.len() == WINDOW));
        assert!(ys.iter().all(|v| (0.0005..0.5).contains(v)), "daily vols are plausible");

        let (xs, ys) = risk(1, 2_000);
        assert!(xs.iter().all(|x| x.len() == RISK_FEATURES));
        let rate = ys.iter().sum::<f64>() / ys.len() as f64;
        assert!((0.1..0.6).contains(&rate), "both classes occur: {rate}");
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut rng = Rng::new(3);
        let n = 20_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean}, var {var}");
    }
}
