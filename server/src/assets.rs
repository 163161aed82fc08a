//! The browser bundle (`<site>/pkg`: wasm, JavaScript, CSS) served from memory, compressed once
//! with brotli and gzip instead of on every request, with a strong ETag from the content, so a
//! browser's warm reload revalidates (304, no body) instead of downloading the bundle again.
//! Pages name each file by its content (`flotilla.<hash>.wasm`): those names never change
//! meaning, so they are served `immutable` for a year and a reload does not even ask.
//! The build compresses at the strongest settings (`end2end/precompress.mjs` writes `X.br` and
//! `X.gz` beside each file; brotli 11 takes ~12 s of CPU on the 5 MB wasm), and those are sent
//! as they are. A file without them is sent uncompressed at once and compressed at faster
//! settings on a background thread.
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

/// A plain name (`flotilla.wasm`) may mean another build tomorrow: a cached copy is reused only
/// after the server confirms its ETag (a 304 of a few hundred bytes).
const REVALIDATE: &str = "no-cache";
/// A content-hashed name means these bytes forever.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[derive(Clone)]
struct Asset {
    content_type: &'static str,
    etag: String,
    raw: Arc<[u8]>,
    gzip: Option<Arc<[u8]>>,
    br: Option<Arc<[u8]>>,
}

/// The bundle, by file name under `/pkg/`. Cheap to clone.
#[derive(Clone, Default)]
pub struct Assets {
    files: Arc<RwLock<HashMap<String, Asset>>>,
    /// `flotilla.<hash>.wasm` → `flotilla.wasm`, fixed at load.
    hashed: Arc<HashMap<String, String>>,
}

impl Assets {
    /// Reads every file of `dir` (not recursive) now, and compresses them on a blocking task.
    pub fn load(dir: &std::path::Path) -> Self {
        let mut assets = Self::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            tracing::warn!(dir = %dir.display(), "no browser bundle found: pages will not hydrate (run cargo leptos build)");
            return assets;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let (Some(name), Ok(raw)) = (path.file_name().and_then(|n| n.to_str()).map(str::to_owned), std::fs::read(&path)) else { continue };
            if !path.is_file() || name.ends_with(".br") || name.ends_with(".gz") {
                continue;
            }
            // Copies made by the build, used only when they are of this very file.
            let built = |ext: &str, decode: fn(&[u8]) -> Option<Vec<u8>>| {
                let packed = std::fs::read(dir.join(format!("{name}.{ext}"))).ok()?;
                (decode(&packed)? == raw).then(|| Arc::<[u8]>::from(packed))
            };
            let (gzip, br) = (built("gz", gunzip), built("br", unbrotli));
            let etag = format!("\"{}\"", hex(&Sha256::digest(&raw)[..16]));
            assets.files.write().insert(name.clone(), Asset { content_type: content_type(&name), etag, raw: raw.into(), gzip, br });
        }
        let hashed = assets.files.read().iter().map(|(name, a)| (hashed_name(name, &a.etag), name.clone())).collect();
        assets.hashed = Arc::new(hashed);
        let background = assets.clone();
        std::thread::spawn(move || background.compress_all());
        assets
    }

    /// The content-hashed paths pages load the bundles by: the full app's (plain names for files
    /// not found) and each page group's that was built (`<output>-<group>.js` and `.wasm`).
    pub fn names(&self, output_name: &str, pkg_dir: &str) -> app::Bundles {
        let files = self.files.read();
        let path = |name: String| {
            let file = files.get(&name).map_or(name.clone(), |a| hashed_name(&name, &a.etag));
            format!("/{pkg_dir}/{file}")
        };
        let main = app::BundleNames { js: path(format!("{output_name}.js")), wasm: path(format!("{output_name}.wasm")), css: path(format!("{output_name}.css")) };
        let groups = app::routes::PageGroup::ALL
            .into_iter()
            .filter_map(|g| {
                let (js, wasm) = (format!("{output_name}-{}.js", g.name()), format!("{output_name}-{}.wasm", g.name()));
                (files.contains_key(&js) && files.contains_key(&wasm)).then(|| (g, app::BundleNames { js: path(js), wasm: path(wasm), css: main.css.clone() }))
            })
            .collect();
        app::Bundles { main, groups }
    }

    /// Compresses every file that is worth it (text and wasm) and has no copies from the build,
    /// one at a time.
    pub fn compress_all(&self) {
        let names: Vec<String> = self.files.read().keys().cloned().collect();
        for name in names {
            let Some(raw) = self.files.read().get(&name).filter(|a| a.br.is_none() || a.gzip.is_none()).map(|a| a.raw.clone()) else { continue };
            if !compressible(&name) || raw.len() < 256 {
                continue;
            }
            let started = std::time::Instant::now();
            let gzip = gzip(&raw);
            let br = brotli(&raw);
            tracing::info!(file = %name, raw = raw.len(), gzip = gzip.len(), br = br.len(), ms = started.elapsed().as_millis() as u64, "compressed the bundle");
            if let Some(a) = self.files.write().get_mut(&name) {
                a.gzip.get_or_insert_with(|| gzip.into());
                a.br.get_or_insert_with(|| br.into());
            }
        }
    }

    fn get(&self, name: &str) -> Option<Asset> {
        self.files.read().get(name).cloned()
    }
}

