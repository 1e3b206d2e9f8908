//! A BERT encoder (Hugging Face `BertModel`, absolute positions, erf GELU) over a ragged batch: the
//! tokens of all sentences stacked into one `[tokens, hidden]` matrix for the dense layers and the
//! norms, which treat every token alike, and attention run per sentence over its own tokens only.
//! No sentence is padded, and no sentence's floats depend on the others (see [`super::kernels`]).

use std::collections::BTreeMap;

use candle_core::{DType, Tensor};
use serde::Deserialize;

use super::kernels::{Linear, add_layer_norm, gelu, softmax_rows};
use crate::Result;

/// The fields of a Hugging Face BERT `config.json` that the encoder reads.
#[derive(Debug, Deserialize)]
pub(super) struct Config {
    vocab_size: usize,
    pub(super) hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    hidden_act: String,
    pub(super) max_position_embeddings: usize,
    type_vocab_size: usize,
    layer_norm_eps: f64,
    #[serde(default = "absolute")]
    position_embedding_type: String,
}

fn absolute() -> String {
    "absolute".into()
}

/// A LayerNorm's scale and shift.
struct Norm {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

/// One encoder layer.
struct Layer {
    /// Query, key and value projections as one `hidden → 3·hidden` layer: the same products as three.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

/// The encoder, its weights unpacked from the package's safetensors.
pub(super) struct Bert {
    hidden: usize,
    heads: usize,
    eps: f32,
    vocab: usize,
    /// `vocab × hidden`.
    word: Vec<f32>,
    /// `max_positions × hidden`.
    position: Vec<f32>,
    /// Row 0 of the token-type embeddings: every token is of type 0 (one segment).
    token_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Builds the encoder from its configuration and weights, or says what does not fit.
    pub(super) fn load(
        config: &Config,
        tensors: &BTreeMap<String, Tensor>,
    ) -> std::result::Result<Self, String> {
        let hidden = config.hidden_size;
        if config.hidden_act != "gelu" || config.position_embedding_type != "absolute" {
            return Err("only erf GELU and absolute positions are supported".into());
        }
        if config.num_attention_heads == 0 || !hidden.is_multiple_of(config.num_attention_heads) {
            return Err("hidden_size is not a multiple of num_attention_heads".into());
        }
        let weights = Weights(tensors);
        let vector = |name: &str, len: usize| weights.get(name, &[len]);
        let norm = |prefix: &str| -> std::result::Result<Norm, String> {
            // Older checkpoints name a LayerNorm's parameters gamma and beta.
            let either = |new: &str, old: &str| {
                vector(&format!("{prefix}.{new}"), hidden)
                    .or_else(|_| vector(&format!("{prefix}.{old}"), hidden))
            };
            Ok(Norm { scale: either("weight", "gamma")?, shift: either("bias", "beta")? })
        };
        let linear = |prefixes: &[String], inputs: usize, outputs: usize| {
            let mut weight = Vec::with_capacity(prefixes.len() * outputs * inputs);
            let mut bias = Vec::with_capacity(prefixes.len() * outputs);
            for prefix in prefixes {
                weight.extend(weights.get(&format!("{prefix}.weight"), &[outputs, inputs])?);
                bias.extend(vector(&format!("{prefix}.bias"), outputs)?);
            }
            Ok::<_, String>(Linear::new(&weight, bias, inputs))
        };
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let at = |name: &str| format!("encoder.layer.{i}.{name}");
                let qkv = ["query", "key", "value"].map(|p| at(&format!("attention.self.{p}")));
                Ok(Layer {
                    qkv: linear(&qkv, hidden, hidden)?,
                    attention_out: linear(&[at("attention.output.dense")], hidden, hidden)?,
                    attention_norm: norm(&at("attention.output.LayerNorm"))?,
                    intermediate: linear(
                        &[at("intermediate.dense")],
                        hidden,
                        config.intermediate_size,
                    )?,
                    output: linear(&[at("output.dense")], config.intermediate_size, hidden)?,
                    output_norm: norm(&at("output.LayerNorm"))?,
                })
            })
            .collect::<std::result::Result<_, String>>()?;
        let token_types = weights
            .get("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, hidden])?;
        Ok(Self {
            hidden,
            heads: config.num_attention_heads,
            eps: config.layer_norm_eps as f32,
            vocab: config.vocab_size,
            word: weights.get("embeddings.word_embeddings.weight", &[config.vocab_size, hidden])?,
            position: weights.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, hidden],
            )?,
            token_type: token_types.get(..hidden).ok_or("no token types")?.to_vec(),
            norm: norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    /// The last layer's states of every token of every sentence, `[Σ tokens, hidden]` row-major, in
    /// the order given. `check` runs before each layer and may end the run (a deadline).
    pub(super) fn forward(
        &self,
        sentences: &[&[u32]],
        check: impl Fn() -> Result<()>,
    ) -> Result<Vec<f32>> {
        let h = self.hidden;
        let tokens: usize = sentences.iter().map(|s| s.len()).sum();
        let mut states = Vec::with_capacity(tokens * h);
        for ids in sentences {
            for (position, id) in ids.iter().enumerate() {
                let id = *id as usize;
                if id >= self.vocab || (position + 1) * h > self.position.len() {
                    return Err(crate::InferenceError::Execution(format!(
                        "token {id} at position {position} is outside the encoder's tables"
                    )));
                }
                let word = &self.word[id * h..][..h];
                let position = &self.position[position * h..][..h];
                states.extend(
                    word.iter().zip(&self.token_type).zip(position).map(|((w, t), p)| (w + t) + p),
                );
            }
        }
        add_layer_norm(&mut states, None, &self.norm.scale, &self.norm.shift, self.eps);

        let intermediate = self.layers.first().map_or(0, |l| l.intermediate.outputs());
        let mut qkv = vec![0f32; tokens * 3 * h];
        let mut context = vec![0f32; tokens * h];
        let mut wide = vec![0f32; tokens * intermediate];
        let mut next = vec![0f32; tokens * h];
        for layer in &self.layers {
            check()?;
            layer.qkv.forward(&states, &mut qkv);
            let mut start = 0;
            for ids in sentences {
                self.attend(
                    &qkv[start * 3 * h..][..ids.len() * 3 * h],
                    &mut context[start * h..][..ids.len() * h],
                );
                start += ids.len();
            }
            layer.attention_out.forward(&context, &mut next);
            let norm = &layer.attention_norm;
            add_layer_norm(&mut next, Some(&states), &norm.scale, &norm.shift, self.eps);
            std::mem::swap(&mut states, &mut next);

            layer.intermediate.forward(&states, &mut wide);
            gelu(&mut wide);
            layer.output.forward(&wide, &mut next);
            let norm = &layer.output_norm;
            add_layer_norm(&mut next, Some(&states), &norm.scale, &norm.shift, self.eps);
            std::mem::swap(&mut states, &mut next);
        }
        Ok(states)
    }

    /// Self-attention of one sentence: `qkv` is its `[tokens, 3·hidden]` projections, `context` its
    /// `[tokens, hidden]` output, each head `softmax(q·kᵀ / √d) · v` over this sentence's tokens only.
    fn attend(&self, qkv: &[f32], context: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            unsafe { self.attend_avx2(qkv, context) };
            return;
        }
        self.attend_each(qkv, context);
    }

