//! A child process whose output goes to a log file (appended across restarts); killed when
//! dropped, so that a test or the demo that ends, panics or is interrupted leaves none behind.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// One process at a time, started (again) from a command, logging to one file.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Process {
    /// A process called `name` (in messages) that logs to `log`; none runs yet.
    pub fn new(name: impl Into<String>, log: PathBuf) -> Self {
        Self { name: name.into(), child: None, log }
    }

    /// Starts `command` with its stdout and stderr appended to the log. Panics if one still runs.
    pub fn spawn(&mut self, mut command: Command) {
        assert!(!self.is_running(), "{} is already running", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("{}: {e}", self.log.display()));
        command.stdout(Stdio::from(log.try_clone().expect("log"))).stderr(Stdio::from(log));
        let child = command.spawn().unwrap_or_else(|e| {
            panic!("{} does not start ({e}); run scripts/setup first", self.name)
        });
        self.child = Some(child);
    }

    /// Waits until something accepts connections on loopback `port`, at most `limit`; panics with
    /// the log if the process exits first or the time runs out.
    pub fn wait_listening(&mut self, port: u16, limit: Duration) {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                self.is_running(),
                "{} exited during start-up; its log:\n{}",
                self.name,
                self.log()
            );
            assert!(
                started.elapsed() < limit,
                "{} did not listen on 127.0.0.1:{port} within {limit:?}; its log:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` (`TERM`, `INT`) and waits for the exit; `None` if nothing ran.
    pub fn stop_with(&mut self, signal: &str) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let sent = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIG{signal} to {}", self.name);
        Some(child.wait().expect("exits"))
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether it runs (started and not exited since).
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().expect("try_wait").is_none())
    }

    /// Its process id while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What it logged, across its restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
