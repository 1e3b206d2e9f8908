// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {MemoryRegistry} from "../../contracts/MemoryRegistry.sol";
import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {MockERC1271Wallet} from "../mocks/MockERC1271Wallet.sol";
import {MemoryFixture} from "./MemoryFixture.sol";

/// @notice Every function of MemoryRegistry and each of its reverts.
contract MemoryRegistryTest is MemoryFixture {
    bytes32 internal constant ROOT = keccak256("root 1");
    bytes32 internal constant OTHER_LABEL = keccak256("other label");
    bytes32 internal constant NOBODYS = keccak256("a namespace nobody created");

    // ─── constructor and admin ───────────────────────────────────────────────────────────────

    function test_constructor_revertsIfUnset() public {
        IMemoryRegistry.Penalty memory p = IMemoryRegistry.Penalty(PENALTY, BOUNTY_BPS, JAIL);
        vm.expectRevert(IMemoryRegistry.UnsetAddress.selector);
        new MemoryRegistry(IWorkerRegistry(address(0)), admin, treasury, p);
        vm.expectRevert(IMemoryRegistry.UnsetAddress.selector);
        new MemoryRegistry(workers, admin, address(0), p);
    }

    function test_constructor_revertsIfPenaltyInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidPenalty.selector, uint16(5_001), JAIL));
        new MemoryRegistry(workers, admin, treasury, IMemoryRegistry.Penalty(PENALTY, 5_001, JAIL));
    }

    function test_constructor_setsTheParameters() public view {
        IMemoryRegistry.Penalty memory p = memory_.falseRootPenalty();
        assertEq(p.slashAmount, PENALTY);
        assertEq(p.bountyBps, BOUNTY_BPS);
        assertEq(p.jailDuration, JAIL);
        assertEq(memory_.treasury(), treasury);
        assertEq(address(memory_.TOKEN()), address(token));
        assertTrue(memory_.hasRole(memory_.DEFAULT_ADMIN_ROLE(), admin));
    }

    function test_setFalseRootPenalty_setsAndEmits() public {
        IMemoryRegistry.Penalty memory p = IMemoryRegistry.Penalty(1e18, 1_000, 0);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.FalseRootPenaltySet(p);
        vm.prank(admin);
        memory_.setFalseRootPenalty(p);
        assertEq(memory_.falseRootPenalty().slashAmount, 1e18);
        assertEq(memory_.falseRootPenalty().bountyBps, 1_000);
        assertEq(memory_.falseRootPenalty().jailDuration, 0);
    }

    function test_setFalseRootPenalty_revertsIfJailTooLong() public {
        uint40 tooLong = memory_.MAX_JAIL_DURATION() + 1;
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidPenalty.selector, BOUNTY_BPS, tooLong));
        vm.prank(admin);
        memory_.setFalseRootPenalty(IMemoryRegistry.Penalty(PENALTY, BOUNTY_BPS, tooLong));
    }

    function test_setFalseRootPenalty_revertsIfNotAdmin() public {
        bytes32 role = memory_.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, owner, role));
        vm.prank(owner);
        memory_.setFalseRootPenalty(IMemoryRegistry.Penalty(0, 0, 0));
    }

    function test_setTreasury_setsAndEmits() public {
        address next = makeAddr("next treasury");
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.TreasurySet(next);
        vm.prank(admin);
        memory_.setTreasury(next);
        assertEq(memory_.treasury(), next);
    }

    function test_setTreasury_revertsIfZeroOrNotAdmin() public {
        vm.expectRevert(IMemoryRegistry.UnsetAddress.selector);
        vm.prank(admin);
        memory_.setTreasury(address(0));
        bytes32 role = memory_.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, owner, role));
        vm.prank(owner);
        memory_.setTreasury(owner);
    }

    // ─── createNamespace ─────────────────────────────────────────────────────────────────────

    function test_createNamespace_storesTheNamespaceAndEmptyRoot() public {
        address[] memory replicas = _pair(nodes[1], nodes[2]);
        bytes32 expected = keccak256(abi.encode(alice, OTHER_LABEL));
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.NamespaceCreated(expected, alice, OTHER_LABEL, replicas);
        vm.prank(alice);
        bytes32 created = memory_.createNamespace(OTHER_LABEL, replicas);
        assertEq(created, expected);

        IMemoryRegistry.NamespaceInfo memory info = memory_.namespaceInfo(created);
        assertEq(info.owner, alice);
        assertEq(info.seq, 0);
        assertEq(info.root, bytes32(0));
        assertEq(info.count, 0);
        assertEq(info.epoch, 1);
        assertEq(info.replicas, replicas);
        IMemoryRegistry.Root memory genesis = memory_.rootAt(created, 0);
        assertEq(genesis.root, bytes32(0));
        assertEq(genesis.committedAt, block.number);
        assertTrue(memory_.isAuthorized(created, alice));
        assertTrue(memory_.isReplica(created, nodes[2]));
        assertFalse(memory_.isReplica(created, nodes[0]));
    }

    function test_createNamespace_revertsIfExists() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NamespaceExists.selector, ns));
        vm.prank(owner);
        memory_.createNamespace(LABEL, _pair(nodes[1], nodes[2]));
    }

    function test_createNamespace_sameLabelOtherOwnerIsAnotherNamespace() public {
        vm.prank(alice);
        bytes32 other = memory_.createNamespace(LABEL, _pair(nodes[0], nodes[1]));
        assertTrue(other != ns);
        assertFalse(memory_.isAuthorized(other, owner));
    }

    function test_createNamespace_revertsIfReplicaCountInvalid() public {
        address[] memory one = new address[](1);
        one[0] = nodes[0];
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidReplicaCount.selector, 1));
        memory_.createNamespace("x", one);

        address[] memory many = new address[](17);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidReplicaCount.selector, 17));
        memory_.createNamespace("x", many);
    }

    function test_createNamespace_revertsIfReplicaDuplicated() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.DuplicateReplica.selector, nodes[0]));
        memory_.createNamespace("x", _pair(nodes[0], nodes[0]));
    }

    function test_createNamespace_revertsIfReplicaNotStoreNode() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotStoreNode.selector, bob));
        memory_.createNamespace("x", _pair(nodes[0], bob));

        _register(carol, Roles.COMPUTE, new ModelId[](0), MIN_COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotStoreNode.selector, carol));
        memory_.createNamespace("x", _pair(carol, nodes[0]));
    }

    // ─── setDelegate, setReplicas, transferNamespace ─────────────────────────────────────────

    function test_setDelegate_grantsAndRevokes() public {
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.DelegateSet(ns, 1, delegate, true);
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        assertTrue(memory_.isAuthorized(ns, delegate));

        vm.prank(owner);
        memory_.setDelegate(ns, delegate, false);
        assertFalse(memory_.isAuthorized(ns, delegate));
    }

    function test_setDelegate_revertsIfNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotNamespaceOwner.selector, ns, delegate));
        vm.prank(delegate);
        memory_.setDelegate(ns, delegate, true);
    }

    function test_setDelegate_revertsIfUnknownNamespace() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.UnknownNamespace.selector, NOBODYS));
        vm.prank(owner);
        memory_.setDelegate(NOBODYS, delegate, true);
    }

    function test_setDelegate_revertsIfZero() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidAccount.selector, address(0)));
        vm.prank(owner);
        memory_.setDelegate(ns, address(0), true);
    }

    function test_setReplicas_replacesTheSet() public {
        address[] memory next = new address[](3);
        (next[0], next[1], next[2]) = (nodes[2], nodes[1], nodes[0]);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.ReplicasSet(ns, next);
        vm.prank(owner);
        memory_.setReplicas(ns, next);
        assertEq(memory_.namespaceInfo(ns).replicas, next);
        assertTrue(memory_.isReplica(ns, nodes[2]));
    }

    function test_setReplicas_revertsIfNotOwnerOrInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotNamespaceOwner.selector, ns, delegate));
        vm.prank(delegate);
        memory_.setReplicas(ns, _pair(nodes[1], nodes[2]));

        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.DuplicateReplica.selector, nodes[2]));
        vm.prank(owner);
        memory_.setReplicas(ns, _pair(nodes[2], nodes[2]));

        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotStoreNode.selector, alice));
        vm.prank(owner);
        memory_.setReplicas(ns, _pair(nodes[2], alice));
    }

    function test_transferNamespace_movesOwnershipAndClearsDelegates() public {
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.NamespaceTransferred(ns, owner, alice, 2);
        vm.prank(owner);
        memory_.transferNamespace(ns, alice);

        IMemoryRegistry.NamespaceInfo memory info = memory_.namespaceInfo(ns);
        assertEq(info.owner, alice);
        assertEq(info.epoch, 2);
        assertFalse(memory_.isAuthorized(ns, owner));
        assertFalse(memory_.isAuthorized(ns, delegate));
        assertTrue(memory_.isAuthorized(ns, alice));
    }

    function test_transferNamespace_revertsIfNotOwnerOrZero() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotNamespaceOwner.selector, ns, alice));
        vm.prank(alice);
        memory_.transferNamespace(ns, alice);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidAccount.selector, address(0)));
        vm.prank(owner);
        memory_.transferNamespace(ns, address(0));
    }

    // ─── commitRoot ──────────────────────────────────────────────────────────────────────────

    function test_commitRoot_relaysTheOwnersSignature() public {
        bytes memory signature = _signUpdate(ownerKey, ns, 1, ROOT, 3, block.timestamp);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.RootCommitted(ns, 1, ROOT, 3, owner);
        vm.prank(alice);
        memory_.commitRoot(ns, 1, ROOT, 3, block.timestamp, signature);
        vm.snapshotGasLastCall("MemoryRegistry", "commitRoot (relayed)");

        IMemoryRegistry.NamespaceInfo memory info = memory_.namespaceInfo(ns);
        assertEq(info.seq, 1);
        assertEq(info.root, ROOT);
        assertEq(info.count, 3);
        IMemoryRegistry.Root memory committed = memory_.rootAt(ns, 1);
        assertEq(committed.root, ROOT);
        assertEq(committed.count, 3);
        assertEq(committed.committedAt, block.number);
    }

    function test_commitRoot_acceptsADelegatesSignature() public {
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        bytes memory signature = _signUpdate(delegateKey, ns, 5, ROOT, 1, block.timestamp);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.RootCommitted(ns, 5, ROOT, 1, delegate);
        memory_.commitRoot(ns, 5, ROOT, 1, block.timestamp, signature);
        assertEq(memory_.namespaceInfo(ns).seq, 5);
        // Seqs skipped over stay empty.
        assertEq(memory_.rootAt(ns, 3).committedAt, 0);
    }

    function test_commitRoot_acceptsADirectCall() public {
        vm.prank(owner);
        memory_.commitRoot(ns, 1, ROOT, 1, block.timestamp, "");
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.RootCommitted(ns, 2, ROOT, 2, delegate);
        vm.prank(delegate);
        memory_.commitRoot(ns, 2, ROOT, 2, block.timestamp, "");
    }

    function test_commitRoot_acceptsAnERC1271Owner() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(alice);
        (, uint256 aliceKey) = makeAddrAndKey("alice");
        vm.prank(address(wallet));
        bytes32 walletNs = memory_.createNamespace(LABEL, _pair(nodes[0], nodes[1]));
        bytes memory signature = _signUpdate(aliceKey, walletNs, 1, ROOT, 1, block.timestamp);
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.RootCommitted(walletNs, 1, ROOT, 1, address(wallet));
        memory_.commitRoot(walletNs, 1, ROOT, 1, block.timestamp, signature);
    }

    function test_commitRoot_revertsIfUnknownNamespace() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.UnknownNamespace.selector, NOBODYS));
        memory_.commitRoot(NOBODYS, 1, ROOT, 1, block.timestamp, "");
    }

    function test_commitRoot_revertsIfExpired() public {
        uint256 deadline = block.timestamp;
        bytes memory signature = _signUpdate(ownerKey, ns, 1, ROOT, 1, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.UpdateExpired.selector, deadline));
        memory_.commitRoot(ns, 1, ROOT, 1, deadline, signature);
    }

    function test_commitRoot_revertsIfSequenceNotAbove() public {
        _commit(4, ROOT, 1);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, uint64(4)));
        vm.prank(owner);
        memory_.commitRoot(ns, 4, ROOT, 1, block.timestamp, "");
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, uint64(4)));
        vm.prank(owner);
        memory_.commitRoot(ns, 2, ROOT, 1, block.timestamp, "");
    }

    function test_commitRoot_revertsIfSeqZero() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, uint64(0)));
        vm.prank(owner);
        memory_.commitRoot(ns, 0, ROOT, 1, block.timestamp, "");
    }

    function test_commitRoot_revertsIfSignerNotAuthorized() public {
        (address stranger, uint256 strangerKey) = makeAddrAndKey("stranger");
        bytes memory signature = _signUpdate(strangerKey, ns, 1, ROOT, 1, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, stranger));
        memory_.commitRoot(ns, 1, ROOT, 1, block.timestamp, signature);

        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, stranger));
        vm.prank(stranger);
        memory_.commitRoot(ns, 1, ROOT, 1, block.timestamp, "");
    }

    function test_commitRoot_revertsIfSignatureMalformed() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, address(0)));
        memory_.commitRoot(ns, 1, ROOT, 1, block.timestamp, hex"1234");
    }

    function test_commitRoot_revertsIfSignedFieldsDiffer() public {
        bytes memory signature = _signUpdate(ownerKey, ns, 1, ROOT, 1, block.timestamp);
        vm.expectPartialRevert(IMemoryRegistry.NotAuthorized.selector);
        memory_.commitRoot(ns, 1, ROOT, 2, block.timestamp, signature);
    }

    // ─── reportFalseRoot ─────────────────────────────────────────────────────────────────────

    function test_reportFalseRoot_slashesJailsAndPays() public {
        _commit(1, ROOT, 1);
        bytes32 lie = keccak256("not the root");
        bytes memory attestation = _signServed(nodeKeys[0], ns, 1, lie);
        uint256 half = uint256(PENALTY) * BOUNTY_BPS / 10_000;
        vm.expectEmit(address(memory_));
        emit IMemoryRegistry.FalseRootReported(ns, 1, nodes[0], lie, reporter, PENALTY, half);
        vm.prank(reporter);
        (uint256 slashed, uint256 bounty) = memory_.reportFalseRoot(ns, 1, lie, nodes[0], attestation);
        vm.snapshotGasLastCall("MemoryRegistry", "reportFalseRoot");

        assertEq(slashed, PENALTY);
        assertEq(bounty, half);
        assertEq(token.balanceOf(reporter), half);
        assertEq(token.balanceOf(treasury), PENALTY - half);
        assertEq(token.balanceOf(address(memory_)), 0);
        assertEq(_stake(nodes[0]), NODE_STAKE - PENALTY);
        assertEq(workers.getWorker(nodes[0]).jailedUntil, block.timestamp + JAIL);
        assertTrue(memory_.reported(nodes[0], ns, 1, lie));
    }

    function test_reportFalseRoot_slashesAnAttestationOfTheGenesisSeq() public {
        bytes32 lie = keccak256("memories nobody wrote");
        bytes memory attestation = _signServed(nodeKeys[1], ns, 0, lie);
        memory_.reportFalseRoot(ns, 0, lie, nodes[1], attestation);
        assertEq(_stake(nodes[1]), NODE_STAKE - PENALTY);
    }

    function test_reportFalseRoot_takesOnlyWhatTheNodeHas() public {
        _commit(1, ROOT, 1);
        vm.prank(admin);
        memory_.setFalseRootPenalty(IMemoryRegistry.Penalty(1_000e18, BOUNTY_BPS, 0));
        bytes32 lie = keccak256("lie");
        (uint256 slashed,) = memory_.reportFalseRoot(ns, 1, lie, nodes[2], _signServed(nodeKeys[2], ns, 1, lie));
        assertEq(slashed, NODE_STAKE);
        assertEq(workers.getWorker(nodes[2]).jailedUntil, 0);
    }

    function test_reportFalseRoot_acceptsAnERC1271Node() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(alice);
        (, uint256 aliceKey) = makeAddrAndKey("alice");
        _register(address(wallet), Roles.STORE, new ModelId[](0), NODE_STAKE);
        _commit(1, ROOT, 1);
        bytes32 lie = keccak256("lie");
        memory_.reportFalseRoot(ns, 1, lie, address(wallet), _signServed(aliceKey, ns, 1, lie));
        assertEq(_stake(address(wallet)), NODE_STAKE - PENALTY);
    }

    function test_reportFalseRoot_revertsIfSeqNotCommitted() public {
        _commit(3, ROOT, 1);
        bytes32 lie = keccak256("lie");
        bytes memory gap = _signServed(nodeKeys[0], ns, 2, lie);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NoRootAt.selector, ns, uint64(2)));
        memory_.reportFalseRoot(ns, 2, lie, nodes[0], gap);
        bytes memory ahead = _signServed(nodeKeys[0], ns, 4, lie);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NoRootAt.selector, ns, uint64(4)));
        memory_.reportFalseRoot(ns, 4, lie, nodes[0], ahead);
    }

    function test_reportFalseRoot_revertsIfRootMatches() public {
        _commit(1, ROOT, 1);
        bytes memory attestation = _signServed(nodeKeys[0], ns, 1, ROOT);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.RootMatches.selector, ns, uint64(1)));
        memory_.reportFalseRoot(ns, 1, ROOT, nodes[0], attestation);
    }

    function test_reportFalseRoot_revertsIfNotTheNodesSignature() public {
        _commit(1, ROOT, 1);
        bytes32 lie = keccak256("lie");
        bytes memory byOther = _signServed(nodeKeys[1], ns, 1, lie);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidAttestation.selector, nodes[0]));
        memory_.reportFalseRoot(ns, 1, lie, nodes[0], byOther);
    }

    function test_reportFalseRoot_revertsIfReportedTwice() public {
        _commit(1, ROOT, 1);
        bytes32 lie = keccak256("lie");
        bytes memory attestation = _signServed(nodeKeys[0], ns, 1, lie);
        memory_.reportFalseRoot(ns, 1, lie, nodes[0], attestation);
        bytes32 key = keccak256(abi.encode(nodes[0], ns, uint64(1), lie));
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.AlreadyReported.selector, key));
        memory_.reportFalseRoot(ns, 1, lie, nodes[0], attestation);
    }

    function test_reportFalseRoot_revertsIfNothingToSlash() public {
        _commit(1, ROOT, 1);
        (address nobody, uint256 nobodyKey) = makeAddrAndKey("nobody");
        bytes32 lie = keccak256("lie");
        bytes memory attestation = _signServed(nobodyKey, ns, 1, lie);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NothingToSlash.selector, nobody));
        memory_.reportFalseRoot(ns, 1, lie, nobody, attestation);
        assertFalse(memory_.reported(nobody, ns, 1, lie));
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    function test_namespaceInfo_revertsIfUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.UnknownNamespace.selector, NOBODYS));
        memory_.namespaceInfo(NOBODYS);
    }

    function test_isAuthorized_isFalseForZeroAndUnknown() public view {
        assertFalse(memory_.isAuthorized(ns, address(0)));
        assertFalse(memory_.isAuthorized(NOBODYS, address(0)));
        assertFalse(memory_.isAuthorized(NOBODYS, owner));
    }

    function test_leafHash_isTheDoubleHashOfTheSpec() public view {
        bytes32 id = keccak256("memory id");
        bytes32 content = keccak256("I like green tea");
        bytes32 attributes = keccak256("attributes");
        bytes32 inner = keccak256(abi.encode(id, uint64(7), content, attributes));
        assertEq(memory_.leafHash(id, 7, content, attributes), keccak256(abi.encodePacked(inner)));
    }

    function test_verifyMemory_checksAProofAgainstTheCommittedRoot() public {
        bytes32 a = memory_.leafHash("a", 1, keccak256("a"), 0);
        bytes32 b = memory_.leafHash("b", 1, keccak256("b"), 0);
        bytes32 root = a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
        _commit(1, root, 2);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = b;
        assertTrue(memory_.verifyMemory(ns, 1, a, proof));
        assertFalse(memory_.verifyMemory(ns, 1, b, proof));
        assertFalse(memory_.verifyMemory(ns, 2, a, proof), "nothing committed at seq 2");
    }

    function test_verifyMemory_isFalseForAnEmptyRoot() public view {
        assertFalse(memory_.verifyMemory(ns, 0, bytes32(0), new bytes32[](0)));
    }

    function test_digests_areEIP712OverTheDomain() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("verigrad MemSync"),
                keccak256("1"),
                block.chainid,
                address(memory_)
            )
        );
        bytes32 update = keccak256(
            abi.encode(
                keccak256("RootUpdate(bytes32 namespace,uint64 seq,bytes32 root,uint32 count,uint256 deadline)"),
                ns,
                uint64(3),
                ROOT,
                uint32(9),
                uint256(77)
            )
        );
        assertEq(memory_.rootUpdateDigest(ns, 3, ROOT, 9, 77), keccak256(abi.encodePacked("\x19\x01", domain, update)));
        bytes32 served = keccak256(
            abi.encode(keccak256("ServedRoot(bytes32 namespace,uint64 seq,bytes32 root)"), ns, uint64(3), ROOT)
        );
        assertEq(memory_.servedRootDigest(ns, 3, ROOT), keccak256(abi.encodePacked("\x19\x01", domain, served)));
    }
}
