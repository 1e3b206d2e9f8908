//! A point in time past which a model stops working on an input.
//!
//! Models are not preempted: they check the deadline at their own checkpoints (before an input, and
//! between the sentences of an embedding), so a run stops at most one checkpoint's work late.

use std::time::{Duration, Instant};

use crate::{InferenceError, Result};

/// When a run must stop, if ever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline: the run goes on until it is done.
    pub const NONE: Self = Self(None);

    /// A deadline at `instant`.
    pub const fn at(instant: Instant) -> Self {
        Self(Some(instant))
    }

    /// A deadline `timeout` from now.
    pub fn after(timeout: Duration) -> Self {
        Self(Instant::now().checked_add(timeout))
    }

    /// The time left, if there is a deadline (zero once it has passed).
    pub fn remaining(&self) -> Option<Duration> {
        self.0.map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Fails with [`InferenceError::TimedOut`] if the deadline has passed.
    pub fn check(&self, model: &str) -> Result<()> {
        match self.0 {
            Some(at) if Instant::now() >= at => {
                Err(InferenceError::TimedOut { model: model.to_string() })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_passed_deadline_fails() {
        assert!(Deadline::NONE.check("m").is_ok());
        assert!(Deadline::after(Duration::from_secs(3600)).check("m").is_ok());
        let err = Deadline::at(Instant::now()).check("m").expect_err("passed");
        assert!(matches!(err, InferenceError::TimedOut { ref model } if model == "m"), "{err}");
        assert_eq!(err.to_string(), "m ran past its deadline");
    }
}
