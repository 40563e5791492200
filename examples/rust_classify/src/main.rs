//! rust_classify: classifies image files with an edgeinfer classifier through the C API (edgeinfer.h).
//! The bindings below are written by hand; only the functions this program calls are declared.
//!
//! Usage: rust_classify MODEL.onnx IMAGE_OR_FOLDER...
//! prints one line per image: `circle_1.jpg: circle 0.9871 (class 0)`.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::ptr;

mod ffi {
    use std::os::raw::{c_char, c_int};

    /// edgeinfer_status: 0 is EDGEINFER_OK.
    pub type Status = c_int;
    pub const OK: Status = 0;

    #[repr(C)]
    pub struct Options {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct Classifier {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct Image {
        _private: [u8; 0],
    }

    #[link(name = "edgeinfer")]
    extern "C" {
        pub fn edgeinfer_last_error() -> *const c_char;
        pub fn edgeinfer_version() -> *const c_char;
        pub fn edgeinfer_options_create(out: *mut *mut Options) -> Status;
        pub fn edgeinfer_options_destroy(options: *mut Options);
        pub fn edgeinfer_options_set_num_threads(options: *mut Options, num_threads: c_int) -> Status;
        pub fn edgeinfer_options_set_top_k(options: *mut Options, top_k: c_int) -> Status;
        pub fn edgeinfer_image_read(path: *const c_char, out: *mut *mut Image) -> Status;
        pub fn edgeinfer_image_destroy(image: *mut Image);
        pub fn edgeinfer_image_pixels(
            image: *const Image,
            data: *mut *const u8,
            width: *mut c_int,
            height: *mut c_int,
            stride: *mut usize,
            format: *mut c_int,
        ) -> Status;
        pub fn edgeinfer_classifier_create(
            model_path: *const c_char,
            options: *const Options,
            out: *mut *mut Classifier,
        ) -> Status;
        pub fn edgeinfer_classifier_destroy(classifier: *mut Classifier);
        pub fn edgeinfer_classifier_classify(
            classifier: *mut Classifier,
            pixels: *const u8,
            width: c_int,
            height: c_int,
            stride: usize,
            format: c_int,
            classes: *mut i64,
            scores: *mut f32,
            labels: *mut *const c_char,
            capacity: usize,
            count: *mut usize,
        ) -> Status;
    }
}

/// The calling thread's last edgeinfer error, with the status code.
fn error(what: &str, status: ffi::Status) -> String {
    let message = unsafe { CStr::from_ptr(ffi::edgeinfer_last_error()) };
    format!("{what} failed (status {status}): {}", message.to_string_lossy())
}

fn c_path(path: &Path) -> Result<CString, String> {
    CString::new(path.to_string_lossy().as_bytes()).map_err(|_| format!("{}: NUL in path", path.display()))
}

struct Options(*mut ffi::Options);

impl Options {
    fn new() -> Result<Self, String> {
        let mut raw = ptr::null_mut();
        let st = unsafe { ffi::edgeinfer_options_create(&mut raw) };
        if st != ffi::OK {
            return Err(error("edgeinfer_options_create", st));
        }
        Ok(Options(raw))
    }
    fn check(&self, what: &str, st: ffi::Status) -> Result<(), String> {
        if st == ffi::OK {
            Ok(())
        } else {
            Err(error(what, st))
        }
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        unsafe { ffi::edgeinfer_options_destroy(self.0) }
    }
}

struct Image(*mut ffi::Image);

impl Image {
    fn read(path: &Path) -> Result<Self, String> {
        let c = c_path(path)?;
        let mut raw = ptr::null_mut();
        let st = unsafe { ffi::edgeinfer_image_read(c.as_ptr(), &mut raw) };
        if st != ffi::OK {
            return Err(error("edgeinfer_image_read", st));
        }
        Ok(Image(raw))
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        unsafe { ffi::edgeinfer_image_destroy(self.0) }
    }
}

struct Classifier(*mut ffi::Classifier);

/// One class of a result: index, label ("" when the model has none) and score.
struct Top {
    class: i64,
    label: String,
    score: f32,
}

impl Classifier {
    fn new(model: &Path, options: &Options) -> Result<Self, String> {
        let c = c_path(model)?;
        let mut raw = ptr::null_mut();
        let st = unsafe { ffi::edgeinfer_classifier_create(c.as_ptr(), options.0, &mut raw) };
        if st != ffi::OK {
            return Err(error("edgeinfer_classifier_create", st));
        }
        Ok(Classifier(raw))
    }

    fn classify(&mut self, image: &Image) -> Result<Vec<Top>, String> {
        let (mut data, mut width, mut height, mut stride, mut format) =
            (ptr::null(), 0 as c_int, 0 as c_int, 0usize, 0 as c_int);
        let st = unsafe {
            ffi::edgeinfer_image_pixels(image.0, &mut data, &mut width, &mut height, &mut stride, &mut format)
        };
        if st != ffi::OK {
            return Err(error("edgeinfer_image_pixels", st));
        }
        const CAPACITY: usize = 5;
        let mut classes = [0i64; CAPACITY];
        let mut scores = [0f32; CAPACITY];
        let mut labels: [*const c_char; CAPACITY] = [ptr::null(); CAPACITY];
        let mut count = 0usize;
        let st = unsafe {
            ffi::edgeinfer_classifier_classify(
                self.0,
                data,
                width,
                height,
                stride,
                format,
                classes.as_mut_ptr(),
                scores.as_mut_ptr(),
                labels.as_mut_ptr(),
                CAPACITY,
                &mut count,
            )
        };
        if st != ffi::OK {
            return Err(error("edgeinfer_classifier_classify", st));
        }
        // The label strings live until the next call on this classifier: copy them now.
        Ok((0..count)
            .map(|i| Top {
                class: classes[i],
                label: unsafe { CStr::from_ptr(labels[i]) }.to_string_lossy().into_owned(),
                score: scores[i],
            })
            .collect())
    }
}

impl Drop for Classifier {
    fn drop(&mut self) {
        unsafe { ffi::edgeinfer_classifier_destroy(self.0) }
    }
}

fn is_image(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("jpg" | "jpeg" | "png" | "bmp")
    )
}

/// The image files named on the command line, folders expanded (sorted by name).
fn image_files(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let entries = std::fs::read_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_image(p))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

fn run(args: &[String]) -> Result<usize, String> {
    let version = unsafe { CStr::from_ptr(ffi::edgeinfer_version()) };
    eprintln!("edgeinfer {}", version.to_string_lossy());
    let options = Options::new()?;
    options.check("edgeinfer_options_set_num_threads", unsafe {
        ffi::edgeinfer_options_set_num_threads(options.0, 1)
    })?;
    options.check("edgeinfer_options_set_top_k", unsafe {
        ffi::edgeinfer_options_set_top_k(options.0, 3)
    })?;
    let mut classifier = Classifier::new(Path::new(&args[0]), &options)?;
    let files = image_files(&args[1..])?;
    if files.is_empty() {
        return Err("no image files given".to_string());
    }
    let mut failed = 0;
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match Image::read(file).and_then(|image| classifier.classify(&image)) {
            Ok(top) if !top.is_empty() => {
                let best = &top[0];
                println!("{name}: {} {:.4} (class {})", best.label, best.score, best.class);
            }
            Ok(_) => {
                println!("{name}: no class above the threshold");
            }
            Err(e) => {
                eprintln!("{name}: {e}");
                failed += 1;
            }
        }
    }
    Ok(failed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: rust_classify MODEL.onnx IMAGE_OR_FOLDER...");
        return ExitCode::from(2);
    }
    match run(&args) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
