// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {console} from "forge-std/console.sol";

import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {IPipeInference} from "../../contracts/pipe/IPipeInference.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {SettlementFixture} from "./SettlementFixture.sol";

/// @notice The network's signed PIPE answers (EIP-712), and the shared vectors the node's Rust code pins too.
/// @dev The digests here are built by hand from the EIP-712 text, the way a worker signs, so the contract is
///      checked against the spec rather than against itself.
contract PipeAnswersTest is SettlementFixture {
    /// @dev The shared vector: chain 31338 (pipe-node), the settlement contract at VECTOR_ADDRESS.
    uint256 internal constant VECTOR_CHAIN_ID = 31_338;
    address internal constant VECTOR_ADDRESS = 0x00000000000000000000000000000000005e771E;
    bytes32 internal constant REQUEST_ID = 0x20f206d6f1de74379b859f0e19ee17fe09ea9ea4fcf38d7facbee39f0c0a7f6e;
    bytes32 internal constant VECTOR_DIGEST = 0x485182772224246108de4809690357cd287a79e5005d54108e93d6e9de15abfc;
    /// @dev SIGNER_KEY's signature of VECTOR_DIGEST, `r ‖ s ‖ v` (RFC 6979 nonces: deterministic).
    bytes internal constant VECTOR_SIGNATURE =
        hex"ea87066bd7b25c84e5eafcd987c195ac885afa226b31ac7fa3cd7a0057bd3d721a6c2739feaa80955fe65ab3f0690f99af77dc7546fcb4b7b3023097ef0eb2331b";
    /// @dev Anvil's first development key (the public test mnemonic): a dev key, never a real one.
    uint256 internal constant SIGNER_KEY = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    /// @dev The order n of secp256k1.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant OUTPUT_HASH = keccak256("output");

    /// @notice The shared vector of the node's Rust code: the same inputs give the same digest and signature.
    function test_answerDigest_matchesTheSharedVector() public {
        vm.chainId(VECTOR_CHAIN_ID);
        deployCodeTo(
            "PipeSettlement.sol:PipeSettlement",
            abi.encode(address(token), address(models), treasury, FEE_BPS, NO_TWINS),
            VECTOR_ADDRESS
        );
        PipeSettlement at = PipeSettlement(VECTOR_ADDRESS);
        bytes32 digest = at.answerDigest(REQUEST_ID, RISK, OUTPUT_HASH);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, digest);
        console.log("PipeAnswer vector: chainId 31338, verifyingContract", VECTOR_ADDRESS);
        console.logBytes32(digest);
        console.logBytes(abi.encodePacked(r, s, v));
        assertEq(digest, _digest(VECTOR_CHAIN_ID, VECTOR_ADDRESS, REQUEST_ID, RISK, OUTPUT_HASH), "by the spec");
        assertEq(digest, VECTOR_DIGEST, "the pinned vector");
        assertEq(abi.encodePacked(r, s, v), VECTOR_SIGNATURE, "the pinned signature");
        assertEq(at.answerSigner(REQUEST_ID, RISK, OUTPUT_HASH, abi.encodePacked(r, s, v)), vm.addr(SIGNER_KEY));
    }

    function test_answerDigest_followsTheChainAndTheContract() public {
        bytes32 here = settlement.answerDigest(REQUEST_ID, RISK, OUTPUT_HASH);
        assertEq(here, _digest(block.chainid, address(settlement), REQUEST_ID, RISK, OUTPUT_HASH));
        vm.chainId(VECTOR_CHAIN_ID);
        bytes32 forked = settlement.answerDigest(REQUEST_ID, RISK, OUTPUT_HASH);
        assertEq(forked, _digest(VECTOR_CHAIN_ID, address(settlement), REQUEST_ID, RISK, OUTPUT_HASH));
        assertTrue(forked != here, "an answer signed for one chain is not valid on another");
        PipeSettlement other = new PipeSettlement(IERC20(address(token)), models, treasury, FEE_BPS, NO_TWINS);
        assertTrue(other.answerDigest(REQUEST_ID, RISK, OUTPUT_HASH) != forked, "nor for another contract");
    }

    function test_answerSigner_recoversTheWorker() public {
        (address worker, uint256 key) = makeAddrAndKey("worker");
        bytes memory signature = _sign(key, REQUEST_ID, OUTPUT_HASH);
        assertEq(settlement.answerSigner(REQUEST_ID, RISK, OUTPUT_HASH, signature), worker);
        bytes32 otherOutput = keccak256("another output");
        assertTrue(
            settlement.answerSigner(REQUEST_ID, RISK, otherOutput, signature) != worker, "a signature binds the output"
        );
    }

    function test_answerSigner_revertsForAMalleableSignature() public {
        (, uint256 key) = makeAddrAndKey("worker");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.answerDigest(REQUEST_ID, RISK, OUTPUT_HASH));
        // (r, n − s, v flipped) recovers the same key: the twin every ECDSA signature has.
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.InvalidAnswerSignature.selector, twin));
        settlement.answerSigner(REQUEST_ID, RISK, OUTPUT_HASH, twin);
    }

    function test_answerSigner_revertsForAMalformedSignature() public {
        (, uint256 key) = makeAddrAndKey("worker");
        bytes memory signature = _sign(key, REQUEST_ID, OUTPUT_HASH);
        bytes memory short = new bytes(64);
        bytes memory badV = bytes.concat(signature);
        badV[64] = bytes1(uint8(29));
        bytes memory zero = new bytes(65);
        bytes[3] memory cases = [short, badV, zero];
        for (uint256 i; i < cases.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IPipeSettlement.InvalidAnswerSignature.selector, cases[i]));
            settlement.answerSigner(REQUEST_ID, RISK, OUTPUT_HASH, cases[i]);
        }
    }

    /// @notice The precompile's revert for a caller that cannot pay, as dApps decode it.
    function test_pipeInsufficientBalance_hasTheSharedSelector() public pure {
        bytes4 selector = IPipeInference.PipeInsufficientBalance.selector;
        assertEq(selector, bytes4(keccak256("PipeInsufficientBalance(address,uint256,uint256)")));
        assertEq(selector, bytes4(0x4c15ed56), "the pinned selector");
    }

    function _sign(uint256 key, bytes32 requestId, bytes32 outputHash) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.answerDigest(requestId, RISK, outputHash));
        return abi.encodePacked(r, s, v);
    }

    /// @dev keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(PipeAnswer)), from the EIP-712 text.
    function _digest(uint256 chainId, address verifyingContract, bytes32 requestId, ModelId releaseId, bytes32 output)
        internal
        pure
        returns (bytes32)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("verigrad PIPE"),
                keccak256("1"),
                chainId,
                verifyingContract
            )
        );
        bytes32 answer = keccak256(
            abi.encode(
                keccak256("PipeAnswer(bytes32 requestId,bytes32 releaseId,bytes32 outputHash)"),
                requestId,
                releaseId,
                output
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, answer));
    }
}
