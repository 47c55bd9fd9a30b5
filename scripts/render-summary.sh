#!/usr/bin/env bash
# Renders the fixture hardening summaries (a signed record and a draft) to HTML through the
# report tests, then has headless Chromium take a screenshot (A4 at 150 dpi: 1240x1754) and
# print each to PDF, so the printed layout can be looked at. Nothing is fetched from the
# network: the HTML is self-contained and Chromium runs with networking features off.
#
#   scripts/render-summary.sh [OUT_DIR]      (default: target/report-render)
#
# Skips (exit 0, with the reason) when no Chromium is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/report-render}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

STATIONWARD_REPORT_OUT="$out" cargo test --quiet --test report_summary write_fixture_outputs_when_asked >/dev/null
echo "render-summary: wrote $out/{record,draft}.{txt,md,html,json}"

chrome=""
for c in chromium chromium-browser google-chrome-stable google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then chrome="$c"; break; fi
done
if [ -z "$chrome" ]; then
  echo "render-summary: skipped screenshots and PDFs: no chromium on PATH (apt-get install chromium)"
  exit 0
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-extensions --user-data-dir="$profile"
  --hide-scrollbars)

# Chromium prints `@page { size: auto }` on Letter; an A4 copy checks the other paper size.
for name in record draft; do
  sed 's/@page { size: auto;/@page { size: A4;/' "$out/$name.html" >"$out/$name-a4.html"
done

for name in record draft record-a4 draft-a4; do
  html="$out/$name.html"
  "$chrome" "${flags[@]}" --window-size=1240,1754 --screenshot="$out/$name.png" "file://$html" \
    >/dev/null 2>&1
  "$chrome" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$out/$name.pdf" "file://$html" \
    >/dev/null 2>&1
  for f in "$out/$name.png" "$out/$name.pdf"; do
    if [ ! -s "$f" ]; then
      echo "render-summary: $chrome did not produce $f" >&2
      exit 1
    fi
  done
  pages=""
  if command -v pdfinfo >/dev/null 2>&1; then
    pages=" ($(pdfinfo "$out/$name.pdf" | awk '/^Pages:/ {print $2}') pages)"
  fi
  echo "render-summary: $out/$name.png, $out/$name.pdf$pages"
done
