// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {DeterminismClass, ModelId, RiskClass} from "../contracts/types/ModelTypes.sol";
import {RegistryFixtures} from "./utils/RegistryFixtures.sol";

/// @notice Capability tags: what a router resolves a request naming a capability (e.g. "embedding/384") to.
contract ModelRegistryTagsTest is RegistryFixtures {
    ModelId internal constant RELEASE = ModelId.wrap(keccak256("embedder-1.0.0"));
    ModelId internal constant RELEASE_2 = ModelId.wrap(keccak256("embedder-2.0.0"));
    ModelId internal constant BOBS = ModelId.wrap(keccak256("bobs-embedder"));

    bytes32 internal repo;
    bytes32 internal bobsRepo;

    function setUp() public override {
        super.setUp();
        vm.prank(alice);
        repo = models.createRepository("embedder");
        vm.prank(bob);
        bobsRepo = models.createRepository("embedder");
        _publish(alice, repo, RELEASE);
        _publish(alice, repo, RELEASE_2);
        _publish(bob, bobsRepo, BOBS);
    }

    function _publish(address owner, bytes32 repoId, ModelId releaseId) internal {
        vm.prank(owner);
        models.publishRelease(repoId, releaseId, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.LOW, 1e18, 500);
    }

    function _tag(address owner, ModelId releaseId, string memory tag) internal {
        vm.prank(owner);
        models.tagRelease(releaseId, tag);
    }

    function test_tagRelease_listsTheReleaseUnderItsTagAndEmits() public {
        vm.expectEmit(address(models));
        emit IModelRegistry.ReleaseTagged(RELEASE, keccak256("embedding/384"), "embedding/384");
        _tag(alice, RELEASE, "embedding/384");
        _tag(alice, RELEASE, "text/en");
        _tag(bob, BOBS, "embedding/384");

        ModelId[] memory tagged = models.releasesTagged("embedding/384");
        assertEq(tagged.length, 2);
        assertEq(ModelId.unwrap(tagged[0]), ModelId.unwrap(RELEASE), "tagging order");
        assertEq(ModelId.unwrap(tagged[1]), ModelId.unwrap(BOBS));
        string[] memory tags = models.tagsOf(RELEASE);
        assertEq(tags.length, 2);
        assertEq(tags[0], "embedding/384");
        assertEq(tags[1], "text/en");
        assertEq(models.tagsOf(RELEASE_2).length, 0);
        assertEq(models.releasesTagged("forecast/volatility").length, 0);
    }

    function test_tagRelease_keepsTheTagOfADeprecatedRelease() public {
        _tag(alice, RELEASE, "embedding/384");
        vm.prank(alice);
        models.deprecate(RELEASE);
        assertEq(models.releasesTagged("embedding/384").length, 1, "routers skip it by its deprecation");
        assertTrue(models.isDeprecated(models.releasesTagged("embedding/384")[0]));
    }

    /// @dev The attacker's try: tagging someone else's release (to draw its traffic to a capability it lacks, or
    ///      to fill its tag list) is refused, and nothing is recorded.
    function test_tagRelease_revertsIfNotTheReleasesOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotRepositoryOwner.selector, repo, bob));
        _tag(bob, RELEASE, "embedding/384");
        assertEq(models.tagsOf(RELEASE).length, 0);
        assertEq(models.releasesTagged("embedding/384").length, 0);
    }

    function test_tagRelease_revertsIfUnknownRelease() public {
        ModelId ghost = ModelId.wrap(keccak256("ghost"));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownRelease.selector, ghost));
        _tag(alice, ghost, "embedding/384");
    }

    function test_tagRelease_revertsIfTaggedTwice() public {
        _tag(alice, RELEASE, "embedding/384");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TagRefused.selector, RELEASE, "embedding/384"));
        _tag(alice, RELEASE, "embedding/384");
        assertEq(models.releasesTagged("embedding/384").length, 1);
    }

    function test_tagRelease_revertsPastMaxTags() public {
        uint256 max = models.MAX_TAGS();
        for (uint256 i; i < max; ++i) {
            _tag(alice, RELEASE, string.concat("tag-", vm.toString(i)));
        }
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TagRefused.selector, RELEASE, "one-more"));
        _tag(alice, RELEASE, "one-more");
    }

    function test_tagRelease_revertsIfTagIsMalformed() public {
        string[5] memory bad = ["", "Embedding/384", "embedding 384", "embedding/384\n", unicode"émbedding"];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidTag.selector, bad[i]));
            _tag(alice, RELEASE, bad[i]);
        }
        bytes memory longest = new bytes(models.MAX_TAG_LENGTH());
        for (uint256 i; i < longest.length; ++i) {
            longest[i] = "a";
        }
        _tag(alice, RELEASE, string(longest));
        string memory tooLong = string.concat(string(longest), "a");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidTag.selector, tooLong));
        _tag(alice, RELEASE, tooLong);
    }

    /// @dev Every byte outside `a-z 0-9 / - _ .` is refused wherever it stands; a tag of allowed bytes is kept.
    function testFuzz_tagRelease_acceptsExactlyTheTagAlphabet(bytes32 seed, uint8 length, uint8 at, bytes1 odd) public {
        bytes memory alphabet = "abcdefghijklmnopqrstuvwxyz0123456789/-_.";
        length = uint8(bound(length, 1, models.MAX_TAG_LENGTH()));
        bytes memory tag = new bytes(length);
        for (uint256 i; i < length; ++i) {
            tag[i] = alphabet[uint8(seed[i % 32]) % alphabet.length];
        }
        bool allowed;
        for (uint256 i; i < alphabet.length; ++i) {
            allowed = allowed || alphabet[i] == odd;
        }
        if (allowed) {
            _tag(alice, RELEASE, string(tag));
            assertEq(models.tagsOf(RELEASE)[0], string(tag));
        } else {
            tag[bound(at, 0, length - 1)] = odd;
            vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidTag.selector, string(tag)));
            _tag(alice, RELEASE, string(tag));
        }
    }
}
