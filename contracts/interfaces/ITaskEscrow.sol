// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelId} from "../types/ModelTypes.sol";
import {Decision, TaskId, TaskStatus, Tier} from "../types/TaskTypes.sol";

/// @title ITaskEscrow
/// @notice The task market: escrowed fees, stake-weighted assignment, commit–reveal, verification by
///         the gradient, challenges, committee review, finality, slashing and pull-payment settlement.
/// @dev Lifecycle: createTask → assign → (submitResult | commit → reveal) → [challenge | audit | DEEP
///      review: drawCommittee → commitVote → revealVote → resolve, [appeal: drawCommittee → commitVote →
///      revealVote → resolve]] → finalize → settle → claim. A review with a losing party waits an appeal
///      window before it settles (see `appeal`).
///      Randomness nobody can choose: every draw (the seats, the audit roll, a committee) reads the hash of
///      an anchor block fixed in the future by an earlier transaction, so no caller can compute it in the
///      transaction that triggers it. Draws of workers also happen inside the anchor's epoch of the worker
///      registry, whose weights are frozen for the epoch; a stale anchor is re-anchored (a stale audit roll
///      audits). See docs/soundness.md. Every step after createTask that does not
///      need a specific actor may be called by anyone once its time has come. `batch` takes many steps
///      in one transaction. A worker that cannot run a task's input answers `INPUT_REJECTED` as its
///      output; verified like any output, an accepted rejection refunds the requester and slashes no one.
///      Solvency invariant: token balance == liabilities() == locked fees + bonds + unclaimed payouts.
interface ITaskEscrow {
    /// @notice Protocol parameters.
    struct Params {
        /// @notice Length of the optimistic challenge window, seconds; also the appeal window of a review.
        uint40 challengeWindow;
        /// @notice Time to reveal once the commit phase closes, seconds.
        uint40 revealWindow;
        /// @notice Time a committee has to vote, seconds.
        uint40 voteWindow;
        /// @notice Jail time after a fault, seconds.
        uint40 jailDuration;
        /// @notice Protocol fee share, basis points.
        uint16 protocolFeeBps;
        /// @notice Committee size (≤ 7).
        uint8 committeeSize;
        /// @notice The most a wrong answer can gain its authors, as a share of the requester's declared value
        ///         at risk, basis points (≥ 10_000: the whole value, or more for a safety margin). Each compute
        ///         seat locks, and loses on a fault, minSlash + value × gainBps ÷ 10_000 ÷ (coalition × audit
        ///         probability) (see `VerificationPolicy.collateral`).
        uint16 gainBps;
        /// @notice Share of a slash paid to the challenger who proved the fault, basis points (≤ 5_000: a
        ///         self-challenge through a sybil never recovers the slashed stake).
        uint16 bountyBps;
        /// @notice Minimum slash per fault, token wei; also what each committee member locks.
        uint96 minSlash;
        /// @notice Minimum challenge (and appeal) bond; the bond is max(minChallengeBond, fee).
        uint96 minChallengeBond;
        /// @notice Receives protocol fees and undirected slashes.
        address treasury;
        /// @notice The least a committee member whose vote matches the outcome is paid, token wei: the review pay
        ///         is max(the release's base price, this), and every fee's review reserve is priced with it, so
        ///         no review is free to request (not even on a price-0 model) and no member works for nothing.
        uint96 minReviewPay;
    }

