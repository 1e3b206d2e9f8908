// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {ITwinRegistry} from "../../contracts/interfaces/ITwinRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {BindingChange, PendingTerms, TwinBinding} from "../../contracts/types/TwinTypes.sol";
import {TwinFixture} from "./TwinFixture.sol";

/// @notice Identity (ERC-8004's register, metadata, agentURI, wallet), transfer, and the binding with its history and
///         its delayed widening.
contract TwinRegistryTest is TwinFixture {
    // ─── Identity ───────────────────────────────────────────────────────────────────────────────

    function test_register_mintsWithURIAndMetadata() public {
        ITwinRegistry.MetadataEntry[] memory metadata = new ITwinRegistry.MetadataEntry[](2);
        metadata[0] = ITwinRegistry.MetadataEntry("agentName", bytes("analyst"));
        metadata[1] = ITwinRegistry.MetadataEntry("x402", abi.encode(true));
        vm.expectEmit(address(twins));
        emit ITwinRegistry.Registered(2, "ipfs://second", bob);
        vm.expectEmit(address(twins));
        emit ITwinRegistry.MetadataSet(2, "agentName", "agentName", bytes("analyst"));
        vm.prank(bob);
        uint256 id = twins.register("ipfs://second", metadata);
        assertEq(id, 2);
        assertEq(twins.twinCount(), 2);
        assertEq(twins.ownerOf(id), bob);
        assertEq(twins.tokenURI(id), "ipfs://second");
        assertEq(twins.getMetadata(id, "agentName"), bytes("analyst"));
        assertEq(twins.getMetadata(id, "x402"), abi.encode(true));
        assertEq(twins.getAgentWallet(id), bob);
        assertEq(twins.getMetadata(id, "agentWallet"), abi.encodePacked(bob));
    }

    function test_register_withoutURI() public {
        vm.prank(bob);
        uint256 id = twins.register();
        assertEq(twins.tokenURI(id), "");
        assertEq(twins.bindingVersions(id), 0);
    }

    function test_register_revertsIfReservedKey() public {
        ITwinRegistry.MetadataEntry[] memory metadata = new ITwinRegistry.MetadataEntry[](1);
        metadata[0] = ITwinRegistry.MetadataEntry("agentWallet", abi.encodePacked(carol));
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.ReservedMetadataKey.selector, "agentWallet"));
        vm.prank(bob);
        twins.register(URI, metadata);
    }

    function test_setMetadata_setsByOperatorOnly() public {
        vm.prank(owner);
        twins.setMetadata(agentId, "agentName", bytes("twin"));
        assertEq(twins.getMetadata(agentId, "agentName"), bytes("twin"));

        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, agentId, bob));
        vm.prank(bob);
        twins.setMetadata(agentId, "agentName", bytes("mine"));

        vm.prank(owner);
        twins.approve(bob, agentId);
        vm.prank(bob);
        twins.setMetadata(agentId, "agentName", bytes("operated"));
        assertEq(twins.getMetadata(agentId, "agentName"), bytes("operated"));
    }

    function test_setMetadata_revertsIfReservedKey() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.ReservedMetadataKey.selector, "agentWallet"));
        vm.prank(owner);
        twins.setMetadata(agentId, "agentWallet", abi.encodePacked(bob));
    }

    function test_setAgentURI_updatesTokenURI() public {
        vm.expectEmit(address(twins));
        emit ITwinRegistry.URIUpdated(agentId, "https://twin.example/agent.json", owner);
        vm.prank(owner);
        twins.setAgentURI(agentId, "https://twin.example/agent.json");
        assertEq(twins.tokenURI(agentId), "https://twin.example/agent.json");
    }

    function test_setAgentURI_revertsIfNotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, agentId, bob));
        vm.prank(bob);
        twins.setAgentURI(agentId, "https://evil.example");
    }

    function test_setAgentURI_revertsIfUnknownTwin() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.UnknownTwin.selector, 99));
        vm.prank(owner);
        twins.setAgentURI(99, "x");
    }

    function test_transfer_keepsBindingAndMovesControl() public {
        TwinBinding memory before = twins.binding(agentId);
        vm.prank(owner);
        twins.transferFrom(owner, bob, agentId);

        assertEq(twins.ownerOf(agentId), bob);
        TwinBinding memory after_ = twins.binding(agentId);
        assertEq(keccak256(abi.encode(after_)), keccak256(abi.encode(before)));
        assertEq(twins.bindingVersions(agentId), 1);
        assertEq(twins.getAgentWallet(agentId), address(0)); // ERC-8004: the new owner names its own wallet

        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, agentId, owner));
        vm.prank(owner);
        twins.setAgentURI(agentId, "old owner");
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, agentId, owner));
        vm.prank(owner);
        twins.proposeUpgrade(agentId, V2, FEE);

        vm.prank(bob);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND / 2);
        assertEq(twins.binding(agentId).driftBoundPpm, BOUND / 2);
    }

    // ─── Binding ────────────────────────────────────────────────────────────────────────────────

    function test_bind_recordsTheFirstVersion() public view {
        TwinBinding memory b = twins.binding(agentId);
        assertEq(ModelId.unwrap(b.release), ModelId.unwrap(V1));
        assertEq(b.profileHash, PROFILE);
        assertEq(b.memoryNamespace, ns);
        assertEq(b.probeSetHash, PROBES);
        assertEq(b.driftBoundPpm, BOUND);
        assertEq(b.since, block.timestamp);
        assertEq(b.checkId, 0);
        assertTrue(b.change == BindingChange.Bound);
        assertEq(twins.bindingVersions(agentId), 1);
    }

    function test_bind_revertsIfAlreadyBound() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.AlreadyBound.selector, agentId));
        vm.prank(owner);
        twins.bind(agentId, V2, PROFILE, ns, PROBES, BOUND);
    }

    function test_bind_revertsIfNotOperator() public {
        uint256 id = _fresh();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, id, carol));
        vm.prank(carol);
        twins.bind(id, V1, PROFILE, bytes32(0), PROBES, BOUND);
    }

    function test_bind_revertsIfUnknownTwin() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.UnknownTwin.selector, 42));
        vm.prank(owner);
        twins.bind(42, V1, PROFILE, ns, PROBES, BOUND);
    }

    function test_bind_revertsIfUnknownRelease() public {
        uint256 id = _fresh();
        ModelId unknown = ModelId.wrap(keccak256("no such release"));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, unknown));
        vm.prank(bob);
        twins.bind(id, unknown, PROFILE, bytes32(0), PROBES, BOUND);
    }

    function test_bind_revertsIfDeprecatedRelease() public {
        uint256 id = _fresh();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.ReleaseDeprecated.selector, V3));
        vm.prank(bob);
        twins.bind(id, V3, PROFILE, bytes32(0), PROBES, BOUND);
    }

    function test_bind_revertsIfSomeoneElsesNamespace() public {
        uint256 id = _fresh();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NamespaceNotOwned.selector, ns, owner));
        vm.prank(bob);
        twins.bind(id, V1, PROFILE, ns, PROBES, BOUND);
    }

    function test_bind_revertsIfUnknownNamespace() public {
        uint256 id = _fresh();
        bytes32 unknown = keccak256("nobody's namespace");
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.UnknownNamespace.selector, unknown));
        vm.prank(bob);
        twins.bind(id, V1, PROFILE, unknown, PROBES, BOUND);
    }

    function test_bind_revertsIfEmptyTerms() public {
        uint256 id = _fresh();
        vm.expectRevert(ITwinRegistry.EmptyTerms.selector);
        vm.prank(bob);
        twins.bind(id, V1, PROFILE, bytes32(0), bytes32(0), BOUND);
    }

    function test_binding_revertsIfNotBound() public {
        uint256 id = _fresh();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotBound.selector, id));
        twins.binding(id);
    }

    function test_bindingAt_keepsEveryVersion() public {
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND - 1); // v1: narrower bound
        vm.prank(owner);
        twins.setMemoryNamespace(agentId, bytes32(0)); // v2: no memory
        vm.prank(owner);
        twins.proposeTerms(agentId, keccak256("profile 2"), PROBES, BOUND - 1); // queued
        skip(TERMS_DELAY);
        twins.applyTerms(agentId); // v3: new profile, applied by anyone

        assertEq(twins.bindingVersions(agentId), 4);
        assertTrue(twins.bindingAt(agentId, 0).change == BindingChange.Bound);
        assertEq(twins.bindingAt(agentId, 0).driftBoundPpm, BOUND);
        assertTrue(twins.bindingAt(agentId, 1).change == BindingChange.Terms);
        assertEq(twins.bindingAt(agentId, 1).driftBoundPpm, BOUND - 1);
        assertTrue(twins.bindingAt(agentId, 2).change == BindingChange.Memory);
        assertEq(twins.bindingAt(agentId, 2).memoryNamespace, bytes32(0));
        assertEq(twins.bindingAt(agentId, 1).memoryNamespace, ns);
        assertEq(twins.bindingAt(agentId, 3).profileHash, keccak256("profile 2"));
        assertEq(twins.bindingAt(agentId, 2).profileHash, PROFILE);
        assertEq(keccak256(abi.encode(twins.binding(agentId))), keccak256(abi.encode(twins.bindingAt(agentId, 3))));
    }

    function test_setMemoryNamespace_revertsIfNotOwned() public {
        vm.prank(bob);
        bytes32 bobs = memory_.createNamespace("bob's", replicas);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NamespaceNotOwned.selector, bobs, bob));
        vm.prank(owner);
        twins.setMemoryNamespace(agentId, bobs);
    }

    // ─── Terms: narrowing at once, widening after the delay ────────────────────────────────────

    function test_proposeTerms_narrowsAtOnce() public {
        vm.expectEmit(address(twins));
        emit ITwinRegistry.BindingChanged(
            agentId, 1, TwinBinding(V1, PROFILE, ns, PROBES, BOUND / 2, uint40(block.timestamp), 0, BindingChange.Terms)
        );
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND / 2);
        assertEq(twins.binding(agentId).driftBoundPpm, BOUND / 2);
        assertEq(twins.queuedTerms(agentId).effectiveAt, 0);
    }

    function test_proposeTerms_queuesAWiderBound() public {
        PendingTerms memory expected = PendingTerms(PROFILE, PROBES, BOUND * 2, uint40(block.timestamp) + TERMS_DELAY);
        vm.expectEmit(address(twins));
        emit ITwinRegistry.TermsQueued(agentId, expected);
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND * 2);
        assertEq(twins.binding(agentId).driftBoundPpm, BOUND); // unchanged until applied
        assertEq(keccak256(abi.encode(twins.queuedTerms(agentId))), keccak256(abi.encode(expected)));
    }

    function test_applyTerms_revertsIfBeforeTheDelay() public {
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND * 2);
        uint40 effectiveAt = uint40(block.timestamp) + TERMS_DELAY;
        skip(TERMS_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TermsNotEffective.selector, agentId, effectiveAt));
        twins.applyTerms(agentId);
        skip(1);
        twins.applyTerms(agentId);
        assertEq(twins.binding(agentId).driftBoundPpm, BOUND * 2);
        assertEq(twins.queuedTerms(agentId).effectiveAt, 0);
    }

    function test_applyTerms_revertsIfNothingQueued() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NoQueuedTerms.selector, agentId));
        twins.applyTerms(agentId);
    }

    function test_proposeTerms_queuesANewProbeSet() public {
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, keccak256("easier probes"), BOUND);
        assertEq(twins.binding(agentId).probeSetHash, PROBES);
        assertEq(twins.queuedTerms(agentId).probeSetHash, keccak256("easier probes"));
    }

    function test_proposeTerms_narrowingDropsAQueuedWidening() public {
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND * 10);
        vm.expectEmit(address(twins));
        emit ITwinRegistry.QueuedTermsDropped(agentId);
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND);
        assertEq(twins.bindingVersions(agentId), 1); // the same bound: no new version
        skip(TERMS_DELAY);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NoQueuedTerms.selector, agentId));
        twins.applyTerms(agentId);
    }

    function test_proposeTerms_revertsIfNotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.NotTwinOperator.selector, agentId, bob));
        vm.prank(bob);
        twins.proposeTerms(agentId, PROFILE, PROBES, 0);
    }

    function test_proposeTerms_revertsIfCheckOpen() public {
        uint256 checkId = _propose();
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.CheckOpen.selector, agentId, checkId));
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, BOUND * 2);
    }

    function _fresh() internal returns (uint256 id) {
        vm.prank(bob);
        id = twins.register(URI);
    }
}
