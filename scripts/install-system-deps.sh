#!/usr/bin/env bash
# Installs the real peers the tests run against, only when the machine lacks them:
# Mosquitto and its clients (broker and mosquitto_pub/sub), libcoap's command-line tools
# (coap-client-notls, coap-server-notls, coap-rd-notls), openssl (test certificates) and
# nats-server (the clustered MQTT broker of the failover tests, docs/cluster.md).
# Debian/Ubuntu: apt-get, as root or through sudo. macOS: Homebrew (untested, see README).
# `npm test` runs it when one of these tools is missing.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v coap-client-notls >/dev/null 2>&1 || need+=(libcoap3-bin)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)

if [ ${#need[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi

if [ "$(uname -s)" = Darwin ]; then
    command -v brew >/dev/null 2>&1 || { echo "need Homebrew to install: ${need[*]}" >&2; exit 1; }
    echo "system packages: brew install mosquitto libcoap openssl nats-server (for ${need[*]})"
    brew install mosquitto libcoap openssl nats-server
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get here: install ${need[*]} by hand (README: System packages)" >&2; exit 1; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root to install: ${need[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "system packages: installing ${need[*]} with ${sudo:+sudo }apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