    /// @notice A task as stored.
    struct TaskView {
        address requester;
        /// @notice Escrowed amount: the max fee less the load premium paid at creation until assignment, then the fee
        ///         charged at assignment (at the base price).
        uint96 fee;
        ModelId modelId;
        /// @notice Requester-declared value at risk.
        uint96 value;
        /// @notice Deadline of the current phase (result, reveal, challenge, vote or appeal).
        uint40 until;
        /// @notice The block the task was created in.
        uint32 createdBlock;
        /// @notice The block whose hash the next draw reads (the seats, the audit roll or the committee);
        ///         0 when no draw is pending.
        uint32 anchor;
        TaskStatus status;
        Tier floor;
        Tier tier;
        uint8 redundancy;
        uint8 commits;
        uint8 reveals;
        uint16 auditBps;
        /// @notice Index of the seat whose output is the result (valid when finalized with a result).
        uint8 winner;
        /// @notice The first committee's size; its members are `committeeSeat(taskId, i)`.
        uint8 committeeSize;
        /// @notice The model's determinism class, copied at assignment (0 EXACT, 1 TOLERANCE).
        uint8 determinism;
        address challenger;
        uint96 bond;
        /// @notice Stake locked by each compute seat (slashed on a fault), fixed at assignment.
        uint96 seatLock;
        /// @notice The part of the fee that paid into the review fund at assignment (the expected cost of
        ///         reviewing the task); it is never refunded.
        uint96 reserve;
        /// @notice Members of the current committee (the appeal's, once drawn) that committed their vote.
        uint8 voteCommits;
        /// @notice Where the task's appeal stands.
        AppealStage appeal;
        /// @notice The appeal committee's size; its members are `committeeSeat(taskId, 8 + i)`. Who appealed,
        ///         and for what bond, is `appealOf`.
        uint8 appealSize;
    }

    /// @notice Where a review's appeal stands: none (first committee voting, or no review); open (the first
    ///         committee decided against a party, and `appeal` may be called until `until`); appealed (a larger
    ///         committee reviews again).
    enum AppealStage {
        None,
        Open,
        Appealed
    }

    /// @notice Where a committee member's vote stands.
    enum VoteState {
        None,
        Committed,
        Revealed
    }

    /// @notice State of a compute seat.
    enum SeatState {
        Empty,
        Assigned,
        Committed,
        Revealed,
        Accepted,
        Faulty
    }

