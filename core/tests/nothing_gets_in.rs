//! The decoding path can read or write no file, load no code and run no SQL, whatever the
//! options say: neither the core nor the plugin (`src/plugin/`, which runs in the walsender)
//! names an API that could. SQL functions outside `src/plugin/` (`snapshot_records`) run with
//! their caller's rights and are not part of this claim. Checked on the source text, so a new
//! use of any of these fails here and must be argued for in review.

use std::path::{Path, PathBuf};

/// APIs that open files, start processes, open sockets, load libraries or run SQL.
const FORBIDDEN: &[&str] = &[
    "std::fs",
    "std::process",
    "std::net",
    "std::env",
    "File::",
    "Command::",
    "libloading",
    "dlopen",
    "load_external_function",
    "load_file",
    "AllocateFile",
    "OpenTransientFile",
    "PathNameOpenFile",
    "BasicOpenFile",
    "SPI_",
    "Spi::",
    "exec_simple_query",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_file_library_or_sql_api_on_the_decoding_path() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&core.join("src"), &mut files);
    rust_files(&core.join("../src/plugin"), &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for api in FORBIDDEN {
                if line.contains(api) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "forbidden APIs:\n{}", found.join("\n"));
}
