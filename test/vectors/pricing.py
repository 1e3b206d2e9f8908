#!/usr/bin/env python3
"""Writes test/vectors/pricing.json: the load-pricing vectors that `LoadPricing.sol` (test/LoadPricing.t.sol) and
its Rust mirror (`verigrad_contracts::LoadPricing`, contracts/rust/src/pricing.rs) are both checked against.

The expected values come from this independent reference: `fake_exponential` is EIP-4844's own Python helper,
copied verbatim, and the accumulator follows the rule documented in contracts/libraries/LoadPricing.sol. The first
`fakeExponential` cases are go-ethereum's and revm's EIP-4844 test table. Usage: python3 test/vectors/pricing.py
"""

import json
import os

TARGET_PER_BLOCK = 393_216  # EIP-4844 TARGET_BLOB_GAS_PER_BLOCK (Cancun)
UPDATE_FRACTION = 3_338_477  # EIP-4844 BLOB_BASE_FEE_UPDATE_FRACTION (Cancun)
MAX_EXCESS = 64 * TARGET_PER_BLOCK
STAKE_UNIT = 100 * 10**18
U96_MAX = 2**96 - 1
TOKEN = 10**18


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    # EIP-4844, "Helpers".
    i = 1
    output = 0
    numerator_accum = factor * denominator
    while numerator_accum > 0:
        output += numerator_accum
        numerator_accum = (numerator_accum * numerator) // (denominator * i)
        i += 1
    return output // denominator


def price(base: int, excess: int) -> int:
    return min(fake_exponential(base, min(excess, MAX_EXCESS), UPDATE_FRACTION), U96_MAX)


def decay(excess: int, blocks: int) -> int:
    return max(0, excess - blocks * TARGET_PER_BLOCK)


def grow(excess: int, units: int, target: int) -> int:
    target = max(target, 1)
    added = -(-units * TARGET_PER_BLOCK // target)  # rounded up
    return min(MAX_EXCESS, excess + added)


def target_of(stake: int, units_per_worker: int) -> int:
    return max(1, stake * units_per_worker // STAKE_UNIT // 2)


def main() -> None:
    geth = [
        (1, 0, 1),
        (38493, 0, 1000),
        (0, 1234, 2345),
        (1, 2, 1),
        (1, 4, 2),
        (1, 3, 1),
        (1, 6, 2),
        (1, 4, 1),
        (1, 8, 2),
        (10, 8, 2),
        (11, 8, 2),
        (1, 5, 1),
        (1, 5, 2),
        (2, 5, 2),
        (1, 50000000, 2225652),
        (1, 380928, UPDATE_FRACTION),
    ]
    fake = [
        {"name": f"geth {f}, {n}, {d}", "factor": str(f), "numerator": str(n), "denominator": str(d),
         "output": str(fake_exponential(f, n, d))}
        for f, n, d in geth
    ]
    for name, f, n in [
        ("one token at one target of excess (x 1.125)", TOKEN, TARGET_PER_BLOCK),
        ("one token at two targets of excess", TOKEN, 2 * TARGET_PER_BLOCK),
        ("one token at the cap", TOKEN, MAX_EXCESS),
        ("the largest base at the cap", U96_MAX, MAX_EXCESS),
    ]:
        fake.append({"name": name, "factor": str(f), "numerator": str(n), "denominator": str(UPDATE_FRACTION),
                     "output": str(fake_exponential(f, n, UPDATE_FRACTION))})

    prices = []
    for name, base, excess in [
        ("idle: the base price", TOKEN, 0),
        ("price 0 stays 0", 0, MAX_EXCESS),
        ("one wei of excess", TOKEN, 1),
        ("one block at capacity (one target of excess): +12.5 %", TOKEN, TARGET_PER_BLOCK),
        ("two blocks at capacity", TOKEN, 2 * TARGET_PER_BLOCK),
        ("eight blocks at capacity", TOKEN, 8 * TARGET_PER_BLOCK),
        ("doubling (ln 2 x fraction)", TOKEN, 2_314_059),
        ("thirty-two target-blocks", TOKEN, 32 * TARGET_PER_BLOCK),
        ("the cap: about 1 878 x", TOKEN, MAX_EXCESS),
        ("above the cap reads as the cap", TOKEN, MAX_EXCESS + 1),
        ("far above the cap", TOKEN, 2**64),
        ("a tiny price", 7, 5 * TARGET_PER_BLOCK),
        ("0.001 token at the cap", 10**15, MAX_EXCESS),
        ("the largest base, idle", U96_MAX, 0),
        ("the largest base saturates", U96_MAX, TARGET_PER_BLOCK),
        ("a base that just saturates at the cap", U96_MAX // 1000, MAX_EXCESS),
    ]:
        prices.append({"name": name, "basePrice": str(base), "excess": str(excess), "price": str(price(base, excess))})

    loads = []
    for name, excess, elapsed, units, target in [
        ("first task on an idle release", 0, 0, 64, 25_600),
        ("same block: no decay", 1_000_000, 0, 64, 25_600),
        ("one block decays one target", 1_000_000, 1, 0, 25_600),
        ("decay floors at zero", 1_000_000, 3, 0, 25_600),
        ("long idle", 1_000_000, 2**40, 0, 25_600),
        ("a block at the target keeps the excess", 786_432, 1, 25_600, 25_600),
        ("a block at capacity adds one target", 786_432, 1, 51_200, 25_600),
        ("one unit against a huge target still counts", 0, 0, 1, 10**30),
        ("target 0 counts as 1", 0, 0, 1, 0),
        ("a burst hits the cap", MAX_EXCESS - 10, 0, 1_000_000, 1),
        ("the cap decays", MAX_EXCESS, 64, 0, 25_600),
        ("ten times capacity for a block", 0, 1, 512_000, 25_600),
        ("DEEP k=7 of MiniLM", 123_456, 2, 7 * 8192, 15_360),
    ]:
        before = decay(excess, elapsed)
        loads.append({
            "name": name, "excess": str(excess), "blocks": str(elapsed), "units": str(units), "target": str(target),
            "excessBefore": str(before), "excessAfter": str(grow(before, units, target)),
        })

    targets = []
    for name, stake, upw in [
        ("no stake: target 1", 0, 1024),
        ("one minimum-stake worker", 100 * TOKEN, 1024),
        ("five workers of 1 000 VGD", 5_000 * TOKEN, 1024),
        ("dust stake rounds to 1", 10**18, 1),
        ("the largest stake and parameter", 2**96 - 1, 2**64 - 1),
    ]:
        targets.append({"name": name, "stake": str(stake), "unitsPerWorker": str(upw),
                        "target": str(target_of(stake, upw))})

    vectors = {
        "constants": {"targetPerBlock": TARGET_PER_BLOCK, "updateFraction": UPDATE_FRACTION,
                      "maxExcess": MAX_EXCESS, "stakeUnit": str(STAKE_UNIT)},
        "fakeExponential": fake,
        "price": prices,
        "load": loads,
        "target": targets,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pricing.json")
    sections = []
    for key, value in vectors.items():
        if isinstance(value, list):
            rows = ",\n".join("  " + json.dumps(row) for row in value)
            sections.append(f'"{key}":[\n{rows}\n]')
        else:
            sections.append(f'"{key}":{json.dumps(value)}')
    with open(path, "w") as out:
        out.write("{" + ",\n".join(sections) + "}\n")
    print(path)


if __name__ == "__main__":
    main()
