// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Deploy} from "../../scripts/Deploy.s.sol";

/// @notice The deploy script wires the memory registry: the worker registry's slasher role, the escrow's treasury,
///         bounty share and jail, and a STORE node's minimum stake as the penalty.
contract MemoryDeployTest is Test {
    function test_deploy_wiresTheMemoryRegistry() public {
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(address(script), 1_000_000e18, script.params(address(script)));
        assertTrue(d.workerRegistry.hasRole(d.workerRegistry.SLASHER_ROLE(), address(d.memoryRegistry)));
        assertEq(address(d.memoryRegistry.WORKERS()), address(d.workerRegistry));
        assertEq(address(d.memoryRegistry.TOKEN()), address(d.token));
        assertEq(d.memoryRegistry.treasury(), address(script));
        assertEq(d.memoryRegistry.falseRootPenalty().slashAmount, 50e18);
        assertEq(d.memoryRegistry.falseRootPenalty().bountyBps, 5_000);
        assertEq(d.memoryRegistry.falseRootPenalty().jailDuration, 1 days);
        assertTrue(d.memoryRegistry.hasRole(d.memoryRegistry.DEFAULT_ADMIN_ROLE(), address(script)));
    }
}
