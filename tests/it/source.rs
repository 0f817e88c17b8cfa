//! Rules the source keeps that the compiler does not check: names that do not clash, and
//! files small enough to read.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The longest a file in `src/` may be.
const MAX_LINES: usize = 600;

/// Every `.rs` file below `src/`.
fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(folder) = folders.pop() {
        for item in fs::read_dir(&folder).expect("src listed") {
            let path = item.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
    }
    files
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