    /// @notice Emitted when a task is created. Its value, floor and deadline are in `getTask`.
    /// @param taskId The new task.
    /// @param requester Who pays.
    /// @param modelId The model release.
    /// @param inputHash Commitment to the input, fetched off chain.
    /// @param maxFee What the requester paid in: the load premium, and the rest escrowed.
    /// @param premium The load premium, k × (live price − base price), credited to the treasury at once.
    event TaskCreated(
        TaskId indexed taskId,
        address indexed requester,
        ModelId indexed modelId,
        bytes32 inputHash,
        uint96 maxFee,
        uint96 premium
    );
    /// @notice Emitted when workers are drawn and the fee fixed.
    /// @param taskId The task.
    /// @param workers The compute seats, in seat order.
    /// @param tier The protocol path.
    /// @param auditBps Audit probability.
    /// @param fee The fee charged, at the base price (the load premium was paid at creation); the rest of what was
    ///        escrowed is credited back.
    event TaskAssigned(TaskId indexed taskId, address[] workers, Tier tier, uint16 auditBps, uint96 fee);
    /// @notice Emitted when a worker commits to an output.
    /// @param taskId The task.
    /// @param worker The seat's worker.
    /// @param commitment `keccak256(abi.encode(outputHash, salt, worker))`.
    event ResultCommitted(TaskId indexed taskId, address indexed worker, bytes32 commitment);
    /// @notice Emitted when a worker of a REDUNDANT or DEEP task reveals its output hash. A LIGHT submission emits
    ///         only `ResultProposed`, which carries the only seat's output.
    /// @param taskId The task.
    /// @param worker The seat's worker.
    /// @param outputHash keccak-256 of the canonical output encoding.
    event ResultRevealed(TaskId indexed taskId, address indexed worker, bytes32 outputHash);
    /// @notice Emitted when a result is proposed and the challenge window opens.
    /// @param taskId The task.
    /// @param outputHash The proposed output.
    /// @param challengeEnd End of the challenge window.
    event ResultProposed(TaskId indexed taskId, bytes32 outputHash, uint40 challengeEnd);
    /// @notice Emitted when a draw's anchor went stale and was fixed anew (the first anchor of a draw is in
    ///         `getTask`; a review's is also in `ReviewRequested`).
    /// @param taskId The task.
    /// @param anchor The block whose hash the draw will read, from the block after it on.
    event Anchored(TaskId indexed taskId, uint32 anchor);
    /// @notice Emitted when a review is due; its committee is drawn from `anchor`'s hash by `drawCommittee`.
    /// @param taskId The task.
    /// @param reason Audit, challenge, DEEP or no quorum.
    /// @param anchor The anchor block.
    event ReviewRequested(TaskId indexed taskId, ReviewReason reason, uint32 anchor);
    /// @notice Emitted when a committee review opens.
    /// @param taskId The task.
    /// @param reason Audit, challenge, DEEP or no quorum.
    /// @param committee The verifiers drawn.
    /// @param voteEnd End of the vote window.
    event ReviewOpened(TaskId indexed taskId, ReviewReason reason, address[] committee, uint40 voteEnd);
    /// @notice Emitted when a challenge is raised.
    /// @param taskId The task.
    /// @param challenger Who challenged.
    /// @param bond The bond posted.
    event Challenged(TaskId indexed taskId, address indexed challenger, uint96 bond);
    /// @notice Emitted when a committee member commits to its vote.
    /// @param taskId The task.
    /// @param verifier The member.
    /// @param commitment `keccak256(abi.encode(acceptMask, salt, verifier))`.
    event VoteCommitted(TaskId indexed taskId, address indexed verifier, bytes32 commitment);
    /// @notice Emitted when a committee member reveals its vote.
    /// @param taskId The task.
    /// @param verifier The member.
    /// @param acceptMask Bit i set: seat i's output is correct.
    event VoteRevealed(TaskId indexed taskId, address indexed verifier, uint8 acceptMask);
    /// @notice Emitted when a committee decides (the first, then an appeal's); a decision against a party
    ///         opens an appeal window (`AppealOpened`) before the task finalizes.
    /// @param taskId The task.
    /// @param acceptedMask Seats accepted by a majority of the votes cast.
    /// @param votes Votes cast.
    event ReviewResolved(TaskId indexed taskId, uint8 acceptedMask, uint8 votes);
    /// @notice Emitted when the first committee's decision has a losing party: it settles after `appealEnd`
    ///         unless someone appeals.
    /// @param taskId The task.
    /// @param appealEnd End of the appeal window.
    event AppealOpened(TaskId indexed taskId, uint40 appealEnd);
    /// @notice Emitted when a review is appealed; the appeal committee is drawn like any committee.
    /// @param taskId The task.
    /// @param appellant Who appealed.
    /// @param bond The bond posted.
    event Appealed(TaskId indexed taskId, address indexed appellant, uint96 bond);
    /// @notice Emitted when a task is finalized; `outputHash` is zero if no result was accepted.
    /// @param taskId The task.
    /// @param outputHash The accepted output, or zero.
    event TaskFinalized(TaskId indexed taskId, bytes32 outputHash);
    /// @notice Emitted when a seat is slashed.
    /// @param taskId The task.
    /// @param worker The worker slashed.
    /// @param amount Stake taken.
    /// @param fault Why.
    event WorkerSlashed(TaskId indexed taskId, address indexed worker, uint96 amount, Fault fault);
    /// @notice Emitted when a task's payments are credited; a rejected input refunds the whole fee.
    /// @param taskId The task.
    /// @param paidToWorkers The workers' pot (split among accepted seats).
    /// @param royalty Credited to the model owner.
    /// @param protocolFee Credited to the treasury.
    /// @param refund Credited back to the requester.
    event TaskSettled(TaskId indexed taskId, uint96 paidToWorkers, uint96 royalty, uint96 protocolFee, uint96 refund);
    /// @notice Emitted when an account's balance is credited.
    /// @param account Who may claim it.
    /// @param amount The amount.
    event Credited(address indexed account, uint256 amount);
    /// @notice Emitted when an account claims.
    /// @param account The claimant.
    /// @param amount The amount transferred.
    event Claimed(address indexed account, uint256 amount);
    /// @notice Emitted when parameters change.
    /// @param params The new parameters.
    event ParamsChanged(Params params);

    /// @notice Why a review was opened.
    enum ReviewReason {
        Audit,
        Challenge,
        Deep,
        NoQuorum,
        Appeal
    }

    /// @notice Why a worker was slashed.
    enum Fault {
        MissedResult,
        WrongResult,
        MissedVote,
        WrongVote
    }

