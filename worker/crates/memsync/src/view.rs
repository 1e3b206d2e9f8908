//! The store as the decision layer sees it, and the few names the two crates spell differently.

use alloy::primitives::B256;
use verigrad_distill::{Category, MemoryRef, MemoryView, Message, Role};
use verigrad_memory::{MemoryType, SearchFilter, Store};

use crate::wire;

/// One namespace of the store at one time, searched by meaning for the decision layer: current
/// memories and history, nearest first.
#[derive(Debug)]
pub(crate) struct StoreView<'a> {
    store: &'a Store,
    namespace: B256,
    now: u64,
}

impl<'a> StoreView<'a> {
    pub(crate) fn new(store: &'a Store, namespace: B256, now: u64) -> Self {
        Self { store, namespace, now }
    }
}

impl MemoryView for StoreView<'_> {
    type Id = B256;

    fn nearest(&self, embedding: &[f32], k: usize) -> Vec<(MemoryRef<B256>, f32)> {
        let filter = SearchFilter {
            limit: k.clamp(1, 100),
            include_history: true,
            ..SearchFilter::default()
        };
        // A namespace the store has never written has no index yet; nothing is near.
        let hits =
            self.store.search(self.namespace, embedding, &filter, self.now).unwrap_or_default();
        hits.into_iter()
            .map(|hit| {
                let record = hit.record;
                let memory = MemoryRef {
                    id: record.id,
                    text: record.text,
                    embedding: record.embedding,
                    categories: record.categories.iter().filter_map(|c| category(c)).collect(),
                    memory_type: distill_type(record.memory_type),
                    current: hit.current,
                };
                (memory, 1.0 - hit.vector_distance)
            })
            .collect()
    }
}

/// A request's message as the decision layer reads it.
pub(crate) fn message(message: &wire::Message) -> Message {
    let role = match message.role.as_str() {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => Role::System,
    };
    Message { role, content: message.content.clone() }
}

/// A category's API name (`location`, `career`, …).
pub(crate) fn category_name(category: Category) -> String {
    serde_json::to_value(category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The category an API name stands for.
fn category(name: &str) -> Option<Category> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// The store's type of a memory the decision layer typed.
pub(crate) fn memory_type(t: verigrad_distill::MemoryType) -> MemoryType {
    match t {
        verigrad_distill::MemoryType::Semantic => MemoryType::Semantic,
        verigrad_distill::MemoryType::Episodic => MemoryType::Episodic,
    }
}

fn distill_type(t: MemoryType) -> verigrad_distill::MemoryType {
    match t {
        MemoryType::Semantic => verigrad_distill::MemoryType::Semantic,
        MemoryType::Episodic => verigrad_distill::MemoryType::Episodic,
    }
}
