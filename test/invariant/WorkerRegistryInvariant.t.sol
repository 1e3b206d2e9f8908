// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
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

    function invariant_drawReturnsDistinctEligibleWorkers() public {
        vm.warp(handler.ghostTime());
        bytes32 model = handler.MODEL();
        address[] memory list = handler.actors();
        uint256 eligible;
        for (uint256 i; i < list.length; ++i) {
            if (workers.isEligible(list[i], model, Roles.COMPUTE)) {
                ++eligible;
            }
        }
        address[] memory drawn = workers.draw(model, Roles.COMPUTE, handler.ghostTime(), 4, new address[](0));
        assertEq(drawn.length, eligible < 4 ? eligible : 4);
        for (uint256 i; i < drawn.length; ++i) {
            assertTrue(workers.isEligible(drawn[i], model, Roles.COMPUTE));
            for (uint256 j; j < i; ++j) {
                assertTrue(drawn[i] != drawn[j]);
            }
        }
    }
}
