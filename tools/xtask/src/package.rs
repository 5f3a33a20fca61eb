//! `cargo xtask package-report OUT [RESULT_FILE]`: the second half of
//! `scripts/package.sh`. After the shell script has run the builders
//! (`cargo lambda build --output-format zip`, the layer's `make` target), this
//! zips the models layer, measures every artefact and fails when one breaks a
//! Lambda limit: 50 MB zipped per function upload, 250 MB unzipped for a
//! function with all its layers. The functions and which of them mount the
//! layer come from `template.yaml`.

use std::{
    fs::File,
    io::{Read, Seek, Write},
    path::{Path, PathBuf},
};

use serde::Serialize;
use zip::{ZipArchive, ZipWriter, write::SimpleFileOptions};

const MB: u64 = 1024 * 1024;
/// Largest function zip Lambda accepts as a direct upload.
const ZIPPED_LIMIT: u64 = 50 * MB;
/// Largest a function may be unzipped, with all its layers.
const UNZIPPED_LIMIT: u64 = 250 * MB;

/// Bytes of an archive: as stored, and once extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct Sizes {
    zipped: u64,
    unzipped: u64,
}

fn sizes(path: &Path) -> Result<Sizes, String> {
    let cannot = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = File::open(path).map_err(|e| cannot(&e))?;
    let zipped = file.metadata().map_err(|e| cannot(&e))?.len();
    Ok(Sizes {
        zipped,
        unzipped: unzipped_size(file).map_err(|e| cannot(&e))?,
    })
}

fn unzipped_size(reader: impl Read + Seek) -> zip::result::ZipResult<u64> {
    let mut archive = ZipArchive::new(reader)?;
    let mut total = 0;
    for index in 0..archive.len() {
        total += archive.by_index_raw(index)?.size();
    }
    Ok(total)
}

/// Zips everything under `dir` into `target`, paths relative to `dir` (what
/// Lambda extracts under `/opt`), in sorted order so the archive is the same
/// for the same files.
fn zip_dir(dir: &Path, target: &Path) -> Result<(), String> {
    let cannot = |path: &Path, e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut files = Vec::new();
    collect_files(dir, &mut files).map_err(|e| cannot(dir, &e))?;
    files.sort();
    let out = File::create(target).map_err(|e| cannot(target, &e))?;
    let mut writer = ZipWriter::new(out);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for file in files {
        let name = file
            .strip_prefix(dir)
            .map_err(|e| cannot(&file, &e))?
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        writer
            .start_file(name, options)
            .map_err(|e| cannot(&file, &e))?;
        let bytes = std::fs::read(&file).map_err(|e| cannot(&file, &e))?;
        writer.write_all(&bytes).map_err(|e| cannot(&file, &e))?;
    }
    writer.finish().map_err(|e| cannot(target, &e))?;
    Ok(())
}

fn collect_files(dir: &Path, into: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, into)?;
        } else {
            into.push(path);
        }
    }
    Ok(())
}

/// One function's figures, as the JSON result file holds them.
#[derive(Serialize)]
struct Row {
    function: String,
    #[serde(flatten)]
    sizes: Sizes,
    models_layer: bool,
    #[serde(rename = "unzipped_with_layers")]
    with_layers: u64,
}

/// The result file: every function, and the layer.
#[derive(Serialize)]
struct Report<'a> {
    functions: &'a [Row],
    models_layer: Sizes,
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / MB as f64)
}

/// What breaks a limit, one line each.
fn problems(rows: &[Row]) -> Vec<String> {
    let mut found = Vec::new();
    for row in rows {
        if row.sizes.zipped > ZIPPED_LIMIT {
            found.push(format!(
                "{}: {} bytes zipped, over Lambda's 50 MB",
                row.function, row.sizes.zipped
            ));
        }
        if row.with_layers > UNZIPPED_LIMIT {
            found.push(format!(
                "{}: {} bytes unzipped with its layers, over Lambda's 250 MB",
                row.function, row.with_layers
            ));
        }
    }
    found
}

pub fn report(root: &Path, out: &Path, result_file: Option<&Path>) -> Result<(), String> {
    let template = crate::generate::template(root)?;
    let layer_zip = out.join("models-layer.zip");
    zip_dir(&out.join("layer"), &layer_zip)?;
    let layer = sizes(&layer_zip)?;
    let mut rows = Vec::new();
    for function in &template.functions {
        let path = out
            .join("functions")
            .join(&function.binary)
            .join("bootstrap.zip");
        let sizes = sizes(&path)?;
        let layers = if function.uses_models_layer {
            layer.unzipped
        } else {
            0
        };
        rows.push(Row {
            function: function.binary.clone(),
            sizes,
            models_layer: function.uses_models_layer,
            with_layers: sizes.unzipped + layers,
        });
    }
    if layer.zipped > ZIPPED_LIMIT {
        // sam deploy uploads through S3, where only the unzipped limit applies.
        eprintln!(
            "note: the models layer zips to {} bytes, over the 50 MB of a direct upload: publish it through S3 (sam deploy does)",
            layer.zipped
        );
    }
    println!(
        "| function (arm64) | zipped | unzipped | models layer | unzipped with layers | share of 250 MB |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.0} % |",
            r.function,
            mib(r.sizes.zipped),
            mib(r.sizes.unzipped),
            if r.models_layer { "yes" } else { "no" },
            mib(r.with_layers),
            100.0 * r.with_layers as f64 / UNZIPPED_LIMIT as f64
        );
    }
    println!(
        "| models layer | {} | {} | | | |",
        mib(layer.zipped),
        mib(layer.unzipped)
    );
    if let Some(path) = result_file {
        let report = Report {
            functions: &rows,
            models_layer: layer,
        };
        let text = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let found = problems(&rows);
    for problem in &found {
        eprintln!("error: {problem}");
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("{} artefact(s) over a Lambda limit", found.len()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_zipped_folder_measures_what_it_holds() {
        let dir = std::env::temp_dir().join(format!("xtask-zip-{}", std::process::id()));
        let layer = dir.join("layer/models/pack");
        std::fs::create_dir_all(&layer).unwrap();
        std::fs::write(layer.join("config.json"), vec![b'a'; 3000]).unwrap();
        std::fs::write(dir.join("layer/top.txt"), b"12345").unwrap();
        let target = dir.join("layer.zip");
        zip_dir(&dir.join("layer"), &target).unwrap();
        let measured = sizes(&target).unwrap();
        assert_eq!(measured.unzipped, 3005);
        assert!(measured.zipped < 3005, "deflated: {measured:?}");
        let mut archive = ZipArchive::new(File::open(&target).unwrap()).unwrap();
        let mut names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().to_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["models/pack/config.json", "top.txt"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn limits_are_checked_per_function_with_its_layers() {
        let row = |zipped, with_layers| Row {
            function: "f".into(),
            sizes: Sizes {
                zipped,
                unzipped: 1,
            },
            models_layer: true,
            with_layers,
        };
        assert!(problems(&[row(ZIPPED_LIMIT, UNZIPPED_LIMIT)]).is_empty());
        assert_eq!(problems(&[row(ZIPPED_LIMIT + 1, 1)]).len(), 1);
        assert_eq!(problems(&[row(1, UNZIPPED_LIMIT + 1)]).len(), 1);
    }
}
