//! Tensors as PIPE and the network carry them, and the one canonical encoding of a model's output.
//!
//! The types are the Solidity structs of OpenGradient's published SolidML interface, so the precompile
//! decodes straight into them and a Solidity contract can compute the same commitment: an output's
//! commitment is `keccak256(abi.encode(output))` with `is_simulation_result = false`.

use alloy_primitives::{B256, keccak256};
use alloy_sol_types::{SolValue, sol};

use crate::{InferenceError, Result};

sol! {
    /// A fixed-point decimal: `value × 10^-decimals`.
    #[derive(Debug, PartialEq, Eq)]
    struct Number {
        int128 value;
        int128 decimals;
    }

    /// A named tensor of numbers, row-major, with its shape.
    #[derive(Debug, PartialEq, Eq)]
    struct MultiDimensionalNumberTensor {
        string name;
        Number[] values;
        uint32[] shape;
    }

    /// A named list of strings.
    #[derive(Debug, PartialEq, Eq)]
    struct StringTensor {
        string name;
        string[] values;
    }

    /// A model's input.
    #[derive(Debug, PartialEq, Eq)]
    struct ModelInput {
        MultiDimensionalNumberTensor[] numbers;
        StringTensor[] strings;
    }

    /// A named JSON value in an output.
    #[derive(Debug, PartialEq, Eq)]
    struct JsonScalar {
        string name;
        string value;
    }

    /// A model's output; `is_simulation_result` is set only by PIPE's first phase.
    #[derive(Debug, PartialEq, Eq)]
    struct ModelOutput {
        MultiDimensionalNumberTensor[] numbers;
        StringTensor[] strings;
        JsonScalar[] jsons;
        bool is_simulation_result;
    }

    /// A request to the PIPE precompile (`mode`: 0 VANILLA, 1 ZKML, 2 TEE).
    #[derive(Debug, PartialEq, Eq)]
    struct ModelInferenceRequest {
        uint8 mode;
        string modelCID;
        ModelInput input;
    }

    /// The PIPE precompile's one function (selector `0x7289e9c2`).
    function runModelInference(ModelInferenceRequest request) returns (ModelOutput output);
}

/// Largest number of decimals a [`Number`] may carry (10^38 still fits an i128).
pub const MAX_DECIMALS: u32 = 38;

impl Number {
    /// A number from its integer value and decimals.
    pub const fn new(value: i128, decimals: i128) -> Self {
        Self { value, decimals }
    }

    /// The number of decimals, checked to be in `0..=MAX_DECIMALS`.
    pub fn checked_decimals(&self) -> Result<u32> {
        u32::try_from(self.decimals).ok().filter(|d| *d <= MAX_DECIMALS).ok_or_else(|| {
            InferenceError::MalformedTensor(format!(
                "decimals {} outside 0..={MAX_DECIMALS}",
                self.decimals
            ))
        })
    }

    /// `floor(value × 2^bits / 10^decimals)`: the fixed-point integer of an exact model, computed without
    /// floating point so that every machine gets the same integer.
    pub fn to_fixed(&self, bits: u32) -> Result<i64> {
        let decimals = self.checked_decimals()?;
        let scaled = self.value.checked_mul(1i128 << bits).ok_or_else(|| {
            InferenceError::MalformedTensor(format!("{} does not fit fixed point", self.value))
        })?;
        let fixed = scaled.div_euclid(10i128.pow(decimals));
        i64::try_from(fixed).map_err(|_| {
            InferenceError::MalformedTensor(format!("{} does not fit fixed point", self.value))
        })
    }

    /// The number from a fixed-point integer, rounded down to `decimals` places.
    pub fn from_fixed(fixed: i64, bits: u32, decimals: u32) -> Self {
        let value = (i128::from(fixed) * 10i128.pow(decimals)).div_euclid(1i128 << bits);
        Self::new(value, decimals.into())
    }

