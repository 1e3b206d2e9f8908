//! Running a task's model: its input fetched by commitment, the output stored by its hash, and a
//! seat's output judged against this worker's own execution.

use alloy::{
    primitives::B256,
    sol_types::{SolValue, sol_data},
};
use verigrad_contracts::TaskState;
use verigrad_inference::{
    Determinism, InferenceError, ModelInput, ModelOutput, Runtime, agrees, falsify,
};

use super::Worker;
use verigrad_blobs::BlobError;
use verigrad_task::{INPUT_REJECTED, TaskError};

/// A worker's own answer to a task: the model's output, or the verdict that its input cannot run.
#[derive(Debug)]
pub(super) enum Answer {
    /// The model ran.
    Output {
        /// What it returned.
        output: ModelOutput,
        /// The model's determinism class, which says how other outputs are compared with it.
        determinism: Determinism,
    },
    /// The input cannot be run by anyone; why.
    Rejected(TaskError),
}

impl Answer {
    /// The output hash this answer commits to.
    fn hash(&self) -> B256 {
        match self {
            Self::Output { output, .. } => output.commitment(),
            Self::Rejected(_) => INPUT_REJECTED,
        }
    }
}

impl Worker {
    /// Fetches the task's input by its commitment `input_hash` (checked against it and the size
    /// limit) and runs the model. An input that no worker could run is a [`Answer::Rejected`]; an
    /// error of this worker or its store (unreachable, model not loaded) is an error.
    pub(super) async fn execute(
        &self,
        task: &TaskState,
        input_hash: B256,
    ) -> Result<Answer, TaskError> {
        match self.run_input(task, input_hash).await {
            Ok((output, determinism)) => Ok(Answer::Output { output, determinism }),
            Err(error) if error.rejects_input() => Ok(Answer::Rejected(error)),
            Err(error) => Err(error),
        }
    }

    async fn run_input(
        &self,
        task: &TaskState,
        input_hash: B256,
    ) -> Result<(ModelOutput, Determinism), TaskError> {
        let model = task.model.to_string();
        let runtime = self.runtime.current();
        let determinism = match runtime.manifest(&model) {
            Ok(manifest) => manifest.determinism,
            Err(InferenceError::UnknownModel(_)) => {
                return Err(self.missing_model(task.model).await);
            }
            Err(error) => return Err(error.into()),
        };
        let bytes = self.blobs.get(input_hash).await?;
        let limit = self.options.max_input_bytes;
        if bytes.len() > limit {
            return Err(TaskError::InputTooLarge { size: bytes.len(), limit });
        }
        let input = decode_input(&bytes, &runtime, task.model)?;
        let output = tokio::task::spawn_blocking(move || runtime.run(&model, &input))
            .await
            .map_err(|e| InferenceError::Execution(format!("the model panicked: {e}")))??;
        Ok((output, determinism))
    }

    /// Why this worker cannot run `model`: no store holds its package (nobody can), or this worker
    /// failed to load a package that exists.
    async fn missing_model(&self, model: B256) -> TaskError {
        match self.blobs.manifest(model).await {
            Err(BlobError::NotFound { .. }) => TaskError::ModelUnavailable(model),
            Ok(_) => TaskError::UnknownModel(format!(
                "{model}: served, but not loaded by this worker yet (it loads what it serves within a few seconds)"
            )),
            Err(error) => error.into(),
        }
    }

    /// Computes the task's answer (a wrong output on purpose when `--faulty`), puts an output in
    /// the store, and returns the hash to answer with.
    pub(super) async fn produce(
        &self,
        task: &TaskState,
        input_hash: B256,
    ) -> Result<B256, TaskError> {
        match self.execute(task, input_hash).await? {
            Answer::Output { mut output, .. } => {
                if self.options.faulty {
                    falsify(&mut output);
                    tracing::warn!(task = %task.id, "--faulty: answering a wrong output");
                }
                // The store names a blob by its keccak: the canonical bytes' hash is the commitment.
                Ok(self.blobs.put(output.canonical_bytes()).await?)
            }
            Answer::Rejected(reason) => {
                tracing::warn!(task = %task.id, %reason, "input rejected: answering INPUT_REJECTED");
                Ok(INPUT_REJECTED)
            }
        }
    }

