//! The pretrained all-MiniLM-L6-v2 sentence embedder.

use std::time::{Duration, Instant};

use verigrad_inference::{
    CONFIG_FILE, Deadline, Determinism, InferenceError, MANIFEST_FILE, ModelInput, ModelOutput,
    MultiDimensionalNumberTensor, Number, Runtime, StringTensor, TOKENIZER_FILE, WEIGHTS_FILE,
};

use crate::{packages::tempdir, runtime};

const MODEL: &str = "verigrad/minilm";
const DIMENSIONS: usize = 384;
const FOOD: &str = "A man is eating food.";
const BREAD: &str = "A man is eating a piece of bread.";
const HORSE: &str = "A man is riding a horse.";
const REPORT: &str = "The quarterly report shows rising revenue.";
/// cosine(FOOD, BREAD) as sentence-transformers computes it; an independent float64 implementation of
/// the same network gives 0.755337 too.
const GOLDEN_FOOD_BREAD: f64 = 0.755_337;

fn text(sentences: &[&str]) -> ModelInput {
    ModelInput::strings(vec![StringTensor::new("text", sentences.iter().copied())])
}

fn embed(sentences: &[&str]) -> ModelOutput {
    runtime().run(MODEL, &text(sentences)).expect("embeds")
}

/// The rows of the output's one tensor, as floats.
fn rows(output: &ModelOutput) -> Vec<Vec<f64>> {
    let tensor = &output.numbers[0];
    tensor
        .values
        .chunks(DIMENSIONS)
        .map(|row| row.iter().map(|n| n.value as f64 / 10f64.powi(n.decimals as i32)).collect())
        .collect()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn epsilon() -> f64 {
    match runtime().manifest(MODEL).expect("loaded").determinism {
        Determinism::Tolerance { epsilon } => epsilon,
        Determinism::Exact { .. } => panic!("the embedder is a tolerance-class model"),
    }
}

fn assert_within_epsilon(a: &[f64], b: &[f64], what: &str) {
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(worst <= epsilon(), "{what}: differs by {worst}");
}

#[test]
fn embeddings_are_unit_vectors_of_384_six_decimal_numbers() {
    let output = embed(&[FOOD, BREAD, HORSE]);
    let tensor: &MultiDimensionalNumberTensor = &output.numbers[0];
    assert_eq!(tensor.name, "embedding");
    assert_eq!(tensor.shape, vec![3, DIMENSIONS as u32]);
    assert!(tensor.values.iter().all(|n| n.decimals == 6));
    for (i, row) in rows(&output).iter().enumerate() {
        assert_eq!(row.len(), DIMENSIONS);
        let norm = cosine(row, row).sqrt();
        assert!((norm - 1.0).abs() <= 1e-4, "row {i} has norm {norm}");
    }
}

#[test]
fn similar_sentences_are_closer() {
    let e = rows(&embed(&[FOOD, BREAD, HORSE, REPORT]));
    let (bread, horse, report) = (cosine(&e[0], &e[1]), cosine(&e[0], &e[2]), cosine(&e[0], &e[3]));
    assert!(bread > horse && horse > report, "cosines {bread} > {horse} > {report} expected");
    assert!((bread - GOLDEN_FOOD_BREAD).abs() <= 2.0 * epsilon(), "cosine(food, bread) = {bread}");
}

#[test]
fn runs_are_identical_on_one_machine() {
    let first = embed(&[FOOD, REPORT]);
    let second = embed(&[FOOD, REPORT]);
    for (a, b) in rows(&first).iter().zip(&rows(&second)) {
        assert_within_epsilon(a, b, "two runs");
    }
    // The tolerance class compares by epsilon across machines; one machine repeats itself exactly.
    assert_eq!(first.commitment(), second.commitment());
    let threads: Vec<_> =
        (0..2).map(|_| std::thread::spawn(|| embed(&[FOOD, REPORT]).commitment())).collect();
    for thread in threads {
        assert_eq!(thread.join().expect("thread"), first.commitment());
    }
}

#[test]
fn a_sentence_embeds_the_same_whatever_its_batch() {
    let alone = rows(&embed(&[FOOD]));
    let first = rows(&embed(&[FOOD, REPORT]));
    let last = rows(&embed(&[BREAD, REPORT, HORSE, FOOD]));
    for (batch, row) in [("first of two", &first[0]), ("last of four", &last[3])] {
        assert_within_epsilon(&alone[0], row, batch);
        // Each token's row is computed from that row alone in a fixed order, and attention runs per
        // sentence, so the floats are the same ones.
        assert_eq!(&alone[0], row, "{batch}");
    }
}

/// Embeddings computed by sentence-transformers on PyTorch from the same weights
/// (`scripts/lib/embed_bench.py --reference`): short, long, accented and truncated sentences.
#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<String>,
    embeddings: Vec<Vec<f64>>,
}

