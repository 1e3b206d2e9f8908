//! Trains `verigrad/slot-pair`: the slot descriptions and the generated pairs of [`super::pairs`]
//! (rewritten into memory statements) are embedded with MiniLM, and a [790, 32, 1] MLP over
//! [`SlotPair::features`] is fitted to "same single-valued slot" by the project's deterministic
//! trainer. Held out: pairs made only of templates training never saw, judged by the model alone
//! and, given the category heads, as the distiller decides (the two facts must share a category).

use std::collections::BTreeMap;

use verigrad_inference::{
    Activation, Architecture, Determinism, Manifest, ModelPackage, Runtime, TensorSpec,
    WEIGHTS_FILE,
    training::{
        data::Rng,
        net::{Loss, Network, TrainConfig},
    },
};

use super::{
    Trained,
    corpus::Split,
    embed_distinct,
    pairs::{Pair, Relation, pairs},
    safetensors,
};
use crate::{
    Classes, DistillError, Embedder, Embedding, PAIR_FEATURES, Result, SLOTS_FILE, Slot,
    SlotDescription, SlotPair, Thresholds, pair::pair_features, same_value, shares_category,
    third_person,
};

/// What fills each slot, in [`Slot::ALL`]'s order: the fixed points the model places facts by.
/// Written as definitions with examples from the training corpus's vocabulary, not as any corpus's
/// or evaluation's wording.
const DESCRIPTIONS: [&str; 7] = [
    "the city or town where the user lives, their home, such as Paris, Berlin or Tokyo",
    "the company or organisation the user works for, their employer, such as Contoso or Northwind",
    "the user's job, occupation or profession, such as teacher, lawyer, dentist or plumber",
    "the user's romantic partner, spouse, girlfriend or boyfriend, such as Anna or David",
    "the user's diet, such as paleo, halal, kosher, low-carb or plant-based",
    "the user's favourite food or dish, such as pizza, sushi, burgers or risotto",
    "the user's favourite music or genre, such as classical, hip hop, metal or folk",
];

/// Hidden units of the MLP.
const HIDDEN: usize = 32;
/// Training and held-out pairs.
const TRAIN_PAIRS: usize = 24_000;
const HELD_OUT_PAIRS: usize = 4_000;

/// A pair as the decision layer sees it: statements, their embeddings, the label.
struct Embedded<'a> {
    old: &'a str,
    new: &'a str,
    features: Vec<f32>,
    relation: Relation,
    /// Whether the two facts share a category (true without category heads).
    shared: bool,
}

/// Trains, packages and evaluates the slot-pair model; with the importance package's category heads,
/// the held-out figures are also given for the distiller's decision, which asks the two facts to
/// share a category as well.
pub fn train_slot_pair(embedder: &impl Embedder, classes: Option<&Classes>) -> Result<Trained> {
    let train = statements(pairs(51, TRAIN_PAIRS, Split::Train));
    let test = statements(pairs(52, HELD_OUT_PAIRS, Split::HeldOut));
    let texts: Vec<String> = DESCRIPTIONS.iter().map(|d| d.to_string()).collect();
    let slots: Vec<SlotDescription> = Slot::ALL
        .iter()
        .zip(texts.iter())
        .zip(embedder.embed(&texts)?)
        .map(|((&slot, text), embedding)| SlotDescription { slot, text: text.clone(), embedding })
        .collect();
    let vectors =
        embed_distinct(embedder, train.iter().chain(&test).flat_map(|p| [&p.old, &p.new]))?;
    let (train, test) =
        (embedded(&train, &vectors, &slots, None), embedded(&test, &vectors, &slots, classes));

    let xs: Vec<Vec<f64>> =
        train.iter().map(|p| p.features.iter().map(|x| f64::from(*x)).collect()).collect();
    let ys: Vec<f64> = train.iter().map(|p| f64::from(u8::from(p.relation.same_slot()))).collect();
    let mut net = Network::new(&[PAIR_FEATURES, HIDDEN, 1], &mut Rng::new(53));
    let config = TrainConfig { epochs: 20, batch: 32, learning_rate: 0.001, seed: 54 };
    net.train(&xs, &ys, Loss::BinaryCrossEntropy, config);

    let package = package(&net, &slots)?;
    let mut lines = report(&package, &test, "model alone", |_| true)?;
    if classes.is_some() {
        let distiller = "with a shared category (the distiller's decision)";
        lines.extend(report(&package, &test, distiller, |p: &Embedded<'_>| p.shared)?);
    }
    Ok(Trained { package, report: lines })
}

/// The pairs with their clauses rewritten as the distiller rewrites them.
fn statements(pairs: Vec<Pair>) -> Vec<Pair> {
    pairs
        .into_iter()
        .map(|p| Pair { old: third_person(&p.old), new: third_person(&p.new), ..p })
        .collect()
}

fn embedded<'a>(
    pairs: &'a [Pair],
    vectors: &BTreeMap<String, Embedding>,
    slots: &[SlotDescription],
    classes: Option<&Classes>,
) -> Vec<Embedded<'a>> {
    pairs
        .iter()
        .map(|p| {
            let (old, new) = (&vectors[&p.old], &vectors[&p.new]);
            Embedded {
                old: &p.old,
                new: &p.new,
                features: pair_features(slots, old, new),
                relation: p.relation,
                shared: classes
                    .is_none_or(|c| shares_category(&c.categories(old), &c.categories(new))),
            }
        })
        .collect()
}

