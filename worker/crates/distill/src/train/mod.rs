//! Trains `verigrad/importance` (`cargo run --release -p verigrad-distill --bin train-importance`):
//! the generated clauses of [`corpus`] are rewritten and embedded with MiniLM, a [389, 16, 1] MLP is
//! fitted by the project's deterministic trainer (`verigrad_inference::training::net`), and the category
//! heads are logistic regressions on the training facts' embeddings. Trains `verigrad/slot-pair`
//! (`--bin train-slot-pair`, [`train_slot_pair`]) on the generated fact pairs of [`pairs`]. The
//! held-out sets use templates training never saw.

pub mod corpus;
mod invented;
pub mod pairs;
mod slot_pair;

pub use slot_pair::train_slot_pair;

use std::collections::{BTreeMap, BTreeSet};

use verigrad_inference::{
    Activation, Architecture, Determinism, Manifest, ModelPackage, Runtime, TensorSpec,
    WEIGHTS_FILE, WeightData, to_safetensors,
    training::{
        data::Rng,
        net::{Loss, Network, TrainConfig},
    },
};

use crate::{
    CLASSES_FILE, Category, Classes, EMBEDDING_WIDTH, Embedder, Embedding, FEATURES, Head,
    Importance, Result, features, third_person,
};
use corpus::{Example, Split, examples};

/// Hidden units of the MLP.
const HIDDEN: usize = 16;

/// A trained package and its held-out quality, one line per figure.
#[derive(Debug)]
pub struct Trained {
    /// The package (`manifest.json`, `model.safetensors`, `classes.json`).
    pub package: ModelPackage,
    /// Held-out figures.
    pub report: Vec<String>,
}

/// An example with its statement's embedding.
struct Embedded {
    example: Example,
    statement: String,
    embedding: Embedding,
}

/// Trains, packages and evaluates the importance model and the class heads.
pub fn train(embedder: &impl Embedder) -> Result<Trained> {
    let train = embed(embedder, examples(41, 3_000, Split::Train))?;
    let test = embed(embedder, examples(42, 1_000, Split::HeldOut))?;

    let xs: Vec<Vec<f64>> = train.iter().map(|e| inputs(e).map(f64::from).collect()).collect();
    let ys: Vec<f64> = train.iter().map(|e| f64::from(u8::from(e.example.important))).collect();
    let mut net = Network::new(&[FEATURES, HIDDEN, 1], &mut Rng::new(43));
    let config = TrainConfig { epochs: 30, batch: 32, learning_rate: 0.002, seed: 44 };
    net.train(&xs, &ys, Loss::BinaryCrossEntropy, config);

    let classes = classes(&train);
    let package = package(&net, &classes)?;
    let mut report = importance_report(&package, &test)?;
    report.push(class_report(&classes, &test));
    Ok(Trained { package, report })
}

/// The embedding of each distinct text (templates repeat: each is embedded once).
fn embed_distinct<'a>(
    embedder: &impl Embedder,
    texts: impl IntoIterator<Item = &'a String>,
) -> Result<BTreeMap<String, Embedding>> {
    let distinct: Vec<String> =
        texts.into_iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let vectors = embedder.embed(&distinct)?;
    Ok(distinct.into_iter().zip(vectors).collect())
}

fn embed(embedder: &impl Embedder, examples: Vec<Example>) -> Result<Vec<Embedded>> {
    let statements: Vec<String> = examples.iter().map(|e| third_person(&e.clause)).collect();
    let vectors = embed_distinct(embedder, &statements)?;
    Ok(examples
        .into_iter()
        .zip(&statements)
        .map(|(example, statement)| Embedded {
            embedding: vectors[statement].clone(),
            statement: statement.clone(),
            example,
        })
        .collect())
}

fn inputs(e: &Embedded) -> impl Iterator<Item = f32> {
    features(&e.embedding, &e.example.clause, &e.statement).into_iter()
}

