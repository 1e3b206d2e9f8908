//! The project's own models, trained by a reproducible command (`cargo run -p verigrad-inference --bin
//! train-models`) from data the project generates:
//!
//! - `verigrad/volatility` (exact): a window of 16 log-returns → the realised volatility of the next 16.
//! - `verigrad/risk` (tolerance ε = 1e-5): eight features of a loan position → probability of liquidation.
//!
//! Training is plain deterministic `f64` ([`net`]); export folds the input standardisation into the first
//! layer, then quantises to fixed point (exact) or rounds to `f32` (tolerance).

pub mod data;
pub mod net;

use std::collections::BTreeMap;

use crate::{
    Activation, Architecture, Determinism, Manifest, ModelInput, ModelPackage,
    MultiDimensionalNumberTensor, Number, ProbeSet, Result, Runtime, TensorSpec, WEIGHTS_FILE,
    WeightData, to_safetensors,
};
use data::{RISK_FEATURES, WINDOW};
use net::{Dense, Loss, Network, TrainConfig};

/// Fractional bits of the exact volatility model's activations.
pub const VOLATILITY_SCALE_BITS: u32 = 16;
/// Largest quantised weight magnitude (16-bit range).
const MAX_QUANTISED: f64 = 32_767.0;

/// A trained package and how well it does on held-out data.
#[derive(Debug)]
pub struct TrainedModel {
    /// The package, ready to write.
    pub package: ModelPackage,
    /// Held-out evaluation, one line per metric.
    pub report: Vec<String>,
}

/// How a volatility release is trained: the shipped one, and the variants a twin's drift check is
/// measured on (same data, same trainer; other seeds or another architecture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolatilityRecipe {
    /// The release's version.
    pub version: &'static str,
    /// Widths of the hidden layers.
    pub hidden: &'static [usize],
    /// Seed of the initial weights.
    pub init_seed: u64,
    /// Seed of the minibatch order.
    pub shuffle_seed: u64,
}

/// `verigrad/volatility` 1.0.0, the shipped release.
pub const VOLATILITY: VolatilityRecipe =
    VolatilityRecipe { version: "1.0.0", hidden: &[32, 16], init_seed: 13, shuffle_seed: 14 };

/// 1.0.1: the shipped release retrained from other seeds — what an honest retraining looks like.
pub const VOLATILITY_RESEEDED: VolatilityRecipe =
    VolatilityRecipe { version: "1.0.1", hidden: &[32, 16], init_seed: 113, shuffle_seed: 114 };

/// 2.0.0: another architecture (one hidden layer of 4) trained on the same data.
pub const VOLATILITY_NARROW: VolatilityRecipe =
    VolatilityRecipe { version: "2.0.0", hidden: &[4], init_seed: 213, shuffle_seed: 214 };

/// Trains, quantises and evaluates the exact volatility forecaster (the shipped recipe).
pub fn volatility() -> Result<TrainedModel> {
    volatility_with(&VOLATILITY)
}

/// Trains, quantises and evaluates a volatility forecaster by `recipe`.
pub fn volatility_with(recipe: &VolatilityRecipe) -> Result<TrainedModel> {
    let (xs, ys) = data::volatility(11, 20_000);
    let (test_xs, test_ys) = data::volatility(12, 1_000);
    let (mean, std) = standardisation(&xs);
    let percent: Vec<f64> = ys.iter().map(|y| y * 100.0).collect();
    let layers: Vec<usize> =
        std::iter::once(WINDOW).chain(recipe.hidden.iter().copied()).chain([1]).collect();
    let mut net = Network::new(&layers, &mut data::Rng::new(recipe.init_seed));
    let config =
        TrainConfig { epochs: 60, batch: 64, learning_rate: 0.001, seed: recipe.shuffle_seed };
    net.train(&standardised(&xs, &mean, &std), &percent, Loss::MeanSquared, config);
    fold_standardisation(&mut net, &mean, &std);
    scale_output(&mut net, 0.01);

    let mut weights = BTreeMap::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let (w, b, shift) = quantise(layer, VOLATILITY_SCALE_BITS);
        weights.insert(
            format!("layer{i}.weight"),
            (vec![layer.outputs, layer.inputs], WeightData::I32(w)),
        );
        weights.insert(format!("layer{i}.bias"), (vec![layer.outputs], WeightData::I32(b)));
        weights.insert(format!("layer{i}.shift"), (vec![1], WeightData::I32(vec![shift])));
    }
    let manifest = Manifest {
        name: "verigrad/volatility".into(),
        version: recipe.version.into(),
        description:
            "Forecasts the realised volatility (RMS log-return) of the next 16 periods from \
                      the last 16 log-returns. Fixed-point integer model: bit-identical everywhere."
                .into(),
        architecture: Architecture::Mlp { layers, output_activation: Activation::None },
        determinism: Determinism::Exact { scale_bits: VOLATILITY_SCALE_BITS },
        inputs: vec![TensorSpec::numbers("returns", vec![1, WINDOW as u32], None)],
        outputs: vec![TensorSpec::numbers("volatility", vec![1, 1], Some(8))],
        cost_units: 64,
        files: BTreeMap::new(),
    };
    let package = package(manifest, &weights)?;

    let predictions = evaluate(&package, "returns", &test_xs)?;
    let baseline: Vec<f64> = test_xs
        .iter()
        .map(|w| libm::sqrt(w.iter().map(|r| r * r).sum::<f64>() / WINDOW as f64))
        .collect();
    let (model_rmse, baseline_rmse) = (rmse(&predictions, &test_ys), rmse(&baseline, &test_ys));
    let report = vec![
        format!(
            "held-out RMSE {model_rmse:.6} vs {baseline_rmse:.6} for the window's own volatility"
        ),
        format!("error ratio model / naive = {:.3}", model_rmse / baseline_rmse),
    ];
    Ok(TrainedModel { package, report })
}

