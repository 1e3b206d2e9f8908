//! Weight files: safetensors, written in one canonical byte order so a package's id is reproducible.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};

use crate::{InferenceError, Result};

/// A weight tensor to be written.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightData {
    /// 32-bit signed integers (exact models).
    I32(Vec<i32>),
    /// 32-bit floats (tolerance models).
    F32(Vec<f32>),
}

/// Serializes tensors as safetensors: tensors in name order, header keys sorted, no metadata, the header
/// padded with spaces to 8 bytes. The same tensors always give the same bytes.
pub fn to_safetensors(tensors: &BTreeMap<String, (Vec<usize>, WeightData)>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, (shape, values)) in tensors {
        let start = data.len();
        let dtype = match values {
            WeightData::I32(v) => {
                v.iter().for_each(|x| data.extend_from_slice(&x.to_le_bytes()));
                "I32"
            }
            WeightData::F32(v) => {
                v.iter().for_each(|x| data.extend_from_slice(&x.to_le_bytes()));
                "F32"
            }
        };
        header.insert(
            name.clone(),
            serde_json::json!({ "dtype": dtype, "shape": shape, "data_offsets": [start, data.len()] }),
        );
    }
    // serde_json's map is ordered by key (no `preserve_order` feature), so the header is canonical.
    let mut header = serde_json::Value::Object(header).to_string().into_bytes();
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&header);
    out.extend_from_slice(&data);
    out
}

/// Reads safetensors bytes into CPU tensors.
pub fn from_safetensors(bytes: &[u8]) -> Result<BTreeMap<String, Tensor>> {
    let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
        .map_err(|e| InferenceError::InvalidPackage(format!("weights: {e}")))?;
    Ok(tensors.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_canonical() {
        let mut tensors = BTreeMap::new();
        tensors.insert("b".to_string(), (vec![2], WeightData::F32(vec![0.5, -1.0])));
        tensors.insert("a".to_string(), (vec![1, 3], WeightData::I32(vec![1, -2, 3])));
        let bytes = to_safetensors(&tensors);
        assert_eq!(bytes, to_safetensors(&tensors.clone()), "same tensors, same bytes");
        let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        assert_eq!(header_len % 8, 0);

        let loaded = from_safetensors(&bytes).expect("loads");
        assert_eq!(loaded["a"].to_vec2::<i32>().expect("i32"), vec![vec![1, -2, 3]]);
        assert_eq!(loaded["b"].to_vec1::<f32>().expect("f32"), vec![0.5, -1.0]);
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            from_safetensors(b"not safetensors"),
            Err(InferenceError::InvalidPackage(_))
        ));
    }
}
