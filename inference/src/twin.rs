//! A twin's behaviour profile and how an invocation applies it: the one definition the coordinator's
//! `POST /v1/twins/{id}/invoke`, a worker answering PIPE's `twin:<id>` and pipe-node's own runtime share,
//! so a twin answers the same over x402 and through PIPE.
//!
//! The profile is a JSON document; the twin's binding pins `keccak256` of its exact bytes
//! ([`TwinProfile::hash`]), and the bytes are published in the twin's ERC-8004 metadata under the key
//! `profile` (`verigrad_contracts::PROFILE_KEY`). An invocation
//!
//! 1. prefixes every input string with the profile's `text_prefix` (an embedder's instruction, e.g.
//!    `"query: "`),
//! 2. runs the bound release on it,
//! 3. labels each element of the output the profile's `decisions` name by the first band whose `below`
//!    it is under (compared exactly, in decimal: an EXACT release labels identically everywhere), and
//! 4. names what answered: the JSON scalars `twin`, `release` and `profile`.
//!
//! ```
//! use verigrad_inference::{TwinProfile, TwinModel};
//!
//! let bytes = br#"{"name":"risk-desk","decisions":{"output":"volatility",
//!     "bands":[{"below":"0.02","label":"hold"}],"otherwise":"hedge"}}"#;
//! let profile = TwinProfile::parse(bytes)?;
//! assert_eq!(profile.name, "risk-desk");
//! assert!(matches!(TwinModel::parse("twin:7"), Some(Ok(TwinModel { id: 7 }))));
//! assert!(TwinModel::parse("verigrad/volatility").is_none());
//! # Ok::<(), verigrad_inference::InferenceError>(())
//! ```

use alloy_primitives::{B256, keccak256};
use serde::Deserialize;

use crate::{
    Deadline, InferenceError, JsonScalar, ModelInput, ModelOutput, Number, Result, Runtime,
    StringTensor,
};

/// What a model reference names when it is `twin:<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinModel {
    /// The twin's ERC-8004 `agentId`.
    pub id: u64,
}

impl TwinModel {
    /// The prefix of a twin reference.
    pub const PREFIX: &'static str = "twin:";

    /// `None` unless `model` starts with `twin:`; then the twin, or why its id is not one.
    pub fn parse(model: &str) -> Option<Result<Self>> {
        model.strip_prefix(Self::PREFIX).map(Self::from_id)
    }

    /// The twin whose `agentId` is written in `id` (decimal, from 1).
    pub fn from_id(id: &str) -> Result<Self> {
        id.parse::<u64>().ok().filter(|id| *id > 0).map(|id| Self { id }).ok_or_else(|| {
            InferenceError::UnknownModel(format!("{}{id} (not a twin id)", Self::PREFIX))
        })
    }

    /// The reference, `twin:<id>`.
    pub fn reference(&self) -> String {
        format!("{}{}", Self::PREFIX, self.id)
    }
}

/// A twin's behaviour profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinProfile {
    /// A short name.
    pub name: String,
    /// What the twin is for, in words (the system prompt of a text model; informative for others).
    #[serde(default)]
    pub instructions: Option<String>,
    /// Prepended to every input string.
    #[serde(default)]
    pub text_prefix: Option<String>,
    /// Labels for one numeric output.
    #[serde(default)]
    pub decisions: Option<Decisions>,
}

/// A decision pattern: an output's values labelled by bands.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decisions {
    /// The number output the labels read.
    pub output: String,
    /// Bands by ascending `below`: a value gets the first band's label it is under.
    pub bands: Vec<Band>,
    /// The label of a value under no band.
    pub otherwise: String,
}

/// One band of a decision pattern.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The exclusive upper end, a decimal string such as `"0.02"`.
    pub below: String,
    /// The label of values under it.
    pub label: String,
}

/// The output tensor holding the decision labels.
pub const DECISION_OUTPUT: &str = "decision";

