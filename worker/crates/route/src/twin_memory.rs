//! A twin's memory, consulted and updated through MemSync when it is invoked: the coordinator holds a
//! key that the twin's owner registered as a delegate of the twin's namespace (`MemoryRegistry
//! .setDelegate`), so it may search and write that namespace — and nobody else's. An invocation that
//! carries a `message` has the namespace searched by the message's meaning (the twin's own memories,
//! current facts only) before it runs; once it is answered and paid, the exchange is written (the
//! store keeps what matters of it), and the new root is signed onto the chain. The store's x402
//! price is paid by the same key.

use alloy::{primitives::B256, signers::local::PrivateKeySigner, sol_types::Eip712Domain};
use serde_json::{Value, json};
use verigrad_inference::TwinModel;
use verigrad_memsync::{
    ClientError, MemoryClient,
    wire::{CreateRequest, Message, SearchRequest},
};

/// Memories recalled for one invocation.
const RECALLED: usize = 5;

/// The coordinator's access to twins' namespaces on one MemSync store node.
#[derive(Debug, Clone)]
pub struct TwinMemory {
    store: String,
    delegate: PrivateKeySigner,
    domain: Eip712Domain,
}

impl TwinMemory {
    /// Twins' memories on the store node at `store`, signed (and paid for) by `delegate`, in the
    /// MemoryRegistry's EIP-712 `domain`.
    pub fn new(store: impl Into<String>, delegate: PrivateKeySigner, domain: Eip712Domain) -> Self {
        Self { store: store.into(), delegate, domain }
    }

    fn client(&self, namespace: B256) -> MemoryClient {
        let payer = Some(self.delegate.clone());
        MemoryClient::new(&self.store, self.delegate.clone(), payer, self.domain.clone(), namespace)
    }

    /// The twin's current memories nearest in meaning to `message`, as the answer lists them.
    pub async fn recall(
        &self,
        namespace: B256,
        twin: TwinModel,
        message: &str,
    ) -> Result<Vec<Value>, ClientError> {
        let search = SearchRequest {
            query: message.to_owned(),
            limit: RECALLED,
            categories: None,
            agent_id: Some(twin.reference()),
            thread_id: None,
            include_history: false,
            proofs: false,
        };
        let hits = self.client(namespace).search(&search).await?;
        Ok(hits
            .body
            .memories
            .into_iter()
            .map(|found| {
                json!({
                    "id": found.record.id,
                    "memory": found.record.text,
                    "vector_distance": found.vector_distance,
                })
            })
            .collect())
    }

    /// Writes the exchange — the user's `message`, the twin's `answer` — and commits the namespace's
    /// new root if it moved; how many memories it kept.
    pub async fn remember(
        &self,
        namespace: B256,
        twin: TwinModel,
        message: &str,
        answer: &str,
    ) -> Result<usize, ClientError> {
        let client = self.client(namespace);
        let turn =
            |role: &str, content: &str| Message { role: role.into(), content: content.into() };
        let exchange = CreateRequest {
            messages: vec![turn("user", message), turn("assistant", answer)],
            agent_id: twin.reference(),
            thread_id: "invocations".into(),
            source: "twin".into(),
            metadata: None,
            expires_at: None,
        };
        let answer = client.remember(&exchange).await?;
        // An exchange that changed nothing leaves the committed root as it is.
        if !answer.state.committed {
            client.commit(&answer.body.memories, &[]).await?;
        }
        Ok(answer.body.memories_created)
    }
}
