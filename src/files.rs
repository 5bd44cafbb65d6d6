//! Sets of JSON files the mock starts from (fixtures, scenarios): the ones embedded in the
//! binary, or every `*.json` file of a directory given by a flag.

use std::path::Path;

/// Files as (name, text), not yet checked, in name order.
#[derive(Clone, Debug, Default)]
pub struct JsonFiles(pub Vec<(String, String)>);

impl JsonFiles {
    pub fn embedded(files: &[(&str, &str)]) -> JsonFiles {
        JsonFiles(
            files
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
        )
    }

    /// Every `*.json` file of `dir`, in name order; `what` names the set in errors.
    pub fn from_dir(dir: &Path, what: &str) -> Result<JsonFiles, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {what} directory {}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                std::fs::read_to_string(&path)
                    .map(|text| (path.display().to_string(), text))
                    .map_err(|e| format!("{}: {e}", path.display()))
            })
            .collect::<Result<_, _>>()
            .map(JsonFiles)
    }

    /// The bare file names, for checking an embedded list against its directory.
    pub fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(path, _)| {
                Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect()
    }
}
