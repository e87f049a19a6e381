// Test-only: open code-server in Debian's Chromium (playwright-core, no browser download), keep the window
// connected so the extension host runs, and take a screenshot whenever the driver extension asks for one.
// Usage: node browser.js URL RESULT_JSON SCREENSHOT_DIR TIMEOUT_SECONDS
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [url, resultFile, shotDir, timeoutSeconds] = process.argv.slice(2);
const executablePath = [process.env.CHROMIUM, "/usr/lib/chromium/chromium", "/usr/bin/chromium"].find(
  (p) => p && fs.existsSync(p),
);

function phase() {
  try {
    return JSON.parse(fs.readFileSync(resultFile, "utf8")).phase;
  } catch {
    return undefined; // not written yet, or being replaced
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on("console", (m) => {
    if (m.type() === "error") console.error(`[page] ${m.text()}`);
  });
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: 120000 });
  const deadline = Date.now() + Number(timeoutSeconds) * 1000;
  const taken = new Set();
  let last;
  while (Date.now() < deadline) {
    const now = phase();
    if (now !== last) {
      console.log(`phase: ${now}`);
      last = now;
    }
    if (now === "done") break;
    if (now && now.startsWith("screenshot:")) {
      const name = now.slice("screenshot:".length);
      if (!taken.has(name)) {
        await page.screenshot({ path: path.join(shotDir, `${name}.png`) });
        taken.add(name);
        fs.writeFileSync(`${resultFile}.${name}.ack`, "");
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (phase() !== "done") {
    await page.screenshot({ path: path.join(shotDir, "timeout.png") }).catch(() => undefined);
  }
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
