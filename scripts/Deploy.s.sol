// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Script, console} from "forge-std/Script.sol";

import {MemoryRegistry} from "../contracts/MemoryRegistry.sol";
import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {TaskEscrow} from "../contracts/TaskEscrow.sol";
import {Token} from "../contracts/Token.sol";
import {TwinRegistry} from "../contracts/TwinRegistry.sol";
import {TwinReputation} from "../contracts/TwinReputation.sol";
import {TwinValidation} from "../contracts/TwinValidation.sol";
import {WorkerRegistry} from "../contracts/WorkerRegistry.sol";
import {IMemoryRegistry} from "../contracts/interfaces/IMemoryRegistry.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {ITaskEscrow} from "../contracts/interfaces/ITaskEscrow.sol";
import {ITwinRegistry} from "../contracts/interfaces/ITwinRegistry.sol";
import {PipeDisputes} from "../contracts/pipe/PipeDisputes.sol";
import {PipeSettlement} from "../contracts/pipe/PipeSettlement.sol";

/// @notice Deploys the on-chain core, PIPE billing, PIPE disputes, MemSync's memory registry and the twins' registries,
///         and writes their addresses to `deployments/<chainId>.json`,
///         the file the worker, the node and the fork suite read.
/// @dev Usage: `forge script scripts/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $KEY`.
///      Optional environment: VERIGRAD_SUPPLY (token wei minted to the deployer), VERIGRAD_TREASURY,
///      VERIGRAD_CHALLENGE_WINDOW / _REVEAL_WINDOW / _VOTE_WINDOW (seconds), VERIGRAD_EPOCH_BLOCKS (the registry's
///      epoch, default 16), VERIGRAD_UNITS_PER_WORKER (load pricing: compute units a block per 100 tokens of COMPUTE
///      stake, default 1 024), VERIGRAD_PIPE_FEE_BPS (PIPE billing's protocol fee, default 500),
///      VERIGRAD_DISPUTE_BOND / _SLASH (token wei, defaults 10 and 100 tokens), VERIGRAD_DISPUTE_TASK_TIME (seconds,
///      default 1 hour), VERIGRAD_MEMORY_SLASH (token wei a false-root report slashes, default 50 tokens, a STORE
///      node's minimum stake), VERIGRAD_TWIN_FEE (token wei, the least a twin's drift check escrows, default 1 token),
///      VERIGRAD_TWIN_TOLERANCE_PPM (default 2 000), VERIGRAD_TWIN_TERMS_DELAY (seconds before a twin's wider drift
///      bound holds, default 2 days), VERIGRAD_DEPLOYMENTS (output path).
contract Deploy is Script {
    /// @notice The deployed addresses.
    struct Deployment {
        Token token;
        WorkerRegistry workerRegistry;
        ModelRegistry modelRegistry;
        TaskEscrow taskEscrow;
        PipeSettlement pipeSettlement;
        PipeDisputes pipeDisputes;
        MemoryRegistry memoryRegistry;
        TwinRegistry twinRegistry;
        TwinReputation twinReputation;
        TwinValidation twinValidation;
    }

    /// @notice Deploys, wires roles, and writes the addresses file.
    /// @return d The deployment.
    function run() external returns (Deployment memory d) {
        uint256 startBlock = block.number;
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        d = deploy(deployer, vm.envOr("VERIGRAD_SUPPLY", uint256(10_000_000e18)), params(deployer));
        vm.stopBroadcast();
        write(d, deployer, startBlock);
    }

    /// @notice Deploys the core contracts, grants the escrow its slasher role and makes it the model registry's load
    ///         recorder, deploys the memory registry (slasher role too; its false-root bounty and jail are the
    ///         escrow's `bountyBps` and `jailDuration`, its treasury the escrow's), the twins, PIPE billing paying
    ///         protocol fees to the escrow's treasury and recording paid twin calls in the twins' reputation registry,
    ///         and PIPE disputes with the slasher role too.
    /// @param owner Owner of the token, the escrow and the model registry, admin of the worker registry; must be the
    ///        caller (it sets the model registry's load recorder).
    /// @param supply Tokens minted to `owner`.
    /// @param p Escrow parameters.
    /// @return d The deployment.
    function deploy(address owner, uint256 supply, ITaskEscrow.Params memory p) public returns (Deployment memory d) {
        d.token = new Token(owner, supply);
        d.workerRegistry = new WorkerRegistry(address(d.token), owner);
        d.modelRegistry = new ModelRegistry(owner, d.workerRegistry);
        uint256 epochBlocks = vm.envOr("VERIGRAD_EPOCH_BLOCKS", uint256(0));
        if (epochBlocks != 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            d.workerRegistry.setEpochBlocks(uint32(epochBlocks)); // the registry bounds it to 4..256
        }
        d.taskEscrow = new TaskEscrow(d.token, d.workerRegistry, d.modelRegistry, p, owner);
        d.workerRegistry.grantRole(d.workerRegistry.SLASHER_ROLE(), address(d.taskEscrow));
        uint64 unitsPerWorker = SafeCast.toUint64(
            vm.envOr("VERIGRAD_UNITS_PER_WORKER", uint256(d.modelRegistry.DEFAULT_UNITS_PER_WORKER()))
        );
        d.modelRegistry.setLoadParams(IModelRegistry.LoadParams(address(d.taskEscrow), unitsPerWorker));
        IMemoryRegistry.Penalty memory penalty = IMemoryRegistry.Penalty(
            SafeCast.toUint96(vm.envOr("VERIGRAD_MEMORY_SLASH", uint256(50e18))), p.bountyBps, p.jailDuration
        );
        d.memoryRegistry = new MemoryRegistry(d.workerRegistry, owner, p.treasury, penalty);
        d.workerRegistry.grantRole(d.workerRegistry.SLASHER_ROLE(), address(d.memoryRegistry));
        deployTwins(d, owner, p);
        uint16 pipeFeeBps = SafeCast.toUint16(vm.envOr("VERIGRAD_PIPE_FEE_BPS", uint256(500)));
        d.pipeSettlement = new PipeSettlement(d.token, d.modelRegistry, p.treasury, pipeFeeBps, d.twinReputation);
        d.pipeDisputes = new PipeDisputes(
            d.token,
            d.taskEscrow,
            d.workerRegistry,
            d.modelRegistry,
            d.pipeSettlement,
            SafeCast.toUint96(vm.envOr("VERIGRAD_DISPUTE_BOND", uint256(10e18))),
            SafeCast.toUint96(vm.envOr("VERIGRAD_DISPUTE_SLASH", uint256(100e18))),
            SafeCast.toUint40(vm.envOr("VERIGRAD_DISPUTE_TASK_TIME", uint256(1 hours)))
        );
        d.workerRegistry.grantRole(d.workerRegistry.SLASHER_ROLE(), address(d.pipeDisputes));
        d.twinReputation.grantRole(d.twinReputation.PAYER_RECORDER_ROLE(), address(d.pipeSettlement));
    }

    /// @notice Deploys the twin registry (slasher role; its committees sized, locked, windowed and jailed as the
    ///         escrow's, slashes to the escrow's treasury), its validation registry (which records its drift checks)
    ///         and its reputation registry, whose PAYER_RECORDER_ROLE goes to `owner` (the demo's coordinator key;
    ///         grant it to the x402 facilitator's address in production).
    /// @param d The deployment so far; the twins' addresses are written into it.
    /// @param owner Owner of the twin registry, admin of the reputation registry; must be the caller.
    /// @param p Escrow parameters.
    function deployTwins(Deployment memory d, address owner, ITaskEscrow.Params memory p) public {
        ITwinRegistry.CheckParams memory checks = ITwinRegistry.CheckParams({
            memberLock: p.minSlash,
            minFee: SafeCast.toUint96(vm.envOr("VERIGRAD_TWIN_FEE", uint256(1e18))),
            tolerancePpm: SafeCast.toUint32(vm.envOr("VERIGRAD_TWIN_TOLERANCE_PPM", uint256(2_000))),
            committeeSize: p.committeeSize,
            commitWindow: p.voteWindow,
            revealWindow: p.revealWindow,
            termsDelay: SafeCast.toUint40(vm.envOr("VERIGRAD_TWIN_TERMS_DELAY", uint256(2 days))),
            jailDuration: p.jailDuration,
            treasury: p.treasury
        });
        d.twinRegistry = new TwinRegistry(d.workerRegistry, d.modelRegistry, d.memoryRegistry, owner, checks);
        d.workerRegistry.grantRole(d.workerRegistry.SLASHER_ROLE(), address(d.twinRegistry));
        d.twinValidation = new TwinValidation(d.twinRegistry);
        d.twinRegistry.setValidationRegistry(address(d.twinValidation));
        d.twinReputation = new TwinReputation(d.twinRegistry, owner);
        d.twinReputation.grantRole(d.twinReputation.PAYER_RECORDER_ROLE(), owner);
    }

    /// @notice Escrow parameters, with windows overridable from the environment.
    /// @param treasuryDefault Treasury if VERIGRAD_TREASURY is unset.
    /// @return The parameters.
    function params(address treasuryDefault) public view returns (ITaskEscrow.Params memory) {
        return ITaskEscrow.Params({
            challengeWindow: uint40(vm.envOr("VERIGRAD_CHALLENGE_WINDOW", uint256(10 minutes))),
            revealWindow: uint40(vm.envOr("VERIGRAD_REVEAL_WINDOW", uint256(2 minutes))),
            voteWindow: uint40(vm.envOr("VERIGRAD_VOTE_WINDOW", uint256(10 minutes))),
            jailDuration: 1 days,
            protocolFeeBps: 200,
            committeeSize: 3,
            gainBps: 10_000,
            bountyBps: 5_000,
            minSlash: 10e18,
            minChallengeBond: 10e18,
            treasury: vm.envOr("VERIGRAD_TREASURY", treasuryDefault),
            minReviewPay: 0.1e18
        });
    }

    function write(Deployment memory d, address deployer, uint256 startBlock) internal {
        string memory key = "deployment";
        vm.serializeUint(key, "chainId", block.chainid);
        vm.serializeAddress(key, "deployer", deployer);
        vm.serializeAddress(key, "token", address(d.token));
        vm.serializeAddress(key, "workerRegistry", address(d.workerRegistry));
        vm.serializeAddress(key, "modelRegistry", address(d.modelRegistry));
        vm.serializeAddress(key, "taskEscrow", address(d.taskEscrow));
        vm.serializeAddress(key, "pipeSettlement", address(d.pipeSettlement));
        vm.serializeAddress(key, "pipeDisputes", address(d.pipeDisputes));
        vm.serializeAddress(key, "memoryRegistry", address(d.memoryRegistry));
        vm.serializeAddress(key, "twinRegistry", address(d.twinRegistry));
        vm.serializeAddress(key, "twinReputation", address(d.twinReputation));
        vm.serializeAddress(key, "twinValidation", address(d.twinValidation));
        string memory json = vm.serializeUint(key, "startBlock", startBlock);
        string memory path = vm.envOr(
            "VERIGRAD_DEPLOYMENTS",
            string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json")
        );
        vm.createDir(string.concat(vm.projectRoot(), "/deployments"), true);
        vm.writeJson(json, path);
        console.log("deployed; addresses written to", path);
    }
}
