//! Generates the bindings from the committed ABIs (`abi/<Contract>.json`, written from Forge's artifacts
//! by `scripts/contracts-abi`) and the Solidity sources next to this crate.
//!
//! An ABI names an enum (`"internalType": "enum TaskStatus"`) but not its variants, which `sol!` would
//! then bind as a bare `uint8`. The variants are read here from the enum declarations in
//! `contracts/types/` and `contracts/interfaces/`, and each ABI is written out as Solidity with those
//! enums declared (alloy's `ToSolConfig::enum_definitions`), so that every Solidity enum reaches Rust as
//! an enum, once, and nothing is copied by hand. A missing declaration fails the build.
//!
//! Also generated, from the same ABIs and declarations: each enum's variant names (`EnumName`),
//! `ContractError`, one variant per contract, and the `Display` of each contract's error enum (the
//! error as `Name { field: value }`).

use std::{
    collections::{BTreeMap, BTreeSet},
    env,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

use alloy_json_abi::{JsonAbi, ToSolConfig};
use syn_solidity::{File, Item};

/// Where the Solidity enums are declared, relative to this crate.
const SOLIDITY_DIRS: [&str; 2] = ["../types", "../interfaces"];

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let enums = solidity_enums(&root);

    let mut contracts = Vec::new();
    let mut enum_impls = BTreeMap::new();
    let abi_dir = root.join("abi");
    println!("cargo:rerun-if-changed={}", abi_dir.display());
    let mut paths: Vec<_> = fs::read_dir(&abi_dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", abi_dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name").to_owned();
        let json =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let mut abi = JsonAbi::from_json_str(&json)
            .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
        abi.dedup();
        for used in enums_used(&name, &json, &enums) {
            enum_impls.insert(used.rust_path(&name), enums[&used.0].clone());
        }
        let config = ToSolConfig::new()
            .for_sol_macro(true)
            .enum_definitions(enums.iter().map(|(k, v)| (k.clone(), v.clone())));
        let sol = abi.to_sol(&name, Some(config));
        let sol_path = out.join(format!("{name}.sol"));
        fs::write(&sol_path, sol).unwrap_or_else(|e| panic!("write {}: {e}", sol_path.display()));
        contracts.push((name, abi));
    }
    let rust = out.join("bindings.rs");
    fs::write(&rust, bindings(&out, &contracts, &enum_impls))
        .unwrap_or_else(|e| panic!("write {}: {e}", rust.display()));
}

/// The enums declared in the Solidity sources, keyed as an ABI names them: `Enum` at file level,
/// `Contract.Enum` inside a contract or interface; each with its variants in order.
fn solidity_enums(root: &Path) -> BTreeMap<String, Vec<String>> {
    let mut enums = BTreeMap::new();
    for dir in SOLIDITY_DIRS.map(|d| root.join(d)) {
        println!("cargo:rerun-if-changed={}", dir.display());
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for path in entries.map(|entry| entry.expect("directory entry").path()) {
            if path.extension().is_none_or(|ext| ext != "sol") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            let source = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let file: File = syn::parse_str(&source)
                .unwrap_or_else(|e| panic!("parse {} as Solidity: {e}", path.display()));
            collect_enums(None, &file.items, &mut enums);
        }
    }
    enums
}

fn collect_enums(scope: Option<&str>, items: &[Item], enums: &mut BTreeMap<String, Vec<String>>) {
    for item in items {
        match item {
            Item::Enum(e) => {
                let key = match scope {
                    Some(contract) => format!("{contract}.{}", e.name),
                    None => e.name.to_string(),
                };
                enums.insert(key, e.variants.iter().map(|v| v.ident.to_string()).collect());
            }
            Item::Contract(c) => collect_enums(Some(&c.name.to_string()), &c.body, enums),
            _ => {}
        }
    }
}

/// An enum as an ABI names it: `Enum`, or `Contract.Enum`.
struct AbiEnum(String);

impl AbiEnum {
    /// Where `sol!` puts it: in the library of its contract, or else in the interface of the
    /// contract whose ABI uses it.
    fn rust_path(&self, contract: &str) -> String {
        match self.0.split_once('.') {
            Some((library, name)) => format!("{library}::{name}"),
            None => format!("{contract}::{}", self.0),
        }
    }
}

