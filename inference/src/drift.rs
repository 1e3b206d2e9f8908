//! How far one release's answers move from another's over a probe set: the figure a twin's drift
//! check agrees on before its binding may move to a new release.
//!
//! Each probe is run on both releases and its outputs compared tensor by tensor, so the two must
//! have the same output schema (names and shapes). The distance of one probe is
//!
//! - for number outputs, the largest absolute difference of any element, in the output's units;
//! - for a sentence embedder, the largest cosine distance `1 − cos(a, b)` of any embedded row.
//!
//! Over the probe set, the drift is the mean and the largest of those distances; the check compares
//! the mean, in millionths ([`Drift::ppm`]), with the twin's bound: the largest follows one unusual
//! probe, and retraining the same model from other seeds already moves single answers a lot (see
//! docs/twins.md for the figures). Inputs are fixed-point and
//! exact releases bit-identical everywhere, so every honest verifier computes the same figure for
//! EXACT releases; for TOLERANCE ones, figures agree within the releases' ε.

use alloy_primitives::{B256, keccak256};
use alloy_sol_types::SolValue;
use serde::Serialize;

use crate::{
    Architecture, InferenceError, ModelInput, ModelOutput, Number, Result, Runtime, compare::value,
};

/// The inputs a twin's behaviour is pinned on, committed on chain by [`ProbeSet::commitment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSet {
    /// The probes, in order.
    pub inputs: Vec<ModelInput>,
}

impl ProbeSet {
    /// The ABI encoding of the inputs, in order (`abi.encode(ModelInput[])`): how a probe set is
    /// stored, so that a store names it by its [`commitment`](Self::commitment).
    pub fn encode(&self) -> Vec<u8> {
        self.inputs.abi_encode()
    }

    /// A probe set from its [`encode`](Self::encode)d bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let inputs = Vec::<ModelInput>::abi_decode(bytes)
            .map_err(|e| InferenceError::Drift(format!("not an encoded probe set: {e}")))?;
        Ok(Self { inputs })
    }

    /// keccak-256 of its encoding: the hash the twin commits.
    pub fn commitment(&self) -> B256 {
        keccak256(self.encode())
    }
}

/// How far a release's answers moved over a probe set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Drift {
    /// Probes run.
    pub probes: usize,
    /// Mean distance over the probes: what the bound is compared with.
    pub mean: f64,
    /// Largest distance of any probe.
    pub max: f64,
}

impl Drift {
    /// The mean distance in millionths, rounded up: the figure a verifier reports on chain.
    pub fn ppm(&self) -> u64 {
        (self.mean * 1e6).ceil() as u64
    }
}

/// The drift from release `from` to release `to` (ids or names in `runtime`) over `probes`.
pub fn drift(runtime: &Runtime, from: &str, to: &str, probes: &ProbeSet) -> Result<Drift> {
    if probes.inputs.is_empty() {
        return Err(InferenceError::Drift("the probe set is empty".into()));
    }
    let embedder =
        matches!(runtime.manifest(from)?.architecture, Architecture::SentenceEmbedder { .. });
    let mut distances = Vec::with_capacity(probes.inputs.len());
    for (i, input) in probes.inputs.iter().enumerate() {
        let (a, b) = (runtime.run(from, input)?, runtime.run(to, input)?);
        let distance = distance(&a, &b, embedder)
            .map_err(|why| InferenceError::Drift(format!("probe {i}: {why}")))?;
        distances.push(distance);
    }
    let max = distances.iter().copied().fold(0.0, f64::max);
    let mean = distances.iter().sum::<f64>() / distances.len() as f64;
    Ok(Drift { probes: distances.len(), mean, max })
}

