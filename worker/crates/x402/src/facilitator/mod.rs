//! The x402 facilitator (part of the coordinator role): verifies `exact` payments against the chain
//! and settles them with the Token's `transferWithAuthorization`, sent by this node's key.
//!
//! Settlement claims the authorization in the [`Ledger`] before anything is sent, so one
//! authorization is settled at most once — also when the same payment arrives twice at once, and
//! across restarts; the chain's `authorizationState` catches authorizations used elsewhere.

mod client;
mod ledger;
mod routes;

use std::time::{SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, U256};
use verigrad_contracts::{ChainError, Rpc, Token, TokenClient, TxSender};

pub use client::FacilitatorClient;
pub use ledger::{Entry, Ledger};
pub use routes::router;

use super::x402::{
    self, DomainInfo, Payment, PaymentRequirements, Reason, SCHEME, SettleResponse, SupportedKind,
    SupportedResponse, VerifyResponse, X402_VERSION,
};

/// The Token's EIP-712 domain: OpenZeppelin's `ERC20Permit("Verigrad")`, version "1".
pub fn token_domain() -> DomainInfo {
    DomainInfo { name: "Verigrad".into(), version: "1".into() }
}

/// Unix time now, in seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The checks of a payment that read the chain: its authorization's nonce is unused and the payer
/// holds `amount`.
async fn funded(token: &TokenClient, payment: &Payment, amount: U256) -> Result<(), Reason> {
    let (payer, nonce) = (payment.payer(), payment.exact.authorization.nonce);
    // Both reads at once: this is most of the time verification adds to a request.
    let (used, balance) =
        tokio::join!(token.authorization_used(payer, nonce), token.balance_of(payer));
    let unexpected = |e: ChainError| {
        tracing::warn!(%e, "verification reads failed");
        Reason::UnexpectedVerifyError
    };
    if used.map_err(unexpected)? {
        return Err(Reason::NonceAlreadyUsed);
    }
    if balance.map_err(unexpected)? < amount {
        return Err(Reason::InsufficientBalance);
    }
    Ok(())
}

/// What a payment credibly offers for a request quoted at `quote` (the coordinator's admission ranks
/// by it): the quote if the payment would settle — an `exact` authorization in `token` on chain
/// `chain_id`, well signed, current, of exactly the quote, with an unused nonce, from a payer who
/// holds it — else nothing. A header that claims more than it would pay counts for nothing.
pub async fn offer(token: &TokenClient, chain_id: u64, payment: &Payment, quote: U256) -> U256 {
    let requirements = PaymentRequirements {
        scheme: SCHEME.into(),
        network: x402::network(chain_id),
        amount: quote,
        asset: token.address(),
        pay_to: payment.exact.authorization.to,
        max_timeout_seconds: 0,
        extra: Some(token_domain()),
    };
    let checked = x402::check(payment, &requirements, chain_id, unix_now());
    if checked.is_err() || funded(token, payment, quote).await.is_err() {
        return U256::ZERO;
    }
    quote
}

/// Verifies and settles payments in the network Token on one chain.
#[derive(Debug)]
pub struct Facilitator {
    token: TokenClient,
    sender: TxSender,
    chain_id: u64,
    ledger: Ledger,
}

impl Facilitator {
    /// A facilitator for `token` on chain `chain_id`, settling with `sender` and recording in `ledger`.
    pub fn new(rpc: Rpc, sender: TxSender, chain_id: u64, token: Address, ledger: Ledger) -> Self {
        Self { token: TokenClient::new(rpc, token), sender, chain_id, ledger }
    }

    /// Checks `payment` against `requirements`: the offline checks, then that this facilitator has
    /// not taken the authorization on before, that its nonce is unused on chain and that the payer
    /// holds the amount.
    #[tracing::instrument(skip_all, fields(payer = %payment.payer()))]
    pub async fn verify(
        &self,
        payment: &Payment,
        requirements: &PaymentRequirements,
    ) -> VerifyResponse {
        let payer = payment.payer();
        let verdict = match self.check(payment, requirements).await {
            Ok(()) => VerifyResponse { is_valid: true, invalid_reason: None, payer: Some(payer) },
            Err(reason) => {
                VerifyResponse { is_valid: false, invalid_reason: Some(reason), payer: Some(payer) }
            }
        };
        tracing::debug!(valid = verdict.is_valid, reason = ?verdict.invalid_reason, "verified");
        verdict
    }

