//! Typed bindings for the on-chain core, generated from the ABIs that Forge compiled.
//!
//! The ABIs are committed in `worker/abi/` (written by `scripts/worker-abi` from `out/<C>.sol/<C>.json`)
//! so that a fresh clone builds without `forge build`; a test checks that they match `out/` whenever
//! it exists. Each module holds the contract's calls, events and custom errors.
//!
//! One change is made to the artifacts' ABIs: struct types named through an interface
//! (`struct IModelRegistry.Release`) lose the prefix (`struct Release`). `sol!` would otherwise put
//! them in a library of their own, where the file-level enums they hold (`DeterminismClass`, declared
//! in `contracts/types/`) are out of scope; unprefixed, each struct sits in the contract's interface
//! beside those enums.

// `sol!` generates undocumented items (their docs are the NatSpec in `contracts/interfaces/`), and
// constructors with as many arguments as the Solidity items have (the `TaskCreated` event has eight).
#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

sol!(
    #[sol(all_derives)]
    Token,
    "abi/Token.json"
);

sol!(
    #[sol(all_derives)]
    WorkerRegistry,
    "abi/WorkerRegistry.json"
);

sol!(
    #[sol(all_derives)]
    ModelRegistry,
    "abi/ModelRegistry.json"
);

sol!(
    #[sol(all_derives)]
    TaskEscrow,
    "abi/TaskEscrow.json"
);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    /// The contracts whose ABIs are committed, by artifact name.
    const CONTRACTS: [&str; 4] = ["Token", "WorkerRegistry", "ModelRegistry", "TaskEscrow"];

    /// What `scripts/worker-abi` does to an artifact's ABI: `struct I.S` becomes `struct S`.
    fn unqualify_structs(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(ty)) = map.get_mut("internalType")
                    && let Some(name) = ty.strip_prefix("struct ")
                    && let Some((_, unqualified)) = name.split_once('.')
                {
                    *ty = format!("struct {unqualified}");
                }
                map.values_mut().for_each(unqualify_structs);
            }
            Value::Array(items) => items.iter_mut().for_each(unqualify_structs),
            _ => {}
        }
    }

    /// The committed ABIs equal the `abi` of Forge's artifacts. Skipped when `out/` has not been
    /// built (a fresh clone); `scripts/test` builds it first, so CI always checks.
    #[test]
    fn abi_is_current() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = root.join("../out");
        if !out.is_dir() {
            eprintln!("skipped: no Forge artifacts in {} (run forge build)", out.display());
            return;
        }
        let read = |path: &Path| -> Value {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
        };
        for contract in CONTRACTS {
            let mut abi = read(&out.join(format!("{contract}.sol/{contract}.json")))["abi"].take();
            unqualify_structs(&mut abi);
            let committed = read(&root.join(format!("abi/{contract}.json")));
            assert_eq!(
                abi, committed,
                "worker/abi/{contract}.json is stale: run scripts/worker-abi"
            );
        }
    }
}
