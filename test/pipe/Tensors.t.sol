// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IPipeInference} from "../../contracts/pipe/IPipeInference.sol";
import {ModelOutput, TensorLib} from "../../contracts/pipe/PipeTypes.sol";
import {Tensors} from "../../contracts/pipe/Tensors.sol";

/// @dev External wrappers so reverts can be expected. They return re-encodings and single fields: a
///      ModelOutput return value would need the whole-struct decoder that `decodeOutput` exists to avoid.
contract TensorsHarness {
    function reencode(bytes memory data) external pure returns (bytes memory) {
        return abi.encode(Tensors.decodeOutput(data));
    }

    function fields(bytes memory data) external pure returns (uint32, string memory, string memory, bool) {
        ModelOutput memory out = Tensors.decodeOutput(data);
        return (out.numbers[0].shape[1], out.strings[0].values[1], out.jsons[0].value, out.is_simulation_result);
    }

    function toFixed(int128 value, int128 decimals, uint8 to) external pure returns (int256) {
        return Tensors.toFixed(TensorLib.Number(value, decimals), to);
    }

    function valueOf(bytes memory data, string memory name, uint256 index)
        external
        pure
        returns (TensorLib.Number memory)
    {
        return Tensors.valueOf(Tensors.decodeOutput(data), name, index);
    }
}

contract TensorsTest is Test {
    TensorsHarness internal h = new TensorsHarness();

    function _output() internal pure returns (ModelOutput memory out) {
        TensorLib.Number[] memory values = new TensorLib.Number[](2);
        values[0] = TensorLib.Number(-15, 1);
        values[1] = TensorLib.Number(7, 0);
        out.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        out.numbers[0] = Tensors.row("y", values);
        string[] memory words = new string[](2);
        words[0] = "buy";
        words[1] = "hold";
        out.strings = new TensorLib.StringTensor[](1);
        out.strings[0] = TensorLib.StringTensor("labels", words);
        out.jsons = new TensorLib.JsonScalar[](1);
        out.jsons[0] = TensorLib.JsonScalar("meta", '{"v":1}');
        out.is_simulation_result = true;
    }

    function test_runModelInference_hasTheSolidMLSelector() public pure {
        assertEq(IPipeInference.runModelInference.selector, bytes4(0x7289e9c2));
    }

    function test_decodeOutput_roundTripsEveryField() public view {
        bytes memory data = abi.encode(_output());
        assertEq(keccak256(h.reencode(data)), keccak256(data));
        (uint32 width, string memory word, string memory json, bool simulated) = h.fields(data);
        assertEq(width, 2);
        assertEq(word, "hold");
        assertEq(json, '{"v":1}');
        assertTrue(simulated);
    }

    function test_decodeOutput_revertsOnTruncatedData() public {
        bytes memory data = abi.encode(_output());
        bytes memory cut = new bytes(100);
        for (uint256 i; i < cut.length; ++i) {
            cut[i] = data[i];
        }
        vm.expectRevert();
        h.reencode(cut);
        vm.expectRevert(Tensors.MalformedOutput.selector);
        h.reencode(hex"00");
    }

    function test_valueOf_findsTensorsByName() public view {
        bytes memory data = abi.encode(_output());
        TensorLib.Number memory n = h.valueOf(data, "y", 1);
        assertEq(n.value, 7);
    }

    function test_valueOf_revertsIfMissing() public {
        bytes memory data = abi.encode(_output());
        vm.expectRevert(abi.encodeWithSelector(Tensors.TensorValueMissing.selector, "z", 0));
        h.valueOf(data, "z", 0);
        vm.expectRevert(abi.encodeWithSelector(Tensors.TensorValueMissing.selector, "y", 2));
        h.valueOf(data, "y", 2);
    }

    function test_toFixed_rescalesAndFloors() public view {
        assertEq(h.toFixed(15, 1, 3), 1500);
        assertEq(h.toFixed(1579, 3, 1), 15);
        assertEq(h.toFixed(-1579, 3, 1), -16, "floors toward negative infinity");
        assertEq(h.toFixed(-1500, 3, 1), -15, "exact stays exact");
    }

    function test_toFixed_revertsOnInvalidDecimals() public {
        vm.expectRevert(abi.encodeWithSelector(Tensors.InvalidDecimals.selector, int128(-1)));
        h.toFixed(1, -1, 2);
        vm.expectRevert(abi.encodeWithSelector(Tensors.InvalidDecimals.selector, int128(39)));
        h.toFixed(1, 39, 2);
    }

    function testFuzz_toFixed_roundTripsWhenScalingUp(int128 value, uint8 from, uint8 up) public view {
        from = uint8(bound(from, 0, 18));
        up = uint8(bound(up, 0, 18));
        value = int128(bound(value, -1e18, 1e18));
        assertEq(h.toFixed(value, int128(uint128(from)), from + up), int256(value) * int256(10 ** up));
    }
}
