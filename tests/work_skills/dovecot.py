"""A real IMAP server for the tests: Debian's dovecot (``scripts/ensure_services.sh`` installs it), started
with a throwaway configuration in a temporary directory: plain IMAP on 127.0.0.1 and a free port, no SSL,
any user name logs in with one password (static passdb), Maildir mailboxes we write ourselves. Each test
writes a user of its own, so it never sees another test's mail or flags. (A passwd-file would need
reloading, and dovecot checks it at most once a second.)"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

# Mail is owned by an unprivileged user: dovecot refuses to access mail as root.
MAIL_UID = MAIL_GID = 65534
PASSWORD = "test-imap-password"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    """``with Dovecot() as server: user = server.add_user(messages)``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="alfred-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Dovecot":
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not os.path.exists(binary):
            raise RuntimeError("dovecot is not installed: run scripts/ensure_services.sh (apt dovecot-imapd)")
        os.chmod(self.root, 0o755)  # dovecot's own users (dovecot, dovenull) must reach base_dir
        for part in ("run", "state", "mail"):
            (self.root / part).mkdir()
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, password=PASSWORD, uid=MAIL_UID, gid=MAIL_GID))
        self.process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL)
        for _ in range(200):  # readiness, not a timing assertion: up to ~10 s for a cold start
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {(self.root / 'dovecot.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not listen")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self, messages: list[bytes]) -> str:
        """A new user whose INBOX holds ``messages`` (unread, in this order); its name is returned."""
        user = f"u{uuid.uuid4().hex[:10]}"
        maildir = self.root / "mail" / user
        for part in ("cur", "new", "tmp"):
            (maildir / part).mkdir(parents=True)
        for index, raw in enumerate(messages):
            path = maildir / "new" / f"{1_700_000_000 + index}.M{index}P1.alfred-test"
            path.write_bytes(raw)
        for folder, _dirs, files in os.walk(maildir):
            os.chown(folder, MAIL_UID, MAIL_GID)
            for name in files:
                os.chown(os.path.join(folder, name), MAIL_UID, MAIL_GID)
        return user
