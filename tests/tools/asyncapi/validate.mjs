// Parse an AsyncAPI document with the official parser; print its diagnostics as JSON.
//
//   node validate.mjs FILE                      the text alone, as a registry or a viewer
//                                               that fetched it would see it
//   node validate.mjs --refs-from-file FILE     relative $refs resolved from FILE's folder
//
// Exit 0: no error; 1: errors; 2: usage or crash. The parser is loaded from
// $OKR_NODE_TOOLS_DIR/node_modules when that is set (the tests' cache), else from
// node_modules next to this file (after `npm ci` here).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const SEVERITY = ['error', 'warning', 'info', 'hint'];

function loadParser() {
  const base = process.env.OKR_NODE_TOOLS_DIR
    ? pathToFileURL(resolve(process.env.OKR_NODE_TOOLS_DIR, 'package.json'))
    : import.meta.url;
  return createRequire(base)('@asyncapi/parser');
}

async function parseAlone(parser, file) {
  const text = readFileSync(file, 'utf8');
  // The parser resolves a relative $ref from the working directory: use an empty one.
  const empty = mkdtempSync(join(tmpdir(), 'asyncapi-'));
  const previous = process.cwd();
  process.chdir(empty);
  try {
    return await parser.parse(text);
  } finally {
    process.chdir(previous);
    rmSync(empty, { recursive: true, force: true });
  }
}

async function main(args) {
  const refsFromFile = args[0] === '--refs-from-file';
  const file = refsFromFile ? args[1] : args[0];
  if (!file) {
    console.error('usage: node validate.mjs [--refs-from-file] FILE');
    return 2;
  }
  const { Parser, fromFile } = loadParser();
  const parser = new Parser();
  const path = resolve(file);
  const { document, diagnostics } = refsFromFile
    ? await fromFile(parser, path).parse()
    : await parseAlone(parser, path);
  const report = diagnostics.map((d) => ({
    severity: SEVERITY[d.severity],
    code: d.code,
    message: d.message,
    path: d.path.join('/'),
  }));
  const errors = report.filter((d) => d.severity === 'error').length;
  const parsed = document !== undefined;
  console.log(JSON.stringify({ file, refsFromFile, parsed, errors, diagnostics: report }, null, 2));
  return errors > 0 || !parsed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(error); process.exitCode = 2; },
);