/// Who answered a twin's invocation, as the answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinAnswerer {
    /// The twin.
    pub twin: TwinModel,
    /// The release it is bound to.
    pub release: B256,
    /// The hash of the profile applied.
    pub profile: B256,
}

impl TwinProfile {
    /// The profile in `bytes`, checked: a JSON document of this shape whose bands are decimals in
    /// ascending order.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let invalid = |why: String| InferenceError::Twin(format!("invalid profile: {why}"));
        let profile: Self = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if let Some(decisions) = &profile.decisions {
            let mut previous: Option<Number> = None;
            for band in &decisions.bands {
                let below = Number::parse(&band.below).map_err(invalid)?;
                if previous.is_some_and(|p| compare(&p, &below) != std::cmp::Ordering::Less) {
                    return Err(invalid(format!("band below {} is not ascending", band.below)));
                }
                previous = Some(below);
            }
        }
        Ok(profile)
    }

    /// What the binding pins: `keccak256` of the document's exact bytes.
    pub fn hash(bytes: &[u8]) -> B256 {
        keccak256(bytes)
    }

    /// The input the release runs on: every string prefixed with `text_prefix`.
    pub fn prepare(&self, input: &ModelInput) -> ModelInput {
        let mut prepared = input.clone();
        if let Some(prefix) = self.text_prefix.as_deref().filter(|p| !p.is_empty()) {
            for tensor in &mut prepared.strings {
                for value in &mut tensor.values {
                    value.insert_str(0, prefix);
                }
            }
        }
        prepared
    }

    /// The release's output with the profile's decisions and the answerer's names added.
    pub fn finish(&self, mut output: ModelOutput, answerer: &TwinAnswerer) -> Result<ModelOutput> {
        if let Some(decisions) = &self.decisions {
            let tensor =
                output.numbers.iter().find(|t| t.name == decisions.output).ok_or_else(|| {
                    InferenceError::Twin(format!(
                        "the profile decides on output '{}', which the release does not have",
                        decisions.output
                    ))
                })?;
            let labels = tensor
                .values
                .iter()
                .map(|value| decisions.label(value))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(InferenceError::Twin)?;
            output.strings.push(StringTensor::new(DECISION_OUTPUT, labels));
        }
        output.jsons.extend([
            json("twin", answerer.twin.id.to_string()),
            json("release", answerer.release.to_string()),
            json("profile", answerer.profile.to_string()),
        ]);
        Ok(output)
    }
}

impl Decisions {
    fn label(&self, value: &Number) -> std::result::Result<String, String> {
        for band in &self.bands {
            if compare(value, &Number::parse(&band.below)?) == std::cmp::Ordering::Less {
                return Ok(band.label.clone());
            }
        }
        Ok(self.otherwise.clone())
    }
}

/// Invokes a twin: `profile` (the document's bytes) applied around `release`, which `runtime` holds.
pub fn invoke_twin(
    runtime: &Runtime,
    twin: TwinModel,
    release: B256,
    profile: &[u8],
    input: &ModelInput,
) -> Result<ModelOutput> {
    invoke_twin_until(runtime, twin, release, profile, input, Deadline::NONE)
}

/// [`invoke_twin`], the release's run giving up at `deadline` (PIPE bounds every request so).
pub fn invoke_twin_until(
    runtime: &Runtime,
    twin: TwinModel,
    release: B256,
    profile: &[u8],
    input: &ModelInput,
    deadline: Deadline,
) -> Result<ModelOutput> {
    let parsed = TwinProfile::parse(profile)?;
    let output = runtime.run_until(&release.to_string(), &parsed.prepare(input), deadline)?;
    let answerer = TwinAnswerer { twin, release, profile: TwinProfile::hash(profile) };
    parsed.finish(output, &answerer)
}

fn json(name: &str, value: String) -> JsonScalar {
    JsonScalar { name: name.into(), value }
}

