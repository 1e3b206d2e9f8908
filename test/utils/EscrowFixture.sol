// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {TaskEscrow} from "../../contracts/TaskEscrow.sol";
import {Token} from "../../contracts/Token.sol";
import {WorkerRegistry} from "../../contracts/WorkerRegistry.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {DeterminismClass, ModelId, RiskClass} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";

/// @notice The whole on-chain core, deployed fresh: token, registries, escrow; five compute workers,
///         three verifiers, an EXACT and a TOLERANCE model, and a funded requester.
abstract contract EscrowFixture is Test {
    uint96 internal constant PRICE = 1e18;
    uint96 internal constant STAKE = 1_000e18;
    uint16 internal constant ROYALTY_BPS = 500;
    uint40 internal constant TASK_TIME = 1 hours;

    Token internal token;
    ModelRegistry internal models;
    WorkerRegistry internal workers;
    TaskEscrow internal escrow;

    address internal admin = makeAddr("admin");
    address internal treasury = makeAddr("treasury");
    address internal requester = makeAddr("requester");
    address internal modelOwner = makeAddr("modelOwner");
    address internal challenger = makeAddr("challenger");
    address[] internal computeWorkers;
    address[] internal verifiers;

    ModelId internal exactModel = ModelId.wrap(keccak256("package:volatility-1.0.0"));
    ModelId internal toleranceModel = ModelId.wrap(keccak256("package:embedder-2.0.0"));
    bytes32 internal input = keccak256("input");
    bytes32 internal good = keccak256("correct output");
    bytes32 internal bad = keccak256("wrong output");

    function setUp() public virtual {
        _deployCore();

        vm.startPrank(modelOwner);
        bytes32 repo = models.createRepository("verigrad/volatility");
        models.publishRelease(repo, exactModel, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.LOW, PRICE, ROYALTY_BPS);
        models.publishRelease(
            repo, toleranceModel, "2.0.0", DeterminismClass.TOLERANCE, 1_000, RiskClass.LOW, PRICE, ROYALTY_BPS
        );
        vm.stopPrank();

        for (uint256 i; i < 5; ++i) {
            computeWorkers.push(_register(string.concat("compute", vm.toString(i)), Roles.COMPUTE));
        }
        for (uint256 i; i < 3; ++i) {
            verifiers.push(_register(string.concat("verifier", vm.toString(i)), Roles.VERIFY));
        }
        _fund(requester, 1_000_000e18);
        _fund(challenger, 1_000_000e18);
        _nextEpoch();
    }

    /// @dev Rolls to the first block of the registry's next epoch, where stake registered so far counts.
    function _nextEpoch() internal {
        uint256 epochBlocks = workers.epochBlocks();
        vm.roll((block.number / epochBlocks + 1) * epochBlocks);
    }

    /// @dev Deploys a fresh core; the fork suite overrides this to attach to a live deployment.
    function _deployCore() internal virtual {
        vm.roll(1_000);
        vm.warp(1_800_000_000);
        token = new Token(admin, 0);
        workers = new WorkerRegistry(address(token), admin);
        models = new ModelRegistry(admin, workers);
        escrow = new TaskEscrow(token, workers, models, defaultParams(), admin);
        vm.startPrank(admin);
        workers.grantRole(workers.SLASHER_ROLE(), address(escrow));
        models.setLoadParams(IModelRegistry.LoadParams(address(escrow), models.DEFAULT_UNITS_PER_WORKER()));
        vm.stopPrank();
    }

    function defaultParams() internal view returns (ITaskEscrow.Params memory) {
        return ITaskEscrow.Params({
            challengeWindow: 1 hours,
            revealWindow: 10 minutes,
            voteWindow: 1 hours,
            jailDuration: 1 days,
            protocolFeeBps: 200,
            committeeSize: 3,
            gainBps: 10_000,
            bountyBps: 5_000,
            minSlash: 10e18,
            minChallengeBond: 10e18,
            treasury: treasury,
            minReviewPay: 0.1e18
        });
    }

    // ─── Setup helpers ───────────────────────────────────────────────────────────────────────────

    function _fund(address who, uint256 amount) internal {
        vm.prank(admin);
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(escrow), type(uint256).max);
    }

    /// @dev Registers a fresh worker named `name` with `STAKE`, serving both models.
    function _register(string memory name, uint8 roles) internal returns (address worker) {
        ModelId[] memory served = new ModelId[](2);
        served[0] = exactModel;
        served[1] = toleranceModel;
        return _registerWith(name, roles, served, STAKE);
    }

    /// @dev Registers a fresh worker named `name` with `stake`, serving `served`.
    function _registerWith(string memory name, uint8 roles, ModelId[] memory served, uint96 stake)
        internal
        returns (address worker)
    {
        worker = makeAddr(name);
        vm.prank(admin);
        token.mint(worker, stake);
        vm.startPrank(worker);
        token.approve(address(workers), stake);
        workers.register(roles, "http://127.0.0.1:9000", served, stake);
        vm.stopPrank();
    }

    // ─── Lifecycle helpers ───────────────────────────────────────────────────────────────────────

    function _create(ModelId model, uint96 value, Tier floor) internal returns (TaskId taskId) {
        vm.prank(requester);
        taskId = escrow.createTask(model, input, value, floor, uint40(block.timestamp) + TASK_TIME, 100 * PRICE);
    }

    /// @dev Creates and assigns a task once its anchor is mined.
    function _createAssigned(ModelId model, uint96 value, Tier floor) internal returns (TaskId taskId) {
        taskId = _create(model, value, floor);
        _assign(taskId);
    }

    /// @dev Rolls past the task's anchor and assigns it.
    function _assign(TaskId taskId) internal {
        _pastAnchor(taskId);
        escrow.assign(taskId);
    }

    /// @dev Rolls to the block after the task's anchor (if not there yet): its draw can happen now.
    function _pastAnchor(TaskId taskId) internal {
        uint256 anchor = escrow.getTask(taskId).anchor;
        if (block.number <= anchor) {
            vm.roll(anchor + 1);
        }
    }

    /// @dev Draws the committee of a requested review.
    function _drawCommittee(TaskId taskId) internal {
        _pastAnchor(taskId);
        escrow.drawCommittee(taskId);
    }

    function _worker(TaskId taskId, uint256 index) internal view returns (address worker) {
        (worker,,) = escrow.seat(taskId, index);
    }

    /// @dev Whether every compute worker held seat 0 of one of the tasks `first`..`last`: each then has its index in
    ///      the escrow, which a worker's first seat 0 pays for once — the steady state that gas is measured in.
    function _seatedEveryWorker(uint256 first, uint256 last) internal view returns (bool) {
        for (uint256 w; w < computeWorkers.length; ++w) {
            bool seated;
            for (uint256 id = first; id <= last && !seated; ++id) {
                seated = _worker(TaskId.wrap(id), 0) == computeWorkers[w];
            }
            if (!seated) {
                return false;
            }
        }
        return true;
    }

    function _member(TaskId taskId, uint256 index) internal view returns (address verifier) {
        (verifier,,) = escrow.committeeSeat(taskId, index);
    }

    function _task(TaskId taskId) internal view returns (ITaskEscrow.TaskView memory) {
        return escrow.getTask(taskId);
    }

    function _status(TaskId taskId) internal view returns (TaskStatus) {
        return escrow.getTask(taskId).status;
    }

    /// @dev Draws the pending audit lottery of a proposed task so that it hits (an audit, whose committee is then
    ///      drawn) or misses: sets the anchor block's hash (as its proposer could), rolls past it and calls `audit`.
    function _steerAudit(TaskId taskId, bool hit) internal {
        _aimAudit(taskId, hit);
        escrow.audit(taskId);
        if (hit) {
            _drawCommittee(taskId);
        }
    }

    /// @dev Rolls past a proposal's audit anchor and sets its hash (as the anchor block's proposer could) so that
    ///      the lottery hits (or misses); the lottery itself is left to be drawn.
    function _aimAudit(TaskId taskId, bool hit) internal {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        _pastAnchor(taskId);
        for (uint256 r = 1;; ++r) {
            uint256 roll = uint256(keccak256(abi.encode(bytes32(r), taskId, uint256(1)))) % 10_000;
            if ((roll < task.auditBps) == hit) {
                vm.setBlockhash(task.anchor, bytes32(r));
                return;
            }
        }
    }

    /// @dev Draws the pending committee of `taskId` from the first anchor hash (as the anchor block's proposer
    ///      could choose it) whose committee seats every one of `wanted`.
    function _steerCommittee(TaskId taskId, address[] memory wanted) internal {
        _pastAnchor(taskId);
        uint256 anchor = escrow.getTask(taskId).anchor;
        for (uint256 r = 1;; ++r) {
            uint256 snapshot = vm.snapshotState();
            vm.setBlockhash(anchor, keccak256(abi.encode("committee", r)));
            escrow.drawCommittee(taskId);
            if (_seatsAll(taskId, wanted)) {
                return;
            }
            vm.revertToState(snapshot);
        }
    }

    /// @dev Whether the current committee of `taskId` seats every one of `wanted`.
    function _seatsAll(TaskId taskId, address[] memory wanted) internal view returns (bool) {
        (uint256 base, uint256 size) = _round(taskId);
        for (uint256 j; j < wanted.length; ++j) {
            bool seated;
            for (uint256 i = base; i < base + size; ++i) {
                seated = seated || _member(taskId, i) == wanted[j];
            }
            if (!seated) {
                return false;
            }
        }
        return true;
    }

    function _submit(TaskId taskId, bytes32 output, bool audit) internal {
        vm.prank(_worker(taskId, 0));
        escrow.submitResult(taskId, output);
        _steerAudit(taskId, audit);
    }

    function _commitment(bytes32 output, bytes32 salt, address worker) internal pure returns (bytes32) {
        return keccak256(abi.encode(output, salt, worker));
    }

    function _commit(TaskId taskId, uint256 index, bytes32 output) internal {
        address worker = _worker(taskId, index);
        vm.prank(worker);
        escrow.commit(taskId, _commitment(output, bytes32(index), worker));
    }

    function _reveal(TaskId taskId, uint256 index, bytes32 output) internal {
        vm.prank(_worker(taskId, index));
        escrow.reveal(taskId, output, bytes32(index));
    }

    /// @dev Every seat commits and reveals its output; the last reveal tallies. A proposed result's audit is
    ///      steered off; a requested review's committee is drawn.
    function _commitReveal(TaskId taskId, bytes32[] memory outputs) internal {
        for (uint256 i; i < outputs.length; ++i) {
            _commit(taskId, i, outputs[i]);
        }
        for (uint256 i; i < outputs.length; ++i) {
            _reveal(taskId, i, outputs[i]);
        }
        _afterTally(taskId);
    }

    /// @dev After a tally: steers a proposal's audit off, or draws a requested review's committee.
    function _afterTally(TaskId taskId) internal {
        TaskStatus status = _status(taskId);
        if (status == TaskStatus.Proposed) {
            _steerAudit(taskId, false);
        } else if (status == TaskStatus.Reviewing) {
            _drawCommittee(taskId);
        }
    }

    function _outputs(uint256 n, bytes32 output) internal pure returns (bytes32[] memory outputs) {
        outputs = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            outputs[i] = output;
        }
    }

    /// @dev Every member of the current committee votes `mask`: all commit, then all reveal (the last reveal
    ///      decides; a decision against a party leaves the task in its appeal window, see `_closeAppealWindow`).
    function _voteAll(TaskId taskId, uint8 mask) internal {
        (, uint256 size) = _round(taskId);
        uint8[] memory masks = new uint8[](size);
        for (uint256 i; i < size; ++i) {
            masks[i] = mask;
        }
        _vote(taskId, masks);
    }

    /// @dev Member i of the current committee votes `masks[i]`: all commit, then all reveal.
    function _vote(TaskId taskId, uint8[] memory masks) internal {
        (uint256 base,) = _round(taskId);
        for (uint256 i; i < masks.length; ++i) {
            _commitVote(taskId, base + i, masks[i]);
        }
        for (uint256 i; i < masks.length; ++i) {
            _revealVote(taskId, base + i, masks[i]);
        }
    }

    /// @dev The current committee's first `committeeSeat` index and size: the appeal's once appealed.
    function _round(TaskId taskId) internal view returns (uint256 base, uint256 size) {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        return task.appeal == ITaskEscrow.AppealStage.Appealed ? (8, task.appealSize) : (0, task.committeeSize);
    }

    /// @dev Lets a decided review's appeal window pass unappealed and resolves it (nothing if none is open).
    function _closeAppealWindow(TaskId taskId) internal {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        if (task.status == TaskStatus.Reviewing && task.appeal == ITaskEscrow.AppealStage.Open) {
            vm.warp(task.until);
            escrow.resolve(taskId);
        }
    }

    function _voteCommitment(uint8 mask, bytes32 salt, address member) internal pure returns (bytes32) {
        return keccak256(abi.encode(mask, salt, member));
    }

    function _commitVote(TaskId taskId, uint256 index, uint8 mask) internal {
        address member = _member(taskId, index);
        vm.prank(member);
        escrow.commitVote(taskId, _voteCommitment(mask, bytes32(index + 100), member));
    }

    function _revealVote(TaskId taskId, uint256 index, uint8 mask) internal {
        vm.prank(_member(taskId, index));
        escrow.revealVote(taskId, mask, bytes32(index + 100));
    }

    function _passChallengeWindow(TaskId taskId) internal {
        vm.warp(escrow.getTask(taskId).until);
    }

    function _stake(address worker) internal view returns (uint96) {
        return workers.getWorker(worker).stake;
    }

    /// @dev Escrow solvency: token balance == liabilities.
    function _assertSolvent() internal view {
        assertEq(token.balanceOf(address(escrow)), escrow.liabilities(), "escrow balance == liabilities");
    }
}
