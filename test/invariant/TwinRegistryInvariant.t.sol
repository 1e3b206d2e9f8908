// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {BindingChange, CheckStatus, DriftCheck, TwinBinding} from "../../contracts/types/TwinTypes.sol";
import {TwinFixture} from "../twins/TwinFixture.sol";
import {TwinRegistryHandler} from "./TwinRegistryHandler.sol";

/// @notice TwinRegistry under random proposals, draws, votes (one liar among the verifiers), resolutions, term
///         changes, claims and time (see the handler): the release moves only through passed checks, escrowed fees
///         are paid or refunded to the wei, the token balance equals the liabilities, and no honest verifier is ever
///         slashed.
contract TwinRegistryInvariantTest is TwinFixture {
    TwinRegistryHandler internal handler;
    address internal liar;

    function setUp() public override {
        super.setUp();
        // Verifiers of both releases, so that checks run either way; verifiers[0] lies.
        for (uint256 i; i < verifiers.length; ++i) {
            vm.prank(verifiers[i]);
            workers.serveModel(V2);
        }
        _nextEpoch();
        liar = verifiers[0];
        token.mint(owner, 1_000_000e18);
        handler = new TwinRegistryHandler(twins, agentId, owner, liar, [V1, V2], PROFILE, PROBES);
        targetContract(address(handler));
    }

    /// @notice Every `Release` version names a passed check that moved the twin from the version before it to
    ///         this one; there are as many as checks passed.
    function invariant_releaseMovesOnlyThroughPassedChecks() public view {
        uint256 versions = twins.bindingVersions(agentId);
        uint256 moves;
        for (uint256 v = 1; v < versions; ++v) {
            TwinBinding memory b = twins.bindingAt(agentId, v);
            TwinBinding memory prev = twins.bindingAt(agentId, v - 1);
            if (b.change != BindingChange.Release) {
                assertEq(ModelId.unwrap(b.release), ModelId.unwrap(prev.release));
                continue;
            }
            ++moves;
            DriftCheck memory c = twins.getCheck(b.checkId);
            assertTrue(c.status == CheckStatus.Passed);
            assertLe(c.agreedPpm, c.driftBoundPpm);
            assertEq(ModelId.unwrap(c.toRelease), ModelId.unwrap(b.release));
            assertEq(ModelId.unwrap(c.fromRelease), ModelId.unwrap(prev.release));
        }
        assertEq(moves, handler.ghostPassed());
    }

    /// @notice Escrowed fees = paid to members + refunded to the proposer + the open check's fee.
    function invariant_escrowedFeesArePaidOrRefunded() public view {
        uint256 open = twins.openCheckOf(agentId);
        uint256 openFee = open == 0 ? 0 : twins.getCheck(open).fee;
        assertEq(handler.ghostEscrowed(), handler.ghostPaid() + handler.ghostRefunded() + openFee);
    }

    function invariant_balanceEqualsLiabilities() public view {
        assertEq(token.balanceOf(address(twins)), twins.liabilities());
    }

    function invariant_noHonestVerifierIsSlashed() public view {
        for (uint256 i = 1; i < verifiers.length; ++i) {
            assertEq(_stake(verifiers[i]), VERIFIER_STAKE);
        }
    }
}
