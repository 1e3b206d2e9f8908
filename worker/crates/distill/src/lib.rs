//! What MemSync keeps from a conversation (issue 14): selective, not total.
//!
//! - **Candidates** ([`clauses`]): the user's turns cut into clauses; questions, greetings, fillers
//!   and requests dropped by rule; first person rewritten into a memory statement ("User …").
//! - **Importance** ([`Importance`]): a small MLP the project trains ([`train`], the
//!   `train-importance` binary) and ships as `models/importance` (`verigrad/importance`).
//! - **Decisions** ([`Distiller::distill`]): create, reinforce a near-duplicate, supersede the
//!   current memory of a single-valued slot ([`Slot`]), or skip — never delete. Whether a memory and
//!   a new fact share a slot by a trained pair model ([`SlotPair`], `models/slot-pair`, the
//!   `train-slot-pair` binary); categories by trained linear heads ([`Classes`]); semantic or
//!   episodic by whether the fact is dated.
//! - **Evaluation** ([`generate`], [`evaluate`], the `memsync-eval` binary): synthetic multi-session
//!   conversations and questions about current and past facts, over an exact in-memory store
//!   ([`ExactStore`]).
#![warn(unused_crate_dependencies)]

mod candidate;
mod category;
mod classes;
mod decide;
mod embed;
mod error;
mod eval;
mod fill;
pub mod generate;
mod importance;
mod memory;
mod message;
mod pair;
mod rewrite;
mod store;
mod text;
pub mod train;

pub use candidate::{Candidate, Clause, SkipReason, clauses};
pub use category::{Category, MemoryType, Slot};
pub use classes::{CLASSES_FILE, Classes, Head};
pub use decide::{
    Decision, Distiller, IMPORTANCE_DIR, NewMemory, SLOT_PAIR_DIR, Thresholds, same_value,
    shares_category,
};
pub use embed::{Embedder, Embedding, MiniLm, cosine};
pub use error::{DistillError, Result};
pub use eval::{Answers, EvalConfig, Report, evaluate};
pub use generate::{Conversation, Question};
pub use importance::{EMBEDDING_WIDTH, FEATURES, Importance, LEXICAL_FEATURES, features};
pub use memory::{MemoryRef, MemoryView};
pub use message::{Message, Role};
pub use pair::{
    PAIR_FEATURES, QUERY_TOPIC_FLOOR, QUERY_TOPIC_MARGIN, SLOTS_FILE, SlotDescription, SlotPair,
    TOPIC_CANDIDATES, VALUE_TOPIC_MARGIN,
};
pub use rewrite::third_person;
pub use store::{Applied, ExactStore, SUPERSEDED_PENALTY, StoredMemory};