#[test]
fn embeddings_match_sentence_transformers_within_epsilon() {
    let reference: Reference =
        serde_json::from_str(include_str!("data/minilm-reference.json")).expect("reference");
    let sentences: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let ours = rows(&embed(&sentences));
    for ((sentence, ours), theirs) in sentences.iter().zip(&ours).zip(&reference.embeddings) {
        assert_within_epsilon(ours, theirs, &sentence.chars().take(40).collect::<String>());
    }
}

#[test]
fn long_sentences_are_truncated_to_max_tokens() {
    let long = "the price of ether rose again today ".repeat(40);
    let longer = format!("{long} and nobody could explain why");
    let e = rows(&embed(&[&long, &longer]));
    assert_eq!(e[0], e[1], "words past the 128th token do not count");
}

#[test]
fn malformed_inputs_are_clear_errors() {
    let rt = runtime();
    let nine = [FOOD; 9];
    let cases: Vec<(&str, ModelInput)> = vec![
        ("no tensors", ModelInput::strings(vec![])),
        ("wrong tensor name", ModelInput::strings(vec![StringTensor::new("sentences", [FOOD])])),
        (
            "numbers instead of text",
            ModelInput::numbers(vec![
                MultiDimensionalNumberTensor::new("text", vec![Number::new(1, 0)], vec![1])
                    .expect("tensor"),
            ]),
        ),
        ("no sentences", text(&[])),
        ("nine sentences", text(&nine)),
        ("an empty sentence", text(&[FOOD, ""])),
        ("a blank sentence", text(&[" \t\n"])),
    ];
    for (name, bad) in cases {
        let err = rt.run(MODEL, &bad).expect_err(name);
        assert!(matches!(err, InferenceError::MalformedTensor(_)), "{name}: {err}");
    }
    assert!(rt.run(MODEL, &text(&[FOOD; 8])).is_ok(), "eight sentences are the most");
}

#[test]
fn missing_weights_name_the_setup_script() {
    // A models folder holding the committed manifest but not what `scripts/setup` installs.
    let models = tempdir::Dir::new("no-weights");
    let package = models.path().join("minilm");
    std::fs::create_dir_all(&package).expect("mkdir");
    std::fs::copy(
        crate::models_dir().join("minilm").join(MANIFEST_FILE),
        package.join(MANIFEST_FILE),
    )
    .expect("copy manifest");
    let err = Runtime::load_dir(models.path()).expect_err("weights are missing");
    assert!(matches!(err, InferenceError::MissingFile { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("scripts/setup"), "{message}");
    assert!([CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE].iter().any(|f| message.contains(f)));
}

#[test]
fn a_run_stops_at_its_deadline() {
    let rt = runtime();
    let sentences = text(&["The first sentence.", "The second.", "The third one."]);
    // A deadline that has not passed changes nothing.
    let later = Deadline::after(Duration::from_secs(600));
    assert_eq!(
        rt.run_until(MODEL, &sentences, later).expect("in time"),
        rt.run(MODEL, &sentences).expect("embeds")
    );
    // One that passes while the first sentence is embedded ends the run with a timeout.
    let started = Instant::now();
    embed(&["The first sentence."]);
    let one_sentence = started.elapsed();
    let deadline = Deadline::at(Instant::now() + one_sentence / 2);
    let err = rt.run_until(MODEL, &sentences, deadline).expect_err("timed out");
    assert!(matches!(err, InferenceError::TimedOut { ref model } if model == MODEL), "{err}");
}
