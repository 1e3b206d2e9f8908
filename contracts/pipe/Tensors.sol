// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModelInput, ModelOutput, TensorLib} from "./PipeTypes.sol";

/// @title Tensors
/// @notice Building PIPE inputs and reading PIPE outputs.
library Tensors {
    /// @notice Thrown if an output has no tensor of the name asked for, or too few values.
    /// @param name The tensor name.
    /// @param index The value index asked for.
    error TensorValueMissing(string name, uint256 index);

    /// @notice Thrown by `decodeOutput` if the data is not an encoded ModelOutput.
    error MalformedOutput();

    /// @notice Thrown if a number has negative decimals or more than 38.
    /// @param decimals The decimals.
    error InvalidDecimals(int128 decimals);

    /// @notice Decodes an ABI-encoded `ModelOutput` (what the PIPE precompile returns).
    /// @dev `abi.decode(data, (ModelOutput))` makes the legacy code generator run out of stack slots once
    ///      the optimizer inlines the nested decoders, so each array field is re-based into its own buffer
    ///      and decoded alone; `abi.decode` still validates every one of them.
    /// @param data The encoding.
    /// @return output The output.
    function decodeOutput(bytes memory data) internal pure returns (ModelOutput memory output) {
        output.numbers = abi.decode(_field(data, 0), (TensorLib.MultiDimensionalNumberTensor[]));
        output.strings = abi.decode(_field(data, 1), (TensorLib.StringTensor[]));
        output.jsons = abi.decode(_field(data, 2), (TensorLib.JsonScalar[]));
        uint256 flag = _headWord(data, 3);
        if (flag > 1) {
            revert MalformedOutput();
        }
        output.is_simulation_result = flag == 1;
    }

    /// @notice A number `value × 10^-decimals`.
    /// @param value The integer value.
    /// @param decimals The decimal places.
    /// @return The number.
    function number(int128 value, int128 decimals) internal pure returns (TensorLib.Number memory) {
        return TensorLib.Number(value, decimals);
    }

    /// @notice A `[1, n]` tensor (one row): the shape PIPE models take.
    /// @param name The tensor name.
    /// @param values The values.
    /// @return t The tensor.
    function row(string memory name, TensorLib.Number[] memory values)
        internal
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory shape = new uint32[](2);
        shape[0] = 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        shape[1] = uint32(values.length); // memory arrays of 2^32 numbers cannot be paid for
        t = TensorLib.MultiDimensionalNumberTensor(name, values, shape);
    }

    /// @notice An input made of one number tensor.
    /// @param tensor The tensor.
    /// @return input The input.
    function single(TensorLib.MultiDimensionalNumberTensor memory tensor)
        internal
        pure
        returns (ModelInput memory input)
    {
        input.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        input.numbers[0] = tensor;
    }

    /// @notice The `index`-th value of the output tensor called `name`.
    /// @param output The output.
    /// @param name The tensor name.
    /// @param index The value index (row-major).
    /// @return The number.
    function valueOf(ModelOutput memory output, string memory name, uint256 index)
        internal
        pure
        returns (TensorLib.Number memory)
    {
        bytes32 key = keccak256(bytes(name));
        for (uint256 i; i < output.numbers.length; ++i) {
            if (keccak256(bytes(output.numbers[i].name)) == key && index < output.numbers[i].values.length) {
                return output.numbers[i].values[index];
            }
        }
        revert TensorValueMissing(name, index);
    }

    /// @notice A number rescaled to `decimals` places (rounded toward negative infinity when scaling down).
    /// @param n The number.
    /// @param decimals Target decimal places.
    /// @return The integer `n × 10^decimals`.
    function toFixed(TensorLib.Number memory n, uint8 decimals) internal pure returns (int256) {
        if (n.decimals < 0 || n.decimals > 38) {
            revert InvalidDecimals(n.decimals);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 from = uint256(uint128(n.decimals)); // 0..38, checked above
        int256 value = n.value;
        if (from <= decimals) {
            return value * int256(10 ** (decimals - from));
        }
        int256 divisor = int256(10 ** (from - decimals));
        int256 quotient = value / divisor;
        return value % divisor < 0 ? quotient - 1 : quotient;
    }

    /// @notice Whether two outputs of a TOLERANCE model agree, as the workers' runtime decides: the same number
    ///         tensors (names, shapes, value counts), strings and JSON scalars, and every pair of numbers within
    ///         `toleranceE6` millionths of each other. A number with decimals outside 0..=38 agrees with nothing.
    /// @dev Exact: both numbers are rescaled to max(their decimals, 6) places (|value| < 2^127 and 10^38 < 2^127,
    ///      so each fits in 255 bits and their difference in 256), where ε is the integer
    ///      `toleranceE6 × 10^(places − 6)`.
    /// @param a One output.
    /// @param b The other.
    /// @param toleranceE6 ε in millionths.
    /// @return Whether they agree.
    function withinTolerance(ModelOutput calldata a, ModelOutput calldata b, uint256 toleranceE6)
        internal
        pure
        returns (bool)
    {
        if (
            a.numbers.length != b.numbers.length || keccak256(abi.encode(a.strings)) != keccak256(abi.encode(b.strings))
                || keccak256(abi.encode(a.jsons)) != keccak256(abi.encode(b.jsons))
        ) {
            return false;
        }
        for (uint256 i; i < a.numbers.length; ++i) {
            TensorLib.MultiDimensionalNumberTensor calldata x = a.numbers[i];
            TensorLib.MultiDimensionalNumberTensor calldata y = b.numbers[i];
            if (
                keccak256(bytes(x.name)) != keccak256(bytes(y.name))
                    || keccak256(abi.encode(x.shape)) != keccak256(abi.encode(y.shape))
                    || x.values.length != y.values.length
            ) {
                return false;
            }
            for (uint256 j; j < x.values.length; ++j) {
                if (!_close(x.values[j], y.values[j], toleranceE6)) {
                    return false;
                }
            }
        }
        return true;
    }

    /// @dev Whether |x − y| ≤ toleranceE6 × 10^-6, exactly; false for decimals outside 0..=38.
    function _close(TensorLib.Number calldata x, TensorLib.Number calldata y, uint256 toleranceE6)
        private
        pure
        returns (bool)
    {
        if (x.decimals < 0 || x.decimals > 38 || y.decimals < 0 || y.decimals > 38) {
            return false;
        }
        int128 most = x.decimals > y.decimals ? x.decimals : y.decimals;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint8 places = most > 6 ? uint8(uint128(most)) : 6; // 6..38, checked above
        int256 diff = toFixed(x, places) - toFixed(y, places);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 distance = uint256(diff < 0 ? -diff : diff); // |diff| < 2^255: both terms are below 2^254
        return distance <= toleranceE6 * 10 ** (places - 6);
    }

    /// @dev Word `index` of the head of the tuple `data` encodes (its first word is the tuple's offset).
    function _headWord(bytes memory data, uint256 index) private pure returns (uint256 word) {
        uint256 tuple = _word(data, 0);
        if (tuple > data.length || tuple + 32 * (index + 1) > data.length) {
            revert MalformedOutput();
        }
        return _word(data, tuple + 32 * index);
    }

    /// @dev The dynamic field `index` of the encoded tuple, re-encoded on its own as `abi.encode(field)`.
    function _field(bytes memory data, uint256 index) private pure returns (bytes memory field) {
        uint256 start = _word(data, 0) + _headWord(data, index);
        if (start > data.length) {
            revert MalformedOutput();
        }
        uint256 length = data.length - start;
        field = new bytes(length + 32);
        assembly ("memory-safe") {
            mstore(add(field, 0x20), 0x20) // the field's offset, as abi.encode writes it
            mcopy(add(field, 0x40), add(add(data, 0x20), start), length)
        }
    }

    /// @dev The 32-byte word at byte `offset` of `data`.
    function _word(bytes memory data, uint256 offset) private pure returns (uint256 word) {
        if (offset + 32 > data.length) {
            revert MalformedOutput();
        }
        assembly ("memory-safe") {
            word := mload(add(add(data, 0x20), offset))
        }
    }
}
