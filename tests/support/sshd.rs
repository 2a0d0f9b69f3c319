//! A real OpenSSH server for the tests and benches that open lanes over ssh: keys made for the
//! run, a loopback port, and the client config that reaches it. Self-contained, so a bench can
//! include it too (`#[path]`).

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A real OpenSSH server on a loopback port, with keys made for the test, and the client
/// config that reaches it as host `alias`; stopped in Drop.
pub struct Sshd {
    child: Child,
    /// The ssh client config file.
    pub config: std::path::PathBuf,
    dir: tempfile::TempDir,
}

impl Sshd {
    pub fn start(alias: &str) -> Self {
        let sshd = std::path::Path::new("/usr/sbin/sshd");
        assert!(
            sshd.exists(),
            "/usr/sbin/sshd is missing: run the tests with scripts/test.sh, which installs openssh-server"
        );
        assert!(
            std::process::Command::new("ssh-keygen")
                .arg("-?")
                .output()
                .is_ok(),
            "ssh-keygen is missing: run the tests with scripts/test.sh, which installs openssh-client"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, kind) in [("host_key", "ed25519"), ("user_key", "ed25519")] {
            let st = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-N", "", "-f"])
                .arg(d.join(name))
                .status()
                .unwrap();
            assert!(st.success(), "ssh-keygen {name}");
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let user = String::from_utf8(
            std::process::Command::new("id")
                .arg("-un")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_string();
        let p = |f: &str| d.join(f).display().to_string();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowUsers {user}\n",
                p("host_key"),
                p("sshd.pid"),
                p("authorized_keys")
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  BatchMode yes\n",
                p("user_key")
            ),
        )
        .unwrap();
        let child = std::process::Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .unwrap();
        let s = Self {
            child,
            config: d.join("ssh_config"),
            dir,
        };
        // Until it listens: a connect either works or is refused at once.
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "sshd did not listen within 20 s:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        s
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Where the console's ssh keeps its shared connections.
    pub fn control_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("cm")
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
