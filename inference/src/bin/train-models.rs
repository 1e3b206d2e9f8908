//! Trains the project's models from generated data and writes their packages.
//!
//! `cargo run -p verigrad-inference --bin train-models [-- OUT_DIR]` (default `models/`). The output is
//! bit-reproducible: the package ids it prints are the ids committed in `models/`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("models"), PathBuf::from);
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
