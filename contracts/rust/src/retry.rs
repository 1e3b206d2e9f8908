//! Retries with exponential backoff for transient RPC failures.

use std::{future::Future, time::Duration};

use alloy::transports::TransportError;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::{ChainError, Result, is_transient};

/// How often and how patiently a request is retried when the node is unreachable.
///
/// Attempt `n` (from 1) that fails transiently waits `initial_backoff_ms · 2^(n-1)`, capped at
/// `max_backoff_ms`, before attempt `n + 1`; after `attempts` attempts the error is
/// [`ChainError::RetriesExhausted`]. Errors the node gave on purpose (a revert, a rejected transaction)
/// are returned at once.
///
/// ```
/// use std::time::Duration;
/// let policy = verigrad_contracts::RetryPolicy { attempts: 5, initial_backoff_ms: 100, max_backoff_ms: 300 };
/// let waits: Vec<_> = (1..5).map(|n| policy.backoff(n)).collect();
/// assert_eq!(waits, [100, 200, 300, 300].map(Duration::from_millis));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// Wait after the first failure, in milliseconds.
    pub initial_backoff_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    pub max_backoff_ms: u64,
}

impl Default for RetryPolicy {
    /// Eight attempts over about 13 s: enough to ride out a node restart.
    fn default() -> Self {
        Self { attempts: 8, initial_backoff_ms: 100, max_backoff_ms: 5_000 }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        let millis =
            self.initial_backoff_ms.saturating_mul(1 << doublings).min(self.max_backoff_ms);
        Duration::from_millis(millis)
    }

    /// Runs `request` until it succeeds, fails for good, or the budget is spent. `request` gets the
    /// attempt number (from 1), so that a resend can first check what the previous attempt did.
    pub async fn run<T, F, Fut>(&self, op: &'static str, mut request: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, TransportError>>,
    {
        let started = Instant::now();
        let attempts = self.attempts.max(1);
        let mut attempt = 1;
        loop {
            match request(attempt).await {
                Ok(value) => return Ok(value),
                Err(error) if !is_transient(&error) => return Err(ChainError::from_rpc(op, error)),
                Err(last) if attempt >= attempts => {
                    return Err(ChainError::RetriesExhausted {
                        op,
                        attempts,
                        elapsed: started.elapsed(),
                        last,
                    });
                }
                Err(error) => {
                    let wait = self.backoff(attempt);
                    tracing::warn!(op, attempt, ?wait, %error, "RPC failed; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use alloy::transports::TransportErrorKind;

    use super::*;

    fn refused() -> TransportError {
        TransportErrorKind::custom_str("connection refused")
    }

    #[tokio::test(start_paused = true)]
    async fn stops_after_the_budget_with_the_last_error() {
        let policy = RetryPolicy { attempts: 4, initial_backoff_ms: 100, max_backoff_ms: 250 };
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let error = policy
            .run("eth_blockNumber", |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(refused()) }
            })
            .await
            .expect_err("never succeeds");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // Waits of 100, 200 and 250 ms between the four attempts.
        assert_eq!(started.elapsed(), Duration::from_millis(550));
        assert!(
            matches!(error, ChainError::RetriesExhausted { attempts: 4, .. }),
            "unexpected {error}"
        );
        assert!(error.to_string().contains("gave up after 4 attempts"), "{error}");
        assert!(error.to_string().contains("connection refused"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn succeeds_once_the_node_answers_and_passes_the_attempt_number() {
        let policy = RetryPolicy::default();
        let seen = policy
            .run("eth_chainId", |attempt| async move {
                if attempt < 3 { Err(refused()) } else { Ok(attempt) }
            })
            .await
            .expect("third attempt answers");
        assert_eq!(seen, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_what_the_node_refused() {
        let calls = AtomicU32::new(0);
        let error = RetryPolicy::default()
            .run("eth_sendRawTransaction", |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err::<(), _>(TransportError::ErrorResp(
                        serde_json::from_str(r#"{"code":-32000,"message":"already known"}"#)
                            .expect("payload"),
                    ))
                }
            })
            .await
            .expect_err("refused");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(error, ChainError::Rpc { .. }), "unexpected {error}");
    }
}
