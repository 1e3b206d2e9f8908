// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {CommonBase} from "forge-std/Base.sol";
import {Script, console} from "forge-std/Script.sol";

import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {TaskEscrow} from "../contracts/TaskEscrow.sol";
import {Token} from "../contracts/Token.sol";
import {WorkerRegistry} from "../contracts/WorkerRegistry.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {DeterminismClass, ModelId, RiskClass} from "../contracts/types/ModelTypes.sol";
import {Roles} from "../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../contracts/types/TaskTypes.sol";

/// @notice The strategies of the simulation, from the attacker's side.
enum Strategy {
    Honest,
    WrongOutput,
    NoShow,
    Grinding,
    CollusiveMajority,
    /// @notice Lies on every task (alone on LIGHT, as a majority of two on REDUNDANT and DEEP) in a network where
    ///         nobody re-checks proposals — only the audit lottery (and DEEP's review) catches it — and gains the
    ///         whole value at risk whenever its lie stands: the deterrence condition's world.
    LotteryOnlyLiar,
    LazyVerifier
}

/// @notice How the simulation draws an audit lottery: from a fresh hash, or aimed to hit or to miss.
enum Aim {
    None,
    Hit,
    Miss
}

/// @notice The agents and the network of one row of the simulation, driven task by task by `Simulate` (each call
///         runs in its own frame, so memory never piles up across thousands of tasks).
contract SoundnessSimulation is CommonBase {
    uint96 internal constant PRICE = 1e18;
    uint256 internal constant RUN_COST = 0.3e18;
    uint96 internal constant STAKE = 100_000e18;
    uint256 internal constant BPS = 10_000;
    /// @notice In the lazy verifier's world, one task in `LIAR_EVERY` has a worker that answers wrong.
    uint256 internal constant LIAR_EVERY = 5;

    Token internal token;
    WorkerRegistry internal workers;
    ModelRegistry internal models;
    TaskEscrow internal escrow;
    ModelId internal model;

    address internal admin = address(0xAD);
    address internal treasury = address(0x7EA);
    address internal requester = address(0xBEEF);
    /// @notice The measured agents, and every worker's strategy.
    address[] internal measured;
    mapping(address => Strategy) internal strategyOf;
    address[] internal verifiers;
    uint256 internal entropy;
    /// @notice Whether the lazy verifier sat on the current task's committee.
    bool internal lazySat;
    Tier internal _tier;
    Strategy internal _strategy;
    Aim internal aim;

    // ─── Scenarios ───────────────────────────────────────────────────────────────────────────────

    /// @notice Deploys a fresh network for one row: the measured agents of `strategy`, the honest rest.
    /// @param tier The tier the tasks ask for.
    /// @param strategy The measured agents' strategy.
    function prepare(Tier tier, Strategy strategy) external {
        _deploy();
        delete measured;
        delete verifiers;
        uint256 seats = tier == Tier.LIGHT ? 1 : 3;
        bool majority =
            strategy == Strategy.CollusiveMajority || (strategy == Strategy.LotteryOnlyLiar && tier != Tier.LIGHT);
        uint256 attackers = majority ? 2 : 1;
        if (strategy == Strategy.Honest || strategy == Strategy.LazyVerifier) {
            attackers = 0;
        }
        for (uint256 i; i < seats; ++i) {
            Strategy own = i < attackers ? strategy : Strategy.Honest;
            address worker = _register(string.concat("compute ", vm.toString(i)), Roles.COMPUTE, own);
            if (i < attackers || (strategy == Strategy.Honest && i == 0)) {
                measured.push(worker);
            }
        }
        for (uint256 i; i < 3; ++i) {
            verifiers.push(_register(string.concat("verifier ", vm.toString(i)), Roles.VERIFY, Strategy.Honest));
        }
        if (strategy == Strategy.LazyVerifier) {
            address lazy = _register("lazy verifier", Roles.VERIFY, Strategy.LazyVerifier);
            verifiers.push(lazy);
            measured.push(lazy);
        }
        vm.roll((block.number / workers.epochBlocks() + 1) * workers.epochBlocks());

        _tier = tier;
        _strategy = strategy;
    }

    /// @notice Runs task `n` of the row; returns whether it is a sample (for a lazy verifier, whether it sat on the
    ///         committee) and the measured agents' profit on it.
    /// @param n The task's number in the row.
    /// @return sampled Whether the task counts.
    /// @return profit The change in the measured agents' wealth, less the runs they paid for.
    function runTask(uint256 n) external returns (bool sampled, int256 profit) {
        int256 before = int256(_wealth());
        lazySat = false;
        (TaskId taskId, uint256 runs) = _begin(_tier, _strategy, n);
        uint256 p = escrow.getTask(taskId).auditBps;
        if (_strategy == Strategy.LotteryOnlyLiar && _status(taskId) == TaskStatus.Proposed) {
            // Its exact expectation over the audit lottery, both outcomes played out on the contracts: the liar
            // either gains the value or loses its collateral, and a sampled mean of that would need thousands of
            // tasks to pin down. The run goes on from the lottery's miss.
            uint256 snapshot = vm.snapshotState();
            int256 caught = _finishAimed(taskId, Aim.Hit, before, runs);
            vm.revertToState(snapshot);
            int256 missed = _finishAimed(taskId, Aim.Miss, before, runs);
            // forge-lint: disable-next-line(unsafe-typecast)
            profit = (caught * int256(p) + missed * int256(BPS - p)) / int256(BPS); // p ≤ BPS = 10_000
        } else {
            profit = _finishAimed(taskId, Aim.None, before, runs);
        }
        sampled = _strategy != Strategy.LazyVerifier || lazySat;
        vm.warp(block.timestamp + 1 days + 1); // any jail is over
    }

    /// @dev Creates, assigns and answers task `n`; returns it and the runs the measured agents paid for.
    function _begin(Tier tier, Strategy strategy, uint256 n) internal returns (TaskId taskId, uint256 runs) {
        // LIGHT at 40 VGD: audited about one time in five; a 100-VGD task is REDUNDANT (k = 3) of itself.
        uint96 value = tier == Tier.LIGHT ? 40e18 : 100e18;
        vm.prank(requester);
        taskId = escrow.createTask(
            model, keccak256(abi.encode(n)), value, tier, uint40(block.timestamp + 1 hours), 100 * PRICE
        );
        _freshAnchor(taskId);
        escrow.assign(taskId);
        // In the lazy verifier's world, one task in five has a worker that answers wrong.
        bool liarTask = strategy == Strategy.LazyVerifier && n % LIAR_EVERY == 0;
        runs = _answer(taskId, liarTask);
    }

    /// @dev Takes an answered task to settlement, its audit lottery aimed as `how` says; returns the measured
    ///      agents' profit since `before`: their wealth, less the runs they paid for (`runs` so far and those of
    ///      reviews), plus what they gained outside the escrow — the value at risk, if a lottery-only liar's lie
    ///      stood.
    function _finishAimed(TaskId taskId, Aim how, int256 before, uint256 runs) internal returns (int256) {
        aim = how;
        if (_status(taskId) == TaskStatus.Proposed) {
            _check(taskId);
        }
        if (_status(taskId) == TaskStatus.Reviewing) {
            runs += _review(taskId);
        }
        if (_status(taskId) == TaskStatus.Reviewing) {
            // A decision against a party waits out its appeal window; the committees here are honest, so
            // nobody has cause to appeal.
            vm.warp(escrow.getTask(taskId).until);
            escrow.resolve(taskId);
        }
        if (_status(taskId) == TaskStatus.Proposed) {
            vm.warp(escrow.getTask(taskId).until);
            escrow.finalize(taskId);
        }
        if (_status(taskId) == TaskStatus.Finalized) {
            escrow.settle(taskId);
        }
        require(_status(taskId) == TaskStatus.Settled, "the task did not settle");
        int256 gained;
        if (_strategy == Strategy.LotteryOnlyLiar && escrow.resultOf(taskId) == _lie(taskId)) {
            gained = int256(uint256(escrow.getTask(taskId).value));
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(_wealth()) - before - int256(runs * RUN_COST) + gained; // token amounts, far below 2^255
    }

    /// @dev The seats answer by their strategies; returns the runs the measured agents paid for.
    function _answer(TaskId taskId, bool liarTask) internal returns (uint256 runs) {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        bytes32[] memory outputs = new bytes32[](task.redundancy);
        for (uint256 i; i < task.redundancy; ++i) {
            (address worker,,) = escrow.seat(taskId, i);
            Strategy s = strategyOf[worker];
            if (s == Strategy.Honest && liarTask && i == 0) {
                s = Strategy.WrongOutput;
            }
            outputs[i] = _output(taskId, s, task.auditBps);
            if (outputs[i] == _truth(taskId) && _isMeasured(worker)) {
                ++runs;
            }
        }
        if (task.tier == Tier.LIGHT) {
            (address worker,,) = escrow.seat(taskId, 0);
            if (outputs[0] != bytes32(0)) {
                vm.prank(worker);
                escrow.submitResult(taskId, outputs[0]);
            } else {
                vm.warp(task.until);
                escrow.finalize(taskId);
            }
            return runs;
        }
        for (uint256 i; i < task.redundancy; ++i) {
            (address worker,,) = escrow.seat(taskId, i);
            if (outputs[i] != bytes32(0)) {
                vm.prank(worker);
                escrow.commit(taskId, keccak256(abi.encode(outputs[i], bytes32(i), worker)));
            }
        }
        ITaskEscrow.TaskView memory committed = escrow.getTask(taskId);
        if (committed.commits < committed.redundancy) {
            vm.warp(committed.until); // a seat is silent: reveals open at the commit deadline
        }
        for (uint256 i; i < task.redundancy; ++i) {
            (address worker,,) = escrow.seat(taskId, i);
            if (outputs[i] != bytes32(0)) {
                vm.prank(worker);
                escrow.reveal(taskId, outputs[i], bytes32(i));
            }
        }
        if (escrow.getTask(taskId).status == TaskStatus.Assigned) {
            vm.warp(block.timestamp + escrow.params().revealWindow);
            escrow.closeReveal(taskId);
        }
    }

    /// @dev What a seat of strategy `s` answers: the truth, its wrong answer, or nothing (zero). The grinder lies
    ///      when the best prediction it can make in its own transaction says the audit lottery will miss.
    function _output(TaskId taskId, Strategy s, uint16 auditBps) internal view returns (bytes32) {
        if (s == Strategy.NoShow) {
            return bytes32(0);
        }
        if (s == Strategy.WrongOutput || s == Strategy.CollusiveMajority || s == Strategy.LotteryOnlyLiar) {
            return _lie(taskId);
        }
        if (s == Strategy.Grinding) {
            uint256 anchor = block.number + 2; // what its submission will anchor: not mined, its hash reads zero
            return _audits(blockhash(anchor), taskId, auditBps) ? _truth(taskId) : _lie(taskId);
        }
        return _truth(taskId);
    }

    /// @dev Honest verifiers re-execute the proposed result (except in the lottery-only world); a wrong one is
    ///      challenged, else its audit lottery is drawn.
    function _check(TaskId taskId) internal {
        if (_strategy != Strategy.LotteryOnlyLiar && _proposedOutput(taskId) != _truth(taskId)) {
            address checker = verifiers[0];
            uint96 bond = escrow.challengeBond(taskId);
            vm.prank(admin);
            token.mint(checker, bond);
            vm.startPrank(checker);
            token.approve(address(escrow), type(uint256).max);
            escrow.challenge(taskId);
            vm.stopPrank();
            return;
        }
        _lotteryAnchor(taskId);
        escrow.audit(taskId);
    }

    /// @dev Draws the committee and has it vote: honest members accept exactly the true seats, the lazy one every
    ///      revealed seat without running anything. Returns the runs the measured agents paid for.
    function _review(TaskId taskId) internal returns (uint256 runs) {
        _freshAnchor(taskId);
        escrow.drawCommittee(taskId);
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        if (task.status != TaskStatus.Reviewing) {
            return 0; // no eligible verifier: a void review
        }
        uint8[] memory masks = new uint8[](task.committeeSize);
        for (uint256 i; i < task.committeeSize; ++i) {
            (address member,,) = escrow.committeeSeat(taskId, i);
            bool lazy = strategyOf[member] == Strategy.LazyVerifier;
            lazySat = lazySat || lazy;
            masks[i] = _mask(taskId, task.redundancy, lazy);
            if (strategyOf[member] != Strategy.LazyVerifier && _isMeasured(member)) {
                ++runs;
            }
            vm.prank(member);
            escrow.commitVote(taskId, keccak256(abi.encode(masks[i], bytes32(i), member)));
        }
        for (uint256 i; i < task.committeeSize; ++i) {
            (address member,,) = escrow.committeeSeat(taskId, i);
            vm.prank(member);
            escrow.revealVote(taskId, masks[i], bytes32(i));
        }
    }

    function _mask(TaskId taskId, uint256 k, bool lazy) internal view returns (uint8 mask) {
        for (uint256 i; i < k; ++i) {
            (,, bytes32 hash) = escrow.seat(taskId, i);
            (, ITaskEscrow.SeatState state,) = escrow.seat(taskId, i);
            bool revealed = state == ITaskEscrow.SeatState.Revealed || state == ITaskEscrow.SeatState.Faulty;
            if (revealed && (lazy || hash == _truth(taskId))) {
                // forge-lint: disable-next-line(unsafe-typecast)
                mask |= uint8(1 << i); // i < 8
            }
        }
    }

    // ─── Setup and bookkeeping ───────────────────────────────────────────────────────────────────

    function _deploy() internal {
        vm.roll(1_000);
        vm.warp(1_800_000_000);
        token = new Token(admin, 0);
        workers = new WorkerRegistry(address(token), admin);
        models = new ModelRegistry(admin, workers);
        ITaskEscrow.Params memory p = ITaskEscrow.Params({
            challengeWindow: 10 minutes,
            revealWindow: 2 minutes,
            voteWindow: 10 minutes,
            jailDuration: 1 days,
            protocolFeeBps: 200,
            gainBps: 10_000,
            bountyBps: 5_000,
            committeeSize: 3,
            minSlash: 10e18,
            minChallengeBond: 10e18,
            treasury: treasury,
            minReviewPay: 0.1e18
        });
        escrow = new TaskEscrow(token, workers, models, p, admin);
        vm.startPrank(admin);
        workers.grantRole(workers.SLASHER_ROLE(), address(escrow));
        models.setLoadParams(IModelRegistry.LoadParams(address(escrow), models.DEFAULT_UNITS_PER_WORKER()));
        token.mint(requester, 1_000_000e18);
        vm.stopPrank();
        vm.prank(requester);
        token.approve(address(escrow), type(uint256).max);
        address owner = address(0x0E);
        vm.startPrank(owner);
        bytes32 repo = models.createRepository("sim/model");
        model = ModelId.wrap(keccak256("sim/model 1.0.0"));
        models.publishRelease(repo, model, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.LOW, PRICE, 500);
        vm.stopPrank();
    }

    function _register(string memory name, uint8 roles, Strategy strategy) internal returns (address worker) {
        worker = vm.addr(uint256(keccak256(bytes(name))));
        strategyOf[worker] = strategy;
        vm.prank(admin);
        token.mint(worker, STAKE);
        ModelId[] memory served = new ModelId[](1);
        served[0] = model;
        vm.startPrank(worker);
        token.approve(address(workers), STAKE);
        workers.register(roles, "sim", served, STAKE);
        vm.stopPrank();
    }

    /// @dev Gives the task's pending draw a fresh anchor hash and rolls past the anchor.
    /// @dev Mines the audit lottery's anchor with a fresh hash, or one chosen to make it hit or miss as `aim` says.
    function _lotteryAnchor(TaskId taskId) internal {
        if (aim == Aim.None) {
            _freshAnchor(taskId);
            return;
        }
        uint16 auditBps = escrow.getTask(taskId).auditBps;
        for (uint256 r = 1;; ++r) {
            bytes32 hash = keccak256(abi.encode("aimed block", r));
            if (_audits(hash, taskId, auditBps) == (aim == Aim.Hit)) {
                _mineAnchor(taskId, hash);
                return;
            }
        }
    }

    function _freshAnchor(TaskId taskId) internal {
        _mineAnchor(taskId, keccak256(abi.encode("sim block", ++entropy)));
    }

    /// @dev Rolls past the task's pending anchor and gives it `hash`.
    function _mineAnchor(TaskId taskId, bytes32 hash) internal {
        uint256 anchor = escrow.getTask(taskId).anchor;
        if (block.number <= anchor) {
            vm.roll(anchor + 1);
        }
        vm.setBlockhash(anchor, hash);
    }

    /// @dev Whether an audit lottery whose anchor block has `hash` hits, as `Anchors.seed` draws it.
    function _audits(bytes32 hash, TaskId taskId, uint16 auditBps) internal pure returns (bool) {
        return uint256(keccak256(abi.encode(hash, taskId, uint256(1)))) % BPS < auditBps;
    }

    /// @dev The measured agents' wealth: wallet, stake, unbonding stake and escrow credit.
    function _wealth() internal view returns (uint256 total) {
        for (uint256 i; i < measured.length; ++i) {
            address who = measured[i];
            total += token.balanceOf(who) + workers.getWorker(who).stake + workers.getWorker(who).unbonding
            + escrow.claimable(who);
        }
    }

    function _isMeasured(address who) internal view returns (bool) {
        for (uint256 i; i < measured.length; ++i) {
            if (measured[i] == who) {
                return true;
            }
        }
        return false;
    }

    function _proposedOutput(TaskId taskId) internal view returns (bytes32 output) {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        (,, output) = escrow.seat(taskId, task.winner);
    }

    function _truth(TaskId taskId) internal pure returns (bytes32) {
        return keccak256(abi.encode("truth", taskId));
    }

    function _lie(TaskId taskId) internal pure returns (bytes32) {
        return keccak256(abi.encode("lie", taskId));
    }

    function _status(TaskId taskId) internal view returns (TaskStatus) {
        return escrow.getTask(taskId).status;
    }
}

/// @notice The soundness simulation: agents of each strategy run many tasks at each tier on the real contracts
///         (deployed fresh in forge's EVM, parameters as `scripts/Deploy.s.sol` sets them), and the script prints
///         each strategy's mean profit per task with a 95 % confidence interval. It fails unless every cheating
///         strategy's interval lies below zero and the honest one's above.
/// @dev Run with `scripts/simulate` (or `forge script scripts/Simulate.s.sol`). Every draw reads a fresh anchor hash
///      (the chain's randomness), so no agent can choose one. Economics: a run of the model costs its worker
///      `RUN_COST`. Honest verifiers re-execute every proposed result and challenge a wrong one, so a wrong answer
///      never stands and gains its author nothing beyond the run it saved — except in the lottery-only liar's world,
///      where nobody re-checks, only the audit lottery (or DEEP's review) catches a lie, and a lie that stands gains
///      its authors the whole value at risk (G = value): the world the collateral is sized for. Committees are the
///      model's verifiers.
contract Simulate is Script {
    /// @notice Samples per row: tasks, or the reviews a lazy verifier sat on.
    uint256 internal constant SAMPLES = 60;
    uint256 internal constant LAZY_SAMPLES = 120;
    /// @notice Most tasks a lazy verifier's row runs to sit on `LAZY_SAMPLES` committees.
    uint256 internal constant MAX_TASKS = 6_000;

    /// @notice Runs every strategy at every tier and prints the table.
    function run() external {
        console.log(
            "verigrad soundness simulation: a run of the model costs 0.3 VGD; a lie that stands gains the value at risk"
        );
        console.log(
            "mean profit per task in VGD (a lazy verifier: per review it sat on), with its 95 percent confidence interval"
        );
        Tier[3] memory tiers = [Tier.LIGHT, Tier.REDUNDANT, Tier.DEEP];
        // A local, not storage: each row's state is reverted after it.
        bool sound = true;
        for (uint256 t; t < 3; ++t) {
            int256 honest;
            for (uint256 s; s <= uint256(Strategy.LazyVerifier); ++s) {
                Strategy strategy = Strategy(s);
                if (strategy == Strategy.CollusiveMajority && tiers[t] == Tier.LIGHT) {
                    continue; // one seat: collusion is the wrong output
                }
                uint256 snapshot = vm.snapshotState();
                int256[] memory samples = _row(tiers[t], strategy);
                vm.revertToState(snapshot);
                (bool ok, int256 mean) = _report(tiers[t], strategy, samples, honest);
                sound = sound && ok;
                if (strategy == Strategy.Honest) {
                    honest = mean;
                }
            }
        }
        require(sound, "a cheating strategy is not negative, or honest work is not positive");
        console.log("every cheating strategy loses money; honest work earns it");
    }

    /// @dev Runs one row on a fresh network and returns its samples.
    function _row(Tier tier, Strategy strategy) internal returns (int256[] memory samples) {
        SoundnessSimulation sim = new SoundnessSimulation();
        sim.prepare(tier, strategy);
        uint256 wanted = strategy == Strategy.LazyVerifier ? LAZY_SAMPLES : SAMPLES;
        samples = new int256[](wanted);
        uint256 n;
        for (uint256 task; n < wanted && task < MAX_TASKS; ++task) {
            (bool sampled, int256 profit) = sim.runTask(task);
            if (sampled) {
                samples[n++] = profit;
            }
        }
        // Keep the samples taken.
        assembly ("memory-safe") {
            mstore(samples, n)
        }
    }

    // ─── Statistics and the table ────────────────────────────────────────────────────────────────

    /// @dev Prints one row and notes a failure of the soundness claim.
    ///      Honest work must be positive; a cheating strategy negative — except a grinder that never found a moment
    ///      to lie (DEEP tasks are always reviewed), which must simply earn no more than honest work.
    function _report(Tier tier, Strategy strategy, int256[] memory samples, int256 honest)
        internal
        pure
        returns (bool ok, int256 mean)
    {
        int256 half;
        (mean, half) = _meanAndHalfWidth(samples);
        int256 lower = mean - half;
        int256 upper = mean + half;
        ok = strategy == Strategy.Honest ? lower > 0 : upper < 0;
        bool neverLied = strategy == Strategy.Grinding && half == 0 && mean == honest;
        ok = ok || neverLied;
        console.log(
            string.concat(
                _pad(_tierName(tier), 10),
                _pad(_strategyName(strategy), 20),
                _pad(
                    string.concat(
                        vm.toString(samples.length), strategy == Strategy.LazyVerifier ? " reviews" : " tasks"
                    ),
                    13
                ),
                _pad(_tokens(mean), 10),
                "(",
                _tokens(lower),
                " .. ",
                _tokens(upper),
                ")",
                neverLied ? "  (never lied: always reviewed)" : ok ? "" : "  <- NOT SOUND"
            )
        );
    }

    /// @dev Sample mean and the half-width of its 95 % confidence interval, 1.96 standard errors.
    function _meanAndHalfWidth(int256[] memory xs) internal pure returns (int256 mean, int256 half) {
        uint256 n = xs.length;
        int256 sum;
        for (uint256 i; i < n; ++i) {
            sum += xs[i];
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        mean = sum / int256(n); // n is a sample count
        uint256 squares;
        for (uint256 i; i < n; ++i) {
            int256 d = (xs[i] - mean) / 1e9; // in gwei: squares stay far from overflow
            // forge-lint: disable-next-line(unsafe-typecast)
            squares += uint256(d * d); // a square is never negative
        }
        uint256 sd = Math.sqrt(squares / (n - 1)) * 1e9;
        // forge-lint: disable-next-line(unsafe-typecast)
        half = int256(sd * 196 / 100 / Math.sqrt(n)); // below the samples' spread, far below 2^255
    }

    /// @dev `wei` as VGD with two decimals.
    function _tokens(int256 amount) internal pure returns (string memory) {
        bool negative = amount < 0;
        uint256 abs = uint256(negative ? -amount : amount);
        uint256 cents = (abs + 0.005e18) / 0.01e18;
        string memory frac = cents % 100 < 10 ? string.concat("0", vm.toString(cents % 100)) : vm.toString(cents % 100);
        return string.concat(negative ? "-" : "", vm.toString(cents / 100), ".", frac);
    }

    function _pad(string memory s, uint256 width) internal pure returns (string memory) {
        while (bytes(s).length < width) {
            s = string.concat(s, " ");
        }
        return s;
    }

    function _tierName(Tier tier) internal pure returns (string memory) {
        return tier == Tier.LIGHT ? "LIGHT" : tier == Tier.REDUNDANT ? "REDUNDANT" : "DEEP";
    }

    function _strategyName(Strategy s) internal pure returns (string memory) {
        if (s == Strategy.Honest) {
            return "honest (baseline)";
        }
        if (s == Strategy.WrongOutput) {
            return "wrong output";
        }
        if (s == Strategy.NoShow) {
            return "no-show";
        }
        if (s == Strategy.Grinding) {
            return "grinding";
        }
        if (s == Strategy.CollusiveMajority) {
            return "colluding majority";
        }
        if (s == Strategy.LotteryOnlyLiar) {
            return "liar, lottery only";
        }
        return "lazy verifier";
    }
}
