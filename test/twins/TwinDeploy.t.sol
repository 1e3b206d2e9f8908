// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {ITwinRegistry} from "../../contracts/interfaces/ITwinRegistry.sol";
import {Deploy} from "../../scripts/Deploy.s.sol";

/// @notice The deploy script wires the twins: the worker registry's slasher role, the escrow's committee terms and
///         treasury, the validation registry that records checks, and the reputation registry's payer recorders (the deployer, PIPE's
///         settlement).
contract TwinDeployTest is Test {
    function test_deploy_wiresTheTwins() public {
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(address(script), 1_000_000e18, script.params(address(script)));
        assertTrue(d.workerRegistry.hasRole(d.workerRegistry.SLASHER_ROLE(), address(d.twinRegistry)));
        assertEq(address(d.twinRegistry.WORKERS()), address(d.workerRegistry));
        assertEq(address(d.twinRegistry.MODELS()), address(d.modelRegistry));
        assertEq(address(d.twinRegistry.MEMORY()), address(d.memoryRegistry));
        assertEq(address(d.twinRegistry.TOKEN()), address(d.token));
        assertEq(d.twinRegistry.owner(), address(script));
        assertEq(d.twinRegistry.validationRegistry(), address(d.twinValidation));
        assertEq(d.twinValidation.getIdentityRegistry(), address(d.twinRegistry));
        assertEq(d.twinReputation.getIdentityRegistry(), address(d.twinRegistry));
        assertTrue(d.twinReputation.hasRole(d.twinReputation.PAYER_RECORDER_ROLE(), address(script)));
        assertTrue(d.twinReputation.hasRole(d.twinReputation.PAYER_RECORDER_ROLE(), address(d.pipeSettlement)));
        assertEq(address(d.pipeSettlement.TWIN_REPUTATION()), address(d.twinReputation));
        ITwinRegistry.CheckParams memory p = d.twinRegistry.checkParams();
        assertEq(p.memberLock, 10e18);
        assertEq(p.minFee, 1e18);
        assertEq(p.tolerancePpm, 2_000);
        assertEq(p.committeeSize, 3);
        assertEq(p.termsDelay, 2 days);
        assertEq(p.treasury, address(script));
        // The addresses the earlier contracts had are unchanged: the twins are deployed after them.
        assertTrue(address(d.memoryRegistry) != address(0));
    }
}
