// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Token} from "../../contracts/Token.sol";
import {MockERC1271Wallet} from "../mocks/MockERC1271Wallet.sol";

/// @notice Deploys the token and signs EIP-712 messages for it. Every hash here is built by hand from the
///         EIP-712 and EIP-3009 texts, the way an off-chain client (e.g. an x402 payer) builds them, so the
///         tests check the contract against the specs rather than against itself.
abstract contract TokenFixture is Test {
    /// @notice The fields of an EIP-3009 transfer or receive authorization.
    struct Authorization {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
    }

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 internal constant TRANSFER_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 internal constant RECEIVE_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 internal constant CANCEL_TYPEHASH = keccak256("CancelAuthorization(address authorizer,bytes32 nonce)");

    /// @dev The order n of secp256k1; valid private keys are 1..n-1.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    uint256 internal constant INITIAL_SUPPLY = 1_000_000e18;
    uint256 internal constant ALICE_BALANCE = 1000e18;
    uint256 internal constant WALLET_BALANCE = 500e18;
    uint256 internal constant START_TIME = 1_700_000_000;

    Token internal token;
    /// @dev A smart-contract wallet whose signing key is alice's.
    MockERC1271Wallet internal wallet;
    address internal admin = makeAddr("admin");
    address internal bob = makeAddr("bob");
    address internal relayer = makeAddr("relayer");
    address internal alice;
    uint256 internal alicePk;
    address internal mallory;
    uint256 internal malloryPk;

    function setUp() public virtual {
        vm.warp(START_TIME);
        (alice, alicePk) = makeAddrAndKey("alice");
        (mallory, malloryPk) = makeAddrAndKey("mallory");
        token = new Token(admin, INITIAL_SUPPLY);
        vm.prank(admin);
        assertTrue(token.transfer(alice, ALICE_BALANCE));
        wallet = new MockERC1271Wallet(alice);
        vm.prank(admin);
        assertTrue(token.transfer(address(wallet), WALLET_BALANCE));
    }

    /// @dev keccak256(abi.encode(EIP712Domain typehash, name, version, chainid, token)).
    function _domainSeparator() internal view returns (bytes32) {
        return
            keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Verigrad"), keccak256("1"), block.chainid, address(token)));
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash));
    }

    /// @dev From alice to bob, 100 VGD, valid from one second ago for an hour.
    function _authorization(bytes32 nonce) internal view returns (Authorization memory) {
        return Authorization({
            from: alice,
            to: bob,
            value: 100e18,
            validAfter: block.timestamp - 1,
            validBefore: block.timestamp + 1 hours,
            nonce: nonce
        });
    }

    function _signAuthorization(uint256 pk, bytes32 typehash, Authorization memory a)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        bytes32 structHash =
            keccak256(abi.encode(typehash, a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce));
        return vm.sign(pk, _digest(structHash));
    }

    function _signCancel(uint256 pk, address authorizer, bytes32 nonce)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        return vm.sign(pk, _digest(keccak256(abi.encode(CANCEL_TYPEHASH, authorizer, nonce))));
    }

    function _signPermit(uint256 pk, address owner, address spender, uint256 value, uint256 deadline)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        bytes32 structHash =
            keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, token.nonces(owner), deadline));
        return vm.sign(pk, _digest(structHash));
    }

    /// @dev The 65-byte `r ‖ s ‖ v` encoding that wallets (and x402 payloads) use.
    function _packed(uint8 v, bytes32 r, bytes32 s) internal pure returns (bytes memory) {
        return abi.encodePacked(r, s, v);
    }

    function _transfer(Authorization memory a, uint8 v, bytes32 r, bytes32 s) internal {
        token.transferWithAuthorization(a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, v, r, s);
    }

    function _transfer(Authorization memory a, bytes memory signature) internal {
        token.transferWithAuthorization(a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, signature);
    }

    function _receive(Authorization memory a, uint8 v, bytes32 r, bytes32 s) internal {
        token.receiveWithAuthorization(a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, v, r, s);
    }

    function _receive(Authorization memory a, bytes memory signature) internal {
        token.receiveWithAuthorization(a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, signature);
    }
}
