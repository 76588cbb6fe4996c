//! Regenerates include/trulayer.h from src/ with cbindgen. The file is committed; it is
//! rewritten only when its content changes, so an unchanged ABI leaves it untouched and a
//! changed ABI shows up in `git diff` (scripts/test-c.sh fails on that).

use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&dir);
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // A hand-edited header is regenerated too, so the freshness check in test-c.sh sees it.
    println!("cargo:rerun-if-changed=include/trulayer.h");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen understands src/");
    let mut text = Vec::new();
    bindings.write(&mut text);
    let header = dir.join("include/trulayer.h");
    if std::fs::read(&header).ok().as_deref() != Some(&text[..]) {
        std::fs::create_dir_all(dir.join("include")).expect("include/ can be created");
        std::fs::write(&header, text).expect("include/trulayer.h can be written");
    }
}
