//! The requester's side of a task (`worker submit`): the input put in a store node by its hash, the
//! task created with that commitment, and followed — assigned, stepped to settlement — until its
//! result can be fetched, checked against the accepted hash and decoded.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};

use alloy::{
    primitives::{Address, B256, U256, aliases::U40},
    sol_types::SolValue,
};
use verigrad_contracts::{
    Account, ChainError, EscrowCall, EscrowClient, Revert, TaskEscrow, TaskStatus, Tier, to_u96,
};
use verigrad_inference::{ModelInput, ModelOutput};

use verigrad_blobs::StoreClient;
use verigrad_task::{INPUT_REJECTED, Step, TaskError, due, take};

/// How many times [`Requester::create`] re-quotes a task the live price outran.
const REQUOTES: usize = 3;

/// A task to submit.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// The model release.
    pub model: B256,
    /// The input.
    pub input: ModelInput,
    /// Value at risk on the answer, token wei (drives the verification gradient).
    pub value: U256,
    /// Lowest tier accepted.
    pub floor: Tier,
    /// Seconds from now until the result (LIGHT) or commit (REDUNDANT/DEEP) deadline.
    pub deadline_secs: u64,
    /// Most the requester pays, token wei; `None`: the escrow's quote (re-quoted if the live price
    /// moves past it before the task lands).
    pub max_fee: Option<U256>,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutcome {
    /// The task.
    pub task: U256,
    /// The input's commitment.
    pub input_hash: B256,
    /// Its tier.
    pub tier: Tier,
    /// Compute seats.
    pub redundancy: u8,
    /// Fee charged at assignment, token wei (at the base price: the load premium was paid at
    /// creation).
    pub fee: U256,
    /// The load premium the treasury took at creation, token wei: the live price's excess over the
    /// base price, for each execution; never refunded.
    pub premium: U256,
    /// The accepted output's hash, if a result was accepted.
    pub output_hash: Option<B256>,
    /// Whether the network found that the input cannot be run (the accepted answer was
    /// [`INPUT_REJECTED`]); the fee is then refunded.
    pub input_rejected: bool,
    /// The accepted output, fetched and checked against its hash.
    pub output: Option<ModelOutput>,
    /// What the task credited back to the requester (the unused max fee, or all of it without a
    /// result); claimed by [`Requester::follow`] with anything else the escrow owed the requester.
    pub refunded: U256,
}

/// A requester: an account, the escrow, and the store node inputs go to.
#[derive(Debug)]
pub struct Requester {
    account: Account,
    escrow: EscrowClient,
    blobs: StoreClient,
    poll: Duration,
}

impl Requester {
    /// A requester acting for `account`, polling the chain every `poll`.
    pub fn new(account: Account, blobs: StoreClient, poll: Duration) -> Self {
        let escrow = account.chain().escrow();
        Self { account, escrow, blobs, poll }
    }

    /// The requester's account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The escrow it creates tasks on.
    pub fn escrow(&self) -> &EscrowClient {
        &self.escrow
    }

    /// Creates the task (input stored, fee approved) and returns its id. Without a max fee of its
    /// own, a request whose quote the live price passed before it landed (`FeeBelowQuote`) is sent
    /// again at the quote in the revert, up to `REQUOTES` times.
    pub async fn create(&self, request: &TaskRequest) -> Result<(U256, B256), TaskError> {
        self.check_model(request.model).await?;
        let now = self.escrow.rpc().latest_timestamp().await?;
        let (mut call, input_hash) = self.creation(request, now).await?;
        let mut requotes = 0;
        let receipt = loop {
            self.account.approve(self.escrow.address(), U256::from(call.maxFee)).await?;
            match self.account.sender().call(self.escrow.address(), call.clone()).await {
                Ok(receipt) => break receipt,
                Err(error) => match error.refused_quote() {
                    Some(quote) if request.max_fee.is_none() && requotes < REQUOTES => {
                        tracing::info!(%quote, refused = %call.maxFee, "the price moved: re-quoted");
                        call.maxFee = to_u96(quote)?;
                        requotes += 1;
                    }
                    _ => return Err(error.into()),
                },
            }
        };
        let max_fee = U256::from(call.maxFee);
        let created = receipt.decoded_log::<TaskEscrow::TaskCreated>().ok_or_else(|| {
            ChainError::MissingEvent {
                event: "TaskCreated",
                context: format!("transaction {}", receipt.transaction_hash),
            }
        })?;
        tracing::info!(task = %created.taskId, input = %input_hash, %max_fee, "task created");
        Ok((created.taskId, input_hash))
    }

