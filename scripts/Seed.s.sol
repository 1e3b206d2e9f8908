// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console} from "forge-std/Script.sol";

import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {Token} from "../contracts/Token.sol";
import {WorkerRegistry} from "../contracts/WorkerRegistry.sol";
import {DeterminismClass, RiskClass} from "../contracts/types/ModelTypes.sol";
import {Roles} from "../contracts/types/Roles.sol";

/// @notice Seeds a fresh local deployment for the demo: publishes a model release, registers and stakes
///         compute workers and verifiers, and funds the actors. Uses anvil's default mnemonic (dev keys only).
/// @dev Accounts (mnemonic index): 0 deployer/requester, 1–4 compute, 5–7 verify, 8 model owner, 9 challenger.
///      Usage: `forge script scripts/Seed.s.sol --rpc-url $RPC --broadcast` after Deploy.s.sol.
contract Seed is Script {
    string internal constant DEV_MNEMONIC = "test test test test test test test test test test test junk";
    uint96 internal constant STAKE = 1_000e18;
    /// @notice Content hash of the demo model release (issue 3 replaces it with a real package's hash).
    bytes32 public constant DEMO_RELEASE = keccak256("verigrad demo package: volatility 0.1.0");

    function run() external {
        string memory json = vm.readFile(
            vm.envOr(
                "VERIGRAD_DEPLOYMENTS",
                string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json")
            )
        );
        Token token = Token(vm.parseJsonAddress(json, ".token"));
        WorkerRegistry workers = WorkerRegistry(vm.parseJsonAddress(json, ".workerRegistry"));
        ModelRegistry models = ModelRegistry(vm.parseJsonAddress(json, ".modelRegistry"));

        uint256 deployer = _key(0);
        uint256 owner = _key(8);
        vm.startBroadcast(owner);
        bytes32 repo = models.createRepository("verigrad/volatility");
        models.publishRelease(repo, DEMO_RELEASE, "0.1.0", DeterminismClass.EXACT, 0, RiskClass.LOW, 1e18, 500);
        vm.stopBroadcast();

        vm.startBroadcast(deployer);
        for (uint256 i = 1; i <= 7; ++i) {
            require(token.transfer(vm.addr(_key(i)), STAKE), "transfer failed");
        }
        require(token.transfer(vm.addr(_key(9)), 100e18), "transfer failed");
        vm.stopBroadcast();

        bytes32[] memory served = new bytes32[](1);
        served[0] = DEMO_RELEASE;
        for (uint256 i = 1; i <= 7; ++i) {
            uint8 roles = i <= 4 ? Roles.COMPUTE : Roles.VERIFY;
            vm.startBroadcast(_key(i));
            token.approve(address(workers), STAKE);
            workers.register(roles, string.concat("http://127.0.0.1:", vm.toString(9000 + i)), served, STAKE);
            vm.stopBroadcast();
        }
        console.log("seeded: 4 compute workers, 3 verifiers, release");
        console.logBytes32(DEMO_RELEASE);
    }

    function _key(uint256 index) internal pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return vm.deriveKey(DEV_MNEMONIC, uint32(index)); // indexes 0..9
    }
}
