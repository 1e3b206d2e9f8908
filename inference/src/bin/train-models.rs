//! Trains the project's models from generated data and writes their packages.
//!
//! `cargo run -p verigrad-inference --bin train-models [-- [--threads N] OUT_DIR]` (default `models/`,
//! one thread per inference). The output is bit-reproducible: the package ids it prints are the ids
//! committed in `models/`.

use std::{num::NonZeroUsize, path::PathBuf};

use verigrad_inference::{DEFAULT_THREADS, set_threads};

const USAGE: &str = "usage: train-models [--threads N] [OUT_DIR]\n\nTrains verigrad/volatility and \
                     verigrad/risk from generated data and writes their packages to OUT_DIR (default: \
                     models/), running each inference on N threads (default: 1).";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut threads, mut out): (NonZeroUsize, Option<PathBuf>) = (DEFAULT_THREADS, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or(USAGE)?.parse()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            dir if !dir.starts_with('-') && out.is_none() => out = Some(dir.into()),
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
    // SAFETY: first thing after parsing the arguments, before any other thread exists.
    unsafe { set_threads(threads) };
    let out = out.unwrap_or_else(|| PathBuf::from("models"));
    for (slug, train) in [
        ("volatility", verigrad_inference::training::volatility as fn() -> _),
        ("risk", verigrad_inference::training::risk),
    ] {
        eprintln!("training {slug} …");
        let trained = train()?;
        let dir = trained.package.write(out.join(slug))?;
        println!(
            "{} {} -> {}",
            trained.package.manifest().name,
            trained.package.id(),
            dir.display()
        );
        for line in &trained.report {
            println!("  {line}");
        }
    }
    Ok(())
}
