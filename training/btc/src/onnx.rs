//! Writes a fitted model as an ONNX graph built only from operators tract runs
//! (Log, Slice, Sub, MatMul, Add, Exp, Mul), in float64 so the served prediction
//! matches the training program's to well under 1e-6.
//!
//! Inputs: `closes` double[1, N] (oldest first). Outputs: `log_returns`
//! double[1, H] (predicted log return from the last close to the close 1..=H
//! days later) and `forecast_closes` double[1, H].

use prost::Message;
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, tensor_proto::DataType, tensor_shape_proto,
    type_proto,
};

use btc_forecast::meta::Linear;

const OPSET: i64 = 17;
const IR_VERSION: i64 = 8;

fn tensor_f64(name: &str, dims: &[i64], values: &[f64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Double as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn tensor_i64(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: DataType::Int64 as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        // Node names share tract's namespace with tensors: keep them apart.
        name: format!("op_{name}"),
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.to_owned()],
        attribute: Vec::<AttributeProto>::new(),
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(*d)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Double as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The ONNX bytes of `models` (one per horizon, all over the same window of
/// `weights + 1` closes).
pub fn export(models: &[Linear], doc: &str) -> Vec<u8> {
    let horizons = models.len() as i64;
    let returns = models.first().map_or(0, |m| m.weights.len()) as i64;
    let closes = returns + 1;
    // Row-major [returns, horizons]: column h holds horizon h + 1's weights.
    let weights: Vec<f64> = (0..returns as usize)
        .flat_map(|i| {
            models
                .iter()
                .map(move |m| m.weights.get(i).copied().unwrap_or(0.0))
        })
        .collect();
    let bias: Vec<f64> = models.iter().map(|m| m.bias).collect();
    let graph = GraphProto {
        name: "btc_horizons".into(),
        doc_string: doc.into(),
        node: vec![
            node("Log", "log", &["closes"], "log_closes"),
            node(
                "Slice",
                "later",
                &["log_closes", "one", "n", "axis1"],
                "later",
            ),
            node(
                "Slice",
                "earlier",
                &["log_closes", "zero", "n_minus_1", "axis1"],
                "earlier",
            ),
            node("Sub", "returns", &["later", "earlier"], "returns"),
            node("MatMul", "matmul", &["returns", "weights"], "weighted"),
            node("Add", "bias", &["weighted", "bias"], "log_returns"),
            node("Exp", "growth", &["log_returns"], "growth"),
            node(
                "Slice",
                "last",
                &["closes", "n_minus_1", "n", "axis1"],
                "last_close",
            ),
            node(
                "Mul",
                "forecast",
                &["last_close", "growth"],
                "forecast_closes",
            ),
        ],
        initializer: vec![
            tensor_f64("weights", &[returns, horizons], &weights),
            tensor_f64("bias", &[horizons], &bias),
            tensor_i64("zero", &[0]),
            tensor_i64("one", &[1]),
            tensor_i64("n", &[closes]),
            tensor_i64("n_minus_1", &[closes - 1]),
            tensor_i64("axis1", &[1]),
        ],
        input: vec![value_info("closes", &[1, closes])],
        output: vec![
            value_info("log_returns", &[1, horizons]),
            value_info("forecast_closes", &[1, horizons]),
        ],
        ..Default::default()
    };
    ModelProto {
        ir_version: IR_VERSION,
        producer_name: "btc-model".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}