    async fn check(
        &self,
        payment: &Payment,
        requirements: &PaymentRequirements,
    ) -> Result<(), Reason> {
        if requirements.network != x402::network(self.chain_id) {
            return Err(Reason::NetworkMismatch);
        }
        // A signature under any other domain would pass here and revert on chain, at our gas.
        if requirements.asset != self.token.address() || requirements.extra != Some(token_domain())
        {
            return Err(Reason::InvalidPaymentRequirements);
        }
        let payer = x402::check(payment, requirements, self.chain_id, unix_now())?;
        let nonce = payment.exact.authorization.nonce;
        let known = self.ledger.get(self.token.address(), payer, nonce).map_err(|e| {
            tracing::error!(%e, "ledger");
            Reason::UnexpectedVerifyError
        })?;
        if known.is_some() {
            return Err(Reason::NonceAlreadyUsed);
        }
        funded(&self.token, payment, requirements.amount).await
    }

    /// Verifies `payment` again, claims its authorization and sends `transferWithAuthorization`;
    /// answers once the transaction is mined.
    #[tracing::instrument(skip_all, fields(payer = %payment.payer()))]
    pub async fn settle(
        &self,
        payment: &Payment,
        requirements: &PaymentRequirements,
    ) -> SettleResponse {
        let payer = payment.payer();
        let network = x402::network(self.chain_id);
        let failed = |reason: Reason, transaction: String| SettleResponse {
            success: false,
            error_reason: Some(reason),
            payer: Some(payer),
            transaction,
            network: network.clone(),
        };
        if let Err(reason) = self.check(payment, requirements).await {
            return failed(reason, String::new());
        }
        let auth = payment.exact.authorization;
        match self.ledger.claim(self.token.address(), payer, auth.nonce) {
            Ok(true) => {}
            Ok(false) => return failed(Reason::NonceAlreadyUsed, String::new()),
            Err(e) => {
                tracing::error!(%e, "ledger");
                return failed(Reason::UnexpectedSettleError, String::new());
            }
        }
        let call = Token::transferWithAuthorization_0Call {
            from: auth.from,
            to: auth.to,
            value: auth.value,
            validAfter: auth.valid_after,
            validBefore: auth.valid_before,
            nonce: auth.nonce,
            signature: payment.exact.signature.clone(),
        };
        let (entry, response) = match self.sender.call(self.token.address(), call).await {
            Ok(receipt) => {
                let tx = receipt.transaction_hash;
                tracing::info!(%tx, value = %auth.value, "settled");
                let response = SettleResponse {
                    success: true,
                    error_reason: None,
                    payer: Some(payer),
                    transaction: tx.to_string(),
                    network: network.clone(),
                };
                (Entry::Settled { tx }, response)
            }
            Err(ChainError::TxReverted { hash, .. }) => {
                tracing::warn!(%hash, "settlement reverted");
                let reason = Reason::TransactionFailed;
                (Entry::Failed { reason }, failed(reason, hash.to_string()))
            }
            Err(e) => {
                tracing::warn!(%e, "settlement failed");
                let reason = Reason::UnexpectedSettleError;
                (Entry::Failed { reason }, failed(reason, String::new()))
            }
        };
        if let Err(e) = self.ledger.finish(self.token.address(), payer, auth.nonce, entry) {
            // The claim stands, so the authorization is still never sent twice.
            tracing::error!(%e, "ledger");
        }
        response
    }

    /// What this facilitator settles: `exact` on its chain, v2 and v1.
    pub fn supported(&self) -> SupportedResponse {
        let network = x402::network(self.chain_id);
        let kinds = [X402_VERSION, 1]
            .into_iter()
            .map(|x402_version| SupportedKind {
                x402_version,
                scheme: SCHEME.into(),
                network: network.clone(),
            })
            .collect();
        let signers = [("eip155:*".to_string(), vec![self.sender.address()])].into();
        SupportedResponse { kinds, extensions: Vec::new(), signers }
    }
}
