//! Measures how far a twin's answers would move if its volatility release were replaced: by the
//! shipped model retrained from other seeds (1.0.1), and by another architecture trained on the same
//! data (2.0.0). Both are trained here, reproducibly, and written with `--write DIR`.
//!
//! `cargo run --release -p verigrad-inference --bin twin-drift [-- [--probes N] [--write DIR]]`

use std::path::PathBuf;

use verigrad_inference::{
    ModelPackage, Runtime, drift,
    training::{self, PROBE_SEED, VOLATILITY_NARROW, VOLATILITY_RESEEDED},
};

const USAGE: &str = "usage: twin-drift [--probes N] [--write DIR]\n\nTrains verigrad/volatility \
                     1.0.1 (the shipped 1.0.0 retrained from other seeds) and 2.0.0 (another \
                     architecture), and prints the drift of each from the shipped 1.0.0 over N \
                     probe windows (default 256), as a twin's drift check measures it. With --write, \
                     also writes both packages under DIR.";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut probes, mut write): (usize, Option<PathBuf>) = (256, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--probes" => probes = args.next().ok_or(USAGE)?.parse()?,
            "--write" => write = Some(args.next().ok_or(USAGE)?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let shipped = ModelPackage::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/volatility"),
    )?;
    let probe_set = training::volatility_probes(probes)?;
    println!(
        "probe set: {probes} volatility windows (seed {PROBE_SEED}), commitment {}",
        probe_set.commitment()
    );
    let mut runtime = Runtime::new();
    let from = runtime.add(&shipped)?.to_string();
    for (recipe, what) in [
        (VOLATILITY_RESEEDED, "the shipped model retrained from other seeds"),
        (VOLATILITY_NARROW, "another architecture (16-4-1) on the same data"),
    ] {
        eprintln!("training verigrad/volatility {} …", recipe.version);
        let trained = training::volatility_with(&recipe)?;
        let to = runtime.add(&trained.package)?.to_string();
        let moved = drift(&runtime, &from, &to, &probe_set)?;
        println!(
            "1.0.0 -> {} ({what}), release {to}: drift mean {:.8} ({} ppm), max {:.8}; {}",
            recipe.version,
            moved.mean,
            moved.ppm(),
            moved.max,
            trained.report.join("; "),
        );
        if let Some(dir) = &write {
            let written =
                trained.package.write(dir.join(format!("volatility-{}", recipe.version)))?;
            println!("  written to {}", written.display());
        }
    }
    Ok(())
}
