// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

import {ITwinValidation} from "./interfaces/ITwinValidation.sol";

/// @title TwinValidation
/// @notice ERC-8004's validation registry over the twin registry's identities. See ITwinValidation.
/// @dev The twin registry may open requests for any twin: it validates the twins' release moves itself.
contract TwinValidation is ITwinValidation {
    /// @notice The largest response.
    uint8 public constant MAX_RESPONSE = 100;

    /// @dev A request's record. Slot 0: validator | response | answered; then agent, response hash, when, tag.
    struct Status {
        address validator;
        uint8 response;
        bool answered;
        uint256 agentId;
        bytes32 responseHash;
        uint256 lastUpdate;
        string tag;
    }

    /// @notice The twin registry (ERC-721 identities).
    IERC721 public immutable IDENTITY;

    mapping(bytes32 requestHash => Status) private _status;
    mapping(uint256 agentId => bytes32[]) private _agentRequests;
    mapping(address validator => bytes32[]) private _validatorRequests;

    /// @param identity The twin registry.
    constructor(IERC721 identity) {
        IDENTITY = identity;
    }

    /// @inheritdoc ITwinValidation
    function getIdentityRegistry() external view returns (address) {
        return address(IDENTITY);
    }

    /// @inheritdoc ITwinValidation
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external {
        if (validatorAddress == address(0)) {
            revert ZeroValidator();
        }
        if (_status[requestHash].validator != address(0)) {
            revert RequestExists(requestHash);
        }
        address owner = IDENTITY.ownerOf(agentId);
        if (
            msg.sender != address(IDENTITY) && msg.sender != owner && !IDENTITY.isApprovedForAll(owner, msg.sender)
                && IDENTITY.getApproved(agentId) != msg.sender
        ) {
            revert NotAgentOperator(agentId, msg.sender);
        }
        Status storage s = _status[requestHash];
        s.validator = validatorAddress;
        s.agentId = agentId;
        s.lastUpdate = block.timestamp;
        _agentRequests[agentId].push(requestHash);
        _validatorRequests[validatorAddress].push(requestHash);
        emit ValidationRequest(validatorAddress, agentId, requestURI, requestHash);
    }

    /// @inheritdoc ITwinValidation
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        if (response > MAX_RESPONSE) {
            revert ResponseOutOfRange(response);
        }
        Status storage s = _status[requestHash];
        address validator = s.validator;
        if (validator == address(0)) {
            revert UnknownRequest(requestHash);
        }
        if (msg.sender != validator) {
            revert NotValidator(requestHash, msg.sender);
        }
        s.response = response;
        s.answered = true;
        s.responseHash = responseHash;
        s.lastUpdate = block.timestamp;
        s.tag = tag;
        emit ValidationResponse(validator, s.agentId, requestHash, response, responseURI, responseHash, tag);
    }

    /// @inheritdoc ITwinValidation
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
        )
    {
        Status storage s = _status[requestHash];
        validatorAddress = s.validator;
        if (validatorAddress == address(0)) {
            revert UnknownRequest(requestHash);
        }
        (agentId, response, responseHash, tag, lastUpdate) =
        (s.agentId, s.response, s.responseHash, s.tag, s.lastUpdate);
    }

    /// @inheritdoc ITwinValidation
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 avgResponse)
    {
        bytes32[] storage requests = _agentRequests[agentId];
        bytes32 tagHash = keccak256(bytes(tag));
        uint256 total;
        for (uint256 i; i < requests.length; ++i) {
            Status storage s = _status[requests[i]];
            if (!s.answered || !_listed(validatorAddresses, s.validator)) {
                continue;
            }
            if (bytes(tag).length != 0 && keccak256(bytes(s.tag)) != tagHash) {
                continue;
            }
            total += s.response;
            ++count;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        avgResponse = count == 0 ? 0 : uint8(total / count); // a mean of values ≤ 100
    }

    /// @inheritdoc ITwinValidation
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory) {
        return _agentRequests[agentId];
    }

    /// @inheritdoc ITwinValidation
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory) {
        return _validatorRequests[validatorAddress];
    }

    /// @dev Whether `account` is in `list`, an empty list holding everyone.
    function _listed(address[] calldata list, address account) private pure returns (bool) {
        if (list.length == 0) {
            return true;
        }
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == account) {
                return true;
            }
        }
        return false;
    }
}
