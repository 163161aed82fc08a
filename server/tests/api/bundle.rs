//! The browser bundle and pages travel compressed: the wasm and JavaScript are compressed once
//! (brotli, gzip) and served by what the browser accepts, with a strong ETag so a warm reload is
//! a 304 without a body; HTML and API answers are compressed on the fly.
use crate::support::TestPortal;
use axum::body::Body;
use axum::http::{Request, header};
use std::time::{Duration, Instant};

fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> Request<Body> {
    let mut req = Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    req.body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_sent_compressed_once_and_revalidated_not_resent() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    // Something shaped like a bundle: 300 kB that compresses well.
    let wasm: Vec<u8> = (0..12_000u32).flat_map(|i| format!("(func $f{i} (result i32) i32.const {})\n", i % 97).into_bytes()).collect();
    std::fs::write(site.path().join("pkg/flotilla.wasm"), &wasm).unwrap();
    let js = "export default function init() {}\n".repeat(50);
    std::fs::write(site.path().join("pkg/flotilla.js"), &js).unwrap();
    // The build's copies (end2end/precompress.mjs): a brotli copy of this file is sent as it is;
    // a gzip copy of another build's file is not.
    let mut js_br = Vec::new();
    brotli::BrotliCompress(&mut js.as_bytes(), &mut js_br, &brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() }).unwrap();
    std::fs::write(site.path().join("pkg/flotilla.js.br"), &js_br).unwrap();
    let mut stale = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut stale, b"an older build").unwrap();
    std::fs::write(site.path().join("pkg/flotilla.js.gz"), stale.finish().unwrap()).unwrap();
    let portal = TestPortal::start_serving(site.path().to_str().unwrap()).await;
    let built = portal.raw(get("/pkg/flotilla.js", &[(header::ACCEPT_ENCODING, "br")])).await;
    assert_eq!(built.headers[header::CONTENT_ENCODING], "br", "the build's copy is there from the start");
    assert_eq!(built.bytes[..], js_br[..]);
    assert_eq!(portal.raw(get("/pkg/flotilla.js.br", &[])).await.status, 404, "the copies are not files of their own");

    // The compressed copies are made in the background; brotli arrives within seconds.
    let started = Instant::now();
    let br = loop {
        let a = portal.raw(get("/pkg/flotilla.wasm", &[(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")])).await;
        assert_eq!(a.status, 200);
        if a.headers.get(header::CONTENT_ENCODING).is_some_and(|v| v == "br") {
            break a;
        }
        assert_eq!(a.bytes.len(), wasm.len(), "until then the file is sent as it is");
        assert!(started.elapsed() < Duration::from_secs(30), "the bundle was never compressed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(br.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(br.headers[header::VARY], "accept-encoding");
    assert_eq!(br.headers[header::CACHE_CONTROL], "no-cache");
    assert!(br.bytes.len() * 10 < wasm.len(), "brotli: {} of {} bytes", br.bytes.len(), wasm.len());
    let mut back = Vec::new();
    brotli::BrotliDecompress(&mut &br.bytes[..], &mut back).unwrap();
    assert_eq!(back, wasm, "it decodes to the file");

    let gz = portal.raw(get("/pkg/flotilla.wasm", &[(header::ACCEPT_ENCODING, "gzip")])).await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    assert!(gz.bytes.len() * 5 < wasm.len());
    let plain = portal.raw(get("/pkg/flotilla.wasm", &[])).await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.bytes.len(), wasm.len());

    // A browser holding this copy revalidates and gets no body.
    let etag = br.headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 20, "a strong ETag from the content: {etag}");
    assert_eq!(gz.headers[header::ETAG], etag.as_str(), "one ETag whatever the encoding");
    let again = portal.raw(get("/pkg/flotilla.wasm", &[(header::ACCEPT_ENCODING, "br"), (header::IF_NONE_MATCH, &etag)])).await;
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
    let stale = portal.raw(get("/pkg/flotilla.wasm", &[(header::IF_NONE_MATCH, "\"an-older-build\"")])).await;
    assert_eq!(stale.status, 200, "another build's copy is replaced");
    assert_eq!(portal.raw(get("/pkg/missing.wasm", &[])).await.status, 404);
    let started = Instant::now();
    let js_gz = loop {
        let a = portal.raw(get("/pkg/flotilla.js", &[(header::ACCEPT_ENCODING, "gzip")])).await;
        if a.headers.get(header::CONTENT_ENCODING).is_some_and(|v| v == "gzip") {
            break a;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "flotilla.js was never gzipped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut back = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&js_gz.bytes[..]), &mut back).unwrap();
    assert_eq!(back, js, "a stale copy from another build is never sent");

    // Pages and API answers are compressed on the fly.
    let page = portal.raw(get("/login", &[(header::ACCEPT, "text/html"), (header::ACCEPT_ENCODING, "gzip")])).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers[header::CONTENT_ENCODING], "gzip");
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&page.bytes[..]), &mut html).unwrap();
    assert!(html.contains("/pkg/flotilla"), "the page loads the bundle: {html}");
}

/// Pages load the bundle by content-hashed names, served `immutable` for a year: a reload does
/// not even revalidate. A new build's page names new files; the old names stop existing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_name_the_bundle_by_its_content_and_those_names_are_cached_for_good() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/flotilla.wasm"), b"\0asm one build").unwrap();
    std::fs::write(site.path().join("pkg/flotilla.js"), "export default function init() {}\n").unwrap();
    std::fs::write(site.path().join("pkg/flotilla.css"), "body { color: black }\n").unwrap();
    let portal = TestPortal::start_serving(site.path().to_str().unwrap()).await;
    let page = portal.raw(get("/login", &[(header::ACCEPT, "text/html")])).await;
    let html = String::from_utf8(page.bytes.to_vec()).unwrap();
    let named = |ext: &str| {
        html.match_indices("/pkg/flotilla.")
            .map(|(i, _)| html[i..].split(['"', '\'', '\\']).next().unwrap().to_owned())
            .find(|p| p.ends_with(&format!(".{ext}")) && p.len() == "/pkg/flotilla.".len() + 16 + 1 + ext.len())
            .unwrap_or_else(|| panic!("the page loads flotilla.<hash>.{ext}: {html}"))
    };
    let (wasm, js, css) = (named("wasm"), named("js"), named("css"));
    assert!(html.contains(&format!("import(\"{js}\")")) && html.contains(&format!("module_or_path:\"{wasm}\"")), "the hydration script loads the hashed files: {html}");
    for (path, body) in [(&wasm, &b"\0asm one build"[..]), (&js, &b"export default function init() {}\n"[..]), (&css, &b"body { color: black }\n"[..])] {
        let a = portal.raw(get(path, &[])).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable", "{path}");
        assert_eq!(a.bytes[..], body[..], "{path}");
    }
    let plain = portal.raw(get("/pkg/flotilla.wasm", &[])).await;
    assert_eq!(plain.headers[header::CACHE_CONTROL], "no-cache", "a plain name is revalidated");
    // Another build: other bytes, another name; the old name is gone, not served stale.
    std::fs::write(site.path().join("pkg/flotilla.wasm"), b"\0asm the next build").unwrap();
    let next = TestPortal::start_serving(site.path().to_str().unwrap()).await;
    let html2 = String::from_utf8(next.raw(get("/login", &[(header::ACCEPT, "text/html")])).await.bytes.to_vec()).unwrap();
    assert!(!html2.contains(&wasm), "the next build's page names another wasm");
    assert!(html2.contains(&js), "an unchanged file keeps its name");
    assert_eq!(next.raw(get(&wasm, &[])).await.status, 404, "the old build's name no longer exists");
}

/// A page loads its group's bundle when the build made one (`flotilla-<group>.wasm`, only that
/// group's pages), else the full app's; every page shares the one stylesheet. The page's address
/// picks the group, signed in or not, for the pages themselves and for the 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_page_loads_its_own_groups_bundle_and_the_full_one_otherwise() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    for (name, body) in [
        ("flotilla.wasm", "\0asm all pages"),
        ("flotilla.js", "export default function init() {} // all\n"),
        ("flotilla.css", "body { color: black }\n"),
        ("flotilla-login.wasm", "\0asm the login page"),
        ("flotilla-login.js", "export default function init() {} // login\n"),
        // A group with only half a bundle is not used.
        ("flotilla-costs.js", "export default function init() {} // costs\n"),
    ] {
        std::fs::write(site.path().join("pkg").join(name), body).unwrap();
    }
    let portal = TestPortal::start_serving(site.path().to_str().unwrap()).await;
    let wasm_of = |html: &str| {
        let at = html.find("module_or_path:\"").unwrap_or_else(|| panic!("a hydration script: {html}")) + "module_or_path:\"".len();
        html[at..].split('"').next().unwrap().to_owned()
    };
    let cookie = portal.session("alice").await;
    let page = |path: &'static str| {
        let (portal, cookie) = (&portal, cookie.clone());
        async move { String::from_utf8(portal.raw(get(path, &[(header::ACCEPT, "text/html"), (header::COOKIE, &cookie)])).await.bytes.to_vec()).unwrap() }
    };
    let login = String::from_utf8(portal.raw(get("/login", &[(header::ACCEPT, "text/html")])).await.bytes.to_vec()).unwrap();
    let wasm = wasm_of(&login);
    assert!(wasm.starts_with("/pkg/flotilla-login.") && wasm.ends_with(".wasm"), "the login page loads its own bundle: {wasm}");
    assert!(login.contains("import(\"/pkg/flotilla-login."), "and its own JavaScript: {login}");
    assert!(login.contains("/pkg/flotilla.") && login.contains(".css"), "the one stylesheet");
    assert_eq!(portal.raw(get(&wasm, &[])).await.bytes[..], b"\0asm the login page"[..], "served by its hashed name");
    for other in ["/costs", "/no-such-page"] {
        let html = page(other).await;
        let w = wasm_of(&html);
        assert!(w.starts_with("/pkg/flotilla.") && !w.contains('-'), "{other} loads the full bundle: {w}");
    }
}
