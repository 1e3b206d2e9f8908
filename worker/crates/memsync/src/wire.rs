//! The API's request bodies, in MemSync's shape, and the limits a request must keep.

use alloy::primitives::{B256, Bytes};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most messages one `POST /v1/memories` may carry.
pub const MAX_MESSAGES: usize = 64;
/// The longest message, query or memory text, in bytes.
pub const MAX_TEXT_BYTES: usize = 4_096;
/// The largest request body, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// The most results a search may ask for.
pub const MAX_LIMIT: usize = 100;

/// One conversation turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `user`, `assistant` or `system`.
    pub role: String,
    /// What was said.
    pub content: String,
}

/// `POST /v1/memories`: a batch of messages to keep what matters from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The conversation turns, oldest first.
    pub messages: Vec<Message>,
    /// The agent the memories belong to.
    pub agent_id: String,
    /// The conversation thread.
    #[serde(default)]
    pub thread_id: String,
    /// Where the messages come from (`chat`, `email`, …).
    #[serde(default)]
    pub source: String,
    /// Kept with every memory created.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Unix seconds after which the memories created are erased.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// `POST /v1/memories/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// What to look for, by meaning.
    pub query: String,
    /// How many memories, 1 to [`MAX_LIMIT`].
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Only memories in one of these categories.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// Only this agent's memories.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// Only this thread's memories.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// Include superseded memories (history), ranked below current ones.
    #[serde(default = "yes")]
    pub include_history: bool,
    /// Include each memory's leaf and inclusion proof against the namespace's root.
    #[serde(default)]
    pub proofs: bool,
}

fn default_limit() -> usize {
    10
}

fn yes() -> bool {
    true
}

/// `PATCH /v1/memories/{id}`: what changes; absent fields stay.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PatchRequest {
    /// New text (embedded again).
    #[serde(default)]
    pub memory: Option<String>,
    /// New categories.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// New metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// New expiry (unix seconds).
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// `POST /v1/namespaces/{namespace}/commit`: the owner's signed `RootUpdate` for the node to relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRequest {
    /// The sequence number committed.
    pub seq: u64,
    /// The root at it.
    pub root: B256,
    /// The number of memories under the root.
    pub count: u32,
    /// The signature's deadline (unix seconds).
    pub deadline: u64,
    /// The owner's (or a delegate's) EIP-712 signature over `RootUpdate`.
    pub signature: Bytes,
}

/// What is wrong with a request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRequest {
    /// No messages.
    #[error("messages must not be empty")]
    NoMessages,
    /// Too many messages.
    #[error("{0} messages; at most {MAX_MESSAGES} a request")]
    TooManyMessages(usize),
    /// A text over [`MAX_TEXT_BYTES`].
    #[error("{what} is {bytes} bytes; at most {MAX_TEXT_BYTES}")]
    TooLong {
        /// Which text.
        what: String,
        /// Its length.
        bytes: usize,
    },
    /// An empty text.
    #[error("{0} must not be empty")]
    Empty(String),
    /// A role other than user, assistant or system.
    #[error("message {0}: role must be user, assistant or system")]
    Role(usize),
    /// A limit outside 1 to [`MAX_LIMIT`].
    #[error("limit must be 1 to {MAX_LIMIT}, not {0}")]
    Limit(usize),
}

fn text(what: impl FnOnce() -> String, value: &str) -> Result<(), InvalidRequest> {
    if value.trim().is_empty() {
        return Err(InvalidRequest::Empty(what()));
    }
    if value.len() > MAX_TEXT_BYTES {
        return Err(InvalidRequest::TooLong { what: what(), bytes: value.len() });
    }
    Ok(())
}

impl CreateRequest {
    /// Checks the limits.
    pub fn check(&self) -> Result<(), InvalidRequest> {
        match self.messages.len() {
            0 => return Err(InvalidRequest::NoMessages),
            n if n > MAX_MESSAGES => return Err(InvalidRequest::TooManyMessages(n)),
            _ => {}
        }
        text(|| "agent_id".into(), &self.agent_id)?;
        for (i, message) in self.messages.iter().enumerate() {
            if !matches!(message.role.as_str(), "user" | "assistant" | "system") {
                return Err(InvalidRequest::Role(i));
            }
            text(|| format!("message {i}"), &message.content)?;
        }
        Ok(())
    }
}

impl SearchRequest {
    /// Checks the limits.
    pub fn check(&self) -> Result<(), InvalidRequest> {
        text(|| "query".into(), &self.query)?;
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(InvalidRequest::Limit(self.limit));
        }
        Ok(())
    }
}

impl PatchRequest {
    /// Checks the limits.
    pub fn check(&self) -> Result<(), InvalidRequest> {
        match &self.memory {
            Some(memory) => text(|| "memory".into(), memory),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(messages: Vec<Message>) -> CreateRequest {
        CreateRequest {
            messages,
            agent_id: "agent".into(),
            thread_id: String::new(),
            source: String::new(),
            metadata: None,
            expires_at: None,
        }
    }

    fn user(content: &str) -> Message {
        Message { role: "user".into(), content: content.into() }
    }

    #[test]
    fn bodies_outside_the_limits_are_refused_with_the_reason() {
        assert_eq!(create(vec![]).check(), Err(InvalidRequest::NoMessages));
        let many = vec![user("hi"); MAX_MESSAGES + 1];
        assert_eq!(create(many).check(), Err(InvalidRequest::TooManyMessages(MAX_MESSAGES + 1)));
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        assert!(matches!(create(vec![user(&long)]).check(), Err(InvalidRequest::TooLong { .. })));
        assert_eq!(
            create(vec![user("  ")]).check(),
            Err(InvalidRequest::Empty("message 0".into()))
        );
        let robot = Message { role: "robot".into(), content: "beep".into() };
        assert_eq!(create(vec![user("hi"), robot]).check(), Err(InvalidRequest::Role(1)));
        assert_eq!(create(vec![user("I live in Lisbon")]).check(), Ok(()));
    }

    #[test]
    fn a_search_reads_memsyncs_shape_with_defaults() {
        let search: SearchRequest =
            serde_json::from_str(r#"{"query":"where do I live"}"#).expect("parses");
        assert_eq!((search.limit, search.include_history, search.proofs), (10, true, false));
        assert_eq!(search.check(), Ok(()));
        let zero = SearchRequest { limit: 0, ..search.clone() };
        assert_eq!(zero.check(), Err(InvalidRequest::Limit(0)));
        let over = SearchRequest { limit: MAX_LIMIT + 1, ..search };
        assert_eq!(over.check(), Err(InvalidRequest::Limit(MAX_LIMIT + 1)));
    }
}
