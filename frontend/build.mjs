// Bundles every front end in src/<name>/index.ts into
// ../custom_components/prepaid_power/frontend/<name>.js (one ES module each, minified).
// Each bundle starts with a stamp: the SHA-256 of everything it is built from (this file,
// tsconfig.json, package-lock.json and every file under src/), so tests/test_frontend.py fails
// when a committed bundle is stale. `node build.mjs --check` only compares the stamps.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "custom_components", "prepaid_power", "frontend");
const src = join(here, "src");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

// Must match tests/test_frontend.py: relative paths with "/" sorted; each contributes
// "<path>\0<bytes>\0".
export function sourcesHash() {
  const inputs = ["build.mjs", "tsconfig.json", "package-lock.json", ...files(src).map((f) => relative(here, f))]
    .map((p) => p.split("\\").join("/"))
    .sort();
  const hash = createHash("sha256");
  for (const path of inputs) {
    hash.update(path + "\0");
    hash.update(readFileSync(join(here, path)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const stamp = `/* prepaid_power frontend sources sha256:${sourcesHash()} */`;
const entries = existsSync(src)
  ? readdirSync(src, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(src, d.name, "index.ts")))
      .map((d) => d.name)
  : [];

if (process.argv.includes("--check")) {
  let stale = 0;
  for (const name of entries) {
    const file = join(out, `${name}.js`);
    const first = existsSync(file) ? readFileSync(file, "utf8").split("\n", 1)[0] : "";
    if (first !== stamp) {
      console.error(`${name}.js is stale: run npm ci && npm run build in frontend/`);
      stale += 1;
    }
  }
  process.exit(stale ? 1 : 0);
}

mkdirSync(out, { recursive: true });
for (const name of entries) {
  const result = await build({
    entryPoints: [join(src, name, "index.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  writeFileSync(join(out, `${name}.js`), `${stamp}\n${result.outputFiles[0].text}`);
  console.log(`built ${name}.js`);
}
