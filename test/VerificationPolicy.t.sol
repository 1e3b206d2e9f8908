// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {VerificationPolicy} from "../contracts/libraries/VerificationPolicy.sol";
import {Decision, Deterrence, PolicyInputs, Tier} from "../contracts/types/TaskTypes.sol";

contract VerificationPolicyTest is Test {
    uint256 internal constant TOKEN = 1e18;

    /// @notice The vectors the Rust mirror (`worker/src/policy.rs`) is also tested against.
    function test_decide_matchesTheSharedVectors() public view {
        string memory json = vm.readFile("test/vectors/policy.json");
        uint256 count;
        while (vm.keyExistsJson(json, string.concat(".cases[", vm.toString(count), "]"))) {
            ++count;
        }
        assertGe(count, 30);
        for (uint256 i; i < count; ++i) {
            string memory at = string.concat(".cases[", vm.toString(i), "]");
            string memory name = vm.parseJsonString(json, string.concat(at, ".name"));
            Decision memory d = _decide(
                vm.parseUint(vm.parseJsonString(json, string.concat(at, ".value"))),
                uint8(vm.parseJsonUint(json, string.concat(at, ".risk"))),
                Tier(vm.parseJsonUint(json, string.concat(at, ".floor"))),
                uint16(vm.parseJsonUint(json, string.concat(at, ".reputationBps"))),
                uint16(vm.parseJsonUint(json, string.concat(at, ".pressureBps")))
            );
            assertEq(uint8(d.tier), vm.parseJsonUint(json, string.concat(at, ".tier")), name);
            assertEq(d.redundancy, vm.parseJsonUint(json, string.concat(at, ".redundancy")), name);
            assertEq(d.auditBps, vm.parseJsonUint(json, string.concat(at, ".auditBps")), name);
        }
    }

    function _decide(uint256 value, uint8 risk, Tier floor, uint16 rep, uint16 pressure)
        internal
        pure
        returns (Decision memory)
    {
        return VerificationPolicy.decide(PolicyInputs(value, risk, floor, rep, pressure));
    }

    function test_valuePoints_isLog2OfValueUnits() public pure {
        assertEq(VerificationPolicy.valuePoints(0), 0);
        assertEq(VerificationPolicy.valuePoints(1e16 - 1), 0, "below one unit");
        assertEq(VerificationPolicy.valuePoints(1e16), 1_000, "1 unit: log2(2)");
        assertEq(VerificationPolicy.valuePoints(3e16), 2_000, "3 units: log2(4)");
        assertEq(VerificationPolicy.valuePoints(2e16), 1_500, "2 units: halfway from 2 to 4");
        assertEq(VerificationPolicy.valuePoints(1023e16), 10_000, "1023 units: log2(1024)");
    }

    function test_valuePoints_handlesTheLargestValue() public pure {
        // 1 + max/1e16 ≈ 2^202.6: no overflow anywhere.
        uint256 points = VerificationPolicy.valuePoints(type(uint256).max);
        assertGt(points, 202_000);
        assertLt(points, 203_000);
    }

    function test_decide_isLightWithSmallAuditIfValueIsSmall() public pure {
        Decision memory d = _decide(0.01 ether, 0, Tier.LIGHT, 0, 0);
        assertEq(uint8(d.tier), uint8(Tier.LIGHT));
        assertEq(d.redundancy, 1);
        assertEq(uint256(d.auditBps), 50 + uint256(1_000) / 6);
    }

    function test_decide_isRedundantIfValueOrRiskIsHigh() public pure {
        Decision memory d = _decide(100 * TOKEN, 1, Tier.LIGHT, 0, 0); // 13_288 + 4_000 points
        assertEq(uint8(d.tier), uint8(Tier.REDUNDANT));
        assertEq(d.redundancy, 3);
        Decision memory critical = _decide(1 * TOKEN, 3, Tier.LIGHT, 0, 0); // 6_658 + 12_000 points
        assertEq(uint8(critical.tier), uint8(Tier.REDUNDANT));
        assertEq(critical.redundancy, 5, "one pair above the threshold");
    }

    function test_decide_isDeepIfScoreIsVeryHigh() public pure {
        Decision memory d = _decide(10_000 * TOKEN, 2, Tier.LIGHT, 0, 0);
        assertEq(uint8(d.tier), uint8(Tier.DEEP));
        assertEq(d.redundancy, 7);
        assertEq(d.auditBps, 10_000);
    }

    function test_decide_reputationLowersVerification() public pure {
        Decision memory stranger = _decide(100 * TOKEN, 0, Tier.LIGHT, 0, 0);
        Decision memory trusted = _decide(100 * TOKEN, 0, Tier.LIGHT, 10_000, 0);
        assertEq(stranger.redundancy, 3, "13_288 points: redundant");
        assertEq(trusted.redundancy, 1, "9_288 points: light");
        assertLt(trusted.auditBps, 2_500);
    }

    function test_decide_pressureShiftsAuditsToRedundancy() public pure {
        // 10_000 points: light without pressure, redundant once the threshold drops to 9_000.
        uint256 value = 1023e16;
        Decision memory calm = _decide(value, 0, Tier.LIGHT, 0, 0);
        Decision memory busy = _decide(value, 0, Tier.LIGHT, 0, 10_000);
        assertEq(calm.redundancy, 1);
        assertEq(busy.redundancy, 3);
        Decision memory calmSmall = _decide(1 * TOKEN, 0, Tier.LIGHT, 0, 0);
        Decision memory busySmall = _decide(1 * TOKEN, 0, Tier.LIGHT, 0, 10_000);
        assertLt(busySmall.auditBps, calmSmall.auditBps, "pressure lowers audits");
        assertGe(busySmall.auditBps, VerificationPolicy.MIN_AUDIT_BPS);
    }

    function test_decide_floorOnlyRaises() public pure {
        Decision memory r = _decide(0, 0, Tier.REDUNDANT, 10_000, 0);
        assertEq(uint8(r.tier), uint8(Tier.REDUNDANT));
        assertEq(r.redundancy, 3);
        Decision memory deep = _decide(0, 0, Tier.DEEP, 10_000, 0);
        assertEq(uint8(deep.tier), uint8(Tier.DEEP));
        assertEq(deep.redundancy, 3);
        Decision memory high = _decide(10_000 * TOKEN, 2, Tier.REDUNDANT, 0, 0);
        assertEq(uint8(high.tier), uint8(Tier.DEEP), "a low floor never lowers");
    }

    function test_decide_redundancySlidesInSteps() public pure {
        uint8 last = 1;
        uint256 changes;
        for (uint256 e; e < 24; ++e) {
            Decision memory d = _decide(uint256(1e16) << e, 1, Tier.LIGHT, 0, 0);
            assertGe(d.redundancy, last);
            assertEq(d.redundancy % 2, 1, "odd quorum");
            if (d.redundancy != last) {
                ++changes;
            }
            last = d.redundancy;
        }
        assertEq(changes, 3, "1 -> 3 -> 5 -> 7");
    }

    function testFuzz_decide_isMonotoneInValue(uint256 a, uint256 b, uint8 risk, uint16 rep, uint16 pressure)
        public
        pure
    {
        a = bound(a, 0, 1e30);
        b = bound(b, a, 1e30);
        risk = uint8(bound(risk, 0, 3));
        Decision memory low = _decide(a, risk, Tier.LIGHT, rep, pressure);
        Decision memory high = _decide(b, risk, Tier.LIGHT, rep, pressure);
        assertGe(uint8(high.tier), uint8(low.tier));
        assertGe(high.redundancy, low.redundancy);
        if (high.redundancy == low.redundancy) {
            assertGe(high.auditBps, low.auditBps);
        }
    }

    function testFuzz_decide_neverRaisedByReputation(uint256 value, uint8 risk, uint16 repA, uint16 repB) public pure {
        value = bound(value, 0, 1e30);
        risk = uint8(bound(risk, 0, 3));
        repA = uint16(bound(repA, 0, 10_000));
        repB = uint16(bound(repB, repA, 10_000));
        Decision memory newcomer = _decide(value, risk, Tier.LIGHT, repA, 0);
        Decision memory veteran = _decide(value, risk, Tier.LIGHT, repB, 0);
        assertLe(uint8(veteran.tier), uint8(newcomer.tier));
        assertLe(veteran.redundancy, newcomer.redundancy);
        if (veteran.redundancy == newcomer.redundancy) {
            assertLe(veteran.auditBps, newcomer.auditBps);
        }
    }

    function testFuzz_decide_staysInRange(uint256 value, uint8 risk, uint8 floor, uint16 rep, uint16 pressure)
        public
        pure
    {
        risk = uint8(bound(risk, 0, 3));
        Tier f = Tier(bound(floor, 0, 2));
        Decision memory d = _decide(value, risk, f, rep, pressure);
        assertGe(uint8(d.tier), uint8(f));
        assertGe(d.redundancy, 1);
        assertLe(d.redundancy, VerificationPolicy.MAX_REDUNDANCY);
        assertGe(d.auditBps, VerificationPolicy.MIN_AUDIT_BPS);
        assertLe(d.auditBps, 10_000);
        assertEq(d.tier == Tier.LIGHT, d.redundancy == 1);
        if (d.tier != Tier.DEEP) {
            assertLe(d.auditBps, VerificationPolicy.MAX_AUDIT_BPS);
        }
    }

    // ─── Deterrence ──────────────────────────────────────────────────────────────────────────────

    /// @notice The escrow's two steps — decide for the least trusted primary and lock its collateral, then decide
    ///         with the real primary's reputation and raise the audit until that lock deters — leave the
    ///         deterrence condition p·(R + S) ≥ C + G ÷ coalition true for any value, risk, floor, reputation,
    ///         verification pressure, price and minimum slash (R = C = the price: the worst case). Pressure lowers
    ///         audits only by raising the collateral: it never weakens deterrence.
    function testFuzz_deterrence_holdsForEveryTask(
        uint96 value,
        uint8 risk,
        uint8 floor,
        uint16 rep,
        uint16 pressure,
        uint96 price,
        uint96 minSlash
    ) public pure {
        PolicyInputs memory inputs = PolicyInputs(value, risk % 4, Tier(floor % 3), 0, pressure);
        minSlash = uint96(bound(minSlash, 1 gwei, 1e24));
        Deterrence memory terms = Deterrence(value, price, minSlash);
        Decision memory first = VerificationPolicy.decide(inputs);
        VerificationPolicy.deterSkippedRun(first, terms);
        uint256 lock = VerificationPolicy.collateral(first, terms);
        inputs.reputationBps = rep;
        Decision memory d = VerificationPolicy.decide(inputs);
        if (!VerificationPolicy.deter(d, terms, lock)) {
            d = first; // as the escrow does: the reputed decision is not used
        }

        uint256 p = d.auditBps;
        uint256 coalition = VerificationPolicy.coalition(d);
        assertLe(p, 10_000);
        assertGe(lock, minSlash);
        assertGe(
            p * (uint256(price) + lock) * coalition, (uint256(price) * coalition + value) * 10_000, "p(R+S) >= C+G/m"
        );
    }

    /// @notice Collateral scales with 1 ÷ p: halving the audit probability (as full pressure does) doubles what
    ///         the value at risk adds to the lock.
    function test_collateral_scalesInverselyWithTheAuditProbability() public pure {
        Deterrence memory terms = Deterrence(40 * TOKEN, TOKEN, 10 * TOKEN);
        Decision memory d = Decision(Tier.LIGHT, 1, 2_000);
        assertEq(
            VerificationPolicy.collateral(d, terms), 10 * TOKEN + 200 * TOKEN, "40 at 20 %: 200 on top of the floor"
        );
        d.auditBps = 1_000;
        assertEq(VerificationPolicy.collateral(d, terms), 10 * TOKEN + 400 * TOKEN);
        d = Decision(Tier.REDUNDANT, 3, 1_000);
        assertEq(VerificationPolicy.collateral(d, terms), 10 * TOKEN + 200 * TOKEN, "two colluders share the gain");
    }

    /// @notice A reputation that drops a DEEP task from k = 5 to k = 3 leaves two liars sharing the gain instead
    ///         of three: no audit probability covers that with the lock taken for k = 5, so `deter` says the
    ///         reputed decision must not be used (the escrow keeps the first).
    function test_deter_refusesADecisionItsLockCannotCover() public pure {
        Deterrence memory terms = Deterrence(60 * TOKEN, TOKEN, 10 * TOKEN);
        Decision memory five = Decision(Tier.DEEP, 5, 10_000);
        uint256 lock = VerificationPolicy.collateral(five, terms);
        assertEq(lock, 30 * TOKEN, "10 + 60 / 3");
        assertTrue(VerificationPolicy.deter(five, terms, lock));
        Decision memory three = Decision(Tier.DEEP, 3, 10_000);
        assertFalse(VerificationPolicy.deter(three, terms, lock), "60 / 2 = 30 is more than the 20 covered");
    }

    /// @notice A skipped run never pays: the audit is raised to at least R ÷ (R + minSlash).
    function test_deterSkippedRun_raisesTheAuditToTheCostFloor() public pure {
        Decision memory d = Decision(Tier.LIGHT, 1, 50);
        VerificationPolicy.deterSkippedRun(d, Deterrence(0, TOKEN, 10 * TOKEN));
        assertEq(d.auditBps, 910, "1 / 11, rounded up");
        d = Decision(Tier.DEEP, 3, 10_000);
        VerificationPolicy.deterSkippedRun(d, Deterrence(0, TOKEN, 10 * TOKEN));
        assertEq(d.auditBps, 10_000, "DEEP stays certain");
    }
}
