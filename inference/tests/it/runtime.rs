//! Running the shipped models.

use verigrad_inference::{InferenceError, ModelInput, Number};

use crate::{input, returns_window, risky_position, runtime};

#[test]
fn exact_model_output_matches_its_golden_commitment() {
    let rt = runtime();
    let output = rt.run("verigrad/volatility", &returns_window()).expect("runs");
    let volatility = &output.numbers[0];
    assert_eq!(volatility.name, "volatility");
    assert_eq!(volatility.shape, vec![1, 1]);
    assert_eq!(volatility.values, vec![Number::new(GOLDEN_VOLATILITY, 8)]);
    // The same commitment on every machine: the exact class compares by hash.
    assert_eq!(output.commitment().to_string(), GOLDEN_VOLATILITY_COMMITMENT);
}

const GOLDEN_VOLATILITY: i128 = 1_571_655;
const GOLDEN_VOLATILITY_COMMITMENT: &str =
    "0xa55799f9831114c404c6522ed125999282eb8bee6ba7d3b2e0d7ced5bef65ef3";

#[test]
fn exact_model_is_identical_across_runs_and_threads() {
    let rt = runtime();
    let first = rt.run("verigrad/volatility", &returns_window()).expect("runs").commitment();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let rt = rt.clone();
            std::thread::spawn(move || {
                rt.run("verigrad/volatility", &returns_window()).expect("runs")
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread").commitment(), first);
    }
}

#[test]
fn tolerance_model_is_within_epsilon_of_its_golden_value() {
    let rt = runtime();
    let output = rt.run("verigrad/risk", &risky_position()).expect("runs");
    let risk = &output.numbers[0].values[0];
    assert_eq!(risk.decimals, 6);
    let p = risk.value as f64 / 1e6;
    assert!((p - GOLDEN_RISK).abs() <= 1e-5, "risk {p} vs golden {GOLDEN_RISK}");
    let safe =
        input("features", &[(300, 2), (5, 2), (20, 2), (75, 1), (40, 1), (0, 0), (1, 3), (1, 0)]);
    let safe =
        rt.run("verigrad/risk", &safe).expect("runs").numbers[0].values[0].value as f64 / 1e6;
    assert!(safe < 0.1 && p > 0.5, "a safe position scores low ({safe}), a risky one high ({p})");
}

const GOLDEN_RISK: f64 = 0.999_857;

#[test]
fn models_resolve_by_id_name_and_version() {
    let rt = runtime();
    let id = rt.resolve("verigrad/volatility").expect("by name");
    assert_eq!(rt.resolve(&id.to_string()).expect("by id"), id);
    assert_eq!(rt.resolve("verigrad/volatility@1.0.0").expect("by version"), id);
    assert_eq!(rt.ids().count(), 5, "volatility, risk, minilm, importance and slot-pair");
}

#[test]
fn unknown_models_and_malformed_tensors_are_clear_errors() {
    let rt = runtime();
    let unknown = rt.run("verigrad/nope", &returns_window()).expect_err("unknown");
    assert!(matches!(unknown, InferenceError::UnknownModel(_)), "{unknown}");
    let missing_id = format!("0x{}", "11".repeat(32));
    assert!(matches!(rt.run(&missing_id, &returns_window()), Err(InferenceError::UnknownModel(_))));

    let cases: Vec<(&str, ModelInput)> = vec![
        ("wrong tensor name", input("prices", &[(1, 0); 16])),
        ("wrong shape", input("returns", &[(1, 0); 15])),
        ("negative decimals", input("returns", &[(1, -2); 16])),
        ("too large for exact arithmetic", input("returns", &[(i128::from(i64::MAX), 0); 16])),
        ("no tensors", ModelInput::numbers(vec![])),
    ];
    for (name, bad) in cases {
        let err = rt.run("verigrad/volatility", &bad).expect_err(name);
        assert!(matches!(err, InferenceError::MalformedTensor(_)), "{name}: {err}");
    }
}
