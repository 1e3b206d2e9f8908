//! MemSync's selectivity evaluation (issue 14): synthetic multi-session conversations through the
//! distiller, then questions about current and past facts.
//!
//! `cargo run --release -p verigrad-distill --bin memsync-eval [-- --personas N --sessions S --seed X
//! --models DIR --no-baseline --no-latency]` prints recall@5 of current and past facts, how often a
//! superseded fact outranks the current one, memories kept per 100 messages against keeping every
//! message, time per message and search latency at 10 000 and 100 000 memories. Progress goes to
//! stderr.

use std::path::PathBuf;

use verigrad_distill::{Distiller, EvalConfig, evaluate};
use verigrad_inference::{DEFAULT_THREADS, set_threads};

const USAGE: &str = "usage: memsync-eval [--personas N] [--sessions S] [--seed X] [--models DIR] \
                     [--no-baseline] [--no-latency]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = EvalConfig {
        seed: 14,
        personas: 40,
        sessions: 5,
        baseline: true,
        latency_sizes: vec![10_000, 100_000],
    };
    let mut models = PathBuf::from("models");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(USAGE);
        match arg.as_str() {
            "--personas" => config.personas = value()?.parse()?,
            "--sessions" => config.sessions = value()?.parse()?,
            "--seed" => config.seed = value()?.parse()?,
            "--models" => models = value()?.into(),
            "--no-baseline" => config.baseline = false,
            "--no-latency" => config.latency_sizes.clear(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(USAGE.into()),
        }
    }
    // SAFETY: first thing after parsing the arguments, before any other thread exists.
    unsafe { set_threads(DEFAULT_THREADS) };
    eprintln!("loading {} …", models.display());
    let distiller = Distiller::load(&models)?;
    let report = evaluate(&distiller, &config, |line| eprintln!("{line}"))?;

    let d = &report.distilled;
    println!(
        "{} personas × {} sessions, {} messages (seed {})",
        config.personas, config.sessions, report.messages, config.seed
    );
    println!(
        "distilled:       recall@5 current {:.3} ({}/{}), past {:.3} ({}/{}), superseded above \
         current {:.1} % ({}/{}), kept {:.1} per 100 messages",
        d.recall(),
        d.current_hits,
        d.current,
        d.past_recall(),
        d.past_hits,
        d.past,
        100.0 * d.superseded_above_rate(),
        d.superseded_above,
        d.changed,
        report.kept_per_100()
    );
    println!(
        "                 {} created, {} reinforced, {} superseded ({} slot changes in the \
         conversations); {:.1} ms a message",
        report.created,
        report.reinforced,
        report.superseded,
        report.changes,
        report.ms_per_message()
    );
    if let Some(b) = &report.baseline {
        println!(
            "keep-everything: recall@5 current {:.3}, past {:.3}, superseded above current {:.1} %, \
             kept 100 per 100 messages",
            b.recall(),
            b.past_recall(),
            100.0 * b.superseded_above_rate()
        );
    }
    for (size, ms) in &report.latency_ms {
        println!("exact search (top 5) over {size:>6} memories: {ms:.2} ms a query");
    }
    Ok(())
}
