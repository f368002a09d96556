//! A static file server for `www/`, used by `cargo xtask serve` and, in-process on a free port,
//! by the browser tests.
//!
//! It answers GET and HEAD only, sends `index.html` for directories, and refuses any path that
//! could leave the served directory (`..` segments, absolute paths). Every response carries
//! `Cache-Control: no-cache` so a rebuilt wasm is always picked up, every file
//! `Access-Control-Allow-Origin: *`, so course notes on another origin can load `js/element.js`
//! (a module script, fetched with CORS) and the modules and wasm it brings (docs/embedding.md, "Hosting"),
//! and, when asked ([`ServeOptions::csp`]), a Content-Security-Policy: the browser tests run every
//! page under [`STRICT_CSP`], so an inline script anywhere in `www/` fails them.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Response, ResponseBox, Server};

use crate::util::{err, Result};

/// Requests are answered by this many threads, so a page's parallel fetches don't queue behind
/// the wasm download.
const WORKERS: usize = 4;

/// The policy of `cargo xtask serve --csp` and of the browser tests: scripts only from the site's
/// own files (no inline script, no `eval`), WebAssembly allowed to compile. A page that works
/// under it works on a host that sends it.
pub const STRICT_CSP: &str = "script-src 'self' 'wasm-unsafe-eval'";

/// What a server adds to its responses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// A `Content-Security-Policy` header for every response (files, redirects and errors).
    pub csp: Option<&'static str>,
    /// Cross-origin isolation: `Cross-Origin-Opener-Policy: same-origin` and
    /// `Cross-Origin-Embedder-Policy: require-corp` on every response, so that pages get
    /// `SharedArrayBuffer` (what ONNX Runtime Web's wasm threads need).
    pub isolated: bool,
    /// The production site (`dist/`): files with a content hash in their name
    /// ([`is_content_hashed`]) may be kept by browsers for a year (`IMMUTABLE`); every other
    /// file is still `no-cache`.
    pub hashed_immutable: bool,
}

/// The `Cache-Control` of a file whose name changes with its content (`ServeOptions::hashed_immutable`).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Hex digits of the content hash the production build puts in file names (`xtask/bundle.mjs`).
const HASH_LENGTH: usize = 10;

