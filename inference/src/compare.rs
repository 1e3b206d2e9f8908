//! Whether two executions of a model agree, by its determinism class.

use crate::{Determinism, JsonScalar, ModelOutput, Number};

/// Whether `theirs` is an acceptable result where this worker computed `mine`.
///
/// Exact models agree only bit for bit (the caller compares hashes before decoding anything).
/// Tolerance models agree when both outputs have the same tensors, shapes and strings, and every
/// number is within ε of this worker's.
///
/// ```
/// use verigrad_inference::{Determinism, ModelOutput, MultiDimensionalNumberTensor, Number};
///
/// let output = |value| -> ModelOutput {
///     let tensor = MultiDimensionalNumberTensor::new("y", vec![Number::new(value, 6)], vec![1]);
///     ModelOutput::numbers(vec![tensor.expect("tensor")])
/// };
/// let tolerance = Determinism::Tolerance { epsilon: 1e-5 };
/// assert!(verigrad_inference::agrees(tolerance, &output(500_000), &output(500_004)));
/// assert!(!verigrad_inference::agrees(tolerance, &output(500_000), &output(500_040)));
/// let exact = Determinism::Exact { scale_bits: 16 };
/// assert!(!verigrad_inference::agrees(exact, &output(500_000), &output(500_004)));
/// ```
pub fn agrees(determinism: Determinism, mine: &ModelOutput, theirs: &ModelOutput) -> bool {
    let epsilon = match determinism {
        Determinism::Exact { .. } => return mine.commitment() == theirs.commitment(),
        Determinism::Tolerance { epsilon } => epsilon,
    };
    let numbers_agree = mine.numbers.len() == theirs.numbers.len()
        && mine.numbers.iter().zip(&theirs.numbers).all(|(a, b)| {
            a.name == b.name
                && a.shape == b.shape
                && a.values.len() == b.values.len()
                && a.values.iter().zip(&b.values).all(|(x, y)| {
                    matches!((value(x), value(y)), (Some(x), Some(y)) if (x - y).abs() <= epsilon)
                })
        });
    numbers_agree && mine.strings == theirs.strings && mine.jsons == theirs.jsons
}

/// Makes an output wrong beyond any tolerance (its first number grows by one whole unit): what a
/// `--faulty` worker answers, so that tests and demos can watch the protocol catch it.
pub fn falsify(output: &mut ModelOutput) {
    match output.numbers.first_mut().and_then(|t| t.values.first_mut()) {
        Some(number) => {
            let unit = u32::try_from(number.decimals).map_or(1, |d| 10i128.saturating_pow(d));
            number.value = number.value.saturating_add(unit);
        }
        None => output.jsons.push(JsonScalar { name: "faulty".into(), value: "true".into() }),
    }
}

/// A number as `f64`, or `None` if its decimals are out of range.
/// A number's value, `None` if its decimals are out of range.
pub(crate) fn value(number: &Number) -> Option<f64> {
    let decimals = number.checked_decimals().ok()?;
    Some(number.value as f64 / 10f64.powi(decimals as i32))
}

#[cfg(test)]
mod tests {
    use crate::MultiDimensionalNumberTensor;

    use super::*;

    fn output(name: &str, values: &[(i128, i128)]) -> ModelOutput {
        let values: Vec<Number> = values.iter().map(|&(v, d)| Number::new(v, d)).collect();
        let shape = vec![values.len() as u32];
        ModelOutput::numbers(vec![
            MultiDimensionalNumberTensor::new(name, values, shape).expect("tensor"),
        ])
    }

    #[test]
    fn compares_by_class() {
        let tolerance = Determinism::Tolerance { epsilon: 1e-5 };
        let exact = Determinism::Exact { scale_bits: 16 };
        let mine = output("y", &[(500_000, 6)]);
        let cases = [
            ("identical, exact", exact, output("y", &[(500_000, 6)]), true),
            ("noise, exact", exact, output("y", &[(500_001, 6)]), false),
            ("noise within ε", tolerance, output("y", &[(500_009, 6)]), true),
            ("other decimals, same value", tolerance, output("y", &[(5, 1)]), true),
            ("beyond ε", tolerance, output("y", &[(500_020, 6)]), false),
            ("other tensor name", tolerance, output("z", &[(500_000, 6)]), false),
            ("other length", tolerance, output("y", &[(500_000, 6), (1, 0)]), false),
            ("bad decimals", tolerance, output("y", &[(500_000, -1)]), false),
        ];
        for (name, class, theirs, expected) in cases {
            assert_eq!(agrees(class, &mine, &theirs), expected, "{name}");
        }
    }

    #[test]
    fn a_falsified_output_is_wrong_beyond_any_tolerance() {
        let honest = output("y", &[(123, 3)]);
        let mut wrong = honest.clone();
        falsify(&mut wrong);
        assert_eq!(wrong.numbers[0].values[0], Number::new(1_123, 3), "one whole unit more");
        let tolerance = Determinism::Tolerance { epsilon: 0.5 };
        assert!(!agrees(tolerance, &honest, &wrong));

        let mut empty = ModelOutput::numbers(Vec::new());
        falsify(&mut empty);
        assert_ne!(empty.commitment(), ModelOutput::numbers(Vec::new()).commitment());
    }
}
