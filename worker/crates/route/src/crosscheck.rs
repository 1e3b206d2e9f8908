//! Cross-checked answers: a request whose verification needs k answers ([`crate::assurance`]) is
//! sent to k workers of one release, and the answer a majority agrees on — by the release's
//! determinism class: equal answers for EXACT, every number within ε for TOLERANCE — is returned.
//!
//! The coordinator is the buyer: the client pays it the k answers' price with x402 (`payTo` is the
//! coordinator's key), and it pays each worker that price's share with its own x402 payments,
//! never more than the release's live price. The client's payment is verified before any worker is
//! paid and settled only once a majority agreed: when fewer than k workers answer, or their answers
//! disagree, the client is charged nothing (the coordinator bears what it paid, and the workers
//! outvoted rank lower). The answer carries the receipt (`x-verigrad-route`): the release, every
//! worker asked, and how many agreed.

use std::sync::Mutex;

use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
};
use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use futures_util::{StreamExt, stream::FuturesUnordered};
use serde_json::Value;
use verigrad_inference::Determinism;
use verigrad_task::lock;
use verigrad_x402::{
    api::{ApiError, Paywall},
    pay_request_up_to,
    x402::ResourceInfo,
};

use crate::{Dispatch, Gateway, ROUTE_RECEIPT, Route, Sort, assurance::CrossCheck, gateway::Work};

/// What sells cross-checked answers: the paywall the client pays (to the coordinator), and the
/// key the coordinator pays the workers with.
#[derive(Debug)]
pub struct Reseller {
    /// Checks and settles the client's payment.
    pub paywall: Paywall,
    /// Pays the workers.
    pub signer: PrivateKeySigner,
}

/// Answers `check` for the client: its payment verified, k answers bought, the agreed one sold.
pub(crate) async fn sell(
    gateway: &Gateway,
    check: CrossCheck,
    work: Work,
    sort: Sort,
    headers: &HeaderMap,
    uri: &Uri,
    body: &Bytes,
) -> Response {
    let Some(reseller) = &gateway.reseller else {
        return ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "a cross-checked answer is bought from several workers by the coordinator, and this \
             coordinator has no key to pay them with (start it with VERIGRAD_KEY)"
                .into(),
        )
        .into_response();
    };
    let determinism = match gateway.catalog.determinism(check.release).await {
        Ok(determinism) => determinism,
        Err(e) => {
            let why = format!("model catalog: {e}");
            return ApiError(StatusCode::BAD_GATEWAY, why).into_response();
        }
    };
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let resource = ResourceInfo {
        url: format!("http://{host}{uri}"),
        description: Some(format!("{} agreeing answers of {}", check.k, check.release)),
        mime_type: Some("application/json".into()),
    };
    let receipt = Mutex::new(None);
    let answered = async {
        let (answers, asked) = gather(gateway, reseller, &check, work, sort, body).await?;
        let agreed = majority(&answers, determinism);
        *lock(&receipt) = Some(format!(
            "release={}; price={}; tier=redundant; k={}; agreed={}; workers={}",
            check.release,
            check.cost(),
            check.k,
            agreed.map_or(0, |(_, n)| n),
            asked.iter().map(Address::to_string).collect::<Vec<_>>().join(","),
        ));
        let Some((chosen, _)) = agreed else {
            for (&worker, _) in asked.iter().zip(&answers) {
                gateway.table.disagreed(worker);
            }
            let why = format!(
                "the {} answers disagree (no majority under the release's determinism class); \
                 nothing was charged",
                check.k
            );
            return Err(ApiError(StatusCode::BAD_GATEWAY, why));
        };
        for (&worker, answer) in asked.iter().zip(&answers) {
            if !agree(answer, &answers[chosen], determinism) {
                tracing::warn!(%worker, release = %check.release, "outvoted in a cross-check");
                gateway.table.disagreed(worker);
            }
        }
        Ok(answers[chosen].clone())
    };
    let mut response = reseller.paywall.charge(headers, resource, check.cost(), answered).await;
    if let Some(receipt) = lock(&receipt).take()
        && let Ok(value) = HeaderValue::from_str(&receipt)
    {
        response.headers_mut().insert(HeaderName::from_static(ROUTE_RECEIPT), value);
    }
    response
}

/// Buys k answers from distinct workers of the release, a worker that fails replaced by the next;
/// the answers and who gave them, in the same order.
async fn gather(
    gateway: &Gateway,
    reseller: &Reseller,
    check: &CrossCheck,
    work: Work,
    sort: Sort,
    body: &Bytes,
) -> Result<(Vec<Value>, Vec<Address>), ApiError> {
    let (path, body) = work.request(check.release, body);
    let mut tried: Vec<Address> = Vec::new();
    let mut answers = Vec::new();
    let mut failures = Vec::new();
    let mut pending = FuturesUnordered::new();
    loop {
        while answers.len() + pending.len() < check.k {
            match gateway.table.dispatch(&check.workers, &tried, sort) {
                Ok(dispatch) => {
                    tried.push(dispatch.candidate.address);
                    pending.push(buy(gateway, reseller, dispatch, &path, &body, check.price));
                }
                Err(route) => {
                    if pending.is_empty() {
                        let busy = if route == Route::Busy { " (the rest are busy)" } else { "" };
                        let why = format!(
                            "{} of the {} workers a cross-check needs answered{busy}; nothing was \
                             charged: {}",
                            answers.len(),
                            check.k,
                            failures.join("; "),
                        );
                        return Err(ApiError(StatusCode::BAD_GATEWAY, why));
                    }
                    break;
                }
            }
        }
        match pending.next().await {
            Some(Ok(answer)) => answers.push(answer),
            Some(Err(failure)) => failures.push(failure),
            None => {}
        }
        if answers.len() == check.k {
            return Ok(answers.into_iter().unzip());
        }
    }
}

