//! Tensors as people write and read them: task inputs parsed from JSON, outputs printed as JSON.
//!
//! ```json
//! {"numbers": [{"name": "returns", "shape": [1, 2], "values": ["0.0125", -0.5]}],
//!  "strings": [{"name": "text", "values": ["gm"]}]}
//! ```
//!
//! A value is a decimal number, written as a JSON number or a string; it becomes a [`Number`] with
//! exactly the decimals written (`"0.0125"` → `125 × 10⁻⁴`), so no float rounding creeps in.

use serde::Deserialize;
use serde_json::{Value, json};
use verigrad_inference::{
    MAX_DECIMALS, Manifest, ModelInput, ModelOutput, MultiDimensionalNumberTensor, Number,
    StringTensor, TensorType,
};

use super::TaskError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputJson {
    #[serde(default)]
    numbers: Vec<NumberTensorJson>,
    #[serde(default)]
    strings: Vec<StringTensorJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberTensorJson {
    name: String,
    shape: Vec<u32>,
    values: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StringTensorJson {
    name: String,
    values: Vec<String>,
}

/// Parses a task input from JSON, checking every number and that each shape covers its values.
///
/// ```
/// let input = verigrad_task::parse_input(r#"{"numbers":[{"name":"x","shape":[2],"values":["1.5",-2]}]}"#)?;
/// assert_eq!(input.numbers[0].values[0].value, 15);
/// assert_eq!(input.numbers[0].values[1].decimals, 0);
/// # Ok::<(), verigrad_task::TaskError>(())
/// ```
pub fn parse_input(json: &str) -> Result<ModelInput, TaskError> {
    let parsed: InputJson = serde_json::from_str(json).map_err(|e| malformed(e.to_string()))?;
    if parsed.numbers.is_empty() && parsed.strings.is_empty() {
        return Err(malformed("no tensors: give \"numbers\" or \"strings\""));
    }
    let numbers = parsed
        .numbers
        .into_iter()
        .map(|t| {
            let values = t
                .values
                .iter()
                .map(|v| {
                    decimal_value(v).map_err(|e| malformed(format!("tensor '{}': {e}", t.name)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            MultiDimensionalNumberTensor::new(t.name, values, t.shape)
                .map_err(|e| malformed(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let strings = parsed.strings.into_iter().map(|t| StringTensor::new(t.name, t.values)).collect();
    Ok(ModelInput { numbers, strings })
}

/// Checks an input against a model's schema: every tensor the model takes, with its pinned shape
/// (or, for a batch tensor, 1 to `shape[0]` rows).
pub fn check_input(input: &ModelInput, manifest: &Manifest) -> Result<(), TaskError> {
    for spec in &manifest.inputs {
        let (shape, rows) = match spec.dtype {
            TensorType::Number => {
                let tensor =
                    input.number_tensor(&spec.name).map_err(|e| malformed(e.to_string()))?;
                (tensor.shape.clone(), tensor.shape.first().copied().unwrap_or(0))
            }
            TensorType::String => {
                let tensor =
                    input.string_tensor(&spec.name).map_err(|e| malformed(e.to_string()))?;
                let rows = u32::try_from(tensor.values.len()).unwrap_or(u32::MAX);
                (
                    spec.shape.iter().copied().skip(1).fold(vec![rows], |mut s, d| {
                        s.push(d);
                        s
                    }),
                    rows,
                )
            }
        };
        let fits = if spec.batch {
            shape.len() == spec.shape.len()
                && shape[1..] == spec.shape[1..]
                && (1..=spec.shape[0]).contains(&rows)
        } else {
            shape == spec.shape
        };
        if !fits {
            return Err(malformed(format!(
                "{} takes '{}' of shape {:?}{}, got {shape:?}",
                manifest.name,
                spec.name,
                spec.shape,
                if spec.batch { " (up to that many rows)" } else { "" }
            )));
        }
    }
    Ok(())
}

fn malformed(reason: impl Into<String>) -> TaskError {
    TaskError::MalformedInput(reason.into())
}

fn decimal_value(value: &Value) -> Result<Number, String> {
    match value {
        Value::String(text) => Number::parse(text),
        Value::Number(number) => Number::parse(&number.to_string()),
        other => Err(format!("{other} is not a number")),
    }
}

/// A number as a decimal string: `(12345, 3)` → `"12.345"`.
pub(crate) fn format_decimal(number: &Number) -> String {
    let decimals = usize::try_from(number.decimals).unwrap_or(0).min(MAX_DECIMALS as usize);
    if decimals == 0 {
        return number.value.to_string();
    }
    let digits = format!("{:0>width$}", number.value.unsigned_abs(), width = decimals + 1);
    let (whole, fraction) = digits.split_at(digits.len() - decimals);
    format!("{}{whole}.{fraction}", if number.value < 0 { "-" } else { "" })
}

/// An output as JSON, numbers as decimal strings (the input format, plus `jsons`).
pub fn output_json(output: &ModelOutput) -> Value {
    let numbers: Vec<Value> = output
        .numbers
        .iter()
        .map(|t| {
            let values: Vec<String> = t.values.iter().map(format_decimal).collect();
            json!({ "name": t.name, "shape": t.shape, "values": values })
        })
        .collect();
    let strings: Vec<Value> =
        output.strings.iter().map(|t| json!({ "name": t.name, "values": t.values })).collect();
    let jsons: Vec<Value> =
        output.jsons.iter().map(|j| json!({ "name": j.name, "value": j.value })).collect();
    json!({ "numbers": numbers, "strings": strings, "jsons": jsons })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        for (text, value, decimals) in [
            ("0", 0, 0),
            ("-12.50", -1250, 2),
            ("0.0125", 125, 4),
            (".5", 5, 1),
            ("1e-5", 1, 5),
            ("2E3", 2000, 0),
            ("1.25e1", 125, 1),
        ] {
            assert_eq!(Number::parse(text), Ok(Number::new(value, decimals)), "{text}");
        }
        for text in ["", "-", "1.2.3", "abc", "1e", "0x10", "1e400", &"9".repeat(60)] {
            assert!(Number::parse(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn numbers_print_as_they_parse() {
        for text in ["12.345", "-0.001", "7", "-3"] {
            assert_eq!(format_decimal(&Number::parse(text).expect(text)), text);
        }
    }

    /// The shipped volatility model: one `returns` tensor of shape [1, 16].
    fn volatility_manifest() -> Manifest {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../models/volatility/manifest.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("manifest")).expect("parses")
    }

    #[test]
    fn inputs_are_checked_against_the_schema() {
        let manifest = volatility_manifest();
        let tensor = |name: &str, shape: &str, n: usize| {
            let values = vec!["0.01"; n].join("\",\"");
            format!(r#"{{"numbers":[{{"name":"{name}","shape":{shape},"values":["{values}"]}}]}}"#)
        };
        for (name, json, ok) in [
            ("fits", tensor("returns", "[1,16]", 16), true),
            ("other name", tensor("prices", "[1,16]", 16), false),
            ("other shape", tensor("returns", "[16]", 16), false),
            ("too short", tensor("returns", "[1,4]", 4), false),
        ] {
            let input = parse_input(&json).expect(name);
            assert_eq!(check_input(&input, &manifest).is_ok(), ok, "{name}");
        }
    }

    #[test]
    fn malformed_inputs_are_named() {
        for (json, says) in [
            ("not json", "expected"),
            ("{}", "no tensors"),
            (r#"{"numbers":[{"name":"x","shape":[3],"values":[1,2]}]}"#, "shape"),
            (r#"{"numbers":[{"name":"x","shape":[1],"values":[true]}]}"#, "not a number"),
            (r#"{"tensors":[]}"#, "unknown field"),
        ] {
            let error = parse_input(json).expect_err(json).to_string();
            assert!(
                error.starts_with("malformed input") && error.contains(says),
                "{json}: {error}"
            );
        }
    }
}
