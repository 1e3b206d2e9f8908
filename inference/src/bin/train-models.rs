//! Trains the project's models from generated data and writes their packages.
//!
//! `cargo run -p verigrad-inference --bin train-models [-- OUT_DIR]` (default `models/`). The output is
//! bit-reproducible: the package ids it prints are the ids committed in `models/`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = match std::env::args().nth(1) {
        None => PathBuf::from("models"),
        Some(arg) if arg.starts_with('-') => {
            eprintln!(
                "usage: train-models [OUT_DIR]\n\nTrains verigrad/volatility and verigrad/risk from \
                 generated data and writes their packages to OUT_DIR (default: models/)."
            );
            std::process::exit(if arg == "-h" || arg == "--help" { 0 } else { 2 });
        }
        Some(dir) => PathBuf::from(dir),
    };
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