/// Buys one answer: pays the worker's 402 (at most the release's live price) and reads a 2xx.
async fn buy(
    gateway: &Gateway,
    reseller: &Reseller,
    dispatch: Dispatch,
    path: &str,
    body: &Bytes,
    price: U256,
) -> Result<(Value, Address), String> {
    let worker = dispatch.candidate.address;
    let url = format!("{}{path}", dispatch.candidate.endpoint.trim_end_matches('/'));
    let timeout = gateway.table.policy().answer_timeout;
    let request = || {
        gateway
            .http
            .post(&url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .body(body.clone())
    };
    match pay_request_up_to(&url, request, &reseller.signer, price).await {
        Ok(paid) if (200..300).contains(&paid.status) => {
            dispatch.succeeded();
            Ok((paid.body, worker))
        }
        Ok(paid) => {
            dispatch.failed();
            Err(format!("worker {worker}: {} {}", paid.status, paid.body))
        }
        Err(e) => {
            dispatch.failed();
            Err(format!("worker {worker}: {e}"))
        }
    }
}

/// The first answer more than half of `answers` agree with, and how many agree with it.
pub fn majority(answers: &[Value], determinism: Determinism) -> Option<(usize, usize)> {
    answers
        .iter()
        .enumerate()
        .map(|(i, answer)| (i, answers.iter().filter(|a| agree(a, answer, determinism)).count()))
        .find(|&(_, n)| 2 * n > answers.len())
}

/// Whether two answers agree: equal for an EXACT release; for a TOLERANCE one, the same shape with
/// every number (JSON numbers, and decimal strings such as the tensors' values) within ε, other
/// strings equal, and `outputHash` — the hash of the exact bytes — left out.
pub fn agree(a: &Value, b: &Value, determinism: Determinism) -> bool {
    match determinism {
        Determinism::Exact { .. } => a == b,
        Determinism::Tolerance { epsilon } => close(a, b, epsilon),
    }
}

fn close(a: &Value, b: &Value, epsilon: f64) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = |o: &serde_json::Map<String, Value>| {
                o.keys().filter(|k| *k != "outputHash").cloned().collect::<Vec<_>>()
            };
            keys(a) == keys(b) && keys(a).iter().all(|k| close(&a[k], &b[k], epsilon))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x, y, epsilon))
        }
        (Value::Number(x), Value::Number(y)) => within(x.as_f64(), y.as_f64(), epsilon),
        (Value::String(x), Value::String(y)) => x == y || within(decimal(x), decimal(y), epsilon),
        _ => a == b,
    }
}

/// A decimal string's value (`-12.50`), `None` for other text.
fn decimal(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let decimal = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1;
    decimal.then(|| text.parse().ok()).flatten()
}

fn within(x: Option<f64>, y: Option<f64>, epsilon: f64) -> bool {
    matches!((x, y), (Some(x), Some(y)) if (x - y).abs() <= epsilon)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const EXACT: Determinism = Determinism::Exact { scale_bits: 16 };
    const TOLERANT: Determinism = Determinism::Tolerance { epsilon: 1e-4 };

    fn tensor(value: &str, hash: &str) -> Value {
        json!({ "numbers": [{ "name": "y", "shape": [1], "values": [value] }], "outputHash": hash })
    }

    #[test]
    fn exact_answers_agree_only_when_equal() {
        assert!(agree(&tensor("0.5", "0xaa"), &tensor("0.5", "0xaa"), EXACT));
        assert!(!agree(&tensor("0.5", "0xaa"), &tensor("0.50001", "0xbb"), EXACT));
    }

    #[test]
    fn tolerant_answers_agree_within_epsilon_whatever_their_hashes() {
        assert!(agree(&tensor("0.5", "0xaa"), &tensor("0.50004", "0xbb"), TOLERANT));
        assert!(!agree(&tensor("0.5", "0xaa"), &tensor("0.5003", "0xbb"), TOLERANT));
        let embedding = |x: f64| json!({ "data": [{ "embedding": [x, 0.25], "index": 0 }] });
        assert!(agree(&embedding(0.1), &embedding(0.10005), TOLERANT));
        assert!(!agree(&embedding(0.1), &embedding(0.2), TOLERANT));
        // Names are compared as text, not as numbers.
        let named = |name: &str| json!({ "name": name });
        assert!(!agree(&named("y"), &named("z"), TOLERANT));
        assert!(!agree(&json!({ "a": 1 }), &json!({ "a": 1, "b": 2 }), TOLERANT));
    }

    #[test]
    fn a_majority_needs_more_than_half() {
        let honest = tensor("0.5", "0xaa");
        let liar = tensor("1.5", "0xcc");
        let two_of_three = [liar.clone(), honest.clone(), honest.clone()];
        assert_eq!(majority(&two_of_three, EXACT), Some((1, 2)));
        assert_eq!(majority(&[honest.clone(), liar.clone()], EXACT), None);
        let other = tensor("2.5", "0xdd");
        assert_eq!(majority(&[honest, liar, other], EXACT), None);
    }

    #[test]
    fn only_decimal_strings_are_numbers() {
        assert_eq!(decimal("-12.50"), Some(-12.5));
        assert_eq!(decimal("0x10"), None);
        assert_eq!(decimal("1e5"), None);
        assert_eq!(decimal("1.2.3"), None);
        assert_eq!(decimal(""), None);
    }
}
