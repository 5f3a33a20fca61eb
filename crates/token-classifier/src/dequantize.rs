//! Rewrites 4-bit `MatMulNBits` weights (com.microsoft) as plain fp32 `MatMul`s
//! before tract sees the model.
//!
//! Why: tract keeps such weights block-quantised and dequantises them inside
//! every matrix product, which made the `pii-en-rampart` pack 3-4 times slower
//! than the same products on fp32 weights (BENCHMARKS.md, entities section).
//! Dequantising once at load costs memory (the weights take 8 times the bytes)
//! and gives the same numbers: weight = (nibble - zero point 8) x block scale,
//! exactly what the quantised kernel computes.
//!
//! Only the form this project's packs use is rewritten (4 bits, no zero
//! points, no bias, no group index); any other `MatMulNBits` is left to tract.

use std::collections::HashSet;

use tract_onnx::pb::{GraphProto, NodeProto, TensorProto, tensor_proto::DataType};

/// Rewrites the graph in place; returns how many products were rewritten.
pub fn dequantize_matmul_nbits(graph: &mut GraphProto) -> usize {
    let mut added = Vec::new();
    let mut dropped = HashSet::new();
    for index in 0..graph.node.len() {
        let node = &graph.node[index];
        if node.op_type != "MatMulNBits" || node.input.len() != 3 {
            continue;
        }
        let Some(weights) = fp32_weights(node, &graph.initializer) else {
            continue;
        };
        let name = format!("{}_fp32", node.input[1]);
        dropped.insert(node.input[1].clone());
        dropped.insert(node.input[2].clone());
        let activations = node.input[0].clone();
        let node = &mut graph.node[index];
        node.op_type = "MatMul".into();
        node.domain.clear();
        node.attribute.clear();
        node.input = vec![activations, name.clone()];
        added.push(TensorProto {
            name,
            dims: weights.dims,
            data_type: DataType::Float as i32,
            raw_data: weights.raw_data,
            ..TensorProto::default()
        });
    }
    let rewritten = added.len();
    graph
        .initializer
        .retain(|tensor| !dropped.contains(&tensor.name));
    graph.initializer.extend(added);
    rewritten
}

struct Weights {
    /// `[K, N]`, so that `activations [.., K] x weights` is the product.
    dims: Vec<i64>,
    /// The fp32 values, little-endian, row by row.
    raw_data: Vec<u8>,
}

