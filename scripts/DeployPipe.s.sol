// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console} from "forge-std/Script.sol";

import {Token} from "../contracts/Token.sol";
import {RiskGate} from "../contracts/pipe/examples/RiskGate.sol";
import {VolatilityFeeVault} from "../contracts/pipe/examples/VolatilityFeeVault.sol";

/// @notice Deploys the PIPE example dApps (a fee vault priced by the volatility model, a gate that opens
///         positions by the risk model, and the token the vault holds) and writes their addresses to
///         `deployments/pipe-<chainId>.json`.
/// @dev Usage: `forge script scripts/DeployPipe.s.sol --rpc-url http://127.0.0.1:8645 --broadcast
///      --private-key <key>` against pipe-node. Optional environment: VERIGRAD_VOLATILITY_MODEL and
///      VERIGRAD_RISK_MODEL (package ids as hex), VERIGRAD_MAX_RISK (6 decimals), VERIGRAD_PIPE_DEPLOYMENTS.
contract DeployPipe is Script {
    /// @notice Package id of the shipped `verigrad/volatility` model.
    string public constant VOLATILITY = "0x648ee22ace40e4c738072a7948bcf78afcfd8e9037dac481078bb9a35c79abc7";
    /// @notice Package id of the shipped `verigrad/risk` model.
    string public constant RISK = "0x4b861a6b19eade6edd3c36a6c0451f0f192ef9d16c75ff0f6afab2e1c56cc031";

    /// @notice Deploys the examples from the broadcasting account.
    function run() external {
        string memory volatility = vm.envOr("VERIGRAD_VOLATILITY_MODEL", VOLATILITY);
        string memory risk = vm.envOr("VERIGRAD_RISK_MODEL", RISK);
        int256 maxRisk = vm.envOr("VERIGRAD_MAX_RISK", int256(300_000));
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        Token token = new Token(deployer, 1_000_000e18);
        VolatilityFeeVault vault = new VolatilityFeeVault(token, volatility);
        RiskGate gate = new RiskGate(risk, maxRisk);
        vm.stopBroadcast();

        string memory key = "pipe";
        vm.serializeUint(key, "chainId", block.chainid);
        vm.serializeAddress(key, "token", address(token));
        vm.serializeAddress(key, "volatilityFeeVault", address(vault));
        string memory json = vm.serializeAddress(key, "riskGate", address(gate));
        string memory path = vm.envOr(
            "VERIGRAD_PIPE_DEPLOYMENTS",
            string.concat(vm.projectRoot(), "/deployments/pipe-", vm.toString(block.chainid), ".json")
        );
        vm.createDir(string.concat(vm.projectRoot(), "/deployments"), true);
        vm.writeJson(json, path);
        console.log("PIPE examples deployed; addresses written to", path);
    }
}
