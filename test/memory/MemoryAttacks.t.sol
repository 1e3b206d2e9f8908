// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {MemoryFixture} from "./MemoryFixture.sol";

/// @notice MemoryRegistry from the attacker's side: replayed and misdirected root updates, revoked and transferred
///         rights, framing an honest store node, reporting one lie twice or one's own lie through a sybil. Each ends
///         with the attacker poorer, or with nothing moved.
contract MemoryAttacksTest is MemoryFixture {
    bytes32 internal constant ROOT_1 = keccak256("root 1");
    bytes32 internal constant ROOT_2 = keccak256("root 2");
    bytes32 internal constant EVIL = keccak256("the attacker's root");
    address internal attacker = makeAddr("attacker");

    /// @dev What the attacker can observe moving: the latest seq and root, and every node's stake.
    function _state() internal view returns (bytes32) {
        IMemoryRegistry.NamespaceInfo memory info = memory_.namespaceInfo(ns);
        return
            keccak256(abi.encode(info.seq, info.root, info.count, _stake(nodes[0]), _stake(nodes[1]), _stake(nodes[2])));
    }

    function test_attack_replayedRootUpdateIsRefused() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory first = _signUpdate(ownerKey, ns, 1, ROOT_1, 1, deadline);
        memory_.commitRoot(ns, 1, ROOT_1, 1, deadline, first);
        _commit(2, ROOT_2, 2);
        bytes32 before = _state();
        // Relaying the old update again (to roll the namespace back to ROOT_1) fails: its seq is spent.
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, uint64(2)));
        vm.prank(attacker);
        memory_.commitRoot(ns, 1, ROOT_1, 1, deadline, first);
        assertEq(_state(), before);
    }

    function test_attack_signatureForAnotherNamespaceIsRefused() public {
        vm.prank(owner);
        bytes32 second = memory_.createNamespace("second", _pair(nodes[1], nodes[2]));
        bytes memory forFirst = _signUpdate(ownerKey, ns, 1, EVIL, 1, block.timestamp);
        vm.expectPartialRevert(IMemoryRegistry.NotAuthorized.selector);
        vm.prank(attacker);
        memory_.commitRoot(second, 1, EVIL, 1, block.timestamp, forFirst);
        assertEq(memory_.namespaceInfo(second).seq, 0);
    }

    function test_attack_signatureForAnotherChainIsRefused() public {
        uint256 home = block.chainid;
        vm.chainId(home + 1);
        bytes memory elsewhere = _signUpdate(ownerKey, ns, 1, EVIL, 1, block.timestamp);
        vm.chainId(home);
        bytes32 before = _state();
        vm.expectPartialRevert(IMemoryRegistry.NotAuthorized.selector);
        vm.prank(attacker);
        memory_.commitRoot(ns, 1, EVIL, 1, block.timestamp, elsewhere);
        assertEq(_state(), before);
    }

    function test_attack_revokedDelegateCannotCommit() public {
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        uint256 deadline = block.timestamp + 1 days;
        bytes memory signedBefore = _signUpdate(delegateKey, ns, 1, EVIL, 1, deadline);
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, false);
        bytes32 before = _state();

        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, delegate));
        memory_.commitRoot(ns, 1, EVIL, 1, deadline, signedBefore);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, delegate));
        vm.prank(delegate);
        memory_.commitRoot(ns, 1, EVIL, 1, deadline, "");
        assertEq(_state(), before);
    }

    function test_attack_oldOwnerAndItsDelegatesLoseTheirRightsOnTransfer() public {
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        uint256 deadline = block.timestamp + 1 days;
        bytes memory byOldOwner = _signUpdate(ownerKey, ns, 1, EVIL, 1, deadline);
        bytes memory byOldDelegate = _signUpdate(delegateKey, ns, 1, EVIL, 1, deadline);
        vm.prank(owner);
        memory_.transferNamespace(ns, alice);
        bytes32 before = _state();

        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, owner));
        memory_.commitRoot(ns, 1, EVIL, 1, deadline, byOldOwner);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, delegate));
        memory_.commitRoot(ns, 1, EVIL, 1, deadline, byOldDelegate);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, owner));
        vm.prank(owner);
        memory_.commitRoot(ns, 1, EVIL, 1, deadline, "");
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotNamespaceOwner.selector, ns, owner));
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        assertEq(_state(), before);
    }

    function test_attack_delegatesDoNotComeBackWhenTheNamespaceReturns() public {
        vm.prank(owner);
        memory_.setDelegate(ns, delegate, true);
        vm.prank(owner);
        memory_.transferNamespace(ns, alice);
        vm.prank(alice);
        memory_.transferNamespace(ns, owner);
        assertTrue(memory_.isAuthorized(ns, owner));
        assertFalse(memory_.isAuthorized(ns, delegate), "a delegation of an earlier epoch stays dead");
    }

    /// @dev The owner tries to frame a node that attested the chain's latest root: it commits other roots at every
    ///      later seq, and cannot commit at the attested one again. The node's attestation stays true for good.
    function test_attack_ownerCannotFrameANodeThatAttestsCommittedRoots() public {
        _commit(1, ROOT_1, 1);
        IMemoryRegistry.Root memory read = memory_.rootAt(ns, 1);
        bytes memory attestation = _signServed(nodeKeys[0], ns, 1, read.root);

        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, uint64(1)));
        vm.prank(owner);
        memory_.commitRoot(ns, 1, EVIL, 1, block.timestamp, "");
        vm.prank(owner);
        memory_.commitRoot(ns, 2, EVIL, 1, block.timestamp, "");

        uint256 stake = _stake(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.RootMatches.selector, ns, uint64(1)));
        vm.prank(owner);
        memory_.reportFalseRoot(ns, 1, ROOT_1, nodes[0], attestation);
        assertEq(_stake(nodes[0]), stake);
        assertEq(token.balanceOf(owner), 0);
    }

    /// @dev An attestation of a seq the chain has not reached cannot be judged, and is refused while it is so. (A
    ///      node that signs one anyway, ahead of the chain, is slashable once the owner commits another root there:
    ///      that is the rule nodes are told — attest only what the chain holds.)
    function test_attack_anUncommittedSeqCannotBeReported() public {
        _commit(2, ROOT_2, 2);
        bytes memory ahead = _signServed(nodeKeys[0], ns, 3, ROOT_1);
        bytes memory gap = _signServed(nodeKeys[0], ns, 1, ROOT_1);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NoRootAt.selector, ns, uint64(3)));
        vm.prank(attacker);
        memory_.reportFalseRoot(ns, 3, ROOT_1, nodes[0], ahead);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NoRootAt.selector, ns, uint64(1)));
        vm.prank(attacker);
        memory_.reportFalseRoot(ns, 1, ROOT_1, nodes[0], gap);
        // The skipped seq 1 can never be filled: committing there is stale.
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, uint64(2)));
        vm.prank(owner);
        memory_.commitRoot(ns, 1, EVIL, 1, block.timestamp, "");
        assertEq(_stake(nodes[0]), NODE_STAKE);
    }

    function test_attack_aTrueAttestationMovedToAnotherNamespaceDoesNotVerify() public {
        _commit(1, ROOT_1, 1);
        vm.prank(attacker);
        bytes32 other = memory_.createNamespace("trap", _pair(nodes[0], nodes[1]));
        vm.prank(attacker);
        memory_.commitRoot(other, 1, EVIL, 1, block.timestamp, "");
        bytes memory attestation = _signServed(nodeKeys[0], ns, 1, ROOT_1);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidAttestation.selector, nodes[0]));
        vm.prank(attacker);
        memory_.reportFalseRoot(other, 1, ROOT_1, nodes[0], attestation);
        assertEq(_stake(nodes[0]), NODE_STAKE);
    }

    function test_attack_aForgedAttestationIsRefused() public {
        _commit(1, ROOT_1, 1);
        (, uint256 attackerKey) = makeAddrAndKey("attacker");
        bytes memory forged = _signServed(attackerKey, ns, 1, EVIL);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.InvalidAttestation.selector, nodes[0]));
        vm.prank(attacker);
        memory_.reportFalseRoot(ns, 1, EVIL, nodes[0], forged);
        assertEq(_stake(nodes[0]), NODE_STAKE);
    }

    function test_attack_aLieSlashesOnce() public {
        _commit(1, ROOT_1, 1);
        bytes memory lie = _signServed(nodeKeys[0], ns, 1, EVIL);
        vm.prank(reporter);
        memory_.reportFalseRoot(ns, 1, EVIL, nodes[0], lie);
        uint256 paid = token.balanceOf(reporter);
        vm.expectPartialRevert(IMemoryRegistry.AlreadyReported.selector);
        vm.prank(attacker);
        memory_.reportFalseRoot(ns, 1, EVIL, nodes[0], lie);
        assertEq(token.balanceOf(attacker), 0);
        assertEq(token.balanceOf(reporter), paid);
        assertEq(_stake(nodes[0]), NODE_STAKE - PENALTY);
    }

    /// @dev A node that lies and reports itself through a sybil to keep the bounty still loses half the slash.
    function test_attack_selfReportThroughASybilLosesHalf() public {
        _commit(1, ROOT_1, 1);
        address sybil = makeAddr("sybil");
        uint256 before = _stake(nodes[2]) + token.balanceOf(nodes[2]) + token.balanceOf(sybil);
        bytes memory lie = _signServed(nodeKeys[2], ns, 1, EVIL);
        vm.prank(sybil);
        memory_.reportFalseRoot(ns, 1, EVIL, nodes[2], lie);
        uint256 afterwards = _stake(nodes[2]) + token.balanceOf(nodes[2]) + token.balanceOf(sybil);
        assertEq(before - afterwards, uint256(PENALTY) * (10_000 - BOUNTY_BPS) / 10_000);
        assertGe(before - afterwards, PENALTY / 2);
    }
}