    /// A decimal written as text: `"-12.50"` → `(-1250, 2)`; `"1e-5"` → `(1, 5)`; `"2E3"` → `(2000, 0)`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let bad = || format!("{text:?} is not a decimal number");
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().map_err(|_| bad())?),
            None => (text, 0),
        };
        let (negative, digits) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let too_big =
            || format!("{text} does not fit an int128 with at most {MAX_DECIMALS} decimals");
        let mut value: i128 = format!("{whole}{fraction}").parse().map_err(|_| too_big())?;
        let mut decimals = fraction.len() as i32 - exponent;
        if decimals < 0 {
            value = 10i128
                .checked_pow(decimals.unsigned_abs())
                .and_then(|scale| value.checked_mul(scale))
                .ok_or_else(too_big)?;
            decimals = 0;
        }
        if decimals > MAX_DECIMALS as i32 {
            return Err(too_big());
        }
        Ok(Self::new(if negative { -value } else { value }, decimals.into()))
    }

    /// The nearest `f32` (for tolerance-class models).
    pub fn to_f32(&self) -> Result<f32> {
        let decimals = self.checked_decimals()?;
        Ok((self.value as f64 / 10f64.powi(decimals as i32)) as f32)
    }

    /// The number nearest to `x` with `decimals` places.
    pub fn from_f32(x: f32, decimals: u32) -> Self {
        let value = (f64::from(x) * 10f64.powi(decimals as i32)).round() as i128;
        Self::new(value, decimals.into())
    }
}

impl MultiDimensionalNumberTensor {
    /// A tensor, checking that the shape covers the values.
    pub fn new(name: impl Into<String>, values: Vec<Number>, shape: Vec<u32>) -> Result<Self> {
        let tensor = Self { name: name.into(), values, shape };
        tensor.check_shape()?;
        Ok(tensor)
    }

    /// Fails unless the product of the shape equals the number of values.
    pub fn check_shape(&self) -> Result<()> {
        let elements = self.shape.iter().try_fold(1u64, |acc, d| acc.checked_mul(u64::from(*d)));
        if elements != Some(self.values.len() as u64) {
            return Err(InferenceError::MalformedTensor(format!(
                "tensor '{}' has {} values but shape {:?}",
                self.name,
                self.values.len(),
                self.shape
            )));
        }
        Ok(())
    }
}

impl ModelInput {
    /// An input of number tensors only.
    pub fn numbers(numbers: Vec<MultiDimensionalNumberTensor>) -> Self {
        Self { numbers, strings: Vec::new() }
    }

    /// The number tensor called `name`.
    pub fn number_tensor(&self, name: &str) -> Result<&MultiDimensionalNumberTensor> {
        self.numbers.iter().find(|t| t.name == name).ok_or_else(|| {
            InferenceError::MalformedTensor(format!("missing input tensor '{name}'"))
        })
    }

    /// An input of string tensors only.
    ///
    /// ```
    /// use verigrad_inference::{ModelInput, StringTensor};
    ///
    /// let input = ModelInput::strings(vec![StringTensor::new("text", ["gm", "wagmi"])]);
    /// assert_eq!(input.string_tensor("text")?.values, ["gm", "wagmi"]);
    /// # Ok::<(), verigrad_inference::InferenceError>(())
    /// ```
    pub fn strings(strings: Vec<StringTensor>) -> Self {
        Self { numbers: Vec::new(), strings }
    }

    /// The string tensor called `name`.
    pub fn string_tensor(&self, name: &str) -> Result<&StringTensor> {
        self.strings.iter().find(|t| t.name == name).ok_or_else(|| {
            InferenceError::MalformedTensor(format!("missing input string tensor '{name}'"))
        })
    }
}

impl StringTensor {
    /// A named list of strings.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        Self { name: name.into(), values: values.into_iter().map(Into::into).collect() }
    }
}

impl ModelOutput {
    /// An output of number tensors only.
    pub fn numbers(numbers: Vec<MultiDimensionalNumberTensor>) -> Self {
        Self { numbers, strings: Vec::new(), jsons: Vec::new(), is_simulation_result: false }
    }

