// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

import {ITwinReputation} from "./interfaces/ITwinReputation.sol";

/// @title TwinReputation
/// @notice ERC-8004's reputation registry over the twin registry's identities, open only to clients that paid for an
///         invocation. See ITwinReputation.
/// @dev PAYER_RECORDER_ROLE is granted by the admin to what sees payments settle (PipeSettlement, a
///      coordinator worker that facilitates x402). One feedback per recorded paid invocation.
contract TwinReputation is ITwinReputation, AccessControl {
    /// @notice May record paid invocations.
    bytes32 public constant PAYER_RECORDER_ROLE = keccak256("PAYER_RECORDER_ROLE");
    /// @notice The largest score.
    uint8 public constant MAX_SCORE = 100;

    /// @dev One feedback.
    struct Feedback {
        uint8 score;
        bool revoked;
        string tag1;
        string tag2;
    }

    /// @notice The twin registry (ERC-721 identities).
    IERC721 public immutable IDENTITY;

    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => Feedback))) private _feedback;
    mapping(uint256 agentId => mapping(address client => uint64)) private _lastIndex;
    mapping(uint256 agentId => mapping(address client => uint64)) private _paid;
    mapping(uint256 agentId => address[]) private _clients;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => uint64))) private _responses;

    /// @param identity The twin registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants PAYER_RECORDER_ROLE).
    constructor(IERC721 identity, address admin) {
        IDENTITY = identity;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ITwinReputation
    function getIdentityRegistry() external view returns (address) {
        return address(IDENTITY);
    }

    /// @inheritdoc ITwinReputation
    function recordInvocations(uint256 agentId, address payer, uint64 count) external onlyRole(PAYER_RECORDER_ROLE) {
        if (payer == address(0)) {
            revert ZeroPayer();
        }
        if (count == 0) {
            revert NoInvocations();
        }
        IDENTITY.ownerOf(agentId); // reverts for an unknown agent
        uint64 paid = _paid[agentId][payer] + count;
        _paid[agentId][payer] = paid;
        emit InvocationPaid(agentId, payer, paid);
    }

    /// @inheritdoc ITwinReputation
    function giveFeedback(
        uint256 agentId,
        uint8 score,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external {
        if (score > MAX_SCORE) {
            revert ScoreOutOfRange(score);
        }
        uint64 index = _admit(agentId);
        _feedback[agentId][msg.sender][index] = Feedback(score, false, tag1, tag2);
        emit NewFeedback(agentId, msg.sender, index, score, tag1, tag1, tag2, endpoint, feedbackURI, feedbackHash);
    }

    /// @inheritdoc ITwinReputation
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        Feedback storage f = _existing(agentId, msg.sender, feedbackIndex);
        if (f.revoked) {
            revert FeedbackAlreadyRevoked(agentId, feedbackIndex);
        }
        f.revoked = true;
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    /// @inheritdoc ITwinReputation
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external {
        if (bytes(responseURI).length == 0) {
            revert EmptyResponseURI();
        }
        _existing(agentId, clientAddress, feedbackIndex);
        ++_responses[agentId][clientAddress][feedbackIndex];
        emit ResponseAppended(agentId, clientAddress, feedbackIndex, msg.sender, responseURI, responseHash);
    }

    /// @inheritdoc ITwinReputation
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, uint8 averageScore)
    {
        return _summary(agentId, _clientsOr(agentId, clientAddresses), _tagHash(tag1), _tagHash(tag2));
    }

    /// @inheritdoc ITwinReputation
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (uint8 score, string memory tag1, string memory tag2, bool isRevoked)
    {
        Feedback storage f = _existing(agentId, clientAddress, feedbackIndex);
        return (f.score, f.tag1, f.tag2, f.revoked);
    }

    /// @inheritdoc ITwinReputation
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64) {
        return _lastIndex[agentId][clientAddress];
    }

    /// @inheritdoc ITwinReputation
    function getClients(uint256 agentId) external view returns (address[] memory) {
        return _clients[agentId];
    }

    /// @inheritdoc ITwinReputation
    function paidInvocations(uint256 agentId, address payer) external view returns (uint64) {
        return _paid[agentId][payer];
    }

    /// @inheritdoc ITwinReputation
    function responseCount(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (uint64)
    {
        return _responses[agentId][clientAddress][feedbackIndex];
    }

    /// @dev The count and mean score of the clients' unrevoked feedback with those tag hashes (zero: any).
    function _summary(uint256 agentId, address[] memory clients, bytes32 tag1Hash, bytes32 tag2Hash)
        private
        view
        returns (uint64 count, uint8 averageScore)
    {
        uint256 total;
        for (uint256 i; i < clients.length; ++i) {
            (uint256 clientTotal, uint64 clientCount) = _sum(agentId, clients[i], tag1Hash, tag2Hash);
            total += clientTotal;
            count += clientCount;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        averageScore = count == 0 ? 0 : uint8(total / count); // a mean of scores ≤ 100
    }

    /// @dev `clients`, or every client of the agent if empty.
    function _clientsOr(uint256 agentId, address[] calldata clients) private view returns (address[] memory) {
        if (clients.length == 0) {
            return _clients[agentId];
        }
        return clients;
    }

    /// @dev A tag filter: zero for the empty tag (any).
    function _tagHash(string calldata tag) private pure returns (bytes32) {
        return bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
    }

    /// @dev The sum and count of a client's unrevoked feedback to the agent whose tags hash to `tag1Hash` and
    ///      `tag2Hash` (zero: any).
    function _sum(uint256 agentId, address client, bytes32 tag1Hash, bytes32 tag2Hash)
        private
        view
        returns (uint256 total, uint64 count)
    {
        uint64 last = _lastIndex[agentId][client];
        for (uint64 j = 1; j <= last; ++j) {
            Feedback storage f = _feedback[agentId][client][j];
            if (
                f.revoked || (tag1Hash != bytes32(0) && keccak256(bytes(f.tag1)) != tag1Hash)
                    || (tag2Hash != bytes32(0) && keccak256(bytes(f.tag2)) != tag2Hash)
            ) {
                continue;
            }
            total += f.score;
            ++count;
        }
    }

    /// @dev Checks that the caller may give the agent one more feedback (paid for, not its own) and returns its index.
    function _admit(uint256 agentId) private returns (uint64 index) {
        address owner = IDENTITY.ownerOf(agentId);
        if (
            msg.sender == owner || IDENTITY.isApprovedForAll(owner, msg.sender)
                || IDENTITY.getApproved(agentId) == msg.sender
        ) {
            revert SelfFeedback(agentId, msg.sender);
        }
        index = _lastIndex[agentId][msg.sender] + 1;
        uint64 paid = _paid[agentId][msg.sender];
        if (index > paid) {
            revert FeedbackNotPaidFor(agentId, msg.sender, paid);
        }
        if (index == 1) {
            _clients[agentId].push(msg.sender);
        }
        _lastIndex[agentId][msg.sender] = index;
    }

    function _existing(uint256 agentId, address client, uint64 feedbackIndex) private view returns (Feedback storage) {
        if (feedbackIndex == 0 || feedbackIndex > _lastIndex[agentId][client]) {
            revert UnknownFeedback(agentId, client, feedbackIndex);
        }
        return _feedback[agentId][client][feedbackIndex];
    }
}
