//! A decoded PIPE request, its id, and the ways it can fail.

use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolType, SolValue, sol, sol_data};
use verigrad_inference::{InferenceError, ModelInput, runModelInferenceCall};

sol! {
    /// No model answers to `modelCID`.
    error PipeUnknownModel(string modelCID);
    /// An input tensor is missing, mis-shaped, or out of the model's range.
    error PipeMalformedTensor(string reason);
    /// The model failed or timed out, or the mode's requirement was not met.
    error PipeInferenceFailed(string reason);
    /// The calling contract's prepaid balance in the PipeSettlement (less what this block already
    /// charged it) does not cover the release's price.
    error PipeInsufficientBalance(address payer, uint256 price, uint256 available);
}

/// The verification mode a request asks for (`ModelInferenceMode` in Solidity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Executed by the block producer's runtime; re-executed by validators.
    Vanilla,
    /// EXACT models only: every validator recomputes the output bit for bit.
    Zkml,
    /// A result backed by a staked worker quorum.
    Tee,
}

impl TryFrom<u8> for Mode {
    type Error = PipeFailure;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(Self::Vanilla),
            1 => Ok(Self::Zkml),
            2 => Ok(Self::Tee),
            other => Err(PipeFailure::Malformed(format!("mode {other} is not 0, 1 or 2"))),
        }
    }
}

/// A decoded call to the precompile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeRequest {
    /// Verification mode.
    pub mode: Mode,
    /// The raw mode byte, as hashed.
    mode_byte: u8,
    /// The model reference (package id as hex, or `name@version`).
    pub model: String,
    /// The input tensors.
    pub input: ModelInput,
    /// `keccak256(abi.encode(mode, modelCID, input))`: the cache key and the event's inference id.
    pub id: B256,
    /// The call data it was decoded from.
    calldata: Bytes,
}

impl PipeRequest {
    /// Decodes precompile call data (`runModelInference(...)` with its selector).
    pub fn decode(calldata: &[u8]) -> Result<Self, PipeFailure> {
        let call = runModelInferenceCall::abi_decode(calldata)
            .map_err(|e| PipeFailure::Malformed(format!("not a runModelInference call: {e}")))?;
        let request = call.request;
        let mode = Mode::try_from(request.mode)?;
        // The id is `keccak256(abi.encode(mode, modelCID, input))`. Canonical call data (what a compiler
        // emits) is the selector, the offset 0x20, then exactly that encoding, so hash it in place;
        // re-encode only a call that arrived in another layout.
        let canonical = calldata.len() == 4 + request.abi_encoded_size()
            && calldata
                .get(4..36)
                .is_some_and(|word| U256::from_be_slice(word) == U256::from(0x20));
        let id = if canonical {
            keccak256(&calldata[36..])
        } else {
            type Hashed = (sol_data::Uint<8>, sol_data::String, ModelInput);
            keccak256(Hashed::abi_encode_params(&(
                request.mode,
                request.modelCID.clone(),
                request.input.clone(),
            )))
        };
        Ok(Self {
            mode,
            mode_byte: request.mode,
            model: request.modelCID,
            input: request.input,
            id,
            calldata: Bytes::copy_from_slice(calldata),
        })
    }

    /// Number of input elements (numbers, and bytes of strings), for gas.
    pub fn elements(&self) -> u64 {
        let numbers: usize = self.input.numbers.iter().map(|t| t.values.len()).sum();
        let strings: usize = self
            .input
            .strings
            .iter()
            .flat_map(|t| t.values.iter())
            .map(|s| s.len().div_ceil(32))
            .sum();
        (numbers + strings) as u64
    }

    /// The mode byte as the caller sent it.
    pub fn mode_byte(&self) -> u8 {
        self.mode_byte
    }

    /// The call data it was decoded from: a [`ResultCache`](crate::ResultCache) finds the request's
    /// result by these bytes without decoding them again.
    pub fn calldata(&self) -> &Bytes {
        &self.calldata
    }
}

/// Why a request was not answered. Each kind reverts with its own Solidity custom error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipeFailure {
    /// No such model.
    #[error("unknown model '{0}'")]
    UnknownModel(String),
    /// Bad call data or input tensors.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The model failed, timed out, or the result is not available.
    #[error("inference failed: {0}")]
    Failed(String),
}

impl PipeFailure {
    /// The revert data: the ABI encoding of the matching custom error.
    pub fn revert_data(&self) -> Bytes {
        match self {
            Self::UnknownModel(model) => PipeUnknownModel { modelCID: model.clone() }.abi_encode(),
            Self::Malformed(reason) => PipeMalformedTensor { reason: reason.clone() }.abi_encode(),
            Self::Failed(reason) => PipeInferenceFailed { reason: reason.clone() }.abi_encode(),
        }
        .into()
    }
}

impl PipeFailure {
    /// The failure whose revert data these are, if they are a PIPE error.
    pub fn from_revert_data(data: &[u8]) -> Option<Self> {
        if let Ok(e) = PipeUnknownModel::abi_decode(data) {
            Some(Self::UnknownModel(e.modelCID))
        } else if let Ok(e) = PipeMalformedTensor::abi_decode(data) {
            Some(Self::Malformed(e.reason))
        } else if let Ok(e) = PipeInferenceFailed::abi_decode(data) {
            Some(Self::Failed(e.reason))
        } else {
            None
        }
    }
}

impl From<InferenceError> for PipeFailure {
    fn from(e: InferenceError) -> Self {
        match e {
            InferenceError::UnknownModel(model) => Self::UnknownModel(model),
            InferenceError::MalformedTensor(reason) => Self::Malformed(reason),
            other => Self::Failed(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolCall;
    use verigrad_inference::{
        ModelInferenceRequest, MultiDimensionalNumberTensor, Number, runModelInferenceCall,
    };

    use super::*;

    /// The id of `(2, "verigrad/risk", {numbers: [{"x", [(-5, 1)], [1, 1]}], strings: []})`.
    const SHARED_VECTOR_ID: &str =
        "0x20f206d6f1de74379b859f0e19ee17fe09ea9ea4fcf38d7facbee39f0c0a7f6e";

    #[test]
    fn the_id_hashed_in_place_is_the_solidity_encoding() {
        let tensor = MultiDimensionalNumberTensor::new("x", vec![Number::new(-5, 1)], vec![1, 1])
            .expect("tensor");
        let request = ModelInferenceRequest {
            mode: 2,
            modelCID: "verigrad/risk".into(),
            input: ModelInput::numbers(vec![tensor]),
        };
        let calldata = runModelInferenceCall { request: request.clone() }.abi_encode();
        let decoded = PipeRequest::decode(&calldata).expect("decodes");
        type Hashed = (sol_data::Uint<8>, sol_data::String, ModelInput);
        let solidity =
            keccak256(Hashed::abi_encode_params(&(request.mode, request.modelCID, request.input)));
        assert_eq!(decoded.id, solidity);
        assert_eq!(
            decoded.id.to_string(),
            SHARED_VECTOR_ID,
            "test/pipe/Examples.t.sol pins the same id"
        );
        assert_eq!(decoded.mode, Mode::Tee);
    }
}