    /// [`Self::attend`] compiled for AVX2, so that its loops run 8 lanes wide (same operations, same
    /// bits).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn attend_avx2(&self, qkv: &[f32], context: &mut [f32]) {
        self.attend_each(qkv, context);
    }

    #[inline(always)]
    fn attend_each(&self, qkv: &[f32], context: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let n = qkv.len() / (3 * h);
        let scale = 1.0 / (d as f32).sqrt();
        let mut scores = vec![0f32; n * n];
        // This head's keys transposed, `d × n`: a row of scores is then `d` multiply-adds of `n`
        // contiguous floats (vectorised across keys) instead of `n` short dot products.
        let mut keys = vec![0f32; d * n];
        for head in 0..self.heads {
            let part =
                |token: usize, which: usize| &qkv[token * 3 * h + which * h + head * d..][..d];
            for j in 0..n {
                part(j, 1).iter().enumerate().for_each(|(c, k)| keys[c * n + j] = *k);
            }
            for (i, row) in scores.chunks_exact_mut(n).enumerate() {
                row.fill(0.0);
                for (q, keys) in part(i, 0).iter().zip(keys.chunks_exact(n)) {
                    let q = q * scale;
                    row.iter_mut().zip(keys).for_each(|(s, k)| *s += q * k);
                }
            }
            softmax_rows(&mut scores, n);
            for (i, weights) in scores.chunks_exact(n).enumerate() {
                let out = &mut context[i * h + head * d..][..d];
                out.fill(0.0);
                for (j, p) in weights.iter().enumerate() {
                    out.iter_mut().zip(part(j, 2)).for_each(|(o, v)| *o += p * v);
                }
            }
        }
    }
}

/// The package's tensors by name, with or without a `bert.` prefix, as `f32`.
struct Weights<'a>(&'a BTreeMap<String, Tensor>);

impl Weights<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> std::result::Result<Vec<f32>, String> {
        let tensor = self
            .0
            .get(name)
            .or_else(|| self.0.get(&format!("bert.{name}")))
            .ok_or_else(|| format!("no tensor {name}"))?;
        if tensor.dims() != shape {
            return Err(format!("{name} has shape {:?}, not {shape:?}", tensor.dims()));
        }
        let values = || tensor.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>();
        values().map_err(|e| format!("{name}: {e}"))
    }
}
