// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITwinRegistry} from "../../contracts/interfaces/ITwinRegistry.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {CheckStatus} from "../../contracts/types/TwinTypes.sol";
import {TwinFixture} from "./TwinFixture.sol";

/// @notice Attacks on the drift check, each from the attacker's side: it ends poorer and the twin's release moves
///         only as the honest majority measured.
contract DriftAttacksTest is TwinFixture {
    uint32 internal constant TRUE_DRIFT = 80_000; // V2 really drifts beyond the bound
    uint32 internal constant SMALL_DRIFT = 20_000; // a move the bound allows

    /// @dev What a verifier holds: its stake, its claimable pay and its tokens.
    function _wealth(address who) internal view returns (uint256) {
        return _stake(who) + twins.claimable(who) + token.balanceOf(who);
    }

    /// @notice A member bribed to push a drifting release through reveals a made-up small drift. The two honest
    ///         members' median holds: the move is refused, the liar loses its lock and its share of the fee.
    function test_attack_madeUpDriftIsSlashedAndTheLiarEndsPoorer() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        address liar = m[0];
        uint256 liarBefore = _wealth(liar);
        uint256 honestBefore = _wealth(m[1]);
        _commit(checkId, liar, 10_000);
        _commit(checkId, m[1], TRUE_DRIFT);
        _commit(checkId, m[2], TRUE_DRIFT + 300);
        _reveal(checkId, liar, 10_000);
        _reveal(checkId, m[1], TRUE_DRIFT);
        _reveal(checkId, m[2], TRUE_DRIFT + 300);

        assertTrue(twins.getCheck(checkId).status == CheckStatus.Refused);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V1));
        assertEq(_wealth(liar), liarBefore - MEMBER_LOCK);
        assertEq(_wealth(m[1]), honestBefore + FEE / COMMITTEE);
        assertGt(workers.getWorker(liar).jailedUntil, block.timestamp);
        assertEq(workers.getWorker(liar).faults, 1);
        assertEq(twins.claimable(treasury), MEMBER_LOCK);
    }

    /// @notice Two colluders on a committee of five (below a majority) reveal zero drift to pass a drifting
    ///         release. The median is honest; the move is refused and both colluders are slashed.
    function test_attack_colludingMinorityCannotPassADriftingRelease() public {
        _committeeOf(5);
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        assertEq(m.length, 5);
        uint32[5] memory drifts = [uint32(0), 0, TRUE_DRIFT, TRUE_DRIFT - 500, TRUE_DRIFT + 400];
        uint256[2] memory before = [_wealth(m[0]), _wealth(m[1])];
        for (uint256 i; i < 5; ++i) {
            _commit(checkId, m[i], drifts[i]);
        }
        for (uint256 i; i < 5; ++i) {
            _reveal(checkId, m[i], drifts[i]);
        }

        assertTrue(twins.getCheck(checkId).status == CheckStatus.Refused);
        assertEq(twins.getCheck(checkId).agreedPpm, TRUE_DRIFT - 500);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V1));
        assertEq(_wealth(m[0]), before[0] - MEMBER_LOCK);
        assertEq(_wealth(m[1]), before[1] - MEMBER_LOCK);
        assertEq(twins.claimable(m[2]), FEE / 5);
    }

    /// @notice The reverse: colluders that want to block a move the bound allows (say, a rival's twin) reveal a
    ///         huge drift. The move is applied anyway and the colluders pay.
    function test_attack_colludingMinorityCannotBlockAnHonestMove() public {
        _committeeOf(5);
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        uint32[5] memory drifts = [uint32(900_000), 900_000, SMALL_DRIFT, SMALL_DRIFT + 100, SMALL_DRIFT - 100];
        uint256 before = _wealth(m[0]);
        for (uint256 i; i < 5; ++i) {
            _commit(checkId, m[i], drifts[i]);
        }
        for (uint256 i; i < 5; ++i) {
            _reveal(checkId, m[i], drifts[i]);
        }
        assertTrue(twins.getCheck(checkId).status == CheckStatus.Passed);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V2));
        assertEq(_wealth(m[0]), before - MEMBER_LOCK);
    }

    /// @notice A member that sees the others' reveals and withholds its own (hoping to void the check) is slashed,
    ///         and the check is decided by the two that revealed.
    function test_attack_withholdingARevealCostsTheLock() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        uint256 before = _wealth(m[2]);
        for (uint256 i; i < 3; ++i) {
            _commit(checkId, m[i], TRUE_DRIFT);
        }
        _reveal(checkId, m[0], TRUE_DRIFT);
        _reveal(checkId, m[1], TRUE_DRIFT);
        skip(REVEAL_WINDOW);
        twins.resolveCheck(checkId);
        assertTrue(twins.getCheck(checkId).status == CheckStatus.Refused);
        assertEq(_wealth(m[2]), before - MEMBER_LOCK);
    }

    /// @notice A lazy member copies another's commitment and tries to reveal its figure: the commitment binds the
    ///         member's address, so the copy cannot be opened and the copier is slashed as silent.
    function test_attack_copiedCommitmentCannotBeRevealed() public {
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        bytes32 honest = twins.driftCommitment(checkId, TRUE_DRIFT, PROBES, _salt(m[0]), m[0]);
        vm.prank(m[0]);
        twins.commitDrift(checkId, honest);
        vm.prank(m[1]);
        twins.commitDrift(checkId, honest); // copied
        _commit(checkId, m[2], TRUE_DRIFT);
        _reveal(checkId, m[0], TRUE_DRIFT);
        vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.DriftCommitmentMismatch.selector, checkId, m[1]));
        vm.prank(m[1]);
        twins.revealDrift(checkId, TRUE_DRIFT, PROBES, _salt(m[0]));
        _reveal(checkId, m[2], TRUE_DRIFT);
        skip(REVEAL_WINDOW);
        twins.resolveCheck(checkId);
        assertEq(_stake(m[1]), VERIFIER_STAKE - MEMBER_LOCK);
    }

    /// @notice The twin's owner stakes as a verifier of the twin's release to judge its own move: it is never drawn.
    function test_attack_ownerNeverSitsOnItsOwnCheck() public {
        _register(owner, Roles.VERIFY, _one(V1), VERIFIER_STAKE);
        _nextEpoch();
        _committeeOf(7);
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        assertEq(m.length, 5); // every verifier but the owner
        for (uint256 i; i < m.length; ++i) {
            assertTrue(m[i] != owner);
        }
    }

    /// @notice Whoever wants the move stakes a crowd of sybil verifiers for the new release, outweighing everyone
    ///         else's stake on it a hundredfold. The committee is drawn from the verifiers of the release the twin
    ///         runs now, so no sybil sits on the check: the honest members refuse the drifting move, and the sybils'
    ///         stake bought nothing.
    function test_attack_sybilVerifiersOfTheNewReleaseAreNeverDrawn() public {
        address[] memory sybils = new address[](5);
        for (uint256 i; i < sybils.length; ++i) {
            sybils[i] = makeAddr(string.concat("sybil ", vm.toString(i)));
            _register(sybils[i], Roles.VERIFY, _one(V2), VERIFIER_STAKE * 100);
        }
        _nextEpoch();
        _committeeOf(5);
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        assertEq(m.length, 5);
        for (uint256 i; i < m.length; ++i) {
            for (uint256 j; j < sybils.length; ++j) {
                assertTrue(m[i] != sybils[j], "a sybil of the new release was drawn");
            }
        }
        for (uint256 i; i < m.length; ++i) {
            _commit(checkId, m[i], TRUE_DRIFT);
        }
        for (uint256 i; i < m.length; ++i) {
            _reveal(checkId, m[i], TRUE_DRIFT);
        }
        assertTrue(twins.getCheck(checkId).status == CheckStatus.Refused);
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(V1));
    }

    /// @notice The release's owner, who earns royalties from the move, is never drawn either.
    function test_attack_releaseOwnerNeverSitsOnTheCheck() public {
        _register(modelOwner, Roles.VERIFY, _one(V1), VERIFIER_STAKE);
        _nextEpoch();
        _committeeOf(7);
        address[] memory m = _draw(_propose());
        assertEq(m.length, 5);
        for (uint256 i; i < m.length; ++i) {
            assertTrue(m[i] != modelOwner);
        }
    }

    function _committeeOf(uint8 size) internal {
        ITwinRegistry.CheckParams memory p = _params();
        p.committeeSize = size;
        vm.prank(admin);
        twins.setCheckParams(p);
    }
}
