//! The encoder's kernels on plain `f32` slices, each computing a row of its output from the same row
//! of its input only, in an order that does not depend on how many rows there are or where a row sits.
//! That is what lets sentences share a batch without changing one bit of each other's results.
//!
//! The matrix product is the hot spot (about 95 % of the floating-point work). On x86-64 with AVX2 and
//! FMA it runs a 6 × 16 register-blocked kernel over weights packed once at load; elsewhere a scalar
//! loop with [`f32::mul_add`]. Both compute every output as one fused multiply-add chain over the
//! inputs in index order, then add the bias, and since a fused multiply-add is rounded once by
//! definition, the two give the same bits.

/// Output columns per packed panel: two AVX registers.
const PANEL: usize = 16;
/// Rows per register tile: 6 × 2 accumulators, 2 weight vectors and a broadcast fill 15 of the 16
/// AVX registers.
const TILE_ROWS: usize = 6;
/// Rows of input multiplied against every panel before the next rows are read: 48 rows of the widest
/// input (1,536 floats) are 288 KiB, so they stay in a 512 KiB L2 cache while the panels stream past.
const CHUNK_ROWS: usize = 8 * TILE_ROWS;

/// A dense layer, `y = x · Wᵀ + b`, with `W` packed for the kernel.
pub(super) struct Linear {
    inputs: usize,
    outputs: usize,
    /// `Wᵀ` in panels of [`PANEL`] output columns, each panel `inputs × PANEL` floats row by row; the
    /// last panel is padded with zero columns, which are never stored.
    packed: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// Packs a torch-layout weight (`outputs × inputs`, row-major) and its bias.
    pub(super) fn new(weight: &[f32], bias: Vec<f32>, inputs: usize) -> Self {
        let outputs = bias.len();
        assert_eq!(weight.len(), outputs * inputs, "weight shape");
        let panels = outputs.div_ceil(PANEL);
        let mut packed = vec![0f32; panels * inputs * PANEL];
        for (o, row) in weight.chunks_exact(inputs).enumerate() {
            let panel = &mut packed[(o / PANEL) * inputs * PANEL..][..inputs * PANEL];
            for (k, w) in row.iter().enumerate() {
                panel[k * PANEL + o % PANEL] = *w;
            }
        }
        Self { inputs, outputs, packed, bias }
    }

    pub(super) fn outputs(&self) -> usize {
        self.outputs
    }