/// Compares two numbers exactly, at the larger of their decimals.
fn compare(a: &Number, b: &Number) -> std::cmp::Ordering {
    let scale = |n: &Number, to: i128| {
        let up = u32::try_from(to - n.decimals).unwrap_or(0);
        10i128.checked_pow(up).and_then(|f| n.value.checked_mul(f))
    };
    let decimals = a.decimals.max(b.decimals);
    match (scale(a, decimals), scale(b, decimals)) {
        (Some(a), Some(b)) => a.cmp(&b),
        // Beyond i128 at the common scale: the sign and magnitude of the whole parts decide.
        _ => {
            let whole = |n: &Number| n.value / 10i128.pow(u32::try_from(n.decimals).unwrap_or(0));
            whole(a).cmp(&whole(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MultiDimensionalNumberTensor;

    const DESK: &[u8] = br#"{"name":"risk-desk","text_prefix":"query: ","decisions":{"output":"y",
        "bands":[{"below":"0.02","label":"hold"},{"below":"0.05","label":"trim"}],"otherwise":"hedge"}}"#;

    fn answerer() -> TwinAnswerer {
        TwinAnswerer {
            twin: TwinModel { id: 3 },
            release: B256::repeat_byte(1),
            profile: B256::ZERO,
        }
    }

    #[test]
    fn decisions_label_each_value_by_its_band_exactly() {
        let profile = TwinProfile::parse(DESK).expect("profile");
        let values = [
            Number::new(1999, 5),
            Number::new(2, 2),
            Number::new(49_999_999, 9),
            Number::new(7, 1),
        ];
        let tensor = MultiDimensionalNumberTensor::new("y", values.to_vec(), vec![4]).expect("y");
        let output = profile.finish(ModelOutput::numbers(vec![tensor]), &answerer()).expect("ok");
        let labels = &output.strings.iter().find(|t| t.name == DECISION_OUTPUT).expect("labels");
        assert_eq!(
            labels.values,
            ["hold", "trim", "trim", "hedge"],
            "0.02 itself is not below 0.02"
        );
        let names: Vec<_> =
            output.jsons.iter().map(|j| (j.name.as_str(), j.value.as_str())).collect();
        assert_eq!(names[0], ("twin", "3"));
        assert_eq!(names[1].0, "release");
        assert_eq!(names[2].0, "profile");
    }

    #[test]
    fn the_prefix_goes_before_every_string() {
        let profile = TwinProfile::parse(DESK).expect("profile");
        let input = ModelInput::strings(vec![StringTensor::new("text", ["gm", "wagmi"])]);
        assert_eq!(profile.prepare(&input).strings[0].values, ["query: gm", "query: wagmi"]);
    }

    #[test]
    fn bad_profiles_and_references_are_refused_clearly() {
        for (name, bytes) in [
            ("not json", &b"hold"[..]),
            ("unknown field", br#"{"name":"x","temperature":1}"#),
            ("bad decimal", br#"{"name":"x","decisions":{"output":"y","bands":[{"below":"1.2.3","label":"a"}],"otherwise":"b"}}"#),
            ("descending", br#"{"name":"x","decisions":{"output":"y","bands":[{"below":"2","label":"a"},{"below":"1","label":"b"}],"otherwise":"c"}}"#),
        ] {
            assert!(matches!(TwinProfile::parse(bytes), Err(InferenceError::Twin(_))), "{name}");
        }
        let profile = TwinProfile::parse(DESK).expect("profile");
        let missing = profile.finish(ModelOutput::numbers(vec![]), &answerer());
        assert!(matches!(missing, Err(InferenceError::Twin(m)) if m.contains("output 'y'")));
        for model in ["twin:", "twin:0", "twin:x", "twin:-1"] {
            assert!(matches!(TwinModel::parse(model), Some(Err(_))), "{model}");
        }
    }

    #[test]
    fn decimals_compare_exactly() {
        use std::cmp::Ordering::*;
        assert_eq!(compare(&Number::new(2, 2), &Number::new(20, 3)), Equal);
        assert_eq!(compare(&Number::new(-1, 0), &Number::new(1, 38)), Less);
        assert_eq!(compare(&Number::new(i128::MAX, 0), &Number::new(1, 38)), Greater);
    }
}