/// Trains and evaluates the tolerance-class liquidation-risk scorer.
pub fn risk() -> Result<TrainedModel> {
    let (xs, ys) = data::risk(21, 4_000);
    let (test_xs, test_ys) = data::risk(22, 1_000);
    let (mean, std) = standardisation(&xs);
    let mut net = Network::new(&[RISK_FEATURES, 16, 8, 1], &mut data::Rng::new(23));
    let config = TrainConfig { epochs: 40, batch: 32, learning_rate: 0.003, seed: 24 };
    net.train(&standardised(&xs, &mean, &std), &ys, Loss::BinaryCrossEntropy, config);
    fold_standardisation(&mut net, &mean, &std);

    let mut weights = BTreeMap::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let w = layer.w.iter().map(|v| *v as f32).collect();
        let b = layer.b.iter().map(|v| *v as f32).collect();
        weights.insert(
            format!("layer{i}.weight"),
            (vec![layer.outputs, layer.inputs], WeightData::F32(w)),
        );
        weights.insert(format!("layer{i}.bias"), (vec![layer.outputs], WeightData::F32(b)));
    }
    let manifest = Manifest {
        name: "verigrad/risk".into(),
        version: "1.0.0".into(),
        description:
            "Probability that a loan position is liquidated, from collateral ratio, volatility, \
                      utilisation, log10 liquidity depth, account age (years), past liquidations, \
                      oracle deviation and leverage. Floating point: compared within epsilon."
                .into(),
        architecture: Architecture::Mlp {
            layers: vec![RISK_FEATURES, 16, 8, 1],
            output_activation: Activation::Sigmoid,
        },
        determinism: Determinism::Tolerance { epsilon: 1e-5 },
        inputs: vec![TensorSpec::numbers("features", vec![1, RISK_FEATURES as u32], None)],
        outputs: vec![TensorSpec::numbers("risk", vec![1, 1], Some(6))],
        cost_units: 48,
        files: BTreeMap::new(),
    };
    let package = package(manifest, &weights)?;

    let predictions = evaluate(&package, "features", &test_xs)?;
    let base_rate = ys.iter().sum::<f64>() / ys.len() as f64;
    let accuracy =
        predictions.iter().zip(&test_ys).filter(|(p, y)| (**p >= 0.5) == (**y == 1.0)).count()
            as f64
            / test_ys.len() as f64;
    let report = vec![
        format!(
            "held-out log loss {:.4} vs {:.4} for the base rate",
            log_loss(&predictions, &test_ys),
            log_loss(&vec![base_rate; test_ys.len()], &test_ys)
        ),
        format!(
            "held-out accuracy {:.1} % (base rate {:.1} % positive)",
            100.0 * accuracy,
            100.0 * base_rate
        ),
    ];
    Ok(TrainedModel { package, report })
}

/// Seed of a twin's volatility probe windows: neither the training (11) nor the held-out (12) data.
pub const PROBE_SEED: u64 = 31;

