//! Integration tests of the inference runtime against the shipped packages in `models/`.

//! The sentence embedder's weights are installed by `scripts/setup`, which runs before the tests.

mod embedder;
mod packages;
mod runtime;

use std::{path::PathBuf, sync::OnceLock};

use verigrad_inference::{ModelInput, MultiDimensionalNumberTensor, Number, Runtime};

/// The repository's `models/` folder.
fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// All shipped models, loaded once for the whole test binary (hashing the embedder's 90 MB of files
/// takes about a second).
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::load_dir(models_dir()).expect("shipped models load"))
}

/// A `[1, n]` input tensor from `(value, decimals)` pairs.
fn input(name: &str, values: &[(i128, i128)]) -> ModelInput {
    let numbers = values.iter().map(|(v, d)| Number::new(*v, *d)).collect();
    let tensor = MultiDimensionalNumberTensor::new(name, numbers, vec![1, values.len() as u32])
        .expect("well-formed tensor");
    ModelInput::numbers(vec![tensor])
}

/// A calm-then-stormy window of 16 daily log-returns (4 decimals).
fn returns_window() -> ModelInput {
    input(
        "returns",
        &[
            (12, 4),
            (-8, 4),
            (5, 4),
            (-15, 4),
            (9, 4),
            (-3, 4),
            (11, 4),
            (-6, 4),
            (140, 4),
            (-210, 4),
            (95, 4),
            (-180, 4),
            (260, 4),
            (-120, 4),
            (75, 4),
            (-300, 4),
        ],
    )
}

/// A leveraged, thinly collateralised position.
fn risky_position() -> ModelInput {
    input("features", &[(115, 2), (80, 2), (90, 2), (45, 1), (5, 1), (2, 0), (30, 3), (8, 0)])
}