    /// @notice Thrown if a task id does not exist.
    error UnknownTask(TaskId taskId);
    /// @notice Thrown if a task is not in the status the call needs.
    error WrongStatus(TaskId taskId, TaskStatus status);
    /// @notice Thrown by `createTask` if the deadline is in the past or too far ahead.
    error InvalidDeadline(uint40 deadline);
    /// @notice Thrown by `createTask` if the model release is deprecated.
    error ModelDeprecated(ModelId modelId);
    /// @notice Thrown by `createTask` if `maxFee` is zero or above 2^88 − 1 (a task keeps its escrowed fee in 88 bits).
    error InvalidFee(uint256 maxFee);
    /// @notice Thrown by `assign`, `audit` and `drawCommittee` until the block after the anchor.
    error AnchorPending(TaskId taskId, uint256 anchor);
    /// @notice Thrown by `audit` if the task's audit lottery was already drawn (or it has none).
    error NoAuditPending(TaskId taskId);
    /// @notice Thrown by `drawCommittee` if the task's committee is already drawn.
    error CommitteeAlreadyDrawn(TaskId taskId);
    /// @notice Thrown by `appeal` if the task's review has no open appeal window.
    error NotAppealable(TaskId taskId);
    /// @notice Thrown by `appeal` if the task was appealed already.
    error AlreadyAppealed(TaskId taskId);
    /// @notice Thrown by `challenge` if the caller holds a seat of the task or requested it, and by `appeal`
    ///         if the caller requested it or sat on its first committee.
    error SelfReview(TaskId taskId, address account);
    /// @notice Thrown by `assign` if the price for the decided redundancy exceeds what the requester escrowed (its max
    ///         fee less the load premium paid at creation): the verification the task needs now costs more than the
    ///         quote it was admitted at (a higher base price, or more redundancy under verification pressure).
    error PriceAboveMax(TaskId taskId, uint256 price, uint96 maxFee);
    /// @notice Thrown by `createTask` if `maxFee` is below the current quote, the fee at the live price with the
    ///         least trusted primary (`quote(modelId, value, floor, address(0))`): nothing is escrowed. Retry with a
    ///         cap of at least `quote`; the price moves with every task admitted.
    error FeeBelowQuote(uint256 quote, uint96 maxFee);
    /// @notice Thrown by `assign` if too few eligible workers serve the model.
    error InsufficientWorkers(TaskId taskId, uint256 needed, uint256 available);
    /// @notice Thrown if the caller does not hold a seat the call needs.
    error NotAssigned(TaskId taskId, address caller);
    /// @notice Thrown by `submitResult` on a non-LIGHT task, or `commit`/`reveal` on a LIGHT task.
    error WrongTier(TaskId taskId, Tier tier);
    /// @notice Thrown if a phase deadline has passed.
    error PhaseClosed(TaskId taskId, uint40 until);
    /// @notice Thrown if a phase has not ended yet.
    error PhaseOpen(TaskId taskId, uint40 until);
    /// @notice Thrown if a seat already acted in this phase.
    error AlreadyActed(TaskId taskId, address worker);
    /// @notice Thrown by `reveal` before every seat committed and before the commit deadline.
    error RevealNotOpen(TaskId taskId);
    /// @notice Thrown by `reveal` if the output and salt do not match the commitment.
    error CommitmentMismatch(TaskId taskId, address worker);
    /// @notice Thrown by `vote` if the mask names seats that do not exist.
    error InvalidMask(uint8 mask);
    /// @notice Thrown by `challenge` if no verifier is available to review.
    error NoVerifiersAvailable(TaskId taskId);
    /// @notice Thrown by `quote` and `createTask` if no verifier serves the model (draw weight 0 this epoch): nobody could audit
    ///         or review its results, so no collateral would deter a wrong answer.
    error NoVerifiers(ModelId modelId);
    /// @notice Thrown by `claim` when nothing is owed.
    error NothingToClaim(address account);
    /// @notice Thrown by `setParams` on out-of-range values.
    error InvalidParams();
    /// @notice Thrown if an output hash is zero.
    error ZeroOutput();
    /// @notice Thrown by `createTasks` if it is given no input.
    error EmptyBatch();
    /// @notice Thrown by `submitResults` if it is given a different number of tasks and outputs.
    /// @param tasks The number of tasks.
    /// @param outputs The number of output hashes.
    error LengthMismatch(uint256 tasks, uint256 outputs);

