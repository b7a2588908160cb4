#!/usr/bin/env bash
# The real editors the end-to-end tests drive, installed outside the repository:
#   - Neovim (tests/test_lsp.py::test_neovim_end_to_end), Debian `neovim`;
#   - a real VS Code in a headless browser (tests/test_vscode_e2e.py): code-server $CODE_SERVER_VERSION
#     from npm into ${XDG_CACHE_HOME:-~/.cache}/ferrofix/code-server, and Debian `chromium`, `ripgrep`
#     (code-server's search), `libkrb5-dev` (a native module of code-server builds against it).
# Playwright, which drives the browser, is a Python dev extra (installed by `installer/install.sh --dev`);
# it uses Debian's chromium, never a browser of its own.
#
#   bash tests/setup-editors.sh    # idempotent; about 2 minutes the first time, a second after that
#
# Debian packages are installed when run as root with apt-get (else the missing ones are named and the
# tests that need them are skipped outside CI). Works offline from the npm registry and Debian's mirror:
# code-server's @vscode/ripgrep would download rg from GitHub in its postinstall, so its download cache
# is pre-seeded with a tarball of Debian's /usr/bin/rg.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"   # the newest code-server whose engines.node accepts Node 20 (VS Code 1.100.3)
RIPGREP_PKG_VERSION="1.15.11"   # @vscode/ripgrep in that code-server, and the rg build it asks for
RIPGREP_BUILD="v13.0.0-10"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/ferrofix/code-server"
start=$SECONDS

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

need=()
command -v nvim >/dev/null || need+=(neovim)
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
[[ -e /usr/include/krb5.h || -e /usr/include/krb5/krb5.h ]] || need+=(libkrb5-dev)
if [[ ${#need[@]} -gt 0 ]]; then
  if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
    say "installing ${need[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need[@]}" >/dev/null; }
  else
    echo "setup-editors.sh: please install ${need[*]} (e.g. sudo apt-get install ${need[*]}); the tests that need them are skipped" >&2
  fi
fi

installed=""
[[ -f "$dest/node_modules/code-server/package.json" ]] \
  && installed="$(node -p "require('$dest/node_modules/code-server/package.json').version" 2>/dev/null || true)"
if [[ "$installed" != "$CODE_SERVER_VERSION" ]]; then
  command -v npm >/dev/null || { echo "setup-editors.sh: npm not found: install Node.js 20 to run the VS Code test" >&2; exit 1; }
  command -v rg >/dev/null || { echo "setup-editors.sh: rg (ripgrep) not found: code-server needs it" >&2; exit 1; }
  say "installing code-server $CODE_SERVER_VERSION into $dest (npm)"
  mkdir -p "$dest/tmp"
  case "$(uname -m)" in
    x86_64) rg_target="x86_64-unknown-linux-musl" ;;
    aarch64|arm64) rg_target="aarch64-unknown-linux-musl" ;;
    *) rg_target="" ;;
  esac
  if [[ -n "$rg_target" && "$(uname -s)" == Linux ]]; then
    seed="$dest/tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
    mkdir -p "$seed" "$dest/tmp/rg"
    cp "$(command -v rg)" "$dest/tmp/rg/rg"
    tar czf "$seed/ripgrep-$RIPGREP_BUILD-$rg_target.tar.gz" -C "$dest/tmp/rg" rg
  fi
  [[ -f "$dest/package.json" ]] || echo '{"private": true, "description": "code-server for ferrofix tests"}' > "$dest/package.json"
  # as root npm runs install scripts as nobody unless unsafe-perm; node-pty's postinstall asks to confirm
  (cd "$dest" && TMPDIR="$dest/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
     npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2)
fi
[[ -x "$dest/node_modules/.bin/code-server" ]] || { echo "setup-editors.sh: code-server did not install" >&2; exit 1; }
say "editors ready in $((SECONDS - start)) s: code-server $CODE_SERVER_VERSION ($dest/node_modules/.bin/code-server)"
