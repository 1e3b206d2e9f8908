// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {MemoryFixture} from "../memory/MemoryFixture.sol";
import {MemoryRegistryHandler} from "./MemoryRegistryHandler.sol";

/// @notice MemoryRegistry under random creates, commits, delegate changes, transfers and reports (see the handler):
///         a namespace's latest seq never falls, a committed root is never rewritten, no honest node is ever slashed,
///         and every token slashed goes to the reporter or the treasury.
contract MemoryRegistryInvariantTest is MemoryFixture {
    MemoryRegistryHandler internal handler;
    address internal liar;
    uint256 internal supply;

    function setUp() public override {
        super.setUp();
        MemoryRegistryHandler.Key[] memory actors = new MemoryRegistryHandler.Key[](4);
        actors[0] = MemoryRegistryHandler.Key(owner, ownerKey);
        actors[1] = MemoryRegistryHandler.Key(delegate, delegateKey);
        (address a, uint256 aKey) = makeAddrAndKey("actor 2");
        (address b, uint256 bKey) = makeAddrAndKey("actor 3");
        actors[2] = MemoryRegistryHandler.Key(a, aKey);
        actors[3] = MemoryRegistryHandler.Key(b, bKey);
        MemoryRegistryHandler.Key[] memory honest = new MemoryRegistryHandler.Key[](2);
        honest[0] = MemoryRegistryHandler.Key(nodes[0], nodeKeys[0]);
        honest[1] = MemoryRegistryHandler.Key(nodes[1], nodeKeys[1]);
        uint256 liarKey;
        (liar, liarKey) = makeAddrAndKey("liar");
        _register(liar, Roles.STORE, new ModelId[](0), 10 * PENALTY);
        handler = new MemoryRegistryHandler(
            memory_, reporter, actors, honest, MemoryRegistryHandler.Key(liar, liarKey), _pair(nodes[0], nodes[1])
        );
        supply = token.totalSupply();
        targetContract(address(handler));
    }

    function invariant_latestSeqIsTheHighestCommitted() public view {
        for (uint256 i; i < handler.namespaceCount(); ++i) {
            bytes32 namespace = handler.namespaces(i);
            assertEq(memory_.namespaceInfo(namespace).seq, handler.ghostLatest(namespace));
        }
    }

    function invariant_committedRootsAreNeverRewritten() public view {
        MemoryRegistryHandler.Commit[] memory commits = handler.commits();
        for (uint256 i; i < commits.length; ++i) {
            IMemoryRegistry.Root memory now_ = memory_.rootAt(commits[i].namespace, commits[i].seq);
            assertEq(now_.root, commits[i].root);
            assertEq(now_.committedAt, commits[i].committedAt);
        }
    }

    function invariant_noHonestNodeIsSlashed() public view {
        assertFalse(handler.honestSlashed());
        assertEq(_stake(nodes[0]), NODE_STAKE);
        assertEq(_stake(nodes[1]), NODE_STAKE);
    }

    function invariant_slashedTokensGoToTheReporterAndTheTreasury() public view {
        assertEq(token.balanceOf(address(memory_)), 0);
        assertEq(token.balanceOf(reporter), handler.ghostBounty());
        assertEq(token.balanceOf(treasury), handler.ghostSlashed() - handler.ghostBounty());
        assertEq(token.balanceOf(address(workers)) + handler.ghostSlashed(), 3 * uint256(NODE_STAKE) + 10 * PENALTY);
        assertEq(token.totalSupply(), supply);
    }
}
