// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {ModelId} from "../../contracts/types/ModelTypes.sol";
import {MockToken} from "../mocks/MockToken.sol";

/// @notice Drives PIPE billing with random deposits, withdrawal requests, end-of-block settlements of random
///         charges (oversize prices, unknown releases, zero-address workers, no workers), claims, and forged
///         settlements.
/// @dev Each settlement is checked against a model of the rule: every payer's balance after it is its balance
///      less min(price, what is left) per charge in order, less min(request, what is left) for a queued
///      withdrawal, which the payer receives; the payees' credits grow by exactly what was paid. Anything that
///      breaks the rule, and any attacker move that goes through, counts in `violations`.
contract SettlementHandler is CommonBase, StdCheats, StdUtils {
    address internal constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    uint256 internal constant MAX_CHARGES = 6;

    PipeSettlement internal immutable SETTLEMENT;
    MockToken internal immutable TOKEN;
    /// @dev A release the registry does not know (one of `releases`).
    ModelId internal immutable UNKNOWN;

    ModelId[] internal releases;
    address[] internal payerList;
    address[] internal payeeList;
    /// @dev The workers a charge may name: the payees' workers, and the zero address.
    address[] internal workerPool;

    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    uint256 public ghostClaimed;
    uint256 public ghostCharged;
    uint256 public ghostPaid;
    uint256 public ghostShortfall;
    /// @notice Paths reached (so the invariants cannot hold vacuously).
    uint256 public settlements;
    uint256 public shortfalls;
    uint256 public unknownCharges;
    uint256 public withdrawals;
    uint256 public claims;
    /// @notice Broken rules and attacker moves that went through (must stay 0).
    uint256 public violations;

    constructor(
        PipeSettlement settlement,
        MockToken token,
        ModelId[] memory releases_,
        ModelId unknown,
        address[] memory payers_,
        address[] memory payees_,
        address[] memory workers_
    ) {
        SETTLEMENT = settlement;
        TOKEN = token;
        releases = releases_;
        UNKNOWN = unknown;
        payerList = payers_;
        payeeList = payees_;
        workerPool = workers_;
        workerPool.push(address(0));
    }

    function payers() external view returns (address[] memory) {
        return payerList;
    }

    function payees() external view returns (address[] memory) {
        return payeeList;
    }

    // ─── Actions ─────────────────────────────────────────────────────────────────────────────────

    function deposit(uint256 payerSeed, uint256 amount) external {
        address account = payerList[payerSeed % payerList.length];
        amount = bound(amount, 1, 20e18);
        address sponsor = address(uint160(uint256(keccak256(abi.encode("sponsor", payerSeed)))));
        TOKEN.mint(sponsor, amount);
        vm.startPrank(sponsor);
        TOKEN.approve(address(SETTLEMENT), amount);
        SETTLEMENT.deposit(account, amount);
        vm.stopPrank();
        ghostDeposited += amount;
    }

    function requestWithdrawal(uint256 payerSeed, uint256 amount) external {
        address account = payerList[payerSeed % payerList.length];
        amount = bound(amount, 0, 2 * SETTLEMENT.balanceOf(account) + 1);
        vm.prank(account);
        SETTLEMENT.requestWithdrawal(amount);
    }

    /// @notice The node's end-of-block call with up to six random charges.
    function settle(uint256 seed) external {
        IPipeSettlement.Charge[] memory charges = _randomCharges(seed);
        (uint256[] memory expected, uint256[] memory payout) = _expect(charges);
        uint256[] memory held = new uint256[](payerList.length);
        for (uint256 i; i < payerList.length; ++i) {
            held[i] = TOKEN.balanceOf(payerList[i]);
        }
        uint256 credits = _credits();
        vm.recordLogs();
        vm.prank(SYSTEM);
        try SETTLEMENT.settle(charges) {}
        catch {
            ++violations; // settlement must never brick a block
            return;
        }
        ++settlements;
        uint256 paid = _recordCharges();
        if (_credits() != credits + paid) {
            ++violations;
        }
        for (uint256 i; i < charges.length; ++i) {
            ghostCharged += charges[i].price;
        }
        for (uint256 i; i < payerList.length; ++i) {
            if (SETTLEMENT.balanceOf(payerList[i]) != expected[i]) {
                ++violations;
            }
            if (TOKEN.balanceOf(payerList[i]) != held[i] + payout[i]) {
                ++violations;
            }
            if (payout[i] != 0) {
                ++withdrawals;
                ghostWithdrawn += payout[i];
            }
        }
    }

    function claim(uint256 payeeSeed) external {
        address account = payeeList[payeeSeed % payeeList.length];
        uint256 owed = SETTLEMENT.claimable(account);
        uint256 held = TOKEN.balanceOf(account);
        vm.prank(account);
        try SETTLEMENT.claim() returns (uint256 amount) {
            if (amount != owed || TOKEN.balanceOf(account) != held + owed || owed == 0) {
                ++violations;
            }
            ++claims;
            ghostClaimed += amount;
        } catch {
            if (owed != 0) {
                ++violations;
            }
        }
        vm.prank(account);
        try SETTLEMENT.claim() {
            ++violations; // a second claim of the same credit
        } catch {}
    }

    /// @notice Anyone but the system settles a charge of a payer that credits itself.
    function forgeSettlement(uint256 seed, address caller) external {
        if (caller == SYSTEM) {
            return;
        }
        address[] memory me = new address[](1);
        me[0] = caller;
        IPipeSettlement.Charge[] memory charges = new IPipeSettlement.Charge[](1);
        charges[0] = IPipeSettlement.Charge(payerList[seed % payerList.length], releases[0], type(uint96).max, me, 0, 1);
        vm.prank(caller);
        try SETTLEMENT.settle(charges) {
            ++violations;
        } catch {}
    }

    // ─── Model of the rule ───────────────────────────────────────────────────────────────────────

    function _randomCharges(uint256 seed) internal view returns (IPipeSettlement.Charge[] memory charges) {
        charges = new IPipeSettlement.Charge[](seed % (MAX_CHARGES + 1));
        for (uint256 i; i < charges.length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            address[] memory workers = new address[]((r >> 8) % 4);
            for (uint256 j; j < workers.length; ++j) {
                workers[j] = workerPool[(r >> (16 + 8 * j)) % workerPool.length];
            }
            // One charge in eight is far past any balance; the others are up to 4 tokens.
            uint96 price = (r >> 64) % 8 == 0 ? type(uint96).max : uint96((r >> 96) % 4e18);
            charges[i] = IPipeSettlement.Charge(
                payerList[r % payerList.length], releases[(r >> 200) % releases.length], price, workers, 0, 1
            );
        }
    }

    /// @dev Each payer's balance after `charges` and its queued withdrawal, and the amount it withdraws.
    function _expect(IPipeSettlement.Charge[] memory charges)
        internal
        view
        returns (uint256[] memory balances, uint256[] memory payout)
    {
        balances = new uint256[](payerList.length);
        payout = new uint256[](payerList.length);
        for (uint256 i; i < payerList.length; ++i) {
            balances[i] = SETTLEMENT.balanceOf(payerList[i]);
        }
        for (uint256 c; c < charges.length; ++c) {
            uint256 i = _indexOf(charges[c].payer);
            uint256 paid = charges[c].price < balances[i] ? charges[c].price : balances[i];
            balances[i] -= paid;
        }
        for (uint256 i; i < payerList.length; ++i) {
            uint256 requested = SETTLEMENT.withdrawalRequest(payerList[i]);
            payout[i] = requested < balances[i] ? requested : balances[i];
            balances[i] -= payout[i];
        }
    }

    /// @dev Adds the `Charged` events of the last settlement to the ghosts; returns what they paid in all.
    function _recordCharges() internal returns (uint256 total) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IPipeSettlement.Charged.selector) {
                continue;
            }
            (uint256 paid, uint256 shortfall) = abi.decode(logs[i].data, (uint256, uint256));
            total += paid;
            ghostPaid += paid;
            ghostShortfall += shortfall;
            shortfalls += shortfall != 0 ? 1 : 0;
            unknownCharges += logs[i].topics[2] == ModelId.unwrap(UNKNOWN) && paid != 0 ? 1 : 0;
        }
    }

    /// @dev Σ credits of every account a charge can pay (the zero address included: it must stay 0).
    function _credits() internal view returns (uint256 sum) {
        for (uint256 i; i < payeeList.length; ++i) {
            sum += SETTLEMENT.claimable(payeeList[i]);
        }
        sum += SETTLEMENT.claimable(address(0));
    }

    function _indexOf(address payer) internal view returns (uint256 i) {
        while (payerList[i] != payer) {
            ++i;
        }
    }
}
