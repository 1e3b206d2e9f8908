// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITwinValidation
/// @notice ERC-8004's validation registry over the twins' identities: an agent's operator asks a validator to check
///         its work (`validationRequest`), the validator answers 0..100 (`validationResponse`), anyone reads the
///         record and a summary. The twin registry is a validator here: it opens a request when a drift check is
///         proposed and answers it when the check resolves (100 passed, 0 refused, tag "drift").
/// @dev Follows the reference interface of ERC-8004 (January 2026 revision): same function names, argument order,
///      events and return shapes. Incentives are the validator's business: the drift check's are in ITwinRegistry.
interface ITwinValidation {
    /// @notice Emitted when a validation is requested (ERC-8004).
    /// @param validatorAddress Who is asked to validate.
    /// @param agentId The agent.
    /// @param requestURI Where the request's data lives.
    /// @param requestHash Its commitment; the request's id.
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );

    /// @notice Emitted when a validator answers (ERC-8004); it may answer again (progressive validation).
    /// @param validatorAddress The validator.
    /// @param agentId The agent.
    /// @param requestHash The request.
    /// @param response 0 (failed) .. 100 (passed).
    /// @param responseURI Evidence.
    /// @param responseHash Its commitment.
    /// @param tag A label.
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    /// @notice Thrown by `validationRequest` for a zero validator.
    error ZeroValidator();

    /// @notice Thrown by `validationRequest` if the request hash is taken.
    /// @param requestHash The hash.
    error RequestExists(bytes32 requestHash);

    /// @notice Thrown by `validationResponse` and `getValidationStatus` for an unknown request.
    /// @param requestHash The hash.
    error UnknownRequest(bytes32 requestHash);

    /// @notice Thrown by `validationResponse` if the caller is not the request's validator.
    /// @param requestHash The request.
    /// @param caller The caller.
    error NotValidator(bytes32 requestHash, address caller);

    /// @notice Thrown by `validationResponse` for a response above 100.
    /// @param response The response.
    error ResponseOutOfRange(uint8 response);

    /// @notice Thrown by `validationRequest` if the caller is neither the agent's operator nor the identity registry.
    /// @param agentId The agent.
    /// @param caller The caller.
    error NotAgentOperator(uint256 agentId, address caller);

    /// @notice The identity registry whose agents this registry validates (ERC-8004).
    /// @return The twin registry.
    function getIdentityRegistry() external view returns (address);

    /// @notice Asks `validatorAddress` to validate the agent's work (ERC-8004).
    /// @dev The agent's operator (owner or approved), or the identity registry itself (for its drift checks).
    /// @param validatorAddress The validator.
    /// @param agentId The agent (reverts `ERC721NonexistentToken` if none).
    /// @param requestURI Where the request's data lives.
    /// @param requestHash Its commitment, unique.
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external;

    /// @notice Answers a request (ERC-8004); may be called again to update the answer.
    /// @dev The request's validator only.
    /// @param requestHash The request.
    /// @param response 0..100.
    /// @param responseURI Evidence (optional).
    /// @param responseHash Its commitment (optional).
    /// @param tag A label (optional).
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external;

    /// @notice A request's record (ERC-8004).
    /// @param requestHash The request.
    /// @return validatorAddress The validator.
    /// @return agentId The agent.
    /// @return response The latest response (0 before any).
    /// @return responseHash The latest response's commitment.
    /// @return tag The latest response's tag.
    /// @return lastUpdate When it last changed.
    function getValidationStatus(bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        );

    /// @notice The count and mean of the answered requests of an agent (ERC-8004).
    /// @param agentId The agent.
    /// @param validatorAddresses Only these validators (empty: all).
    /// @param tag Only this tag (empty: all).
    /// @return count Answered requests counted.
    /// @return avgResponse Their mean response.
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 avgResponse);

    /// @notice An agent's requests (ERC-8004).
    /// @param agentId The agent.
    /// @return The request hashes, oldest first.
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory);

    /// @notice A validator's requests (ERC-8004).
    /// @param validatorAddress The validator.
    /// @return The request hashes, oldest first.
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory);
}
