// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "forge-std/Test.sol";

import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {IPipeSettlement} from "../../contracts/interfaces/IPipeSettlement.sol";
import {ITwinReputation} from "../../contracts/interfaces/ITwinReputation.sol";
import {IWorkerRegistry} from "../../contracts/interfaces/IWorkerRegistry.sol";
import {PipeSettlement} from "../../contracts/pipe/PipeSettlement.sol";
import {DeterminismClass, ModelId, RiskClass} from "../../contracts/types/ModelTypes.sol";
import {MockToken} from "../mocks/MockToken.sol";

/// @notice Shared setup of PIPE billing: a token, a model registry with one release (`verigrad/risk`, 1 token a
///         call, 10 % royalty), the settlement contract (5 % protocol fee), a dApp that pays for PIPE calls, a
///         sponsor that tops it up, and helpers to build charges and settle them as the node does.
abstract contract SettlementFixture is Test {
    /// @dev EIP-4788's system address: the sender of the node's end-of-block call.
    address internal constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    uint96 internal constant PRICE = 1e18;
    uint16 internal constant ROYALTY_BPS = 1_000;
    uint16 internal constant FEE_BPS = 500;
    ModelId internal constant RISK = ModelId.wrap(keccak256("verigrad/risk"));
    ModelId internal constant UNKNOWN = ModelId.wrap(keccak256("a release nobody published"));
    /// @dev No twins' reputation registry: twin calls are paid but not recorded.
    ITwinReputation internal constant NO_TWINS = ITwinReputation(address(0));

    MockToken internal token;
    ModelRegistry internal models;
    PipeSettlement internal settlement;

    address internal modelOwner = makeAddr("model owner");
    address internal treasury = makeAddr("treasury");
    address internal sponsor = makeAddr("sponsor");
    address internal dapp = makeAddr("dapp");

    function setUp() public virtual {
        token = new MockToken();
        models = new ModelRegistry(address(this), IWorkerRegistry(address(0))); // PIPE billing records no load
        _publish(RISK, "verigrad/risk", PRICE, ROYALTY_BPS);
        settlement = new PipeSettlement(IERC20(address(token)), models, treasury, FEE_BPS, NO_TWINS);
    }

    /// @dev Publishes `releaseId` in a new repository `name` of the model owner.
    function _publish(ModelId releaseId, string memory name, uint96 price, uint16 royaltyBps) internal {
        vm.startPrank(modelOwner);
        bytes32 repo = models.createRepository(name);
        models.publishRelease(repo, releaseId, "1.0.0", DeterminismClass.EXACT, 0, RiskClass.LOW, price, royaltyBps);
        vm.stopPrank();
    }

    /// @dev The sponsor mints `amount` and deposits it for `account`.
    function _deposit(address account, uint256 amount) internal {
        token.mint(sponsor, amount);
        vm.startPrank(sponsor);
        token.approve(address(settlement), amount);
        settlement.deposit(account, amount);
        vm.stopPrank();
    }

    function _requestWithdrawal(address account, uint256 amount) internal {
        vm.prank(account);
        settlement.requestWithdrawal(amount);
    }

    /// @dev `n` distinct worker addresses.
    function _workers(uint256 n) internal returns (address[] memory list) {
        list = new address[](n);
        for (uint256 i; i < n; ++i) {
            list[i] = makeAddr(string.concat("worker", vm.toString(i)));
        }
    }

    function _charge(address payer, ModelId releaseId, uint96 price, address[] memory workers)
        internal
        pure
        returns (IPipeSettlement.Charge memory)
    {
        return IPipeSettlement.Charge(payer, releaseId, price, workers, 0, 1);
    }

    /// @dev One call of `RISK` by the dApp at the release's price, answered by `workers`.
    function _riskCall(address[] memory workers) internal view returns (IPipeSettlement.Charge memory) {
        return _charge(dapp, RISK, PRICE, workers);
    }

    function _one(IPipeSettlement.Charge memory c) internal pure returns (IPipeSettlement.Charge[] memory charges) {
        charges = new IPipeSettlement.Charge[](1);
        charges[0] = c;
    }

    function _none() internal pure returns (IPipeSettlement.Charge[] memory) {
        return new IPipeSettlement.Charge[](0);
    }

    /// @dev The node's end-of-block system call.
    function _settle(IPipeSettlement.Charge[] memory charges) internal {
        vm.prank(SYSTEM);
        settlement.settle(charges);
    }

    /// @dev Token balance == liabilities, and both equal the balances and credits of `accounts` when those are
    ///      every account the test touched.
    function _assertSolvent(address[] memory accounts) internal view {
        uint256 owed;
        for (uint256 i; i < accounts.length; ++i) {
            owed += settlement.balanceOf(accounts[i]) + settlement.claimable(accounts[i]);
        }
        assertEq(token.balanceOf(address(settlement)), settlement.liabilities(), "token balance == liabilities");
        assertEq(settlement.liabilities(), owed, "liabilities == balances + credits");
    }
}
