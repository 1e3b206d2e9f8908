//! `POST /v1/pipe/answers`: a PIPE request from pipe-node, sent to as many staked compute workers
//! serving its release as its quorum needs — side by side, each chosen by the routing policy — with
//! a worker that fails or cannot be reached replaced by the next, until the quorum answered or the
//! request's time is up. The node checks the signatures; the coordinator only gathers them.

use std::{sync::Arc, time::Duration};

use alloy::{primitives::Address, transports::http::reqwest};
use axum::{Json, extract::State};
use futures_util::{StreamExt, stream::FuturesUnordered};
use tokio::time::Instant;
use verigrad_answer::{AnswerRequest, AnswersReply, AnswersRequest, SignedAnswer};

use crate::{Dispatch, Gateway, Route, Sort};

/// The longest a node may ask the coordinator to wait.
const MAX_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) async fn answers(
    State(gateway): State<Arc<Gateway>>,
    Json(asked): Json<AnswersRequest>,
) -> Json<AnswersReply> {
    let timeout = Duration::from_millis(asked.timeout_ms).min(MAX_TIMEOUT);
    Json(gather(&gateway, &asked, Instant::now() + timeout).await)
}

async fn gather(gateway: &Gateway, asked: &AnswersRequest, deadline: Instant) -> AnswersReply {
    let quorum = asked.quorum.max(1) as usize;
    let release = asked.request.release_id;
    let mut reply = AnswersReply::default();
    let mut tried: Vec<Address> = Vec::new();
    let mut pending = FuturesUnordered::new();
    let candidates = match gateway.table.candidates(release).await {
        Ok(candidates) => candidates,
        Err(e) => {
            reply.errors.push(format!("reading the registry: {e}"));
            return reply;
        }
    };
    loop {
        // Keep as many workers asked as answers are still missing.
        while reply.answers.len() + pending.len() < quorum {
            match gateway.table.dispatch(&candidates, &tried, Sort::Cost) {
                Ok(dispatch) => {
                    tried.push(dispatch.candidate.address);
                    pending.push(ask(&gateway.http, dispatch, &asked.request, deadline));
                }
                Err(route) => {
                    if pending.is_empty() {
                        reply.errors.push(no_more(route, release, tried.len()));
                    }
                    break;
                }
            }
        }
        if pending.is_empty() {
            return reply;
        }
        match tokio::time::timeout_at(deadline, pending.next()).await {
            Ok(Some(Ok(answer))) => reply.answers.push(answer),
            Ok(Some(Err(error))) => reply.errors.push(error),
            Ok(None) => return reply,
            Err(_) => {
                reply.errors.push(format!("{} worker(s) did not answer in time", pending.len()));
                return reply;
            }
        }
        if reply.answers.len() >= quorum {
            return reply;
        }
    }
}

/// Asks one worker; its dispatch records how it went.
async fn ask(
    http: &reqwest::Client,
    dispatch: Dispatch,
    request: &AnswerRequest,
    deadline: Instant,
) -> Result<SignedAnswer, String> {
    let worker = dispatch.candidate.address;
    let url = format!("{}/v1/pipe/answer", dispatch.candidate.endpoint.trim_end_matches('/'));
    let left = deadline.saturating_duration_since(Instant::now());
    let sent = http.post(url).json(request).timeout(left).send().await;
    let answer = match sent {
        Ok(response) if response.status().is_success() => {
            response.json::<SignedAnswer>().await.map_err(|e| format!("worker {worker}: {e}"))
        }
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            Err(format!("worker {worker}: {status} {body}"))
        }
        Err(e) => Err(format!("worker {worker}: {e}")),
    };
    match &answer {
        Ok(signed) if signed.worker == worker => dispatch.succeeded(),
        Ok(signed) => {
            dispatch.failed();
            return Err(format!("worker {worker} answered as {}", signed.worker));
        }
        Err(_) => dispatch.failed(),
    }
    answer
}

fn no_more(route: Route, release: alloy::primitives::B256, tried: usize) -> String {
    match route {
        Route::Busy => format!("every worker serving {release} is at its queue limit"),
        _ if tried > 0 => format!("no other worker serves {release} (asked {tried})"),
        _ => format!("no registered worker serves {release}"),
    }
}
