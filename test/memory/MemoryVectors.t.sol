// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MemoryRegistry} from "../../contracts/MemoryRegistry.sol";
import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {MemoryFixture} from "./MemoryFixture.sol";

/// @notice The shared vectors of MemSync's signed messages: `contracts/rust/src/memory.rs` pins the same namespace
///         id, digests and signatures, so that what the Rust side signs verifies on chain. And the store's Merkle
///         vectors (`test/vectors/memory-merkle.json`, written and checked by `verigrad-memory`): the leaves and
///         proofs a store node serves verify here.
contract MemoryVectorsTest is MemoryFixture {
    /// @dev The shared vector: chain 31337 (anvil), the registry at VECTOR_ADDRESS.
    uint256 internal constant VECTOR_CHAIN_ID = 31_337;
    address internal constant VECTOR_ADDRESS = 0x0000000000000000000000000000000000004D45;
    /// @dev Anvil's first development key (the public test mnemonic): a dev key, never a real one.
    uint256 internal constant SIGNER_KEY = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    bytes32 internal constant VECTOR_NAMESPACE = 0x794d9b43c4f17207650072349ec18e28173be1d3037a51aae55d7def73f57648;
    bytes32 internal constant ROOT_UPDATE_DIGEST = 0xed432028ef276b153f74cc50d28858b97f5e41a0cbd6b0cbda1e226d11d15b77;
    bytes32 internal constant SERVED_ROOT_DIGEST = 0x5814497cdf5e168bc997407a6dcbb72dda0ee8ea4049f118f97732039125ca1a;
    bytes internal constant ROOT_UPDATE_SIGNATURE =
        hex"c8a38d5951e1b24ac4056ac0f0b8c5611f6ec6313596413cbf221e3fb42d8a5479ddec0301483105b658ec7af700ea08d69f4d1b02126629b6e65d90ce17df0f1c";
    bytes internal constant SERVED_ROOT_SIGNATURE =
        hex"125f6d9a1562044748654aaa019bb8868db1cceec151bfd681f85aaacc3f79a123b603187709223380aa80b307791d0cde1a197cb6f97f3cfbe1e4c5374008891c";

    function test_digests_matchTheSharedVectors() public {
        vm.chainId(VECTOR_CHAIN_ID);
        deployCodeTo(
            "MemoryRegistry.sol:MemoryRegistry",
            abi.encode(address(workers), admin, treasury, IMemoryRegistry.Penalty(PENALTY, BOUNTY_BPS, JAIL)),
            VECTOR_ADDRESS
        );
        MemoryRegistry at = MemoryRegistry(VECTOR_ADDRESS);
        bytes32 namespace = keccak256(abi.encode(vm.addr(SIGNER_KEY), LABEL));
        bytes32 root = keccak256("root");
        bytes32 update = at.rootUpdateDigest(namespace, 7, root, 3, 1_800_000_000);
        bytes32 served = at.servedRootDigest(namespace, 7, root);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, update);
        bytes memory updateSignature = abi.encodePacked(r, s, v);
        (v, r, s) = vm.sign(SIGNER_KEY, served);
        bytes memory servedSignature = abi.encodePacked(r, s, v);
        assertEq(namespace, VECTOR_NAMESPACE, "namespace");
        assertEq(update, ROOT_UPDATE_DIGEST, "RootUpdate digest");
        assertEq(served, SERVED_ROOT_DIGEST, "ServedRoot digest");
        assertEq(updateSignature, ROOT_UPDATE_SIGNATURE, "RootUpdate signature");
        assertEq(servedSignature, SERVED_ROOT_SIGNATURE, "ServedRoot signature");
    }

    function test_merkleVectors_verifyOnChain() public {
        string memory json = vm.readFile("test/vectors/memory-merkle.json");
        uint256 cases = 4;
        for (uint256 c; c < cases; ++c) {
            string memory at = string.concat(".cases[", vm.toString(c), "]");
            bytes32[] memory ids = vm.parseJsonBytes32Array(json, string.concat(at, ".ids"));
            uint256[] memory versions = vm.parseJsonUintArray(json, string.concat(at, ".versions"));
            bytes32[] memory contents = vm.parseJsonBytes32Array(json, string.concat(at, ".contentHashes"));
            bytes32[] memory attributes = vm.parseJsonBytes32Array(json, string.concat(at, ".attributesHashes"));
            bytes32[] memory leaves = vm.parseJsonBytes32Array(json, string.concat(at, ".leaves"));
            bytes32 root = vm.parseJsonBytes32(json, string.concat(at, ".root"));
            uint64 seq = uint64(c + 1);
            _commit(seq, root, uint32(leaves.length));
            for (uint256 j; j < leaves.length; ++j) {
                assertEq(
                    memory_.leafHash(ids[j], uint64(versions[j]), contents[j], attributes[j]), leaves[j], "leaf hash"
                );
                string memory proofAt = string.concat(at, ".proofs[", vm.toString(j), "]");
                bytes32[] memory proof = vm.parseJsonBytes32Array(json, proofAt);
                assertTrue(memory_.verifyMemory(ns, seq, leaves[j], proof), "proof verifies");
                assertFalse(memory_.verifyMemory(ns, seq, keccak256(abi.encode(leaves[j])), proof), "a wrong leaf");
            }
        }
    }
}
