//! Repository-wide checks that keep the repository standing alone: a clone with nothing beside it must
//! build and pass its tests, so no file under `crates/` may reach outside the checkout for data.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_file_under_crates_names_the_shared_folder() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    files_under(&crates, &mut files);
    assert!(files.len() > 100, "walked only {} files", files.len());
    let needle = concat!("..", "/shared");
    let offenders: Vec<String> = files
        .iter()
        .filter(|p| {
            std::fs::read(p)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "these files name the folder beside the checkout; commit a fixture instead: {offenders:#?}"
    );
}
