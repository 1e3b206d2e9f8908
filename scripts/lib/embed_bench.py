"""sentence-transformers' side of scripts/embed-bench: the same sentences and weights as the Rust bench.

Usage: embed_bench.py MODEL_DIR RUN_DIR. Reads RUN_DIR/sentences.txt and RUN_DIR/rust.json (written by
the embed-bench binary), times SentenceTransformer.encode on one thread, and prints the comparison.

embed_bench.py --reference MODEL_DIR OUT_JSON writes the reference embeddings that the inference crate's
tests compare against (inference/tests/it/data/minilm-reference.json).
"""

import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

try:
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
except ImportError:  # before sentence-transformers 6
    from sentence_transformers.models import Normalize, Pooling, Transformer

SIZES = (1, 8, 256)
PASSES = 5


def load(model_dir):
    # The package folder holds config.json, model.safetensors and tokenizer.json; sentence-transformers
    # also wants a tokenizer_config.json, so it reads them through links in a scratch folder and the
    # package stays untouched. Transformer (128 tokens) -> mean Pooling -> Normalize, as the model card.
    scratch = tempfile.mkdtemp(prefix="minilm-st-")
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        os.symlink(os.path.realpath(os.path.join(model_dir, name)), os.path.join(scratch, name))
    with open(os.path.join(scratch, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizerFast", "do_lower_case": True,
                   "model_max_length": 512}, f)
    word = Transformer(scratch, max_seq_length=128)
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[word, pooling, Normalize()], device="cpu")


# Short, long, punctuated, accented, an emoji (an unknown token), and one past 128 tokens (truncated).
REFERENCE_SENTENCES = [
    "A man is eating food.",
    "The quarterly report shows rising revenue.",
    "Hi",
    "Staked workers re-execute the audit, and a signed wrong answer is slashed by the committee's vote!",
    "Ünïcödé, emoji 🚀 and numbers: 3.14159, 0xdeadbeef; naïve café.",
    "the price of ether rose again today " * 40,
]


def write_reference(model_dir, out):
    embeddings = load(model_dir).encode(REFERENCE_SENTENCES, convert_to_numpy=True)
    import sentence_transformers
    reference = {
        "source": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__} on the CPU, "
                  "models/minilm (128 tokens, mean pooling, normalised), rounded to 6 decimals: "
                  "scripts/lib/embed_bench.py --reference",
        "sentences": REFERENCE_SENTENCES,
        "embeddings": [[round(float(v), 6) for v in row] for row in embeddings],
    }
    with open(out, "w") as f:
        json.dump(reference, f)
        f.write("\n")


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "--reference":
        write_reference(*sys.argv[2:4])
        return
    model_dir, run_dir = sys.argv[1:3]
    with open(os.path.join(run_dir, "sentences.txt")) as f:
        sentences = f.read().splitlines()
    with open(os.path.join(run_dir, "rust.json")) as f:
        rust = json.load(f)
    model = load(model_dir)

    ours = model.encode(sentences, convert_to_numpy=True).astype(np.float64)
    theirs = np.asarray(rust["embeddings"], dtype=np.float64)
    cosines = (ours * theirs).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    worst_cosine = float(np.abs(cosines - 1).max())
    worst_element = float(np.abs(ours - theirs).max())

    throughput = {}
    for size in SIZES:
        times = []
        for p in range(PASSES):
            print(f"\r{size:>3} sentences a call: pass {p + 1}/{PASSES}", end="", file=sys.stderr, flush=True)
            started = time.perf_counter()
            for i in range(0, len(sentences), size):
                model.encode(sentences[i:i + size], convert_to_numpy=True)
            times.append(time.perf_counter() - started)
        throughput[size] = len(sentences) / statistics.median(times)
        print(f"\r{size:>3} sentences a call: {throughput[size]:8.1f} sentences/s", file=sys.stderr)

    print(f"\n{len(sentences)} sentences of 10-30 words; one thread each side "
          f"(torch {torch.__version__}, sentence-transformers {__import__('sentence_transformers').__version__})\n")
    print("| sentences a call | verigrad (sentences/s) | sentence-transformers (sentences/s) | verigrad / sentence-transformers |")
    print("|---:|---:|---:|---:|")
    for size in SIZES:
        ours_rate, their_rate = rust["throughput"][str(size)], throughput[size]
        print(f"| {size} | {ours_rate:.1f} | {their_rate:.1f} | **{ours_rate / their_rate:.2f}×** |")
    print(f"\nmax |cosine - 1| between the two sides' embeddings: {worst_cosine:.1e}; "
          f"max |element difference|: {worst_element:.1e}")


if __name__ == "__main__":
    main()
