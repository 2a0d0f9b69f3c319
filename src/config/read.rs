//! Reading a config, keymap or theme file: only a regular file, and at most [`MAX_BYTES`] of
//! it. A path is whatever the user (or a repo's `.helios.toml`) wrote, so it can name
//! `/dev/zero` (memory grew by a gigabyte a second), `/dev/urandom` or a FIFO (both hung the
//! start). Every place that reads such a file goes through [`read_config_file`].

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use crate::config::ConfigError;

/// The largest config, keymap or theme file helios reads. The shipped ones are a few KiB.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// The text of the config file at `path`, or an error naming it, what is wrong and what to do.
///
/// The path is checked before opening (not a regular file: refused), and opened with
/// `O_NONBLOCK` so a FIFO swapped in between cannot block the open; the opened file is checked
/// again, and at most [`MAX_BYTES`] + 1 bytes are read.
pub fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    let bytes = read_config_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line_of(e.as_bytes(), e.utf8_error().valid_up_to()),
        message: "not UTF-8 text; save the file as UTF-8".into(),
    })
}

/// [`read_config_file`] for files that need not be text (a TLS certificate a config names).
pub fn read_config_bytes(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    // `metadata` follows symlinks: a link to a regular file is fine, a link to /dev/zero is not.
    let meta = std::fs::metadata(path).map_err(read_err)?;
    check(path, &meta)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32)
        .open(path)
        .map_err(read_err)?;
    check(path, &file.metadata().map_err(read_err)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_big(path));
    }
    Ok(bytes)
}

fn check(path: &Path, meta: &std::fs::Metadata) -> Result<(), ConfigError> {
    if !meta.is_file() {
        let what = kind_of(meta);
        return Err(ConfigError::Other(format!(
            "{}: is {what}, not a regular file; point helios at a .toml file",
            path.display()
        )));
    }
    if meta.len() > MAX_BYTES {
        return Err(too_big(path));
    }
    Ok(())
}

fn too_big(path: &Path) -> ConfigError {
    ConfigError::Other(format!(
        "{}: larger than {} KiB, too big for a config file; check the path",
        path.display(),
        MAX_BYTES / 1024
    ))
}

/// What a path that is not a regular file is, for a message (`a FIFO`, `a directory`…).
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .map_or(1, |b| b.split(|&c| c == b'\n').count())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(r: Result<String, ConfigError>) -> String {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.toml");
        std::fs::write(&p, "[normal]\n").unwrap();
        assert_eq!(read_config_file(&p).unwrap(), "[normal]\n");
    }

    #[test]
    fn refuses_devices_without_reading_them() {
        let m = message(read_config_file(Path::new("/dev/zero")));
        assert!(m.starts_with("/dev/zero: is a device"), "{m}");
        let m = message(read_config_file(Path::new("/dev/urandom")));
        assert!(m.contains("not a regular file"), "{m}");
    }

    #[test]
    fn refuses_a_fifo_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        let ok = crate::config::secrets::command("mkfifo")
            .arg(&p)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mkfifo (coreutils) is needed for this test");
        let m = message(read_config_file(&p));
        assert!(m.contains("is a FIFO"), "{m}");
    }

    #[test]
    fn refuses_a_directory_and_a_huge_file() {
        let dir = tempfile::tempdir().unwrap();
        let m = message(read_config_file(dir.path()));
        assert!(m.contains("is a directory"), "{m}");
        let p = dir.path().join("big.toml");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_BYTES + 1).unwrap();
        let m = message(read_config_file(&p));
        assert!(m.contains("too big"), "{m}");
    }

    #[test]
    fn names_the_line_of_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.toml");
        std::fs::write(&p, b"a = 1\nb = \"\xff\"\n").unwrap();
        let m = message(read_config_file(&p));
        assert!(m.contains("t.toml:2: not UTF-8"), "{m}");
    }

    #[test]
    fn a_missing_file_says_so() {
        let m = message(read_config_file(Path::new("/nonexistent/helios.toml")));
        assert!(m.contains("cannot read"), "{m}");
    }
}