    /// @notice Creates a task at the live price and escrows `maxFee`, or refuses it at once with the current quote
    ///         (`FeeBelowQuote`) if `maxFee` is below it: nothing is escrowed then.
    /// @dev The quote is `quote(modelId, value, floor, address(0))`: k executions at the release's live price
    ///      (`IModelRegistry.price`, before this task's load) for the least trusted primary's decision, plus the
    ///      review reserve. The task's k executions are recorded as the release's load (`recordLoad`), so the next
    ///      task, in this block too, pays the price this one raised. The load premium, k × (live − base price), is
    ///      credited to the treasury at once and never refunded (EIP-1559's burn: neither the workers nor the model
    ///      owner, who could raise the price by buying, earn it; a task that never runs still took its place). The
    ///      rest of the price is charged at assignment, at the base price for the decision taken then.
    ///      Reverts `NoVerifiers` if no verifier serves the model: its audits could never be drawn.
    /// @param modelId The model release (content hash).
    /// @param inputHash Commitment to the input (keccak-256 of its canonical encoding), fetched off chain.
    /// @param value Value at risk on the answer; drives the verification gradient.
    /// @param floor The lowest tier accepted.
    /// @param deadline Time by which the result must be in (LIGHT) or committed (REDUNDANT/DEEP).
    /// @param maxFee The most the requester pays (≥ the quote, < 2^88); the unused part is refunded at assignment.
    /// @return taskId The new task's id.
    function createTask(ModelId modelId, bytes32 inputHash, uint96 value, Tier floor, uint40 deadline, uint96 maxFee)
        external
        returns (TaskId taskId);

    /// @notice Creates one task per input hash, all on the same model and terms, as `createTask` would one by one,
    ///         and escrows `maxFee` for each in one transfer.
    /// @dev Every task is priced at the live price its turn sees and records its own load, so a later task of the
    ///      batch pays what an earlier one raised. All or nothing: if any task would be refused (`FeeBelowQuote`:
    ///      the cap must cover the last task's price) or the caller cannot pay the sum, nothing is created. The
    ///      load premiums are credited to the treasury once, summed. Ids are consecutive from `first`.
    /// @param modelId The model release (content hash).
    /// @param inputHashes One input commitment per task.
    /// @param value Value at risk on each answer.
    /// @param floor The lowest tier accepted.
    /// @param deadline Time by which each result must be in (LIGHT) or committed (REDUNDANT/DEEP).
    /// @param maxFee The most the requester pays per task (< 2^88).
    /// @return first The first new task's id; the others follow it.
    function createTasks(
        ModelId modelId,
        bytes32[] calldata inputHashes,
        uint96 value,
        Tier floor,
        uint40 deadline,
        uint96 maxFee
    ) external returns (TaskId first);

    /// @notice Draws workers stake-weighted from the model's eligible workers, locks each seat's
    ///         collateral, and fixes tier and fee.
    /// @dev Callable by anyone after the task's anchor block (two blocks after creation, or the start of
    ///      the next registry epoch). The seed is the anchor's hash, unknown when the task was created. If the
    ///      anchor's epoch is over, re-anchors instead (emits `Anchored`) and assigns nothing.
    /// @param taskId The task.
    function assign(TaskId taskId) external;

    /// @notice Assigns many tasks in one call: each task that `assign` would assign now is assigned exactly as
    ///         `assign` would (its own anchor's draw, collateral, decision and fee, every check); each that `assign`
    ///         would refuse or leave unassigned is skipped and reported: one already assigned (keepers race for the
    ///         same tasks), unknown, past its deadline, before its anchor, re-anchored (stale: as `assign`, it emits
    ///         `Anchored`), with too few eligible workers, or priced above its cap (any collateral its draw locked is
    ///         released).
    /// @dev Reads once what the tasks share (the registry's epoch, the verification pressure, each model's terms,
    ///      the least trusted decision of tasks alike in model, value and floor, each primary's reputation), none of
    ///      which an assignment changes. Credits are summed per account and written once at the end, as in `batch`.
    /// @param taskIds The tasks, in the order they are assigned (a task named twice is assigned at most once).
    /// @return assigned Whether each task was assigned by this call.
    function assignTasks(TaskId[] calldata taskIds) external returns (bool[] memory assigned);

