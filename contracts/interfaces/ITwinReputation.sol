// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITwinReputation
/// @notice ERC-8004's reputation registry over the twins' identities, fed only by paid work: a client may give an
///         agent feedback once for each invocation of it the network saw it pay for (`recordInvocations`, called by a
///         PAYER_RECORDER_ROLE holder: PIPE's settlement or a coordinator worker). Feedback is a 0..100 score with
///         optional tags, endpoint and off-chain file; the client may revoke it; anyone may append a response.
/// @dev Follows the reference interface of ERC-8004 (January 2026 revision) for `giveFeedback`, `revokeFeedback`,
///      `appendResponse`, `getSummary`, `readFeedback`, `getLastIndex` and `getClients`; the paid-invocation gate is
///      verigrad's answer to the spec's Sybil warning (feedback costs a paid invocation).
interface ITwinReputation {
    /// @notice Emitted when a client gives feedback (ERC-8004).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex Its index among the client's feedback for the agent, from 1.
    /// @param score 0..100.
    /// @param indexedTag1 `tag1`, indexed.
    /// @param tag1 A label.
    /// @param tag2 A label.
    /// @param endpoint The endpoint the feedback is about.
    /// @param feedbackURI An off-chain file.
    /// @param feedbackHash Its commitment.
    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        uint8 score,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );

    /// @notice Emitted when a client revokes its feedback (ERC-8004).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex The feedback.
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);

    /// @notice Emitted when someone appends a response to feedback (ERC-8004).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex The feedback.
    /// @param responder Who responded.
    /// @param responseURI The response.
    /// @param responseHash Its commitment.
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );

    /// @notice Emitted when paid invocations are recorded.
    /// @param agentId The agent invoked.
    /// @param payer Who paid.
    /// @param paid The payer's paid invocations of the agent so far.
    event InvocationPaid(uint256 indexed agentId, address indexed payer, uint64 paid);

    /// @notice Thrown by `giveFeedback` for a score above 100.
    /// @param score The score.
    error ScoreOutOfRange(uint8 score);

    /// @notice Thrown by `giveFeedback` if the client's feedback would outnumber its paid invocations of the agent.
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param paid Its paid invocations.
    error FeedbackNotPaidFor(uint256 agentId, address clientAddress, uint64 paid);

    /// @notice Thrown by `giveFeedback` if the client is the agent's owner or operator.
    /// @param agentId The agent.
    /// @param clientAddress The client.
    error SelfFeedback(uint256 agentId, address clientAddress);

    /// @notice Thrown by `revokeFeedback`, `appendResponse` and `readFeedback` for an index outside 1..lastIndex.
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex The index.
    error UnknownFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex);

    /// @notice Thrown by `revokeFeedback` for feedback revoked already.
    /// @param agentId The agent.
    /// @param feedbackIndex The index.
    error FeedbackAlreadyRevoked(uint256 agentId, uint64 feedbackIndex);

    /// @notice Thrown by `appendResponse` for an empty URI.
    error EmptyResponseURI();

    /// @notice Thrown by `recordInvocations` for a zero payer.
    error ZeroPayer();

    /// @notice Thrown by `recordInvocations` for a count of zero.
    error NoInvocations();

    /// @notice The identity registry whose agents this registry rates (ERC-8004).
    /// @return The twin registry.
    function getIdentityRegistry() external view returns (address);

    /// @notice Records that `payer` paid for `count` invocations of the agent: as many more feedbacks it may give.
    /// @dev PAYER_RECORDER_ROLE only. Reverts `ERC721NonexistentToken` for an unknown agent.
    /// @param agentId The agent.
    /// @param payer Who paid.
    /// @param count How many invocations it paid for (PIPE settles a block's calls of one payer together).
    function recordInvocations(uint256 agentId, address payer, uint64 count) external;

    /// @notice Gives the agent feedback (ERC-8004).
    /// @dev Only a client with more paid invocations of the agent than feedback given to it; never its owner or
    ///      operator.
    /// @param agentId The agent.
    /// @param score 0..100.
    /// @param tag1 A label (optional).
    /// @param tag2 A label (optional).
    /// @param endpoint The endpoint used (optional).
    /// @param feedbackURI An off-chain file (optional).
    /// @param feedbackHash Its commitment (optional).
    function giveFeedback(
        uint256 agentId,
        uint8 score,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external;

    /// @notice Revokes the caller's feedback (ERC-8004); it stays readable, marked revoked, and leaves summaries.
    /// @param agentId The agent.
    /// @param feedbackIndex The feedback.
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external;

    /// @notice Appends a response to feedback (ERC-8004): anyone (the agent showing a refund, a spam tagger).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex The feedback.
    /// @param responseURI The response (nonempty).
    /// @param responseHash Its commitment (optional).
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external;

    /// @notice The count and mean score of the agent's unrevoked feedback (ERC-8004).
    /// @param agentId The agent.
    /// @param clientAddresses Only these clients (empty: all).
    /// @param tag1 Only this tag1 (empty: all).
    /// @param tag2 Only this tag2 (empty: all).
    /// @return count Feedback counted.
    /// @return averageScore Their mean score.
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, uint8 averageScore);

    /// @notice One feedback (ERC-8004).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex The index, from 1.
    /// @return score The score.
    /// @return tag1 Its tag1.
    /// @return tag2 Its tag2.
    /// @return isRevoked Whether it was revoked.
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (uint8 score, string memory tag1, string memory tag2, bool isRevoked);

    /// @notice The client's last feedback index for the agent (ERC-8004).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @return The index (0: none).
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64);

    /// @notice Clients that gave the agent feedback (ERC-8004).
    /// @param agentId The agent.
    /// @return The clients, first feedback first.
    function getClients(uint256 agentId) external view returns (address[] memory);

    /// @notice The payer's recorded paid invocations of the agent.
    /// @param agentId The agent.
    /// @param payer The payer.
    /// @return The count.
    function paidInvocations(uint256 agentId, address payer) external view returns (uint64);

    /// @notice Responses appended to one feedback (ERC-8004's `getResponseCount` for one feedback and every responder).
    /// @param agentId The agent.
    /// @param clientAddress The client.
    /// @param feedbackIndex The feedback.
    /// @return The count.
    function responseCount(uint256 agentId, address clientAddress, uint64 feedbackIndex) external view returns (uint64);
}
