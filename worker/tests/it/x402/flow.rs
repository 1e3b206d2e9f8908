//! A paid request end to end against a real `worker serve` and anvil: the 402, payment with v2 and
//! v1 headers, settlement on chain, the embeddings API, the `worker pay` command and a remote
//! facilitator.

use alloy::{primitives::U256, transports::http::reqwest};
use serde_json::json;
use verigrad_x402::{
    pay,
    x402::{
        self, PAYMENT_RESPONSE, PaymentPayload, SettleResponse, X_PAYMENT, X_PAYMENT_RESPONSE,
        decode_header, encode_header,
    },
};

use verigrad_testkit::x402::{
    Market, PAYER_KEY, Server, get, package_id, payer, post, price_of_volatility, volatility_input,
};
use verigrad_testkit::{Node, WORKER_KEY, address, text, worker};

#[tokio::test(flavor = "multi_thread")]
async fn paid_inference_end_to_end() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::serve(&market, dir.path(), &[]);
    let (me, them) = (address(WORKER_KEY), address(PAYER_KEY));
    let (mine, theirs) = (market.balance(me).await, market.balance(them).await);

    assert_eq!(get(&format!("{}/health", server.url)).await["status"], "ok");
    let catalog = get(&format!("{}/v1/models", server.url)).await;
    let volatility = catalog["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["name"] == "verigrad/volatility")
        .expect("listed")
        .clone();
    assert_eq!(volatility["id"], json!(package_id("volatility")));
    assert_eq!(volatility["price"], price_of_volatility().to_string());
    assert_eq!(catalog["payment"]["network"], format!("eip155:{}", market.anvil.chain_id()));

    // Without payment: 402 with the requirements in the header and the body.
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let unpaid = post(&url, &volatility_input(), &[]).await;
    assert_eq!(unpaid.status, 402);
    let required = unpaid.required();
    assert_eq!(required.x402_version, 2);
    assert!(required.resource.url.ends_with("/v1/models/verigrad/volatility/infer"));
    let offer = &required.accepts[0];
    assert_eq!(offer.scheme, "exact");
    assert_eq!(offer.network, format!("eip155:{}", market.anvil.chain_id()));
    assert_eq!(
        (offer.asset, offer.pay_to, offer.amount),
        (market.token(), me, price_of_volatility())
    );
    let domain = offer.extra.clone().expect("EIP-712 domain");
    assert_eq!((domain.name.as_str(), domain.version.as_str()), ("Verigrad", "1"));
    assert_eq!(get(&format!("{}/health", server.url)).await["inferences"], 0, "nothing ran unpaid");

    // Paid (v2): the output, and the settlement in PAYMENT-RESPONSE.
    let paid = pay(&reqwest::Client::new(), &url, Some(&volatility_input()), &payer())
        .await
        .expect("pays");
    assert_eq!(paid.status, 200, "{:?}\n{}", paid.body, server.log());
    assert_eq!(paid.body["numbers"][0]["name"], "volatility");
    assert_eq!(paid.body["model"], json!(package_id("volatility")));
    assert!(paid.body["outputHash"].as_str().is_some_and(|h| h.len() == 66));
    let settlement = paid.settlement.expect("PAYMENT-RESPONSE");
    assert!(settlement.success);
    assert_eq!(settlement.payer, Some(them));
    let receipt =
        market.rpc.receipt(settlement.transaction.parse().expect("hash")).await.expect("rpc");
    assert!(receipt.expect("mined").status(), "the settlement succeeded on chain");
    let price = price_of_volatility();
    assert_eq!(market.balance(them).await, theirs - price);
    assert_eq!(market.balance(me).await, mine + price);

    // Paid with a v1 payload in X-PAYMENT: answered with X-PAYMENT-RESPONSE.
    let unpaid = post(&url, &volatility_input(), &[]).await.required();
    let signed = x402::authorize(&payer(), &unpaid.accepts[0], market.anvil.chain_id(), now())
        .expect("signs");
    let v1 = json!({ "x402Version": 1, "scheme": "exact", "network": unpaid.accepts[0].network, "payload": signed });
    let answer = post(&url, &volatility_input(), &[(X_PAYMENT, encode_header(&v1))]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.headers.get(PAYMENT_RESPONSE).is_none());
    let v1_settlement: SettleResponse =
        decode_header(answer.headers[X_PAYMENT_RESPONSE].to_str().expect("ascii"))
            .expect("decodes");
    assert!(v1_settlement.success);
    assert_eq!(market.balance(them).await, theirs - price * U256::from(2));

    // The embeddings API in OpenAI's shape.
    let request = json!({ "model": "verigrad/minilm", "input": ["gm", "wagmi"] });
    let embeddings_url = format!("{}/v1/embeddings", server.url);
    let paid = pay(&reqwest::Client::new(), &embeddings_url, Some(&request), &payer())
        .await
        .expect("pays");
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    assert_eq!(paid.paid.expect("paid").amount, price * U256::from(2));
    assert_eq!(paid.body["object"], "list");
    let data = paid.body["data"].as_array().expect("data");
    assert_eq!((data.len(), data[1]["index"].clone()), (2, json!(1)));
    assert_eq!(data[0]["embedding"].as_array().expect("vector").len(), 384);

    // The CLI pays the same way.
    let env = market.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.retain(|(k, _)| *k != "VERIGRAD_KEY");
    env.push(("VERIGRAD_KEY", PAYER_KEY));
    let body = volatility_input().to_string();
    let output = worker(&env, &["pay", &url, "--body", &body]);
    assert!(output.status.success(), "{}", text(&output));
    let printed = text(&output);
    assert!(
        printed.contains("\"volatility\"") && printed.contains("settled in tx 0x"),
        "{printed}"
    );
    assert_eq!(get(&format!("{}/health", server.url)).await["inferences"], 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_facilitator_verifies_and_settles() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("facilitator").to_string_lossy().into_owned();
    let facilitator = Server::start(
        &market.env(),
        &["facilitator", "--data-dir", &data],
        dir.path().join("facilitator.log"),
    );
    let supported = get(&format!("{}/supported", facilitator.url)).await;
    let network = format!("eip155:{}", market.anvil.chain_id());
    assert_eq!(
        supported["kinds"][0],
        json!({ "x402Version": 2, "scheme": "exact", "network": network })
    );
    assert_eq!(supported["signers"]["eip155:*"], json!([address(WORKER_KEY)]));

    // The API node is paid at another address and settles nothing itself.
    let pay_to = address(verigrad_testkit::x402::BROKE_KEY).to_string();
    let server = Server::serve(
        &market,
        &dir.path().join("api"),
        &["--facilitator", &facilitator.url, "--pay-to", &pay_to],
    );
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let paid = pay(&reqwest::Client::new(), &url, Some(&volatility_input()), &payer())
        .await
        .expect("pays");
    assert_eq!(paid.status, 200, "{:?}\n{}", paid.body, server.log());
    assert!(paid.settlement.expect("settled").success);
    assert_eq!(market.balance(pay_to.parse().expect("address")).await, price_of_volatility());

    // The facilitator's own API, as the specification has it.
    let required = post(&url, &volatility_input(), &[]).await.required();
    let requirements = required.accepts[0].clone();
    let signed =
        x402::authorize(&payer(), &requirements, market.anvil.chain_id(), now()).expect("signs");
    let payload = PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: requirements.clone(),
        payload: signed,
    };
    let body =
        json!({ "x402Version": 2, "paymentPayload": payload, "paymentRequirements": requirements });
    let verified = post(&format!("{}/verify", facilitator.url), &body, &[]).await;
    assert_eq!(verified.body, json!({ "isValid": true, "payer": address(PAYER_KEY) }));
    let settled = post(&format!("{}/settle", facilitator.url), &body, &[]).await;
    assert_eq!(settled.body["success"], true, "{}", settled.body);
    let again = post(&format!("{}/settle", facilitator.url), &body, &[]).await;
    assert_eq!(again.body["errorReason"], "invalid_exact_evm_nonce_already_used");
    let mut other_domain = body.clone();
    other_domain["paymentRequirements"]["extra"]["name"] = "Not Verigrad".into();
    let refused = post(&format!("{}/verify", facilitator.url), &other_domain, &[]).await;
    assert_eq!(refused.body["invalidReason"], "invalid_payment_requirements");
    let garbage =
        json!({ "paymentPayload": { "x402Version": 2 }, "paymentRequirements": requirements });
    let malformed = post(&format!("{}/verify", facilitator.url), &garbage, &[]).await;
    assert_eq!(
        (malformed.status, malformed.body["invalidReason"].clone()),
        (400, json!("invalid_payload"))
    );
}

/// Unix time now.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}
