// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {Tensors} from "../../contracts/pipe/Tensors.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";

/// @notice Signed PIPE answers for the disputes handler: three requests, each with a true output per release (EXACT:
///         a hash; TOLERANCE: the one number 0.50r), and signers that sign right or wrong answers to them with their
///         keys, in PipeSettlement's EIP-712 domain.
/// @dev A right TOLERANCE answer is the true output itself or any number within the release's ε (0.001) of it at
///      six places; a wrong one is beyond ε, above or below. Wrong EXACT answers come from a small set per request,
///      so that signers repeat them and the same answer is disputed again.
abstract contract SignedAnswers is CommonBase, StdUtils {
    /// @notice How a signer signs: always right, right or wrong at random, or wrong and disputed by itself.
    enum Kind {
        Honest,
        Liar,
        Attacker
    }

    struct Signer {
        address account;
        uint256 key;
        Kind kind;
    }

    /// @dev A signed answer. TOLERANCE answers sign the one-number output `value` × 10^-`decimals`.
    struct Answer {
        address signer;
        Kind kind;
        uint8 request;
        bool tolerance;
        bool correct;
        int128 value;
        int128 decimals;
        bytes32 outputHash;
        bytes signature;
    }

    uint256 internal constant REQUESTS = 3;

    IPipeSettlement internal immutable SETTLEMENT;
    ModelId internal immutable EXACT;
    ModelId internal immutable TOLERANCE;

    Signer[] internal signerList;
    Answer[] internal answerList;
    mapping(bytes32 answerKey => uint256) internal _answerIndex; // index + 1

    constructor(IPipeSettlement settlement, ModelId exact, ModelId tolerance) {
        SETTLEMENT = settlement;
        EXACT = exact;
        TOLERANCE = tolerance;
    }

    function signers() external view returns (Signer[] memory) {
        return signerList;
    }

    function answerCount() external view returns (uint256) {
        return answerList.length;
    }

    function answer(uint256 index) external view returns (Answer memory) {
        return answerList[index];
    }

    /// @notice The answer's key (as PipeDisputes forms it) and the arguments of `slashed`.
    function answerKey(uint256 index)
        public
        view
        returns (bytes32 key, bytes32 requestId, ModelId releaseId, bytes32 outputHash, address signer)
    {
        Answer storage a = answerList[index];
        (requestId, releaseId, outputHash, signer) =
        (_requestId(a.request), _release(a.tolerance), a.outputHash, a.signer);
        key = keccak256(abi.encode(requestId, releaseId, outputHash, signer));
    }

    /// @dev `s` signs an answer drawn from `seed` (kept once: signing the same answer again adds nothing).
    function _sign(Signer memory s, uint256 seed) internal {
        // forge-lint: disable-next-line(unsafe-typecast)
        uint8 request = uint8(seed % REQUESTS); // < REQUESTS = 3
        bool tolerance = (seed >> 8) % 2 == 0;
        // The liar is wrong half of the time, the attacker three times in four.
        bool correct = s.kind == Kind.Honest || (seed >> 16) % 4 < (s.kind == Kind.Liar ? 2 : 1);
        Answer memory a = Answer(s.account, s.kind, request, tolerance, correct, 0, 0, bytes32(0), "");
        if (!tolerance) {
            // Four wrong outputs per request: signers repeat them, so that answers are disputed again.
            a.outputHash = correct ? _exactTruth(request) : keccak256(abi.encode("lie", request, (seed >> 24) % 4));
        } else if (correct && (seed >> 24) % 4 == 0) {
            (a.value, a.decimals) = _toleranceTruth(request); // the very output the seats compute
        } else {
            // The truth at six places, off by δ millionths: |δ| ≤ ε = 1 000 agrees, beyond disagrees.
            (int128 truth,) = _toleranceTruth(request);
            // forge-lint: disable-next-line(unsafe-typecast)
            int256 drawn = int256(seed >> 32); // < 2^224
            int256 delta = correct ? bound(drawn, -1_000, 1_000) : bound(drawn, 1_001, 1e6);
            if (!correct && (seed >> 40) % 2 == 0) {
                delta = -delta;
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            a.value = truth * 1_000 + int128(delta); // |δ| ≤ 10^6
            a.decimals = 6;
        }
        if (tolerance) {
            a.outputHash = keccak256(abi.encode(_one(a.value, a.decimals)));
        }
        bytes32 requestId = _requestId(request);
        ModelId releaseId = _release(tolerance);
        bytes32 key = keccak256(abi.encode(requestId, releaseId, a.outputHash, s.account));
        if (_answerIndex[key] != 0) {
            return; // signed before: the same answer
        }
        bytes32 digest = SETTLEMENT.answerDigest(requestId, releaseId, a.outputHash);
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(s.key, digest);
        a.signature = abi.encodePacked(r, sig, v);
        answerList.push(a);
        _answerIndex[key] = answerList.length;
    }

    /// @dev The answer's request's true output (its hash).
    function _truth(Answer storage a) internal view returns (bytes32) {
        return a.tolerance ? _toleranceTruthHash(a.request) : _exactTruth(a.request);
    }

    /// @dev The outputs `resolve` opens: the signed one and the request's true one (TOLERANCE only).
    function _openings(Answer storage a) internal view returns (ModelOutput memory signed, ModelOutput memory truth) {
        if (a.tolerance) {
            signed = _one(a.value, a.decimals);
            (int128 value, int128 decimals) = _toleranceTruth(a.request);
            truth = _one(value, decimals);
        }
    }

    function _requestId(uint8 request) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint8(0), "verigrad/volatility", abi.encode("input", request)));
    }

    function _release(bool tolerance) internal view returns (ModelId) {
        return tolerance ? TOLERANCE : EXACT;
    }

    function _exactTruth(uint8 request) internal pure returns (bytes32) {
        return keccak256(abi.encode("truth", request));
    }

    /// @dev Request r's true TOLERANCE output: 0.50r.
    function _toleranceTruth(uint8 request) internal pure returns (int128 value, int128 decimals) {
        return (500 + int128(uint128(request)), 3);
    }

    function _toleranceTruthHash(uint8 request) internal pure returns (bytes32) {
        (int128 value, int128 decimals) = _toleranceTruth(request);
        return keccak256(abi.encode(_one(value, decimals)));
    }

    /// @dev An output of one `[1, 1]` tensor "y".
    function _one(int128 value, int128 decimals) internal pure returns (ModelOutput memory output) {
        TensorLib.Number[] memory numbers = new TensorLib.Number[](1);
        numbers[0] = Tensors.number(value, decimals);
        output.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        output.numbers[0] = Tensors.row("y", numbers);
    }
}
