// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Deferred
/// @notice The escrow's batch ledger, in transient storage (EIP-1153): while a batch runs, credits are summed per
///         account and the caller's token pull is summed, so that the batch writes each account's claimable
///         balance once, emits one `Credited` per account and pulls the caller's tokens in one transfer.
/// @dev Transient storage belongs to the escrow's address, so the linked `TaskReview` library (run by
///      delegatecall) and every call of a `batch` (each a delegatecall) share it; a call that reverts takes its
///      own deferred entries with it, as it would its storage writes. Layout: `OPEN` is the nesting depth;
///      `PULL` the caller's owed tokens; `COUNT` the number of accounts credited; account i at `LIST + i`; an
///      account's sum at `keccak256(account, AMOUNT)`. Only the outermost batch settles (`drain`); every entry is
///      zeroed as it is read, so a second batch in the same transaction starts empty.
library Deferred {
    /// @dev keccak256("verigrad.deferred") − 1 and the four slots after it (literals: assembly reads only those).
    uint256 private constant OPEN = 0x202c9aebd2dfa59e08a7f4016bcc2a11a6372a373d2f080fd37577fae05fe16d;
    uint256 private constant PULL = 0x202c9aebd2dfa59e08a7f4016bcc2a11a6372a373d2f080fd37577fae05fe16e;
    uint256 private constant COUNT = 0x202c9aebd2dfa59e08a7f4016bcc2a11a6372a373d2f080fd37577fae05fe16f;
    uint256 private constant AMOUNT = 0x202c9aebd2dfa59e08a7f4016bcc2a11a6372a373d2f080fd37577fae05fe170;
    uint256 private constant LIST = 0x202c9aebd2dfa59e08a7f4016bcc2a11a6372a373d2f080fd37577fae05fe171;

    /// @notice Opens a batch (nested ones too); returns whether it is the outermost, which must `drain`.
    function open() internal returns (bool outermost) {
        assembly ("memory-safe") {
            let depth := tload(OPEN)
            outermost := iszero(depth)
            tstore(OPEN, add(depth, 1))
        }
    }

    /// @notice Closes a nested batch (the outermost closes by `drain`).
    function close() internal {
        assembly ("memory-safe") {
            tstore(OPEN, sub(tload(OPEN), 1))
        }
    }

    /// @notice Whether a batch is open: credits and pulls are then deferred.
    function active() internal view returns (bool isOpen) {
        assembly ("memory-safe") {
            isOpen := tload(OPEN)
        }
    }

    /// @notice Adds `amount` to `account`'s deferred credit.
    function credit(address account, uint256 amount) internal {
        assembly ("memory-safe") {
            mstore(0, account)
            mstore(32, AMOUNT)
            let slot := keccak256(0, 64)
            let sum := tload(slot)
            if iszero(sum) {
                let count := tload(COUNT)
                tstore(add(LIST, count), account)
                tstore(COUNT, add(count, 1))
            }
            // No overflow: every amount credited is held by the escrow, a token balance below 2^256.
            tstore(slot, add(sum, amount))
        }
    }

    /// @notice Adds `amount` to the tokens the batch's caller owes.
    function pull(uint256 amount) internal {
        assembly ("memory-safe") {
            tstore(PULL, add(tload(PULL), amount)) // as in `credit`: fees escrowed are below the token's supply
        }
    }

    /// @notice Closes the outermost batch: returns the accounts credited, their sums and the caller's owed tokens,
    ///         and clears the ledger.
    function drain() internal returns (address[] memory accounts, uint256[] memory amounts, uint256 owed) {
        uint256 count;
        assembly ("memory-safe") {
            count := tload(COUNT)
            owed := tload(PULL)
            tstore(COUNT, 0)
            tstore(PULL, 0)
            tstore(OPEN, 0)
        }
        accounts = new address[](count);
        amounts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            address account;
            uint256 amount;
            assembly ("memory-safe") {
                let at := add(LIST, i)
                account := tload(at)
                tstore(at, 0)
                mstore(0, account)
                mstore(32, AMOUNT)
                let slot := keccak256(0, 64)
                amount := tload(slot)
                tstore(slot, 0)
            }
            accounts[i] = account;
            amounts[i] = amount;
        }
    }
}
