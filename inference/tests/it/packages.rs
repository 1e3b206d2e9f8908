//! Package identity and integrity.

use std::collections::BTreeMap;

use alloy_primitives::B256;
use verigrad_inference::{InferenceError, ModelPackage, WEIGHTS_FILE, training};

use crate::models_dir;

/// The ids of the committed packages (keccak-256 of their canonical bytes). Pin them in ModelRegistry.
const VOLATILITY_ID: &str = "0x648ee22ace40e4c738072a7948bcf78afcfd8e9037dac481078bb9a35c79abc7";
const RISK_ID: &str = "0x4b861a6b19eade6edd3c36a6c0451f0f192ef9d16c75ff0f6afab2e1c56cc031";
/// all-MiniLM-L6-v2: the committed manifest plus the files `scripts/setup` installs from the wheel.
pub(crate) const MINILM_ID: &str =
    "0xcb506eb23864139fd18fe6acf96b68691f250068b84bbb7ee38d66babba9eb03";

pub(crate) fn copy_package(name: &str) -> tempdir::Dir {
    let dir = tempdir::Dir::new(name);
    for entry in std::fs::read_dir(models_dir().join(name)).expect("package folder") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    dir
}

#[test]
fn shipped_packages_have_their_pinned_ids() {
    for (name, id) in [("volatility", VOLATILITY_ID), ("risk", RISK_ID), ("minilm", MINILM_ID)] {
        let id: B256 = id.parse().expect("hex id");
        let package = ModelPackage::load_expecting(models_dir().join(name), id).expect(name);
        assert_eq!(package.id(), id, "{name}");
    }
}

#[test]
fn retraining_reproduces_the_shipped_packages_bit_for_bit() {
    let volatility = training::volatility().expect("trains");
    assert_eq!(volatility.package.id().to_string(), VOLATILITY_ID);
    let risk = training::risk().expect("trains");
    assert_eq!(risk.package.id().to_string(), RISK_ID);
}

#[test]
fn a_tampered_weights_file_is_rejected() {
    let dir = copy_package("volatility");
    let weights = dir.path().join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&weights).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&weights, bytes).expect("write");
    let err = ModelPackage::load(dir.path()).expect_err("tampered");
    assert!(matches!(err, InferenceError::Tampered { .. }), "{err}");
}

#[test]
fn a_changed_manifest_changes_the_id() {
    let dir = copy_package("risk");
    let manifest = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(&manifest, text.replace("\"cost_units\": 48", "\"cost_units\": 1"))
        .expect("write");
    let package = ModelPackage::load(dir.path()).expect("still well-formed");
    assert_ne!(package.id().to_string(), RISK_ID);
    let err =
        ModelPackage::load_expecting(dir.path(), RISK_ID.parse().expect("id")).expect_err("pinned");
    assert!(matches!(err, InferenceError::Tampered { .. }), "{err}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let dir = copy_package("risk");
    std::fs::remove_file(dir.path().join(WEIGHTS_FILE)).expect("remove");
    let err = ModelPackage::load(dir.path()).expect_err("incomplete");
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");
}

#[test]
fn build_and_write_round_trip() {
    let original = ModelPackage::load(models_dir().join("volatility")).expect("load");
    let files = BTreeMap::from([(
        WEIGHTS_FILE.to_string(),
        original.file(WEIGHTS_FILE).expect("weights").to_vec(),
    )]);
    let rebuilt = ModelPackage::build(original.manifest().clone(), files).expect("build");
    assert_eq!(rebuilt.id(), original.id());
    let dir = tempdir::Dir::new("round-trip");
    rebuilt.write(dir.path()).expect("write");
    assert_eq!(ModelPackage::load(dir.path()).expect("reload").id(), original.id());
}

/// A scratch folder removed on drop.
pub(crate) mod tempdir {
    use std::path::{Path, PathBuf};

    pub(crate) struct Dir(PathBuf);

    impl Dir {
        pub(crate) fn new(tag: &str) -> Self {
            let unique = format!(
                "verigrad-it-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            );
            let path = std::env::temp_dir().join(unique.replace(['(', ')'], ""));
            std::fs::create_dir_all(&path).expect("temp dir");
            Self(path)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The twin variants of volatility in `models/twins` (written by `twin-drift --write models/twins`).
const VOLATILITY_RESEEDED_ID: &str =
    "0x806b3947615059ffd90a03c4bed52b2f48b7d0edd61bf9121e3890dc7f3a9029";
const VOLATILITY_NARROW_ID: &str =
    "0x3cf3b70a68e586a1d4116f6ffe2ed79553a310144024e8990c5b1517faaa6666";

#[test]
fn the_twin_variants_drift_by_the_documented_figures() {
    let mut runtime = verigrad_inference::Runtime::new();
    let load = |dir: std::path::PathBuf, id: &str| {
        ModelPackage::load_expecting(&dir, id.parse().expect("hex id")).expect("twin variant")
    };
    let shipped = runtime.add(&load(models_dir().join("volatility"), VOLATILITY_ID)).expect("adds");
    let twins = models_dir().join("twins");
    let reseeded = load(twins.join("volatility-1.0.1"), VOLATILITY_RESEEDED_ID);
    let narrow = load(twins.join("volatility-2.0.0"), VOLATILITY_NARROW_ID);
    let (reseeded, narrow) =
        (runtime.add(&reseeded).expect("adds"), runtime.add(&narrow).expect("adds"));
    let probes = training::volatility_probes(256).expect("probes");
    let from = shipped.to_string();
    let moved = |to: B256| {
        verigrad_inference::drift(&runtime, &from, &to.to_string(), &probes).expect("drift")
    };
    // Exact releases: every verifier computes these figures to the bit (docs/twins.md).
    assert_eq!((moved(reseeded).ppm(), moved(narrow).ppm()), (1_206, 2_832));
    assert_eq!(moved(shipped).ppm(), 0);
    let risk =
        runtime.add(&ModelPackage::load(models_dir().join("risk")).expect("risk")).expect("adds");
    let error = verigrad_inference::drift(&runtime, &from, &risk.to_string(), &probes)
        .expect_err("risk takes other inputs");
    assert!(
        error.to_string().contains("features") || error.to_string().contains("returns"),
        "{error}"
    );
}
