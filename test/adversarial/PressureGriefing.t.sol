// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {TaskId, TaskStatus, Tier} from "../../contracts/types/TaskTypes.sol";
import {AdversarialFixture} from "./AdversarialFixture.sol";

/// @notice Verification pressure raised for gas alone: reviews kept open on an own price-0 model.
contract PressureGriefingTest is AdversarialFixture {
    uint256 internal constant REVIEWS = 5;

    /// @notice The issue's attack: DEEP tasks on an own price-0 model, served by the griefer's own workers, keep
    ///         reviews open — raising the network's verification pressure — for gas alone, and make the network's
    ///         verifiers re-execute for nothing. Every review now costs its requester the review pay of the whole
    ///         committee (`minReviewPay` at least), which goes to the members who did the work.
    function test_reviewsOnAnOwnFreeModel_costTheGriefer() public {
        address griefer = makeAddr("griefer");
        ModelId own = _publishModel(griefer, "griefer/free", 0);
        address[] memory group = new address[](4);
        group[0] = griefer;
        for (uint256 i = 1; i < 4; ++i) {
            group[i] =
                _registerWith(string.concat("griefer's worker ", vm.toString(i)), Roles.COMPUTE, _single(own), STAKE);
        }
        for (uint256 i; i < verifiers.length; ++i) {
            vm.prank(verifiers[i]);
            workers.serveModel(own);
        }
        _fund(griefer, 100e18);
        _nextEpoch();
        uint256 before = _wealth(group);
        uint256 verifiersBefore = _wealth(verifiers);

        TaskId[] memory tasks = new TaskId[](REVIEWS);
        for (uint256 n; n < REVIEWS; ++n) {
            tasks[n] = _createAs(griefer, own, 0, Tier.DEEP, 10e18);
            _assignFresh(tasks[n]);
            _commitReveal(tasks[n], _outputs(3, good)); // and draws the DEEP review's committee
            assertEq(uint8(_status(tasks[n])), uint8(TaskStatus.Reviewing));
        }
        assertGt(escrow.pressureBps(), 0, "the reviews raise the pressure");
        for (uint256 n; n < REVIEWS; ++n) {
            _voteAll(tasks[n], 7);
            escrow.settle(tasks[n]);
        }
        _claimAll(group);
        uint256 reviewCost = REVIEWS * escrow.params().committeeSize * escrow.params().minReviewPay;
        assertGt(reviewCost, 0, "reviews are never free");
        assertLe(_wealth(group), before - reviewCost, "every review cost the griefer the committee's pay");
        assertGe(_wealth(verifiers), verifiersBefore + reviewCost, "and paid the verifiers who did the work");
        assertEq(escrow.pressureBps(), 0);
        _assertSolvent();
    }

    function _claimAll(address[] memory group) internal {
        for (uint256 i; i < group.length; ++i) {
            if (escrow.claimable(group[i]) > 0) {
                vm.prank(group[i]);
                escrow.claim();
            }
        }
    }
}
