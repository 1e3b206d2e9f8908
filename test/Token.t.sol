// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

import {Token} from "../contracts/Token.sol";
import {IEIP3009} from "../contracts/interfaces/IEIP3009.sol";
import {TokenFixture} from "./utils/TokenFixture.sol";

contract TokenTest is TokenFixture {
    bytes32 internal constant NONCE = keccak256("nonce-1");

    // ---------------------------------------------------------------------------------------------
    // Deployment and metadata
    // ---------------------------------------------------------------------------------------------

    function test_constructor_setsMetadataOwnerAndSupply() public view {
        assertEq(token.name(), "Verigrad");
        assertEq(token.symbol(), "VGD");
        assertEq(token.decimals(), 18);
        assertEq(token.owner(), admin);
        assertEq(token.totalSupply(), INITIAL_SUPPLY);
        assertEq(token.balanceOf(admin), INITIAL_SUPPLY - ALICE_BALANCE - WALLET_BALANCE);
        assertEq(token.balanceOf(alice), ALICE_BALANCE);
    }

    function test_constructor_revertsIfAdminIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new Token(address(0), INITIAL_SUPPLY);
    }

    function test_typehashes_matchEip3009() public view {
        assertEq(token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), TRANSFER_TYPEHASH);
        assertEq(token.RECEIVE_WITH_AUTHORIZATION_TYPEHASH(), RECEIVE_TYPEHASH);
        assertEq(token.CANCEL_AUTHORIZATION_TYPEHASH(), CANCEL_TYPEHASH);
        // The values USDC (FiatTokenV2) publishes.
        assertEq(TRANSFER_TYPEHASH, 0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267);
        assertEq(RECEIVE_TYPEHASH, 0xd099cc98ef71107a616c4f0f941f04c322d8e254fe26b3c6668db87aae413de8);
        assertEq(CANCEL_TYPEHASH, 0x158b0a9edf7a828aad02f63cd515c68ef2f50ba807396f6d12842833a1597429);
    }

    function test_DOMAIN_SEPARATOR_equalsHandComputedSeparator() public view {
        assertEq(token.DOMAIN_SEPARATOR(), _domainSeparator());

        (bytes1 fields, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            token.eip712Domain();
        assertEq(fields, hex"0f"); // name, version, chainId, verifyingContract
        assertEq(name, "Verigrad");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(token));
    }

    function test_DOMAIN_SEPARATOR_followsChainIdIfChainForks() public {
        bytes32 before = token.DOMAIN_SEPARATOR();
        vm.chainId(block.chainid + 1);
        assertEq(token.DOMAIN_SEPARATOR(), _domainSeparator());
        assertTrue(token.DOMAIN_SEPARATOR() != before);
    }

    // ---------------------------------------------------------------------------------------------
    // mint
    // ---------------------------------------------------------------------------------------------

    function test_mint_createsTokensIfCallerIsOwner() public {
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(0), bob, 5e18);
        vm.prank(admin);
        token.mint(bob, 5e18);

        assertEq(token.balanceOf(bob), 5e18);
        assertEq(token.totalSupply(), INITIAL_SUPPLY + 5e18);
    }

    function test_mint_revertsIfCallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        token.mint(alice, 1);
    }

    function test_mint_revertsIfRecipientIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(admin);
        token.mint(address(0), 1);
    }

    // ---------------------------------------------------------------------------------------------
    // permit
    // ---------------------------------------------------------------------------------------------

    function test_permit_setsAllowanceIfSignatureValid() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(alicePk, alice, bob, 42e18, deadline);

        vm.expectEmit(address(token));
        emit IERC20.Approval(alice, bob, 42e18);
        vm.prank(relayer);
        token.permit(alice, bob, 42e18, deadline, v, r, s);

        assertEq(token.allowance(alice, bob), 42e18);
        assertEq(token.nonces(alice), 1);
    }

    function test_permit_revertsIfExpired() public {
        uint256 deadline = block.timestamp - 1;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(alicePk, alice, bob, 42e18, deadline);

        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(alice, bob, 42e18, deadline, v, r, s);
    }

    function test_permit_revertsIfWrongSigner() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(malloryPk, alice, bob, 42e18, deadline);

        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, mallory, alice));
        token.permit(alice, bob, 42e18, deadline, v, r, s);
    }

    function test_permit_revertsIfReplayed() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(alicePk, alice, bob, 42e18, deadline);
        token.permit(alice, bob, 42e18, deadline, v, r, s);

        // The nonce moved on, so the same signature now recovers to some other address.
        vm.expectPartialRevert(ERC20Permit.ERC2612InvalidSigner.selector);
        token.permit(alice, bob, 42e18, deadline, v, r, s);
    }

    // ---------------------------------------------------------------------------------------------
    // transferWithAuthorization
    // ---------------------------------------------------------------------------------------------

    function test_transferWithAuthorization_movesFundsIfSignatureValid() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);
        assertFalse(token.authorizationState(alice, NONCE));

        // Cold storage, as in a fresh transaction, so every gas snapshot in this file compares like with like.
        vm.cool(address(token));
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationUsed(alice, NONCE);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(alice, bob, a.value);
        vm.prank(relayer);
        _transfer(a, v, r, s);
        vm.snapshotGasLastCall("transferWithAuthorization(v,r,s)");

        assertEq(token.balanceOf(alice), ALICE_BALANCE - a.value);
        assertEq(token.balanceOf(bob), a.value);
        assertEq(token.balanceOf(relayer), 0);
        assertTrue(token.authorizationState(alice, NONCE));
    }

    function test_transferWithAuthorization_movesFundsIfBytesSignatureValid() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.cool(address(token));
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationUsed(alice, NONCE);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(alice, bob, a.value);
        vm.prank(relayer);
        _transfer(a, _packed(v, r, s));
        vm.snapshotGasLastCall("transferWithAuthorization(bytes)");

        assertEq(token.balanceOf(alice), ALICE_BALANCE - a.value);
        assertEq(token.balanceOf(bob), a.value);
        assertTrue(token.authorizationState(alice, NONCE));
    }

    function test_transferWithAuthorization_revertsIfNotYetValid() public {
        Authorization memory a = _authorization(NONCE);
        a.validAfter = block.timestamp; // the bound is exclusive: valid only strictly after it
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(
            abi.encodeWithSelector(IEIP3009.AuthorizationNotYetValid.selector, a.validAfter, block.timestamp)
        );
        _transfer(a, v, r, s);

        vm.warp(block.timestamp + 1);
        _transfer(a, v, r, s);
        assertEq(token.balanceOf(bob), a.value);
    }

    function test_transferWithAuthorization_revertsIfExpired() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.warp(a.validBefore); // the bound is exclusive: expired at validBefore itself
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationExpired.selector, a.validBefore, a.validBefore));
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfNonceReused() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);
        _transfer(a, v, r, s);

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        _transfer(a, v, r, s);
        // The bytes form shares the nonce space.
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        _transfer(a, _packed(v, r, s));
    }

    function test_transferWithAuthorization_revertsIfNonceUsedByReceive() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);
        vm.prank(bob);
        _receive(a, v, r, s);

        (v, r, s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfWrongSigner() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(malloryPk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, _packed(v, r, s));
    }

    function test_transferWithAuthorization_revertsIfValueTampered() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        a.value += 1;
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfPayeeTampered() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        a.to = mallory;
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfNonceCanceled() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);
        (uint8 cv, bytes32 cr, bytes32 cs) = _signCancel(alicePk, alice, NONCE);
        token.cancelAuthorization(alice, NONCE, cv, cr, cs);

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfSignedForReceive() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);

        // A receive authorization must not be usable by a third party through the transfer entry point.
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfSignedForOtherChain() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.chainId(block.chainid + 1);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
    }

    function test_transferWithAuthorization_revertsIfSignatureMalleable() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        // (r, n - s, v ^ 1) recovers the same key, so ecrecover alone would accept it.
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        bytes32 structHash =
            keccak256(abi.encode(TRANSFER_TYPEHASH, a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce));
        assertEq(ecrecover(_digest(structHash), flippedV, r, highS), alice);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, flippedV, r, highS);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, _packed(flippedV, r, highS));
    }

    function test_transferWithAuthorization_revertsIfSignatureLengthInvalid() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, abi.encodePacked(r, s)); // 64 bytes
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, abi.encodePacked(r, s, v, uint8(0))); // 66 bytes
    }

    function test_transferWithAuthorization_revertsIfFromIsZeroAddress() public {
        Authorization memory a = _authorization(NONCE);
        a.from = address(0);

        // ecrecover yields address(0) for garbage; that must never count as address(0) signing.
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, 27, bytes32(uint256(1)), bytes32(uint256(1)));
    }

    function test_transferWithAuthorization_revertsIfBalanceInsufficient() public {
        Authorization memory a = _authorization(NONCE);
        a.value = ALICE_BALANCE + 1;
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, ALICE_BALANCE, a.value)
        );
        _transfer(a, v, r, s);
        // The failed call rolled back, so the nonce is still free.
        assertFalse(token.authorizationState(alice, NONCE));
    }

    // ---------------------------------------------------------------------------------------------
    // receiveWithAuthorization
    // ---------------------------------------------------------------------------------------------

    function test_receiveWithAuthorization_movesFundsIfCallerIsPayee() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);

        vm.cool(address(token));
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationUsed(alice, NONCE);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(alice, bob, a.value);
        vm.prank(bob);
        _receive(a, v, r, s);
        vm.snapshotGasLastCall("receiveWithAuthorization(v,r,s)");

        assertEq(token.balanceOf(bob), a.value);
        assertTrue(token.authorizationState(alice, NONCE));
    }

    function test_receiveWithAuthorization_movesFundsIfBytesSignatureValid() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);

        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationUsed(alice, NONCE);
        vm.prank(bob);
        _receive(a, _packed(v, r, s));

        assertEq(token.balanceOf(bob), a.value);
    }

    function test_receiveWithAuthorization_revertsIfCallerNotPayee() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.CallerMustBePayee.selector, relayer, bob));
        vm.prank(relayer);
        _receive(a, v, r, s);

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.CallerMustBePayee.selector, relayer, bob));
        vm.prank(relayer);
        _receive(a, _packed(v, r, s));
    }

    function test_receiveWithAuthorization_revertsIfSignedForTransfer() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        vm.prank(bob);
        _receive(a, v, r, s);
    }

    function test_receiveWithAuthorization_revertsIfExpired() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);

        vm.warp(a.validBefore);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationExpired.selector, a.validBefore, a.validBefore));
        vm.prank(bob);
        _receive(a, v, r, s);
    }

    // ---------------------------------------------------------------------------------------------
    // cancelAuthorization
    // ---------------------------------------------------------------------------------------------

    function test_cancelAuthorization_burnsNonceIfSignatureValid() public {
        (uint8 v, bytes32 r, bytes32 s) = _signCancel(alicePk, alice, NONCE);

        vm.cool(address(token));
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationCanceled(alice, NONCE);
        vm.prank(relayer);
        token.cancelAuthorization(alice, NONCE, v, r, s);
        vm.snapshotGasLastCall("cancelAuthorization(v,r,s)");

        assertTrue(token.authorizationState(alice, NONCE));
    }

    function test_cancelAuthorization_burnsNonceIfBytesSignatureValid() public {
        (uint8 v, bytes32 r, bytes32 s) = _signCancel(alicePk, alice, NONCE);

        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationCanceled(alice, NONCE);
        token.cancelAuthorization(alice, NONCE, _packed(v, r, s));

        assertTrue(token.authorizationState(alice, NONCE));
    }

    function test_cancelAuthorization_blocksReceiveIfCanceledFirst() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);
        (uint8 cv, bytes32 cr, bytes32 cs) = _signCancel(alicePk, alice, NONCE);
        token.cancelAuthorization(alice, NONCE, _packed(cv, cr, cs));

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        vm.prank(bob);
        _receive(a, v, r, s);
    }

    function test_cancelAuthorization_revertsIfNonceUsed() public {
        Authorization memory a = _authorization(NONCE);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);
        _transfer(a, v, r, s);

        (v, r, s) = _signCancel(alicePk, alice, NONCE);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        token.cancelAuthorization(alice, NONCE, v, r, s);
    }

    function test_cancelAuthorization_revertsIfAlreadyCanceled() public {
        (uint8 v, bytes32 r, bytes32 s) = _signCancel(alicePk, alice, NONCE);
        token.cancelAuthorization(alice, NONCE, v, r, s);

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, NONCE));
        token.cancelAuthorization(alice, NONCE, _packed(v, r, s));
    }

    function test_cancelAuthorization_revertsIfWrongSigner() public {
        (uint8 v, bytes32 r, bytes32 s) = _signCancel(malloryPk, alice, NONCE);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.cancelAuthorization(alice, NONCE, v, r, s);
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        token.cancelAuthorization(alice, NONCE, _packed(v, r, s));
        assertFalse(token.authorizationState(alice, NONCE));
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-1271 wallets
    // ---------------------------------------------------------------------------------------------

    function test_transferWithAuthorization_movesFundsIfWalletSignatureValid() public {
        Authorization memory a = _authorization(NONCE);
        a.from = address(wallet);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.cool(address(token));
        vm.cool(address(wallet));
        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationUsed(address(wallet), NONCE);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(wallet), bob, a.value);
        vm.prank(relayer);
        _transfer(a, _packed(v, r, s));
        vm.snapshotGasLastCall("transferWithAuthorization(bytes, ERC-1271)");

        assertEq(token.balanceOf(address(wallet)), WALLET_BALANCE - a.value);
        assertEq(token.balanceOf(bob), a.value);
        assertTrue(token.authorizationState(address(wallet), NONCE));
    }

    function test_receiveWithAuthorization_movesFundsIfWalletSignsVrs() public {
        Authorization memory a = _authorization(NONCE);
        a.from = address(wallet);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, RECEIVE_TYPEHASH, a);

        // The v,r,s form reaches the wallet as the packed 65 bytes.
        vm.prank(bob);
        _receive(a, v, r, s);
        assertEq(token.balanceOf(bob), a.value);
    }

    function test_transferWithAuthorization_revertsIfWalletRejectsSignature() public {
        Authorization memory a = _authorization(NONCE);
        a.from = address(wallet);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(malloryPk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, _packed(v, r, s));
    }

    function test_transferWithAuthorization_revertsIfSignerIsContractWithoutErc1271() public {
        // A contract holder cannot be impersonated with an ECDSA signature of its address: it has code,
        // so only ERC-1271 is asked, and the token itself does not implement it.
        vm.prank(admin);
        token.mint(address(token), 500e18);
        Authorization memory a = _authorization(NONCE);
        a.from = address(token);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
    }

    function test_cancelAuthorization_burnsNonceIfWalletSignatureValid() public {
        (uint8 v, bytes32 r, bytes32 s) = _signCancel(alicePk, address(wallet), NONCE);

        vm.expectEmit(address(token));
        emit IEIP3009.AuthorizationCanceled(address(wallet), NONCE);
        token.cancelAuthorization(address(wallet), NONCE, _packed(v, r, s));
        assertTrue(token.authorizationState(address(wallet), NONCE));
    }

    // ---------------------------------------------------------------------------------------------
    // Fuzz
    // ---------------------------------------------------------------------------------------------

    function testFuzz_transferWithAuthorization_movesAnyAmountUpToBalance(uint256 pk, uint256 value, bytes32 nonce)
        public
    {
        pk = bound(pk, 1, SECP256K1_N - 1);
        address payer = vm.addr(pk);
        vm.prank(admin);
        token.mint(payer, ALICE_BALANCE);
        uint256 payerBalance = token.balanceOf(payer); // covers a key that hits a funded address
        uint256 bobBalance = token.balanceOf(bob);
        value = bound(value, 0, payerBalance);
        Authorization memory a = _authorization(nonce);
        a.from = payer;
        a.value = value;
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(pk, TRANSFER_TYPEHASH, a);

        vm.prank(relayer);
        _transfer(a, v, r, s);

        if (payer != bob) {
            assertEq(token.balanceOf(payer), payerBalance - value);
            assertEq(token.balanceOf(bob), bobBalance + value);
        }
        assertEq(token.totalSupply(), INITIAL_SUPPLY + ALICE_BALANCE);
        assertTrue(token.authorizationState(payer, nonce));
    }

    function testFuzz_transferWithAuthorization_revertsIfTooMuch(uint256 value) public {
        value = bound(value, ALICE_BALANCE + 1, type(uint256).max);
        Authorization memory a = _authorization(NONCE);
        a.value = value;
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, ALICE_BALANCE, value)
        );
        _transfer(a, v, r, s);
    }

    function testFuzz_transferWithAuthorization_succeedsIfInsideWindow(
        uint256 nowTime,
        uint256 validAfter,
        uint256 validBefore
    ) public {
        nowTime = bound(nowTime, 1, type(uint64).max);
        validAfter = bound(validAfter, 0, nowTime - 1);
        validBefore = bound(validBefore, nowTime + 1, type(uint256).max);
        Authorization memory a = _authorization(NONCE);
        (a.validAfter, a.validBefore) = (validAfter, validBefore);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.warp(nowTime);
        _transfer(a, v, r, s);
        assertEq(token.balanceOf(bob), a.value);
    }

    function testFuzz_transferWithAuthorization_revertsIfNotAfterValidAfter(uint256 nowTime, uint256 validAfter)
        public
    {
        nowTime = bound(nowTime, 0, type(uint64).max);
        validAfter = bound(validAfter, nowTime, type(uint256).max);
        Authorization memory a = _authorization(NONCE);
        (a.validAfter, a.validBefore) = (validAfter, type(uint256).max);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.warp(nowTime);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationNotYetValid.selector, validAfter, nowTime));
        _transfer(a, v, r, s);
    }

    function testFuzz_transferWithAuthorization_revertsIfNotBeforeValidBefore(uint256 nowTime, uint256 validBefore)
        public
    {
        nowTime = bound(nowTime, 1, type(uint64).max);
        validBefore = bound(validBefore, 0, nowTime);
        Authorization memory a = _authorization(NONCE);
        (a.validAfter, a.validBefore) = (0, validBefore);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        vm.warp(nowTime);
        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationExpired.selector, validBefore, nowTime));
        _transfer(a, v, r, s);
    }

    function testFuzz_cancelAuthorization_blocksAnyNonce(bytes32 nonce) public {
        Authorization memory a = _authorization(nonce);
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);
        (uint8 cv, bytes32 cr, bytes32 cs) = _signCancel(alicePk, alice, nonce);
        token.cancelAuthorization(alice, nonce, cv, cr, cs);

        vm.expectRevert(abi.encodeWithSelector(IEIP3009.AuthorizationAlreadyUsed.selector, alice, nonce));
        _transfer(a, v, r, s);
        assertEq(token.balanceOf(alice), ALICE_BALANCE);
    }

    function testFuzz_transferWithAuthorization_revertsIfValueTampered(uint256 signedValue, uint256 delta) public {
        signedValue = bound(signedValue, 0, ALICE_BALANCE);
        delta = bound(delta, 1, ALICE_BALANCE);
        Authorization memory a = _authorization(NONCE);
        a.value = signedValue;
        (uint8 v, bytes32 r, bytes32 s) = _signAuthorization(alicePk, TRANSFER_TYPEHASH, a);

        // Any other amount, up or down, that the payer could afford.
        a.value = signedValue >= delta ? signedValue - delta : signedValue + delta;
        vm.expectRevert(IEIP3009.InvalidAuthorizationSignature.selector);
        _transfer(a, v, r, s);
    }
}
