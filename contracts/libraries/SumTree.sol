// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title SumTree
/// @notice Epoch-lagged weights over a growing list of accounts, with O(log n) point updates and O(log n)
///         sampling by cumulative weight: a Fenwick (binary indexed) tree whose reads see every value as it
///         stood at the start of a given epoch.
/// @dev Lagged word, one slot: `current` (bits 0..95) | `next` (bits 96..191) | `epoch` (bits 192..223) | free
///      (bits 224..255). Its value in epoch E is `next` if E > `epoch`, else `current`; `next` is the live value.
///      A write in epoch W first rolls the word (`current = next; epoch = W` if W > `epoch`), then changes `next`,
///      so a change made in epoch W counts from W + 1. Callers must pass epochs that never decrease and read
///      only at the latest epoch written: an older epoch's values are not kept.
///      Leaves are numbered from 1 and never move. Node i holds the lagged sum of leaves (i - lowbit(i), i];
///      each leaf also keeps its own lagged weight. The head holds the lagged total, and the leaf count in its
///      free bits. Since every node of a path is rolled before it changes, each node's value in any epoch E
///      it can be read at is the sum of its leaves' values in E.
///      Sums must fit in 96 bits (weights are amounts of a token whose supply does); an update that would
///      overflow reverts.
library SumTree {
    /// @notice One tree.
    struct Tree {
        /// @dev Lagged total of all leaves | leaf count << 224.
        uint256 head;
        /// @dev Lagged Fenwick sums, by node index (1-based).
        mapping(uint256 index => uint256 word) nodes;
        /// @dev Lagged weight of each leaf.
        mapping(uint256 index => uint256 word) leaves;
        /// @dev The account each leaf belongs to.
        mapping(uint256 index => address account) accountAt;
        /// @dev The leaf of each account; 0 if it has none.
        mapping(address account => uint256 index) indexOf;
    }

    uint256 private constant _MASK96 = (1 << 96) - 1;
    uint256 private constant _MASK32 = (1 << 32) - 1;
    uint256 private constant _NEXT = 96;
    uint256 private constant _EPOCH = 192;
    uint256 private constant _SIZE = 224;

    /// @notice Appends a leaf for `account` with weight `weight` from epoch `epoch` + 1 on (0 in `epoch`).
    /// @dev The caller makes sure `account` has no leaf yet.
    /// @return index The new leaf's index.
    function insert(Tree storage self, address account, uint256 weight, uint256 epoch)
        internal
        returns (uint256 index)
    {
        uint256 head = self.head;
        index = (head >> _SIZE) + 1;
        // The new node covers leaves (index - lowbit, index]: its children are the nodes index - 1, index - 2,
        // index - 4, ... below lowbit(index), which partition the existing leaves of that range.
        uint256 current;
        uint256 next = weight;
        uint256 low = _lowbit(index);
        for (uint256 step = 1; step < low; step <<= 1) {
            uint256 child = self.nodes[index - step];
            current += valueAt(child, epoch);
            next += nextOf(child);
        }
        self.nodes[index] = _pack(current, SafeCast.toUint96(next), epoch);
        self.leaves[index] = _pack(0, SafeCast.toUint96(weight), epoch);
        self.accountAt[index] = account;
        self.indexOf[account] = index;
        self.head = _shift(head, epoch, 0, weight) & ~(_MASK32 << _SIZE) | index << _SIZE;
    }

    /// @notice Sets the weight of leaf `index` to `weight` from epoch `epoch` + 1 on.
    /// @dev The leaf must exist.
    function update(Tree storage self, uint256 index, uint256 weight, uint256 epoch) internal {
        uint256 leaf = self.leaves[index];
        uint256 old = nextOf(leaf);
        if (old == weight) {
            return;
        }
        self.leaves[index] = _shift(leaf, epoch, old, weight);
        uint256 head = self.head;
        uint256 last = head >> _SIZE;
        // Cannot overflow: i <= last < 2^32 before each step.
        unchecked {
            for (uint256 i = index; i <= last; i += _lowbit(i)) {
                self.nodes[i] = _shift(self.nodes[i], epoch, old, weight);
            }
        }
        self.head = _shift(head, epoch, old, weight);
    }

    /// @notice The total weight in epoch `epoch` and the number of leaves.
    function totalAt(Tree storage self, uint256 epoch) internal view returns (uint256 total, uint256 leaves) {
        uint256 head = self.head;
        return (valueAt(head, epoch), head >> _SIZE);
    }

    /// @notice The number of leaves.
    function size(Tree storage self) internal view returns (uint256) {
        return self.head >> _SIZE;
    }

    /// @notice The leaf at which the cumulative weight in epoch `epoch` passes `r`, leaving out the leaves in
    ///         `removed`: the smallest index whose prefix sum, less the removed weights, exceeds `r`.
    /// @dev `r` must be below the total less the removed weights, so the result is a leaf of non-zero weight
    ///      that is not removed. Each entry of `removed[0..removedCount)` is `index << 96 | weight`, where weight
    ///      is the leaf's value in `epoch`. One SLOAD per level; the removed weights are subtracted in memory
    ///      from the nodes whose range holds them.
    /// @param leaves The number of leaves.
    function find(
        Tree storage self,
        uint256 r,
        uint256 leaves,
        uint256 epoch,
        uint256[] memory removed,
        uint256 removedCount
    ) internal view returns (uint256) {
        uint256 step = 1;
        while (step << 1 <= leaves) {
            step <<= 1;
        }
        uint256 pos;
        // Cannot overflow or underflow: pos + step <= 2 * leaves; a node's value in `epoch` includes the weights
        // of the removed leaves in its range, and r stays below the remaining weight past pos.
        unchecked {
            for (; step != 0; step >>= 1) {
                uint256 node = pos + step;
                if (node > leaves) {
                    continue;
                }
                uint256 value = valueAt(self.nodes[node], epoch);
                for (uint256 j; j < removedCount; ++j) {
                    uint256 entry = removed[j];
                    uint256 at = entry >> 96;
                    if (at > pos && at <= node) {
                        value -= entry & _MASK96;
                    }
                }
                if (value <= r) {
                    pos = node;
                    r -= value;
                }
            }
            return pos + 1;
        }
    }

    /// @notice The value of a lagged word in epoch `epoch` (which must be at least the word's own epoch).
    function valueAt(uint256 word, uint256 epoch) internal pure returns (uint256) {
        return epoch > (word >> _EPOCH) & _MASK32 ? (word >> _NEXT) & _MASK96 : word & _MASK96;
    }

    /// @notice The live value of a lagged word: the one in force from the next epoch on.
    function nextOf(uint256 word) internal pure returns (uint256) {
        return (word >> _NEXT) & _MASK96;
    }

    /// @dev `word` rolled to `epoch`, with `next` changed from `old` (which it includes) to `old - sub + add`;
    ///      the free bits are kept.
    function _shift(uint256 word, uint256 epoch, uint256 sub, uint256 add) private pure returns (uint256) {
        uint256 next = (word >> _NEXT) & _MASK96;
        uint256 current = word & _MASK96;
        uint256 at = (word >> _EPOCH) & _MASK32;
        if (epoch > at) {
            current = next;
            at = epoch;
        }
        next = SafeCast.toUint96(next - sub + add);
        return _pack(current, next, at) | (word >> _SIZE) << _SIZE;
    }

    /// @dev A lagged word from its fields (the free bits zero); callers keep epochs below 2^32.
    function _pack(uint256 current, uint256 next, uint256 epoch) private pure returns (uint256) {
        return current | next << _NEXT | epoch << _EPOCH;
    }

    /// @dev The lowest set bit of `i`.
    function _lowbit(uint256 i) private pure returns (uint256) {
        // Cannot overflow: two's complement negation of a uint256.
        unchecked {
            return i & (0 - i);
        }
    }
}