    /// `out = x · Wᵀ + b` for `x` of `rows × inputs` and `out` of `rows × outputs`, both row-major.
    pub(super) fn forward(&self, x: &[f32], out: &mut [f32]) {
        let rows = x.len() / self.inputs;
        assert_eq!(x.len(), rows * self.inputs, "input shape");
        assert_eq!(out.len(), rows * self.outputs, "output shape");
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked above); the shapes were checked above.
            unsafe { avx2::forward(self, x, out) };
            return;
        }
        self.forward_scalar(x, out);
    }

    /// The portable kernel: the same fused chains in the same order as the AVX2 one.
    fn forward_scalar(&self, x: &[f32], out: &mut [f32]) {
        for (x, out) in x.chunks_exact(self.inputs).zip(out.chunks_exact_mut(self.outputs)) {
            for (o, y) in out.iter_mut().enumerate() {
                let panel = &self.packed[(o / PANEL) * self.inputs * PANEL..];
                let dot = x
                    .iter()
                    .enumerate()
                    .fold(0f32, |acc, (k, x)| x.mul_add(panel[k * PANEL + o % PANEL], acc));
                *y = dot + self.bias[o];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{CHUNK_ROWS, Linear, PANEL, TILE_ROWS};

    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA; `x` holds `rows × inputs` floats and `out` `rows × outputs`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn forward(linear: &Linear, x: &[f32], out: &mut [f32]) {
        let (k, n) = (linear.inputs, linear.outputs);
        let rows = x.len() / k;
        for chunk in (0..rows).step_by(CHUNK_ROWS) {
            let chunk_end = (chunk + CHUNK_ROWS).min(rows);
            for (p, panel) in linear.packed.chunks_exact(k * PANEL).enumerate() {
                let col = p * PANEL;
                let width = (n - col).min(PANEL);
                let bias = &linear.bias[col..col + width];
                let mut row = chunk;
                while row < chunk_end {
                    let x = &x[row * k..];
                    let out = &mut out[row * n + col..];
                    // SAFETY: each tile reads `tile_rows` rows of `k` inputs from `x` and writes
                    // `width` columns of as many rows of `out`, all inside the checked shapes.
                    unsafe {
                        match chunk_end - row {
                            1 => tile::<1>(x, k, panel, bias, out, n),
                            2 => tile::<2>(x, k, panel, bias, out, n),
                            3 => tile::<3>(x, k, panel, bias, out, n),
                            4 => tile::<4>(x, k, panel, bias, out, n),
                            5 => tile::<5>(x, k, panel, bias, out, n),
                            _ => tile::<TILE_ROWS>(x, k, panel, bias, out, n),
                        }
                    }
                    row += TILE_ROWS;
                }
            }
        }
    }

    /// `R` rows × one panel: every output is `fma` over `k` in order from zero, then `+ bias`.
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `x` holds at least `R` rows of stride `k`, `panel` is `k × PANEL` floats, and
    /// `out` holds `R` rows of stride `n` from the first column written, each `bias.len()` wide.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const R: usize>(
        x: &[f32],
        k: usize,
        panel: &[f32],
        bias: &[f32],
        out: &mut [f32],
        n: usize,
    ) {
        debug_assert!(x.len() >= (R - 1) * k + k && panel.len() == k * PANEL);
        debug_assert!(out.len() >= (R - 1) * n + bias.len());
        let (x, w) = (x.as_ptr(), panel.as_ptr());
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        for i in 0..k {
            // SAFETY: `i < k`, so the panel row and each of the `R` input rows are in bounds.
            unsafe {
                let w0 = _mm256_loadu_ps(w.add(i * PANEL));
                let w1 = _mm256_loadu_ps(w.add(i * PANEL + 8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let v = _mm256_broadcast_ss(&*x.add(r * k + i));
                    acc[0] = _mm256_fmadd_ps(v, w0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(v, w1, acc[1]);
                }
            }
        }
        let mut row = [0f32; PANEL];
        for (r, acc) in acc.iter().enumerate() {
            // SAFETY: `row` holds two vectors of 8.
            unsafe {
                _mm256_storeu_ps(row.as_mut_ptr(), acc[0]);
                _mm256_storeu_ps(row.as_mut_ptr().add(8), acc[1]);
            }
            let out = &mut out[r * n..][..bias.len()];
            for ((y, dot), b) in out.iter_mut().zip(row).zip(bias) {
                *y = dot + b;
            }
        }
    }
}

/// `x ← LayerNorm(x + residual)` row by row (`width` wide), with the layer's scale and shift: the
/// "add & norm" after attention and after the feed-forward block, or the embeddings' norm when
/// `residual` is `None`.
pub(super) fn add_layer_norm(
    x: &mut [f32],
    residual: Option<&[f32]>,
    scale: &[f32],
    shift: &[f32],
    eps: f32,
) {
    let width = scale.len();
    if let Some(residual) = residual {
        x.iter_mut().zip(residual).for_each(|(x, r)| *x += r);
    }
    for row in x.chunks_exact_mut(width) {
        let mean = sum_of(row, |x| x) / width as f32;
        let var = sum_of(row, |x| (x - mean) * (x - mean)) / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((x, g), b) in row.iter_mut().zip(scale).zip(shift) {
            *x = (*x - mean) * inv * g + b;
        }
    }
}

/// The sum of `f` over `xs` in eight running sums, added in a fixed order at the end: a sum the
/// compiler can vectorise (it may not reorder one running float sum) that is the same on every call.
#[inline(always)]
fn sum_of(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut s = [0f32; 8];
    let mut chunks = xs.chunks_exact(8);
    for chunk in &mut chunks {
        s.iter_mut().zip(chunk).for_each(|(s, x)| *s += f(*x));
    }
    s.iter_mut().zip(chunks.remainder()).for_each(|(s, x)| *s += f(*x));
    ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

/// `x ← GELU(x) = x/2 · (1 + erf(x/√2))`, the exact (erf) form BERT was trained with.
pub(super) fn gelu(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        unsafe { gelu_avx2(x) };
        return;
    }
    gelu_each(x);
}

/// The same loop compiled for AVX2, so that it runs 8 lanes wide (same operations, same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gelu_avx2(x: &mut [f32]) {
    gelu_each(x);
}

#[inline(always)]
fn gelu_each(x: &mut [f32]) {
    x.iter_mut().for_each(|x| *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2)));
}

