"""Rewrites every 4-bit `MatMulNBits` node of an ONNX model as a plain fp32 `MatMul`.

Experiment tool for BENCHMARKS.md (entities section): tract runs the 4-bit
matrix products of the `pii-en-rampart` pack much slower than fp32 ones. The
rewritten model computes the same products with the dequantised weights
(weight = (nibble - 8) * block scale, the zero point being the default 8), at
about 3.4 times the size. Not used by the shipped pack (yet).

    python dequantize_fp32.py models/pii-en-rampart/model.onnx /tmp/fp32/model.onnx

Needs `onnx` and `numpy` (PyPI).
"""

import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dequantize(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    nodes, dropped = [], set()
    for node in graph.node:
        if node.op_type != "MatMulNBits":
            nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        k, n, bits, block = attrs["K"], attrs["N"], attrs["bits"], attrs["block_size"]
        # Only what this pack uses: 4 bits, no explicit zero points or bias.
        assert bits == 4 and len(node.input) == 3, node.input
        packed = numpy_helper.to_array(initializers[node.input[1]])  # [N, blocks, block/2] u8
        scales = numpy_helper.to_array(initializers[node.input[2]]).reshape(n, -1).astype(np.float32)
        low, high = packed & 0x0F, packed >> 4
        nibbles = np.stack([low, high], axis=-1).reshape(n, packed.shape[1], block)
        weights = ((nibbles.astype(np.float32) - 8.0) * scales[:, :, None]).reshape(n, -1)[:, :k]
        name = node.input[1] + "_fp32"
        graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(weights.T), name))
        dropped.update(node.input[1:])
        nodes.append(helper.make_node("MatMul", [node.input[0], name], list(node.output), name=node.name + "_fp32"))
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [init for init in graph.initializer if init.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return model


if __name__ == "__main__":
    source, target = sys.argv[1], sys.argv[2]
    onnx.save(dequantize(onnx.load(source)), target)
