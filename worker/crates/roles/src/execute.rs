//! Running a task's model: its input fetched by commitment, the output stored by its hash, and a
//! seat's output judged against this worker's own execution.

use alloy::{primitives::B256, sol_types::SolValue};
use verigrad_contracts::TaskState;
use verigrad_inference::{Determinism, InferenceError, ModelInput, ModelOutput, agrees, falsify};

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
        let determinism = match self.runtime.manifest(&model) {
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
        let input = ModelInput::abi_decode(&bytes).map_err(|e| {
            TaskError::MalformedInput(format!("not an ABI-encoded ModelInput: {e}"))
        })?;
        let runtime = self.runtime.clone();
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
                "{model}: served, but not loaded by this worker; restart it to pull the package"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_rejected_is_the_keccak_of_its_name() {
        assert_eq!(INPUT_REJECTED, alloy::primitives::keccak256("verigrad.input-rejected"));
    }
}