    /// Creates many tasks of one model in batch transactions, with inputs stored `concurrency` at a
    /// time; returns each task's id and creation block, by id. The escrow's allowance
    /// must already cover their fees.
    pub(crate) async fn create_many(
        &self,
        requests: &[TaskRequest],
        concurrency: usize,
    ) -> Result<Vec<(U256, u64)>, TaskError> {
        let Some(first) = requests.first() else { return Ok(Vec::new()) };
        self.check_model(first.model).await?;
        let now = self.escrow.rpc().latest_timestamp().await?;
        let calls: Vec<TaskEscrow::createTaskCall> = futures_util::stream::iter(requests)
            .map(|request| async move { Ok::<_, TaskError>(self.creation(request, now).await?.0) })
            .buffered(concurrency.max(1))
            .try_collect()
            .await?;
        self.create_batch(creations(calls)).await
    }

    /// Creates tasks by their `createTasks` calls, each in its own batch transaction, a few side
    /// by side; their ids and creation blocks, by id.
    async fn create_batch(&self, calls: Vec<EscrowCall>) -> Result<Vec<(U256, u64)>, TaskError> {
        let count = calls.len();
        let sender = self.account.sender();
        let sent: Vec<_> = futures_util::stream::iter(calls)
            .map(|call| self.escrow.send_batches(sender, vec![call]))
            .buffer_unordered(CREATIONS_AT_ONCE)
            .try_collect()
            .await?;
        let mut created = Vec::with_capacity(count);
        for sent in sent.into_iter().flatten() {
            if let Some((_, revert)) = sent.refused.first() {
                return Err(
                    ChainError::Reverted { op: "createTasks", revert: revert.clone() }.into()
                );
            }
            let receipt = sent.receipt.ok_or_else(|| ChainError::MissingEvent {
                event: "TaskCreated",
                context: format!("{count} createTasks calls"),
            })?;
            let block = receipt.block_number.unwrap_or_default();
            let made: Vec<(U256, u64)> = receipt
                .inner
                .logs()
                .iter()
                .filter_map(|log| log.log_decode::<TaskEscrow::TaskCreated>().ok())
                .map(|log| (log.inner.data.taskId, block))
                .collect();
            // `batch` skips a call that reverts once mined (a cap the live price rose past while
            // the transaction waited): such tasks were never made and must not be followed.
            let expected: usize = sent.sent.iter().map(EscrowCall::tasks).sum();
            if made.len() < expected {
                return Err(ChainError::MissingEvent {
                    event: "TaskCreated",
                    context: format!(
                        "{expected} creations passed the dry run but {} were made in block {block}; the rest were refused once mined (did the live price rise past the cap?)",
                        made.len()
                    ),
                }
                .into());
            }
            created.extend(made);
        }
        created.sort();
        Ok(created)
    }

    /// The `createTask` call for `request` at time `now`, its input stored and its max fee quoted
    /// unless given; with the input's commitment.
    pub(crate) async fn creation(
        &self,
        request: &TaskRequest,
        now: u64,
    ) -> Result<(TaskEscrow::createTaskCall, B256), TaskError> {
        let input_hash = self.blobs.put(request.input.abi_encode()).await?;
        let floor = request.floor;
        let max_fee = match request.max_fee {
            Some(fee) => fee,
            None => self.quote(request).await?,
        };
        let call = TaskEscrow::createTaskCall {
            modelId: request.model,
            inputHash: input_hash,
            value: to_u96(request.value)?,
            floor,
            deadline: U40::from(now + request.deadline_secs),
            maxFee: to_u96(max_fee)?,
        };
        Ok((call, input_hash))
    }

