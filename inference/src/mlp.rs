//! Multilayer perceptrons on candle, in both determinism classes.
//!
//! **Exact.** Weights are small integers, activations fixed-point integers with `scale_bits` fractional
//! bits. candle multiplies them as `f64`: every product and partial sum is an integer below 2^52, so
//! every sum is exact whatever order the kernel adds in, and the result is bit-identical on every
//! machine. A bound checked before each layer (in integer arithmetic) refuses inputs that could leave
//! that range. Requantisation is an arithmetic right shift (floor); ReLU is `max(0, x)`.
//!
//! **Tolerance.** Plain `f32` on candle; outputs are compared element-wise within the manifest's epsilon.

use candle_core::{Device, Tensor};

use crate::{
    Activation, Architecture, Determinism, InferenceError, Manifest, ModelInput, ModelOutput,
    ModelPackage, MultiDimensionalNumberTensor, Number, Result, model::invalid,
    weights::from_safetensors,
};

/// The weights file of an MLP package.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Largest accumulator magnitude an exact layer may reach: below 2^52, f64 sums of integers are exact.
const EXACT_LIMIT: i128 = 1 << 52;

/// An MLP ready to run.
#[derive(Debug)]
pub(crate) struct Mlp {
    manifest: Manifest,
    layers: Layers,
}

#[derive(Debug)]
enum Layers {
    Exact { scale_bits: u32, layers: Vec<ExactLayer> },
    Tolerance { layers: Vec<FloatLayer>, output: Activation },
}

#[derive(Debug)]
struct ExactLayer {
    /// `[in, out]`, integer values held as f64.
    weight_t: Tensor,
    bias: Vec<i64>,
    shift: u32,
    max_weight: i128,
    max_bias: i128,
}

#[derive(Debug)]
struct FloatLayer {
    /// `[in, out]`.
    weight_t: Tensor,
    /// `[1, out]`.
    bias: Tensor,
}

impl Mlp {
    /// Builds the network of a verified package.
    pub(crate) fn from_package(package: &ModelPackage) -> Result<Self> {
        let manifest = package.manifest().clone();
        let Architecture::Mlp { layers: widths, output_activation } = &manifest.architecture else {
            return Err(invalid(&manifest, "not an MLP"));
        };
        if widths.len() < 2 || manifest.inputs.len() != 1 || manifest.outputs.len() != 1 {
            return Err(invalid(
                &manifest,
                "an MLP has ≥ 2 widths, one input and one output tensor",
            ));
        }
        if !manifest.inputs[0].is_fixed_numbers() || !manifest.outputs[0].is_fixed_numbers() {
            return Err(invalid(&manifest, "an MLP takes and returns fixed-shape number tensors"));
        }
        if manifest.inputs[0].elements() != widths[0]
            || manifest.outputs[0].elements() != widths[widths.len() - 1]
        {
            return Err(invalid(&manifest, "tensor schema does not match the layer widths"));
        }
        let tensors = from_safetensors(package.file(WEIGHTS_FILE)?)?;
        let get = |name: String| {
            tensors.get(&name).ok_or_else(|| invalid(&manifest, &format!("missing tensor {name}")))
        };
        let layers = match manifest.determinism {
            Determinism::Exact { scale_bits } => {
                if *output_activation != Activation::None {
                    return Err(invalid(
                        &manifest,
                        "exact models cannot use exp-based activations",
                    ));
                }
                let mut layers = Vec::new();
                for (i, pair) in widths.windows(2).enumerate() {
                    let weight: Vec<Vec<i32>> = get(format!("layer{i}.weight"))?.to_vec2()?;
                    let bias: Vec<i32> = get(format!("layer{i}.bias"))?.to_vec1()?;
                    let shift: Vec<i32> = get(format!("layer{i}.shift"))?.to_vec1()?;
                    layers.push(ExactLayer::new(&manifest, pair, &weight, &bias, &shift)?);
                }
                Layers::Exact { scale_bits, layers }
            }
            Determinism::Tolerance { .. } => {
                let mut layers = Vec::new();
                for (i, pair) in widths.windows(2).enumerate() {
                    let weight = get(format!("layer{i}.weight"))?;
                    let bias = get(format!("layer{i}.bias"))?;
                    if weight.dims() != [pair[1], pair[0]] || bias.dims() != [pair[1]] {
                        return Err(invalid(&manifest, &format!("layer {i} has the wrong shape")));
                    }
                    layers.push(FloatLayer {
                        weight_t: weight.t()?.contiguous()?,
                        bias: bias.reshape((1, pair[1]))?,
                    });
                }
                Layers::Tolerance { layers, output: *output_activation }
            }
        };
        Ok(Self { manifest, layers })
    }

