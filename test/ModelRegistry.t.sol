// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {DeterminismClass, ModelId, ReleaseTerms, RiskClass} from "../contracts/types/ModelTypes.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

contract ModelRegistryTest is RegistryFixtures {
    ModelId internal constant RELEASE = ModelId.wrap(keccak256("package-1.0.0"));
    ModelId internal constant RELEASE_2 = ModelId.wrap(keccak256("package-1.1.0"));
    uint96 internal constant PRICE = 2e18;
    uint16 internal constant ROYALTY = 1_000;

    bytes32 internal repo;

    function setUp() public override {
        super.setUp();
        vm.prank(alice);
        repo = models.createRepository("llama");
    }

    function _publish(ModelId releaseId) internal {
        vm.prank(alice);
        models.publishRelease(repo, releaseId, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.MEDIUM, PRICE, ROYALTY);
    }

    // ------------------------------------------------------------ createRepository

    function test_createRepository_storesOwnerAndEmits() public {
        bytes32 expected = keccak256(abi.encode(bob, "mistral"));
        vm.expectEmit(address(models));
        emit IModelRegistry.RepositoryCreated(expected, bob, "mistral");
        vm.prank(bob);
        bytes32 id = models.createRepository("mistral");
        assertEq(id, expected);
        assertEq(models.repositoryOwner(id), bob);
        assertEq(models.releasesOf(id).length, 0);
    }

    function test_createRepository_allowsSameNameForAnotherOwner() public {
        vm.prank(bob);
        bytes32 id = models.createRepository("llama");
        assertTrue(id != repo);
        assertEq(models.repositoryOwner(id), bob);
        assertEq(models.repositoryOwner(repo), alice);
    }

    function test_createRepository_revertsIfNameEmpty() public {
        vm.expectRevert(IModelRegistry.EmptyValue.selector);
        vm.prank(alice);
        models.createRepository("");
    }

    function test_createRepository_revertsIfRepositoryExists() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RepositoryExists.selector, repo));
        vm.prank(alice);
        models.createRepository("llama");
    }

    function test_createRepository_revertsIfCreatorRecreatesATransferredName() public {
        vm.prank(alice);
        models.transferRepository(repo, bob);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RepositoryExists.selector, repo));
        vm.prank(alice);
        models.createRepository("llama");
    }

    // ------------------------------------------------------------ transferRepository

    function test_transferRepository_movesOwnershipAndRoyalties() public {
        _publish(RELEASE);
        vm.expectEmit(address(models));
        emit IModelRegistry.RepositoryTransferred(repo, alice, bob);
        vm.prank(alice);
        models.transferRepository(repo, bob);
        assertEq(models.repositoryOwner(repo), bob);
        assertEq(models.terms(RELEASE).owner, bob, "royalty follows the repository");

        vm.prank(bob);
        models.setBasePrice(RELEASE, 1);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, alice));
        vm.prank(alice);
        models.setBasePrice(RELEASE, 2);
    }

    function test_transferRepository_revertsIfUnknownRepository() public {
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRepository.selector, unknown));
        vm.prank(alice);
        models.transferRepository(unknown, bob);
    }

    function test_transferRepository_revertsIfNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, bob));
        vm.prank(bob);
        models.transferRepository(repo, bob);
    }

    function test_transferRepository_revertsIfNewOwnerZero() public {
        vm.expectRevert(IModelRegistry.EmptyValue.selector);
        vm.prank(alice);
        models.transferRepository(repo, address(0));
    }

    // ------------------------------------------------------------ publishRelease

    function test_publishRelease_storesReleaseAndEmits() public {
        vm.warp(1_800_000_000);
        vm.expectEmit(address(models));
        emit IModelRegistry.ReleasePublished(
            repo, RELEASE, "2.0.0-rc1", DeterminismClass.TOLERANCE, RiskClass.HIGH, PRICE, ROYALTY
        );
        vm.prank(alice);
        models.publishRelease(
            repo, RELEASE, "2.0.0-rc1", DeterminismClass.TOLERANCE, 1_500, RiskClass.HIGH, PRICE, ROYALTY
        );

        IModelRegistry.Release memory r = models.release(RELEASE);
        assertEq(r.repoId, repo);
        assertEq(r.basePrice, PRICE);
        assertEq(r.royaltyBps, ROYALTY);
        assertEq(uint8(r.determinism), uint8(DeterminismClass.TOLERANCE));
        assertEq(uint8(r.risk), uint8(RiskClass.HIGH));
        assertFalse(r.deprecated);
        assertEq(r.toleranceE6, 1_500);
        assertEq(r.publishedAt, 1_800_000_000);
        assertEq(r.version, "2.0.0-rc1");
    }

    function test_publishRelease_listsReleasesOldestFirst() public {
        _publish(RELEASE);
        _publish(RELEASE_2);
        ModelId[] memory ids = models.releasesOf(repo);
        assertEq(ids.length, 2);
        assertEq(ModelId.unwrap(ids[0]), ModelId.unwrap(RELEASE));
        assertEq(ModelId.unwrap(ids[1]), ModelId.unwrap(RELEASE_2));
    }

    function test_publishRelease_acceptsMaxRoyalty() public {
        uint16 max = models.MAX_ROYALTY_BPS();
        assertEq(max, 5_000);
        vm.prank(alice);
        models.publishRelease(repo, RELEASE, "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 0, max);
        assertEq(models.terms(RELEASE).royaltyBps, max);
    }

    function test_publishRelease_revertsIfUnknownRepository() public {
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRepository.selector, unknown));
        vm.prank(alice);
        models.publishRelease(unknown, RELEASE, "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, 0);
    }

    function test_publishRelease_revertsIfNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, bob));
        vm.prank(bob);
        models.publishRelease(repo, RELEASE, "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, 0);
    }

    function test_publishRelease_revertsIfContentHashZero() public {
        vm.expectRevert(IModelRegistry.EmptyValue.selector);
        vm.prank(alice);
        models.publishRelease(repo, ModelId.wrap(0), "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, 0);
    }

    function test_publishRelease_revertsIfReleaseExists() public {
        _publish(RELEASE);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ReleaseExists.selector, RELEASE));
        vm.prank(alice);
        models.publishRelease(repo, RELEASE, "again", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, 0);
    }

    function test_publishRelease_revertsIfReleaseExistsInAnotherRepository() public {
        _publish(RELEASE);
        vm.prank(bob);
        bytes32 other = models.createRepository("copy");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ReleaseExists.selector, RELEASE));
        vm.prank(bob);
        models.publishRelease(other, RELEASE, "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, 0);
    }

    function test_publishRelease_revertsIfRoyaltyTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RoyaltyTooHigh.selector, uint16(5_001)));
        vm.prank(alice);
        models.publishRelease(repo, RELEASE, "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, 5_001);
    }

    function test_publishRelease_revertsIfExactHasTolerance() public {
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.InvalidTolerance.selector, DeterminismClass.EXACT, uint32(1))
        );
        vm.prank(alice);
        models.publishRelease(repo, RELEASE, "1", DeterminismClass.EXACT, 1, RiskClass.LOW, 1, 0);
    }

    function test_publishRelease_revertsIfToleranceIsZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.InvalidTolerance.selector, DeterminismClass.TOLERANCE, uint32(0))
        );
        vm.prank(alice);
        models.publishRelease(repo, RELEASE, "1", DeterminismClass.TOLERANCE, 0, RiskClass.LOW, 1, 0);
    }

    function testFuzz_publishRelease_roundTripsEveryField(
        ModelId releaseId,
        bool tolerant,
        uint32 toleranceE6,
        uint8 risk,
        uint96 basePrice,
        uint16 royaltyBps,
        uint40 time
    ) public {
        releaseId = ModelId.unwrap(releaseId) == 0 ? RELEASE : releaseId;
        toleranceE6 = tolerant ? uint32(bound(toleranceE6, 1, type(uint32).max)) : 0;
        DeterminismClass determinism = tolerant ? DeterminismClass.TOLERANCE : DeterminismClass.EXACT;
        RiskClass riskClass = RiskClass(bound(risk, 0, uint8(type(RiskClass).max)));
        royaltyBps = uint16(bound(royaltyBps, 0, 5_000));
        vm.warp(time);

        vm.prank(alice);
        models.publishRelease(repo, releaseId, "v", determinism, toleranceE6, riskClass, basePrice, royaltyBps);

        ReleaseTerms memory t = models.terms(releaseId);
        assertEq(t.owner, alice);
        assertEq(t.basePrice, basePrice);
        assertEq(t.royaltyBps, royaltyBps);
        assertEq(uint8(t.determinism), uint8(determinism));
        assertEq(uint8(t.risk), uint8(riskClass));
        assertFalse(t.deprecated);
        IModelRegistry.Release memory r = models.release(releaseId);
        assertEq(r.repoId, repo);
        assertEq(r.toleranceE6, toleranceE6);
        assertEq(r.publishedAt, time);
    }

    function testFuzz_publishRelease_revertsIfRoyaltyAboveMax(uint16 royaltyBps) public {
        royaltyBps = uint16(bound(royaltyBps, 5_001, type(uint16).max));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RoyaltyTooHigh.selector, royaltyBps));
        vm.prank(alice);
        models.publishRelease(repo, RELEASE, "1", DeterminismClass.EXACT, 0, RiskClass.LOW, 1, royaltyBps);
    }

    // ------------------------------------------------------------ setBasePrice

    function test_setBasePrice_updatesPriceAndEmits() public {
        _publish(RELEASE);
        vm.expectEmit(address(models));
        emit IModelRegistry.ReleasePriceChanged(RELEASE, 7e18);
        vm.prank(alice);
        models.setBasePrice(RELEASE, 7e18);
        assertEq(models.terms(RELEASE).basePrice, 7e18);
        assertEq(models.release(RELEASE).royaltyBps, ROYALTY, "neighbouring packed fields are untouched");
    }

    function test_setBasePrice_revertsIfUnknownRelease() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, RELEASE));
        vm.prank(alice);
        models.setBasePrice(RELEASE, 1);
    }

    function test_setBasePrice_revertsIfNotOwner() public {
        _publish(RELEASE);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, bob));
        vm.prank(bob);
        models.setBasePrice(RELEASE, 1);
    }

    // ------------------------------------------------------------ deprecate

    function test_deprecate_marksReleaseAndEmits() public {
        _publish(RELEASE);
        assertFalse(models.isDeprecated(RELEASE));
        vm.expectEmit(address(models));
        emit IModelRegistry.ReleaseDeprecated(RELEASE);
        vm.prank(alice);
        models.deprecate(RELEASE);
        assertTrue(models.isDeprecated(RELEASE));
        assertTrue(models.terms(RELEASE).deprecated);
        assertTrue(models.release(RELEASE).deprecated);
        assertEq(models.terms(RELEASE).basePrice, PRICE);
    }

    function test_deprecate_revertsIfAlreadyDeprecated() public {
        _publish(RELEASE);
        vm.prank(alice);
        models.deprecate(RELEASE);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ReleaseAlreadyDeprecated.selector, RELEASE));
        vm.prank(alice);
        models.deprecate(RELEASE);
    }

    function test_isDeprecated_revertsIfUnknownRelease() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, RELEASE));
        models.isDeprecated(RELEASE);
    }

    function test_deprecate_revertsIfUnknownRelease() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, RELEASE));
        vm.prank(alice);
        models.deprecate(RELEASE);
    }

    function test_deprecate_revertsIfNotOwner() public {
        _publish(RELEASE);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, bob));
        vm.prank(bob);
        models.deprecate(RELEASE);
    }

    // ------------------------------------------------------------ views

    function test_repositoryOwner_isZeroIfUnknown() public view {
        assertEq(models.repositoryOwner(keccak256("nope")), address(0));
    }

    function test_releasesOf_isEmptyIfUnknown() public view {
        assertEq(models.releasesOf(keccak256("nope")).length, 0);
    }

    function test_release_revertsIfUnknownRelease() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, RELEASE));
        models.release(RELEASE);
    }

    function test_terms_revertsIfUnknownRelease() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, RELEASE));
        models.terms(RELEASE);
    }

    function test_terms_returnsOwnerAndHotFields() public {
        _publish(RELEASE);
        ReleaseTerms memory t = models.terms(RELEASE);
        assertEq(t.owner, alice);
        assertEq(t.basePrice, PRICE);
        assertEq(t.royaltyBps, ROYALTY);
        assertEq(uint8(t.determinism), uint8(DeterminismClass.EXACT));
        assertEq(uint8(t.risk), uint8(RiskClass.MEDIUM));
        assertFalse(t.deprecated);
    }

    function test_terms_readsTwoStorageSlots() public {
        _publish(RELEASE);
        vm.cool(address(models));
        vm.record();
        models.terms(RELEASE);
        vm.snapshotGasLastCall("terms");
        (bytes32[] memory reads,) = vm.accesses(address(models));
        assertEq(reads.length, 2, "hot slot + repository owner");
        assertTrue(reads[0] != reads[1]);
    }
}