/// erf in single precision as a rational function of x (Eigen's and XLA's `erf` for `f32`): within
/// 5e-7 of the true value (6.5e-8 in exact arithmetic; the rest is `f32` rounding), and without
/// branches, so a loop of it vectorises. libm's `erff` is ten
/// times slower here, and GELU runs on 1,536 values per token per layer.
#[inline(always)]
fn erf(x: f32) -> f32 {
    // Beyond ±4, erf is ±1 in single precision.
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = x2 * p + -2.101_024e-6;
    p = x2 * p + -5.692_506_4e-5;
    p = x2 * p + -7.349_906_3e-4;
    p = x2 * p + -2.954_6e-3;
    p = x2 * p + -1.609_603_3e-2;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = x2 * q + -1.682_827e-3;
    q = x2 * q + -7.373_329_2e-3;
    q = x2 * q + -1.426_473_9e-2;
    x * p / q
}

/// Softmax of each `width`-wide row in place.
#[inline(always)]
pub(super) fn softmax_rows(x: &mut [f32], width: usize) {
    for row in x.chunks_exact_mut(width) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.iter_mut().for_each(|x| *x = (*x - max).exp());
        let inv = 1.0 / sum_of(row, |x| x);
        row.iter_mut().for_each(|x| *x *= inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of values in about [-1, 1].
    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) ^ seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn linear_matches_the_definition_and_ignores_its_neighbours() {
        // Widths that exercise a partial panel and every tile height.
        for (inputs, outputs) in [(7, 5), (384, 40), (33, 16)] {
            let weight = values(inputs * outputs, 1);
            let bias = values(outputs, 2);
            let linear = Linear::new(&weight, bias.clone(), inputs);
            let rows = 2 * CHUNK_ROWS + 5;
            let x = values(rows * inputs, 3);
            let mut all = vec![0f32; rows * outputs];
            linear.forward(&x, &mut all);
            for r in 0..rows {
                let mut alone = vec![0f32; outputs];
                linear.forward(&x[r * inputs..][..inputs], &mut alone);
                assert_eq!(alone, all[r * outputs..][..outputs], "row {r} depends on its batch");
                for o in 0..outputs {
                    let exact: f64 = (0..inputs)
                        .map(|k| f64::from(x[r * inputs + k]) * f64::from(weight[o * inputs + k]))
                        .sum::<f64>()
                        + f64::from(bias[o]);
                    assert!(
                        (exact - f64::from(alone[o])).abs() < 1e-4,
                        "{inputs}x{outputs} [{r},{o}]"
                    );
                }
            }
            let mut scalar = vec![0f32; rows * outputs];
            linear.forward_scalar(&x, &mut scalar);
            assert_eq!(scalar, all, "the portable kernel gives the same bits");
        }
    }

    #[test]
    fn erf_is_within_5e_7() {
        let worst = (-60_000..=60_000)
            .map(|i| i as f32 / 10_000.0)
            .map(|x| (f64::from(erf(x)) - libm::erf(f64::from(x))).abs())
            .fold(0.0, f64::max);
        assert!(worst < 5e-7, "erf is off by {worst}");
    }

    #[test]
    fn layer_norm_and_softmax_normalise() {
        let mut x = values(3 * 384, 4);
        add_layer_norm(&mut x, None, &[1.0; 384], &[0.0; 384], 1e-12);
        for row in x.chunks(384) {
            let mean: f64 = row.iter().map(|x| f64::from(*x)).sum::<f64>() / 384.0;
            let var: f64 = row.iter().map(|x| (f64::from(*x) - mean).powi(2)).sum::<f64>() / 384.0;
            assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "mean {mean}, var {var}");
        }
        let mut p = values(4 * 9, 5);
        softmax_rows(&mut p, 9);
        for row in p.chunks(9) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6 && row.iter().all(|p| *p > 0.0));
        }
    }
}
