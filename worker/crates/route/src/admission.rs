//! Admission under pressure: the coordinator's bound on requests in flight, and a bounded waiting
//! line ordered by the fee each request offers. When the line is full, a newcomer that offers more
//! than the cheapest waiter takes its place (the waiter is shed); one that offers no more is shed at
//! once. A freed slot goes to the highest offer, first come first served among equal offers. Nothing
//! is charged before a request is admitted: a payment travels with the request and settles only at
//! the worker, so a shed request loses its payer nothing.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy::primitives::U256;
use tokio::sync::oneshot;
use verigrad_task::lock;

/// Why a request was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Shed {
    /// The line is full of requests offering at least as much.
    #[error("the coordinator is full: every waiting request offers at least as much")]
    Outbid,
    /// A better offer took this request's place in the line.
    #[error("a higher offer took this request's place in the coordinator's line")]
    Displaced,
    /// No slot freed up in time.
    #[error("no slot freed up within the coordinator's wait")]
    Timeout,
}

/// What a waiter is told.
#[derive(Debug)]
enum Decision {
    Admitted,
    Displaced,
}

#[derive(Debug)]
struct Waiter {
    fee: U256,
    seq: u64,
    wake: oneshot::Sender<Decision>,
}

#[derive(Debug, Default)]
struct State {
    in_flight: u32,
    waiting: Vec<Waiter>,
    next_seq: u64,
}

/// The coordinator's admission: at most `limit` requests in flight, at most `line` waiting.
#[derive(Debug)]
pub struct Admission {
    limit: u32,
    line: usize,
    wait: Duration,
    state: Mutex<State>,
}

/// A slot in flight; dropping it hands the slot to the best waiter.
#[derive(Debug)]
pub struct Permit {
    admission: Arc<Admission>,
}

/// How full the coordinator is, for `/health` and the load run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Occupancy {
    /// Requests in flight.
    pub in_flight: u32,
    /// Requests waiting for a slot.
    pub waiting: usize,
}

impl Admission {
    /// At most `limit` (≥ 1) requests in flight and `line` waiting, each at most `wait`.
    pub fn new(limit: u32, line: usize, wait: Duration) -> Arc<Self> {
        Arc::new(Self { limit: limit.max(1), line, wait, state: Mutex::default() })
    }

    /// Admits a request offering `fee`: at once if a slot is free and nobody waits, else after
    /// waiting in line; or sheds it.
    pub async fn admit(self: &Arc<Self>, fee: U256) -> Result<Permit, Shed> {
        let (seq, decided) = {
            let mut state = lock(&self.state);
            if state.in_flight < self.limit && state.waiting.is_empty() {
                state.in_flight += 1;
                return Ok(self.permit());
            }
            if state.waiting.len() >= self.line {
                let cheapest = cheapest(&state.waiting).filter(|&i| state.waiting[i].fee < fee);
                let Some(index) = cheapest else { return Err(Shed::Outbid) };
                let displaced = state.waiting.swap_remove(index);
                let _ = displaced.wake.send(Decision::Displaced);
            }
            let (wake, decided) = oneshot::channel();
            let seq = state.next_seq;
            state.next_seq += 1;
            state.waiting.push(Waiter { fee, seq, wake });
            (seq, decided)
        };
        let mut line = InLine { admission: self, seq, decided, done: false };
        match tokio::time::timeout(self.wait, &mut line.decided).await {
            Ok(Ok(Decision::Admitted)) => Ok(line.admitted()),
            Ok(Ok(Decision::Displaced) | Err(_)) => line.shed(Shed::Displaced),
            Err(_) => line.timed_out(),
        }
    }

    /// Whether a request arriving now would be admitted at once.
    pub fn has_room(&self) -> bool {
        let state = lock(&self.state);
        state.in_flight < self.limit && state.waiting.is_empty()
    }

    /// How full it is now.
    pub fn occupancy(&self) -> Occupancy {
        let state = lock(&self.state);
        Occupancy { in_flight: state.in_flight, waiting: state.waiting.len() }
    }

    fn permit(self: &Arc<Self>) -> Permit {
        Permit { admission: self.clone() }
    }

    /// Hands a freed slot to the best live waiter, or frees it.
    fn release(&self) {
        let mut state = lock(&self.state);
        while let Some(index) = best(&state.waiting) {
            let waiter = state.waiting.swap_remove(index);
            if waiter.wake.send(Decision::Admitted).is_ok() {
                return; // the slot passes on: in flight is unchanged
            }
        }
        state.in_flight -= 1;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.admission.release();
    }
}

/// A request waiting in line; leaving the line (a timeout, or the client hanging up) removes it,
/// and a slot handed to it that it can no longer use is passed on.
struct InLine<'a> {
    admission: &'a Arc<Admission>,
    seq: u64,
    decided: oneshot::Receiver<Decision>,
    /// Whether the outcome was taken (a permit, or a refusal): nothing is left to clean up.
    done: bool,
}

