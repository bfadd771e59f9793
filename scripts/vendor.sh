#!/usr/bin/env bash
# Refresh the web client's third-party libraries in static/vendor/ from the npm registry (`npm pack`), so the
# server loads nothing from outside itself. Pinned versions live below; bump one, run this, commit the result.
#   scripts/vendor.sh            # the pinned versions
#   MARKED=18.2.1 scripts/vendor.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MARKED="${MARKED:-18.2.1}"
DOMPURIFY="${DOMPURIFY:-3.4.18}"

out=static/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch NAME VERSION: unpack the published tarball into $work/NAME
fetch() {
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$work/$1"
  tar -xzf "$work/$1-$2.tgz" -C "$work/$1" --strip-components=1
}

fetch marked "$MARKED"
fetch dompurify "$DOMPURIFY"

mkdir -p "$out/marked" "$out/dompurify"
# The source-map comments are dropped: the maps are not vendored, and a browser would ask for them.
sed '/^\/\/# sourceMappingURL=/d' "$work/marked/lib/marked.esm.js" > "$out/marked/marked.esm.js"
cp "$work/marked/LICENSE" "$out/marked/LICENSE"
sed '/^\/\/# sourceMappingURL=/d' "$work/dompurify/dist/purify.es.mjs" > "$out/dompurify/purify.es.mjs"
cp "$work/dompurify/LICENSE" "$out/dompurify/LICENSE"
cp "$work/dompurify/LICENSE-MPL" "$out/dompurify/LICENSE-MPL"

sha() { sha256sum "$1" | cut -d' ' -f1; }
cat > "$out/VENDORED.md" <<MD
# Vendored libraries

Third-party code the web client loads from \`/static/vendor/\`. Refreshed by \`scripts/vendor.sh\` (\`npm pack\` from
the npm registry); do not edit these files by hand.

| library | version | licence | file | sha256 |
| --- | --- | --- | --- | --- |
| [marked](https://www.npmjs.com/package/marked) (Markdown to HTML) | $MARKED | MIT (\`marked/LICENSE\`) | \`marked/marked.esm.js\` | \`$(sha "$out/marked/marked.esm.js")\` |
| [DOMPurify](https://www.npmjs.com/package/dompurify) (HTML sanitizer) | $DOMPURIFY | MPL-2.0 or Apache-2.0 (\`dompurify/LICENSE\`, \`dompurify/LICENSE-MPL\`) | \`dompurify/purify.es.mjs\` | \`$(sha "$out/dompurify/purify.es.mjs")\` |
MD
echo "vendored marked $MARKED, dompurify $DOMPURIFY into $out"