/// `n` windows of log-returns from [`PROBE_SEED`], as the volatility release takes them: the probe
/// set the twins' drift figures are measured on.
pub fn volatility_probes(n: usize) -> Result<ProbeSet> {
    let (windows, _) = data::volatility(PROBE_SEED, n);
    let inputs = windows
        .iter()
        .map(|w| {
            let values = w.iter().map(|&r| number(r)).collect();
            let tensor =
                MultiDimensionalNumberTensor::new("returns", values, vec![1, WINDOW as u32])?;
            Ok(ModelInput::numbers(vec![tensor]))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ProbeSet { inputs })
}

/// A number with 10 decimals nearest to `x` (how the evaluation feeds inputs).
pub fn number(x: f64) -> Number {
    Number::new((x * 1e10).round() as i128, 10)
}

fn package(
    manifest: Manifest,
    weights: &BTreeMap<String, (Vec<usize>, WeightData)>,
) -> Result<ModelPackage> {
    ModelPackage::build(
        manifest,
        BTreeMap::from([(WEIGHTS_FILE.to_string(), to_safetensors(weights))]),
    )
}

/// Runs the packaged model (as the runtime will) on every sample.
fn evaluate(package: &ModelPackage, input: &str, xs: &[Vec<f64>]) -> Result<Vec<f64>> {
    let mut runtime = Runtime::new();
    let id = runtime.add(package)?.to_string();
    xs.iter()
        .map(|x| {
            let tensor = MultiDimensionalNumberTensor::new(
                input,
                x.iter().map(|v| number(*v)).collect(),
                vec![1, x.len() as u32],
            )?;
            let out = runtime.run(&id, &ModelInput::numbers(vec![tensor]))?;
            let y = &out.numbers[0].values[0];
            Ok(y.value as f64 / 10f64.powi(y.decimals as i32))
        })
        .collect()
}

fn standardisation(xs: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = xs.len() as f64;
    let width = xs[0].len();
    let mean: Vec<f64> = (0..width).map(|j| xs.iter().map(|x| x[j]).sum::<f64>() / n).collect();
    let std = (0..width)
        .map(|j| {
            libm::sqrt(xs.iter().map(|x| (x[j] - mean[j]) * (x[j] - mean[j])).sum::<f64>() / n)
                .max(1e-12)
        })
        .collect();
    (mean, std)
}

fn standardised(xs: &[Vec<f64>], mean: &[f64], std: &[f64]) -> Vec<Vec<f64>> {
    xs.iter()
        .map(|x| x.iter().zip(mean).zip(std).map(|((v, m), s)| (v - m) / s).collect())
        .collect()
}

/// Makes the first layer take raw inputs: `w' = w / std`, `b' = b − Σ w·mean / std`.
fn fold_standardisation(net: &mut Network, mean: &[f64], std: &[f64]) {
    let first = &mut net.layers[0];
    for o in 0..first.outputs {
        for i in 0..first.inputs {
            let w = &mut first.w[o * first.inputs + i];
            *w /= std[i];
            first.b[o] -= *w * mean[i];
        }
    }
}

fn scale_output(net: &mut Network, factor: f64) {
    if let Some(last) = net.layers.last_mut() {
        last.w.iter_mut().chain(last.b.iter_mut()).for_each(|v| *v *= factor);
    }
}

/// Fixed-point weights: the largest shift that keeps every weight within 16 bits; biases at the
/// accumulator's scale (`scale_bits + shift`).
fn quantise(layer: &Dense, scale_bits: u32) -> (Vec<i32>, Vec<i32>, i32) {
    let largest = layer.w.iter().fold(0.0f64, |m, w| m.max(w.abs())).max(1e-30);
    let mut shift = 0;
    while shift < 30 && largest * libm::pow(2.0, f64::from(shift + 1)) <= MAX_QUANTISED {
        shift += 1;
    }
    let w =
        layer.w.iter().map(|v| libm::round(v * libm::pow(2.0, f64::from(shift))) as i32).collect();
    let bias_scale = libm::pow(2.0, f64::from(scale_bits + shift as u32));
    let b = layer.b.iter().map(|v| libm::round(v * bias_scale) as i32).collect();
    (w, b, shift)
}

fn rmse(predictions: &[f64], targets: &[f64]) -> f64 {
    let n = targets.len() as f64;
    libm::sqrt(predictions.iter().zip(targets).map(|(p, t)| (p - t) * (p - t)).sum::<f64>() / n)
}

fn log_loss(predictions: &[f64], targets: &[f64]) -> f64 {
    let n = targets.len() as f64;
    -predictions
        .iter()
        .zip(targets)
        .map(|(p, y)| {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            y * libm::log(p) + (1.0 - y) * libm::log(1.0 - p)
        })
        .sum::<f64>()
        / n
}