    /// The escrow's fee for `request` with the least trusted worker (the most it may charge).
    pub(crate) async fn quote(&self, request: &TaskRequest) -> Result<U256, TaskError> {
        let value = to_u96(request.value)?;
        Ok(self.escrow.quote(request.model, value, request.floor, Address::ZERO).await?)
    }

    /// Follows task `id` to settlement — assigning it, taking every step that falls due, claiming
    /// refunds — and returns how it ended.
    pub async fn follow(&self, id: U256, input_hash: B256) -> Result<TaskOutcome, TaskError> {
        let rpc = self.escrow.rpc();
        let reveal_window = self.escrow.reveal_window().await?;
        let mut refused = None;
        let task = loop {
            let task = self.escrow.task(id).await?;
            let head = rpc.head().await?;
            if task.status == TaskStatus::Settled {
                break task;
            }
            match due(&task, head, reveal_window) {
                // Assignment may be refused until the registry's next epoch counts new stake, or
                // for good (too few workers, a fee too low): it is retried, and the deadline
                // refunds a task nobody can take.
                Some(Step::Assign) => self.assign(id, &mut refused).await?,
                Some(step) => {
                    take(self.account.sender(), self.escrow.address(), id, step).await?;
                    continue;
                }
                None => {}
            }
            tokio::time::sleep(self.poll).await;
        };
        let accepted = self.escrow.result_of(id).await?;
        let input_rejected = accepted == Some(INPUT_REJECTED);
        let output_hash = accepted.filter(|_| !input_rejected);
        let output = match output_hash {
            Some(hash) => Some(self.output(hash).await?),
            None => None,
        };
        // The load premium went to the treasury at creation; the unused max fee came back at
        // assignment; without a result, the fee too at settlement, but for the review reserve, which
        // paid for verification whatever the outcome.
        let charged = if output_hash.is_some() { task.fee } else { task.reserve };
        let created = self.escrow.created(&task).await?;
        let premium = U256::from(created.premium);
        let refunded = U256::from(created.maxFee) - premium - charged;
        self.claim().await?;
        Ok(TaskOutcome {
            task: id,
            input_hash,
            tier: task.tier,
            redundancy: task.redundancy,
            fee: task.fee,
            premium,
            output_hash,
            input_rejected,
            output,
            refunded,
        })
    }