impl InLine<'_> {
    fn admitted(mut self) -> Permit {
        self.done = true;
        self.admission.permit()
    }

    fn shed(mut self, why: Shed) -> Result<Permit, Shed> {
        self.done = true;
        Err(why)
    }

    /// Leaves the line after a timeout, unless a slot was handed over meanwhile.
    fn timed_out(mut self) -> Result<Permit, Shed> {
        if !self.remove() && matches!(self.decided.try_recv(), Ok(Decision::Admitted)) {
            return Ok(self.admitted());
        }
        self.shed(Shed::Timeout)
    }

    /// Removes this request from the line; whether it was still there.
    fn remove(&mut self) -> bool {
        let mut state = lock(&self.admission.state);
        let index = state.waiting.iter().position(|w| w.seq == self.seq);
        index.map(|i| state.waiting.swap_remove(i)).is_some()
    }
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        // The handler was dropped while waiting (the client went away): leave the line, and pass on
        // a slot that was handed over just before.
        if !self.done && !self.remove() && matches!(self.decided.try_recv(), Ok(Decision::Admitted))
        {
            self.admission.release();
        }
    }
}

/// The waiter to shed first: the lowest offer, the latest among equals.
fn cheapest(waiting: &[Waiter]) -> Option<usize> {
    (0..waiting.len()).min_by_key(|&i| (waiting[i].fee, std::cmp::Reverse(waiting[i].seq)))
}

/// The waiter to admit first: the highest offer, the earliest among equals.
fn best(waiting: &[Waiter]) -> Option<usize> {
    (0..waiting.len()).max_by_key(|&i| (waiting[i].fee, std::cmp::Reverse(waiting[i].seq)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fee(n: u64) -> U256 {
        U256::from(n)
    }

    /// Lets the spawned waiters reach the line.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn admits_at_once_up_to_the_limit_then_queues() {
        let admission = Admission::new(2, 4, Duration::from_secs(5));
        let _a = admission.admit(fee(1)).await.expect("slot");
        let _b = admission.admit(fee(1)).await.expect("slot");
        let waiting = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit(fee(1)).await.map(drop) }
        });
        settle().await;
        assert_eq!(admission.occupancy(), Occupancy { in_flight: 2, waiting: 1 });
        drop(_a);
        waiting.await.expect("joined").expect("admitted once a slot freed");
        assert_eq!(admission.occupancy(), Occupancy { in_flight: 1, waiting: 0 });
    }

    /// The attacker's view: flooding the line with cheap requests cannot keep out a better offer,
    /// and the freed slot goes to the highest offer, not the first cheap one in line.
    #[tokio::test]
    async fn a_full_line_sheds_the_cheapest_and_admits_the_highest_first() {
        let admission = Admission::new(1, 3, Duration::from_secs(5));
        let slot = admission.admit(fee(0)).await.expect("slot");
        let spawn = |offer: u64| {
            let admission = admission.clone();
            tokio::spawn(async move { admission.admit(fee(offer)).await.map(drop) })
        };
        let cheap: Vec<_> = (0..3).map(|_| spawn(1)).collect();
        settle().await;
        assert_eq!(admission.admit(fee(1)).await.map(drop), Err(Shed::Outbid), "no better offer");
        let rich = spawn(50);
        settle().await;
        assert_eq!(admission.occupancy().waiting, 3, "the line stays bounded");
        let mut outcomes = Vec::new();
        for handle in cheap {
            if handle.is_finished() {
                outcomes.push(handle.await.expect("joined"));
            }
        }
        assert_eq!(outcomes, [Err(Shed::Displaced)], "exactly one cheap request made way");
        drop(slot);
        rich.await.expect("joined").expect("the highest offer is admitted first");
    }

    #[tokio::test]
    async fn a_waiter_times_out_and_leaves_the_line() {
        let admission = Admission::new(1, 2, Duration::from_millis(20));
        let _slot = admission.admit(fee(0)).await.expect("slot");
        assert_eq!(admission.admit(fee(9)).await.map(drop), Err(Shed::Timeout));
        assert_eq!(admission.occupancy(), Occupancy { in_flight: 1, waiting: 0 });
    }

    #[tokio::test]
    async fn a_client_that_hangs_up_frees_its_place() {
        let admission = Admission::new(1, 1, Duration::from_secs(5));
        let slot = admission.admit(fee(0)).await.expect("slot");
        let gone = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit(fee(5)).await.map(drop) }
        });
        settle().await;
        gone.abort();
        let _ = gone.await;
        assert_eq!(admission.occupancy().waiting, 0);
        drop(slot);
        assert_eq!(admission.occupancy().in_flight, 0, "the slot is freed, not handed to nobody");
    }
}
