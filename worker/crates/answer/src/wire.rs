//! The JSON that travels between pipe-node, the coordinator and the workers.
//!
//! | hop | route | body → answer |
//! |---|---|---|
//! | node → coordinator | `POST /v1/pipe/answers` | [`AnswersRequest`] → [`AnswersReply`] |
//! | coordinator → worker | `POST /v1/pipe/answer` | [`AnswerRequest`] → [`SignedAnswer`] |

use std::sync::Arc;

use alloy::primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};
use verigrad_contracts::PipeAnswer;
use verigrad_pipe::{Answer, BoundTwin, PipeFailure, Resolution, output_hash};

/// What the node asks the coordinator: `quorum` signed answers to one request, within `timeout_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswersRequest {
    /// The request, for each worker.
    #[serde(flatten)]
    pub request: AnswerRequest,
    /// How many workers must answer (distinct workers).
    pub quorum: u32,
    /// How long the coordinator may wait for them, in milliseconds.
    pub timeout_ms: u64,
}

/// The answers the coordinator gathered (possibly fewer than asked), and why the others failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswersReply {
    /// The signed answers, in the order they arrived.
    pub answers: Vec<SignedAnswer>,
    /// What went wrong with the workers that did not answer, one line each.
    pub errors: Vec<String>,
}

/// What a worker is asked: run the precompile call `request` on release `release_id` for chain
/// `chain_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerRequest {
    /// The chain whose PIPE asks (the EIP-712 domain's chain id).
    pub chain_id: u64,
    /// The release the model reference names there.
    pub release_id: B256,
    /// The precompile's call data: `runModelInference(...)` with its selector.
    pub request: Bytes,
    /// For a `twin:<id>` request, the twin as the node read its binding (`release_id` is then the
    /// bound release); absent for any other request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin: Option<TwinPart>,
}

/// The twin a `twin:<id>` request is answered as: the worker runs `invoke_twin` with this profile
/// around the request's release, and the answer names the twin, the release and the profile's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwinPart {
    /// The twin's `agentId`.
    pub id: u64,
    /// Its profile document's bytes, whose `keccak256` the binding pins.
    pub profile: Bytes,
}

impl TwinPart {
    /// What the node sends of `bound`.
    pub fn of(bound: &BoundTwin) -> Self {
        Self { id: bound.twin.id, profile: bound.profile.clone() }
    }
}

/// A worker's answer: the output (or the failure) it got, signed over
/// `PipeAnswer(request id, release id, output hash)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedAnswer {
    /// The worker, as registered.
    pub worker: Address,
    /// The request's id.
    pub request_id: B256,
    /// The release run.
    pub release_id: B256,
    /// Whether the model answered; if not, `data` is the failure's revert data.
    pub answered: bool,
    /// `runModelInference`'s return data, or the failure's revert data.
    pub data: Bytes,
    /// The EIP-712 signature of `PipeAnswer`, 65 bytes.
    pub signature: Bytes,
}

/// Why a signed answer cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The output does not decode.
    #[error("worker {worker}: the output does not decode: {reason}")]
    Output {
        /// Who sent it.
        worker: Address,
        /// Why.
        reason: String,
    },
    /// The failure is no PIPE error.
    #[error("worker {0}: the failure is no PIPE error")]
    Failure(Address),
}

impl SignedAnswer {
    /// The answer's content before it is signed: what `resolution` says, as a worker sends it.
    pub fn unsigned(
        worker: Address,
        request_id: B256,
        release_id: B256,
        resolution: &Resolution,
    ) -> Self {
        let (answered, data) = match resolution {
            Ok(answer) => (true, answer.encoded.clone()),
            Err(failure) => (false, failure.revert_data()),
        };
        Self { worker, request_id, release_id, answered, data, signature: Bytes::new() }
    }

    /// What it says, with `cost_units` for the gas of an answer.
    pub fn resolution(&self, cost_units: u64) -> Result<Resolution, WireError> {
        if self.answered {
            let answer: Arc<Answer> = Answer::decode(&self.data, cost_units, None)
                .map_err(|e| WireError::Output { worker: self.worker, reason: e.to_string() })?;
            return Ok(Ok(answer));
        }
        PipeFailure::from_revert_data(&self.data).map(Err).ok_or(WireError::Failure(self.worker))
    }

    /// The statement its signature covers, for the output hash of `resolution` (what
    /// [`Self::resolution`] read).
    pub fn statement(&self, resolution: &Resolution) -> PipeAnswer {
        PipeAnswer {
            requestId: self.request_id,
            releaseId: self.release_id,
            outputHash: output_hash(resolution),
        }
    }
}