/// An initializer's `raw_data` as fp32 values (ONNX stores them little-endian).
fn f32s_from_le_bytes(raw_data: &[u8]) -> Vec<f32> {
    raw_data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn attribute(node: &NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

fn fp32_weights(node: &NodeProto, initializers: &[TensorProto]) -> Option<Weights> {
    let k = usize::try_from(attribute(node, "K")?).ok()?;
    let n = usize::try_from(attribute(node, "N")?).ok()?;
    let bits = attribute(node, "bits").unwrap_or(4);
    let block = usize::try_from(attribute(node, "block_size")?).ok()?;
    if bits != 4 || block == 0 || block % 2 != 0 {
        return None;
    }
    let find = |name: &str| initializers.iter().find(|t| t.name == name);
    let packed = find(&node.input[1])?;
    let scales = find(&node.input[2])?;
    if packed.data_type != DataType::Uint8 as i32 || scales.data_type != DataType::Float as i32 {
        return None;
    }
    let blocks = k.div_ceil(block);
    let packed = &packed.raw_data;
    let scales: Vec<f32> = if scales.raw_data.is_empty() {
        scales.float_data.clone()
    } else {
        f32s_from_le_bytes(&scales.raw_data)
    };
    if packed.len() != n * blocks * block / 2 || scales.len() != n * blocks {
        return None;
    }
    // Written straight as the initializer's little-endian bytes. Blocks of
    // rows outside, columns inside: the rows of one block across all columns
    // stay in cache while they are filled (column by column over all rows
    // strided through the whole matrix: 49 against 29 ms for pii-en-rampart).
    let mut raw_data = vec![0u8; k * n * 4];
    for b in 0..blocks {
        for column in 0..n {
            let scale = scales[column * blocks + b];
            let bytes = &packed[(column * blocks + b) * block / 2..][..block / 2];
            for (j, byte) in bytes.iter().enumerate() {
                for (nibble, row) in [
                    (byte & 0x0f, b * block + 2 * j),
                    (byte >> 4, b * block + 2 * j + 1),
                ] {
                    if row < k {
                        let value = (f32::from(nibble) - 8.0) * scale;
                        raw_data[(row * n + column) * 4..][..4]
                            .copy_from_slice(&value.to_le_bytes());
                    }
                }
            }
        }
    }
    Some(Weights {
        dims: vec![k as i64, n as i64],
        raw_data,
    })
}

#[cfg(test)]
mod tests {
    use tract_onnx::pb::AttributeProto;

    use super::*;

    fn int_attribute(name: &str, i: i64) -> AttributeProto {
        AttributeProto {
            name: name.into(),
            i,
            ..AttributeProto::default()
        }
    }

    #[test]
    fn nibbles_become_scaled_fp32_weights_in_k_by_n_order() {
        // K = 4, N = 2, one block of 4 per column: column 0 holds nibbles
        // 8, 9, 10, 0 (scale 0.5), column 1 holds 7, 8, 15, 8 (scale 2).
        let node = NodeProto {
            op_type: "MatMulNBits".into(),
            domain: "com.microsoft".into(),
            input: vec!["a".into(), "q".into(), "s".into()],
            output: vec!["y".into()],
            attribute: vec![
                int_attribute("K", 4),
                int_attribute("N", 2),
                int_attribute("bits", 4),
                int_attribute("block_size", 4),
            ],
            ..NodeProto::default()
        };
        let packed = TensorProto {
            name: "q".into(),
            dims: vec![2, 1, 2],
            data_type: DataType::Uint8 as i32,
            raw_data: vec![0x98, 0x0a, 0x87, 0x8f],
            ..TensorProto::default()
        };
        let scales = TensorProto {
            name: "s".into(),
            dims: vec![2],
            data_type: DataType::Float as i32,
            float_data: vec![0.5, 2.0],
            ..TensorProto::default()
        };
        let mut graph = GraphProto {
            node: vec![node],
            initializer: vec![packed, scales],
            ..GraphProto::default()
        };
        assert_eq!(dequantize_matmul_nbits(&mut graph), 1);
        assert_eq!(graph.node[0].op_type, "MatMul");
        assert_eq!(graph.node[0].input, ["a", "q_fp32"]);
        assert_eq!(graph.initializer.len(), 1);
        let weights = f32s_from_le_bytes(&graph.initializer[0].raw_data);
        // rows k, columns n: w[k][0] = (nibble - 8) * 0.5, w[k][1] = (nibble - 8) * 2
        assert_eq!(weights, [0.0, -2.0, 0.5, 0.0, 1.0, 14.0, -4.0, 0.0]);
        assert_eq!(graph.initializer[0].dims, [4, 2]);
    }

    #[test]
    fn several_blocks_and_a_padded_last_block() {
        // K = 6 rows in blocks of 4 (the second block has 2 rows of padding),
        // N = 3 columns; every nibble distinct enough to catch a misplaced one.
        let (k, n, block) = (6usize, 3usize, 4usize);
        let blocks = k.div_ceil(block);
        let packed: Vec<u8> = (0..n * blocks * block / 2)
            .map(|i| u8::try_from((i * 37 + 11) % 256).unwrap())
            .collect();
        let scales: Vec<f32> = (0..n * blocks).map(|i| 0.25 + i as f32).collect();
        let mut expected = vec![0f32; k * n];
        for column in 0..n {
            for row in 0..k {
                let byte = packed[(column * blocks + row / block) * block / 2 + (row % block) / 2];
                let nibble = if row % 2 == 0 { byte & 0x0f } else { byte >> 4 };
                expected[row * n + column] =
                    (f32::from(nibble) - 8.0) * scales[column * blocks + row / block];
            }
        }
        let node = NodeProto {
            op_type: "MatMulNBits".into(),
            input: vec!["a".into(), "q".into(), "s".into()],
            attribute: vec![
                int_attribute("K", 6),
                int_attribute("N", 3),
                int_attribute("block_size", 4),
            ],
            ..NodeProto::default()
        };
        let mut graph = GraphProto {
            node: vec![node],
            initializer: vec![
                TensorProto {
                    name: "q".into(),
                    data_type: DataType::Uint8 as i32,
                    raw_data: packed,
                    ..TensorProto::default()
                },
                TensorProto {
                    name: "s".into(),
                    data_type: DataType::Float as i32,
                    raw_data: scales.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    ..TensorProto::default()
                },
            ],
            ..GraphProto::default()
        };
        assert_eq!(dequantize_matmul_nbits(&mut graph), 1);
        let weights = f32s_from_le_bytes(&graph.initializer[0].raw_data);
        assert_eq!(weights, expected);
    }
}
