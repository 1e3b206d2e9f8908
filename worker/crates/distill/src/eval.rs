//! The evaluation: each synthetic persona's sessions go through the distiller into an exact store, in
//! batches as a client would post them; then the questions are asked. Beside it, a keep-everything
//! baseline stores every message as it is.

use std::time::Instant;

use verigrad_inference::training::data::Rng;

use crate::{Conversation, Distiller, Embedder, Embedding, ExactStore, Message, Result, generate};

/// Messages per `POST /v1/memories` batch: two exchanges.
const BATCH: usize = 4;
/// Queries timed per store size.
const LATENCY_QUERIES: usize = 20;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalConfig {
    /// Seed of the conversations.
    pub seed: u64,
    /// Personas.
    pub personas: usize,
    /// Sessions per persona.
    pub sessions: usize,
    /// Also run the keep-everything baseline (embeds every message: slower).
    pub baseline: bool,
    /// Store sizes at which search latency is timed (random unit vectors).
    pub latency_sizes: Vec<usize>,
}

/// Question outcomes over a store.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Answers {
    /// Questions about current facts.
    pub current: usize,
    /// Of those, with the expected value in the top 5.
    pub current_hits: usize,
    /// Questions about the previous value of a slot that changed.
    pub past: usize,
    /// Of those, with the expected value in the top 5.
    pub past_hits: usize,
    /// Current-fact questions about a slot that changed.
    pub changed: usize,
    /// Of those, where a memory holding an outdated value ranks above every one holding the current.
    pub superseded_above: usize,
}

impl Answers {
    /// Recall@5 of current facts.
    pub fn recall(&self) -> f64 {
        ratio(self.current_hits, self.current)
    }

    /// Recall@5 of past facts.
    pub fn past_recall(&self) -> f64 {
        ratio(self.past_hits, self.past)
    }

    /// How often a superseded fact outranks the current one.
    pub fn superseded_above_rate(&self) -> f64 {
        ratio(self.superseded_above, self.changed)
    }

    fn add(&mut self, other: Self) {
        self.current += other.current;
        self.current_hits += other.current_hits;
        self.past += other.past;
        self.past_hits += other.past_hits;
        self.changed += other.changed;
        self.superseded_above += other.superseded_above;
    }
}

/// The evaluation's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Messages (user and assistant).
    pub messages: usize,
    /// Memories created (superseding ones included).
    pub created: usize,
    /// Reinforcements.
    pub reinforced: usize,
    /// Supersessions.
    pub superseded: usize,
    /// Slot changes the conversations hold (what supersessions should match).
    pub changes: usize,
    /// The distilled store's answers.
    pub distilled: Answers,
    /// The keep-everything baseline's answers, when run.
    pub baseline: Option<Answers>,
    /// Seconds spent distilling (embedding included).
    pub distill_seconds: f64,
    /// Mean search time in milliseconds by store size.
    pub latency_ms: Vec<(usize, f64)>,
}

impl Report {
    /// Memories kept per 100 messages.
    pub fn kept_per_100(&self) -> f64 {
        100.0 * ratio(self.created, self.messages)
    }

    /// Milliseconds of distilling per message.
    pub fn ms_per_message(&self) -> f64 {
        1000.0 * self.distill_seconds / self.messages.max(1) as f64
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Runs the evaluation, reporting progress through `progress`.
pub fn evaluate<E: Embedder>(
    distiller: &Distiller<E>,
    config: &EvalConfig,
    mut progress: impl FnMut(&str),
) -> Result<Report> {
    let conversations = generate::conversations(config.seed, config.personas, config.sessions);
    let mut report = Report::default();
    let mut baseline = config.baseline.then(Answers::default);
    let mut queries: Vec<Embedding> = Vec::new();
    let topics = distiller.slot_pair().topics();
    for (i, conversation) in conversations.iter().enumerate() {
        let messages: Vec<&Message> = conversation.sessions.iter().flatten().collect();
        report.messages += messages.len();
        report.changes += conversation.questions.iter().filter(|q| q.past).count();
        report.changes += conversation
            .questions
            .iter()
            .filter(|q| !q.past && q.outdated.len() > 1)
            .map(|q| q.outdated.len() - 1)
            .sum::<usize>();

        let started = Instant::now();
        let mut store = ExactStore::with_topics(topics.clone());
        for session in &conversation.sessions {
            for batch in session.chunks(BATCH) {
                let applied = store.apply(distiller.distill(batch, &store)?);
                report.created += applied.created;
                report.reinforced += applied.reinforced;
                report.superseded += applied.superseded;
            }
        }
        report.distill_seconds += started.elapsed().as_secs_f64();

        let texts: Vec<String> = conversation.questions.iter().map(|q| q.text.clone()).collect();
        let embedded = distiller.embedder().embed(&texts)?;
        report.distilled.add(answers(&store, conversation, &embedded));
        if let Some(baseline) = baseline.as_mut() {
            let all: Vec<String> = messages.iter().map(|m| m.content.clone()).collect();
            // Without the question's topic: over raw messages (no categories, assistant replies and
            // small talk placed in slots alike) it would put recent chatter first (docs/performance.md).
            let mut everything = ExactStore::new();
            for (text, embedding) in all.iter().zip(distiller.embedder().embed(&all)?) {
                everything.insert(text.clone(), embedding);
            }
            baseline.add(answers(&everything, conversation, &embedded));
        }
        queries.extend(embedded);
        progress(&format!(
            "persona {}/{}: {} memories kept so far, recall@5 {:.3}",
            i + 1,
            conversations.len(),
            report.created,
            report.distilled.recall()
        ));
    }
    report.baseline = baseline;
    for &size in &config.latency_sizes {
        progress(&format!("timing search over {size} memories …"));
        report.latency_ms.push((size, latency(size, &queries)));
    }
    Ok(report)
}

fn answers(store: &ExactStore, conversation: &Conversation, queries: &[Embedding]) -> Answers {
    let mut out = Answers::default();
    for (question, query) in conversation.questions.iter().zip(queries) {
        let ranked = store.rank_all(query);
        let holds = |text: &str, value: &str| text.to_lowercase().contains(&value.to_lowercase());
        let position = |value: &str| ranked.iter().position(|m| holds(&m.text, value));
        let hit = position(&question.expected).is_some_and(|p| p < 5);
        if question.past {
            out.past += 1;
            out.past_hits += usize::from(hit);
            continue;
        }
        out.current += 1;
        out.current_hits += usize::from(hit);
        if !question.outdated.is_empty() {
            out.changed += 1;
            let current = position(&question.expected).unwrap_or(usize::MAX);
            let outdated = question.outdated.iter().filter_map(|v| position(v)).min();
            out.superseded_above += usize::from(outdated.is_some_and(|o| o < current));
        }
    }
    out
}

/// Mean milliseconds of an exact top-5 search over `size` random memories.
fn latency(size: usize, queries: &[Embedding]) -> f64 {
    let mut rng = Rng::new(size as u64);
    let mut store = ExactStore::new();
    for _ in 0..size {
        let v: Vec<f32> = (0..crate::EMBEDDING_WIDTH).map(|_| rng.normal() as f32).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        store.insert(String::new(), v.iter().map(|x| x / norm).collect());
    }
    let queries: Vec<&Embedding> = queries.iter().cycle().take(LATENCY_QUERIES).collect();
    let started = Instant::now();
    for query in &queries {
        std::hint::black_box(store.search(query, 5));
    }
    1000.0 * started.elapsed().as_secs_f64() / queries.len().max(1) as f64
}
