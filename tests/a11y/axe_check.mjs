// Accessibility check of HTML pages with axe-core in Debian's Chromium (headless, offline).
//
//   node tests/a11y/axe_check.mjs PAGE.html [PAGE.html ...]
//
// Prints one JSON object: {"pages": [{"page", "violations": [{"id", "impact", "help", "nodes"}],
// "passes": N}]}. Exit 0: no violations; 1: violations; 2: the check itself could not run (no
// Chromium, no axe-core): a missing tool is a failure, never a pass.
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Flags from the project brief: no sandbox (containers), no GPU, nothing that phones home.
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];
// WCAG 2.0/2.1/2.2 A and AA rules plus axe's best practices (headings, landmarks, regions).
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

function fail(message) {
  process.stderr.write(`axe_check: ${message}\n`);
  process.exit(2);
}

const pages = process.argv.slice(2);
if (pages.length === 0) fail("usage: node axe_check.mjs PAGE.html [PAGE.html ...]");
if (!existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM} (install it: make a11y-deps)`);
let chromium, axeSource;
try {
  ({ chromium } = require("playwright-core"));
  axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
} catch (err) {
  fail(`axe-core or playwright-core missing in tests/a11y/node_modules (run make a11y-deps): ${err.message}`);
}

let browser;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
} catch (err) {
  fail(`cannot start Chromium: ${err.message.split("\n")[0]}`);
}
const results = [];
let violations = 0;
try {
  const context = await browser.newContext({ offline: true });
  for (const page of pages) {
    const tab = await context.newPage();
    await tab.goto(pathToFileURL(path.resolve(page)).href, { waitUntil: "load" });
    await tab.addScriptTag({ content: axeSource });
    const result = await tab.evaluate(
      async (tags) => await window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
      TAGS,
    );
    const found = result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
    violations += found.length;
    results.push({ page, violations: found, passes: result.passes.length, incomplete: result.incomplete.length });
    await tab.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ axe: JSON.parse(readFileSync(require.resolve("axe-core/package.json"))).version, pages: results }) + "\n");
process.exit(violations ? 1 : 0);