/// `flotilla.wasm` → `flotilla.0123456789abcdef.wasm`: the first 16 hex digits of its ETag.
fn hashed_name(name: &str, etag: &str) -> String {
    let hash = &etag.trim_matches('"')[..16];
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

fn compressible(name: &str) -> bool {
    [".wasm", ".js", ".css", ".json", ".svg", ".html", ".txt"].iter().any(|e| name.ends_with(e))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "wasm" => "application/wasm",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 3), flate2::Compression::new(6));
    enc.write_all(raw).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// Quality 6: a fraction of a second on the 5 MB wasm where 11 takes about 12 s (the build
/// does 11).
fn brotli(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() / 4);
    let params = ::brotli::enc::BrotliEncoderParams { quality: 6, lgwin: 22, ..Default::default() };
    ::brotli::BrotliCompress(&mut &raw[..], &mut out, &params).expect("brotli into memory");
    out
}

fn gunzip(packed: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(packed), &mut out).ok()?;
    Some(out)
}

fn unbrotli(packed: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    ::brotli::BrotliDecompress(&mut &packed[..], &mut out).ok()?;
    Some(out)
}

/// Which encoding the request accepts, best first: brotli, then gzip (q=0 means refused).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or_default().trim();
        let refused = it.any(|p| matches!(p.trim().replace(' ', "").as_str(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
        (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
    })
}

/// `GET /pkg/{file}`: the file, compressed as the browser accepts, or 304 when its copy is current.
pub async fn serve(State(assets): State<Assets>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let (name, policy) = match assets.hashed.get(&file) {
        Some(plain) => (plain.as_str(), IMMUTABLE),
        None => (file.as_str(), REVALIDATE),
    };
    let Some(a) = assets.get(name) else { return (StatusCode::NOT_FOUND, "No such file in the browser bundle.").into_response() };
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    let etag = (header::ETAG, HeaderValue::from_str(&a.etag).expect("hex etag"));
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static(policy));
    let current = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == a.etag || t.trim() == "*"));
    if current {
        return (StatusCode::NOT_MODIFIED, [vary, etag, cache]).into_response();
    }
    let (body, coding) = match (&a.br, &a.gzip) {
        (Some(br), _) if accepts(&headers, "br") => (br.clone(), Some("br")),
        (_, Some(gz)) if accepts(&headers, "gzip") => (gz.clone(), Some("gzip")),
        _ => (a.raw.clone(), None),
    };
    let mut res = (StatusCode::OK, [vary, etag, cache, (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type))], Body::from(body.to_vec())).into_response();
    if let Some(c) = coding {
        res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts(&h("gzip, deflate, br, zstd"), "br"));
        assert!(accepts(&h("gzip;q=1.0, br;q=0.5"), "br"));
        assert!(!accepts(&h("gzip, br;q=0"), "br"));
        assert!(accepts(&h("*"), "gzip"));
        assert!(!accepts(&h("identity"), "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn compressed_copies_decode_to_the_file() {
        use std::io::Read;
        let raw: Vec<u8> = (0..20_000u32).flat_map(|i| format!("line {i} of the bundle\n").into_bytes()).collect();
        let gz = gzip(&raw);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, raw);
        let br = brotli(&raw);
        let mut back = Vec::new();
        ::brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, raw);
        assert!(br.len() < gz.len() && gz.len() < raw.len() / 4, "br {} gz {} raw {}", br.len(), gz.len(), raw.len());
    }
}
