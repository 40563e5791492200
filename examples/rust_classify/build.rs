// Finds libedgeinfer.so: EDGEINFER_LIB_DIR if set, else `pkg-config --variable=libdir edgeinfer`
// (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for an install prefix). The binary gets an rpath to it.
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=EDGEINFER_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let libdir = match env::var("EDGEINFER_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => dir,
        _ => {
            let out = Command::new("pkg-config")
                .args(["--variable=libdir", "edgeinfer"])
                .output()
                .expect(
                    "rust_classify: cannot run pkg-config (set EDGEINFER_LIB_DIR to the folder of libedgeinfer.so)",
                );
            if !out.status.success() {
                panic!(
                    "rust_classify: pkg-config does not know edgeinfer: {} (set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig \
                     or EDGEINFER_LIB_DIR)",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        }
    };
    println!("cargo:rustc-link-search=native={libdir}");
    println!("cargo:rustc-link-lib=dylib=edgeinfer");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
}
