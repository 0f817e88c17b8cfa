//! Rules the source keeps that the compiler does not check: names that do not clash, files
//! small enough to read, and tests and benchmarks that read nothing outside the repository.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The longest a file in `src/` may be.
const MAX_LINES: usize = 600;

/// Where the system's programs live: the only absolute paths tests may name (the PostgreSQL
/// cluster's `initdb`, `pg_ctl` and `runuser`).
const PROGRAM_FOLDERS: [&str; 5] = [
    "/usr/lib/postgresql",
    "/usr/sbin",
    "/sbin",
    "/usr/bin",
    "/bin",
];

/// The repository's root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `src/`.
fn sources() -> Vec<PathBuf> {
    files_below("src", &["rs"])
}

/// Every file below the root's `folder` whose name ends in one of `extensions`.
fn files_below(folder: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root().join(folder)];
    while let Some(folder) = folders.pop() {
        for item in fs::read_dir(&folder).expect("a folder listed") {
            let path = item.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .is_some_and(|x| extensions.iter().any(|e| x == *e))
            {
                files.push(path);
            }
        }
    }
    files
}

/// `path` with its `.` and `..` resolved by name, as far as they go.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

#[test]
fn each_public_type_name_in_src_names_one_thing() {
    let declaration =
        regex::Regex::new(r"pub(\([a-z]+\))? (struct|enum|trait|type) ([A-Za-z0-9_]+)")
            .expect("a regex");
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in sources() {
        let text = fs::read_to_string(&path).expect("a source file");
        for found in declaration.captures_iter(&text) {
            seen.entry(found[3].to_owned())
                .or_default()
                .push(path.display().to_string());
        }
    }
    let clashes: Vec<_> = seen.iter().filter(|(_, places)| places.len() > 1).collect();
    assert!(clashes.is_empty(), "{clashes:#?}");
}

#[test]
fn no_file_in_src_is_over_600_lines() {
    let long: Vec<(String, usize)> = sources()
        .into_iter()
        .map(|path| {
            let lines = fs::read_to_string(&path)
                .expect("a source file")
                .lines()
                .count();
            (path.display().to_string(), lines)
        })
        .filter(|(_, lines)| *lines > MAX_LINES)
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

/// A test that reads `../shared/...` fails on a plain clone: the tests' files live in the
/// repository (CI's extra files beside it are `.ci/run`'s business).
#[test]
fn no_test_or_benchmark_names_a_file_outside_the_repository() {
    let literal = regex::Regex::new(r#"(#\[path = )?"((?:[^"\\\n]|\\.)*)""#).expect("a regex");
    let mut outside = Vec::new();
    for file in files_below("tests", &["rs", "yaml"])
        .into_iter()
        .chain(files_below("benches", &["rs"]))
    {
        let text = fs::read_to_string(&file).expect("a test file");
        for found in literal.captures_iter(&text) {
            let named = Path::new(&found[2]);
            // Paths of `#[path]` are the including file's; every other is the working
            // folder's, which is the root for tests and benchmarks.
            let base = match found.get(1) {
                Some(_) => file.parent().expect("a folder"),
                None => root(),
            };
            let escapes = named.components().any(|part| part == Component::ParentDir)
                && !lexically_normal(&base.join(named)).starts_with(root());
            let absolute_data = named.is_absolute()
                && named.exists()
                && !PROGRAM_FOLDERS
                    .iter()
                    .any(|folder| named.starts_with(folder));
            if escapes || absolute_data {
                let place = file.strip_prefix(root()).expect("below the root");
                outside.push(format!("{}: {}", place.display(), &found[2]));
            }
        }
    }
    assert!(outside.is_empty(), "{outside:#?}");
}