    /// The canonical encoding: the ABI encoding of the output as a final (non-simulated) result.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut canonical = self.clone();
        canonical.is_simulation_result = false;
        canonical.abi_encode()
    }

    /// The commitment to this output: keccak-256 of its canonical encoding.
    ///
    /// ```
    /// use verigrad_inference::{ModelOutput, MultiDimensionalNumberTensor, Number};
    ///
    /// let tensor = MultiDimensionalNumberTensor::new("y", vec![Number::new(42, 2)], vec![1])?;
    /// let output = ModelOutput::numbers(vec![tensor]);
    /// let mut simulated = output.clone();
    /// simulated.is_simulation_result = true;
    /// assert_eq!(output.commitment(), simulated.commitment());
    /// # Ok::<(), verigrad_inference::InferenceError>(())
    /// ```
    pub fn commitment(&self) -> B256 {
        keccak256(self.canonical_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_conversion_floors_exactly() {
        for (name, n, bits, fixed) in [
            ("integer", Number::new(3, 0), 4, 48),
            ("decimal", Number::new(125, 2), 4, 20),
            ("negative floors down", Number::new(-1, 1), 4, -2),
            ("tiny positive", Number::new(1, 38), 16, 0),
        ] {
            assert_eq!(n.to_fixed(bits).expect(name), fixed, "{name}");
        }
        assert_eq!(Number::from_fixed(20, 4, 3), Number::new(1250, 3));
        assert_eq!(Number::from_fixed(-2, 4, 2), Number::new(-13, 2), "floor of -0.125");
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for (name, n) in [
            ("negative decimals", Number::new(1, -1)),
            ("too many decimals", Number::new(1, 39)),
            ("overflow", Number::new(i128::MAX, 0)),
        ] {
            assert!(matches!(n.to_fixed(16), Err(InferenceError::MalformedTensor(_))), "{name}");
        }
    }

    #[test]
    fn shape_must_cover_values() {
        let values = vec![Number::new(1, 0); 6];
        assert!(MultiDimensionalNumberTensor::new("x", values.clone(), vec![2, 3]).is_ok());
        for shape in [vec![2, 2], vec![], vec![u32::MAX, u32::MAX, u32::MAX]] {
            let err = MultiDimensionalNumberTensor::new("x", values.clone(), shape.clone());
            assert!(matches!(err, Err(InferenceError::MalformedTensor(_))), "{shape:?}");
        }
    }

    #[test]
    fn commitment_is_keccak_of_the_abi_encoding() {
        let output = ModelOutput::numbers(vec![
            MultiDimensionalNumberTensor::new("y", vec![Number::new(7, 1)], vec![1])
                .expect("tensor"),
        ]);
        assert_eq!(output.commitment(), keccak256(output.abi_encode()));
        let decoded = ModelOutput::abi_decode(&output.canonical_bytes()).expect("round trip");
        assert_eq!(decoded, output);
    }

    /// The shared vector of PIPE disputes: `test/pipe/PipeDisputes.t.sol` pins the same hash for
    /// `keccak256(abi.encode(output))` in Solidity, so a signed output hash opens on chain.
    #[test]
    fn commitment_matches_solidity() {
        let output = ModelOutput {
            numbers: vec![
                MultiDimensionalNumberTensor::new(
                    "y",
                    vec![Number::new(-15, 1), Number::new(7, 0)],
                    vec![2],
                )
                .expect("tensor"),
            ],
            strings: vec![StringTensor::new("label", ["up"])],
            jsons: vec![JsonScalar { name: "k".into(), value: "v".into() }],
            is_simulation_result: true,
        };
        let pinned = alloy_primitives::b256!(
            "0x74a720359dd8e1d263aa6aace845e5dbc00bf29abebeaf9846d6491ad560154d"
        );
        assert_eq!(output.commitment(), pinned, "{}", output.commitment());
    }
}
