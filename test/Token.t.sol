// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Test} from "forge-std/Test.sol";

import {Token} from "../contracts/Token.sol";
import {IEIP3009} from "../contracts/interfaces/IEIP3009.sol";
import {MockWallet} from "./mocks/MockWallet.sol";

contract TokenTest is Test {
    Token internal token;
    address internal admin = makeAddr("admin");
    uint256 internal payerKey = 0xA11CE;
    address internal payer = vm.addr(payerKey);
    address internal payee = makeAddr("payee");
    address internal relayer = makeAddr("relayer");
    bytes32 internal nonce = keccak256("nonce-1");

    function setUp() public {
        vm.warp(1_800_000_000);
        token = new Token(admin, 1_000e18);
        vm.prank(admin);
        token.mint(payer, 100e18);
    }

    // ─── Signing helpers ─────────────────────────────────────────────────────────────────────────

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    function _authorization(bytes32 typeHash, address from, address to, uint256 value, uint256 after_, uint256 before)
        internal
        view
        returns (bytes32)
    {
        return _digest(keccak256(abi.encode(typeHash, from, to, value, after_, before, nonce)));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (uint8 v, bytes32 r, bytes32 s) {
        return vm.sign(key, digest);
    }

    function _signBytes(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _transferSig(uint256 key, uint256 value, uint256 after_, uint256 before)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 typeHash = token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH();
        return _sign(key, _authorization(typeHash, payer, payee, value, after_, before));
    }

    function _window() internal view returns (uint256 after_, uint256 before) {
        return (block.timestamp - 1, block.timestamp + 1 hours);
    }

    // ─── ERC-20, permit, mint ────────────────────────────────────────────────────────────────────

    function test_constructor_setsMetadataSupplyAndOwner() public view {
        assertEq(token.name(), "Verigrad");
        assertEq(token.symbol(), "VGD");
        assertEq(token.decimals(), 18);
        assertEq(token.balanceOf(admin), 1_000e18);
        assertEq(token.owner(), admin);
    }

    function test_domainSeparator_matchesTheEip712DomainClientsCompute() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Verigrad"),
                keccak256("1"),
                block.chainid,
                address(token)
            )
        );
        assertEq(token.DOMAIN_SEPARATOR(), expected);
    }

    function test_mint_revertsIfNotOwner() public {
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, payer));
        token.mint(payer, 1);
    }

    function test_permit_setsAllowanceFromASignature() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 typeHash =
            keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
        bytes32 digest = _digest(keccak256(abi.encode(typeHash, payer, relayer, 5e18, 0, deadline)));
        (uint8 v, bytes32 r, bytes32 s) = _sign(payerKey, digest);
        token.permit(payer, relayer, 5e18, deadline, v, r, s);
        assertEq(token.allowance(payer, relayer), 5e18);
        assertEq(token.nonces(payer), 1);
    }

    function test_permit_revertsIfExpiredOrSignedByAnother() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 typeHash =
            keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
        bytes32 digest = _digest(keccak256(abi.encode(typeHash, payer, relayer, 5e18, 0, deadline)));
        (uint8 v, bytes32 r, bytes32 s) = _sign(0xB0B, digest);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, vm.addr(0xB0B), payer));
        token.permit(payer, relayer, 5e18, deadline, v, r, s);

        (v, r, s) = _sign(payerKey, digest);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(payer, relayer, 5e18, deadline, v, r, s);
    }

    // ─── transferWithAuthorization ───────────────────────────────────────────────────────────────

    function test_transferWithAuthorization_movesFundsAndUsesTheNonce() public {
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 10e18, after_, before);
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationUsed(payer, nonce);
        vm.prank(relayer);
        token.transferWithAuthorization(payer, payee, 10e18, after_, before, nonce, v, r, s);
        assertEq(token.balanceOf(payee), 10e18);
        assertEq(token.balanceOf(payer), 90e18);
        assertTrue(token.authorizationState(payer, nonce));
    }

    function test_transferWithAuthorization_acceptsPackedSignatureBytes() public {
        (uint256 after_, uint256 before) = _window();
        bytes32 digest =
            _authorization(token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), payer, payee, 3e18, after_, before);
        token.transferWithAuthorization(payer, payee, 3e18, after_, before, nonce, _signBytes(payerKey, digest));
        assertEq(token.balanceOf(payee), 3e18);
    }

    function test_transferWithAuthorization_acceptsAnErc1271Wallet() public {
        MockWallet wallet = new MockWallet(payer);
        vm.prank(admin);
        token.mint(address(wallet), 10e18);
        (uint256 after_, uint256 before) = _window();
        bytes32 digest = _digest(
            keccak256(
                abi.encode(
                    token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), address(wallet), payee, 4e18, after_, before, nonce
                )
            )
        );
        token.transferWithAuthorization(
            address(wallet), payee, 4e18, after_, before, nonce, _signBytes(payerKey, digest)
        );
        assertEq(token.balanceOf(payee), 4e18);

        bytes32 other = keccak256("nonce-2");
        bytes32 forged = _digest(
            keccak256(
                abi.encode(
                    token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), address(wallet), payee, 4e18, after_, before, other
                )
            )
        );
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.transferWithAuthorization(address(wallet), payee, 4e18, after_, before, other, _signBytes(0xB0B, forged));
    }

    function test_transferWithAuthorization_revertsIfNotYetValid() public {
        uint256 after_ = block.timestamp;
        uint256 before = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 1e18, after_, before);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationNotYetValid.selector, after_, block.timestamp));
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfExpired() public {
        uint256 after_ = 0;
        uint256 before = block.timestamp;
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 1e18, after_, before);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationExpired.selector, before, block.timestamp));
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfNonceReused() public {
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 1e18, after_, before);
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, payer, nonce));
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfSignedByAnother() public {
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(0xB0B, 1e18, after_, before);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfValueTampered() public {
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 1e18, after_, before);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.transferWithAuthorization(payer, payee, 2e18, after_, before, nonce, v, r, s);
        assertFalse(token.authorizationState(payer, nonce), "a failed attempt burns nothing");
    }

    function test_transferWithAuthorization_revertsIfBalanceIsShort() public {
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 101e18, after_, before);
        vm.expectRevert();
        token.transferWithAuthorization(payer, payee, 101e18, after_, before, nonce, v, r, s);
        assertEq(token.balanceOf(payer), 100e18);
    }

    // ─── receiveWithAuthorization ────────────────────────────────────────────────────────────────

    function test_receiveWithAuthorization_letsThePayeeCollect() public {
        (uint256 after_, uint256 before) = _window();
        bytes32 digest = _authorization(token.RECEIVE_WITH_AUTHORIZATION_TYPEHASH(), payer, payee, 7e18, after_, before);
        (uint8 v, bytes32 r, bytes32 s) = _sign(payerKey, digest);
        vm.prank(payee);
        token.receiveWithAuthorization(payer, payee, 7e18, after_, before, nonce, v, r, s);
        assertEq(token.balanceOf(payee), 7e18);
    }

    function test_receiveWithAuthorization_revertsIfCallerIsNotThePayee() public {
        (uint256 after_, uint256 before) = _window();
        bytes32 digest = _authorization(token.RECEIVE_WITH_AUTHORIZATION_TYPEHASH(), payer, payee, 7e18, after_, before);
        bytes memory sig = _signBytes(payerKey, digest);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.CallerMustBePayee.selector, relayer, payee));
        token.receiveWithAuthorization(payer, payee, 7e18, after_, before, nonce, sig);
    }

    function test_receiveWithAuthorization_revertsOnATransferSignature() public {
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 7e18, after_, before);
        vm.prank(payee);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.receiveWithAuthorization(payer, payee, 7e18, after_, before, nonce, v, r, s);
    }

    // ─── cancelAuthorization ─────────────────────────────────────────────────────────────────────

    function _cancelDigest() internal view returns (bytes32) {
        return _digest(keccak256(abi.encode(token.CANCEL_AUTHORIZATION_TYPEHASH(), payer, nonce)));
    }

    function test_cancelAuthorization_makesTheNonceUnusable() public {
        (uint8 cv, bytes32 cr, bytes32 cs) = _sign(payerKey, _cancelDigest());
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationCanceled(payer, nonce);
        token.cancelAuthorization(payer, nonce, cv, cr, cs);
        assertTrue(token.authorizationState(payer, nonce));

        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 1e18, after_, before);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, payer, nonce));
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
    }

    function test_cancelAuthorization_revertsIfAlreadyUsedOrSignedByAnother() public {
        bytes memory forged = _signBytes(0xB0B, _cancelDigest());
        bytes memory genuine = _signBytes(payerKey, _cancelDigest());
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.cancelAuthorization(payer, nonce, forged);

        token.cancelAuthorization(payer, nonce, genuine);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, payer, nonce));
        token.cancelAuthorization(payer, nonce, genuine);
    }

    // ─── Fuzz ────────────────────────────────────────────────────────────────────────────────────

    function testFuzz_transferWithAuthorization_movesAnyAffordableAmount(uint256 value, bytes32 n) public {
        value = bound(value, 0, token.balanceOf(payer));
        nonce = n;
        (uint256 after_, uint256 before) = _window();
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, value, after_, before);
        token.transferWithAuthorization(payer, payee, value, after_, before, nonce, v, r, s);
        assertEq(token.balanceOf(payee), value);
        assertEq(token.balanceOf(payer) + value, 100e18);
    }

    function testFuzz_transferWithAuthorization_validOnlyStrictlyInsideTheWindow(uint256 after_, uint256 before)
        public
    {
        after_ = bound(after_, 0, block.timestamp + 10);
        before = bound(before, block.timestamp - 10, block.timestamp + 1 days);
        (uint8 v, bytes32 r, bytes32 s) = _transferSig(payerKey, 1e18, after_, before);
        bool valid = block.timestamp > after_ && block.timestamp < before;
        if (!valid) {
            vm.expectRevert();
        }
        token.transferWithAuthorization(payer, payee, 1e18, after_, before, nonce, v, r, s);
        assertEq(token.authorizationState(payer, nonce), valid);
    }
}
