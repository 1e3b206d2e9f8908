// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITwinRegistry} from "../../contracts/interfaces/ITwinRegistry.sol";
import {DriftTally} from "../../contracts/libraries/DriftTally.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {CheckStatus, DriftCheck} from "../../contracts/types/TwinTypes.sol";
import {TwinFixture} from "./TwinFixture.sol";

/// @notice Fuzzed: the median against a reference, the verdict under one liar of three, and the terms' delay.
contract TwinFuzzTest is TwinFixture {
    /// @notice The median of up to seven reveals equals the reference: count the values below and above.
    function testFuzz_median_matchesTheReference(uint32[7] memory raw, uint256 n) public pure {
        n = bound(n, 1, 7);
        uint32[] memory values = new uint32[](n);
        for (uint256 i; i < n; ++i) {
            values[i] = raw[i];
        }
        uint32 median = DriftTally.median(values);
        for (uint256 i = 1; i < n; ++i) {
            assertLe(values[i - 1], values[i]); // sorted in place
        }
        if (n % 2 == 1) {
            uint256 below;
            uint256 above;
            for (uint256 i; i < n; ++i) {
                below += raw[i] < median ? 1 : 0;
                above += raw[i] > median ? 1 : 0;
            }
            assertLe(below, n / 2);
            assertLe(above, n / 2);
        } else {
            assertEq(median, (uint256(values[n / 2 - 1]) + values[n / 2]) / 2);
        }
    }

    /// @notice One liar among three members, whatever it reveals: the agreed drift lies between the honest
    ///         reveals, the verdict follows it, no honest member is slashed, and the liar is slashed unless its
    ///         figure was within the tolerance of the honest ones anyway.
    function testFuzz_check_oneLiarCannotSteerTheVerdict(uint32 honest, uint32 noise, uint32 lie, uint256 liarSeat)
        public
    {
        honest = uint32(bound(honest, 0, 2 * BOUND));
        noise = uint32(bound(noise, 0, TOLERANCE));
        liarSeat = bound(liarSeat, 0, 2);
        uint256 checkId = _propose();
        address[] memory m = _draw(checkId);
        uint32[3] memory drifts;
        uint256 h;
        for (uint256 i; i < 3; ++i) {
            drifts[i] = i == liarSeat ? lie : honest + (h++ == 0 ? 0 : noise);
        }
        for (uint256 i; i < 3; ++i) {
            _commit(checkId, m[i], drifts[i]);
        }
        for (uint256 i; i < 3; ++i) {
            _reveal(checkId, m[i], drifts[i]);
        }
        DriftCheck memory c = twins.getCheck(checkId);
        assertGe(c.agreedPpm, honest);
        assertLe(c.agreedPpm, honest + noise);
        assertTrue(c.status == (c.agreedPpm <= BOUND ? CheckStatus.Passed : CheckStatus.Refused));
        ModelId expected = c.status == CheckStatus.Passed ? V2 : V1;
        assertEq(ModelId.unwrap(twins.binding(agentId).release), ModelId.unwrap(expected));
        for (uint256 i; i < 3; ++i) {
            if (i != liarSeat) {
                assertEq(_stake(m[i]), VERIFIER_STAKE);
                assertEq(twins.claimable(m[i]), FEE / 3);
            }
        }
        bool agrees = lie > c.agreedPpm ? lie - c.agreedPpm <= TOLERANCE : c.agreedPpm - lie <= TOLERANCE;
        assertEq(_stake(m[liarSeat]), agrees ? VERIFIER_STAKE : VERIFIER_STAKE - MEMBER_LOCK);
        assertEq(token.balanceOf(address(twins)), twins.liabilities());
    }

    /// @notice A bound at or below the current one holds at once; a wider one only from its effective time on.
    function testFuzz_proposeTerms_widensOnlyAfterTheDelay(uint32 newBound, uint256 wait) public {
        wait = bound(wait, 0, 2 * TERMS_DELAY);
        uint40 effectiveAt = uint40(block.timestamp) + TERMS_DELAY;
        vm.prank(owner);
        twins.proposeTerms(agentId, PROFILE, PROBES, newBound);
        if (newBound <= BOUND) {
            assertEq(twins.binding(agentId).driftBoundPpm, newBound);
            return;
        }
        assertEq(twins.binding(agentId).driftBoundPpm, BOUND);
        skip(wait);
        if (wait < TERMS_DELAY) {
            vm.expectRevert(abi.encodeWithSelector(ITwinRegistry.TermsNotEffective.selector, agentId, effectiveAt));
            twins.applyTerms(agentId);
            assertEq(twins.binding(agentId).driftBoundPpm, BOUND);
        } else {
            twins.applyTerms(agentId);
            assertEq(twins.binding(agentId).driftBoundPpm, newBound);
        }
    }
}
