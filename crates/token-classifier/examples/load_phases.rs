//! Times each phase of loading a subword pack (tokenizer, ONNX parsing,
//! dequantising, tract's passes), to see where a cold start goes:
//!
//!   cargo run --release -p token-classifier --example load_phases -- models/pii-en-rampart
//!
//! Pin it to one core (`taskset -c 0`) to see what Lambda's one vCPU pays.
//! The phases mirror `TokenClassifier::load`; this is a measuring tool only.

use std::{error::Error, path::PathBuf, time::Instant};

use tract_onnx::prelude::*;

struct Laps {
    started: Instant,
    lap: Instant,
}

impl Laps {
    fn done(&mut self, phase: &str) {
        println!(
            "{phase:>16}: {:6.1} ms",
            self.lap.elapsed().as_secs_f64() * 1000.0
        );
        self.lap = Instant::now();
    }
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: load_phases PACK_DIRECTORY")?,
    );
    let now = Instant::now();
    let mut laps = Laps {
        started: now,
        lap: now,
    };
    let tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json"))?;
    laps.done("tokenizer");
    let onnx = tract_onnx::onnx()
        .with_ignore_output_shapes(true)
        .with_ignore_value_info(true);
    let mut proto = onnx.proto_model_for_path(dir.join("model.onnx"))?;
    laps.done("read protobuf");
    let graph = proto.graph.as_mut().ok_or("the model has no graph")?;
    let rewritten = token_classifier::dequantize::dequantize_matmul_nbits(graph);
    laps.done("dequantize");
    let mut model = onnx.model_for_proto_model(&proto)?;
    laps.done("onnx -> tract");
    let sequence = TDim::from(model.symbols.sym("S"));
    for index in 0..model.inputs.len() {
        let fact = InferenceFact::dt_shape(i64::datum_type(), [TDim::from(1), sequence.clone()]);
        model.set_input_fact(index, fact)?;
    }
    let typed = model.into_typed()?;
    laps.done("into_typed");
    let decluttered = typed.into_decluttered()?;
    laps.done("declutter");
    let optimized = decluttered.into_optimized()?;
    laps.done("optimize");
    let plan = optimized.into_runnable()?;
    laps.done("into_runnable");
    println!(
        "{:>16}: {:6.1} ms ({rewritten} products dequantised)",
        "total",
        laps.started.elapsed().as_secs_f64() * 1000.0
    );
    drop((plan, tokenizer));
    Ok(())
}
