//! Finding, at run time, the programs a throwaway cluster needs: PostgreSQL's `initdb` and
//! `pg_ctl`, and `runuser` (in `/usr/sbin`, which not every PATH holds).

use std::env;
use std::path::{Path, PathBuf};

/// Where to look: the folders of a PATH, the folder of Debian's PostgreSQL versions, and the
/// system folders searched after PATH.
#[derive(Debug, Clone)]
pub struct Search {
    pub path: Vec<PathBuf>,
    pub postgresql_versions: PathBuf,
    pub system: Vec<PathBuf>,
}

impl Search {
    /// This machine's PATH and folders.
    pub fn here() -> Search {
        let path = env::var_os("PATH")
            .map(|path| env::split_paths(&path).collect())
            .unwrap_or_default();
        Search {
            path,
            postgresql_versions: PathBuf::from("/usr/lib/postgresql"),
            system: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
                .into_iter()
                .map(PathBuf::from)
                .collect(),
        }
    }

    /// The folder holding `initdb` and `pg_ctl`: the first on PATH, else the newest version
    /// installed under `postgresql_versions` (`15/bin`, `16/bin`...).
    pub fn server_binaries(&self) -> Option<PathBuf> {
        if let Some(dir) = self.path.iter().find(|dir| has_server(dir)) {
            return Some(dir.clone());
        }
        let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir(&self.postgresql_versions)
            .ok()?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .filter(|(_, dir)| has_server(dir))
            .collect();
        installed.sort();
        installed.pop().map(|(_, dir)| dir)
    }

    /// The program `name`: on PATH, else in the system folders.
    pub fn program(&self, name: &str) -> Option<PathBuf> {
        self.path
            .iter()
            .chain(&self.system)
            .map(|dir| dir.join(name))
            .find(|file| file.is_file())
    }

    /// Where the server's binaries were looked for, for a message.
    pub fn described(&self) -> String {
        format!(
            "initdb and pg_ctl on PATH or under {}/*/bin",
            self.postgresql_versions.display()
        )
    }
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use tempfile::TempDir;

    use super::*;

    fn touch(file: PathBuf) -> PathBuf {
        fs::create_dir_all(file.parent().expect("a parent")).expect("folders created");
        fs::write(&file, "").expect("a file written");
        file
    }

    /// A machine as a temporary tree: `bin/` on PATH, `sbin/` a system folder off PATH, and
    /// `lib/postgresql/`.
    fn machine(root: &Path) -> Search {
        Search {
            path: vec![root.join("bin")],
            postgresql_versions: root.join("lib/postgresql"),
            system: vec![root.join("sbin")],
        }
    }

    #[test]
    fn runuser_is_found_in_a_system_folder_off_path() {
        let root = TempDir::new().expect("a temporary folder");
        let search = machine(root.path());
        assert_eq!(search.program("runuser"), None);
        let runuser = touch(root.path().join("sbin/runuser"));
        assert_eq!(search.program("runuser"), Some(runuser));
    }

    #[test]
    fn a_program_on_path_comes_before_the_system_folders() {
        let root = TempDir::new().expect("a temporary folder");
        touch(root.path().join("sbin/runuser"));
        let on_path = touch(root.path().join("bin/runuser"));
        assert_eq!(machine(root.path()).program("runuser"), Some(on_path));
    }

    #[test]
    fn the_server_is_the_newest_version_installed_when_path_has_none() {
        let root = TempDir::new().expect("a temporary folder");
        let search = machine(root.path());
        assert_eq!(search.server_binaries(), None);
        for version in ["9", "15", "16"] {
            touch(
                root.path()
                    .join(format!("lib/postgresql/{version}/bin/initdb")),
            );
        }
        for version in ["9", "15"] {
            touch(
                root.path()
                    .join(format!("lib/postgresql/{version}/bin/pg_ctl")),
            );
        }
        // 16 has no pg_ctl: 15 is the newest whole server, and 15 > 9 as numbers.
        assert_eq!(
            search.server_binaries(),
            Some(root.path().join("lib/postgresql/15/bin"))
        );
    }

    #[test]
    fn the_server_on_path_comes_first() {
        let root = TempDir::new().expect("a temporary folder");
        touch(root.path().join("lib/postgresql/15/bin/initdb"));
        touch(root.path().join("lib/postgresql/15/bin/pg_ctl"));
        touch(root.path().join("bin/initdb"));
        assert_eq!(
            machine(root.path()).server_binaries(),
            Some(root.path().join("lib/postgresql/15/bin")),
            "initdb alone on PATH is no server"
        );
        touch(root.path().join("bin/pg_ctl"));
        assert_eq!(
            machine(root.path()).server_binaries(),
            Some(root.path().join("bin"))
        );
    }
}