    /// Whether the output a seat revealed as `hash` agrees with this worker's own answer: a
    /// rejection only with a rejection; exact outputs by hash; tolerance outputs fetched from the
    /// store and compared within ε. An output nobody can fetch or decode is not accepted.
    pub(super) async fn accepts(&self, mine: &Answer, hash: B256) -> bool {
        let (output, determinism) = match mine {
            Answer::Rejected(_) => return hash == INPUT_REJECTED,
            Answer::Output { output, determinism } => (output, *determinism),
        };
        if mine.hash() == hash {
            return true;
        }
        if hash == INPUT_REJECTED || matches!(determinism, Determinism::Exact { .. }) {
            return false;
        }
        match self.blobs.get(hash).await.map(|bytes| ModelOutput::abi_decode(&bytes)) {
            Ok(Ok(theirs)) => agrees(determinism, output, &theirs),
            Ok(Err(error)) => {
                tracing::warn!(%hash, %error, "a revealed output does not decode");
                false
            }
            Err(error) => {
                tracing::warn!(%hash, %error, "a revealed output cannot be fetched");
                false
            }
        }
    }
}

/// A task's input: an ABI-encoded `ModelInput`, or — for the re-execution that decides a disputed
/// PIPE answer — the PIPE request itself, `abi.encode(mode, modelCID, input)`, whose keccak is the
/// request id the answer signed; its `modelCID` must name the task's release.
fn decode_input(bytes: &[u8], runtime: &Runtime, model: B256) -> Result<ModelInput, TaskError> {
    if let Ok(input) = ModelInput::abi_decode(bytes) {
        return Ok(input);
    }
    type PipeRequest = (sol_data::Uint<8>, sol_data::String, ModelInput);
    let (mode, cid, input) = <PipeRequest as alloy::sol_types::SolType>::abi_decode_params(bytes)
        .map_err(|e| {
        TaskError::MalformedInput(format!("neither a ModelInput nor a PIPE request: {e}"))
    })?;
    if mode > 2 || runtime.resolve(&cid).ok() != Some(model) {
        return Err(TaskError::MalformedInput(format!(
            "a PIPE request of mode {mode} for '{cid}', not for release {model}"
        )));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_input_is_a_model_input_or_the_pipe_request_a_disputed_answer_signed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../models");
        let mut runtime = Runtime::new();
        let load =
            |name: &str| verigrad_inference::ModelPackage::load(dir.join(name)).expect("package");
        let volatility = runtime.add(&load("volatility")).expect("loads");
        let risk = runtime.add(&load("risk")).expect("loads");
        let input = ModelInput::numbers(Vec::new());
        assert_eq!(decode_input(&input.abi_encode(), &runtime, volatility).expect("input"), input);

        type Request = (sol_data::Uint<8>, sol_data::String, ModelInput);
        let request = |mode: u8, cid: &str| {
            <Request as alloy::sol_types::SolType>::abi_encode_params(&(
                mode,
                cid.to_string(),
                input.clone(),
            ))
        };
        let by_name = request(0, "verigrad/volatility");
        assert_eq!(decode_input(&by_name, &runtime, volatility).expect("input"), input);
        assert_eq!(
            decode_input(&request(1, &volatility.to_string()), &runtime, volatility)
                .expect("input"),
            input
        );
        for (bytes, model) in [
            (by_name, risk),
            (request(7, "verigrad/volatility"), volatility),
            (b"junk".to_vec(), volatility),
        ] {
            assert!(matches!(
                decode_input(&bytes, &runtime, model),
                Err(TaskError::MalformedInput(_))
            ));
        }
    }

    #[test]
    fn input_rejected_is_the_keccak_of_its_name() {
        assert_eq!(INPUT_REJECTED, alloy::primitives::keccak256("verigrad.input-rejected"));
    }
}