fn package(net: &Network, slots: &[SlotDescription]) -> Result<ModelPackage> {
    let manifest = Manifest {
        name: SlotPair::MODEL.into(),
        version: "1.0.0".into(),
        description:
            "MemSync's slot-pair model: the probability that a kept memory and a new fact \
                      fill the same single-valued slot of a user (home, employer, role, partner, \
                      diet, favourite food, favourite music), so that the new one reinforces or \
                      supersedes the old. Input (790): the two statements' verigrad/minilm \
                      embeddings a and b as 384·(a⊙b) and √384·|a−b|; for each slot, their \
                      cosines to the slot's description (slots.json, embedded by verigrad/minilm) \
                      as 5·min, 5·|difference| and 10·product; then their own cosine. Floating \
                      point: compared within epsilon."
                .into(),
        architecture: Architecture::Mlp {
            layers: vec![PAIR_FEATURES, HIDDEN, 1],
            output_activation: Activation::Sigmoid,
        },
        determinism: Determinism::Tolerance { epsilon: 1e-5 },
        inputs: vec![TensorSpec::numbers(SlotPair::INPUT, vec![1, PAIR_FEATURES as u32], None)],
        outputs: vec![TensorSpec::numbers("same_slot", vec![1, 1], Some(6))],
        cost_units: 64,
        files: BTreeMap::new(),
    };
    let slots_json =
        serde_json::to_vec(slots).map_err(|e| DistillError::InvalidSlots(e.to_string()))?;
    Ok(ModelPackage::build(
        manifest,
        BTreeMap::from([
            (WEIGHTS_FILE.to_string(), safetensors(net)),
            (SLOTS_FILE.to_string(), slots_json),
        ]),
    )?)
}

/// Held-out quality of the packaged model (run as the runtime runs it) at the distiller's threshold
/// ([`Thresholds::same_slot`]): same-slot accuracy, precision and recall, and how often the whole
/// decision — the model, then [`same_value`] for same-slot pairs — gives the right one of
/// reinforce, supersede and keep both; and the same-slot accuracy at other thresholds (the shipped
/// one is the best of them). `gate` is a condition the pair must meet besides the model's score.
fn report(
    package: &ModelPackage,
    test: &[Embedded<'_>],
    name: &str,
    gate: impl Fn(&Embedded<'_>) -> bool,
) -> Result<Vec<String>> {
    let mut runtime = Runtime::new();
    runtime.add(package)?;
    let model = SlotPair::new(runtime, package.file(SLOTS_FILE)?)?;
    let threshold = Thresholds::default().same_slot;
    let (mut tp, mut fp, mut tn, mut fun) = (0usize, 0usize, 0usize, 0usize);
    let mut decisions = [[0usize; 3]; 3];
    let index = |r: Relation| r as usize;
    let mut sweep = [0usize; 5];
    for p in test {
        let score = if gate(p) { model.score(&p.features)? } else { 0.0 };
        for (right, t) in sweep.iter_mut().zip([0.001, 0.01, 0.1, 0.3, 0.5]) {
            *right += usize::from((score >= t) == p.relation.same_slot());
        }
        let same = score >= threshold;
        match (same, p.relation.same_slot()) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fun += 1,
        }
        let decided = match (same, same_value(p.new, p.old)) {
            (false, _) => Relation::Unrelated,
            (true, true) => Relation::Reinforce,
            (true, false) => Relation::Supersede,
        };
        decisions[index(p.relation)][index(decided)] += 1;
    }
    let ratio = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    let right = (0..3).map(|i| decisions[i][i]).sum::<usize>();
    let row = |r: Relation| {
        let counts = decisions[index(r)];
        format!(
            "{:?}: {} → reinforce {}, supersede {}, keep both {}",
            r,
            counts.iter().sum::<usize>(),
            counts[0],
            counts[1],
            counts[2]
        )
    };
    Ok(vec![
        format!("{name}:"),
        format!(
            "held-out same slot ({} pairs, unseen templates) at {threshold}: accuracy {:.1} %, \
             precision {:.1} %, recall {:.1} %",
            test.len(),
            ratio(tp + tn, test.len()),
            ratio(tp, tp + fp),
            ratio(tp, tp + fun)
        ),
        format!(
            "held-out decision (model, then same value): right {:.1} %",
            ratio(right, test.len())
        ),
        format!(
            "held-out same-slot accuracy at 0.001 / 0.01 / 0.1 / 0.3 / 0.5: {}",
            sweep.map(|r| format!("{:.1} %", ratio(r, test.len()))).join(" / ")
        ),
        row(Relation::Reinforce),
        row(Relation::Supersede),
        row(Relation::Unrelated),
    ])
}
