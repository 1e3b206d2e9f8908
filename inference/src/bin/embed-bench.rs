//! Times the sentence embedder on 256 generated sentences, for `scripts/embed-bench`, which runs
//! sentence-transformers on the same sentences and weights beside it.
//!
//! `embed-bench [--threads N] [--models DIR] OUT_DIR` writes `OUT_DIR/sentences.txt` (one a line) and
//! `OUT_DIR/rust.json` (`threads`, sentences per second by request size, and every embedding) and
//! prints the throughputs. A request carries at most 8 sentences (the package's limit), so the 256
//! sentences go as 256 requests of 1, 32 of 8, and again 32 of 8 for "256": what a worker does.

use std::{
    num::NonZeroUsize,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use verigrad_inference::{DEFAULT_THREADS, ModelInput, Runtime, StringTensor, set_threads};

const MODEL: &str = "verigrad/minilm";
const SENTENCES: usize = 256;
/// Request sizes timed, as sentence-transformers' `encode` is given them.
const SIZES: [usize; 3] = [1, 8, 256];
/// Timed passes over the 256 sentences per size; the median is reported.
const PASSES: usize = 5;
const USAGE: &str = "usage: embed-bench [--threads N] [--models DIR] OUT_DIR";

type Error = Box<dyn std::error::Error>;

struct Options {
    threads: NonZeroUsize,
    models: PathBuf,
    out: PathBuf,
}

fn main() -> Result<(), Error> {
    let options = parse(std::env::args().skip(1))?;
    // SAFETY: first thing after parsing the arguments, before any other thread exists.
    unsafe { set_threads(options.threads) };
    run(&options)
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, Error> {
    let (mut threads, mut models, mut out) = (DEFAULT_THREADS, PathBuf::from("models"), None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or(USAGE)?.parse()?,
            "--models" => models = args.next().ok_or(USAGE)?.into(),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            dir if !dir.starts_with('-') && out.is_none() => out = Some(dir.into()),
            _ => return Err(USAGE.into()),
        }
    }
    Ok(Options { threads, models, out: out.ok_or(USAGE)? })
}

fn run(options: &Options) -> Result<(), Error> {
    let sentences = sentences(SENTENCES);
    std::fs::create_dir_all(&options.out)?;
    std::fs::write(options.out.join("sentences.txt"), sentences.join("\n") + "\n")?;

    eprintln!("loading {} …", options.models.display());
    let runtime = Runtime::load_dir(&options.models)?;
    let limit = runtime.manifest(MODEL)?.inputs[0].shape[0] as usize;
    let embed = |batch: &[String]| -> Result<Vec<Vec<f64>>, Error> {
        let input = ModelInput::strings(vec![StringTensor::new("text", batch.iter().cloned())]);
        let output = runtime.run(MODEL, &input)?;
        let tensor = &output.numbers[0];
        let width = tensor.shape[1] as usize;
        Ok(tensor
            .values
            .chunks(width)
            .map(|row| row.iter().map(|n| n.value as f64 / 10f64.powi(n.decimals as i32)).collect())
            .collect())
    };
    let mut embeddings = Vec::with_capacity(SENTENCES);
    for batch in sentences.chunks(limit) {
        embeddings.extend(embed(batch)?);
    }

    let mut throughput = serde_json::Map::new();
    for size in SIZES {
        let request = size.min(limit);
        let mut times: Vec<Duration> = (0..PASSES)
            .map(|pass| {
                eprint!(
                    "\r{size:>3} sentences a call (requests of {request}): pass {}/{PASSES}",
                    pass + 1
                );
                let started = Instant::now();
                for batch in sentences.chunks(request) {
                    embed(batch)?;
                }
                Ok(started.elapsed())
            })
            .collect::<Result<_, Error>>()?;
        times.sort();
        let per_second = SENTENCES as f64 / times[PASSES / 2].as_secs_f64();
        eprintln!(
            "\r{size:>3} sentences a call (requests of {request}): {per_second:8.1} sentences/s"
        );
        throughput.insert(size.to_string(), per_second.into());
    }
    let report = serde_json::json!({
        "threads": options.threads.get(),
        "throughput": throughput,
        "embeddings": embeddings,
    });
    write(&options.out.join("rust.json"), &report.to_string())
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// `n` sentences of 10 to 30 words drawn from a fixed vocabulary by a seeded generator (splitmix64):
/// the same sentences on every run, so both sides of the bench embed the same text.
fn sentences(n: usize) -> Vec<String> {
    const WORDS: &[&str] = &[
        "the",
        "a",
        "network",
        "worker",
        "model",
        "price",
        "token",
        "block",
        "chain",
        "market",
        "memory",
        "search",
        "agent",
        "contract",
        "stake",
        "reward",
        "verifier",
        "task",
        "result",
        "quickly",
        "slowly",
        "rose",
        "fell",
        "every",
        "morning",
        "after",
        "before",
        "because",
        "while",
        "river",
        "city",
        "mountain",
        "engineer",
        "report",
        "quarterly",
        "revenue",
        "weather",
        "coffee",
        "bread",
        "horse",
        "music",
        "garden",
        "library",
        "students",
        "teacher",
        "bright",
        "quiet",
        "ancient",
        "modern",
        "shared",
        "signed",
        "verified",
        "pending",
        "with",
        "without",
        "under",
        "over",
        "through",
        "between",
        "across",
        "and",
        "but",
        "or",
        "not",
        "is",
        "was",
        "will",
        "could",
        "should",
        "has",
        "had",
        "runs",
        "checks",
        "sends",
        "reads",
        "writes",
        "stores",
        "pays",
        "earns",
        "loses",
        "finds",
        "builds",
        "opens",
        "closes",
        "of",
        "to",
        "in",
        "on",
        "for",
        "from",
        "by",
        "at",
        "its",
        "their",
        "our",
        "this",
        "that",
        "new",
        "old",
        "large",
        "small",
        "first",
        "last",
        "open",
        "private",
        "public",
        "fast",
        "cheap",
        "volatility",
        "liquidity",
        "collateral",
        "embedding",
        "sentence",
        "transformer",
        "tensor",
    ];
    let mut state: u64 = 0x005e_ed0f_7e57;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            let len = 10 + (next() % 21) as usize;
            let words: Vec<&str> =
                (0..len).map(|_| WORDS[(next() % WORDS.len() as u64) as usize]).collect();
            let mut sentence = words.join(" ") + ".";
            sentence[..1].make_ascii_uppercase();
            sentence
        })
        .collect()
}