    /// @notice Draws a proposed result's audit lottery from its anchor's hash; an audit requests a review
    ///         (`ReviewRequested` with reason Audit).
    /// @dev Callable by anyone after the anchor; `finalize` draws it too if nobody did. If the anchor is
    ///      more than 256 blocks old its hash is gone and the result is audited: a worker cannot escape an
    ///      audit by waiting.
    /// @param taskId The task.
    function audit(TaskId taskId) external;

    /// @notice Draws a requested review's committee, or an appeal's, from its anchor's hash, locks each member's
    ///         `minSlash`, and opens the vote. With no eligible verifier the review is void (an appeal then
    ///         leaves the first decision standing and returns the bond).
    /// @dev Callable by anyone after the anchor; re-anchors instead if the anchor's epoch is over.
    /// @param taskId The task.
    function drawCommittee(TaskId taskId) external;

    /// @notice LIGHT: the assigned worker submits its output hash; the challenge window opens, or an audit.
    /// @param taskId The task.
    /// @param outputHash keccak-256 of the canonical output encoding.
    function submitResult(TaskId taskId, bytes32 outputHash) external;

    /// @notice LIGHT: the caller submits many outputs in one call; each is taken exactly as `submitResult` would take
    ///         it, and each that `submitResult` would refuse is skipped and reported, untouched: a task not assigned
    ///         to the caller, not LIGHT, not awaiting its result (answered already, or named twice), past its deadline,
    ///         or a zero output hash.
    /// @dev Reverts only on malformed arguments (`LengthMismatch`).
    /// @param taskIds The tasks.
    /// @param outputHashes Each task's output hash (keccak-256 of the canonical output encoding), in the same order.
    /// @return submitted Whether each output was taken.
    function submitResults(TaskId[] calldata taskIds, bytes32[] calldata outputHashes)
        external
        returns (bool[] memory submitted);

    /// @notice REDUNDANT/DEEP: an assigned worker commits `keccak256(abi.encode(outputHash, salt, worker))`.
    /// @param taskId The task.
    /// @param commitment The commitment.
    function commit(TaskId taskId, bytes32 commitment) external;

    /// @notice REDUNDANT/DEEP: reveals a committed output; opens once all seats committed or the deadline passed.
    /// @dev The last reveal tallies at once.
    /// @param taskId The task.
    /// @param outputHash The output hash committed to.
    /// @param salt The salt committed to.
    function reveal(TaskId taskId, bytes32 outputHash, bytes32 salt) external;

    /// @notice Tallies a REDUNDANT/DEEP task whose reveal window ended without every reveal.
    /// @param taskId The task.
    function closeReveal(TaskId taskId) external;

    /// @notice Challenges a proposed result inside the window, posting a bond of `challengeBond(taskId)`.
    /// @dev The task's requester and seats may not challenge it (`SelfReview`). An upheld challenger gets
    ///      its bond back and `bountyBps` of the slash; the rest of the slash goes to the treasury.
    /// @param taskId The task.
    function challenge(TaskId taskId) external;

    /// @notice Appeals a review's first decision inside its appeal window, posting a bond of
    ///         `challengeBond(taskId)`: a committee of 2 × committeeSize + 1 verifiers (at most 7) is drawn
    ///         from a new anchor, none of them a party to the task or a member of the first committee, and
    ///         its majority is the final outcome (the first decision stands if it reveals no vote).
    /// @dev Anyone but the requester and the first committee's members may appeal, once per task: a seat
    ///      judged faulty, a failed challenger, or a stranger. The bond comes back if the appeal overturns the
    ///      first decision (or is void); else the appeal members who voted the outcome share it. Both
    ///      committees are judged against the final outcome.
    /// @param taskId The task, with an open appeal window (`AppealOpened`).
    function appeal(TaskId taskId) external;

