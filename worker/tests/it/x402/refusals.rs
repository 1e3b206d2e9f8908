//! Every kind of bad payment is refused with its reason; nothing is charged and no inference runs.
//! A payer over the rate limit gets 429.

use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use verigrad_contracts::bindings::Token;
use verigrad_x402::x402::{
    self, Authorization, PAYMENT_SIGNATURE, PaymentPayload, PaymentRequirements, encode_header,
};

use super::flow::now;
use verigrad_testkit::x402::{
    BROKE_KEY, Market, PAYER_KEY, Server, get, payer, post, price_of_volatility, volatility_input,
};
use verigrad_testkit::{DEPLOYER_KEY, Node, WORKER_KEY, address};

/// A `PAYMENT-SIGNATURE` header: `accepted` as chosen, the authorization signed by `key`.
fn header(
    accepted: &PaymentRequirements,
    key: &PrivateKeySigner,
    chain_id: u64,
    auth: Authorization,
) -> String {
    let payload = x402::sign(key, accepted, chain_id, auth).expect("signs");
    encode_header(&PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: accepted.clone(),
        payload,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_payments_are_refused_and_nothing_is_charged() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::serve(&market, dir.path(), &[]);
    let chain = market.anvil.chain_id();
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    // A request the model cannot take is refused before any payment is asked for.
    let malformed = post(
        &url,
        &json!({ "numbers": [{ "name": "returns", "shape": [1, 16], "values": ["x"] }] }),
        &[],
    )
    .await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let unknown =
        post(&format!("{}/v1/models/nobody/nothing/infer", server.url), &volatility_input(), &[])
            .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    let offer = post(&url, &volatility_input(), &[]).await.required().accepts[0].clone();
    let honest = x402::authorize(&payer(), &offer, chain, now()).expect("signs").authorization;
    let with = |change: &dyn Fn(&mut Authorization)| {
        let mut auth = honest;
        auth.nonce = alloy::primitives::B256::random();
        change(&mut auth);
        auth
    };
    let (me, them) = (address(WORKER_KEY), address(PAYER_KEY));
    let (mine, theirs) = (market.balance(me).await, market.balance(them).await);

    let stranger = PrivateKeySigner::random();
    let broke: PrivateKeySigner = BROKE_KEY.parse().expect("key");
    let mut other_network = offer.clone();
    other_network.network = "eip155:1".into();
    let mut other_asset = offer.clone();
    other_asset.asset = Address::repeat_byte(0x42);
    let mut other_scheme = offer.clone();
    other_scheme.scheme = "upto".into();
    let price = price_of_volatility();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "signed by another key",
            header(&offer, &stranger, chain, with(&|_| {})),
            402,
            "invalid_exact_evm_signature",
        ),
        (
            "signed for another chain",
            header(&offer, &payer(), 1, with(&|_| {})),
            402,
            "invalid_exact_evm_signature",
        ),
        (
            "pays someone else",
            header(&offer, &payer(), chain, with(&|a| a.to = Address::repeat_byte(7))),
            402,
            "invalid_exact_evm_recipient_mismatch",
        ),
        (
            "short",
            header(&offer, &payer(), chain, with(&|a| a.value = price - U256::from(1))),
            402,
            "invalid_exact_evm_payload_authorization_value_mismatch",
        ),
        (
            "over",
            header(&offer, &payer(), chain, with(&|a| a.value = price * U256::from(2))),
            402,
            "invalid_exact_evm_payload_authorization_value_mismatch",
        ),
        (
            "expired",
            header(&offer, &payer(), chain, with(&|a| a.valid_before = U256::from(now() - 10))),
            402,
            "invalid_exact_evm_payload_authorization_valid_before",
        ),
        (
            "not yet valid",
            header(&offer, &payer(), chain, with(&|a| a.valid_after = U256::from(now() + 120))),
            402,
            "invalid_exact_evm_payload_authorization_valid_after",
        ),
        (
            "balance too low",
            header(&offer, &broke, chain, with(&|a| a.from = broke.address())),
            402,
            "invalid_exact_evm_insufficient_balance",
        ),
        (
            "other network",
            header(&other_network, &payer(), chain, with(&|_| {})),
            402,
            "invalid_exact_evm_network_mismatch",
        ),
        (
            "other asset",
            header(&other_asset, &payer(), chain, with(&|_| {})),
            402,
            "invalid_payment_requirements",
        ),
        (
            "other scheme",
            header(&other_scheme, &payer(), chain, with(&|_| {})),
            402,
            "unsupported_scheme",
        ),
        ("not base64", "%%% not base64 %%%".into(), 400, "invalid_payload"),
        ("not JSON", STANDARD.encode("{\"x402Version\": 2, "), 400, "invalid_payload"),
        (
            "not a payment",
            encode_header(&json!({ "x402Version": 2, "accepted": {} })),
            400,
            "invalid_payload",
        ),
        (
            "unknown version",
            encode_header(&json!({ "x402Version": 9 })),
            402,
            "invalid_x402_version",
        ),
    ];
    for (name, value, status, reason) in cases {
        let answer = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, value)]).await;
        assert_eq!(
            (answer.status, answer.reason().as_str()),
            (status, reason),
            "{name}: {}",
            answer.body
        );
        assert_eq!(answer.required().accepts, vec![offer.clone()], "{name}: the offer stands");
    }

    // A payment is good once: its replay is refused by the ledger.
    let good = header(&offer, &payer(), chain, with(&|_| {}));
    let first = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, good.clone())]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, good)]).await;
    assert_eq!(
        (replay.status, replay.reason().as_str()),
        (402, "invalid_exact_evm_nonce_already_used")
    );

    // An authorization used on chain elsewhere (here the payee itself submitted it) is refused too.
    let used_elsewhere = with(&|_| {});
    let signed = x402::sign(&payer(), &offer, chain, used_elsewhere).expect("signs");
    let submitter = market.deployed.account(market.anvil.url(), DEPLOYER_KEY).await;
    let call = Token::transferWithAuthorization_0Call {
        from: used_elsewhere.from,
        to: used_elsewhere.to,
        value: used_elsewhere.value,
        validAfter: used_elsewhere.valid_after,
        validBefore: used_elsewhere.valid_before,
        nonce: used_elsewhere.nonce,
        signature: signed.signature.clone(),
    };
    submitter.sender().call(market.token(), call).await.expect("settled directly");
    let late = encode_header(&PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: offer.clone(),
        payload: signed,
    });
    let answer = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, late)]).await;
    assert_eq!(
        (answer.status, answer.reason().as_str()),
        (402, "invalid_exact_evm_nonce_already_used")
    );

    // Charged exactly twice (the good payment and the one settled directly), and only the good
    // payment ran a model.
    assert_eq!(market.balance(them).await, theirs - price * U256::from(2));
    assert_eq!(market.balance(me).await, mine + price * U256::from(2));
    assert_eq!(get(&format!("{}/health", server.url)).await["inferences"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payer_over_the_rate_limit_gets_429() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let limit = ["--rate.burst", "2", "--rate.per-second", "0.01"];
    let server = Server::serve(&market, dir.path(), &limit);
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let offer = post(&url, &volatility_input(), &[]).await.required().accepts[0].clone();
    let chain = market.anvil.chain_id();
    // Well signed, so they reach the bucket; refused on chain for the balance, which costs reads.
    let broke: PrivateKeySigner = BROKE_KEY.parse().expect("key");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let auth = x402::authorize(&broke, &offer, chain, now()).expect("signs").authorization;
        let paid = [(PAYMENT_SIGNATURE, header(&offer, &broke, chain, auth))];
        statuses.push(post(&url, &volatility_input(), &paid).await.status);
    }
    assert_eq!(statuses, vec![402, 402, 429]);

    // Naming the limited payer without its key does not reach its bucket, nor hold others back.
    let stranger = PrivateKeySigner::random();
    let forged = with_from(
        x402::authorize(&stranger, &offer, chain, now()).expect("signs").authorization,
        broke.address(),
    );
    let answer = post(
        &url,
        &volatility_input(),
        &[(PAYMENT_SIGNATURE, header(&offer, &stranger, chain, forged))],
    )
    .await;
    assert_eq!((answer.status, answer.reason().as_str()), (402, "invalid_exact_evm_signature"));
    let auth = x402::authorize(&payer(), &offer, chain, now()).expect("signs").authorization;
    let answer = post(
        &url,
        &volatility_input(),
        &[(PAYMENT_SIGNATURE, header(&offer, &payer(), chain, auth))],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let unpaid: Value = post(&url, &volatility_input(), &[]).await.body;
    assert_eq!(unpaid["error"], "PAYMENT-SIGNATURE header is required");
}

/// `auth` claiming to come from `from`.
fn with_from(mut auth: Authorization, from: Address) -> Authorization {
    auth.from = from;
    auth
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_settlement_returns_no_output() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // anvil's development key 5 (a public test key), left without ether: it cannot pay for the
    // settlement's gas, though the payment itself is sound.
    let key = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
    market.anvil.rpc("anvil_setBalance", json!([address(key), "0x0"])).await;
    let mut env = market.env();
    env.retain(|(name, _)| *name != "VERIGRAD_KEY");
    env.push(("VERIGRAD_KEY", key.to_string()));
    let data = dir.path().to_string_lossy().into_owned();
    let args = ["serve", "--models", "models", "--data-dir", &data];
    let server = Server::start(&env, &args, dir.path().join("serve.log"));
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let offer = post(&url, &volatility_input(), &[]).await.required().accepts[0].clone();
    let theirs = market.balance(address(PAYER_KEY)).await;

    let signed = x402::authorize(&payer(), &offer, market.anvil.chain_id(), now()).expect("signs");
    let nonce = signed.authorization.nonce;
    let header = encode_header(&PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: offer,
        payload: signed,
    });
    let answer = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, header)]).await;
    assert_eq!(
        (answer.status, answer.reason().as_str()),
        (402, "unexpected_settle_error"),
        "{}",
        server.log()
    );
    assert!(
        answer.body.get("numbers").is_none() && answer.body.get("outputHash").is_none(),
        "no output"
    );
    assert_eq!(market.balance(address(PAYER_KEY)).await, theirs, "nothing charged");
    assert!(!market.used(address(PAYER_KEY), nonce).await);
}
