// Validates AsyncAPI documents with the AsyncAPI project's own parser.
// usage: node asyncapi_validate.cjs <node_modules dir> FILE...
// Prints "<file>: valid" or each error diagnostic; exits 1 when any document has an error.
const path = require("node:path");
const fs = require("node:fs");
const { Parser } = require(path.join(process.argv[2], "@asyncapi", "parser"));

(async () => {
  const parser = new Parser();
  let failed = 0;
  for (const file of process.argv.slice(3)) {
    const { document, diagnostics } = await parser.parse(fs.readFileSync(file, "utf8"));
    const errors = diagnostics.filter((d) => d.severity === 0);
    if (document && errors.length === 0) {
      console.log(`${file}: valid`);
      continue;
    }
    failed += 1;
    console.log(`${file}: ${errors.length} errors`);
    for (const d of errors) console.log(`  ${d.code}: ${d.message} at ${JSON.stringify(d.path)}`);
  }
  process.exit(failed ? 1 : 0);
})();