/// The distance between two outputs of one schema (see the module's documentation).
fn distance(a: &ModelOutput, b: &ModelOutput, embedder: bool) -> std::result::Result<f64, String> {
    if a.numbers.len() != b.numbers.len() || a.strings != b.strings || a.jsons != b.jsons {
        return Err("the releases' outputs differ in kind".into());
    }
    let mut largest = 0.0f64;
    for (x, y) in a.numbers.iter().zip(&b.numbers) {
        if x.name != y.name || x.shape != y.shape {
            return Err(format!(
                "output '{}' {:?} against '{}' {:?}",
                x.name, x.shape, y.name, y.shape
            ));
        }
        let (xs, ys) = (values(&x.values)?, values(&y.values)?);
        let row = x.shape.last().map_or(xs.len(), |&w| w as usize).max(1);
        for (rx, ry) in xs.chunks(row).zip(ys.chunks(row)) {
            let d = if embedder {
                cosine_distance(rx, ry)
            } else {
                rx.iter().zip(ry).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max)
            };
            largest = largest.max(d);
        }
    }
    Ok(largest)
}

fn values(numbers: &[Number]) -> std::result::Result<Vec<f64>, String> {
    numbers
        .iter()
        .map(|n| value(n).ok_or_else(|| format!("decimals {} out of range", n.decimals)))
        .collect()
}

/// `1 − cos(a, b)`, 0 for two zero rows, 1 if only one is zero.
fn cosine_distance(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    match (norm(a), norm(b)) {
        (0.0, 0.0) => 0.0,
        (na, nb) if na == 0.0 || nb == 0.0 => 1.0,
        (na, nb) => (1.0 - dot / (na * nb)).max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MultiDimensionalNumberTensor;

    fn output(values: &[i128], shape: Vec<u32>) -> ModelOutput {
        let numbers = values.iter().map(|&v| Number::new(v, 4)).collect();
        ModelOutput::numbers(vec![
            MultiDimensionalNumberTensor::new("y", numbers, shape).expect("tensor"),
        ])
    }

    #[test]
    fn numbers_move_by_their_largest_difference() {
        let d = distance(
            &output(&[10_000, 5_000], vec![1, 2]),
            &output(&[10_100, 4_000], vec![1, 2]),
            false,
        );
        let d = d.expect("comparable");
        assert!((d - 0.1).abs() < 1e-12, "{d}");
        let same = distance(&output(&[7], vec![1, 1]), &output(&[7], vec![1, 1]), false);
        assert_eq!(same, Ok(0.0));
    }

    #[test]
    fn embeddings_move_by_the_cosine_distance_of_each_row() {
        // Row 0 unchanged; row 1 rotated by 90°.
        let a = output(&[10_000, 0, 10_000, 0], vec![2, 2]);
        let b = output(&[20_000, 0, 0, 10_000], vec![2, 2]);
        assert_eq!(distance(&a, &b, true), Ok(1.0));
        assert_eq!(distance(&a, &a, true), Ok(0.0));
    }

    #[test]
    fn releases_with_other_outputs_cannot_be_compared() {
        let error = distance(&output(&[1], vec![1, 1]), &output(&[1, 2], vec![1, 2]), false);
        assert!(error.expect_err("other shapes").contains("'y'"));
    }

    #[test]
    fn a_probe_set_round_trips_through_its_encoding() {
        let tensor = |v| MultiDimensionalNumberTensor::new("x", vec![Number::new(v, 2)], vec![1]);
        let inputs = [1, 2].map(|v| ModelInput::numbers(vec![tensor(v).expect("tensor")]));
        let probes = ProbeSet { inputs: inputs.to_vec() };
        let decoded = ProbeSet::decode(&probes.encode()).expect("decodes");
        assert_eq!(decoded, probes);
        assert_eq!(decoded.commitment(), keccak256(probes.encode()));
        assert!(ProbeSet::decode(b"junk").is_err());
    }

    #[test]
    fn the_mean_distance_is_reported_in_millionths_rounded_up() {
        let drift = Drift { probes: 2, mean: 0.000_100_2, max: 0.5 };
        assert_eq!(drift.ppm(), 101);
    }
}
