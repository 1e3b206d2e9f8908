// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {RegistryFixtures} from "../utils/RegistryFixtures.sol";
import {WorkerRegistryHandler} from "./WorkerRegistryHandler.sol";

contract WorkerRegistryInvariantTest is RegistryFixtures {
    WorkerRegistryHandler internal handler;

    function setUp() public override {
        super.setUp();
        // A short delay lets withdrawals happen within one run.
        vm.prank(admin);
        workers.setUnbondingDelay(1 days);
        handler = new WorkerRegistryHandler(workers, token, slasher);
        targetContract(address(handler));
    }

    function invariant_balanceEqualsStakePlusUnbonding() public view {
        address[] memory list = handler.actors();
        uint256 sum;
        for (uint256 i; i < list.length; ++i) {
            IWorkerRegistry.Worker memory w = workers.getWorker(list[i]);
            sum += uint256(w.stake) + w.unbonding;
        }
        assertEq(token.balanceOf(address(workers)), sum);
    }

    function invariant_balanceEqualsGhostFlows() public view {
        assertEq(
            token.balanceOf(address(workers)),
            handler.ghostDeposited() - handler.ghostWithdrawn() - handler.ghostSlashed()
        );
        assertEq(token.balanceOf(slasher), handler.ghostSlashed());
    }

    function invariant_roleCountMatchesRegisteredWorkers() public view {
        address[] memory list = handler.actors();
        for (uint8 role = 1; role <= Roles.STORE; role <<= 1) {
            uint256 holders;
            for (uint256 i; i < list.length; ++i) {
                IWorkerRegistry.Worker memory w = workers.getWorker(list[i]);
                if (w.registered && w.roles & role != 0) {
                    ++holders;
                }
            }
            assertEq(workers.roleCount(role), holders);
        }
    }

    function invariant_lockedWithinStake() public view {
        address[] memory list = handler.actors();
        for (uint256 i; i < list.length; ++i) {
            IWorkerRegistry.Worker memory w = workers.getWorker(list[i]);
            assertLe(w.locked, w.stake);
            assertEq(workers.freeStake(list[i]), w.stake - w.locked);
        }
    }

    function invariant_drawWeightEqualsTheWeightsInForce() public {
        vm.roll(handler.ghostBlock());
        ModelId model = handler.MODEL();
        for (uint8 role = 1; role <= Roles.STORE; role <<= 1) {
            assertEq(workers.drawWeight(model, role), handler.weightInForce(role), "this epoch");
        }
        // From the next epoch on, the tree holds each worker's current stake where it serves in the role.
        uint256 blocks = workers.epochBlocks();
        vm.roll((block.number / blocks + 1) * blocks);
        for (uint8 role = 1; role <= Roles.STORE; role <<= 1) {
            assertEq(workers.drawWeight(model, role), handler.weightLive(role), "next epoch");
        }
    }

    function invariant_drawsKeepTheirPromises() public view {
        assertEq(handler.ghostDrawFaults(), 0);
    }

    function invariant_fullDrawReturnsEveryEligibleWorker() public {
        vm.warp(handler.ghostTime());
        vm.roll(handler.ghostBlock());
        ModelId model = handler.MODEL();
        address[] memory list = handler.actors();
        uint256 seed = handler.ghostBlock();
        for (uint8 role = 1; role <= Roles.STORE; role <<= 1) {
            // With count >= the number of leaves every leaf gets a pick, so the descent must reach each eligible
            // worker exactly once, whatever the tree's sums.
            vm.prank(slasher);
            address[] memory drawn = workers.drawAndLock(model, role, seed, list.length, _none(), 0);
            uint256 eligible;
            for (uint256 i; i < list.length; ++i) {
                if (workers.isEligible(list[i], model, role)) {
                    ++eligible;
                }
            }
            assertEq(drawn.length, eligible);
            for (uint256 i; i < drawn.length; ++i) {
                assertTrue(workers.isEligible(drawn[i], model, role));
                for (uint256 j; j < i; ++j) {
                    assertTrue(drawn[i] != drawn[j]);
                }
            }
        }
    }
}
