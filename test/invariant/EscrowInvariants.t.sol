// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../../contracts/interfaces/ITaskEscrow.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {LoadPricing} from "../../contracts/libraries/LoadPricing.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {EscrowFixture} from "../utils/EscrowFixture.sol";
import {EscrowHandler} from "./EscrowHandler.sol";

/// @notice System invariants of the task market under random lifecycles with honest and faulty workers.
contract EscrowInvariantsTest is EscrowFixture {
    EscrowHandler internal handler;
    address[] internal faulty;
    address[] internal accounts;

    function setUp() public override {
        super.setUp();
        // Four more verifiers: enough strangers to draw an appeal committee besides the first.
        for (uint256 i = 3; i < 7; ++i) {
            verifiers.push(_register(string.concat("verifier", vm.toString(i)), Roles.VERIFY));
        }
        _nextEpoch();
        // Two of the five compute workers answer wrong (each its own wrong answer) or not at all.
        faulty.push(computeWorkers[3]);
        faulty.push(computeWorkers[4]);
        // A small capacity (one unit a block per 100 VGD: a target of 25 executions a block), so that the live price
        // moves: tasks pay load premiums, and random caps meet `FeeBelowQuote`.
        vm.prank(admin);
        models.setLoadParams(IModelRegistry.LoadParams(address(escrow), 1));
        handler = new EscrowHandler(escrow, token, requester, challenger, exactModel, faulty);
        vm.prank(requester);
        token.approve(address(escrow), type(uint256).max);

        accounts = [requester, challenger, treasury, modelOwner];
        for (uint256 i; i < computeWorkers.length; ++i) {
            accounts.push(computeWorkers[i]);
        }
        for (uint256 i; i < verifiers.length; ++i) {
            accounts.push(verifiers[i]);
        }
        targetContract(address(handler));
    }

    /// @notice The handler reaches every path the invariants speak about: settlement, reviews, challenges,
    ///         slashing of the faulty workers (otherwise the invariants could hold vacuously).
    function test_handler_reachesEveryPath() public {
        for (uint256 i; i < 400; ++i) {
            uint256 r = uint256(keccak256(abi.encode(i)));
            uint256 action = (r >> 248) % 8; // the top byte: the low bits draw the inputs
            if (action == 0) {
                // forge-lint: disable-next-line(unsafe-typecast)
                handler.createTask(uint96(r >> 8), uint8(r >> 120), uint96(r >> 128)); // truncation draws inputs
            } else if (action == 1) {
                handler.assign(r >> 8);
            } else if (action == 2) {
                handler.faultyActs(r >> 8);
            } else if (action == 3) {
                handler.challenge(r >> 8);
            } else if (action == 4) {
                handler.warp(r >> 8);
            } else if (action == 5) {
                handler.advance(r >> 8);
            } else if (action == 6) {
                handler.appeal(r >> 8);
            } else {
                handler.claim(r >> 8);
            }
        }
        uint256 settled;
        uint256 reviewed;
        uint256 challenged;
        uint256 appealed;
        for (uint256 i; i < handler.taskCount(); ++i) {
            ITaskEscrow.TaskView memory task = escrow.getTask(handler.taskIds(i));
            settled += task.status == TaskStatus.Settled ? 1 : 0;
            reviewed += task.committeeSize > 0 ? 1 : 0;
            challenged += task.challenger != address(0) ? 1 : 0;
            appealed += task.appealSize > 0 ? 1 : 0;
        }
        assertGt(settled, 5, "tasks settle");
        assertGt(reviewed, 0, "committees review");
        assertGt(challenged, 0, "challenges happen");
        assertGt(appealed, 0, "appeal committees review");
        assertLt(_stake(faulty[0]) + _stake(faulty[1]), 2 * STAKE, "faulty workers are slashed");
        assertGt(handler.ghostClaimed(), 0, "claims pay out");
        assertGt(handler.ghostPremiums(), 0, "the live price charges load premiums");
        assertGt(handler.refusedBelowQuote(), 0, "caps below the quote are refused");
        invariant_escrowBalanceEqualsLockedFeesBondsAndPayouts();
        invariant_honestWorkersAreNeverSlashed();
    }

    /// @notice Escrow solvency: its token balance equals locked fees + bonds + unclaimed payouts + the review fund,
    ///         exactly.
    function invariant_escrowBalanceEqualsLockedFeesBondsAndPayouts() public view {
        uint256 locked;
        for (uint256 i; i < handler.taskCount(); ++i) {
            ITaskEscrow.TaskView memory task = escrow.getTask(handler.taskIds(i));
            if (task.status != TaskStatus.Settled) {
                locked += uint256(task.fee) - task.reserve; // the reserve is in the review fund
            }
            if (task.status < TaskStatus.Finalized) {
                (, uint96 appealBond) = escrow.appealOf(handler.taskIds(i));
                locked += task.bond + appealBond; // bonds are credited when their review resolves
            }
        }
        locked += escrow.reviewFund();
        uint256 payouts;
        for (uint256 i; i < accounts.length; ++i) {
            payouts += escrow.claimable(accounts[i]);
        }
        assertEq(token.balanceOf(address(escrow)), locked + payouts, "balance == fees + bonds + payouts + fund");
        assertEq(escrow.liabilities(), locked + payouts, "liabilities == fees + bonds + payouts + fund");
    }

    /// @notice Load pricing: the live price never falls below the base price, and the excess stays capped.
    function invariant_livePriceStaysWithinItsBounds() public view {
        IModelRegistry.LoadState memory load = models.load(exactModel);
        assertGe(load.price, models.release(exactModel).basePrice, "price >= base price");
        assertLe(load.excess, LoadPricing.MAX_EXCESS, "excess <= its cap");
    }

    /// @notice Stake accounting: the registry holds exactly the active plus unbonding stake.
    function invariant_registryHoldsAllStake() public view {
        uint256 total;
        for (uint256 i; i < computeWorkers.length; ++i) {
            IWorkerRegistry.Worker memory w = workers.getWorker(computeWorkers[i]);
            total += uint256(w.stake) + w.unbonding;
        }
        for (uint256 i; i < verifiers.length; ++i) {
            IWorkerRegistry.Worker memory w = workers.getWorker(verifiers[i]);
            total += uint256(w.stake) + w.unbonding;
        }
        assertEq(token.balanceOf(address(workers)), total);
    }

    /// @notice Stake accounting with locks: every worker's locked stake is exactly the collateral of the open
    ///         seats it holds (compute seats of tasks not yet finalized, committee seats of open reviews), and
    ///         never more than its stake.
    function invariant_lockedStakeBacksExactlyTheOpenSeats() public view {
        address[] memory all = new address[](computeWorkers.length + verifiers.length);
        for (uint256 i; i < computeWorkers.length; ++i) {
            all[i] = computeWorkers[i];
        }
        for (uint256 i; i < verifiers.length; ++i) {
            all[computeWorkers.length + i] = verifiers[i];
        }
        for (uint256 w; w < all.length; ++w) {
            uint256 expected;
            for (uint256 i; i < handler.taskCount(); ++i) {
                expected += _openCollateral(handler.taskIds(i), all[w]);
            }
            IWorkerRegistry.Worker memory record = workers.getWorker(all[w]);
            assertEq(record.locked, expected, "locked == collateral of open seats");
            assertLe(record.locked, record.stake, "locked <= stake");
        }
    }

    /// @dev The collateral `worker` has locked on task `taskId`.
    function _openCollateral(TaskId taskId, address worker) internal view returns (uint256 total) {
        ITaskEscrow.TaskView memory task = escrow.getTask(taskId);
        if (task.status < TaskStatus.Assigned || task.status >= TaskStatus.Finalized) {
            return 0;
        }
        for (uint256 j; j < task.redundancy; ++j) {
            if (_worker(taskId, j) == worker) {
                total += task.seatLock;
            }
        }
        if (task.status == TaskStatus.Reviewing) {
            for (uint256 j; j < 8 + task.appealSize; ++j) {
                if ((j < task.committeeSize || j >= 8) && _member(taskId, j) == worker) {
                    total += escrow.params().minSlash; // both committees hold their locks until the end
                }
            }
        }
    }

    /// @notice The attacker's moves never succeed: no party challenged its own task, and no seated worker
    ///         unbonded its collateral.
    function invariant_attacksAreRefused() public view {
        assertEq(handler.selfChallengesAccepted(), 0, "no self-review");
        assertEq(handler.collateralUnbonded(), 0, "no escape with locked stake");
    }

    /// @notice No task is finalized or settled twice.
    function invariant_noTaskFinalizedOrPaidTwice() public view {
        for (uint256 i; i < handler.taskCount(); ++i) {
            TaskId taskId = handler.taskIds(i);
            assertLe(handler.finalizedCount(taskId), 1, "finalized once");
            assertLe(handler.settledCount(taskId), 1, "settled once");
            if (handler.settledCount(taskId) == 1) {
                assertEq(handler.finalizedCount(taskId), 1, "settled only after finalized");
            }
        }
    }

    /// @notice Workers and verifiers that follow the protocol are never slashed.
    function invariant_honestWorkersAreNeverSlashed() public view {
        for (uint256 i; i < 3; ++i) {
            assertEq(_stake(computeWorkers[i]), STAKE, "honest compute worker");
            assertEq(workers.getWorker(computeWorkers[i]).faults, 0);
        }
        for (uint256 i; i < verifiers.length; ++i) {
            assertEq(_stake(verifiers[i]), STAKE, "honest verifier");
        }
    }

    /// @notice A redundant or deep task's result is the honest answer: non-colluding faulty workers never win.
    /// @dev LIGHT results are optimistic: a wrong one stands unless audited or challenged in the window.
    function invariant_finalResultsAreTrue() public view {
        for (uint256 i; i < handler.taskCount(); ++i) {
            TaskId taskId = handler.taskIds(i);
            bytes32 result = escrow.resultOf(taskId);
            if (result != bytes32(0) && escrow.getTask(taskId).tier != Tier.LIGHT) {
                assertEq(result, handler.truth(taskId), "quorum or committee picked the truth");
            }
        }
    }
}