/// True for a file named `STEM-HASH.EXT`, HASH being `HASH_LENGTH` lowercase hex digits: the
/// production build's content-hashed names (`main-8d657f87c5.js`).
pub fn is_content_hashed(path: &Path) -> bool {
    let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else { return false };
    match stem.rsplit_once('-') {
        Some((name, hash)) => {
            !name.is_empty()
                && hash.len() == HASH_LENGTH
                && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        None => false,
    }
}

/// The two headers of a cross-origin-isolated page (`ServeOptions::isolated`).
pub const ISOLATION_HEADERS: [(&str, &str); 2] =
    [("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Embedder-Policy", "require-corp")];

/// A running server; dropping it stops the server and joins its threads.
pub struct StaticServer {
    server: Arc<Server>,
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` on `127.0.0.1:port` from background threads. Port 0 picks a free port.
    pub fn start(root: impl Into<PathBuf>, port: u16) -> io::Result<Self> {
        Self::start_with(root, port, ServeOptions::default())
    }

    /// Like [`StaticServer::start`], with `options` applied to every response.
    pub fn start_with(root: impl Into<PathBuf>, port: u16, options: ServeOptions) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        let addr = listener.local_addr()?;
        let server = Server::from_listener(listener, None).map(Arc::new).map_err(io::Error::other)?;
        let root = Arc::new(root.into());
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..WORKERS)
            .map(|_| {
                let (server, root, stopping) = (server.clone(), root.clone(), stopping.clone());
                std::thread::spawn(move || serve_requests(&server, &root, options, &stopping))
            })
            .collect();
        Ok(Self { server, addr, stopping, workers })
    }

    /// Like [`StaticServer::start`], but when `port` is taken tries the next ones, up to
    /// `attempts` ports in all.
    pub fn start_on_free_port(root: &Path, port: u16, attempts: u16, options: ServeOptions) -> Result<Self> {
        let last = port.saturating_add(attempts.saturating_sub(1));
        for candidate in port..=last {
            match Self::start_with(root, candidate, options) {
                Ok(server) => return Ok(server),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse && candidate != 0 => continue,
                Err(e) => return Err(err(format!("could not listen on port {candidate}: {e}"))),
            }
        }
        Err(err(format!("ports {port} to {last} are all in use: pick another with --port")))
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serves until the process is stopped (Ctrl-C).
    pub fn wait(mut self) {
        for worker in std::mem::take(&mut self.workers) {
            // A worker only ends by panicking, which the panic message already reported.
            let _ = worker.join();
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Each unblock wakes one thread waiting in `recv`.
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn serve_requests(server: &Server, root: &Path, options: ServeOptions, stopping: &AtomicBool) {
    loop {
        match server.recv() {
            Ok(request) => {
                let mut response = respond_to(request.method(), request.url(), root, options);
                if let Some(policy) = options.csp {
                    response.add_header(header("Content-Security-Policy", policy));
                }
                if options.isolated {
                    for (name, value) in ISOLATION_HEADERS {
                        response.add_header(header(name, value));
                    }
                }
                // An error here means the client went away: nothing to tell anyone.
                let _ = request.respond(response);
            }
            Err(_) if stopping.load(Ordering::SeqCst) => return,
            Err(e) => eprintln!("static server: {e}"),
        }
    }
}

/// What a request gets, before it becomes an HTTP response.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    File(PathBuf),
    /// 301 to this location: a directory asked for without its trailing slash, so that the
    /// page's relative URLs resolve inside it.
    Redirect(String),
    Error(u16, &'static str),
}

fn respond_to(method: &Method, url: &str, root: &Path, options: ServeOptions) -> ResponseBox {
    match route(method, url, root) {
        Reply::File(path) => match File::open(&path) {
            Ok(file) => Response::from_file(file)
                .with_header(header("Content-Type", content_type(&path)))
                .with_header(header(
                    "Cache-Control",
                    if options.hashed_immutable && is_content_hashed(&path) { IMMUTABLE } else { "no-cache" },
                ))
                .with_header(header("Access-Control-Allow-Origin", "*"))
                .boxed(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => error_response(404, "Not Found"),
            Err(_) => error_response(500, "Internal Server Error"),
        },
        Reply::Redirect(location) => match Header::from_bytes("Location", location.as_bytes()) {
            Ok(location) => Response::empty(301)
                .with_header(location)
                .with_header(header("Cache-Control", "no-cache"))
                .boxed(),
            Err(()) => error_response(400, "Bad Request"),
        },
        Reply::Error(405, reason) => {
            let mut response = error_response(405, reason);
            response.add_header(header("Allow", "GET, HEAD"));
            response
        }
        Reply::Error(status, reason) => error_response(status, reason),
    }
}

fn route(method: &Method, url: &str, root: &Path) -> Reply {
    if !matches!(method, Method::Get | Method::Head) {
        return Reply::Error(405, "Method Not Allowed");
    }
    let (raw_path, query) = match url.find(['?', '#']) {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let Some(path) = percent_decode(raw_path) else {
        return Reply::Error(400, "Bad Request");
    };
    let relative = match relative_path(&path) {
        Ok(relative) => relative,
        Err(reply) => return reply,
    };
    let mut file = root.join(relative);
    if file.is_dir() {
        if !path.ends_with('/') {
            return Reply::Redirect(format!("{raw_path}/{query}"));
        }
        file.push("index.html");
    }
    if file.is_file() {
        Reply::File(file)
    } else {
        Reply::Error(404, "Not Found")
    }
}

/// The decoded URL path as a path relative to the served directory; 403 for anything that could
/// climb out of it (`..`, an absolute path such as `//etc/passwd`, a backslash).
fn relative_path(path: &str) -> Result<PathBuf, Reply> {
    const FORBIDDEN: Reply = Reply::Error(403, "Forbidden");
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Reply::Error(400, "Bad Request"));
    };
    if rest.starts_with('/') || rest.contains(['\\', '\0']) {
        return Err(FORBIDDEN);
    }
    let mut relative = PathBuf::new();
    for segment in rest.split('/') {
        match segment {
            ".." => return Err(FORBIDDEN),
            "" | "." => {}
            name => relative.push(name),
        }
    }
    Ok(relative)
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The Content-Type for a file, by extension.
fn content_type(path: &Path) -> &'static str {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("woff2") => "font/woff2",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn error_response(status: u16, reason: &str) -> ResponseBox {
    Response::from_string(format!("{status} {reason}\n"))
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
        .with_header(header("Cache-Control", "no-cache"))
        .boxed()
}

