//! PIPE's `twin:<id>` model references. Whoever reads the chain (pipe-node, on the state a block builds
//! on) resolves the twin's binding to a [`BoundTwin`]; the answer is then
//! [`invoke_twin`](verigrad_inference::invoke_twin) — the same function every other door of a twin
//! runs — priced at the bound release's cost units, and it names the twin, release and profile it
//! came from, which is what the node checks a committed answer against.

use alloy_primitives::{B256, Bytes};
use verigrad_inference::{
    Deadline, ModelOutput, Runtime, TwinAnswerer, TwinModel, TwinProfile, invoke_twin_until,
};

use crate::{Answer, Mode, PipeFailure, PipeRequest, Resolution, backend};

/// A twin as its binding stands on one state: the release it runs and its published profile, whose
/// `keccak256` the binding pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundTwin {
    /// The twin.
    pub twin: TwinModel,
    /// The release it is bound to.
    pub release: B256,
    /// The profile document's bytes.
    pub profile: Bytes,
}

impl BoundTwin {
    /// The names an answer of this twin carries.
    pub fn answerer(&self) -> TwinAnswerer {
        TwinAnswerer {
            twin: self.twin,
            release: self.release,
            profile: TwinProfile::hash(&self.profile),
        }
    }

    /// Whether a request in `mode` may ask for this twin: in ZKML only, on an EXACT release. The node
    /// re-executes every ZKML answer, so a twin's answer is as sure as its release's. VANILLA and TEE
    /// answers are made sure after the fact — audits and disputes re-run the *release* on the request —
    /// and that re-execution does not apply a twin's profile yet: a wrong signed twin answer could not
    /// be punished, so none is taken.
    pub fn admits(&self, mode: Mode) -> Result<(), PipeFailure> {
        if mode == Mode::Zkml {
            return Ok(());
        }
        Err(PipeFailure::Malformed(format!(
            "{} is answered in ZKML mode only (re-executed by every node); {mode:?} answers are checked by audits and disputes, which do not run twins yet",
            self.twin.reference()
        )))
    }

    /// The twin's answer to `request` on `runtime`, which must hold the release, giving up at
    /// `deadline`: `invoke_twin` on the request's input, priced at the release's cost units, with the
    /// mode's requirement enforced on the release (ZKML needs an EXACT one).
    pub fn answer(
        &self,
        runtime: &Runtime,
        request: &PipeRequest,
        deadline: Deadline,
    ) -> Resolution {
        self.admits(request.mode)?;
        backend::guarded(|| {
            let manifest = backend::mode_checked(runtime, &self.release.to_string(), request.mode)?;
            let output = invoke_twin_until(
                runtime,
                self.twin,
                self.release,
                &self.profile,
                &request.input,
                deadline,
            )?;
            Ok(Answer::new(output, manifest.cost_units))
        })
    }

    /// Why `output` is not an answer of this binding: it must name this twin, release and profile
    /// (the JSON scalars `invoke_twin` adds), each exactly once.
    pub fn check_names(&self, output: &ModelOutput) -> Result<(), PipeFailure> {
        let answerer = self.answerer();
        let expected = [
            ("twin", answerer.twin.id.to_string()),
            ("release", answerer.release.to_string()),
            ("profile", answerer.profile.to_string()),
        ];
        for (name, value) in expected {
            let mut named = output.jsons.iter().filter(|json| json.name == name);
            match (named.next(), named.next()) {
                (Some(json), None) if json.value == value => {}
                _ => {
                    return Err(PipeFailure::Failed(format!(
                        "the answer does not name {} {name} {value}",
                        self.twin.reference()
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolCall;
    use verigrad_inference::{
        JsonScalar, ModelInferenceRequest, ModelInput, ModelOutput, runModelInferenceCall,
    };

    use super::*;

    fn bound() -> BoundTwin {
        BoundTwin {
            twin: TwinModel { id: 3 },
            release: B256::repeat_byte(7),
            profile: Bytes::from_static(br#"{"name":"desk"}"#),
        }
    }

    fn named(names: &[(&str, &str)]) -> ModelOutput {
        let mut output = ModelOutput::numbers(vec![]);
        output.jsons = names
            .iter()
            .map(|(n, v)| JsonScalar { name: (*n).into(), value: (*v).into() })
            .collect();
        output
    }

    #[test]
    fn an_answer_must_name_exactly_its_binding() {
        let twin = bound();
        let a = twin.answerer();
        let (id, release, profile) =
            (a.twin.id.to_string(), a.release.to_string(), a.profile.to_string());
        let (id, release, profile) = (id.as_str(), release.as_str(), profile.as_str());
        let other = B256::repeat_byte(9).to_string();
        let other = other.as_str();
        let cases = [
            ("all three", vec![("twin", id), ("release", release), ("profile", profile)], true),
            (
                "another twin",
                vec![("twin", "4"), ("release", release), ("profile", profile)],
                false,
            ),
            (
                "another release",
                vec![("twin", id), ("release", other), ("profile", profile)],
                false,
            ),
            (
                "another profile",
                vec![("twin", id), ("release", release), ("profile", other)],
                false,
            ),
            ("no names", vec![], false),
            (
                "named twice",
                vec![("twin", id), ("twin", id), ("release", release), ("profile", profile)],
                false,
            ),
        ];
        for (name, names, ok) in cases {
            assert_eq!(twin.check_names(&named(&names)).is_ok(), ok, "{name}");
        }
    }

    fn request(mode: u8) -> PipeRequest {
        let call = runModelInferenceCall {
            request: ModelInferenceRequest {
                mode,
                modelCID: "twin:3".into(),
                input: ModelInput::numbers(vec![]),
            },
        };
        PipeRequest::decode(&call.abi_encode()).expect("decodes")
    }

    #[test]
    fn a_release_the_runtime_does_not_hold_fails_the_request() {
        let failed = bound().answer(&Runtime::new(), &request(1), Deadline::NONE);
        assert!(matches!(failed, Err(PipeFailure::UnknownModel(_))), "{failed:?}");
    }

    /// Only ZKML answers, re-executed by every node, are taken for a twin: audits and disputes,
    /// which make VANILLA and TEE answers sure, re-run the release without the twin's profile.
    #[test]
    fn a_twin_is_asked_in_zkml_mode_only() {
        assert_eq!(bound().admits(Mode::Zkml), Ok(()));
        for mode in [0, 2] {
            let refused = bound().answer(&Runtime::new(), &request(mode), Deadline::NONE);
            let Err(PipeFailure::Malformed(why)) = refused else { panic!("{refused:?}") };
            assert!(why.contains("twin:3 is answered in ZKML mode only"), "{why}");
        }
    }
}
