// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {MemoryFixture} from "./MemoryFixture.sol";

/// @notice Fuzzed: sequence numbers only rise, only the owner's or a delegate's key moves a root, a report slashes
///         exactly a wrong root, and `leafHash`/`verifyMemory` agree with a tree built here by docs/memsync.md's rule.
contract MemoryFuzzTest is MemoryFixture {
    /// @dev The order n of secp256k1.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    function testFuzz_commitRoot_sequenceOnlyRises(uint64 first, uint64 second, bytes32 rootA, bytes32 rootB) public {
        first = uint64(bound(first, 1, type(uint64).max));
        _commit(first, rootA, 1);
        if (second <= first) {
            vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.StaleSequence.selector, first));
        }
        vm.prank(owner);
        memory_.commitRoot(ns, second, rootB, 2, block.timestamp, "");
        uint64 latest = memory_.namespaceInfo(ns).seq;
        assertEq(latest, second > first ? second : first);
        assertEq(memory_.rootAt(ns, first).root, rootA, "a committed root is never rewritten");
    }

    function testFuzz_commitRoot_refusesAnyOtherKey(uint256 key, uint64 seq, bytes32 root) public {
        key = bound(key, 1, SECP256K1_N - 1);
        vm.assume(key != ownerKey);
        seq = uint64(bound(seq, 1, type(uint64).max));
        bytes memory signature = _signUpdate(key, ns, seq, root, 1, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.NotAuthorized.selector, ns, vm.addr(key)));
        memory_.commitRoot(ns, seq, root, 1, block.timestamp, signature);
    }

    function testFuzz_reportFalseRoot_slashesExactlyAWrongRoot(uint64 seq, bytes32 committed, bytes32 claimed) public {
        seq = uint64(bound(seq, 1, type(uint64).max));
        _commit(seq, committed, 1);
        bytes memory attestation = _signServed(nodeKeys[0], ns, seq, claimed);
        if (claimed == committed) {
            vm.expectRevert(abi.encodeWithSelector(IMemoryRegistry.RootMatches.selector, ns, seq));
        }
        vm.prank(reporter);
        memory_.reportFalseRoot(ns, seq, claimed, nodes[0], attestation);
        assertEq(_stake(nodes[0]), claimed == committed ? NODE_STAKE : NODE_STAKE - PENALTY);
    }

    function testFuzz_verifyMemory_matchesATreeBuiltHere(uint256 n, uint256 seed, uint256 index) public {
        n = bound(n, 1, 40);
        index = bound(index, 0, n - 1);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 id = keccak256(abi.encode(seed, i));
            // forge-lint: disable-next-line(unsafe-typecast)
            leaves[i] = memory_.leafHash(id, uint64(i), keccak256(abi.encode(id, "text")), keccak256(abi.encode(i)));
        }
        _sort(leaves);
        bytes32 root = _root(leaves);
        // forge-lint: disable-next-line(unsafe-typecast)
        _commit(1, root, uint32(n)); // n ≤ 40
        assertTrue(memory_.verifyMemory(ns, 1, leaves[index], _proof(leaves, index)));
        bytes32 absent = memory_.leafHash(keccak256(abi.encode(seed, n)), 0, 0, 0);
        assertFalse(memory_.verifyMemory(ns, 1, absent, _proof(leaves, index)));
    }

    /// @dev Ascending, in place (insertion sort: n ≤ 40).
    function _sort(bytes32[] memory a) internal pure {
        for (uint256 i = 1; i < a.length; ++i) {
            bytes32 key = a[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] > key) {
                a[j] = a[j - 1];
                --j;
            }
            a[j] = key;
        }
    }

    /// @dev keccak256(min ‖ max): OpenZeppelin's commutative pair hash.
    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @dev One level up: pairs left to right, an odd last node carried up as it is.
    function _up(bytes32[] memory level) internal pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 i; i < level.length / 2; ++i) {
            next[i] = _pair(level[2 * i], level[2 * i + 1]);
        }
        if (level.length % 2 == 1) {
            next[next.length - 1] = level[level.length - 1];
        }
    }

    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            level = _up(level);
        }
        return level[0];
    }

    /// @dev The siblings of leaf `index`, leaf level first; a carried node adds none.
    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory proof) {
        bytes32[] memory siblings = new bytes32[](8);
        uint256 count;
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) {
                siblings[count++] = level[sibling];
            }
            level = _up(level);
            index /= 2;
        }
        proof = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            proof[i] = siblings[i];
        }
    }
}