/// A header from constant, ASCII text.
fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name, value).expect("constant headers are valid ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = COUNT.fetch_add(1, Ordering::SeqCst);
            let dir = std::env::temp_dir().join(format!("xtask-{name}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create temp dir");
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Sends one raw request and returns (status, headers lower-cased, body).
    fn request(url: &str, method: &str, path: &str) -> (u16, String, String) {
        let authority = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        let mut stream = TcpStream::connect(&authority).expect("connect");
        write!(stream, "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
            .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let (head, body) = response.split_once("\r\n\r\n").expect("header end");
        let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("status code");
        (status, head.to_ascii_lowercase(), body.to_string())
    }

    fn site() -> (TempDir, StaticServer) {
        let dir = TempDir::new("serve-test");
        let www = dir.0.join("www");
        std::fs::create_dir_all(www.join("pkg")).expect("mkdir");
        std::fs::write(www.join("index.html"), "<h1>home</h1>").expect("write");
        std::fs::write(www.join("pkg").join("index.html"), "pkg home").expect("write");
        std::fs::write(www.join("pkg").join("app_bg.wasm"), b"\0asm").expect("write");
        std::fs::write(www.join("main.js"), "export {};").expect("write");
        std::fs::write(dir.0.join("secret.txt"), "secret").expect("write");
        let server = StaticServer::start(&www, 0).expect("start server");
        (dir, server)
    }

    #[test]
    fn serves_files_with_their_content_type_and_no_cache() {
        let (_dir, server) = site();
        let url = server.url();
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'));

        let (status, head, body) = request(&url, "GET", "/");
        assert_eq!((status, body.as_str()), (200, "<h1>home</h1>"));
        assert!(head.contains("content-type: text/html; charset=utf-8"));
        assert!(head.contains("cache-control: no-cache"));

        let (status, head, _) = request(&url, "GET", "/pkg/app_bg.wasm");
        assert_eq!(status, 200);
        assert!(head.contains("content-type: application/wasm"));

        let (status, head, _) = request(&url, "GET", "/main.js?v=2");
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/javascript"));
        // Notes on another origin load the element's module script with CORS.
        assert!(head.contains("access-control-allow-origin: *"), "{head}");

        let (status, _, body) = request(&url, "HEAD", "/index.html");
        assert_eq!((status, body.as_str()), (200, ""));
    }

    #[test]
    fn directories_get_their_index_and_a_trailing_slash() {
        let (_dir, server) = site();
        let url = server.url();
        let (status, _, body) = request(&url, "GET", "/pkg/");
        assert_eq!((status, body.as_str()), (200, "pkg home"));
        let (status, head, _) = request(&url, "GET", "/pkg?x=1");
        assert_eq!(status, 301);
        assert!(head.contains("location: /pkg/?x=1"));
    }

    #[test]
    fn missing_files_are_404_and_other_methods_405() {
        let (_dir, server) = site();
        let url = server.url();
        assert_eq!(request(&url, "GET", "/nope.js").0, 404);
        let (status, head, _) = request(&url, "POST", "/");
        assert_eq!(status, 405);
        assert!(head.contains("allow: get, head"));
    }

    #[test]
    fn paths_that_leave_the_served_directory_are_refused() {
        let (_dir, server) = site();
        let url = server.url();
        for path in [
            "/../secret.txt",
            "/pkg/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "//etc/passwd",
            "/%2Fetc/passwd",
            "/..%5Csecret.txt",
        ] {
            let (status, _, body) = request(&url, "GET", path);
            assert_eq!(status, 403, "{path}");
            assert!(!body.contains("secret"), "{path}");
        }
        assert_eq!(request(&url, "GET", "/%zz").0, 400);
    }

    #[test]
    fn a_content_security_policy_is_sent_on_every_response_when_asked() {
        let (dir, plain) = site();
        let www = dir.0.join("www");
        let strict = StaticServer::start_with(
            &www,
            0,
            ServeOptions { csp: Some(STRICT_CSP), ..ServeOptions::default() },
        )
        .expect("start");
        let expected = format!("content-security-policy: {}", STRICT_CSP.to_ascii_lowercase());
        for (method, path, status) in [
            ("GET", "/", 200),
            ("HEAD", "/main.js", 200),
            ("GET", "/pkg", 301),
            ("GET", "/nope", 404),
            ("POST", "/", 405),
        ] {
            let (got, head, _) = request(&strict.url(), method, path);
            assert_eq!(got, status, "{method} {path}");
            assert!(head.contains(&expected), "{method} {path}: {head}");
            let (_, head, _) = request(&plain.url(), method, path);
            assert!(!head.contains("content-security-policy"), "{method} {path} without --csp: {head}");
        }
    }

    #[test]
    fn content_hashed_names_are_told_apart_from_every_other_name() {
        for hashed in
            ["js/main-8d657f87c5.js", "pkg/diffusion_playground_bg-695f936f26.wasm", "style-59d698bc82.css"]
        {
            assert!(is_content_hashed(Path::new(hashed)), "{hashed}");
        }
        for plain in [
            "js/main.js",
            "js/element.js",
            "js/main-8D657F87C5.js",
            "js/main-8d657f87c.js",
            "js/-8d657f87c5.js",
            "js/cpu-worker.js",
            "two_moons.vp_linear.dpw",
            "lessons/01-forward-process.html",
        ] {
            assert!(!is_content_hashed(Path::new(plain)), "{plain}");
        }
    }

    #[test]
    fn the_production_server_lets_browsers_keep_hashed_files_for_a_year_and_only_those() {
        let dir = TempDir::new("hashed");
        std::fs::write(dir.0.join("index.html"), "home").expect("write");
        std::fs::write(dir.0.join("main-0123456789.js"), "code").expect("write");
        let production = StaticServer::start_with(
            &dir.0,
            0,
            ServeOptions { hashed_immutable: true, ..ServeOptions::default() },
        )
        .expect("start");
        let development = StaticServer::start(&dir.0, 0).expect("start");
        let immutable = format!("cache-control: {IMMUTABLE}");
        let (status, head, _) = request(&production.url(), "GET", "/main-0123456789.js");
        assert_eq!(status, 200);
        assert!(head.contains(&immutable), "{head}");
        let (_, head, _) = request(&production.url(), "GET", "/index.html");
        assert!(head.contains("cache-control: no-cache"), "{head}");
        let (_, head, _) = request(&development.url(), "GET", "/main-0123456789.js");
        assert!(head.contains("cache-control: no-cache"), "the development server never does: {head}");
    }

    #[test]
    fn an_isolated_server_sends_both_isolation_headers_on_every_response() {
        let (dir, plain) = site();
        let isolated = StaticServer::start_with(
            dir.0.join("www"),
            0,
            ServeOptions { isolated: true, ..ServeOptions::default() },
        )
        .expect("start");
        for (method, path) in [("GET", "/"), ("GET", "/pkg"), ("GET", "/nope")] {
            let (_, head, _) = request(&isolated.url(), method, path);
            let (_, plain_head, _) = request(&plain.url(), method, path);
            for (name, value) in ISOLATION_HEADERS {
                let line = format!("{}: {value}", name.to_ascii_lowercase());
                assert!(head.contains(&line), "{method} {path}: {head}");
                assert!(
                    !plain_head.contains(&name.to_ascii_lowercase()),
                    "{method} {path} not isolated: {plain_head}"
                );
            }
        }
    }

    #[test]
    fn busy_ports_are_skipped() {
        let dir = TempDir::new("serve-port-test");
        let first = StaticServer::start(&dir.0, 0).expect("start");
        let port = first.addr.port();
        let second =
            StaticServer::start_on_free_port(&dir.0, port, 20, ServeOptions::default()).expect("next port");
        assert_ne!(second.addr.port(), port);
    }

    #[test]
    fn content_types_cover_the_page_assets() {
        let cases = [
            ("a.html", "text/html; charset=utf-8"),
            ("a.mjs", "text/javascript; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.WASM", "application/wasm"),
            ("a.json", "application/json"),
            ("a.png", "image/png"),
            ("a.svg", "image/svg+xml"),
            ("a.woff2", "font/woff2"),
            ("favicon.ico", "image/x-icon"),
            ("weights.dpw", "application/octet-stream"),
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(Path::new(name)), expected, "{name}");
        }
    }
}