/// The enums `contract`'s ABI names. Fails the build if one has no declaration: it would be bound as
/// a bare `uint8`.
fn enums_used(contract: &str, json: &str, enums: &BTreeMap<String, Vec<String>>) -> Vec<AbiEnum> {
    let value: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    let mut named = BTreeSet::new();
    enum_types(&value, &mut named);
    for name in &named {
        assert!(
            enums.contains_key(name),
            "{contract}'s ABI uses enum {name}, declared in none of {SOLIDITY_DIRS:?}"
        );
    }
    named.into_iter().map(AbiEnum).collect()
}

fn enum_types(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(ty)) = map.get("internalType")
                && let Some(name) = ty.strip_prefix("enum ")
            {
                out.insert(name.split('[').next().unwrap_or(name).to_owned());
            }
            map.values().for_each(|v| enum_types(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| enum_types(v, out)),
        _ => {}
    }
}

/// The Rust that includes each contract's Solidity through `sol!`, and the error types over them.
fn bindings(
    out: &Path,
    contracts: &[(String, JsonAbi)],
    enums: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut rust = String::new();
    for (name, _) in contracts {
        // An absolute path: `sol!` takes a literal, and reads a relative one from the crate.
        let path = out.join(format!("{name}.sol"));
        writeln!(
            rust,
            "sol!(#[sol(all_derives, extra_methods)] {:?});",
            path.display().to_string()
        )
        .expect("write to a String");
    }

    for (path, variants) in enums {
        let names: Vec<String> = variants.iter().map(|v| format!("{v:?}")).collect();
        writeln!(
            rust,
            "\nimpl crate::EnumName for {path} {{\n    const VARIANTS: &'static [&'static str] = &[{}];\n}}",
            names.join(", ")
        )
        .expect("write to a String");
    }

    // Only a contract that declares errors has an error enum.
    let with_errors: Vec<_> =
        contracts.iter().filter(|(_, abi)| abi.errors().next().is_some()).collect();
    rust.push_str(
        "\n/// A revert decoded as a custom error of one of the core contracts.\n\
         #[derive(Debug, Clone, PartialEq, Eq)]\n\
         pub enum ContractError {\n",
    );
    for (name, _) in &with_errors {
        writeln!(rust, "    /// An error of `{name}`.\n    {name}({name}::{name}Errors),")
            .expect("write to a String");
    }
    rust.push_str("}\n\nimpl ContractError {\n");
    rust.push_str(
        "    /// Decodes `data` as an error of the first contract that declares its selector.\n\
         \x20   pub fn decode(data: &[u8]) -> Option<Self> {\n",
    );
    for (name, _) in &with_errors {
        writeln!(
            rust,
            "        if let Ok(e) = <{name}::{name}Errors as SolInterface>::abi_decode(data) {{\n\
             \x20           return Some(Self::{name}(e));\n        }}"
        )
        .expect("write to a String");
    }
    rust.push_str("        None\n    }\n}\n\n");

    rust.push_str("impl std::fmt::Display for ContractError {\n");
    rust.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
    rust.push_str("        match self {\n");
    for (name, _) in &with_errors {
        writeln!(rust, "            Self::{name}(e) => e.fmt(f),").expect("write to a String");
    }
    rust.push_str("        }\n    }\n}\n");

    for (name, abi) in &with_errors {
        let errors: Vec<_> = abi.errors().collect();
        writeln!(rust, "\nimpl std::fmt::Display for {name}::{name}Errors {{")
            .expect("write to a String");
        rust.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
        rust.push_str("        match self {\n");
        let mut seen = BTreeMap::<&str, usize>::new();
        for error in &errors {
            *seen.entry(error.name.as_str()).or_default() += 1;
        }
        let mut index = BTreeMap::<&str, usize>::new();
        for error in &errors {
            // `sol!` numbers overloaded names: `E_0`, `E_1`, … in declaration order.
            let variant = if seen[error.name.as_str()] > 1 {
                let i = index.entry(error.name.as_str()).or_default();
                *i += 1;
                format!("{}_{}", error.name, *i - 1)
            } else {
                error.name.clone()
            };
            writeln!(rust, "            Self::{variant}(e) => std::fmt::Debug::fmt(e, f),")
                .expect("write to a String");
        }
        rust.push_str("        }\n    }\n}\n");
    }
    rust
}
