//! Running a task's model: its input fetched by commitment, the output stored by its hash, and a
//! seat's output judged against this worker's own execution.

use alloy::{primitives::B256, sol_types::SolValue};
use verigrad_inference::{Determinism, InferenceError, JsonScalar, ModelInput, ModelOutput};

use super::Worker;
use crate::task::{TaskError, TaskState, agrees};

impl Worker {
    /// Fetches the task's input from the store (checked against its commitment and the size limit),
    /// runs the model, and returns the output with the model's determinism class.
    pub(super) async fn execute(
        &self,
        task: &TaskState,
    ) -> Result<(ModelOutput, Determinism), TaskError> {
        let model = task.model.to_string();
        let determinism = self.runtime.manifest(&model)?.determinism;
        let input_hash = self.escrow.input_hash(task).await?;
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

    /// Computes the task's output (wrong on purpose when `--faulty`), puts it in the store and
    /// returns its hash.
    pub(super) async fn produce(&self, task: &TaskState) -> Result<B256, TaskError> {
        let (mut output, _) = self.execute(task).await?;
        if self.options.faulty {
            corrupt(&mut output);
            tracing::warn!(task = %task.id, "--faulty: answering a wrong output");
        }
        // The store names a blob by its keccak: the canonical bytes' hash is the output commitment.
        Ok(self.blobs.put(output.canonical_bytes()).await?)
    }

    /// Whether the output a seat revealed as `hash` agrees with `mine`: by hash for exact models;
    /// for tolerance models, fetched from the store and compared within ε. An output nobody can
    /// fetch or decode is not accepted.
    pub(super) async fn accepts(
        &self,
        determinism: Determinism,
        mine: &ModelOutput,
        hash: B256,
    ) -> bool {
        if mine.commitment() == hash {
            return true;
        }
        if matches!(determinism, Determinism::Exact { .. }) {
            return false;
        }
        match self.blobs.get(hash).await.map(|bytes| ModelOutput::abi_decode(&bytes)) {
            Ok(Ok(theirs)) => agrees(determinism, mine, &theirs),
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

/// Makes an output wrong beyond any tolerance: its first number grows by one whole unit.
fn corrupt(output: &mut ModelOutput) {
    match output.numbers.first_mut().and_then(|t| t.values.first_mut()) {
        Some(number) => {
            let unit = u32::try_from(number.decimals).map_or(1, |d| 10i128.saturating_pow(d));
            number.value = number.value.saturating_add(unit);
        }
        None => output.jsons.push(JsonScalar { name: "faulty".into(), value: "true".into() }),
    }
}

#[cfg(test)]
mod tests {
    use verigrad_inference::{MultiDimensionalNumberTensor, Number};

    use super::*;

    #[test]
    fn a_corrupted_output_is_wrong_beyond_any_tolerance() {
        let tensor = MultiDimensionalNumberTensor::new("y", vec![Number::new(123, 3)], vec![1])
            .expect("tensor");
        let honest = ModelOutput::numbers(vec![tensor]);
        let mut wrong = honest.clone();
        corrupt(&mut wrong);
        assert_eq!(wrong.numbers[0].values[0], Number::new(1_123, 3), "one whole unit more");
        let tolerance = Determinism::Tolerance { epsilon: 0.5 };
        assert!(!crate::task::agrees(tolerance, &honest, &wrong));

        let mut empty = ModelOutput::numbers(Vec::new());
        corrupt(&mut empty);
        assert_ne!(empty.commitment(), ModelOutput::numbers(Vec::new()).commitment());
    }
}
