"""One way for this repository's Python scripts to get their PyPI packages: a venv made on first
use, shared by every later run, and the calling script re-executed with the venv's python.

    import script_venv
    script_venv.ensure("train_lightgbm", VENV, ["lightgbm==4.7.0", ...])

Tests run several scripts at once, so the venv is built under an exclusive lock, and it counts as
ready only once a marker file listing its packages has been written after pip finished: a run
that finds a half-made venv (another run killed mid-install, or different packages wanted)
rebuilds it instead of using it. The lock file lives beside the venv (VENV + ".lock"), not in
it, because the venv is deleted and remade under that lock.
"""
import fcntl
import os
import shutil
import subprocess
import sys
import time


def _log(name, message):
    print(f"{name}: {message}", file=sys.stderr, flush=True)


def _install_debian_venv_package(name):
    """`python3 -m venv` needs Debian's python3-venv; installed the way Scripts/setup.sh does."""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _log(name, "installing python3-venv")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "python3-venv"], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def ensure(name, venv, packages, script=None):
    """Re-executes `script` (default: the running script) with the same arguments under the
    python of `venv`, after making the venv with `packages` if it is missing or holds others.
    Returns only when already running inside that venv."""
    venv = os.path.abspath(venv)
    if os.path.abspath(sys.prefix) == venv:
        return
    script = os.path.abspath(script or sys.argv[0])
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, "tickforge-packages.txt")
    wanted = "\n".join(packages) + "\n"
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    with open(venv + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = None
        if os.path.exists(marker):
            with open(marker) as f:
                current = f.read()
        if current != wanted:
            started = time.monotonic()
            _log(name, f"making {venv} with {' '.join(packages)}")
            shutil.rmtree(venv, ignore_errors=True)
            if subprocess.run([sys.executable, "-m", "venv", venv]).returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                _install_debian_venv_package(name)
                subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            *packages], check=True)
            with open(marker + ".tmp", "w") as f:
                f.write(wanted)
            os.replace(marker + ".tmp", marker)
            _log(name, f"venv ready in {time.monotonic() - started:.0f} s")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(python, [python, script, *sys.argv[1:]])
