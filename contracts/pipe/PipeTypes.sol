// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice How a PIPE request is verified. ABI-compatible with OpenGradient's SolidML modes; verigrad maps
///         them onto its verification tiers (see docs/pipe.md, "Modes").
enum ModelInferenceMode {
    /// @notice Executed by the block producer's runtime; re-executed by validators replaying the block.
    VANILLA,
    /// @notice Proved-style: only EXACT models, whose output every validator recomputes bit for bit.
    ZKML,
    /// @notice Attested-style: the result must come from a staked worker quorum (REDUNDANT tier).
    TEE
}

/// @notice Tensor types of the SolidML interface.
library TensorLib {
    /// @notice A fixed-point decimal: `value × 10^-decimals`.
    struct Number {
        int128 value;
        int128 decimals;
    }

    /// @notice A named tensor of numbers, row-major, with its shape.
    struct MultiDimensionalNumberTensor {
        string name;
        Number[] values;
        uint32[] shape;
    }

    /// @notice A named list of strings.
    struct StringTensor {
        string name;
        string[] values;
    }

    /// @notice A named JSON value.
    struct JsonScalar {
        string name;
        string value;
    }
}

/// @notice A model's input.
struct ModelInput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
}

/// @notice A request to the PIPE precompile.
struct ModelInferenceRequest {
    ModelInferenceMode mode;
    /// @notice The model: a verigrad package id as a 0x-prefixed hex string (or `name@version` on a devnet).
    string modelCID;
    ModelInput input;
}

/// @notice A model's output. `is_simulation_result` is true only during PIPE's simulation phase, when the
///         numbers are placeholders: a consumer must not act on them (see PipeConsumer).
struct ModelOutput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
    TensorLib.JsonScalar[] jsons;
    bool is_simulation_result;
}