    /// Runs the network on one input.
    pub(crate) fn run(&self, input: &ModelInput) -> Result<ModelOutput> {
        let spec = &self.manifest.inputs[0];
        let tensor = input.number_tensor(&spec.name)?;
        tensor.check_shape()?;
        if tensor.shape != spec.shape {
            return Err(InferenceError::MalformedTensor(format!(
                "input '{}' must have shape {:?}, got {:?}",
                spec.name, spec.shape, tensor.shape
            )));
        }
        let out = &self.manifest.outputs[0];
        let decimals = out.decimals.unwrap_or(6);
        let values = match &self.layers {
            Layers::Exact { scale_bits, layers } => {
                let mut x: Vec<i64> =
                    tensor.values.iter().map(|n| n.to_fixed(*scale_bits)).collect::<Result<_>>()?;
                for (i, layer) in layers.iter().enumerate() {
                    x = layer.forward(&x, i + 1 < layers.len())?;
                }
                x.iter().map(|v| Number::from_fixed(*v, *scale_bits, decimals)).collect()
            }
            Layers::Tolerance { layers, output } => {
                let x: Vec<f32> =
                    tensor.values.iter().map(Number::to_f32).collect::<Result<_>>()?;
                let mut x = Tensor::from_vec(x, (1, spec.elements()), &Device::Cpu)?;
                for (i, layer) in layers.iter().enumerate() {
                    x = x.matmul(&layer.weight_t)?.broadcast_add(&layer.bias)?;
                    if i + 1 < layers.len() {
                        x = x.relu()?;
                    }
                }
                if *output == Activation::Sigmoid {
                    x = (x.neg()?.exp()? + 1.0)?.recip()?;
                }
                let y: Vec<f32> = x.flatten_all()?.to_vec1()?;
                if y.iter().any(|v| !v.is_finite()) {
                    return Err(InferenceError::Execution("non-finite output".into()));
                }
                y.iter().map(|v| Number::from_f32(*v, decimals)).collect()
            }
        };
        let output =
            MultiDimensionalNumberTensor::new(out.name.clone(), values, out.shape.clone())?;
        Ok(ModelOutput::numbers(vec![output]))
    }

    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl ExactLayer {
    fn new(
        manifest: &Manifest,
        widths: &[usize],
        weight: &[Vec<i32>],
        bias: &[i32],
        shift: &[i32],
    ) -> Result<Self> {
        let (inputs, outputs) = (widths[0], widths[1]);
        if weight.len() != outputs || weight.iter().any(|row| row.len() != inputs) {
            return Err(invalid(manifest, "exact weight has the wrong shape"));
        }
        let shift = match shift {
            [s] if (0..=30).contains(s) => *s as u32,
            _ => return Err(invalid(manifest, "exact layer needs one shift in 0..=30")),
        };
        if bias.len() != outputs {
            return Err(invalid(manifest, "exact bias has the wrong length"));
        }
        let mut transposed = vec![0f64; inputs * outputs];
        for (o, row) in weight.iter().enumerate() {
            for (i, w) in row.iter().enumerate() {
                transposed[i * outputs + o] = f64::from(*w);
            }
        }
        let max_weight = weight.iter().flatten().map(|w| i128::from(*w).abs()).max().unwrap_or(0);
        let max_bias = bias.iter().map(|b| i128::from(*b).abs()).max().unwrap_or(0);
        Ok(Self {
            weight_t: Tensor::from_vec(transposed, (inputs, outputs), &Device::Cpu)?,
            bias: bias.iter().map(|b| i64::from(*b)).collect(),
            shift,
            max_weight,
            max_bias,
        })
    }

    fn forward(&self, x: &[i64], relu: bool) -> Result<Vec<i64>> {
        let mass: i128 = x.iter().map(|v| i128::from(*v).abs()).sum();
        if mass * self.max_weight + self.max_bias >= EXACT_LIMIT {
            return Err(InferenceError::MalformedTensor(
                "input magnitude is outside the range this exact model computes exactly".into(),
            ));
        }
        let xs: Vec<f64> = x.iter().map(|v| *v as f64).collect();
        let acc = Tensor::from_vec(xs, (1, x.len()), &Device::Cpu)?.matmul(&self.weight_t)?;
        let acc: Vec<f64> = acc.flatten_all()?.to_vec1()?;
        Ok(acc
            .iter()
            .zip(&self.bias)
            .map(|(a, b)| {
                // `a` is an exact integer below 2^52; `>>` on i64 is a floor division by 2^shift.
                let y = (*a as i64 + b) >> self.shift;
                if relu { y.max(0) } else { y }
            })
            .collect())
    }
}
