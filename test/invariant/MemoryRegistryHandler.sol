// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {MemoryRegistry} from "../../contracts/MemoryRegistry.sol";
import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";

/// @notice Drives MemoryRegistry at random: namespaces created, roots committed by owners, delegates and strangers
///         (signed and direct), delegates set and revoked, namespaces transferred, honest nodes' attestations of what
///         the chain holds reported by an attacker, a liar's attestations of anything reported, and time.
/// @dev Ghosts: every committed (namespace, seq) with its root and block, each namespace's latest seq, whether an
///      honest node was ever slashed, and the tokens slashed, paid to reporters and to the treasury.
contract MemoryRegistryHandler is Test {
    struct Key {
        address account;
        uint256 key;
    }

    struct Commit {
        bytes32 namespace;
        uint64 seq;
        bytes32 root;
        uint64 committedAt;
    }

    MemoryRegistry internal immutable REGISTRY;
    address internal immutable REPORTER;
    /// @dev Owners, delegates and strangers alike: anyone may try anything.
    Key[] internal _actors;
    Key[] internal _honest;
    Key internal _liar;
    address[] internal _replicas;

    bytes32[] public namespaces;
    Commit[] internal _commits;
    mapping(bytes32 namespace => uint64) public ghostLatest;
    bool public honestSlashed;
    uint256 public ghostSlashed;
    uint256 public ghostBounty;

    constructor(
        MemoryRegistry registry,
        address reporter,
        Key[] memory actors,
        Key[] memory honest,
        Key memory liar,
        address[] memory replicas
    ) {
        REGISTRY = registry;
        REPORTER = reporter;
        for (uint256 i; i < actors.length; ++i) {
            _actors.push(actors[i]);
        }
        for (uint256 i; i < honest.length; ++i) {
            _honest.push(honest[i]);
        }
        _liar = liar;
        _replicas = replicas;
    }

    function create(uint256 actorSeed, bytes32 label) external {
        address creator = _actor(actorSeed).account;
        vm.prank(creator);
        try REGISTRY.createNamespace(label, _replicas) returns (bytes32 namespace) {
            namespaces.push(namespace);
            _commits.push(Commit(namespace, 0, bytes32(0), uint64(block.number)));
        } catch {}
    }

    function commit(uint256 nsSeed, uint256 actorSeed, uint64 step, bytes32 root, uint32 count, bool signed) external {
        if (namespaces.length == 0) {
            return;
        }
        bytes32 namespace = namespaces[nsSeed % namespaces.length];
        Key memory signer = _actor(actorSeed);
        uint64 latest = ghostLatest[namespace];
        // Mostly forward, sometimes stale (an attempted rewrite).
        uint64 seq = step % 4 == 0 ? uint64(bound(step, 0, latest)) : latest + uint64(bound(step, 1, 3));
        bool authorized = REGISTRY.isAuthorized(namespace, signer.account);
        bytes memory signature = signed ? _signUpdate(signer.key, namespace, seq, root, count) : bytes("");
        vm.prank(signer.account);
        try REGISTRY.commitRoot(namespace, seq, root, count, block.timestamp, signature) {
            assertTrue(authorized, "only the owner or a delegate commits");
            assertGt(seq, latest, "seq only rises");
            ghostLatest[namespace] = seq;
            _commits.push(Commit(namespace, seq, root, uint64(block.number)));
        } catch {}
    }

    function setDelegate(uint256 nsSeed, uint256 actorSeed, bool allowed) external {
        if (namespaces.length == 0) {
            return;
        }
        bytes32 namespace = namespaces[nsSeed % namespaces.length];
        vm.prank(REGISTRY.namespaceInfo(namespace).owner);
        REGISTRY.setDelegate(namespace, _actor(actorSeed).account, allowed);
    }

    function transfer(uint256 nsSeed, uint256 actorSeed) external {
        if (namespaces.length == 0) {
            return;
        }
        bytes32 namespace = namespaces[nsSeed % namespaces.length];
        vm.prank(REGISTRY.namespaceInfo(namespace).owner);
        REGISTRY.transferNamespace(namespace, _actor(actorSeed).account);
    }

    /// @dev An honest node attests a (seq, root) it read from the chain; the attacker reports it anyway, perhaps
    ///      after the owner commits more.
    function reportHonest(uint256 commitSeed, uint256 nodeSeed) external {
        if (_commits.length == 0) {
            return;
        }
        Commit memory c = _commits[commitSeed % _commits.length];
        Key memory node = _honest[nodeSeed % _honest.length];
        IMemoryRegistry.Root memory read = REGISTRY.rootAt(c.namespace, c.seq);
        _report(c.namespace, c.seq, read.root, node, true);
    }

    /// @dev The liar attests a root at a seq, committed or not, right or wrong.
    function reportLiar(uint256 nsSeed, uint64 seq, bytes32 claimed, bool truthful) external {
        if (namespaces.length == 0) {
            return;
        }
        bytes32 namespace = namespaces[nsSeed % namespaces.length];
        seq = uint64(bound(seq, 0, ghostLatest[namespace] + 1));
        if (truthful) {
            claimed = REGISTRY.rootAt(namespace, seq).root;
        }
        _report(namespace, seq, claimed, _liar, false);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 1 days));
        vm.roll(block.number + 1);
    }

    function namespaceCount() external view returns (uint256) {
        return namespaces.length;
    }

    /// @dev Every committed (namespace, seq) with its root and block, in commit order.
    function commits() external view returns (Commit[] memory) {
        return _commits;
    }

    function _report(bytes32 namespace, uint64 seq, bytes32 claimed, Key memory node, bool honest) internal {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(node.key, REGISTRY.servedRootDigest(namespace, seq, claimed));
        vm.prank(REPORTER);
        try REGISTRY.reportFalseRoot(namespace, seq, claimed, node.account, abi.encodePacked(r, s, v)) returns (
            uint256 slashed, uint256 bounty
        ) {
            if (honest) {
                honestSlashed = true;
            }
            ghostSlashed += slashed;
            ghostBounty += bounty;
        } catch {}
    }

    function _signUpdate(uint256 key, bytes32 namespace, uint64 seq, bytes32 root, uint32 count)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, REGISTRY.rootUpdateDigest(namespace, seq, root, count, block.timestamp));
        return abi.encodePacked(r, s, v);
    }

    function _actor(uint256 seed) internal view returns (Key memory) {
        return _actors[seed % _actors.length];
    }
}
