// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {ITwinReputation} from "../../contracts/interfaces/ITwinReputation.sol";
import {ITwinValidation} from "../../contracts/interfaces/ITwinValidation.sol";
import {TwinFixture} from "./TwinFixture.sol";

/// @notice ERC-8004's reputation (feedback only from paying clients) and validation registries over the twins.
contract TwinReputationTest is TwinFixture {
    address internal client = makeAddr("client");

    function _paid(address who) internal {
        vm.prank(recorder);
        reputation.recordInvocations(agentId, who, 1);
    }

    function _feedback(address who, uint8 score, string memory tag1) internal {
        vm.prank(who);
        reputation.giveFeedback(agentId, score, tag1, "", "https://twin.example/v1/invoke", "", bytes32(0));
    }

    function test_giveFeedback_revertsIfNotPaidFor() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.FeedbackNotPaidFor.selector, agentId, client, 0));
        _feedback(client, 90, "");
    }

    function test_giveFeedback_oncePerPaidInvocation() public {
        _paid(client);
        vm.expectEmit(address(reputation));
        emit ITwinReputation.NewFeedback(
            agentId, client, 1, 90, "quality", "quality", "", "https://twin.example/v1/invoke", "", bytes32(0)
        );
        _feedback(client, 90, "quality");
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.FeedbackNotPaidFor.selector, agentId, client, 1));
        _feedback(client, 10, "quality");
        _paid(client);
        _feedback(client, 70, "latency");

        assertEq(reputation.getLastIndex(agentId, client), 2);
        assertEq(reputation.getClients(agentId).length, 1);
        (uint8 score, string memory tag1,, bool revoked) = reputation.readFeedback(agentId, client, 2);
        assertEq(score, 70);
        assertEq(tag1, "latency");
        assertFalse(revoked);
        (uint64 count, uint8 average) = reputation.getSummary(agentId, new address[](0), "", "");
        assertEq(count, 2);
        assertEq(average, 80);
        (count, average) = reputation.getSummary(agentId, new address[](0), "quality", "");
        assertEq(count, 1);
        assertEq(average, 90);
    }

    function test_giveFeedback_revertsIfSelfFeedback() public {
        _paid(owner);
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.SelfFeedback.selector, agentId, owner));
        _feedback(owner, 100, "");
    }

    function test_giveFeedback_revertsIfScoreAbove100() public {
        _paid(client);
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.ScoreOutOfRange.selector, 101));
        _feedback(client, 101, "");
    }

    function test_recordInvocations_revertsIfNotRecorder() public {
        bytes32 role = reputation.PAYER_RECORDER_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, client, role));
        vm.prank(client);
        reputation.recordInvocations(agentId, client, 1);
    }

    function test_recordInvocations_revertsIfUnknownAgent() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 77));
        vm.prank(recorder);
        reputation.recordInvocations(77, client, 1);
    }

    function test_revokeFeedback_leavesTheSummary() public {
        _paid(client);
        _paid(client);
        _feedback(client, 20, "");
        _feedback(client, 100, "");
        vm.expectEmit(address(reputation));
        emit ITwinReputation.FeedbackRevoked(agentId, client, 1);
        vm.prank(client);
        reputation.revokeFeedback(agentId, 1);
        (uint64 count, uint8 average) = reputation.getSummary(agentId, new address[](0), "", "");
        assertEq(count, 1);
        assertEq(average, 100);
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.FeedbackAlreadyRevoked.selector, agentId, 1));
        vm.prank(client);
        reputation.revokeFeedback(agentId, 1);
        vm.expectRevert(abi.encodeWithSelector(ITwinReputation.UnknownFeedback.selector, agentId, client, 3));
        vm.prank(client);
        reputation.revokeFeedback(agentId, 3);
    }

    function test_appendResponse_countsResponses() public {
        _paid(client);
        _feedback(client, 10, "");
        vm.prank(owner);
        reputation.appendResponse(agentId, client, 1, "ipfs://refund-receipt", bytes32(0));
        assertEq(reputation.responseCount(agentId, client, 1), 1);
        vm.expectRevert(ITwinReputation.EmptyResponseURI.selector);
        reputation.appendResponse(agentId, client, 1, "", bytes32(0));
    }

    function test_validation_requestAndResponseByAnExternalValidator() public {
        address validator = makeAddr("zkml validator");
        bytes32 request = keccak256("job 1");
        vm.prank(owner);
        validation.validationRequest(validator, agentId, "ipfs://job-1", request);

        vm.expectRevert(abi.encodeWithSelector(ITwinValidation.NotValidator.selector, request, bob));
        vm.prank(bob);
        validation.validationResponse(request, 100, "", bytes32(0), "zkml");

        vm.prank(validator);
        validation.validationResponse(request, 60, "ipfs://proof", keccak256("proof"), "zkml");
        (address v, uint256 agent, uint8 response,, string memory tag,) = validation.getValidationStatus(request);
        assertEq(v, validator);
        assertEq(agent, agentId);
        assertEq(response, 60);
        assertEq(tag, "zkml");
        assertEq(validation.getAgentValidations(agentId).length, 1);
        assertEq(validation.getValidatorRequests(validator)[0], request);
        assertEq(validation.getIdentityRegistry(), address(twins));
    }

    function test_validationRequest_revertsIfNotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinValidation.NotAgentOperator.selector, agentId, bob));
        vm.prank(bob);
        validation.validationRequest(bob, agentId, "", keccak256("self-validation"));
    }

    function test_validationRequest_revertsIfTaken() public {
        bytes32 request = keccak256("job");
        vm.startPrank(owner);
        validation.validationRequest(bob, agentId, "", request);
        vm.expectRevert(abi.encodeWithSelector(ITwinValidation.RequestExists.selector, request));
        validation.validationRequest(bob, agentId, "", request);
        vm.stopPrank();
    }

    function test_validationResponse_revertsIfAbove100() public {
        vm.expectRevert(abi.encodeWithSelector(ITwinValidation.ResponseOutOfRange.selector, 101));
        validation.validationResponse(keccak256("x"), 101, "", bytes32(0), "");
    }

    function test_validation_recordsDriftChecksOfTheTwin() public {
        _check([uint32(30_000), 30_000, 30_000]); // passes
        vm.prank(owner);
        uint256 back = twins.proposeUpgrade(agentId, V1, FEE);
        // Nobody verifies V1: the check moving back voids and answers nothing.
        vm.roll(block.number + 3);
        twins.drawCommittee(back);
        address[] memory only = new address[](1);
        only[0] = address(twins);
        (uint64 count, uint8 avg) = validation.getSummary(agentId, only, "drift");
        assertEq(count, 1);
        assertEq(avg, 100);
        assertEq(validation.getAgentValidations(agentId).length, 2); // the void one stays unanswered
    }
}