/// One logistic regression per category, each against the rest, on the training facts' embeddings.
fn classes(train: &[Embedded]) -> Classes {
    let facts: Vec<(&Embedded, Category)> =
        train.iter().filter_map(|e| e.example.category.map(|category| (e, category))).collect();
    let xs: Vec<Vec<f64>> =
        facts.iter().map(|(e, _)| e.embedding.iter().map(|x| f64::from(*x)).collect()).collect();
    let head = |seed: u64, label: Category| {
        let ys: Vec<f64> = facts.iter().map(|(_, c)| f64::from(u8::from(*c == label))).collect();
        let mut net = Network::new(&[EMBEDDING_WIDTH, 1], &mut Rng::new(seed));
        let config = TrainConfig { epochs: 40, batch: 32, learning_rate: 0.01, seed: seed + 1 };
        net.train(&xs, &ys, Loss::BinaryCrossEntropy, config);
        let layer = &net.layers[0];
        (layer.w.iter().map(|w| *w as f32).collect(), layer.b[0] as f32)
    };
    let categories = Category::ALL
        .iter()
        .enumerate()
        .map(|(i, &label)| {
            let (weights, bias) = head(100 + 2 * i as u64, label);
            Head { label, weights, bias }
        })
        .collect();
    Classes { categories }
}

/// A trained network's weights as the runtime's MLP reads them (`layer{i}.weight`, `layer{i}.bias`).
fn safetensors(net: &Network) -> Vec<u8> {
    let mut weights = BTreeMap::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let w = layer.w.iter().map(|v| *v as f32).collect();
        let b = layer.b.iter().map(|v| *v as f32).collect();
        weights.insert(
            format!("layer{i}.weight"),
            (vec![layer.outputs, layer.inputs], WeightData::F32(w)),
        );
        weights.insert(format!("layer{i}.bias"), (vec![layer.outputs], WeightData::F32(b)));
    }
    to_safetensors(&weights)
}

fn package(net: &Network, classes: &Classes) -> Result<ModelPackage> {
    let manifest = Manifest {
        name: Importance::MODEL.into(),
        version: "1.0.0".into(),
        description: "MemSync's importance model: the probability that a clause a user wrote is a \
                      lasting fact about them, worth a memory. Input: the clause's memory statement \
                      embedded by verigrad/minilm (384) and five lexical features (first person, a \
                      name, a number, a time expression, length / 20). classes.json holds the \
                      category heads. Floating point: compared within epsilon."
            .into(),
        architecture: Architecture::Mlp {
            layers: vec![FEATURES, HIDDEN, 1],
            output_activation: Activation::Sigmoid,
        },
        determinism: Determinism::Tolerance { epsilon: 1e-5 },
        inputs: vec![TensorSpec::numbers(Importance::INPUT, vec![1, FEATURES as u32], None)],
        outputs: vec![TensorSpec::numbers("importance", vec![1, 1], Some(6))],
        cost_units: 64,
        files: BTreeMap::new(),
    };
    let classes_json = serde_json::to_vec(classes)
        .map_err(|e| crate::DistillError::InvalidClasses(e.to_string()))?;
    Ok(ModelPackage::build(
        manifest,
        BTreeMap::from([
            (WEIGHTS_FILE.to_string(), safetensors(net)),
            (CLASSES_FILE.to_string(), classes_json),
        ]),
    )?)
}

/// Accuracy, precision and recall of the packaged model (run as the runtime runs it) at 0.5.
fn importance_report(package: &ModelPackage, test: &[Embedded]) -> Result<Vec<String>> {
    let mut runtime = Runtime::new();
    runtime.add(package)?;
    let model = Importance::new(runtime)?;
    let (mut tp, mut fp, mut tn, mut fun) = (0usize, 0usize, 0usize, 0usize);
    for e in test {
        let kept = model.score(&inputs(e).collect::<Vec<_>>())? >= 0.5;
        match (kept, e.example.important) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fun += 1,
        }
    }
    let ratio = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    Ok(vec![format!(
        "held-out importance ({} clauses, unseen templates): accuracy {:.1} %, precision {:.1} %, \
         recall {:.1} %",
        test.len(),
        ratio(tp + tn, test.len()),
        ratio(tp, tp + fp),
        ratio(tp, tp + fun)
    )])
}

/// How often the heads give a held-out fact its category.
fn class_report(classes: &Classes, test: &[Embedded]) -> String {
    let facts: Vec<_> = test.iter().filter_map(|e| e.example.category.map(|c| (e, c))).collect();
    let right =
        facts.iter().filter(|(e, c)| classes.categories(&e.embedding).first() == Some(c)).count();
    format!(
        "held-out categories ({} facts): first category right {:.1} %",
        facts.len(),
        100.0 * right as f64 / facts.len().max(1) as f64
    )
}