    /// Assigns the task (or re-anchors its draw, if its anchor went stale). A refusal (too few
    /// workers, fee too low) is logged once per distinct reason in `refused`: the deadline refunds a
    /// task that stays refused.
    async fn assign(&self, id: U256, refused: &mut Option<Revert>) -> Result<(), TaskError> {
        let call = TaskEscrow::assignCall { taskId: id };
        match self.account.sender().call(self.escrow.address(), call).await {
            Ok(receipt) => {
                if let Some(assigned) = receipt.decoded_log::<TaskEscrow::TaskAssigned>() {
                    tracing::info!(task = %id, workers = ?assigned.workers, tier = ?assigned.tier, fee = %assigned.fee, "task assigned");
                } else if let Some(anchored) = receipt.decoded_log::<TaskEscrow::Anchored>() {
                    tracing::info!(task = %id, anchor = anchored.anchor, "draw re-anchored");
                }
                Ok(())
            }
            Err(error) if error.is_lost_race() => Ok(()),
            Err(ChainError::Reverted { revert, .. }) => {
                if refused.as_ref() != Some(&revert) {
                    tracing::warn!(task = %id, %revert, "the task cannot be assigned yet; retrying until its deadline");
                    *refused = Some(revert);
                }
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Fetches an output from the store (checked against its hash there) and decodes it.
    async fn output(&self, hash: B256) -> Result<ModelOutput, TaskError> {
        let bytes = self.blobs.get(hash).await?;
        ModelOutput::abi_decode(&bytes)
            .map_err(|e| TaskError::MalformedOutput { hash, reason: e.to_string() })
    }

    /// Claims what the escrow owes the requester.
    async fn claim(&self) -> Result<(), TaskError> {
        let me = self.account.address();
        if self.escrow.claimable(me).await?.is_zero() {
            return Ok(());
        }
        match self.account.sender().call(self.escrow.address(), TaskEscrow::claimCall {}).await {
            Ok(_) => Ok(()),
            // Another task sending from this key (a worker's roles) claimed it first.
            Err(_) if self.escrow.claimable(me).await?.is_zero() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Fails with [`TaskError::UnknownModel`] unless a release with this id is published.
    async fn check_model(&self, model: B256) -> Result<(), TaskError> {
        match self.account.chain().models().release(model).await? {
            Some(_) => Ok(()),
            None => Err(TaskError::UnknownModel(model.to_string())),
        }
    }
}

/// Tasks created by one `createTasks` call: enough to amortise a transaction's fixed costs (the
/// origin slot, the token pull), few enough (about 35 000 gas each) that the call stays inside a
/// sixth of a block.
const TASKS_PER_CREATE: usize = 100;
/// `createTasks` transactions in flight at once.
const CREATIONS_AT_ONCE: usize = 4;

/// `calls` as `createTasks` calls: each run of consecutive creations with the same model, value,
/// floor, deadline and cap (up to [`TASKS_PER_CREATE`]) becomes one call, in order.
fn creations(calls: Vec<TaskEscrow::createTaskCall>) -> Vec<EscrowCall> {
    let mut groups: Vec<TaskEscrow::createTasksCall> = Vec::new();
    for call in calls {
        let joins = |g: &&mut TaskEscrow::createTasksCall| {
            g.inputHashes.len() < TASKS_PER_CREATE
                && (g.modelId, g.value, g.floor, g.deadline, g.maxFee)
                    == (call.modelId, call.value, call.floor, call.deadline, call.maxFee)
        };
        if let Some(group) = groups.last_mut().filter(joins) {
            group.inputHashes.push(call.inputHash);
            continue;
        }
        groups.push(TaskEscrow::createTasksCall {
            modelId: call.modelId,
            inputHashes: vec![call.inputHash],
            value: call.value,
            floor: call.floor,
            deadline: call.deadline,
            maxFee: call.maxFee,
        });
    }
    groups.into_iter().map(|group| EscrowCall::new(U256::ZERO, group)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(input: u8, max_fee: u64) -> TaskEscrow::createTaskCall {
        TaskEscrow::createTaskCall {
            modelId: B256::repeat_byte(1),
            inputHash: B256::repeat_byte(input),
            value: to_u96(U256::from(1)).expect("small"),
            floor: Tier::LIGHT,
            deadline: U40::from(100),
            maxFee: to_u96(U256::from(max_fee)).expect("small"),
        }
    }

    #[test]
    fn creations_group_runs_of_the_same_terms_in_order() {
        let calls = vec![create(1, 5), create(2, 5), create(3, 6), create(4, 5)];
        let groups: Vec<_> = creations(calls)
            .into_iter()
            .map(|c| match c.call {
                TaskEscrow::TaskEscrowCalls::createTasks(g) => g.inputHashes,
                other => panic!("not createTasks: {other:?}"),
            })
            .collect();
        let hashes = |bytes: &[u8]| bytes.iter().map(|&b| B256::repeat_byte(b)).collect::<Vec<_>>();
        assert_eq!(groups, vec![hashes(&[1, 2]), hashes(&[3]), hashes(&[4])]);
    }

    #[test]
    fn creations_split_past_the_per_call_limit() {
        let calls = (0..TASKS_PER_CREATE + 1).map(|_| create(1, 5)).collect();
        assert_eq!(creations(calls).len(), 2);
    }
}
