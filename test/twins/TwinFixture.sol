// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MemoryRegistry} from "../../contracts/MemoryRegistry.sol";
import {TwinRegistry} from "../../contracts/TwinRegistry.sol";
import {TwinReputation} from "../../contracts/TwinReputation.sol";
import {TwinValidation} from "../../contracts/TwinValidation.sol";
import {IMemoryRegistry} from "../../contracts/interfaces/IMemoryRegistry.sol";
import {ITwinRegistry} from "../../contracts/interfaces/ITwinRegistry.sol";
import {DeterminismClass, ModelId, RiskClass} from "../../contracts/types/ModelTypes.sol";
import {Roles} from "../../contracts/types/Roles.sol";
import {DriftCheck, DriftMember} from "../../contracts/types/TwinTypes.sol";
import {RegistryFixtures} from "../utils/RegistryFixtures.sol";

/// @notice The worker and model registries, a memory registry, the twin registry holding SLASHER_ROLE with its
///         validation and reputation registries, three published releases (V1, V2, and V3 deprecated), five VERIFY
///         workers serving V1 (the committees are drawn from the current release's verifiers), and a twin of `owner` bound to V1 with a memory namespace of `owner`'s.
abstract contract TwinFixture is RegistryFixtures {
    uint96 internal constant VERIFIER_STAKE = 200e18;
    uint96 internal constant MEMBER_LOCK = 10e18;
    uint96 internal constant MIN_FEE = 1e18;
    uint96 internal constant FEE = 3e18;
    uint32 internal constant TOLERANCE = 2_000; // 0.2 % of the metric's unit
    uint32 internal constant BOUND = 50_000; // 0.05: a cosine distance of 0.05 at most
    uint40 internal constant TERMS_DELAY = 2 days;
    uint40 internal constant COMMIT_WINDOW = 10 minutes;
    uint40 internal constant REVEAL_WINDOW = 5 minutes;
    uint40 internal constant JAIL = 1 days;
    uint8 internal constant COMMITTEE = 3;
    ModelId internal constant V1 = ModelId.wrap(keccak256("twin-model v1"));
    ModelId internal constant V2 = ModelId.wrap(keccak256("twin-model v2"));
    ModelId internal constant V3 = ModelId.wrap(keccak256("twin-model v3 (deprecated)"));
    bytes32 internal constant PROFILE = keccak256("profile: a helpful DeFi analyst");
    bytes32 internal constant PROBES = keccak256("probe set: 64 prompts, cosine distance");
    string internal constant URI = "ipfs://bafy-twin-registration";

    TwinRegistry internal twins;
    TwinValidation internal validation;
    TwinReputation internal reputation;
    MemoryRegistry internal memory_;

    address internal owner = makeAddr("twin owner");
    address internal modelOwner = makeAddr("model owner");
    address internal treasury = makeAddr("treasury");
    address internal recorder = makeAddr("payer recorder");
    address[] internal verifiers;
    address[] internal replicas;
    bytes32 internal ns;
    uint256 internal agentId;

    function setUp() public virtual override {
        super.setUp();
        memory_ = new MemoryRegistry(workers, admin, treasury, IMemoryRegistry.Penalty(50e18, 5_000, JAIL));
        twins = new TwinRegistry(workers, models, memory_, admin, _params());
        validation = new TwinValidation(twins);
        reputation = new TwinReputation(twins, admin);
        bytes32 slasherRole = workers.SLASHER_ROLE();
        bytes32 recorderRole = reputation.PAYER_RECORDER_ROLE();
        vm.startPrank(admin);
        workers.grantRole(slasherRole, address(twins));
        twins.setValidationRegistry(address(validation));
        reputation.grantRole(recorderRole, recorder);
        vm.stopPrank();

        vm.startPrank(modelOwner);
        bytes32 repo = models.createRepository("verigrad/twin-model");
        models.publishRelease(repo, V1, "1.0.0", DeterminismClass.TOLERANCE, 1_000, RiskClass.LOW, 0.1e18, 500);
        models.publishRelease(repo, V2, "2.0.0", DeterminismClass.TOLERANCE, 1_000, RiskClass.LOW, 0.1e18, 500);
        models.publishRelease(repo, V3, "3.0.0", DeterminismClass.TOLERANCE, 1_000, RiskClass.LOW, 0.1e18, 500);
        models.deprecate(V3);
        vm.stopPrank();

        for (uint256 i; i < 5; ++i) {
            address v = makeAddr(string.concat("verifier ", vm.toString(i)));
            _register(v, Roles.VERIFY, _one(V1), VERIFIER_STAKE);
            verifiers.push(v);
        }
        _nextEpoch();

        for (uint256 i; i < 2; ++i) {
            address store = makeAddr(string.concat("store ", vm.toString(i)));
            _register(store, Roles.STORE, new ModelId[](0), MIN_STORE);
            replicas.push(store);
        }
        vm.prank(owner);
        ns = memory_.createNamespace("twin memory", replicas);
        vm.prank(owner);
        agentId = twins.register(URI);
        vm.prank(owner);
        twins.bind(agentId, V1, PROFILE, ns, PROBES, BOUND);

        token.mint(owner, 100e18);
        vm.prank(owner);
        token.approve(address(twins), type(uint256).max);
    }

    function _params() internal view returns (ITwinRegistry.CheckParams memory) {
        return ITwinRegistry.CheckParams({
            memberLock: MEMBER_LOCK,
            minFee: MIN_FEE,
            tolerancePpm: TOLERANCE,
            committeeSize: COMMITTEE,
            commitWindow: COMMIT_WINDOW,
            revealWindow: REVEAL_WINDOW,
            termsDelay: TERMS_DELAY,
            jailDuration: JAIL,
            treasury: treasury
        });
    }

    /// @dev The owner proposes V2 with `FEE`.
    function _propose() internal returns (uint256 checkId) {
        vm.prank(owner);
        checkId = twins.proposeUpgrade(agentId, V2, FEE);
    }

    /// @dev Rolls past the check's anchor and draws its committee; returns the members.
    function _draw(uint256 checkId) internal returns (address[] memory members) {
        DriftCheck memory c = twins.getCheck(checkId);
        vm.roll(uint256(c.anchor) + 1);
        twins.drawCommittee(checkId);
        DriftMember[] memory committee = twins.committeeOf(checkId);
        members = new address[](committee.length);
        for (uint256 i; i < committee.length; ++i) {
            members[i] = committee[i].verifier;
        }
    }

    function _salt(address member) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", member));
    }

    function _commit(uint256 checkId, address member, uint32 drift) internal {
        bytes32 commitment = twins.driftCommitment(checkId, drift, PROBES, _salt(member), member);
        vm.prank(member);
        twins.commitDrift(checkId, commitment);
    }

    function _reveal(uint256 checkId, address member, uint32 drift) internal {
        vm.prank(member);
        twins.revealDrift(checkId, drift, PROBES, _salt(member));
    }

    /// @dev Proposes V2, draws, and has every member commit then reveal its figure in `drifts`.
    function _check(uint32[3] memory drifts) internal returns (uint256 checkId, address[] memory members) {
        checkId = _propose();
        members = _draw(checkId);
        for (uint256 i; i < members.length; ++i) {
            _commit(checkId, members[i], drifts[i]);
        }
        for (uint256 i; i < members.length; ++i) {
            _reveal(checkId, members[i], drifts[i]);
        }
    }

    function _stake(address who) internal view returns (uint256) {
        return workers.getWorker(who).stake;
    }
}
