// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MemoryRegistry} from "../../contracts/MemoryRegistry.sol";
import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {RegistryFixtures} from "../utils/RegistryFixtures.sol";

/// @notice The worker registry, a MemoryRegistry holding its SLASHER_ROLE, three staked store nodes whose keys sign
///         attestations, an owner and a delegate with keys, and a namespace of the owner's replicated on the first
///         two nodes.
abstract contract MemoryFixture is RegistryFixtures {
    uint96 internal constant NODE_STAKE = 200e18;
    uint96 internal constant PENALTY = 50e18;
    uint16 internal constant BOUNTY_BPS = 5_000;
    uint40 internal constant JAIL = 1 days;
    bytes32 internal constant LABEL = "agent-memory";

    MemoryRegistry internal memory_;
    address internal treasury = makeAddr("treasury");
    address internal reporter = makeAddr("reporter");

    address internal owner;
    uint256 internal ownerKey;
    address internal delegate;
    uint256 internal delegateKey;
    address[3] internal nodes;
    uint256[3] internal nodeKeys;
    bytes32 internal ns;

    function setUp() public virtual override {
        super.setUp();
        memory_ = new MemoryRegistry(workers, admin, treasury, IMemoryRegistry.Penalty(PENALTY, BOUNTY_BPS, JAIL));
        bytes32 slasherRole = workers.SLASHER_ROLE();
        vm.prank(admin);
        workers.grantRole(slasherRole, address(memory_));
        (owner, ownerKey) = makeAddrAndKey("owner");
        (delegate, delegateKey) = makeAddrAndKey("delegate");
        for (uint256 i; i < nodes.length; ++i) {
            (nodes[i], nodeKeys[i]) = makeAddrAndKey(string.concat("store node ", vm.toString(i)));
            _register(nodes[i], Roles.STORE, new ModelId[](0), NODE_STAKE);
        }
        vm.prank(owner);
        ns = memory_.createNamespace(LABEL, _pair(nodes[0], nodes[1]));
    }

    function _pair(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        list[0] = a;
        list[1] = b;
    }

    /// @dev `key`'s signature of a root update, `r ‖ s ‖ v`.
    function _signUpdate(uint256 key, bytes32 namespace, uint64 seq, bytes32 root, uint32 count, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, memory_.rootUpdateDigest(namespace, seq, root, count, deadline));
        return abi.encodePacked(r, s, v);
    }

    /// @dev `key`'s attestation of a served root, `r ‖ s ‖ v`.
    function _signServed(uint256 key, bytes32 namespace, uint64 seq, bytes32 root)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, memory_.servedRootDigest(namespace, seq, root));
        return abi.encodePacked(r, s, v);
    }

    /// @dev Commits `root` at `seq` of `ns` with the owner's signature, relayed by a stranger.
    function _commit(uint64 seq, bytes32 root, uint32 count) internal {
        bytes memory signature = _signUpdate(ownerKey, ns, seq, root, count, block.timestamp);
        vm.prank(makeAddr("relayer"));
        memory_.commitRoot(ns, seq, root, count, block.timestamp, signature);
    }

    function _stake(address node) internal view returns (uint256) {
        return workers.getWorker(node).stake;
    }
}