    /// @notice A member of the current committee (the appeal's, once appealed) commits to its vote,
    ///         `keccak256(abi.encode(acceptMask, salt, member))`, within the vote window: nobody can copy a vote it
    ///         cannot see. No vote is taken in an appeal window.
    /// @dev The vote's reveals open once every member committed (then for `revealWindow`) or when the vote
    ///      window ends (then until `revealWindow` after it).
    /// @param taskId The task.
    /// @param commitment The commitment.
    function commitVote(TaskId taskId, bytes32 commitment) external;

    /// @notice A committee member reveals which seats' results are correct (bit i = seat i accepted). The last
    ///         reveal decides the committee's vote (as `resolve`).
    /// @param taskId The task.
    /// @param acceptMask Bitmask over compute seats.
    /// @param salt The salt committed to.
    function revealVote(TaskId taskId, uint8 acceptMask, bytes32 salt) external;

    /// @notice Closes a committee's vote once its reveals ended, or a review whose appeal window passed
    ///         unappealed. A seat is accepted when a strict majority of the revealed votes accept it. A first
    ///         decision that judges a revealed seat faulty or fails a challenge opens an appeal window
    ///         (`AppealOpened`) instead of finalizing; otherwise, and after an appeal, the task finalizes by the
    ///         final outcome. Members of both committees whose revealed vote matches it are paid out of the
    ///         review fund, whatever the outcome, and share a failed challenger's bond and the bounty of a fault
    ///         their review proved; members that did not reveal, or revealed another vote, are slashed their
    ///         collateral.
    /// @param taskId The task.
    function resolve(TaskId taskId) external;

    /// @notice Finalizes a task: after the challenge window of a proposed result, or after a missed
    ///         deadline (no-shows are slashed, the requester is refunded at settle).
    /// @param taskId The task.
    function finalize(TaskId taskId) external;

    /// @notice Credits a finalized task's payments: workers, royalty, protocol fee, refunds, bonds.
    /// @param taskId The task.
    function settle(TaskId taskId) external;

    /// @notice Finalizes and settles many tasks in one call: each task that `finalize` would finalize now is
    ///         finalized exactly as `finalize` would, then settled as `settle` would; a task finalized already is
    ///         settled; every other task is skipped and reported, untouched: one settled already (keepers race for the
    ///         same tasks), unknown, in review, inside its challenge window, or whose audit anchor is not mined yet. A
    ///         result whose audit lottery draws an audit goes to review, as with `finalize`, and is not settled.
    /// @dev Credits are summed per account and written once at the end, as in `batch`.
    /// @param taskIds The tasks (a task named twice is settled at most once).
    /// @return settled Whether each task was settled by this call.
    function finalizeAndSettle(TaskId[] calldata taskIds) external returns (bool[] memory settled);

    /// @notice Runs each call on this contract in order, as the caller, without letting one call's revert
    ///         undo the others: a keeper settles a block's worth of tasks, a worker answers all its seats,
    ///         a requester creates many tasks, in one transaction. Also a single `eth_call` that reads
    ///         many views.
    /// @dev Each call is a delegatecall to this contract, so `msg.sender` is the caller's. Nothing here
    ///      is payable, so no call can reuse another's value. Money is aggregated, never the checks: each call
    ///      runs every check it runs alone, but the credits of all calls are summed per account and written once
    ///      at the end (one `Credited` per account, so a `claim` inside the batch does not see them yet), and the
    ///      fees its `createTask` calls escrow are pulled from the caller in one transfer at the end — if the
    ///      caller cannot pay that sum, the whole batch reverts.
    /// @param calls ABI-encoded calls of this contract's functions.
    /// @return ok Whether each call succeeded.
    /// @return results Each call's return data, or its revert data.
    /// @return gasUsed The gas the batch ran on, from its first instruction to its last (the transaction's
    ///         intrinsic cost and calldata left out): a dry run in an `eth_call` sizes the transaction's gas
    ///         limit from it, without a separate `eth_estimateGas`.
    function batch(bytes[] calldata calls) external returns (bool[] memory ok, bytes[] memory results, uint256 gasUsed);

