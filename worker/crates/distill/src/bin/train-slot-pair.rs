//! Trains `verigrad/slot-pair` from generated fact pairs and writes its package.
//!
//! `cargo run --release -p verigrad-distill --bin train-slot-pair [-- [--models DIR] [OUT_DIR]]`
//! reads MiniLM from DIR (default `models/`) and writes the package to OUT_DIR (default
//! `models/slot-pair`), printing its id and held-out quality, alone and with the category condition
//! of the distiller (the heads of DIR's `importance` package). Rerunning on the same machine gives
//! the same package id.

use std::path::PathBuf;

use verigrad_distill::{CLASSES_FILE, Classes, IMPORTANCE_DIR, MiniLm, SLOT_PAIR_DIR, train};
use verigrad_inference::{DEFAULT_THREADS, ModelPackage, Runtime, set_threads};

const USAGE: &str = "usage: train-slot-pair [--models DIR] [OUT_DIR]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut models, mut out) = (PathBuf::from("models"), None::<PathBuf>);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--models" => models = args.next().ok_or(USAGE)?.into(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            dir if !dir.starts_with('-') && out.is_none() => out = Some(dir.into()),
            _ => return Err(USAGE.into()),
        }
    }
    // SAFETY: first thing after parsing the arguments, before any other thread exists.
    unsafe { set_threads(DEFAULT_THREADS) };
    let out = out.unwrap_or_else(|| models.join(SLOT_PAIR_DIR));
    eprintln!("loading MiniLM from {} …", models.display());
    let embedder = MiniLm::new(Runtime::load_dir(&models)?)?;
    eprintln!("embedding the generated pairs and training …");
    let package = ModelPackage::load(models.join(IMPORTANCE_DIR))?;
    let classes = Classes::from_json(package.file(CLASSES_FILE)?)?;
    let trained = train::train_slot_pair(&embedder, Some(&classes))?;
    let dir = trained.package.write(&out)?;
    println!("{} {} -> {}", trained.package.manifest().name, trained.package.id(), dir.display());
    for line in &trained.report {
        println!("  {line}");
    }
    Ok(())
}
