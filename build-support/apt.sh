# Installing Debian packages for ./dev (sourced by it; tests/test_dev_apt.py runs it with a
# stand-in apt-get). Waits for another apt (unattended upgrades at boot, a parallel job)
# instead of failing while it holds its locks.

# apt_get ARGS...: apt-get, waiting while another apt holds its locks (unattended upgrades
# at boot, a parallel job): `install` waits by itself (DPkg::Lock::Timeout), but `update`
# fails at once with "Unable to lock directory /var/lib/apt/lists/". Up to 10 minutes.
APT_WAIT_SECONDS=${APT_WAIT_SECONDS:-600}
APT_WAIT_STEP=${APT_WAIT_STEP:-5}
apt_get() {
    local output deadline=$((SECONDS + APT_WAIT_SECONDS)) said=""
    while ! output=$($SUDO apt-get -o DPkg::Lock::Timeout=300 "$@" 2>&1); do
        if [[ $output == *"Could not get lock"* || $output == *"Unable to lock"* ]] &&
            [ "$SECONDS" -lt "$deadline" ]; then
            [ -n "$said" ] || echo "dev: another apt is running: waiting for it to finish" >&2
            said=yes
            sleep "$APT_WAIT_STEP"
            continue
        fi
        echo "$output" >&2
        return 1
    done
}

# apt_packages PACKAGE...: install Debian packages (waiting for another apt to finish).
SUDO=""
apt_packages() {
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "dev: $* not installed and no root: apt-get install --no-install-recommends $*" >&2
            return 0
        fi
        SUDO=sudo
    fi
    echo "dev: installing $* (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt_get -y -qq --no-install-recommends install "$@" 2>/dev/null; then
        apt_get -qq update || return 1
        apt_get -y -qq --no-install-recommends install "$@"
    fi
}