    /// @notice Transfers the caller's credited balance to it.
    /// @return amount The amount transferred.
    function claim() external returns (uint256 amount);

    /// @notice Sets protocol parameters.
    /// @dev Owner only.
    /// @param params The parameters.
    function setParams(Params calldata params) external;

    /// @notice What `assign` would decide for a task with these inputs if `worker` were its primary.
    /// @param modelId The model release.
    /// @param value Value at risk (rounded up to a milli-token, as `createTask` keeps it).
    /// @param floor Tier floor.
    /// @param worker The primary worker (its reputation counts).
    /// @return decision The policy decision.
    /// @return fee The fee that would be charged: the release's live price (`IModelRegistry.price`) for each of the
    ///         k executions, plus the review reserve, the base price for each committee seat times the audit
    ///         probability (the whole committee for DEEP), rounded down to whole gwei. With `worker` zero, the
    ///         least `maxFee` that `createTask` accepts now.
    /// @return seatLock The collateral each compute seat would lock: what makes cheating lose money at the
    ///         decided audit probability (a worker whose free stake is below it is never drawn).
    function quote(ModelId modelId, uint96 value, Tier floor, address worker)
        external
        view
        returns (Decision memory decision, uint96 fee, uint96 seatLock);

    /// @notice A task.
    /// @param taskId The task.
    /// @return The stored task.
    function getTask(TaskId taskId) external view returns (TaskView memory);

    /// @notice Who appealed a task's review, and the bond it posted (kept apart from `TaskView`, which
    ///         already has as many fields as ABI tuple decoders commonly take).
    /// @param taskId The task.
    /// @return appellant The appellant, or zero.
    /// @return bond Its bond, held until the appeal resolves.
    function appealOf(TaskId taskId) external view returns (address appellant, uint96 bond);

    /// @notice A compute seat.
    /// @param taskId The task.
    /// @param index Seat index.
    /// @return worker The worker.
    /// @return state The seat state.
    /// @return hash The commitment, then the output hash once revealed.
    function seat(TaskId taskId, uint256 index) external view returns (address worker, SeatState state, bytes32 hash);

    /// @notice A committee seat.
    /// @param taskId The task.
    /// @param index Seat index: i for the first committee, 8 + i for the appeal's.
    /// @return verifier The verifier.
    /// @return state Whether it committed, then revealed.
    /// @return acceptMask Its vote, once revealed.
    function committeeSeat(TaskId taskId, uint256 index)
        external
        view
        returns (address verifier, VoteState state, uint8 acceptMask);

    /// @notice The review fund: the reserves every assigned task paid in, less what reviews paid out. Each
    ///         member whose vote matches a review's outcome is paid the release's base price from it.
    /// @return The fund.
    function reviewFund() external view returns (uint256);

    /// @notice The accepted output hash of a finalized task, or zero.
    /// @param taskId The task.
    /// @return The output hash.
    function resultOf(TaskId taskId) external view returns (bytes32);

    /// @notice The bond a challenge, or an appeal, of this task needs.
    /// @param taskId The task.
    /// @return The bond.
    function challengeBond(TaskId taskId) external view returns (uint96);

    /// @notice Credited, unclaimed balance.
    /// @param account The account.
    /// @return The balance.
    function claimable(address account) external view returns (uint256);

    /// @notice Everything the escrow owes: locked fees, bonds, unclaimed payouts and the review fund. Equals its
    ///         token balance.
    /// @return The total.
    function liabilities() external view returns (uint256);

    /// @notice Verification pressure in basis points: open reviews per registered verifier, 4 per verifier = 10_000.
    /// @return The pressure.
    function pressureBps() external view returns (uint16);

    /// @notice Number of tasks created.
    /// @return The count.
    function taskCount() external view returns (uint256);

    /// @notice The output hash a worker answers when the task's input cannot be run (undecodable,
    ///         misshapen, too large, or unavailable): `keccak256("verigrad.input-rejected")`.
    /// @return The marker.
    function INPUT_REJECTED() external view returns (bytes32);

    /// @notice Current parameters.
    /// @return The parameters.
    function params() external view returns (Params memory);
}
