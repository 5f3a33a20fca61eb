//! The Swagger UI and Redoc files, embedded in the binary.
//!
//! They are committed gzipped (see `scripts/vendor-docs-assets.sh`) and sent as
//! they are to clients that accept gzip; others get them inflated. Each file's
//! `ETag` is the SHA-256 of its uncompressed bytes, recorded in `SHA256SUMS`.

use std::{
    collections::HashMap,
    io::Read,
    sync::{Arc, OnceLock},
};

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub gzipped: &'static [u8],
    inflated: OnceLock<Option<Arc<[u8]>>>,
}

impl Asset {
    const fn new(name: &'static str, content_type: &'static str, gzipped: &'static [u8]) -> Self {
        Self {
            name,
            content_type,
            gzipped,
            inflated: OnceLock::new(),
        }
    }

    /// The uncompressed bytes, inflated on first use; `None` if the embedded
    /// gzip is corrupt (a test rules that out for the committed files).
    pub fn inflated(&self) -> Option<Arc<[u8]>> {
        self.inflated
            .get_or_init(|| {
                let mut bytes = Vec::new();
                flate2::read::GzDecoder::new(self.gzipped)
                    .read_to_end(&mut bytes)
                    .ok()
                    .map(|_| Arc::from(bytes))
            })
            .clone()
    }

    /// A strong validator: the recorded digest of the uncompressed file.
    pub fn etag(&self) -> Option<&'static str> {
        digests().get(self.name).copied()
    }
}

static ASSETS: [Asset; 4] = [
    Asset::new(
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/swagger-ui-bundle.js.gz"),
    ),
    Asset::new(
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/swagger-ui.css.gz"),
    ),
    Asset::new(
        "favicon-32x32.png",
        "image/png",
        include_bytes!("../assets/favicon-32x32.png.gz"),
    ),
    Asset::new(
        "redoc.standalone.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/redoc.standalone.js.gz"),
    ),
];

/// Names of the vendored files, for the OpenAPI parameter's `enum`.
pub const VENDORED_NAMES: [&str; 4] = [
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "redoc.standalone.js",
];

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

pub fn all() -> &'static [Asset] {
    &ASSETS
}

fn digests() -> &'static HashMap<&'static str, &'static str> {
    static DIGESTS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    DIGESTS.get_or_init(|| {
        include_str!("../assets/SHA256SUMS")
            .lines()
            .filter_map(|line| line.split_once("  "))
            .map(|(digest, name)| (name.trim(), digest.trim()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn every_embedded_file_inflates_to_its_recorded_digest() {
        for asset in all() {
            let bytes = asset.inflated().expect("valid gzip");
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(Some(digest.as_str()), asset.etag(), "{}", asset.name);
        }
        let mut names: Vec<_> = all().iter().map(|a| a.name).collect();
        names.sort_unstable();
        let mut listed = VENDORED_NAMES.to_vec();
        listed.sort_unstable();
        assert_eq!(names, listed);
        assert_eq!(
            digests().len(),
            all().len(),
            "SHA256SUMS lists exactly the embedded files"
        );
    }
}
