//! Tensors as JSON. A number is a JSON number or a decimal string (`"-0.0125"`, `"3e-4"`); it is
//! read exactly, without passing through a float, so exact-class models see the digits sent.
//! Outputs give every number as a decimal string, which is exact too.
//!
//! ```json
//! {"numbers": [{"name": "returns", "shape": [1, 16], "values": [0.01, "-0.002", …]}],
//!  "strings": [{"name": "text", "values": ["gm"]}]}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use verigrad_inference::{
    MAX_DECIMALS, ModelInput, ModelOutput, MultiDimensionalNumberTensor, Number, StringTensor,
};

/// A number tensor as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberTensorJson {
    /// Its name in the model's schema.
    pub name: String,
    /// Row-major shape.
    pub shape: Vec<u32>,
    /// The values: JSON numbers or decimal strings in; decimal strings out.
    pub values: Vec<Value>,
}

/// A string tensor as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StringTensorJson {
    /// Its name in the model's schema.
    pub name: String,
    /// The strings.
    pub values: Vec<String>,
}

/// A model input as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputJson {
    /// Number tensors.
    pub numbers: Vec<NumberTensorJson>,
    /// String tensors.
    pub strings: Vec<StringTensorJson>,
}

impl InputJson {
    /// The model input, or what is wrong with a value.
    pub fn to_input(&self) -> Result<ModelInput, String> {
        let numbers = self
            .numbers
            .iter()
            .map(|t| {
                let values = t
                    .values
                    .iter()
                    .map(|v| {
                        parse_number(v)
                            .ok_or_else(|| format!("{}: {v} is not a decimal number", t.name))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                MultiDimensionalNumberTensor::new(t.name.clone(), values, t.shape.clone())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let strings = self
            .strings
            .iter()
            .map(|t| StringTensor::new(t.name.clone(), t.values.clone()))
            .collect();
        Ok(ModelInput { numbers, strings })
    }
}

/// A model output as JSON: its tensors and its commitment.
pub fn output_json(output: &ModelOutput) -> Value {
    let numbers: Vec<NumberTensorJson> = output
        .numbers
        .iter()
        .map(|t| NumberTensorJson {
            name: t.name.clone(),
            shape: t.shape.clone(),
            values: t.values.iter().map(|n| Value::String(format_number(n))).collect(),
        })
        .collect();
    let strings: Vec<StringTensorJson> = output
        .strings
        .iter()
        .map(|t| StringTensorJson { name: t.name.clone(), values: t.values.clone() })
        .collect();
    let jsons: serde_json::Map<String, Value> =
        output.jsons.iter().map(|j| (j.name.clone(), Value::String(j.value.clone()))).collect();
    serde_json::json!({
        "numbers": numbers,
        "strings": strings,
        "jsons": jsons,
        "outputHash": output.commitment(),
    })
}

/// Reads a JSON number or decimal string exactly: `[-]digits[.digits][e[±]digits]`.
fn parse_number(value: &Value) -> Option<Number> {
    let text = match value {
        Value::String(text) => text.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut value: i128 = format!("{whole}{fraction}").parse().ok()?;
    let mut decimals = i32::try_from(fraction.len()).ok()? - exponent;
    if decimals < 0 {
        value = value.checked_mul(10i128.checked_pow(decimals.unsigned_abs())?)?;
        decimals = 0;
    }
    // Trailing zeros beyond what an i128 can scale are dropped, not rounded.
    while decimals > MAX_DECIMALS as i32 && value % 10 == 0 {
        value /= 10;
        decimals -= 1;
    }
    if decimals > MAX_DECIMALS as i32 {
        return None;
    }
    Some(Number::new(if negative { -value } else { value }, i128::from(decimals)))
}

/// A number as a plain decimal string: `(12345, 3)` → `"12.345"`, `(-5, 2)` → `"-0.05"`.
fn format_number(number: &Number) -> String {
    let (value, decimals) = (number.value, number.decimals.clamp(0, 76) as usize);
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    if decimals == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    format!("{sign}{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_are_read_exactly() {
        for (name, value, expected) in [
            ("integer", json!(3), Number::new(3, 0)),
            ("float", json!(0.01), Number::new(1, 2)),
            ("string", json!("-0.0125"), Number::new(-125, 4)),
            ("exponent", json!("3e-4"), Number::new(3, 4)),
            ("positive exponent", json!("1.5e2"), Number::new(150, 0)),
            ("leading dot", json!(".5"), Number::new(5, 1)),
        ] {
            assert_eq!(parse_number(&value), Some(expected), "{name}");
        }
        for bad in [json!("abc"), json!("1.2.3"), json!(""), json!(true), json!("-")] {
            assert_eq!(parse_number(&bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_are_written_as_decimals() {
        for (number, text) in [
            (Number::new(12345, 3), "12.345"),
            (Number::new(-5, 2), "-0.05"),
            (Number::new(7, 0), "7"),
            (Number::new(0, 6), "0.000000"),
        ] {
            assert_eq!(format_number(&number), text);
            assert_eq!(parse_number(&json!(text)), Some(number));
        }
    }

    #[test]
    fn inputs_name_the_bad_value() {
        let input: InputJson = serde_json::from_value(json!({
            "numbers": [{"name": "x", "shape": [2], "values": [1, "oops"]}]
        }))
        .expect("json");
        assert!(input.to_input().expect_err("bad value").contains("x: \"oops\""));
    }
}
